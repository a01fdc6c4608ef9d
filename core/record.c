/* SPDX-License-Identifier: ISC */
#include "core/record.h"
#include "core/recjson.h"
#include "core/b32.h"

#include <json-c/json.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

int rec_add(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return -1;
	return json_object_object_add(o, k, v);
}

int rec_add_str(json_object *o, const char *k, const char *v)
{
	if (!v[0])
		return 0;
	return rec_add(o, k, json_object_new_string(v));
}

static void wipe_string_obj(json_object *s)
{
	if (s && json_object_is_type(s, json_type_string)) {
		char *p = (char *)json_object_get_string(s);
		sodium_memzero(p, (size_t)json_object_get_string_len(s));
	}
}

int rec_wl_to_json(json_object *root, const struct wl_entry *wl, unsigned n)
{
	json_object *arr = json_object_new_array();

	if (rec_add(root, "whitelist", arr))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char net[64];

		cidr_format(&wl[i].net, net);
		if (json_object_array_add(arr, o) ||
		    rec_add(o, "net", json_object_new_string(net)) ||
		    rec_add(o, "created", json_object_new_int64(wl[i].created)) ||
		    rec_add(o, "expires", json_object_new_int64(wl[i].expires)) ||
		    rec_add_str(o, "note", wl[i].note))
			return -1;
	}
	return 0;
}

