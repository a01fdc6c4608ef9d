/* SPDX-License-Identifier: ISC */
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

/* ---- writing ---- */

static int add(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return -1;
	return json_object_object_add(o, k, v);
}

static int add_str(json_object *o, const char *k, const char *v)
{
	if (!v[0])
		return 0;
	return add(o, k, json_object_new_string(v));
}

static void wipe_string_obj(json_object *s)
{
	if (s && json_object_is_type(s, json_type_string)) {
		char *p = (char *)json_object_get_string(s);
		sodium_memzero(p, (size_t)json_object_get_string_len(s));
	}
}

static int wl_to_json(json_object *root, const struct wl_entry *wl, unsigned n)
{
	json_object *arr = json_object_new_array();

	if (add(root, "whitelist", arr))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char net[64];

		cidr_format(&wl[i].net, net);
		if (json_object_array_add(arr, o) ||
		    add(o, "net", json_object_new_string(net)) ||
		    add(o, "created", json_object_new_int64(wl[i].created)) ||
		    add(o, "expires", json_object_new_int64(wl[i].expires)) ||
		    add_str(o, "note", wl[i].note))
			return -1;
	}
	return 0;
}

static int extras_to_json(json_object *root, const struct account *a)
{
	json_object *tr = json_object_new_array(), *pl;

	if (wl_to_json(root, a->wl, a->nwl) || add(root, "trusted", tr) ||
	    add(root, "next_trust_id", json_object_new_int64(a->next_trust_id)))
		return -1;
	for (unsigned i = 0; i < a->ntr; i++) {
		json_object *o = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->tr[i].hash, CODE_HASH_BYTES);
		if (json_object_array_add(tr, o) ||
		    add(o, "id", json_object_new_int64(a->tr[i].id)) ||
		    add(o, "hash", json_object_new_string(hex)) ||
		    add_str(o, "label", a->tr[i].label) ||
		    add(o, "created", json_object_new_int64(a->tr[i].created)) ||
		    add(o, "expires", json_object_new_int64(a->tr[i].expires)) ||
		    add(o, "last_used", json_object_new_int64(a->tr[i].last_used)))
			return -1;
	}
	pl = json_object_new_array();
	if (add(root, "logins", pl))
		return -1;
	for (unsigned i = 0; i < a->npl; i++) {
		json_object *o = json_object_new_object();

		if (json_object_array_add(pl, o) ||
		    add(o, "opened", json_object_new_int64(a->pl[i].opened)) ||
		    add(o, "warned", json_object_new_boolean(a->pl[i].warned)) ||
		    (a->pl[i].claimed && add(o, "claimed", json_object_new_int64(a->pl[i].claimed))))
			return -1;
		if (a->pl[i].has_ip) {
			struct cidr c;
			char ip[64], *slash;

			memcpy(c.addr, a->pl[i].ip, 16);
			c.prefix = 128;
			cidr_format(&c, ip);
			slash = strchr(ip, '/');
			if (slash)
				*slash = '\0';
			if (add(o, "ip", json_object_new_string(ip)))
				return -1;
		}
	}
	if (a->pwhash[0] && add(root, "password", json_object_new_string(a->pwhash)))
		return -1;
	if ((a->lk_pw.failures || a->lk_pw.last_failure || a->lk_pw.locked_until) &&
	    (add(root, "pw_failures", json_object_new_int64(a->lk_pw.failures)) ||
	     add(root, "pw_last_failure", json_object_new_int64(a->lk_pw.last_failure)) ||
	     add(root, "pw_locked_until", json_object_new_int64(a->lk_pw.locked_until))))
		return -1;
	if (a->password_off && add(root, "password_login", json_object_new_boolean(0)))
		return -1;
	if (a->must_enrol && add(root, "must_enrol", json_object_new_boolean(1)))
		return -1;
	if (a->twofa != SW_INHERIT && add(root, "2fa", json_object_new_string(switch_name(a->twofa))))
		return -1;
	if (a->reset_sent && add(root, "reset_sent", json_object_new_int64(a->reset_sent)))
		return -1;
	if (a->email_reset_off && add(root, "email_reset", json_object_new_boolean(0)))
		return -1;
	if (a->reset_expires) {
		json_object *r = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->reset_hash, CODE_HASH_BYTES);
		if (add(root, "reset", r) || add(r, "hash", json_object_new_string(hex)) ||
		    add(r, "expires", json_object_new_int64(a->reset_expires)))
			return -1;
	}
	if (a->noidc) {
		json_object *arr = json_object_new_array();

		if (add(root, "oidc", arr))
			return -1;
		for (unsigned i = 0; i < a->noidc; i++) {
			json_object *o = json_object_new_object();

			if (json_object_array_add(arr, o) ||
			    add(o, "issuer", json_object_new_string(a->oidc[i].issuer)) ||
			    add(o, "subject", json_object_new_string(a->oidc[i].subject)))
				return -1;
		}
	}
	if (a->moved_to[0] && add(root, "moved_to", json_object_new_string(a->moved_to)))
		return -1;
	if (a->act_expires) {
		json_object *r = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->act_hash, CODE_HASH_BYTES);
		if (add(root, "activate", r) || add(r, "hash", json_object_new_string(hex)) ||
		    add(r, "expires", json_object_new_int64(a->act_expires)) ||
		    add(r, "factor", json_object_new_int64(a->act_factor)))
			return -1;
	}
	if (a->rate_n) {
		json_object *rl = json_object_new_object(), *times = json_object_new_array();

		if (add(root, "rate_limit", rl) || add(rl, "n", json_object_new_int64(a->rate_n)) ||
		    add(rl, "secs", json_object_new_int64(a->rate_secs)) || add(rl, "times", times))
			return -1;
		for (unsigned i = 0; i < a->nrate; i++)
			if (json_object_array_add(times, json_object_new_int64(a->rate_times[i])))
				return -1;
	}
	return 0;
}

