/* SPDX-License-Identifier: ISC */
/* twofactl user add|list|show|set|del|unlock */
#include "cmd/cmd.h"
#include "core/contact.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct user_args {
	const char *name, *newname;
	const char *email, *phone, *org, *lang;
	int service, genpw;
	int pwlogin, emailreset, mustenrol;   /* -1 unchanged, 0 off, 1 on */
	int twofa;                            /* -1 unchanged, else enum acct_switch */
	int nargs, maxargs;
	char email_buf[255], phone_buf[33];   /* as stored: ASCII domain, E.164 */
};

enum { OPT_EMAIL = 0x200, OPT_PHONE, OPT_ORG, OPT_LANG, OPT_SERVICE, OPT_GENPW, OPT_PWLOGIN, OPT_EMAILRESET,
       OPT_MUSTENROL, OPT_2FA };

static int on_off(const char *s)
{
	return !strcmp(s, "on") ? 1 : !strcmp(s, "off") ? 0 : -1;
}

static const struct argp_option set_options[] = {
	{ "password-login", OPT_PWLOGIN, "on|off", 0, "off: no password login, only a linked OpenID Connect identity", 0 },
	{ "email-reset", OPT_EMAILRESET, "on|off", 0, "off: 'reset send' refuses to email a reset link", 0 },
	{ "must-enrol", OPT_MUSTENROL, "on|off", 0, "on: 'check' answers 11 (enrolment needed) until a "
	  "factor is active, whatever the policy; 'recovery approve' turns it on, off is the "
	  "administrator's override", 0 },
	{ "2fa", OPT_2FA, "SWITCH", 0, "The account's own 2FA switch: required, optional, off, or "
	  "inherit (the default: its organisation's policy, else policy.default); optional and off "
	  "are refused under a required organisation", 0 },
	{ "email", OPT_EMAIL, "ADDR", 0, "Contact email address; a domain such as bücher.example is "
	  "stored in its ASCII form (empty to clear)", 0 },
	{ "phone", OPT_PHONE, "+NUMBER", 0, "Mobile number with its country code, e.g. '+420 601 234 567' "
	  "(stored as +420601234567; empty to clear)", 0 },
	{ "org", OPT_ORG, "ORG", 0, "Organisation whose policy applies (empty to clear)", 0 },
	{ "lang", OPT_LANG, "LL", 0, "Language of messages, e.g. en, cs, nl (empty to clear)", 0 },
	{ 0 }
};

