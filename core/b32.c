/* SPDX-License-Identifier: ISC */
#include "core/b32.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int b32_encode(const uint8_t *in, size_t inlen, char *out, size_t outcap)
{
	char *enc = NULL;
	size_t enclen = 0;
	int ret = CORE_ECRYPTO;

	if (oath_base32_encode((const char *)in, inlen, &enc, &enclen) != OATH_OK)
		goto out;
	while (enclen > 0 && enc[enclen - 1] == '=')
		enclen--;
	ret = CORE_ERANGE;
	if (enclen + 1 > outcap)
		goto out;
	memcpy(out, enc, enclen);
	out[enclen] = '\0';
	ret = CORE_OK;
out:
	if (enc) {
		sodium_memzero(enc, strlen(enc));
		free(enc);
	}
	return ret;
}

static int b32_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

int b32_decode(const char *in, uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t n = strlen(in), j = 0, pad = 0;
	char *norm = NULL, *dec = NULL;
	size_t declen = 0;
	int ret = CORE_EINVAL;

	if (n > 1024)
		return CORE_ERANGE;
	norm = malloc(n + 9);
	if (!norm)
		return CORE_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];

		if (c == ' ' || c == '-' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)   /* data after padding */
			goto out;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (!b32_char(c))
			goto out;
		norm[j++] = (char)c;
	}
	if (j == 0)
		goto out;
	/* A base32 group of 8 characters carries 5 bytes; 1, 3 and 6 leftover
	 * characters never end a valid encoding. */
	if (j % 8 == 1 || j % 8 == 3 || j % 8 == 6)
		goto out;
	while (j % 8)
		norm[j++] = '=';
	norm[j] = '\0';
	if (oath_base32_decode(norm, j, &dec, &declen) != OATH_OK)
		goto out;
	ret = CORE_ERANGE;
	if (declen > outcap)
		goto out;
	memcpy(out, dec, declen);
	*outlen = declen;
	ret = CORE_OK;
out:
	sodium_memzero(norm, n + 9);
	free(norm);
	if (dec) {
		sodium_memzero(dec, declen);
		free(dec);
	}
	return ret;
}

int b32_group(const char *b32, char *out, size_t outcap)
{
	size_t n = strlen(b32), j = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && i % 4 == 0) {
			if (j + 1 >= outcap)
				return CORE_ERANGE;
			out[j++] = ' ';
		}
		if (j + 1 >= outcap)
			return CORE_ERANGE;
		out[j++] = b32[i];
	}
	out[j] = '\0';
	return CORE_OK;
}