/* "webauthn": {"user": hex, "challenges": [{"purpose", "hash", "expires"}]} */
static int wa_to_json(json_object *root, const struct account *a)
{
	json_object *w, *arr;
	char hex[2 * WA_USER_HANDLE_BYTES + 1];

	if (!a->has_wa_user && !a->nwa_ch)
		return 0;
	w = json_object_new_object();
	if (add(root, "webauthn", w))
		return -1;
	if (a->has_wa_user) {
		sodium_bin2hex(hex, sizeof hex, a->wa_user, sizeof a->wa_user);
		if (add(w, "user", json_object_new_string(hex)))
			return -1;
	}
	arr = json_object_new_array();
	if (add(w, "challenges", arr))
		return -1;
	for (unsigned i = 0; i < a->nwa_ch; i++) {
		json_object *o = json_object_new_object();

		sodium_bin2hex(hex, sizeof hex, a->wa_ch[i].hash, sizeof a->wa_ch[i].hash);
		if (json_object_array_add(arr, o) ||
		    add(o, "purpose", json_object_new_string(wa_purpose_name(a->wa_ch[i].purpose))) ||
		    add(o, "hash", json_object_new_string(hex)) ||
		    add(o, "expires", json_object_new_int64(a->wa_ch[i].expires)))
			return -1;
	}
	return 0;
}

static json_object *factor_json(const struct factor *f, int *err)
{
	json_object *o = json_object_new_object();
	char hex[2 * OTP_MAX_KEY + 1];

	if (!o)
		goto fail;
	sodium_bin2hex(hex, sizeof hex, f->key, f->keylen);
	if (add(o, "id", json_object_new_int64(f->id)) ||
	    add(o, "type", json_object_new_string(factor_type_name(f->type))) ||
	    add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending")) ||
	    add_str(o, "label", f->label) ||
	    add(o, "created", json_object_new_int64(f->created)))
		goto fail;
	if (f->type == F_TOTP || f->type == F_HOTP) {
		if (add(o, "algo", json_object_new_string(otp_algo_name(f->algo))) ||
		    add(o, "digits", json_object_new_int64(f->digits)) ||
		    add(o, "key", json_object_new_string(hex)))
			goto fail;
	}
	if (f->type == F_TOTP && add(o, "period", json_object_new_int64(f->period)))
		goto fail;
	if (f->type == F_HOTP && add(o, "counter", json_object_new_uint64(f->counter)))
		goto fail;
	if (f->has_step && add(o, "last_step", json_object_new_uint64(f->last_step)))
		goto fail;
	if (f->drift && add(o, "drift", json_object_new_int64(f->drift)))
		goto fail;
	if (f->confirmed && add(o, "confirmed", json_object_new_int64(f->confirmed)))
		goto fail;
	if (f->window >= 0 && add(o, "window", json_object_new_int64(f->window)))
		goto fail;
	if (f->type == F_WEBAUTHN) {
		char h1[2 * WA_CRED_MAX + 1], h2[2 * WA_PUB_MAX + 1];

		sodium_bin2hex(h1, sizeof h1, f->cred, f->credlen);
		sodium_bin2hex(h2, sizeof h2, f->pub, f->publen);
		if (add(o, "cred", json_object_new_string(h1)) || add(o, "pub", json_object_new_string(h2)) ||
		    add(o, "cose", json_object_new_int64(f->cose)) ||
		    add(o, "sign_count", json_object_new_int64(f->sign_count)))
			goto fail;
	}
	if (f->last_used && add(o, "last_used", json_object_new_int64(f->last_used)))
		goto fail;
	sodium_memzero(hex, sizeof hex);
	return o;
fail:
	sodium_memzero(hex, sizeof hex);
	if (o) {
		json_object *k = NULL;

		if (json_object_object_get_ex(o, "key", &k))
			wipe_string_obj(k);
		json_object_put(o);
	}
	*err = 1;
	return NULL;
}

