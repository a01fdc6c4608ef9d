/* SPDX-License-Identifier: ISC */
/* lib/config.c — the store's settings: get, set, list, diff, accept, and
 * what each key may hold. */
#include "lib/shared.h"
#include "core/config.h"
#include "core/timefmt.h"
#include "core/webauthn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 64

enum ktype { K_TEXT, K_UINT, K_DURATION, K_PATH, K_URL, K_METHOD, K_READONLY, K_TLS, K_POLICY, K_ORIGINS, K_UV, K_SYSLOG };

struct key_spec {
	const char *key;
	enum ktype type;
	int64_t lo, hi;
	const char *def;
	const char *doc;
};

static const struct key_spec keys[] = {
	{ "issuer", K_TEXT, 1, 100, "twofactl", "issuer in otpauth URIs and messages" },
	{ "totp.window", K_UINT, 0, 10, "1", "accepted clock drift, in steps either side" },
	{ "hotp.window", K_UINT, 0, 100, "10", "HOTP look-ahead, in counter values" },
	{ "lockout.after", K_UINT, 1, 100, "10", "consecutive failures before delays start" },
	{ "lock.timeout", K_UINT, 1, 3600, "15", "seconds to wait for a lock before exit 7" },
	{ "enroll.ttl", K_DURATION, 60, 30 * 86400, "24h", "unconfirmed enrolments expire after" },
	{ "code.ttl", K_DURATION, 30, 600, "5m", "email/SMS code lifetime (at most 10m)" },
	{ "code.resend", K_DURATION, 0, 3600, "30s", "least time between two codes of one purpose on one channel" },
	{ "login.warn_after", K_DURATION, 60, 7 * 86400, "15m", "incomplete-login warning delay" },
	{ "policy.default", K_POLICY, 0, 0, "optional", "policy of accounts without an organisation" },
	{ "recovery.retention", K_DURATION, 86400, 3650LL * 86400, "90d", "decided recovery tickets are kept this long" },
	{ "health.backup_low", K_UINT, 0, 20, "3", "health warns of accounts with fewer backup codes" },
	{ "health.drift", K_UINT, 1, 100, "2", "health warns of accounts whose last login drifted this many steps" },
	{ "health.ticket_age", K_DURATION, 60, 365LL * 86400, "24h", "health warns of tickets waiting longer" },
	{ "webauthn.rp_id", K_TEXT, 1, 253, NULL, "WebAuthn relying party id (the site's domain)" },
	{ "webauthn.origins", K_ORIGINS, 0, 0, NULL, "WebAuthn origins allowed, comma-separated (default https://RP_ID)" },
	{ "webauthn.user_verification", K_UV, 0, 0, "preferred", "WebAuthn user verification: discouraged, preferred or required" },
	{ "webauthn.challenge_ttl", K_DURATION, 30, 3600, "5m", "WebAuthn challenges expire after" },
	{ "activate.url", K_TEXT, 7, 500, "{token}", "activation link of confirm --by-link, with {token}" },
	{ "reset.url", K_TEXT, 7, 500, "{token}", "password reset link, with {token}" },
	{ "reset.ttl", K_DURATION, 300, 7 * 86400, "1h", "password reset links expire after" },
	{ "trust.days", K_UINT, 1, 365, "30", "default trusted-device lifetime in days" },
	{ "smtp.url", K_URL, 0, 0, NULL, "email transport: smtp://, smtps:// or spool:DIR" },
	{ "smtp.from", K_TEXT, 3, 254, NULL, "sender address" },
	{ "smtp.user", K_TEXT, 1, 254, NULL, "SMTP AUTH user" },
	{ "smtp.password_file", K_PATH, 0, 0, NULL, "file holding the SMTP password" },
	{ "smtp.tls", K_TLS, 0, 0, "try", "STARTTLS on smtp://: try, starttls (required) or none" },
	{ "smtp.ca_file", K_PATH, 0, 0, NULL, "CA bundle for the SMTP server (default: the system's)" },
	{ "delivery.timeout", K_DURATION, 1, 60, "10s", "SMTP and SMS gateway timeout" },
	{ "templates.dir", K_PATH, 0, 0, NULL, "message templates (default: the installed ones)" },
	{ "sms.url", K_URL, 0, 0, NULL, "SMS gateway: http://, https:// or spool:DIR" },
	{ "sms.method", K_METHOD, 0, 0, "POST", "SMS gateway request method" },
	{ "sms.body", K_TEXT, 1, 1000, "to={to}&text={text}", "request body with {to} {text}" },
	{ "sms.header_file", K_PATH, 0, 0, NULL, "file with one header line, e.g. the gateway token" },
	{ "sms.content_type", K_TEXT, 3, 100, "application/x-www-form-urlencoded", "content type of the request body" },
	{ "audit.syslog", K_SYSLOG, 0, 0, "off", "a copy of each audit event for syslog: off, on (/dev/log) or a socket's path" },
	{ "role.admin", K_TEXT, 1, 1000, "root", "serve: administrators (users, uids, @groups; the store's owner always)" },
	{ "role.frontend", K_TEXT, 1, 1000, NULL, "serve: the client section's web application (users, uids, @groups)" },
	{ "role.pam", K_TEXT, 1, 1000, NULL, "serve: PAM callers that may check, verify and send" },
	{ "key.file", K_READONLY, 0, 0, NULL, "where the master key is kept (set by init)" },
	{ "key.passphrase_file", K_READONLY, 0, 0, NULL, "the passphrase that wraps the master key (set by init)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

const char *tf_config_key_name(size_t i)
{
	return i < sizeof keys / sizeof keys[0] ? keys[i].key : NULL;
}

static const struct key_spec *find(const char *k)
{
	for (const struct key_spec *s = keys; k && s->key; s++)
		if (!strcmp(s->key, k))
			return s;
	return NULL;
}

static tf_status validate(tf *h, const struct key_spec *k, const char *v)
{
	int64_t n;
	size_t len = strlen(v);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return tf_fail(h, TF_USAGE, NULL, "%s: control characters are not allowed", k->key);
	switch (k->type) {
	case K_TEXT:
		if (!strcmp(k->key, "issuer") && strchr(v, ':'))
			return tf_fail(h, TF_USAGE, NULL, "issuer: no ':' (it separates issuer and account in otpauth URIs)");
		if (!strcmp(k->key, "webauthn.rp_id") && !wa_rp_id_valid(v))
			return tf_fail(h, TF_USAGE, NULL, "webauthn.rp_id: '%s' is not a domain such as example.org "
			               "(lower case, no scheme, port or path)", tf_safe(v));
		if ((int64_t)len < k->lo || (int64_t)len > k->hi)
			return tf_fail(h, TF_USAGE, NULL, "%s: give %lld to %lld characters", k->key,
			               (long long)k->lo, (long long)k->hi);
		break;
	case K_UINT:
		if (int_parse(v, k->lo, k->hi, &n))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not a number from %lld to %lld", k->key,
			               tf_safe(v), (long long)k->lo, (long long)k->hi);
		break;
	case K_DURATION:
		if (duration_parse(v, &n))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not a duration such as 30s, 5m, 1h30m, 30d",
			               k->key, tf_safe(v));
		if (n < k->lo || n > k->hi)
			return tf_fail(h, TF_USAGE, NULL, "%s: %s is out of range (%llds to %llds)", k->key, tf_safe(v),
			               (long long)k->lo, (long long)k->hi);
		break;
	case K_PATH:
		if (v[0] != '/')
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not an absolute path", k->key, tf_safe(v));
		break;
	case K_URL:
		if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8) && strncmp(v, "http://", 7) &&
		    strncmp(v, "https://", 8) && strncmp(v, "spool:/", 7))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not an smtp://, smtps://, http://, https:// "
			               "or spool:/DIR address", k->key, tf_safe(v));
		break;
	case K_METHOD:
		if (strcmp(v, "POST") && strcmp(v, "GET") && strcmp(v, "PUT"))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not GET, POST or PUT", k->key, tf_safe(v));
		break;
	case K_SYSLOG:
		if (strcmp(v, "on") && strcmp(v, "off") && (v[0] != '/' || strlen(v) > 107))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not on, off or the absolute path of a socket",
			               k->key, tf_safe(v));
		break;
	case K_TLS:
		if (strcmp(v, "try") && strcmp(v, "starttls") && strcmp(v, "none"))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not try, starttls or none", k->key, tf_safe(v));
		break;
	case K_POLICY:
		if (strcmp(v, "required") && strcmp(v, "optional") && strcmp(v, "off"))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not required, optional or off", k->key, tf_safe(v));
		break;
	case K_ORIGINS:
		if (!wa_origins_valid(v))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not a comma-separated list of origins such as "
			               "https://client.example.org (https://HOST[:PORT], or http://localhost[:PORT])",
			               k->key, tf_safe(v));
		break;
	case K_UV: {
		enum wa_uv uv;

		if (wa_uv_parse(v, &uv))
			return tf_fail(h, TF_USAGE, NULL, "%s: '%s' is not discouraged, preferred or required", k->key,
			               tf_safe(v));
		break;
	}
	case K_READONLY:
		return tf_fail(h, TF_USAGE, NULL, "%s is set by twofactl init and cannot be changed here", k->key);
	}
	return TF_OK;
}

