/* SPDX-License-Identifier: ISC */
#include "core/otp.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

const char *otp_algo_name(enum otp_algo a)
{
	switch (a) {
	case OTP_SHA256: return "SHA256";
	case OTP_SHA512: return "SHA512";
	default: return "SHA1";
	}
}

int otp_algo_parse(const char *s, enum otp_algo *out)
{
	if (!strcasecmp(s, "sha1"))
		*out = OTP_SHA1;
	else if (!strcasecmp(s, "sha256"))
		*out = OTP_SHA256;
	else if (!strcasecmp(s, "sha512"))
		*out = OTP_SHA512;
	else
		return CORE_EINVAL;
	return CORE_OK;
}

size_t otp_algo_keylen(enum otp_algo a)
{
	switch (a) {
	case OTP_SHA256: return 32;
	case OTP_SHA512: return 64;
	default: return 20;
	}
}

int otp_hotp(const uint8_t *key, size_t keylen, enum otp_algo algo,
             uint64_t counter, unsigned digits, char out[OTP_MAX_DIGITS + 1])
{
	int flags = algo == OTP_SHA256 ? OATH_TOTP_HMAC_SHA256 :
	            algo == OTP_SHA512 ? OATH_TOTP_HMAC_SHA512 : 0;

	if (digits < 6 || digits > OTP_MAX_DIGITS || keylen == 0 || keylen > OTP_MAX_KEY)
		return CORE_ERANGE;
	if (counter > (uint64_t)INT64_MAX)
		return CORE_ERANGE;
	/* liboath's HOTP entry point is SHA1 only; its TOTP entry point takes the
	 * hash as a flag and computes (now - 0) / 1, i.e. the counter itself. */
	if (oath_totp_generate2((const char *)key, keylen, (time_t)counter, 1, 0,
	                        digits, flags, out) != OATH_OK)
		return CORE_ECRYPTO;
	return CORE_OK;
}

uint64_t otp_step(int64_t now, unsigned period)
{
	if (now < 0 || period == 0)
		return 0;
	return (uint64_t)now / period;
}

int otp_totp(const uint8_t *key, size_t keylen, enum otp_algo algo,
             int64_t now, unsigned period, unsigned digits, char out[OTP_MAX_DIGITS + 1])
{
	if (now < 0 || period == 0)
		return CORE_ERANGE;
	return otp_hotp(key, keylen, algo, otp_step(now, period), digits, out);
}

int otp_search(const uint8_t *key, size_t keylen, enum otp_algo algo, unsigned digits,
               uint64_t first, uint64_t count, const char *code, uint64_t *match)
{
	char cand[OTP_MAX_DIGITS + 1];
	int found = 0;

	if (strlen(code) != digits)
		return 0;
	for (uint64_t i = 0; i < count; i++) {
		if (first + i < first)
			break;
		if (otp_hotp(key, keylen, algo, first + i, digits, cand) != CORE_OK) {
			sodium_memzero(cand, sizeof cand);
			return -1;
		}
		if (sodium_memcmp(cand, code, digits) == 0 && !found) {
			found = 1;
			*match = first + i;
		}
	}
	sodium_memzero(cand, sizeof cand);
	return found;
}
