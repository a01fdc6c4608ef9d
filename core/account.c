/* SPDX-License-Identifier: ISC */
/* core/account.c — accounts and their factors in memory: names, contact
 * details, factor bookkeeping, the names of types, channels and purposes. */
#include "core/record.h"
#include "core/b32.h"

#include <json-c/json.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int account_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ACCT_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
		      c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

int email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n < 3 || n > 254 || !at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || strchr("<>()[]\\,;:\"", s[i]))
			return 0;
	return strchr(at + 1, '.') != NULL;
}

int phone_valid(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '+' || n < 9 || n > 16 || s[1] == '0')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int lang_valid(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z';
}

void account_init(struct account *a, const char *name, int64_t now)
{
	memset(a, 0, sizeof *a);
	a->version = RECORD_VERSION;
	if (core_strlcpy(a->name, name, sizeof a->name) != CORE_OK)
		a->name[0] = '\0';
	a->created = now;
	a->next_id = 1;
	{
		uint8_t raw[ACCT_UID_CHARS / 2];

		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(a->uid, sizeof a->uid, raw, sizeof raw);
	}
	randombytes_buf(a->code_key, sizeof a->code_key);
	a->has_code_key = 1;
}

int account_upgrade(struct account *a, const char *legacy_ctx, const uint8_t legacy_key[ACCT_CODE_KEY])
{
	int changed = 0;

	if (!a->uid[0]) {
		if (core_strlcpy(a->uid, legacy_ctx, sizeof a->uid) != CORE_OK)
			a->uid[0] = '\0';
		changed = 1;
	}
	if (!a->has_code_key) {
		memcpy(a->code_key, legacy_key, sizeof a->code_key);
		a->has_code_key = 1;
		changed = 1;
	}
	return changed;
}

struct factor *account_factor(struct account *a, uint32_t id)
{
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].id == id)
			return &a->f[i];
	return NULL;
}

struct factor *account_factor_add(struct account *a, int64_t now)
{
	struct factor *f;

	if (a->nf >= ACCT_MAX_FACTORS)
		return NULL;
	f = &a->f[a->nf++];
	memset(f, 0, sizeof *f);
	f->id = a->next_id++;
	f->created = now;
	f->digits = 6;
	f->period = 30;
	f->window = -1;
	return f;
}

void account_factor_del(struct account *a, uint32_t id)
{
	for (unsigned i = 0; i < a->nf; i++) {
		if (a->f[i].id != id)
			continue;
		sodium_memzero(&a->f[i], sizeof a->f[i]);
		memmove(&a->f[i], &a->f[i + 1], (a->nf - i - 1) * sizeof a->f[0]);
		a->nf--;
		sodium_memzero(&a->f[a->nf], sizeof a->f[0]);
		return;
	}
}

unsigned account_active_count(const struct account *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->nf; i++)
		n += a->f[i].status == FS_ACTIVE;
	return n;
}

/* HMAC pads a key shorter than the hash's block with zero bytes, so K and
 * K||00 give the same codes: keys compare without their trailing zeros
 * (no key is longer than a block: OTP_MAX_KEY is SHA-1's and SHA-256's). */
static size_t hmac_key_len(const struct factor *f)
{
	size_t n = f->keylen;

	while (n && !f->key[n - 1])
		n--;
	return n;
}

int factor_same_otp_key(const struct factor *x, const struct factor *y)
{
	size_t n = hmac_key_len(x);

	return (x->type == F_TOTP || x->type == F_HOTP) && (y->type == F_TOTP || y->type == F_HOTP) &&
	       x->keylen && y->keylen && n == hmac_key_len(y) && sodium_memcmp(x->key, y->key, n) == 0;
}

const struct factor *account_otp_key_factor(const struct account *a, const struct factor *f)
{
	const struct factor *found = NULL;

	for (unsigned i = 0; i < a->nf; i++)   /* every key compared: no early exit */
		if (factor_same_otp_key(&a->f[i], f) && !found)
			found = &a->f[i];
	return found;
}

static const char *const type_names[] = { "totp", "hotp", "email", "sms", "webauthn" };

const char *factor_type_name(enum factor_type t)
{
	return (unsigned)t < 5 ? type_names[t] : "unknown";
}

int factor_type_parse(const char *s, enum factor_type *t)
{
	for (unsigned i = 0; i < 5; i++)
		if (!strcmp(s, type_names[i])) {
			*t = (enum factor_type)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

static const char *const channel_names[] = { "email", "sms" };
static const char *const purpose_names[] = { "login", "enroll", "confirm" };

const char *channel_name(enum channel c)
{
	return (unsigned)c < CH_COUNT ? channel_names[c] : "unknown";
}

int channel_parse(const char *s, enum channel *c)
{
	for (unsigned i = 0; i < CH_COUNT; i++)
		if (!strcmp(s, channel_names[i])) {
			*c = (enum channel)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

const char *purpose_name(enum purpose p)
{
	return (unsigned)p < P_COUNT ? purpose_names[p] : "unknown";
}

int purpose_parse(const char *s, enum purpose *p)
{
	for (unsigned i = 0; i < P_COUNT; i++)
		if (!strcmp(s, purpose_names[i])) {
			*p = (enum purpose)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

static const char *const wa_purpose_names[] = { "register", "login" };

const char *wa_purpose_name(enum wa_purpose p)
{
	return (unsigned)p < WA_PURPOSE_COUNT ? wa_purpose_names[p] : "unknown";
}

int wa_purpose_parse(const char *s, enum wa_purpose *p)
{
	for (unsigned i = 0; i < WA_PURPOSE_COUNT; i++)
		if (!strcmp(s, wa_purpose_names[i])) {
			*p = (enum wa_purpose)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

struct factor *account_channel_factor(struct account *a, enum channel c, enum factor_status st)
{
	enum factor_type t = c == CH_EMAIL ? F_EMAIL : F_SMS;

	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].type == t && a->f[i].status == st)
			return &a->f[i];
	return NULL;
}

int record_check(const struct account *a)
{
	struct account *b = malloc(sizeof *b);
	char *json = NULL;
	size_t len = 0;
	int ret;

	if (!b)
		return CORE_ENOMEM;
	ret = record_to_json(a, &json, &len);
	if (ret == CORE_OK)
		ret = record_from_json(json, len, b) == CORE_OK ? CORE_OK : CORE_ERANGE;
	if (json) {
		sodium_memzero(json, len);
		free(json);
	}
	sodium_memzero(b, sizeof *b);
	free(b);
	return ret;
}