static tf_status unknown(tf *h, const char *k)
{
	return tf_fail(h, TF_USAGE, NULL, "unknown key '%s': see twofactl config list", tf_safe(k ? k : ""));
}

static const char *state_name(int st)
{
	return st == STORE_CONFIG_SEALED ? "sealed" : st == STORE_CONFIG_EDITED ? "edited" :
	       st == STORE_CONFIG_UNSEALED ? "unsealed" : "bad seal";
}

static void warn(tf_config_warn_fn fn, void *ctx, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void warn(tf_config_warn_fn fn, void *ctx, const char *word, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fn(ctx, word, msg);
}

/* ---- get, set, list ---- */

tf_status tf_config_get(tf *h, const struct tf_config_get_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	const struct key_spec *k = find(a->key);
	const char *v;
	json_object *o;

	if (!k)
		return unknown(h, a->key);
	v = store_config_get(h->s, k->key);
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(k->key));
	json_object_object_add(o, "value", v ? json_object_new_string(v) : k->def ? json_object_new_string(k->def) : NULL);
	json_object_object_add(o, "default", json_object_new_boolean(!v));
	return tf_emit(h, out, o);
}

tf_status tf_config_set(tf *h, const struct tf_config_set_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	const struct key_spec *k = find(a->key);
	const char *v = a->value && *a->value ? a->value : NULL;
	json_object *o;
	tf_status ret;
	int st;

	if (!k)
		return unknown(h, a->key);
	if (v && (ret = validate(h, k, v)))
		return ret;
	if (k->type == K_READONLY)
		return validate(h, k, "");
	if ((st = store_config_set(h->s, k->key, v)))
		return tf_fail_store(h, st);
	if ((ret = tf_audit(h, "config.set", NULL, "ok", NULL, k->key)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(k->key));
	json_object_object_add(o, "value", v ? json_object_new_string(v) : NULL);
	return tf_emit(h, out, o);
}

tf_status tf_config_list(tf *h, const struct tf_config_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	tf_status ret = TF_OK;

	if (store_config_state(h->s) != STORE_CONFIG_SEALED)
		warn(a ? a->warn : NULL, a ? a->warn_ctx : NULL, "unsealed", "warning: the config file is not as "
		     "sealed (%s): see twofactl config diff", state_name(store_config_state(h->s)));
	for (const struct key_spec *k = keys; k->key && !ret; k++) {
		const char *v = store_config_get(h->s, k->key);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(k->key));
		json_object_object_add(o, "value", v ? json_object_new_string(v) :
		                       k->def ? json_object_new_string(k->def) : NULL);
		json_object_object_add(o, "default", json_object_new_boolean(!v));
		json_object_object_add(o, "description", json_object_new_string(k->doc));
		ret = tf_emit(h, out, o);
	}
	return ret;
}