static void wipe_keys(json_object *root)
{
	json_object *fs = NULL, *ck = NULL;

	if (root && json_object_object_get_ex(root, "code_key", &ck))
		wipe_string_obj(ck);
	if (!root || !json_object_object_get_ex(root, "factors", &fs) ||
	    !json_object_is_type(fs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		json_object *k = NULL;

		if (json_object_object_get_ex(json_object_array_get_idx(fs, i), "key", &k))
			wipe_string_obj(k);
	}
}

static int get_i64(json_object *o, const char *k, int64_t *dst, int64_t lo, int64_t hi);

/* The plain text of root in a malloc'd copy; json-c's own buffer is wiped. */
static int finish_json(json_object *root, char **out, size_t *outlen)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &n);

	*out = NULL;
	if (!s)
		return CORE_ENOMEM;
	*out = malloc(n + 1);
	if (*out) {
		memcpy(*out, s, n + 1);
		*outlen = n;
	}
	sodium_memzero((char *)s, n);
	return *out ? CORE_OK : CORE_ENOMEM;
}

/* A strict parse of exactly one JSON object whose "v" is a version this
 * twofactl reads; NULL otherwise. */
static json_object *parse_record(const char *json, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = NULL;
	int64_t v;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, json, (int)len);
	if (root && (json_tokener_get_error(tok) != json_tokener_success ||
	             json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_object) ||
	             get_i64(root, "v", &v, 1, RECORD_VERSION) || v < 1)) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int record_to_json(const struct account *a, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object(), *fs = NULL, *bs = NULL;
	int err = 0, ret = CORE_ENOMEM;

	*out = NULL;
	if (!root)
		return CORE_ENOMEM;
	if (a->has_code_key) {
		char hex[2 * ACCT_CODE_KEY + 1];
		int bad;

		sodium_bin2hex(hex, sizeof hex, a->code_key, sizeof a->code_key);
		bad = add(root, "code_key", json_object_new_string(hex));
		sodium_memzero(hex, sizeof hex);
		if (bad)
			goto out;
	}
	if (add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    add_str(root, "uid", a->uid) ||
	    add(root, "name", json_object_new_string(a->name)) ||
	    add_str(root, "email", a->email) || add_str(root, "phone", a->phone) ||
	    add_str(root, "org", a->org) || add_str(root, "lang", a->lang) ||
	    add(root, "service", json_object_new_boolean(a->service)) ||
	    add(root, "created", json_object_new_int64(a->created)) ||
	    add(root, "next_id", json_object_new_int64(a->next_id)) ||
	    add(root, "failures", json_object_new_int64(a->lk_codes.failures)) ||
	    add(root, "last_failure", json_object_new_int64(a->lk_codes.last_failure)) ||
	    add(root, "locked_until", json_object_new_int64(a->lk_codes.locked_until)) ||
	    add(root, "verified", json_object_new_uint64(a->verified)) ||
	    add(root, "backup_issued", json_object_new_int64(a->backup_issued)) ||
	    (a->sent_epoch && add(root, "sent_epoch", json_object_new_int64(a->sent_epoch))))
		goto out;
	fs = json_object_new_array();
	if (add(root, "factors", fs))
		goto out;
	for (unsigned i = 0; i < a->nf; i++) {
		json_object *f = factor_json(&a->f[i], &err);

		if (err || json_object_array_add(fs, f)) {
			json_object_put(f);
			goto out;
		}
	}
	bs = json_object_new_array();
	if (add(root, "backup", bs))
		goto out;
	for (unsigned i = 0; i < a->nbackup; i++) {
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->backup[i], CODE_HASH_BYTES);
		if (json_object_array_add(bs, json_object_new_string(hex)))
			goto out;
	}
	if (a->nbackup_used) {
		bs = json_object_new_array();
		if (add(root, "backup_used", bs))
			goto out;
		for (unsigned i = 0; i < a->nbackup_used; i++) {
			char hex[2 * CODE_HASH_BYTES + 1];

			sodium_bin2hex(hex, sizeof hex, a->backup_used[i], CODE_HASH_BYTES);
			if (json_object_array_add(bs, json_object_new_string(hex)))
				goto out;
		}
	}
	{
		json_object *ch = json_object_new_object();

		if (add(root, "channels", ch))
			goto out;
		for (unsigned c = 0; c < CH_COUNT; c++) {
			const struct otc *o = &a->otc[c];
			json_object *co = json_object_new_object();
			char hex[2 * CODE_HASH_BYTES + 1];

			int64_t newest = 0;
			json_object *by = json_object_new_object();

			/* "last_sent" is the newest of the purposes' (what a version
			 * with one resend slot per channel reads) */
			for (unsigned p = 0; p < P_COUNT; p++) {
				if (a->last_sent[c][p] > newest)
					newest = a->last_sent[c][p];
				if (a->last_sent[c][p] &&
				    add(by, purpose_name((enum purpose)p), json_object_new_int64(a->last_sent[c][p]))) {
					json_object_put(co);
					json_object_put(by);
					goto out;
				}
			}
			if (add(ch, channel_name((enum channel)c), co) ||
			    add(co, "last_sent", json_object_new_int64(newest)) ||
			    add(co, "last_sent_by", by))
				goto out;
			if (!o->active)
				continue;
			sodium_bin2hex(hex, sizeof hex, o->hash, CODE_HASH_BYTES);
			if (add(co, "purpose", json_object_new_string(purpose_name(o->purpose))) ||
			    add(co, "hash", json_object_new_string(hex)) ||
			    add(co, "session", json_object_new_string(o->session)) ||
			    add(co, "created", json_object_new_int64(o->created)) ||
			    add(co, "expires", json_object_new_int64(o->expires)) ||
			    add(co, "attempts", json_object_new_int64(o->attempts)))
				goto out;
		}
	}
	if (extras_to_json(root, a) || wa_to_json(root, a))
		goto out;
	ret = finish_json(root, out, outlen);