static error_t parse_fields(int key, char *arg, struct argp_state *state)
{
	struct user_args *u = state->input;

	switch (key) {
	case OPT_EMAIL:
		if (*arg && parse_email(state, "--email", arg, u->email_buf, sizeof u->email_buf))
			return EINVAL;
		u->email = *arg ? u->email_buf : arg;
		break;
	case OPT_PHONE:
		if (*arg && parse_phone(state, "--phone", arg, u->phone_buf, sizeof u->phone_buf))
			return EINVAL;
		u->phone = *arg ? u->phone_buf : arg;
		break;
	case OPT_ORG:
		if (*arg && !account_name_valid(arg))
			USAGE(state, "--org: '%s' is not a valid organisation name", safe(arg));
		u->org = arg;
		break;
	case OPT_LANG:
		if (*arg && !lang_valid(arg))
			USAGE(state, "--lang: '%s' is not a two-letter language code", safe(arg));
		u->lang = arg;
		break;
	case OPT_SERVICE:
		u->service = 1;
		break;
	case OPT_2FA: {
		enum acct_switch sw;

		if (switch_parse(arg, &sw))
			USAGE(state, "--2fa: '%s' is not required, optional, off or inherit", safe(arg));
		u->twofa = (int)sw;
		break;
	}
	case OPT_GENPW:
		u->genpw = 1;
		break;
	case OPT_PWLOGIN:
	case OPT_EMAILRESET:
	case OPT_MUSTENROL:
		if (on_off(arg) < 0)
			USAGE(state, "%s: '%s' is not on or off", key == OPT_PWLOGIN ? "--password-login" :
			      key == OPT_EMAILRESET ? "--email-reset" : "--must-enrol", safe(arg));
		if (key == OPT_PWLOGIN)
			u->pwlogin = on_off(arg);
		else if (key == OPT_EMAILRESET)
			u->emailreset = on_off(arg);
		else
			u->mustenrol = on_off(arg);
		break;
	case ARGP_KEY_ARG:
		if (u->nargs++ > u->maxargs)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (u->nargs == 1)
			u->name = arg;
		else
			u->newname = arg;
		break;
	case ARGP_KEY_END:
		if (!u->name)
			USAGE(state, "missing account NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static tf_toggle toggle(int v)
{
	return v < 0 ? TF_TOGGLE_NONE : v ? TF_TOGGLE_ON : TF_TOGGLE_OFF;
}

static tf_switch twofa_of(int sw)
{
	switch (sw) {
	case SW_INHERIT: return TF_SWITCH_INHERIT;
	case SW_REQUIRED: return TF_SWITCH_REQUIRED;
	case SW_OPTIONAL: return TF_SWITCH_OPTIONAL;
	case SW_OFF: return TF_SWITCH_OFF;
	}
	return TF_SWITCH_NONE;
}

/* Fields of a JSON result. */
static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static int jbool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static const struct argp_child field_children[] = {
	{ &common_argp, 0, "Global options:", 100 },
	{ 0 }
};

/* ---- add ---- */

static const struct argp_option add_options[] = {
	{ "email", OPT_EMAIL, "ADDR", 0, "Contact email address; a domain such as bücher.example is "
	  "stored in its ASCII form", 0 },
	{ "phone", OPT_PHONE, "+NUMBER", 0, "Mobile number with its country code, e.g. '+420 601 234 567' "
	  "(stored in E.164 form: +420601234567)", 0 },
	{ "org", OPT_ORG, "ORG", 0, "Organisation whose policy applies", 0 },
	{ "lang", OPT_LANG, "LL", 0, "Language of messages (default en)", 0 },
	{ "2fa", OPT_2FA, "SWITCH", 0, "The account's own 2FA switch: required, optional, off or "
	  "inherit (the default)", 0 },
	{ "service", OPT_SERVICE, NULL, 0, "A service account for machine access (an API client): "
	  "a random password of 32 characters is printed once and stored with Argon2id; exempt "
	  "from the second factor, never from lockout", 0 },
	{ "generate-password", OPT_GENPW, NULL, 0, "Give the account a random password of 32 "
	  "characters, printed once (a first factor: verify NAME --password)", 0 },
	{ 0 }
};

static const struct argp add_argp = {
	add_options, parse_fields, "NAME", "Add an account.", field_children, NULL, NULL
};

static void render_add(json_object *o)
{
	int service = jbool(o, "service");
	const char *pw = jstr(o, "password");

	if (!g.quiet)
		fprintf(g.out, "added %saccount '%s'%s\n", service ? "service " : "", jstr(o, "name"),
		       service ? "; its password (shown only now):" : "");
	if (pw)
		fprintf(g.out, "%s\n", pw);
}

static int user_add(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&add_argp, argc, argv, &u);
	set_ctx("user add %s", safe(u.name));
	if ((ret = check_name(u.name)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_user_add(h, &(struct tf_user_add_args){ .name = u.name, .email = u.email, .phone = u.phone,
		                  .org = u.org, .lang = u.lang, .twofa = twofa_of(u.twofa), .service = u.service,
		                  .generate_password = u.genpw }, CLI_SINK(render_add));
	cli_close(h);
	return ret;
}

/* ---- set ---- */

static const struct argp set_argp = {
	set_options, parse_fields, "NAME", "Change an account's contact details, organisation, "
	"language, its own 2FA switch and other settings.", field_children, NULL, NULL
};

static void render_set(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "updated account '%s'\n", jstr(o, "name"));
}

static int user_set(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	char code[STEPUP_MAX];
	tf *h = NULL;
	int ret;

	CMD_PARSE(&set_argp, argc, argv, &u);
	set_ctx("user set %s", safe(u.name));
	if (!(ret = read_stepup(code, sizeof code, 0)) && !(ret = cli_open(&h)))
		ret = tf_user_set(h, &(struct tf_user_set_args){ .name = u.name, .email = u.email, .phone = u.phone,
		                  .org = u.org, .lang = u.lang, .twofa = twofa_of(u.twofa),
		                  .password_login = toggle(u.pwlogin), .email_reset = toggle(u.emailreset),
		                  .must_enrol = toggle(u.mustenrol), .stepup = code }, CLI_SINK(render_set));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}

/* ---- name-only verbs: show, del, unlock ---- */

static error_t parse_name(int key, char *arg, struct argp_state *state)
{
	return parse_fields(key, arg, state);
}

static const char *iso(int64_t t, char buf[32])
{
	if (!t)
		return "never";
	time_iso(t, buf);
	return buf;
}

/* The failures of one budget and its lockout, as user show says them. */
static void show_budget(json_object *o, const char *prefix, const char *failures, const char *locked,
                        const char *retry, const char *hard, const char *next)
{
	const char *ls = jstr(o, locked);

	fprintf(g.out, "%s%lld", prefix, (long long)jint(o, failures));
	if (ls && !strcmp(ls, "hard"))
		fprintf(g.out, "%s", hard);
	else if (ls && !strcmp(ls, "delayed"))
		fprintf(g.out, " (next %sattempt in %lld s)", next, (long long)jint(o, retry));
	fprintf(g.out, "\n");
}

static void show_factor(json_object *f)
{
	const char *type = jstr(f, "type"), *label = jstr(f, "label");
	json_object *v;
	char t[32];

	fprintf(g.out, "factor %lld:   %s %s", (long long)jint(f, "id"), type, jstr(f, "status"));
	if (label && label[0])
		fprintf(g.out, " '%s'", printable(label));
	if (!strcmp(type, "totp") || !strcmp(type, "hotp"))
		fprintf(g.out, ", %s, %lld digits", jstr(f, "algorithm"), (long long)jint(f, "digits"));
	if (!strcmp(type, "totp")) {
		int64_t drift = jint(f, "drift");

		fprintf(g.out, ", %lld s, clock drift %+lld step%s", (long long)jint(f, "period"), (long long)drift,
		       (drift == 1 || drift == -1) ? "" : "s");
	}
	if (!strcmp(type, "hotp") && json_object_object_get_ex(f, "counter", &v))
		fprintf(g.out, ", counter %llu", (unsigned long long)json_object_get_uint64(v));
	fprintf(g.out, ", last used %s\n", iso(jint(f, "last_used"), t));
}

/* The text form of user show, from its result. */
static void render_show(json_object *o)
{
	const char *email = jstr(o, "email"), *shown = jstr(o, "email_unicode");
	const char *phone = jstr(o, "phone"), *org = jstr(o, "org");
	json_object *factors = NULL, *ids = NULL;
	unsigned active = 0;
	int64_t backup = jint(o, "backup_left");
	char t[32];

	json_object_object_get_ex(o, "factors", &factors);
	json_object_object_get_ex(o, "oidc", &ids);
	for (size_t i = 0; i < json_object_array_length(factors); i++)
		active += !strcmp(jstr(json_object_array_get_idx(factors, i), "status"), "active");
	fprintf(g.out, "name:       %s\n", jstr(o, "name"));
	if (email && shown && strcmp(shown, email))   /* an internationalised domain: as typed, then as sent */
		fprintf(g.out, "email:      %s (%s)\n", printable(shown), email);
	else
		fprintf(g.out, "email:      %s\n", email ? printable(email) : "-");
	fprintf(g.out, "phone:      %s\n", phone ? printable(phone) : "-");
	fprintf(g.out, "org:        %s\n", org ? printable(org) : "-");
	fprintf(g.out, "lang:       %s\n", printable(jstr(o, "lang")));
	fprintf(g.out, "created:    %s\n", iso(jint(o, "created"), t));
	fprintf(g.out, "2fa:        %s", active ? "on" : "off");
	if (active)
		fprintf(g.out, " (%u active factor%s)", active, active == 1 ? "" : "s");
	fprintf(g.out, "\n");
	fprintf(g.out, "2fa switch: %s\n", jstr(o, "2fa"));
	fprintf(g.out, "policy:     %s (%s)%s\n", jstr(o, "policy"), printable(jstr(o, "policy_source")),
	       jbool(o, "policy_overrides_switch") ?
	       ": the organisation's required policy overrides the account's own switch" : "");
	if (jbool(o, "must_enrol"))
		fprintf(g.out, "enrolment:  required at the next login (after a lost-device recovery), "
		       "until a factor is active\n");
	if (jbool(o, "service"))
		fprintf(g.out, "service:    yes (password login, exempt from the second factor, not from lockout)\n");
	fprintf(g.out, "password:   %s%s\n", jbool(o, "password") ? "set" : "none",
	       jbool(o, "password_login") ? "" : ", password login off");
	fprintf(g.out, "reset:      email reset %s\n", jbool(o, "email_reset") ? "on" : "off");
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		json_object *id = json_object_array_get_idx(ids, i);

		fprintf(g.out, "oidc:       %s %s\n", printable(jstr(id, "issuer")), printable(jstr(id, "subject")));
	}
	fprintf(g.out, "backup:     %lld code%s left\n", (long long)backup, backup == 1 ? "" : "s");
	fprintf(g.out, "support:    %s\n", active ? "requests by phone must not be trusted while 2FA is on: "
	       "ask for a code" : "requests by phone may be trusted (2FA is off)");
	show_budget(o, "failures:   ", "failures", "locked", "retry_in",
	            " (locked out: only 'twofactl user unlock' helps)", "");
	show_budget(o, "pw fails:   ", "password_failures", "password_locked", "password_retry_in",
	            " (password locked out: 'twofactl user unlock' or an email reset helps)", "password ");
	for (size_t i = 0; i < json_object_array_length(factors); i++)
		show_factor(json_object_array_get_idx(factors, i));
}

static const struct argp name_argp_show = {
	NULL, parse_name, "NAME", "Show an account: contact details, factors, backup codes left, "
	"failures and lockout, the clock drift of the last accepted code.", field_children, NULL, NULL
};

static int user_show(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&name_argp_show, argc, argv, &u);
	set_ctx("user show %s", safe(u.name));
	if ((ret = check_name(u.name)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_user_show(h, &(struct tf_user_show_args){ .name = u.name }, CLI_SINK(render_show));
	cli_close(h);
	return ret;
}

static const struct argp name_argp_del = {
	NULL, parse_name, "NAME", "Delete an account and everything it holds.", field_children, NULL, NULL
};

static void render_del(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "deleted account '%s'\n", jstr(o, "name"));
}

static int user_del(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&name_argp_del, argc, argv, &u);
	set_ctx("user del %s", safe(u.name));
	if ((ret = check_name(u.name)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_user_del(h, &(struct tf_user_del_args){ .name = u.name }, CLI_SINK(render_del));
	cli_close(h);
	return ret;
}

static const struct argp name_argp_unlock = {
	NULL, parse_name, "NAME", "Clear an account's failure counts and lockouts: the second factor's and the password's.", field_children, NULL, NULL
};

static void render_unlock(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "unlocked account '%s'\n", jstr(o, "name"));
}

static int user_unlock(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&name_argp_unlock, argc, argv, &u);
	set_ctx("user unlock %s", safe(u.name));
	if ((ret = check_name(u.name)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_user_unlock(h, &(struct tf_user_unlock_args){ .name = u.name }, CLI_SINK(render_unlock));
	cli_close(h);
	return ret;
}

/* ---- list ---- */

enum { OPT_L_ORG = 0x280, OPT_L_ENABLED, OPT_L_DISABLED, OPT_L_LOCKED, OPT_L_METHOD, OPT_L_POLICY };

static const struct argp_option list_options[] = {
	{ "org", OPT_L_ORG, "ORG", 0, "Only the members of ORG", 0 },
	{ "enabled", OPT_L_ENABLED, NULL, 0, "Only accounts with an active second factor", 0 },
	{ "disabled", OPT_L_DISABLED, NULL, 0, "Only accounts without one", 0 },
	{ "locked", OPT_L_LOCKED, NULL, 0, "Only accounts locked out, or waiting after failures "
	  "(codes or password)", 0 },
	{ "method", OPT_L_METHOD, "METHOD", 0, "Only accounts with an active factor of this type: "
	  "totp, hotp, email, sms, webauthn", 0 },
	{ "policy", OPT_L_POLICY, "POLICY", 0, "Only accounts under this policy (the one that "
	  "applies: own switch, organisation, default): required, optional, off", 0 },
	{ 0 }
};

static error_t parse_list(int key, char *arg, struct argp_state *state)
{
	struct tf_user_list_args *f = state->input;

	switch (key) {
	case OPT_L_ORG:
		if (!account_name_valid(arg))
			USAGE(state, "--org: '%s' is not a valid organisation name", safe(arg));
		f->org = arg;
		break;
	case OPT_L_ENABLED:
	case OPT_L_DISABLED:
		if (f->enabled == (key == OPT_L_ENABLED ? -1 : 1))
			USAGE(state, "--enabled and --disabled exclude each other");
		f->enabled = key == OPT_L_ENABLED ? 1 : -1;
		break;
	case OPT_L_LOCKED:
		f->locked = 1;
		break;
	case OPT_L_METHOD: {
		enum factor_type t;

		if (factor_type_parse(arg, &t))
			USAGE(state, "--method: '%s' is not totp, hotp, email, sms or webauthn", safe(arg));
		f->method = arg;
		break;
	}
	case OPT_L_POLICY: {
		enum policy p;

		if (policy_parse(arg, &p))
			USAGE(state, "--policy: '%s' is not required, optional or off", safe(arg));
		f->policy = p == POLICY_REQUIRED ? TF_POLICY_REQUIRED : p == POLICY_OFF ? TF_POLICY_OFF :
		            TF_POLICY_OPTIONAL;
		break;
	}
	case ARGP_KEY_ARG:
		USAGE(state, "unexpected argument '%s'", safe(arg));
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp list_argp = {
	list_options, parse_list, NULL,
	"List the accounts, sorted by name; the filters given must all hold (a support "
	"desk's \"who in company X has no 2FA yet\": --org X --disabled).",
	field_children, NULL, NULL
};

static void render_list(json_object *o)
{
	out_puts(jstr(o, "name"));
}

static int user_list(int argc, char **argv)
{
	struct tf_user_list_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	if (!(ret = cli_open(&h)))
		ret = tf_user_list(h, &a, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

/* ---- rename (lib/rename.c does the crash-safe steps) ---- */

static const struct argp rename_argp = {
	NULL, parse_fields, "OLD NEW",
	"Give an account a new name (seed 000: customers may pick their own user "
	"name). Its factors, codes, devices and links move with it in one "
	"crash-safe step; the old name is free afterwards. A rename onto an "
	"existing name is refused.", field_children, NULL, NULL
};

static void render_rename(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "renamed '%s' to '%s'\n", jstr(o, "old"), jstr(o, "name"));
}

static int user_rename(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1, .maxargs = 1 };
	char code[STEPUP_MAX] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&rename_argp, argc, argv, &u);
	if (!u.newname)
		return fail(EXIT_USAGE, "missing NEW name");
	set_ctx("user rename %s", safe(u.name));
	if ((ret = check_name(u.newname)) || (ret = read_stepup(code, sizeof code, 0)))
		goto out;
	if (!(ret = cli_open(&h)))
		ret = tf_user_rename(h, &(struct tf_user_rename_args){ .name = u.name, .new_name = u.newname,
		                     .stepup = code }, CLI_SINK(render_rename));
	cli_close(h);
out:
	sodium_memzero(code, sizeof code);
	return ret;
}

static const struct verb verbs[] = {
	{ "add", user_add, "add an account" },
	{ "rename", user_rename, "give an account a new name" },
	{ "list", user_list, "list the accounts" },
	{ "show", user_show, "show an account" },
	{ "set", user_set, "change contact details, organisation, language" },
	{ "del", user_del, "delete an account" },
	{ "unlock", user_unlock, "clear failures and lockouts" },
	{ NULL, NULL, NULL }
};

int cmd_user(int argc, char **argv)
{
	return run_verbs("user", verbs, argc, argv);
}
