/* SPDX-License-Identifier: ISC */
/* twofactl config get|set|list */
#include "cmd/cmd.h"
#include "core/timefmt.h"
#include "core/webauthn.h"

#include "core/config.h"

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

const char *config_key_name(size_t i)
{
	return i < sizeof keys / sizeof keys[0] ? keys[i].key : NULL;
}

static const struct key_spec *find(const char *k)
{
	for (const struct key_spec *s = keys; s->key; s++)
		if (!strcmp(s->key, k))
			return s;
	return NULL;
}

static int validate(const struct key_spec *k, const char *v)
{
	int64_t n;
	size_t len = strlen(v);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(EXIT_USAGE, "%s: control characters are not allowed", k->key);
	switch (k->type) {
	case K_TEXT:
		if (!strcmp(k->key, "issuer") && strchr(v, ':'))
			return fail(EXIT_USAGE, "issuer: no ':' (it separates issuer and account in otpauth URIs)");
		if (!strcmp(k->key, "webauthn.rp_id") && !wa_rp_id_valid(v))
			return fail(EXIT_USAGE, "webauthn.rp_id: '%s' is not a domain such as example.org "
			            "(lower case, no scheme, port or path)", safe(v));
		if ((int64_t)len < k->lo || (int64_t)len > k->hi)
			return fail(EXIT_USAGE, "%s: give %lld to %lld characters", k->key,
			            (long long)k->lo, (long long)k->hi);
		break;
	case K_UINT:
		if (int_parse(v, k->lo, k->hi, &n))
			return fail(EXIT_USAGE, "%s: '%s' is not a number from %lld to %lld", k->key,
			            safe(v), (long long)k->lo, (long long)k->hi);
		break;
	case K_DURATION:
		if (duration_parse(v, &n))
			return fail(EXIT_USAGE, "%s: '%s' is not a duration such as 30s, 5m, 1h30m, 30d",
			            k->key, safe(v));
		if (n < k->lo || n > k->hi)
			return fail(EXIT_USAGE, "%s: %s is out of range (%llds to %llds)", k->key, safe(v),
			            (long long)k->lo, (long long)k->hi);
		break;
	case K_PATH:
		if (v[0] != '/')
			return fail(EXIT_USAGE, "%s: '%s' is not an absolute path", k->key, safe(v));
		break;
	case K_URL:
		if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8) && strncmp(v, "http://", 7) &&
		    strncmp(v, "https://", 8) && strncmp(v, "spool:/", 7))
			return fail(EXIT_USAGE, "%s: '%s' is not an smtp://, smtps://, http://, https:// "
			            "or spool:/DIR address", k->key, safe(v));
		break;
	case K_METHOD:
		if (strcmp(v, "POST") && strcmp(v, "GET") && strcmp(v, "PUT"))
			return fail(EXIT_USAGE, "%s: '%s' is not GET, POST or PUT", k->key, safe(v));
		break;
	case K_SYSLOG:
		if (strcmp(v, "on") && strcmp(v, "off") && (v[0] != '/' || strlen(v) > 107))
			return fail(EXIT_USAGE, "%s: '%s' is not on, off or the absolute path of a socket", k->key, safe(v));
		break;
	case K_TLS:
		if (strcmp(v, "try") && strcmp(v, "starttls") && strcmp(v, "none"))
			return fail(EXIT_USAGE, "%s: '%s' is not try, starttls or none", k->key, safe(v));
		break;
	case K_POLICY:
		if (strcmp(v, "required") && strcmp(v, "optional") && strcmp(v, "off"))
			return fail(EXIT_USAGE, "%s: '%s' is not required, optional or off", k->key, safe(v));
		break;
	case K_ORIGINS:
		if (!wa_origins_valid(v))
			return fail(EXIT_USAGE, "%s: '%s' is not a comma-separated list of origins such as "
			            "https://client.example.org (https://HOST[:PORT], or http://localhost[:PORT])",
			            k->key, safe(v));
		break;
	case K_UV: {
		enum wa_uv uv;

		if (wa_uv_parse(v, &uv))
			return fail(EXIT_USAGE, "%s: '%s' is not discouraged, preferred or required", k->key, safe(v));
		break;
	}
	case K_READONLY:
		return fail(EXIT_USAGE, "%s is set by twofactl init and cannot be changed here", k->key);
	}
	return EXIT_OK;
}

static int unknown(const char *k)
{
	return fail(EXIT_USAGE, "unknown key '%s': see twofactl config list", safe(k));
}

static const char *state_name(int st)
{
	return st == STORE_CONFIG_SEALED ? "sealed" : st == STORE_CONFIG_EDITED ? "edited" :
	       st == STORE_CONFIG_UNSEALED ? "unsealed" : "bad seal";
}

