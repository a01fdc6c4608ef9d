/* SPDX-License-Identifier: ISC */
#include "core/codes.h"
#include "core/b32.h"

#include <sodium.h>
#include <string.h>

int backup_generate(char norm[BACKUP_CHARS + 1], char display[BACKUP_DISPLAY])
{
	uint8_t raw[BACKUP_BYTES];
	int ret;

	randombytes_buf(raw, sizeof raw);
	ret = b32_encode(raw, sizeof raw, norm, BACKUP_CHARS + 1);
	sodium_memzero(raw, sizeof raw);
	if (ret != CORE_OK)
		return ret;
	for (size_t i = 0, j = 0; i < BACKUP_CHARS; i++) {
		if (i && i % 4 == 0)
			display[j++] = '-';
		char c = norm[i];
		display[j++] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
		display[j] = '\0';
	}
	return CORE_OK;
}

int digits_generate(char *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (char)('0' + randombytes_uniform(10));
	out[n] = '\0';
	return CORE_OK;
}

int code_hash(const uint8_t key[32], const char *context, const char *norm,
              uint8_t out[CODE_HASH_BYTES])
{
	crypto_generichash_state st;
	static const uint8_t sep = 0;

	if (crypto_generichash_init(&st, key, 32, CODE_HASH_BYTES) ||
	    crypto_generichash_update(&st, (const uint8_t *)context, strlen(context)) ||
	    crypto_generichash_update(&st, &sep, 1) ||
	    crypto_generichash_update(&st, (const uint8_t *)norm, strlen(norm)) ||
	    crypto_generichash_final(&st, out, CODE_HASH_BYTES)) {
		sodium_memzero(&st, sizeof st);
		return CORE_ECRYPTO;
	}
	sodium_memzero(&st, sizeof st);
	return CORE_OK;
}