/* ---- diff, accept: hand edits are kept only when an administrator says so ---- */

struct kv {
	char *k[MAX_KEYS], *v[MAX_KEYS];
	size_t n;
};

static int kv_add(void *ctx, const char *key, const char *value)
{
	struct kv *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->k[i], key)) {   /* the last one counts, as for twofactl */
			free(l->v[i]);
			l->v[i] = strdup(value);
			return l->v[i] ? 0 : CORE_ENOMEM;
		}
	if (l->n == MAX_KEYS)
		return CORE_EFULL;
	l->k[l->n] = strdup(key);
	l->v[l->n] = strdup(value);
	l->n++;
	return l->k[l->n - 1] && l->v[l->n - 1] ? 0 : CORE_ENOMEM;
}

static void kv_free(struct kv *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->k[i]);
		free(l->v[i]);
	}
	l->n = 0;
}

static int kv_parse(const char *text, struct kv *l)
{
	char *copy = strdup(text ? text : "");
	unsigned bad = 0;
	int r;

	if (!copy)
		return CORE_ENOMEM;
	r = config_parse(copy, strlen(copy), kv_add, l, &bad);
	free(copy);
	return r;
}

static const char *kv_get(const struct kv *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->k[i], key))
			return l->v[i];
	return NULL;
}