static int open_any(struct store **s)
{
	return open_store_flags(s, TF_OPEN_ANY_CONFIG);
}

struct cfg_args {
	const char *argv[2];
	int n, want;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cfg_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->n >= a->want)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->argv[a->n++] = arg;
		break;
	case ARGP_KEY_END:
		if (a->n < a->want)
			USAGE(state, "missing %s", a->n == 0 ? "KEY" : "VALUE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp get_argp = {
	NULL, parse, "KEY", "Print a configuration value (or its default).", common_children, NULL, NULL
};
static const struct argp set_argp = {
	NULL, parse, "KEY VALUE", "Set a configuration value; an empty VALUE restores the default.",
	common_children, NULL, NULL
};
static const struct argp list_argp = {
	NULL, parse, NULL, "List every configuration key with its value and meaning.",
	common_children, NULL, NULL
};

static int config_get(int argc, char **argv)
{
	struct cfg_args a = { .want = 1 };
	const struct key_spec *k;
	struct store *s;
	const char *v;
	int ret;

	cmd_parse(&get_argp, argc, argv, &a);
	if (!(k = find(a.argv[0])))
		return unknown(a.argv[0]);
	if ((ret = open_any(&s)))
		return ret;
	v = store_config_get(s, k->key);
	if (!v)
		v = k->def;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(k->key));
		json_object_object_add(o, "value", v ? json_object_new_string(v) : NULL);
		json_object_object_add(o, "default", json_object_new_boolean(!store_config_get(s, k->key)));
		emit_json(o);
	} else if (v) {
		printf("%s\n", v);
	}
	close_store(s);
	return v || g.json ? EXIT_OK : EXIT_NOENT;
}

static int config_set(int argc, char **argv)
{
	struct cfg_args a = { .want = 2 };
	const struct key_spec *k;
	struct store *s;
	int ret, st;

	cmd_parse(&set_argp, argc, argv, &a);
	set_ctx("config set %s", safe(a.argv[0]));
	if (!(k = find(a.argv[0])))
		return unknown(a.argv[0]);
	if (*a.argv[1] && (ret = validate(k, a.argv[1])))
		return ret;
	if (k->type == K_READONLY)
		return validate(k, "");
	if ((ret = open_store(&s)))
		return ret;
	st = store_config_set(s, k->key, *a.argv[1] ? a.argv[1] : NULL);
	if (st)
		ret = fail_store(s, st);
	else
		ret = tf_audit(g.h, "config.set", NULL, "ok", NULL, k->key);
	close_store(s);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(k->key));
		json_object_object_add(o, "value", *a.argv[1] ? json_object_new_string(a.argv[1]) : NULL);
		emit_json(o);
	}
	return ret;
}

static int config_list(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	struct store *s;
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	if ((ret = open_any(&s)))
		return ret;
	if (store_config_state(s) != STORE_CONFIG_SEALED)
		fprintf(stderr, "twofactl: config list: warning: the config file is not as sealed (%s): "
		        "see twofactl config diff\n", state_name(store_config_state(s)));
	for (const struct key_spec *k = keys; k->key; k++) {
		const char *v = store_config_get(s, k->key);

		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "key", json_object_new_string(k->key));
			json_object_object_add(o, "value", v ? json_object_new_string(v) :
			                       k->def ? json_object_new_string(k->def) : NULL);
			json_object_object_add(o, "default", json_object_new_boolean(!v));
			json_object_object_add(o, "description", json_object_new_string(k->doc));
			emit_json(o);
		} else {
			printf("%-20s %-28s # %s%s\n", k->key, v ? v : k->def ? k->def : "",
			       k->doc, v ? "" : " (default)");
		}
	}
	close_store(s);
	return EXIT_OK;
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

static void change(const char *key, const char *was, const char *now)
{
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(key));
		json_object_object_add(o, "sealed", was ? json_object_new_string(was) : NULL);
		json_object_object_add(o, "now", now ? json_object_new_string(now) : NULL);
		emit_json(o);
	} else if (!was) {
		printf("+ %s = %s\n", key, now);
	} else if (!now) {
		printf("- %s = %s\n", key, was);
	} else {
		printf("- %s = %s\n+ %s = %s\n", key, was, key, now);
	}
}

/* The settings as sealed against the settings as they are: one change per
 * key; *n counts them, names gets their keys (for the audit line). */