out:
	wipe_keys(root);
	json_object_put(root);
	return ret;
}

/* ---- reading ---- */

static json_object *get(json_object *o, const char *k, json_type t)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static int get_str(json_object *o, const char *k, char *dst, size_t cap, int required)
{
	json_object *v = get(o, k, json_type_string);

	if (!v) {
		dst[0] = '\0';
		return required ? CORE_EFORMAT : CORE_OK;
	}
	if ((size_t)json_object_get_string_len(v) >= cap)
		return CORE_EFORMAT;
	return core_strlcpy(dst, json_object_get_string(v), cap) ? CORE_EFORMAT : CORE_OK;
}

static int get_i64(json_object *o, const char *k, int64_t *dst, int64_t lo, int64_t hi)
{
	json_object *v = get(o, k, json_type_int);

	*dst = 0;
	if (!v)   /* absent reads as 0, where 0 is allowed: a field whose range excludes 0 is required */
		return lo <= 0 && 0 <= hi ? CORE_OK : CORE_EFORMAT;
	*dst = json_object_get_int64(v);
	return (*dst < lo || *dst > hi) ? CORE_EFORMAT : CORE_OK;
}

static int get_u64(json_object *o, const char *k, uint64_t *dst, int *present)
{
	json_object *v = get(o, k, json_type_int);

	*dst = 0;
	if (present)
		*present = v != NULL;
	if (!v)
		return CORE_OK;
	if (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0)
		return CORE_EFORMAT;
	*dst = json_object_get_uint64(v);
	return CORE_OK;
}

#define TMAX RECORD_TIME_MAX

static int factor_from(json_object *o, struct factor *f)
{
	char buf[2 * OTP_MAX_KEY + 1];
	int64_t v;
	int ret = CORE_EFORMAT;

	memset(f, 0, sizeof *f);
	if (!json_object_is_type(o, json_type_object))
		return CORE_EFORMAT;
	if (get_i64(o, "id", &v, 1, UINT32_MAX))
		return CORE_EFORMAT;
	f->id = (uint32_t)v;
	f->window = -1;
	if (get_str(o, "type", buf, sizeof buf, 1) || factor_type_parse(buf, &f->type))
		return CORE_EFORMAT;
	if (get_str(o, "status", buf, sizeof buf, 1))
		return CORE_EFORMAT;
	if (!strcmp(buf, "active"))
		f->status = FS_ACTIVE;
	else if (!strcmp(buf, "pending"))
		f->status = FS_PENDING;
	else
		return CORE_EFORMAT;
	if (get_str(o, "label", f->label, sizeof f->label, 0) ||
	    get_i64(o, "created", &f->created, 0, TMAX) ||
	    get_i64(o, "confirmed", &f->confirmed, 0, TMAX) ||
	    get_i64(o, "last_used", &f->last_used, 0, TMAX) ||
	    get_i64(o, "drift", &f->drift, -1000000, 1000000) ||
	    get_u64(o, "last_step", &f->last_step, &f->has_step) ||
	    get_u64(o, "counter", &f->counter, NULL))
		return CORE_EFORMAT;
	{
		json_object *w = get(o, "window", json_type_int);

		f->window = w ? (int)json_object_get_int64(w) : -1;
		if (f->window < -1 || f->window > 100)
			return CORE_EFORMAT;
	}
	if (f->type == F_WEBAUTHN) {
		/* records written before challenges also hold "seen", the hashes
		 * of accepted assertions: no longer needed, and ignored */
		char h1[2 * WA_CRED_MAX + 1], h2[2 * WA_PUB_MAX + 1];

		if (get_str(o, "cred", h1, sizeof h1, 1) || get_str(o, "pub", h2, sizeof h2, 1) ||
		    sodium_hex2bin(f->cred, sizeof f->cred, h1, strlen(h1), NULL, &f->credlen, NULL) ||
		    sodium_hex2bin(f->pub, sizeof f->pub, h2, strlen(h2), NULL, &f->publen, NULL) ||
		    !f->credlen || !f->publen || get_i64(o, "cose", &v, -65536, 0))
			return CORE_EFORMAT;
		f->cose = (int)v;
		if (get_i64(o, "sign_count", &v, 0, UINT32_MAX))
			return CORE_EFORMAT;
		f->sign_count = (uint32_t)v;
	}
	if (f->type == F_TOTP || f->type == F_HOTP) {
		size_t klen = 0;

		if (get_str(o, "algo", buf, sizeof buf, 1) || otp_algo_parse(buf, &f->algo))
			return CORE_EFORMAT;
		if (get_i64(o, "digits", &v, 6, 8) || v == 0)
			return CORE_EFORMAT;
		f->digits = (unsigned)v;
		if (f->type == F_TOTP) {
			if (get_i64(o, "period", &v, 1, 3600) || v == 0)
				return CORE_EFORMAT;
			f->period = (unsigned)v;
		}
		if (get_str(o, "key", buf, sizeof buf, 1))
			goto out;
		if (sodium_hex2bin(f->key, sizeof f->key, buf, strlen(buf), NULL, &klen, NULL) ||
		    klen < 10)
			goto out;
		f->keylen = klen;
	}
	ret = CORE_OK;
out:
	sodium_memzero(buf, sizeof buf);
	return ret;
}

