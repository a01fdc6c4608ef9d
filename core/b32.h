/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_B32_H
#define TWOFACTL_B32_H

#include "core/core.h"

/* RFC 4648 base32 through liboath. Encoding gives upper case without
 * padding (as authenticator apps expect); decoding accepts upper and lower
 * case, spaces, dashes and missing or present padding.
 * out must hold at least outcap bytes; decoded secrets are wiped on every path. */
int b32_encode(const uint8_t *in, size_t inlen, char *out, size_t outcap) WUR;
int b32_decode(const char *in, uint8_t *out, size_t outcap, size_t *outlen) WUR;

/* "ABCD EFGH ..." groups of four for manual entry. */
int b32_group(const char *b32, char *out, size_t outcap) WUR;

#endif
