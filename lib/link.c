/* SPDX-License-Identifier: ISC */
/* lib/link.c — single-use links of messages (password reset, activation). */
#include "lib/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- single-use links (reset, confirm --by-link) ----
 * A token is "NAME:" and 43 characters of base64url (256 random bits); its
 * keyed hash, bound to the account, the purpose, the address it was sent
 * to and the account's sent epoch (a password change, a factor removed), is
 * what is kept. */

int link_token_make(struct tf_sess *ss, const char *purpose, char *token, size_t cap,
                    uint8_t *hash)
{
	uint8_t raw[LINK_RANDOM];
	char raw64[64], ctx[SENT_CTX_MAX];
	int r;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(raw64, sizeof raw64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	snprintf(token, cap, "%s:%s", ss->a->name, raw64);
	auth_sent_context(ss->a, purpose, ss->a->email, ctx);
	r = code_hash(ss->a->code_key, ctx, raw64, hash);
	sodium_memzero(raw64, sizeof raw64);
	return r ? tf_fail(ss->h, TF_STORE, NULL, "cannot hash the token") : TF_OK;
}

/* Split "NAME:SECRET" in place; NULL when malformed. */
char *link_token_split(char *in)
{
	char *colon = strrchr(in, ':');

	if (!colon || colon == in || strlen(colon + 1) != 43)
		return NULL;
	*colon = '\0';
	return colon + 1;
}

int link_token_matches(struct tf_sess *ss, const char *purpose, const char *secret,
                       const uint8_t *want)
{
	uint8_t h[CODE_HASH_BYTES];
	char ctx[SENT_CTX_MAX];
	int ok;

	auth_sent_context(ss->a, purpose, ss->a->email, ctx);
	if (code_hash(ss->a->code_key, ctx, secret, h))
		return 0;
	ok = sodium_memcmp(h, want, CODE_HASH_BYTES) == 0;
	sodium_memzero(h, sizeof h);
	return ok;
}

/* The link a message carries: the URL template of config key with {token}
 * replaced (the token alone when unset). malloc'd; the caller wipes it. */
int link_token_url(tf *h, const char *key, const char *token, char **url)
{
	const char *tpl = store_config_get(h->s, key);
	struct msg_var tv[] = { { "token", token } };

	if (msg_render(tpl ? tpl : "{token}", tv, 1, url) != CORE_OK)
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	return TF_OK;
}