static int extras_to_json(json_object *root, const struct account *a)
{
	json_object *tr = json_object_new_array(), *pl;

	if (rec_wl_to_json(root, a->wl, a->nwl) || rec_add(root, "trusted", tr) ||
	    rec_add(root, "next_trust_id", json_object_new_int64(a->next_trust_id)))
		return -1;
	for (unsigned i = 0; i < a->ntr; i++) {
		json_object *o = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->tr[i].hash, CODE_HASH_BYTES);
		if (json_object_array_add(tr, o) ||
		    rec_add(o, "id", json_object_new_int64(a->tr[i].id)) ||
		    rec_add(o, "hash", json_object_new_string(hex)) ||
		    rec_add_str(o, "label", a->tr[i].label) ||
		    rec_add(o, "created", json_object_new_int64(a->tr[i].created)) ||
		    rec_add(o, "expires", json_object_new_int64(a->tr[i].expires)) ||
		    rec_add(o, "last_used", json_object_new_int64(a->tr[i].last_used)))
			return -1;
	}
	pl = json_object_new_array();
	if (rec_add(root, "logins", pl))
		return -1;
	for (unsigned i = 0; i < a->npl; i++) {
		json_object *o = json_object_new_object();

		if (json_object_array_add(pl, o) ||
		    rec_add(o, "opened", json_object_new_int64(a->pl[i].opened)) ||
		    rec_add(o, "warned", json_object_new_boolean(a->pl[i].warned)) ||
		    (a->pl[i].claimed && rec_add(o, "claimed", json_object_new_int64(a->pl[i].claimed))))
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
			if (rec_add(o, "ip", json_object_new_string(ip)))
				return -1;
		}
	}
	if (a->pwhash[0] && rec_add(root, "password", json_object_new_string(a->pwhash)))
		return -1;
	if ((a->lk_pw.failures || a->lk_pw.last_failure || a->lk_pw.locked_until) &&
	    (rec_add(root, "pw_failures", json_object_new_int64(a->lk_pw.failures)) ||
	     rec_add(root, "pw_last_failure", json_object_new_int64(a->lk_pw.last_failure)) ||
	     rec_add(root, "pw_locked_until", json_object_new_int64(a->lk_pw.locked_until))))
		return -1;
	if (a->password_off && rec_add(root, "password_login", json_object_new_boolean(0)))
		return -1;
	if (a->must_enrol && rec_add(root, "must_enrol", json_object_new_boolean(1)))
		return -1;
	if (a->twofa != SW_INHERIT && rec_add(root, "2fa", json_object_new_string(switch_name(a->twofa))))
		return -1;
	if (a->reset_sent && rec_add(root, "reset_sent", json_object_new_int64(a->reset_sent)))
		return -1;
	if (a->email_reset_off && rec_add(root, "email_reset", json_object_new_boolean(0)))
		return -1;
	if (a->reset_expires) {
		json_object *r = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->reset_hash, CODE_HASH_BYTES);
		if (rec_add(root, "reset", r) || rec_add(r, "hash", json_object_new_string(hex)) ||
		    rec_add(r, "expires", json_object_new_int64(a->reset_expires)))
			return -1;
	}
	if (a->noidc) {
		json_object *arr = json_object_new_array();

		if (rec_add(root, "oidc", arr))
			return -1;
		for (unsigned i = 0; i < a->noidc; i++) {
			json_object *o = json_object_new_object();

			if (json_object_array_add(arr, o) ||
			    rec_add(o, "issuer", json_object_new_string(a->oidc[i].issuer)) ||
			    rec_add(o, "subject", json_object_new_string(a->oidc[i].subject)))
				return -1;
		}
	}
	if (a->moved_to[0] && rec_add(root, "moved_to", json_object_new_string(a->moved_to)))
		return -1;
	if (a->act_expires) {
		json_object *r = json_object_new_object();
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->act_hash, CODE_HASH_BYTES);
		if (rec_add(root, "activate", r) || rec_add(r, "hash", json_object_new_string(hex)) ||
		    rec_add(r, "expires", json_object_new_int64(a->act_expires)) ||
		    rec_add(r, "factor", json_object_new_int64(a->act_factor)))
			return -1;
	}
	if (a->rate_n) {
		json_object *rl = json_object_new_object(), *times = json_object_new_array();

		if (rec_add(root, "rate_limit", rl) || rec_add(rl, "n", json_object_new_int64(a->rate_n)) ||
		    rec_add(rl, "secs", json_object_new_int64(a->rate_secs)) || rec_add(rl, "times", times))
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
	if (rec_add(root, "webauthn", w))
		return -1;
	if (a->has_wa_user) {
		sodium_bin2hex(hex, sizeof hex, a->wa_user, sizeof a->wa_user);
		if (rec_add(w, "user", json_object_new_string(hex)))
			return -1;
	}
	arr = json_object_new_array();
	if (rec_add(w, "challenges", arr))
		return -1;
	for (unsigned i = 0; i < a->nwa_ch; i++) {
		json_object *o = json_object_new_object();

		sodium_bin2hex(hex, sizeof hex, a->wa_ch[i].hash, sizeof a->wa_ch[i].hash);
		if (json_object_array_add(arr, o) ||
		    rec_add(o, "purpose", json_object_new_string(wa_purpose_name(a->wa_ch[i].purpose))) ||
		    rec_add(o, "hash", json_object_new_string(hex)) ||
		    rec_add(o, "expires", json_object_new_int64(a->wa_ch[i].expires)))
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
	if (rec_add(o, "id", json_object_new_int64(f->id)) ||
	    rec_add(o, "type", json_object_new_string(factor_type_name(f->type))) ||
	    rec_add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending")) ||
	    rec_add_str(o, "label", f->label) ||
	    rec_add(o, "created", json_object_new_int64(f->created)))
		goto fail;
	if (f->type == F_TOTP || f->type == F_HOTP) {
		if (rec_add(o, "algo", json_object_new_string(otp_algo_name(f->algo))) ||
		    rec_add(o, "digits", json_object_new_int64(f->digits)) ||
		    rec_add(o, "key", json_object_new_string(hex)))
			goto fail;
	}
	if (f->type == F_TOTP && rec_add(o, "period", json_object_new_int64(f->period)))
		goto fail;
	if (f->type == F_HOTP && rec_add(o, "counter", json_object_new_uint64(f->counter)))
		goto fail;
	if (f->has_step && rec_add(o, "last_step", json_object_new_uint64(f->last_step)))
		goto fail;
	if (f->drift && rec_add(o, "drift", json_object_new_int64(f->drift)))
		goto fail;
	if (f->confirmed && rec_add(o, "confirmed", json_object_new_int64(f->confirmed)))
		goto fail;
	if (f->window >= 0 && rec_add(o, "window", json_object_new_int64(f->window)))
		goto fail;
	if (f->type == F_WEBAUTHN) {
		char h1[2 * WA_CRED_MAX + 1], h2[2 * WA_PUB_MAX + 1];

		sodium_bin2hex(h1, sizeof h1, f->cred, f->credlen);
		sodium_bin2hex(h2, sizeof h2, f->pub, f->publen);
		if (rec_add(o, "cred", json_object_new_string(h1)) || rec_add(o, "pub", json_object_new_string(h2)) ||
		    rec_add(o, "cose", json_object_new_int64(f->cose)) ||
		    rec_add(o, "sign_count", json_object_new_int64(f->sign_count)))
			goto fail;
	}
	if (f->last_used && rec_add(o, "last_used", json_object_new_int64(f->last_used)))
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


/* The plain text of root in a malloc'd copy; json-c's own buffer is wiped. */
int rec_finish_json(json_object *root, char **out, size_t *outlen)
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
json_object *rec_parse_record(const char *json, size_t len)
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
	             rec_get_i64(root, "v", &v, 1, RECORD_VERSION) || v < 1)) {
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
		bad = rec_add(root, "code_key", json_object_new_string(hex));
		sodium_memzero(hex, sizeof hex);
		if (bad)
			goto out;
	}
	if (rec_add(root, "v", json_object_new_int(RECORD_VERSION)) ||
	    rec_add_str(root, "uid", a->uid) ||
	    rec_add(root, "name", json_object_new_string(a->name)) ||
	    rec_add_str(root, "email", a->email) || rec_add_str(root, "phone", a->phone) ||
	    rec_add_str(root, "org", a->org) || rec_add_str(root, "lang", a->lang) ||
	    rec_add(root, "service", json_object_new_boolean(a->service)) ||
	    rec_add(root, "created", json_object_new_int64(a->created)) ||
	    rec_add(root, "next_id", json_object_new_int64(a->next_id)) ||
	    rec_add(root, "failures", json_object_new_int64(a->lk_codes.failures)) ||
	    rec_add(root, "last_failure", json_object_new_int64(a->lk_codes.last_failure)) ||
	    rec_add(root, "locked_until", json_object_new_int64(a->lk_codes.locked_until)) ||
	    rec_add(root, "verified", json_object_new_uint64(a->verified)) ||
	    rec_add(root, "backup_issued", json_object_new_int64(a->backup_issued)) ||
	    (a->sent_epoch && rec_add(root, "sent_epoch", json_object_new_int64(a->sent_epoch))))
		goto out;
	fs = json_object_new_array();
	if (rec_add(root, "factors", fs))
		goto out;
	for (unsigned i = 0; i < a->nf; i++) {
		json_object *f = factor_json(&a->f[i], &err);

		if (err || json_object_array_add(fs, f)) {
			json_object_put(f);
			goto out;
		}
	}
	bs = json_object_new_array();
	if (rec_add(root, "backup", bs))
		goto out;
	for (unsigned i = 0; i < a->nbackup; i++) {
		char hex[2 * CODE_HASH_BYTES + 1];

		sodium_bin2hex(hex, sizeof hex, a->backup[i], CODE_HASH_BYTES);
		if (json_object_array_add(bs, json_object_new_string(hex)))
			goto out;
	}
	if (a->nbackup_used) {
		bs = json_object_new_array();
		if (rec_add(root, "backup_used", bs))
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

		if (rec_add(root, "channels", ch))
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
				    rec_add(by, purpose_name((enum purpose)p), json_object_new_int64(a->last_sent[c][p]))) {
					json_object_put(co);
					json_object_put(by);
					goto out;
				}
			}
			if (rec_add(ch, channel_name((enum channel)c), co) ||
			    rec_add(co, "last_sent", json_object_new_int64(newest)) ||
			    rec_add(co, "last_sent_by", by))
				goto out;
			if (!o->active)
				continue;
			sodium_bin2hex(hex, sizeof hex, o->hash, CODE_HASH_BYTES);
			if (rec_add(co, "purpose", json_object_new_string(purpose_name(o->purpose))) ||
			    rec_add(co, "hash", json_object_new_string(hex)) ||
			    rec_add(co, "session", json_object_new_string(o->session)) ||
			    rec_add(co, "created", json_object_new_int64(o->created)) ||
			    rec_add(co, "expires", json_object_new_int64(o->expires)) ||
			    rec_add(co, "attempts", json_object_new_int64(o->attempts)))
				goto out;
		}
	}
	if (extras_to_json(root, a) || wa_to_json(root, a))
		goto out;
	ret = rec_finish_json(root, out, outlen);
