/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_OTP_H
#define TWOFACTL_OTP_H

#include "core/core.h"

enum otp_algo { OTP_SHA1 = 0, OTP_SHA256, OTP_SHA512 };

#define OTP_MAX_DIGITS 8
#define OTP_MAX_KEY 64

const char *otp_algo_name(enum otp_algo a);          /* "SHA1" ... */
int otp_algo_parse(const char *s, enum otp_algo *out) WUR; /* case-insensitive sha1|sha256|sha512 */
size_t otp_algo_keylen(enum otp_algo a);             /* default key length: 20, 32, 64 */

/* RFC 4226 HOTP with the given HMAC; out gets digits characters and a NUL. */
int otp_hotp(const uint8_t *key, size_t keylen, enum otp_algo algo,
             uint64_t counter, unsigned digits, char out[OTP_MAX_DIGITS + 1]) WUR;

/* The RFC 6238 time step of a moment: floor(now / period). now must be >= 0. */
uint64_t otp_step(int64_t now, unsigned period);

/* RFC 6238 TOTP at time now. */
int otp_totp(const uint8_t *key, size_t keylen, enum otp_algo algo,
             int64_t now, unsigned period, unsigned digits, char out[OTP_MAX_DIGITS + 1]) WUR;

/* Look for code among counters [first, first + count). Every candidate is
 * computed and compared in constant time, whatever matches.
 * Returns 1 and sets *match when found, 0 when not, -1 on error. */
int otp_search(const uint8_t *key, size_t keylen, enum otp_algo algo, unsigned digits,
               uint64_t first, uint64_t count, const char *code, uint64_t *match) WUR;

#endif
