/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_URI_H
#define TWOFACTL_URI_H

#include "core/record.h"

/* otpauth://totp/ISSUER:NAME?secret=...&issuer=...&algorithm=...&digits=..&period=..
 * (Key Uri Format). Returns a malloc'd string holding the secret: the
 * caller wipes and frees it. */
int otpauth_uri(const struct factor *f, const char *issuer, const char *account,
                char **out) WUR;

/* Percent-encode everything but RFC 3986 unreserved characters. */
int uri_escape(const char *in, char *out, size_t outcap) WUR;

#endif