out:
	wipe_keys(root);
	json_object_put(root);
	return ret;
}

/* ---- reading ---- */

json_object *rec_get(json_object *o, const char *k, json_type t)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

int rec_get_str(json_object *o, const char *k, char *dst, size_t cap, int required)
{
	json_object *v = rec_get(o, k, json_type_string);

	if (!v) {
		dst[0] = '\0';
		return required ? CORE_EFORMAT : CORE_OK;
	}
	if ((size_t)json_object_get_string_len(v) >= cap)
		return CORE_EFORMAT;
	return core_strlcpy(dst, json_object_get_string(v), cap) ? CORE_EFORMAT : CORE_OK;
}

int rec_get_i64(json_object *o, const char *k, int64_t *dst, int64_t lo, int64_t hi)
{
	json_object *v = rec_get(o, k, json_type_int);

	*dst = 0;
	if (!v)   /* absent reads as 0, where 0 is allowed: a field whose range excludes 0 is required */
		return lo <= 0 && 0 <= hi ? CORE_OK : CORE_EFORMAT;
	*dst = json_object_get_int64(v);
	return (*dst < lo || *dst > hi) ? CORE_EFORMAT : CORE_OK;
}

int rec_get_u64(json_object *o, const char *k, uint64_t *dst, int *present)
{
	json_object *v = rec_get(o, k, json_type_int);

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


static int factor_from(json_object *o, struct factor *f)
{
	char buf[2 * OTP_MAX_KEY + 1];
	int64_t v;
	int ret = CORE_EFORMAT;

	memset(f, 0, sizeof *f);
	if (!json_object_is_type(o, json_type_object))
		return CORE_EFORMAT;
	if (rec_get_i64(o, "id", &v, 1, UINT32_MAX))
		return CORE_EFORMAT;
	f->id = (uint32_t)v;
	f->window = -1;
	if (rec_get_str(o, "type", buf, sizeof buf, 1) || factor_type_parse(buf, &f->type))
		return CORE_EFORMAT;
	if (rec_get_str(o, "status", buf, sizeof buf, 1))
		return CORE_EFORMAT;
	if (!strcmp(buf, "active"))
		f->status = FS_ACTIVE;
	else if (!strcmp(buf, "pending"))
		f->status = FS_PENDING;
	else
		return CORE_EFORMAT;
	if (rec_get_str(o, "label", f->label, sizeof f->label, 0) ||
	    rec_get_i64(o, "created", &f->created, 0, TMAX) ||
	    rec_get_i64(o, "confirmed", &f->confirmed, 0, TMAX) ||
	    rec_get_i64(o, "last_used", &f->last_used, 0, TMAX) ||
	    rec_get_i64(o, "drift", &f->drift, -1000000, 1000000) ||
	    rec_get_u64(o, "last_step", &f->last_step, &f->has_step) ||
	    rec_get_u64(o, "counter", &f->counter, NULL))
		return CORE_EFORMAT;
	{
		json_object *w = rec_get(o, "window", json_type_int);

		f->window = w ? (int)json_object_get_int64(w) : -1;
		if (f->window < -1 || f->window > 100)
			return CORE_EFORMAT;
	}
	if (f->type == F_WEBAUTHN) {
		/* records written before challenges also hold "seen", the hashes
		 * of accepted assertions: no longer needed, and ignored */
		char h1[2 * WA_CRED_MAX + 1], h2[2 * WA_PUB_MAX + 1];

		if (rec_get_str(o, "cred", h1, sizeof h1, 1) || rec_get_str(o, "pub", h2, sizeof h2, 1) ||
		    sodium_hex2bin(f->cred, sizeof f->cred, h1, strlen(h1), NULL, &f->credlen, NULL) ||
		    sodium_hex2bin(f->pub, sizeof f->pub, h2, strlen(h2), NULL, &f->publen, NULL) ||
		    !f->credlen || !f->publen || rec_get_i64(o, "cose", &v, -65536, 0))
			return CORE_EFORMAT;
		f->cose = (int)v;
		if (rec_get_i64(o, "sign_count", &v, 0, UINT32_MAX))
			return CORE_EFORMAT;
		f->sign_count = (uint32_t)v;
	}
	if (f->type == F_TOTP || f->type == F_HOTP) {
		size_t klen = 0;

		if (rec_get_str(o, "algo", buf, sizeof buf, 1) || otp_algo_parse(buf, &f->algo))
			return CORE_EFORMAT;
		if (rec_get_i64(o, "digits", &v, 6, 8) || v == 0)
			return CORE_EFORMAT;
		f->digits = (unsigned)v;
		if (f->type == F_TOTP) {
			if (rec_get_i64(o, "period", &v, 1, 3600) || v == 0)
				return CORE_EFORMAT;
			f->period = (unsigned)v;
		}
		if (rec_get_str(o, "key", buf, sizeof buf, 1))
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

int rec_wl_from(json_object *root, struct wl_entry *wl, unsigned *n)
{
	json_object *arr = rec_get(root, "whitelist", json_type_array);

	*n = 0;
	if (!arr)
		return CORE_OK;
	if (json_object_array_length(arr) > ACCT_MAX_WHITELIST)
		return CORE_EFORMAT;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		char net[64];

		if (!json_object_is_type(o, json_type_object) ||
		    rec_get_str(o, "net", net, sizeof net, 1) || cidr_parse(net, &wl[i].net) ||
		    rec_get_i64(o, "created", &wl[i].created, 0, TMAX) ||
		    rec_get_i64(o, "expires", &wl[i].expires, 0, TMAX) ||
		    rec_get_str(o, "note", wl[i].note, sizeof wl[i].note, 0))
			return CORE_EFORMAT;
		(*n)++;
	}
	return CORE_OK;
}

static int extras_from(json_object *root, struct account *a)
{
	json_object *arr;
	int64_t v;

	if (rec_wl_from(root, a->wl, &a->nwl) || rec_get_i64(root, "next_trust_id", &v, 0, UINT32_MAX))
		return CORE_EFORMAT;
	a->next_trust_id = (uint32_t)v;
	if ((arr = rec_get(root, "trusted", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_TRUST)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i);
			struct trusted *t = &a->tr[i];
			char hex[2 * CODE_HASH_BYTES + 1];
			size_t hl = 0;

			if (!json_object_is_type(o, json_type_object) ||
			    rec_get_i64(o, "id", &v, 1, UINT32_MAX) ||
			    rec_get_str(o, "hash", hex, sizeof hex, 1) ||
			    sodium_hex2bin(t->hash, sizeof t->hash, hex, strlen(hex), NULL, &hl, NULL) ||
			    hl != CODE_HASH_BYTES ||
			    rec_get_str(o, "label", t->label, sizeof t->label, 0) ||
			    rec_get_i64(o, "created", &t->created, 0, TMAX) ||
			    rec_get_i64(o, "expires", &t->expires, 0, TMAX) ||
			    rec_get_i64(o, "last_used", &t->last_used, 0, TMAX))
				return CORE_EFORMAT;
			t->id = (uint32_t)v;
			a->ntr++;
		}
	}
	if ((arr = rec_get(root, "logins", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_LOGINS)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i), *w;
			struct pending_login *l = &a->pl[i];
			char ip[64];

			if (!json_object_is_type(o, json_type_object) ||
			    rec_get_i64(o, "opened", &l->opened, 0, TMAX) ||
			    rec_get_i64(o, "claimed", &l->claimed, 0, TMAX) ||
			    rec_get_str(o, "ip", ip, sizeof ip, 0))
				return CORE_EFORMAT;
			if (ip[0]) {
				if (ip_parse(ip, l->ip))
					return CORE_EFORMAT;
				l->has_ip = 1;
			}
			w = rec_get(o, "warned", json_type_boolean);
			l->warned = w ? json_object_get_boolean(w) : 0;
			a->npl++;
		}
	}
	if (rec_get_str(root, "password", a->pwhash, sizeof a->pwhash, 0) ||
	    rec_get_str(root, "moved_to", a->moved_to, sizeof a->moved_to, 0) ||
	    rec_get_i64(root, "reset_sent", &a->reset_sent, 0, TMAX))
		return CORE_EFORMAT;
	{
		json_object *b;

		if ((b = rec_get(root, "password_login", json_type_boolean)))
			a->password_off = !json_object_get_boolean(b);
		if ((b = rec_get(root, "email_reset", json_type_boolean)))
			a->email_reset_off = !json_object_get_boolean(b);
		if ((b = rec_get(root, "must_enrol", json_type_boolean)))
			a->must_enrol = json_object_get_boolean(b);
	}
	{
		char sw[16];

		sw[0] = '\0';
		if (rec_get_str(root, "2fa", sw, sizeof sw, 0) || (sw[0] && switch_parse(sw, &a->twofa)))
			return CORE_EFORMAT;
	}
	if ((arr = rec_get(root, "reset", json_type_object))) {
		char hex[2 * CODE_HASH_BYTES + 1];
		size_t hl = 0;

		if (rec_get_str(arr, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->reset_hash, sizeof a->reset_hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES || rec_get_i64(arr, "expires", &a->reset_expires, 1, TMAX))
			return CORE_EFORMAT;
	}
	if ((arr = rec_get(root, "activate", json_type_object))) {
		char hex[2 * CODE_HASH_BYTES + 1];
		size_t hl = 0;
		int64_t fid;

		if (rec_get_str(arr, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->act_hash, sizeof a->act_hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES || rec_get_i64(arr, "expires", &a->act_expires, 1, TMAX) ||
		    rec_get_i64(arr, "factor", &fid, 1, UINT32_MAX))
			return CORE_EFORMAT;
		a->act_factor = (uint32_t)fid;
	}
	if ((arr = rec_get(root, "oidc", json_type_array))) {
		if (json_object_array_length(arr) > ACCT_MAX_OIDC)
			return CORE_EFORMAT;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i);

			if (!json_object_is_type(o, json_type_object) ||
			    rec_get_str(o, "issuer", a->oidc[i].issuer, sizeof a->oidc[i].issuer, 1) ||
			    rec_get_str(o, "subject", a->oidc[i].subject, sizeof a->oidc[i].subject, 1))
				return CORE_EFORMAT;
			a->noidc++;
		}
	}
	if ((arr = rec_get(root, "rate_limit", json_type_object))) {
		json_object *times = rec_get(arr, "times", json_type_array);

		int64_t rn, rs;

		if (rec_get_i64(arr, "n", &rn, 1, 16) || rec_get_i64(arr, "secs", &rs, 1, 86400) || !times ||
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
	json_object *ch = rec_get(root, "channels", json_type_object);

	if (!ch)
		return CORE_OK;
	for (unsigned c = 0; c < CH_COUNT; c++) {
		json_object *co = rec_get(ch, channel_name((enum channel)c), json_type_object);
		struct otc *o = &a->otc[c];
		char buf[2 * CODE_HASH_BYTES + 1];
		int64_t v;
		size_t hl = 0;

		if (!co)
			continue;
		if (rec_get_i64(co, "last_sent", &v, 0, TMAX))
			return CORE_EFORMAT;
		{
			json_object *by = rec_get(co, "last_sent_by", json_type_object);

			for (unsigned p = 0; p < P_COUNT; p++) {
				a->last_sent[c][p] = v;   /* a record with one slot per channel: it holds for each */
				if (by && rec_get_i64(by, purpose_name((enum purpose)p), &a->last_sent[c][p], 0, TMAX))
					return CORE_EFORMAT;
			}
		}
		if (!rec_get(co, "hash", json_type_string))
			continue;
		if (rec_get_str(co, "purpose", buf, sizeof buf, 1) || purpose_parse(buf, &o->purpose) ||
		    rec_get_str(co, "hash", buf, sizeof buf, 1) ||
		    sodium_hex2bin(o->hash, sizeof o->hash, buf, strlen(buf), NULL, &hl, NULL) ||
		    hl != CODE_HASH_BYTES ||
		    rec_get_str(co, "session", o->session, sizeof o->session, 1) ||
		    rec_get_i64(co, "created", &o->created, 0, TMAX) ||
		    rec_get_i64(co, "expires", &o->expires, 0, TMAX) ||
		    rec_get_i64(co, "attempts", &v, 0, 1000))
			return CORE_EFORMAT;
		o->attempts = (unsigned)v;
		o->active = 1;
	}
	return CORE_OK;
}

static int wa_from_json(json_object *root, struct account *a)
{
	json_object *w = rec_get(root, "webauthn", json_type_object), *arr;
	char hex[2 * WA_USER_HANDLE_BYTES + 1], buf[16];
	size_t hl = 0;

	if (!w)
		return CORE_OK;
	if (rec_get(w, "user", json_type_string)) {
		if (rec_get_str(w, "user", hex, sizeof hex, 1) ||
		    sodium_hex2bin(a->wa_user, sizeof a->wa_user, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != sizeof a->wa_user)
			return CORE_EFORMAT;
		a->has_wa_user = 1;
	}
	if (!(arr = rec_get(w, "challenges", json_type_array)) ||
	    json_object_array_length(arr) > ACCT_MAX_WA_CHALLENGES)
		return CORE_EFORMAT;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct wa_challenge *c = &a->wa_ch[i];

		if (!json_object_is_type(o, json_type_object) ||
		    rec_get_str(o, "purpose", buf, sizeof buf, 1) || wa_purpose_parse(buf, &c->purpose) ||
		    rec_get_str(o, "hash", hex, sizeof hex, 1) ||
		    sodium_hex2bin(c->hash, sizeof c->hash, hex, strlen(hex), NULL, &hl, NULL) ||
		    hl != sizeof c->hash || rec_get_i64(o, "expires", &c->expires, 1, TMAX))
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
	root = rec_parse_record(json, len);
	if (!root || rec_get_i64(root, "v", &v, 1, RECORD_VERSION))
		goto out;
	a->version = (int)v;
	if (rec_get_str(root, "uid", a->uid, sizeof a->uid, 0) ||
	    rec_get_str(root, "name", a->name, sizeof a->name, 1) || !account_name_valid(a->name) ||
	    rec_get_str(root, "email", a->email, sizeof a->email, 0) ||
	    rec_get_str(root, "phone", a->phone, sizeof a->phone, 0) ||
	    rec_get_str(root, "org", a->org, sizeof a->org, 0) ||
	    rec_get_str(root, "lang", a->lang, sizeof a->lang, 0) ||
	    rec_get_i64(root, "created", &a->created, 0, TMAX) ||
	    rec_get_i64(root, "last_failure", &a->lk_codes.last_failure, 0, TMAX) ||
	    rec_get_i64(root, "locked_until", &a->lk_codes.locked_until, 0, TMAX) ||
	    rec_get_i64(root, "pw_last_failure", &a->lk_pw.last_failure, 0, TMAX) ||
	    rec_get_i64(root, "pw_locked_until", &a->lk_pw.locked_until, 0, TMAX) ||
	    rec_get_u64(root, "verified", &a->verified, NULL) ||
	    rec_get_i64(root, "backup_issued", &a->backup_issued, 0, TMAX))
		goto out;
	{
		json_object *b = rec_get(root, "service", json_type_boolean);
		a->service = b ? json_object_get_boolean(b) : 0;
	}
	if (rec_get_i64(root, "next_id", &v, 1, UINT32_MAX))
		goto out;
	a->next_id = (uint32_t)v;
	if (rec_get_i64(root, "failures", &v, 0, 1000000))
		goto out;
	a->lk_codes.failures = (uint32_t)v;
	if (rec_get_i64(root, "pw_failures", &v, 0, 1000000))
		goto out;
	a->lk_pw.failures = (uint32_t)v;
	if (rec_get_i64(root, "sent_epoch", &v, 0, UINT32_MAX))
		goto out;
	a->sent_epoch = (uint32_t)v;
	arr = rec_get(root, "factors", json_type_array);
	if (!arr || json_object_array_length(arr) > ACCT_MAX_FACTORS)
		goto out;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (factor_from(json_object_array_get_idx(arr, i), &a->f[i]) ||
		    a->f[i].id >= a->next_id)
			goto out;
		a->nf++;
	}
	arr = rec_get(root, "backup", json_type_array);
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
	if ((arr = rec_get(root, "code_key", json_type_string))) {
		size_t kl = 0;

		if (sodium_hex2bin(a->code_key, sizeof a->code_key, json_object_get_string(arr),
		                   (size_t)json_object_get_string_len(arr), NULL, &kl, NULL) ||
		    kl != ACCT_CODE_KEY)
			goto out;
		a->has_code_key = 1;
	}
	if ((arr = rec_get(root, "backup_used", json_type_array))) {
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