static int show_diff(struct store *s, unsigned *n, char *names, size_t namescap)
{
	struct kv was = { 0 }, now = { 0 };
	int ret = EXIT_OK;

	*n = 0;
	names[0] = '\0';
	if (kv_parse(store_config_sealed(s), &was) || kv_parse(store_config_text(s), &now)) {
		ret = fail(EXIT_STORE, "cannot read the settings");
		goto out;
	}
	for (size_t i = 0; i < was.n; i++) {
		const char *v = kv_get(&now, was.k[i]);

		if (v && !strcmp(v, was.v[i]))
			continue;
		change(was.k[i], was.v[i], v);
		(*n)++;
		if (strlen(names) + strlen(was.k[i]) + 3 < namescap)
			snprintf(names + strlen(names), namescap - strlen(names), "%s%s", *names ? ", " : "", was.k[i]);
	}
	for (size_t i = 0; i < now.n; i++) {
		if (kv_get(&was, now.k[i]))
			continue;
		change(now.k[i], NULL, now.v[i]);
		(*n)++;
		if (strlen(names) + strlen(now.k[i]) + 3 < namescap)
			snprintf(names + strlen(names), namescap - strlen(names), "%s%s", *names ? ", " : "", now.k[i]);
	}
	/* values a hand edit may have got wrong: refused before they are kept */
	for (size_t i = 0; i < now.n && !ret; i++) {
		const struct key_spec *k = find(now.k[i]);

		if (!k)
			fprintf(stderr, "twofactl: %s: warning: unknown key '%s' (twofactl ignores it)\n", g.ctx,
			        safe(now.k[i]));
		else if (k->type != K_READONLY && *now.v[i] && validate(k, now.v[i]))
			ret = EXIT_USAGE;
	}
out:
	kv_free(&was);
	kv_free(&now);
	return ret;
}

static const struct argp diff_argp = {
	NULL, parse, NULL,
	"Show how the config file differs from the settings twofactl last sealed "
	"('-' as sealed, '+' as it is now). A file changed by hand (or restored, or "
	"written by someone without the key) makes every command refuse to run until "
	"'config accept' keeps the change. On a store made before settings were "
	"sealed, every setting shows as added.", common_children, NULL, NULL
};

static const struct argp accept_argp = {
	NULL, parse, NULL,
	"Keep the config file as it is now: show the changes (as config diff does), "
	"check their values, and seal the file under the store's key (audited with "
	"the keys that changed). Also makes the sealed list of organisations if the "
	"store has none yet. This is the one step that upgrades a store made before "
	"settings were sealed.", common_children, NULL, NULL
};

static int config_diff(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	struct store *s;
	char names[512];
	unsigned n = 0;
	int ret, st;

	cmd_parse(&diff_argp, argc, argv, &a);
	if ((ret = open_any(&s)))
		return ret;
	st = store_config_state(s);
	if (st == STORE_CONFIG_BADSEAL && !g.quiet)
		fprintf(stderr, "twofactl: config diff: the seal does not verify: every setting shows as added\n");
	ret = show_diff(s, &n, names, sizeof names);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "state", json_object_new_string(state_name(st)));
		json_object_object_add(o, "changes", json_object_new_int64(n));
		emit_json(o);
	} else if (!ret && !g.quiet) {
		if (st == STORE_CONFIG_SEALED)
			printf("config is as sealed\n");
		else if (!n)
			printf("only comments or blank lines differ from the sealed config (%s)\n", state_name(st));
	}
	close_store(s);
	return ret;
}

static int config_accept(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	struct store *s;
	char names[512], detail[600];
	unsigned n = 0;
	int ret, st, was;

	cmd_parse(&accept_argp, argc, argv, &a);
	if ((ret = open_any(&s)))
		return ret;
	was = store_config_state(s);
	if ((ret = show_diff(s, &n, names, sizeof names)))
		goto out;
	if ((st = store_config_accept(s))) {
		ret = fail_store(s, st);
		goto out;
	}
	snprintf(detail, sizeof detail, "%s: %s", state_name(was), n ? names : "no setting changed");
	if ((ret = tf_audit(g.h, "config.accept", NULL, "ok", NULL, detail)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "accepted", json_object_new_boolean(1));
		json_object_object_add(o, "changes", json_object_new_int64(n));
		emit_json(o);
	} else if (!g.quiet) {
		printf("config sealed as it is (%u change%s kept)\n", n, n == 1 ? "" : "s");
	}
out:
	close_store(s);
	return ret;
}

static const struct verb verbs[] = {
	{ "get", config_get, "print a value" },
	{ "set", config_set, "set a value (empty: default)" },
	{ "list", config_list, "list every key" },
	{ "diff", config_diff, "how the file differs from the sealed settings" },
	{ "accept", config_accept, "keep a hand edit: seal the file as it is" },
	{ NULL, NULL, NULL }
};

int cmd_config(int argc, char **argv)
{
	return run_verbs("config", verbs, argc, argv);
}