static int wl_from(json_object *root, struct wl_entry *wl, unsigned *n)
{
	json_object *arr = get(root, "whitelist", json_type_array);

	*n = 0;
	if (!arr)
		return CORE_OK;
	if (json_object_array_length(arr) > ACCT_MAX_WHITELIST)
		return CORE_EFORMAT;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		char net[64];

		if (!json_object_is_type(o, json_type_object) ||
		    get_str(o, "net", net, sizeof net, 1) || cidr_parse(net, &wl[i].net) ||
		    get_i64(o, "created", &wl[i].created, 0, TMAX) ||
		    get_i64(o, "expires", &wl[i].expires, 0, TMAX) ||
		    get_str(o, "note", wl[i].note, sizeof wl[i].note, 0))
			return CORE_EFORMAT;
		(*n)++;
	}
	return CORE_OK;
}

static int extras_from(json_object *root, struct account *a)
{
	json_object *arr;
	int64_t v;

	if (wl_from(root, a->wl, &a->nwl) || get_i64(root, "next_trust_id", &v, 0, UINT32_MAX))
		return CORE_EFORMAT;
	a->next_trust_id = (uint32_t)v;
	if ((arr = get(root, "trusted", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_TRUST)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i);
			struct trusted *t = &a->tr[i];
			char hex[2 * CODE_HASH_BYTES + 1];
			size_t hl = 0;

			if (!json_object_is_type(o, json_type_object) ||
			    get_i64(o, "id", &v, 1, UINT32_MAX) ||
			    get_str(o, "hash", hex, sizeof hex, 1) ||
			    sodium_hex2bin(t->hash, sizeof t->hash, hex, strlen(hex), NULL, &hl, NULL) ||
			    hl != CODE_HASH_BYTES ||
			    get_str(o, "label", t->label, sizeof t->label, 0) ||
			    get_i64(o, "created", &t->created, 0, TMAX) ||
			    get_i64(o, "expires", &t->expires, 0, TMAX) ||
			    get_i64(o, "last_used", &t->last_used, 0, TMAX))
				return CORE_EFORMAT;
			t->id = (uint32_t)v;
			a->ntr++;
		}
	}
	if ((arr = get(root, "logins", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_LOGINS)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i), *w;
			struct pending_login *l = &a->pl[i];
			char ip[64];

			if (!json_object_is_type(o, json_type_object) ||
			    get_i64(o, "opened", &l->opened, 0, TMAX) ||
			    get_i64(o, "claimed", &l->claimed, 0, TMAX) ||
			    get_str(o, "ip", ip, sizeof ip, 0))
				return CORE_EFORMAT;
			if (ip[0]) {
				if (ip_parse(ip, l->ip))
					return CORE_EFORMAT;
				l->has_ip = 1;
			}
			w = get(o, "warned", json_type_boolean);
			l->warned = w ? json_object_get_boolean(w) : 0;
			a->npl++;
		}
	}
	if (get_str(root, "password", a->pwhash, sizeof a->pwhash, 0) ||
	    get_str(root, "moved_to", a->moved_to, sizeof a->moved_to, 0) ||
	    get_i64(root, "reset_sent", &a->reset_sent, 0, TMAX))
		return CORE_EFORMAT;
	{
		json_object *b;

		if ((b = get(root, "password_login", json_type_boolean)))
			a->password_off = !json_object_get_boolean(b);
		if ((b = get(root, "email_reset", json_type_boolean)))
			a->email_reset_off = !json_object_get_boolean(b);
		if ((b = get(root, "must_enrol", json_type_boolean)))
			a->must_enrol = json_object_get_boolean(b);
	}
	{
		char sw[16];

		sw[0] = '\0';
		if (get_str(root, "2fa", sw, sizeof sw, 0) || (sw[0] && switch_parse(sw, &a->twofa)))
			return CORE_EFORMAT;
	}
	if ((arr = get(root, "reset", json_type_object))) {
		char hex[2 * CODE_HASH_BYTES + 1];
		size_t hl = 0;

		if (get_str(arr, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->reset_hash, sizeof a->reset_hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES || get_i64(arr, "expires", &a->reset_expires, 1, TMAX))
			return CORE_EFORMAT;
	}
	if ((arr = get(root, "activate", json_type_object))) {
		char hex[2 * CODE_HASH_BYTES + 1];
		size_t hl = 0;
		int64_t fid;

		if (get_str(arr, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->act_hash, sizeof a->act_hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES || get_i64(arr, "expires", &a->act_expires, 1, TMAX) ||
		    get_i64(arr, "factor", &fid, 1, UINT32_MAX))
			return CORE_EFORMAT;
		a->act_factor = (uint32_t)fid;
	}
	if ((arr = get(root, "oidc", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_OIDC)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i);

			if (!json_object_is_type(o, json_type_object) ||
			    get_str(o, "issuer", a->oidc[i].issuer, sizeof a->oidc[i].issuer, 1) ||
			    get_str(o, "subject", a->oidc[i].subject, sizeof a->oidc[i].subject, 1))
				return CORE_EFORMAT;
			a->noidc++;
		}
	}
	if ((arr = get(root, "rate_limit", json_type_object))) {
		json_object *times = get(arr, "times", json_type_array);

		int64_t rn, rs;

		if (get_i64(arr, "n", &rn, 1, 16) || get_i64(arr, "secs", &rs, 1, 86400) || !times ||
		    json_object_array_length(times) > 16)
			return CORE_EFORMAT;
		a->rate_n = (unsigned)rn;
		a->rate_secs = (unsigned)rs;
		for (size_t i = 0; i < json_object_array_length(times); i++)
			a->rate_times[a->nrate++] = json_object_get_int64(json_object_array_get_idx(times, i));
	}
	return CORE_OK;
}

