/* SPDX-License-Identifier: ISC */
#include "core/uri.h"
#include "core/b32.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int uri_escape(const char *in, char *out, size_t outcap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		            *p == '_' || *p == '~';

		if (j + (plain ? 1 : 3) >= outcap)
			return CORE_ERANGE;
		if (plain) {
			out[j++] = (char)*p;
		} else {
			out[j++] = '%';
			out[j++] = hex[*p >> 4];
			out[j++] = hex[*p & 15];
		}
	}
	out[j] = '\0';
	return CORE_OK;
}

int otpauth_uri(const struct factor *f, const char *issuer, const char *account, char **out)
{
	char b32[2 * OTP_MAX_KEY], iss[3 * 128 + 1], acc[3 * 255 + 1];
	size_t cap;
	int ret, n;

	*out = NULL;
	if (f->type != F_TOTP && f->type != F_HOTP)
		return CORE_EINVAL;
	if ((ret = b32_encode(f->key, f->keylen, b32, sizeof b32)) ||
	    (ret = uri_escape(issuer, iss, sizeof iss)) ||
	    (ret = uri_escape(account, acc, sizeof acc)))
		goto out;
	cap = strlen(b32) + 2 * strlen(iss) + strlen(acc) + 160;
	*out = malloc(cap);
	ret = CORE_ENOMEM;
	if (!*out)
		goto out;
	if (f->type == F_TOTP)
		n = snprintf(*out, cap, "otpauth://totp/%s%s%s?secret=%s%s%s&algorithm=%s&digits=%u&period=%u",
		             iss, iss[0] ? ":" : "", acc, b32, iss[0] ? "&issuer=" : "", iss,
		             otp_algo_name(f->algo), f->digits, f->period);
	else
		n = snprintf(*out, cap, "otpauth://hotp/%s%s%s?secret=%s%s%s&algorithm=%s&digits=%u&counter=%llu",
		             iss, iss[0] ? ":" : "", acc, b32, iss[0] ? "&issuer=" : "", iss,
		             otp_algo_name(f->algo), f->digits, (unsigned long long)f->counter);
	ret = CORE_ERANGE;
	if (n < 0 || (size_t)n >= cap) {
		sodium_memzero(*out, cap);
		free(*out);
		*out = NULL;
		goto out;
	}
	ret = CORE_OK;
out:
	sodium_memzero(b32, sizeof b32);
	return ret;
}