static tf_status change(tf *h, const struct tf_sink *out, const char *key, const char *was, const char *now)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "sealed", was ? json_object_new_string(was) : NULL);
	json_object_object_add(o, "now", now ? json_object_new_string(now) : NULL);
	return tf_emit(h, out, o);
}

static void add_name(char *names, size_t cap, const char *key)
{
	if (strlen(names) + strlen(key) + 3 < cap)
		snprintf(names + strlen(names), cap - strlen(names), "%s%s", *names ? ", " : "", key);
}

/* The settings as sealed against the settings as they are: one change per
 * key; *n counts them, names gets their keys (for the audit line). */
static tf_status show_diff(tf *h, const struct tf_sink *out, tf_config_warn_fn wfn, void *wctx,
                           unsigned *n, char *names, size_t namescap)
{
	struct kv was = { 0 }, now = { 0 };
	tf_status ret = TF_OK;

	*n = 0;
	names[0] = '\0';
	if (kv_parse(store_config_sealed(h->s), &was) || kv_parse(store_config_text(h->s), &now)) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot read the settings");
		goto out;
	}
	for (size_t i = 0; i < was.n && !ret; i++) {
		const char *v = kv_get(&now, was.k[i]);

		if (v && !strcmp(v, was.v[i]))
			continue;
		ret = change(h, out, was.k[i], was.v[i], v);
		(*n)++;
		add_name(names, namescap, was.k[i]);
	}
	for (size_t i = 0; i < now.n && !ret; i++) {
		if (kv_get(&was, now.k[i]))
			continue;
		ret = change(h, out, now.k[i], NULL, now.v[i]);
		(*n)++;
		add_name(names, namescap, now.k[i]);
	}
	/* values a hand edit may have got wrong: refused before they are kept */
	for (size_t i = 0; i < now.n && !ret; i++) {
		const struct key_spec *k = find(now.k[i]);

		if (!k)
			warn(wfn, wctx, "unknown_key", "warning: unknown key '%s' (twofactl ignores it)",
			     tf_safe(now.k[i]));
		else if (k->type != K_READONLY && *now.v[i])
			ret = validate(h, k, now.v[i]);
	}
out:
	kv_free(&was);
	kv_free(&now);
	return ret;
}

tf_status tf_config_diff(tf *h, const struct tf_config_diff_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	tf_config_warn_fn wfn = a ? a->warn : NULL;
	void *wctx = a ? a->warn_ctx : NULL;
	char names[512];
	unsigned n = 0;
	json_object *o;
	tf_status ret;
	int st = store_config_state(h->s);

	if (st == STORE_CONFIG_BADSEAL)
		warn(wfn, wctx, "bad_seal", "the seal does not verify: every setting shows as added");
	if ((ret = show_diff(h, out, wfn, wctx, &n, names, sizeof names)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(state_name(st)));
	json_object_object_add(o, "changes", json_object_new_int64(n));
	return tf_emit(h, out, o);
}

tf_status tf_config_accept(tf *h, const struct tf_config_accept_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	char names[512], detail[600];
	unsigned n = 0;
	json_object *o;
	tf_status ret;
	int st, was = store_config_state(h->s);

	if ((ret = show_diff(h, out, a ? a->warn : NULL, a ? a->warn_ctx : NULL, &n, names, sizeof names)))
		return ret;
	if ((st = store_config_accept(h->s)))
		return tf_fail_store(h, st);
	snprintf(detail, sizeof detail, "%s: %s", state_name(was), n ? names : "no setting changed");
	if ((ret = tf_audit(h, "config.accept", NULL, "ok", NULL, detail)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "accepted", json_object_new_boolean(1));
	json_object_object_add(o, "changes", json_object_new_int64(n));
	return tf_emit(h, out, o);
}