static int channels_from(json_object *root, struct account *a)
{
	json_object *ch = get(root, "channels", json_type_object);

	if (!ch)
		return CORE_OK;
	for (unsigned c = 0; c < CH_COUNT; c++) {
		json_object *co = get(ch, channel_name((enum channel)c), json_type_object);
		struct otc *o = &a->otc[c];
		char buf[2 * CODE_HASH_BYTES + 1];
		int64_t v;
		size_t hl = 0;

		if (!co)
			continue;
		if (get_i64(co, "last_sent", &v, 0, TMAX))
			return CORE_EFORMAT;
		{
			json_object *by = get(co, "last_sent_by", json_type_object);

			for (unsigned p = 0; p < P_COUNT; p++) {
				a->last_sent[c][p] = v;   /* a record with one slot per channel: it holds for each */
				if (by && get_i64(by, purpose_name((enum purpose)p), &a->last_sent[c][p], 0, TMAX))
					return CORE_EFORMAT;
			}
		}
		if (!get(co, "hash", json_type_string))
			continue;
		if (get_str(co, "purpose", buf, sizeof buf, 1) || purpose_parse(buf, &o->purpose) ||
		    get_str(co, "hash", buf, sizeof buf, 1) ||
		    sodium_hex2bin(o->hash, sizeof o->hash, buf, strlen(buf), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES ||
		    get_str(co, "session", o->session, sizeof o->session, 1) ||
		    get_i64(co, "created", &o->created, 0, TMAX) ||
		    get_i64(co, "expires", &o->expires, 0, TMAX) ||
		    get_i64(co, "attempts", &v, 0, 1000))
			return CORE_EFORMAT;
		o->attempts = (unsigned)v;
		o->active = 1;
	}
	return CORE_OK;
}

static int wa_from_json(json_object *root, struct account *a)
{
	json_object *w = get(root, "webauthn", json_type_object), *arr;
	char hex[2 * WA_USER_HANDLE_BYTES + 1], buf[16];
	size_t hl = 0;

	if (!w)
		return CORE_OK;
	if (get(w, "user", json_type_string)) {
		if (get_str(w, "user", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->wa_user, sizeof a->wa_user, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != sizeof a->wa_user)
			return CORE_EFORMAT;
		a->has_wa_user = 1;
	}
	if (!(arr = get(w, "challenges", json_type_array)) ||
	    json_object_array_length(arr) > ACCT_MAX_WA_CHALLENGES)
		return CORE_EFORMAT;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct wa_challenge *c = &a->wa_ch[i];

		if (!json_object_is_type(o, json_type_object) ||
		    get_str(o, "purpose", buf, sizeof buf, 1) || wa_purpose_parse(buf, &c->purpose) ||
		    get_str(o, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(c->hash, sizeof c->hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != sizeof c->hash || get_i64(o, "expires", &c->expires, 1, TMAX))
			return CORE_EFORMAT;
		a->nwa_ch++;
	}
	return CORE_OK;
}

int record_from_json(const char *json, size_t len, struct account *a)
{
	json_object *root, *arr;
	int64_t v;
	int ret = CORE_EFORMAT;

	memset(a, 0, sizeof *a);
	root = parse_record(json, len);
	if (!root || get_i64(root, "v", &v, 1, RECORD_VERSION))
		goto out;
	a->version = (int)v;
	if (get_str(root, "uid", a->uid, sizeof a->uid, 0) ||
	    get_str(root, "name", a->name, sizeof a->name, 1) || !account_name_valid(a->name) ||
	    get_str(root, "email", a->email, sizeof a->email, 0) ||
	    get_str(root, "phone", a->phone, sizeof a->phone, 0) ||
	    get_str(root, "org", a->org, sizeof a->org, 0) ||
	    get_str(root, "lang", a->lang, sizeof a->lang, 0) ||
	    get_i64(root, "created", &a->created, 0, TMAX) ||
	    get_i64(root, "last_failure", &a->lk_codes.last_failure, 0, TMAX) ||
	    get_i64(root, "locked_until", &a->lk_codes.locked_until, 0, TMAX) ||
	    get_i64(root, "pw_last_failure", &a->lk_pw.last_failure, 0, TMAX) ||
	    get_i64(root, "pw_locked_until", &a->lk_pw.locked_until, 0, TMAX) ||
	    get_u64(root, "verified", &a->verified, NULL) ||
	    get_i64(root, "backup_issued", &a->backup_issued, 0, TMAX))
		goto out;
	{
		json_object *b = get(root, "service", json_type_boolean);
		a->service = b ? json_object_get_boolean(b) : 0;
	}
	if (get_i64(root, "next_id", &v, 1, UINT32_MAX))
		goto out;
	a->next_id = (uint32_t)v;
	if (get_i64(root, "failures", &v, 0, 1000000))
		goto out;
	a->lk_codes.failures = (uint32_t)v;
	if (get_i64(root, "pw_failures", &v, 0, 1000000))
		goto out;
	a->lk_pw.failures = (uint32_t)v;
	if (get_i64(root, "sent_epoch", &v, 0, UINT32_MAX))
		goto out;
	a->sent_epoch = (uint32_t)v;
	arr = get(root, "factors", json_type_array);
	if (!arr || json_object_array_length(arr) > ACCT_MAX_FACTORS)
		goto out;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (factor_from(json_object_array_get_idx(arr, i), &a->f[i]) ||
		    a->f[i].id >= a->next_id)
			goto out;
		a->nf++;
	}
	arr = get(root, "backup", json_type_array);
	if (!arr || json_object_array_length(arr) > ACCT_MAX_BACKUP)
		goto out;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *h = json_object_array_get_idx(arr, i);
		size_t blen = 0;

		if (!json_object_is_type(h, json_type_string) ||
		    sodium_hex2bin(a->backup[i], CODE_HASH_BYTES, json_object_get_string(h),
		                   (size_t)json_object_get_string_len(h), NULL, &blen, NULL) ||
		    blen != CODE_HASH_BYTES)
			goto out;
		a->nbackup++;
	}
	if ((arr = get(root, "code_key", json_type_string))) {
		size_t kl = 0;

		if (sodium_hex2bin(a->code_key, sizeof a->code_key, json_object_get_string(arr),
		                   (size_t)json_object_get_string_len(arr), NULL, &kl, NULL) ||
		    kl != ACCT_CODE_KEY)
			goto out;
		a->has_code_key = 1;
	}
	if ((arr = get(root, "backup_used", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_BACKUP)
			goto out;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *h = json_object_array_get_idx(arr, i);
			size_t blen = 0;

			if (!json_object_is_type(h, json_type_string) ||
			    sodium_hex2bin(a->backup_used[i], CODE_HASH_BYTES, json_object_get_string(h),
			                   (size_t)json_object_get_string_len(h), NULL, &blen, NULL) ||
			    blen != CODE_HASH_BYTES)
				goto out;
			a->nbackup_used++;
		}
	}
	if ((ret = channels_from(root, a)) != CORE_OK || (ret = extras_from(root, a)) != CORE_OK ||
	    (ret = wa_from_json(root, a)) != CORE_OK)
		goto out;
	ret = CORE_OK;
out:
	wipe_keys(root);
	json_object_put(root);
	if (ret != CORE_OK)
		sodium_memzero(a, sizeof *a);
	return ret;
}

static const char *const policy_names[] = { "optional", "required", "off" };

const char *policy_name(enum policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : "unknown";
}

int policy_parse(const char *s, enum policy *p)
{
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, policy_names[i])) {
			*p = (enum policy)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

static const char *const switch_names[] = { "inherit", "required", "optional", "off" };

const char *switch_name(enum acct_switch sw)
{
	return (unsigned)sw < 4 ? switch_names[sw] : "unknown";
}

int switch_parse(const char *s, enum acct_switch *sw)
{
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, switch_names[i])) {
			*sw = (enum acct_switch)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

int org_to_json(const struct org *o, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	*out = NULL;
	if (!root)
		return CORE_ENOMEM;
	if (add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    add(root, "name", json_object_new_string(o->name)) ||
	    add(root, "policy", json_object_new_string(policy_name(o->policy))) ||
	    add(root, "created", json_object_new_int64(o->created)) ||
	    wl_to_json(root, o->wl, o->nwl))
		goto out;
	ret = finish_json(root, out, outlen);
out:
	json_object_put(root);
	return ret;
}

int org_from_json(const char *json, size_t len, struct org *o)
{
	json_object *root;
	char buf[32];
	int ret = CORE_EFORMAT;

	memset(o, 0, sizeof *o);
	root = parse_record(json, len);
	if (!root ||
	    get_str(root, "name", o->name, sizeof o->name, 1) ||
	    get_str(root, "policy", buf, sizeof buf, 1) || policy_parse(buf, &o->policy) ||
	    get_i64(root, "created", &o->created, 0, TMAX) ||
	    wl_from(root, o->wl, &o->nwl))
		goto out;
	ret = CORE_OK;
out:
	json_object_put(root);
	return ret;
}

static const char *const tstatus_names[] = { "pending", "approved", "denied" };

const char *tstatus_name(enum tstatus t)
{
	return (unsigned)t < 3 ? tstatus_names[t] : "unknown";
}

int tstatus_parse(const char *s, enum tstatus *t)
{
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, tstatus_names[i])) {
			*t = (enum tstatus)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

int ticket_id_valid(const char *id)
{
	if (strlen(id) != TICKET_ID_CHARS)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
			return 0;
	return 1;
}

int ticket_to_json(const struct ticket *t, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	*out = NULL;
	if (!root)
		return CORE_ENOMEM;
	if (add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    add(root, "id", json_object_new_string(t->id)) ||
	    add(root, "user", json_object_new_string(t->user)) ||
	    add_str(root, "uid", t->uid) ||
	    add(root, "reason", json_object_new_string(t->reason)) ||
	    add_str(root, "contact", t->contact) ||
	    add(root, "status", json_object_new_string(tstatus_name(t->status))) ||
	    add(root, "created", json_object_new_int64(t->created)) ||
	    add(root, "decided", json_object_new_int64(t->decided)) ||
	    add_str(root, "by", t->by) || add_str(root, "answer", t->answer))
		goto out;
	ret = finish_json(root, out, outlen);
out:
	json_object_put(root);
	return ret;
}

int ticket_from_json(const char *json, size_t len, struct ticket *t)
{
	json_object *root;
	char buf[16];
	int ret = CORE_EFORMAT;

	memset(t, 0, sizeof *t);
	root = parse_record(json, len);
	if (!root ||
	    get_str(root, "id", t->id, sizeof t->id, 1) || !ticket_id_valid(t->id) ||
	    get_str(root, "user", t->user, sizeof t->user, 1) ||
	    get_str(root, "uid", t->uid, sizeof t->uid, 0) ||
	    get_str(root, "reason", t->reason, sizeof t->reason, 1) ||
	    get_str(root, "contact", t->contact, sizeof t->contact, 0) ||
	    get_str(root, "status", buf, sizeof buf, 1) || tstatus_parse(buf, &t->status) ||
	    get_i64(root, "created", &t->created, 0, TMAX) ||
	    get_i64(root, "decided", &t->decided, 0, TMAX) ||
	    get_str(root, "by", t->by, sizeof t->by, 0) ||
	    get_str(root, "answer", t->answer, sizeof t->answer, 0))
		goto out;
	ret = CORE_OK;
out:
	json_object_put(root);
	return ret;
}

int oidc_valid(const struct oidc_id *id)
{
	if (!id->issuer[0] || !id->subject[0] || strncmp(id->issuer, "https://", 8))
		return 0;
	for (const char *p = id->issuer; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	for (const char *p = id->subject; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static size_t issuer_len(const char *issuer)
{
	size_t n = strlen(issuer);

	while (n > 8 && issuer[n - 1] == '/')   /* never into "https://" */
		n--;
	return n;
}

void oidc_normalize(struct oidc_id *id)
{
	id->issuer[issuer_len(id->issuer)] = '\0';
}

int oidc_same(const struct oidc_id *x, const struct oidc_id *y)
{
	size_t n = issuer_len(x->issuer);

	return n == issuer_len(y->issuer) && !memcmp(x->issuer, y->issuer, n) && !strcmp(x->subject, y->subject);
}

void oidc_key(const struct oidc_id *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s\n%s", id->issuer, id->subject);
}

int oidc_link_to_json(const struct oidc_link *l, char **out, size_t *outlen)
{
	json_object *root = json_object_new_object();
	int ret = CORE_ENOMEM;

	if (!root)
		return CORE_ENOMEM;
	if (!add(root, "v", json_object_new_int(RECORD_VERSION)) &&
	    !add(root, "issuer", json_object_new_string(l->id.issuer)) &&
	    !add(root, "subject", json_object_new_string(l->id.subject)) &&
	    !add(root, "user", json_object_new_string(l->user)) &&
	    !add_str(root, "uid", l->uid) &&
	    !add(root, "created", json_object_new_int64(l->created)))
		ret = finish_json(root, out, outlen);
	json_object_put(root);
	return ret;
}

int oidc_link_from_json(const char *json, size_t len, struct oidc_link *l)
{
	json_object *root = parse_record(json, len);
	int ret = CORE_EFORMAT;

	memset(l, 0, sizeof *l);
	if (root && !get_str(root, "issuer", l->id.issuer, sizeof l->id.issuer, 1) &&
	    !get_str(root, "subject", l->id.subject, sizeof l->id.subject, 1) &&
	    !get_str(root, "user", l->user, sizeof l->user, 1) && account_name_valid(l->user) &&
	    !get_str(root, "uid", l->uid, sizeof l->uid, 0) &&
	    !get_i64(root, "created", &l->created, 0, TMAX))
		ret = CORE_OK;
	json_object_put(root);
	return ret;
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
