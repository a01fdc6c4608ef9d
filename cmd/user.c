/* SPDX-License-Identifier: ISC */
/* twofactl user add|list|show|set|del|unlock */
#include "cmd/cmd.h"
#include "core/auth.h"
#include "core/contact.h"
#include "core/lockout.h"
#include "core/policy.h"
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

static int apply_fields(struct account *a, const struct user_args *u)
{
	if (u->pwlogin >= 0)
		a->password_off = !u->pwlogin;
	if (u->mustenrol >= 0)
		a->must_enrol = u->mustenrol;
	if (u->twofa >= 0)
		a->twofa = (enum acct_switch)u->twofa;
	if (u->emailreset >= 0) {
		a->email_reset_off = !u->emailreset;
		if (a->email_reset_off) {   /* a link already sent stops working too */
			sodium_memzero(a->reset_hash, sizeof a->reset_hash);
			a->reset_expires = 0;
		}
	}
	/* what was sent to an old address or number dies with it */
	if (u->email && strcmp(u->email, a->email))
		auth_drop_sent(a, CH_EMAIL);
	if (u->phone && strcmp(u->phone, a->phone))
		auth_drop_sent(a, CH_SMS);
	if ((u->email && core_strlcpy(a->email, u->email, sizeof a->email)) ||
	    (u->phone && core_strlcpy(a->phone, u->phone, sizeof a->phone)) ||
	    (u->org && core_strlcpy(a->org, u->org, sizeof a->org)) ||
	    (u->lang && core_strlcpy(a->lang, u->lang, sizeof a->lang)))
		return fail(EXIT_USAGE, "a value is too long");
	return EXIT_OK;
}

/* Through serve, a front end may only make its account stricter (--2fa
 * required): turning the second factor off, or back to the organisation's
 * policy, is an administrator's decision. */
static int switch_permitted(const struct user_args *u)
{
	if (u->twofa >= 0 && u->twofa != SW_REQUIRED)
		return allow_admin_option("--2fa");
	/* the organisation decides the policy and lends its whitelist: a
	 * customer who could pick one could leave a required organisation, or
	 * join one whose whitelist covers them */
	if (u->org)
		return allow_admin_option("--org");
	return EXIT_OK;
}

/* After the fields are applied: an organisation given with --org exists,
 * and nothing loosens a required organisation (its members' own switch
 * may be required or inherit there). Checked when --org or --2fa changes;
 * an organisation that becomes required later simply wins (org set says
 * whose own switch it overrides). */
static int check_org_switch(const struct account *a, const struct user_args *u)
{
	struct acct_ref oref = { 0 };
	struct org o;
	int ret;

	if (!a->org[0] || (!(u->org && u->org[0]) && u->twofa < 0))
		return EXIT_OK;
	ret = u->org && u->org[0] ? org_read(g.h, a->org, &oref, &o) : org_read_quiet(g.h, a->org, &oref, &o);
	if (ret == EXIT_NOENT && !(u->org && u->org[0]))
		return EXIT_OK;   /* its organisation went away: as none */
	if (ret)
		return ret;
	if (!policy_switch_allowed(a->twofa, 1, o.policy))
		return fail(EXIT_USAGE, "organisation '%s' requires two-factor authentication: the account's "
		            "own 2fa switch cannot be %s there (use --2fa inherit or required)",
		            safe(a->org), switch_name(a->twofa));
	return EXIT_OK;
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

#define SERVICE_PW_LEN 32

/* A random password of SERVICE_PW_LEN letters and digits (190 bits) and its
 * Argon2id hash. */
static int service_password(struct account *a, char pw[SERVICE_PW_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (int i = 0; i < SERVICE_PW_LEN; i++)
		pw[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	pw[SERVICE_PW_LEN] = '\0';
	if (crypto_pwhash_str(a->pwhash, pw, SERVICE_PW_LEN, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return fail(EXIT_STORE, "cannot hash the password (out of memory?)");
	return EXIT_OK;
}

static int user_add(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	struct tf_sess ss = { 0 };
	char *pw = NULL;
	int ret, st;

	cmd_parse(&add_argp, argc, argv, &u);
	set_ctx("user add %s", safe(u.name));
	if ((ret = check_name(u.name)) || (ret = switch_permitted(&u)))
		return ret;
	if ((ret = open_store(&ss.s)))
		goto out;
	ss.h = g.h;   /* sess_end gives the handle back */
	ss.name = u.name;
	ss.a = account_new();
	ret = EXIT_STORE;
	if (!ss.a)
		goto out;
	if ((st = store_ref(ss.s, u.name, &ss.ref)) || (st = store_lock(ss.s, &ss.ref))) {
		ret = fail_store(ss.s, st);
		goto out;
	}
	if (store_exists(ss.s, &ss.ref)) {
		ret = fail(EXIT_USAGE, "account already exists");
		goto out;
	}
	account_init(ss.a, u.name, g.now);
	if ((ret = apply_fields(ss.a, &u)) || (ret = check_org_switch(ss.a, &u)))
		goto out;
	if (u.service || u.genpw) {
		ss.a->service = u.service;
		pw = sodium_malloc(SERVICE_PW_LEN + 1);
		if (!pw) {
			ret = fail(EXIT_STORE, "cannot allocate secure memory");
			goto out;
		}
		if ((ret = service_password(ss.a, pw)))
			goto out;
	}
	/* a password is shown once: written out before the account exists */
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(u.name));
		json_object_object_add(o, "created", json_object_new_int64(g.now));
		json_object_object_add(o, "service", json_object_new_boolean(u.service));
		if (pw)
			json_object_object_add(o, "password", json_object_new_string(pw));
		emit_json(o);
	} else {
		if (!g.quiet)
			printf("added %saccount '%s'%s\n", u.service ? "service " : "", u.name,
			       u.service ? "; its password (shown only now):" : "");
		if (pw)
			printf("%s\n", pw);
	}
	if ((ret = out_flush()) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "user.add", u.name, "ok", NULL, u.service ? "service" : NULL)))
		goto out;
out:
	if (pw)
		sodium_free(pw);
	sess_end(&ss);
	return ret;
}

/* ---- set ---- */

static const struct argp set_argp = {
	set_options, parse_fields, "NAME", "Change an account's contact details, organisation, "
	"language, its own 2FA switch and other settings.", field_children, NULL, NULL
};

static int user_set(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	struct tf_sess ss;
	int ret;

	cmd_parse(&set_argp, argc, argv, &u);
	set_ctx("user set %s", safe(u.name));
	if (!u.email && !u.phone && !u.org && !u.lang && u.pwlogin < 0 && u.emailreset < 0 && u.mustenrol < 0 &&
	    u.twofa < 0)
		return fail(EXIT_USAGE, "nothing to change: give --email, --phone, --org, --lang, --2fa, "
		            "--password-login, --email-reset or --must-enrol");
	if ((u.mustenrol >= 0 && (ret = allow_admin_option("--must-enrol"))) || (ret = switch_permitted(&u)))
		return ret;
	if (!(ret = sess_begin(&ss, u.name)) && !(ret = apply_fields(ss.a, &u)) &&
	    !(ret = check_org_switch(ss.a, &u)) && !(ret = tf_sess_save(&ss))) {
		char detail[64] = "";

		if (u.mustenrol >= 0)
			snprintf(detail, sizeof detail, "must-enrol %s", u.mustenrol ? "on" : "off");
		if (u.twofa >= 0)
			snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s2fa %s",
			         detail[0] ? ", " : "", switch_name((enum acct_switch)u.twofa));
		ret = tf_audit(g.h, "user.set", u.name, "ok", NULL, detail[0] ? detail : NULL);
	}
	sess_end(&ss);
	if (!ret && !g.quiet && !g.json)
		printf("updated account '%s'\n", u.name);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(u.name));
		json_object_object_add(o, "updated", json_object_new_boolean(1));
		emit_json(o);
	}
	return ret;
}

/* ---- name-only verbs: show, del, unlock ---- */

static error_t parse_name(int key, char *arg, struct argp_state *state)
{
	return parse_fields(key, arg, state);
}

static json_object *factor_obj(const struct factor *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "type", json_object_new_string(factor_type_name(f->type)));
	json_object_object_add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
	json_object_object_add(o, "label", json_object_new_string(f->label));
	if (f->type == F_TOTP || f->type == F_HOTP) {
		json_object_object_add(o, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
		json_object_object_add(o, "digits", json_object_new_int64(f->digits));
	}
	if (f->type == F_TOTP) {
		json_object_object_add(o, "period", json_object_new_int64(f->period));
		json_object_object_add(o, "drift", json_object_new_int64(f->drift));
	}
	if (f->type == F_HOTP)
		json_object_object_add(o, "counter", json_object_new_uint64(f->counter));
	json_object_object_add(o, "created", json_object_new_int64(f->created));
	json_object_object_add(o, "last_used", f->last_used ? json_object_new_int64(f->last_used) : NULL);
	return o;
}

static const char *iso(int64_t t, char buf[32])
{
	if (!t)
		return "never";
	time_iso(t, buf);
	return buf;
}

/* The policy that applies to a shown account, and where it comes from. */
struct shown_policy {
	struct policy_out po;
	char src[96];
};

static void show_text(const struct account *a, const struct shown_policy *sp)
{
	char t[32];
	int64_t wait = 0;
	enum lock_state ls = lock_check(a, g.now, &wait);
	unsigned active = account_active_count(a);

	char shown[1024];

	printf("name:       %s\n", a->name);
	email_display(a->email, shown, sizeof shown);
	if (strcmp(shown, a->email))   /* an internationalised domain: as typed, then as sent */
		printf("email:      %s (%s)\n", printable(shown), a->email);
	else
		printf("email:      %s\n", a->email[0] ? printable(a->email) : "-");
	printf("phone:      %s\n", a->phone[0] ? printable(a->phone) : "-");
	printf("org:        %s\n", a->org[0] ? printable(a->org) : "-");
	printf("lang:       %s\n", a->lang[0] ? printable(a->lang) : "en");
	printf("created:    %s\n", iso(a->created, t));
	printf("2fa:        %s", active ? "on" : "off");
	if (active)
		printf(" (%u active factor%s)", active, active == 1 ? "" : "s");
	printf("\n");
	printf("2fa switch: %s\n", switch_name(a->twofa));
	printf("policy:     %s (%s)%s\n", policy_name(sp->po.pol), printable(sp->src),
	       sp->po.overridden ? ": the organisation's required policy overrides the account's own switch" : "");
	if (a->must_enrol && !active)
		printf("enrolment:  required at the next login (after a lost-device recovery), "
		       "until a factor is active\n");
	if (a->service)
		printf("service:    yes (password login, exempt from the second factor, not from lockout)\n");
	printf("password:   %s%s\n", a->pwhash[0] ? "set" : "none", a->password_off ? ", password login off" : "");
	printf("reset:      email reset %s\n", a->email_reset_off ? "off" : "on");
	for (unsigned i = 0; i < a->noidc; i++)
		printf("oidc:       %s %s\n", printable(a->oidc[i].issuer), printable(a->oidc[i].subject));
	printf("backup:     %u code%s left\n", a->nbackup, a->nbackup == 1 ? "" : "s");
	printf("support:    %s\n", active ? "requests by phone must not be trusted while 2FA is on: "
	       "ask for a code" : "requests by phone may be trusted (2FA is off)");
	printf("failures:   %u", a->lk_codes.failures);
	if (ls == LOCK_HARDLOCKED)
		printf(" (locked out: only 'twofactl user unlock' helps)");
	else if (ls == LOCK_DELAYED)
		printf(" (next attempt in %lld s)", (long long)wait);
	printf("\n");
	ls = budget_check(&a->lk_pw, g.now, &wait);
	printf("pw fails:   %u", a->lk_pw.failures);
	if (ls == LOCK_HARDLOCKED)
		printf(" (password locked out: 'twofactl user unlock' or an email reset helps)");
	else if (ls == LOCK_DELAYED)
		printf(" (next password attempt in %lld s)", (long long)wait);
	printf("\n");
	for (unsigned i = 0; i < a->nf; i++) {
		const struct factor *f = &a->f[i];

		printf("factor %u:   %s %s", f->id, factor_type_name(f->type),
		       f->status == FS_ACTIVE ? "active" : "pending");
		if (f->label[0])
			printf(" '%s'", printable(f->label));
		if (f->type == F_TOTP || f->type == F_HOTP)
			printf(", %s, %u digits", otp_algo_name(f->algo), f->digits);
		if (f->type == F_TOTP)
			printf(", %u s, clock drift %+lld step%s", f->period, (long long)f->drift,
			       (f->drift == 1 || f->drift == -1) ? "" : "s");
		if (f->type == F_HOTP)
			printf(", counter %llu", (unsigned long long)f->counter);
		printf(", last used %s\n", iso(f->last_used, t));
	}
}

static json_object *show_json(const struct account *a, const struct shown_policy *sp)
{
	json_object *o = json_object_new_object(), *fs = json_object_new_array();
	int64_t wait = 0;
	enum lock_state ls = lock_check(a, g.now, &wait);

	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "email", a->email[0] ? json_object_new_string(a->email) : NULL);
	if (a->email[0]) {
		char shown[1024];

		email_display(a->email, shown, sizeof shown);
		json_object_object_add(o, "email_unicode", json_object_new_string(shown));
	} else {
		json_object_object_add(o, "email_unicode", NULL);
	}
	json_object_object_add(o, "phone", a->phone[0] ? json_object_new_string(a->phone) : NULL);
	json_object_object_add(o, "org", a->org[0] ? json_object_new_string(a->org) : NULL);
	json_object_object_add(o, "lang", json_object_new_string(a->lang[0] ? a->lang : "en"));
	json_object_object_add(o, "service", json_object_new_boolean(a->service));
	json_object_object_add(o, "password", json_object_new_boolean(a->pwhash[0] != 0));
	json_object_object_add(o, "password_login", json_object_new_boolean(!a->password_off));
	json_object_object_add(o, "email_reset", json_object_new_boolean(!a->email_reset_off));
	{
		json_object *ids = json_object_new_array();

		for (unsigned i = 0; i < a->noidc; i++) {
			json_object *id = json_object_new_object();

			json_object_object_add(id, "issuer", json_object_new_string(a->oidc[i].issuer));
			json_object_object_add(id, "subject", json_object_new_string(a->oidc[i].subject));
			json_object_array_add(ids, id);
		}
		json_object_object_add(o, "oidc", ids);
	}
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	json_object_object_add(o, "enabled", json_object_new_boolean(account_active_count(a) > 0));
	json_object_object_add(o, "must_enrol", json_object_new_boolean(a->must_enrol && !account_active_count(a)));
	json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
	json_object_object_add(o, "policy", json_object_new_string(policy_name(sp->po.pol)));
	json_object_object_add(o, "policy_source", json_object_new_string(sp->src));
	json_object_object_add(o, "policy_overrides_switch", json_object_new_boolean(sp->po.overridden));
	json_object_object_add(o, "phone_requests_trusted", json_object_new_boolean(account_active_count(a) == 0));
	json_object_object_add(o, "backup_left", json_object_new_int64(a->nbackup));
	json_object_object_add(o, "whitelist", json_object_new_int64(a->nwl));
	json_object_object_add(o, "trusted_devices", json_object_new_int64(a->ntr));
	json_object_object_add(o, "pending_logins", json_object_new_int64(a->npl));
	json_object_object_add(o, "failures", json_object_new_int64(a->lk_codes.failures));
	json_object_object_add(o, "verified", json_object_new_uint64(a->verified));
	json_object_object_add(o, "locked", json_object_new_string(
		ls == LOCK_HARDLOCKED ? "hard" : ls == LOCK_DELAYED ? "delayed" : "no"));
	json_object_object_add(o, "retry_in", json_object_new_int64(wait));
	ls = budget_check(&a->lk_pw, g.now, &wait);
	json_object_object_add(o, "password_failures", json_object_new_int64(a->lk_pw.failures));
	json_object_object_add(o, "password_locked", json_object_new_string(
		ls == LOCK_HARDLOCKED ? "hard" : ls == LOCK_DELAYED ? "delayed" : "no"));
	json_object_object_add(o, "password_retry_in", json_object_new_int64(wait));
	for (unsigned i = 0; i < a->nf; i++)
		json_object_array_add(fs, factor_obj(&a->f[i]));
	json_object_object_add(o, "factors", fs);
	return o;
}

static const struct argp name_argp_show = {
	NULL, parse_name, "NAME", "Show an account: contact details, factors, backup codes left, "
	"failures and lockout, the clock drift of the last accepted code.", field_children, NULL, NULL
};

static int user_show(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	struct tf_sess ss;
	int ret;

	cmd_parse(&name_argp_show, argc, argv, &u);
	set_ctx("user show %s", safe(u.name));
	if (!(ret = sess_begin(&ss, u.name))) {
		struct shown_policy sp;

		ret = effective_policy(g.h, ss.a, &sp.po, sp.src, sizeof sp.src);
		if (!ret && g.json)
			emit_json(show_json(ss.a, &sp));
		else if (!ret)
			show_text(ss.a, &sp);
	}
	sess_end(&ss);
	return ret;
}

static const struct argp name_argp_del = {
	NULL, parse_name, "NAME", "Delete an account and everything it holds.", field_children, NULL, NULL
};

static int user_del(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	struct tf_sess ss;
	int ret, st;

	cmd_parse(&name_argp_del, argc, argv, &u);
	set_ctx("user del %s", safe(u.name));
	if (!(ret = sess_begin(&ss, u.name))) {
		if ((st = store_delete(ss.s, &ss.ref)))
			ret = fail_store(ss.s, st);
		else
			ret = tf_audit(g.h, "user.del", u.name, "ok", NULL, NULL);
	}
	sess_end(&ss);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(u.name));
		json_object_object_add(o, "deleted", json_object_new_boolean(1));
		emit_json(o);
	} else if (!ret && !g.quiet) {
		printf("deleted account '%s'\n", u.name);
	}
	return ret;
}

static const struct argp name_argp_unlock = {
	NULL, parse_name, "NAME", "Clear an account's failure counts and lockouts: the second factor's and the password's.", field_children, NULL, NULL
};

static int user_unlock(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1 };
	struct tf_sess ss;
	int ret;

	cmd_parse(&name_argp_unlock, argc, argv, &u);
	set_ctx("user unlock %s", safe(u.name));
	if (!(ret = sess_begin(&ss, u.name))) {
		lock_reset_all(ss.a);
		if (!(ret = tf_sess_save(&ss)))
			ret = tf_audit(g.h, "user.unlock", u.name, "ok", NULL, NULL);
	}
	sess_end(&ss);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(u.name));
		json_object_object_add(o, "unlocked", json_object_new_boolean(1));
		emit_json(o);
	} else if (!ret && !g.quiet) {
		printf("unlocked account '%s'\n", u.name);
	}
	return ret;
}

/* ---- list ---- */

struct name_list {
	char (*names)[ACCT_NAME_MAX + 1];
	json_object **objs;
	size_t n, cap;
	int oom;
	/* the filters, and what deciding the policy needs */
	struct list_filter f;
	const struct org_index *orgs;
	enum policy def;
};

static int collect(void *ctx, const struct account *a)
{
	struct name_list *l = ctx;
	struct policy_out po;

	account_policy(a, org_index_find(l->orgs, a->org), l->def, &po);
	if (!list_filter_match(&l->f, a, &po, g.now))
		return 0;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		void *nn = realloc(l->names, nc * sizeof *l->names);

		if (!nn) {
			l->oom = 1;
			return 1;
		}
		l->names = nn;
		if (g.json) {
			void *no = realloc(l->objs, nc * sizeof *l->objs);
			if (!no) {
				l->oom = 1;
				return 1;
			}
			l->objs = no;
		}
		l->cap = nc;
	}
	memcpy(l->names[l->n], a->name, sizeof l->names[0]);
	if (g.json) {
		json_object *o = json_object_new_object(), *m = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "org", a->org[0] ? json_object_new_string(a->org) : NULL);
		for (unsigned i = 0; i < a->nf; i++)
			if (a->f[i].status == FS_ACTIVE)
				json_object_array_add(m, json_object_new_string(factor_type_name(a->f[i].type)));
		json_object_object_add(o, "methods", m);
		json_object_object_add(o, "enabled", json_object_new_boolean(account_active_count(a) > 0));
		json_object_object_add(o, "backup_left", json_object_new_int64(a->nbackup));
		json_object_object_add(o, "locked", json_object_new_boolean(account_locked(a, g.now)));
		json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
		json_object_object_add(o, "policy", json_object_new_string(policy_name(po.pol)));
		{
			char src[96];

			policy_source_text(&po, a->org, src, sizeof src);
			json_object_object_add(o, "policy_source", json_object_new_string(src));
		}
		l->objs[l->n] = o;
	}
	l->n++;
	return 0;
}

static struct name_list *sort_list;

static int cmp_idx(const void *x, const void *y)
{
	return strcmp(sort_list->names[*(const size_t *)x], sort_list->names[*(const size_t *)y]);
}

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
	struct list_filter *f = state->input;

	switch (key) {
	case OPT_L_ORG:
		if (!account_name_valid(arg))
			USAGE(state, "--org: '%s' is not a valid organisation name", safe(arg));
		f->org = arg;
		break;
	case OPT_L_ENABLED:
	case OPT_L_DISABLED:
		if (f->enabled == (key == OPT_L_ENABLED ? 0 : 1))
			USAGE(state, "--enabled and --disabled exclude each other");
		f->enabled = key == OPT_L_ENABLED;
		break;
	case OPT_L_LOCKED:
		f->locked = 1;
		break;
	case OPT_L_METHOD: {
		enum factor_type t;

		if (factor_type_parse(arg, &t))
			USAGE(state, "--method: '%s' is not totp, hotp, email, sms or webauthn", safe(arg));
		f->method = (int)t;
		break;
	}
	case OPT_L_POLICY: {
		enum policy p;

		if (policy_parse(arg, &p))
			USAGE(state, "--policy: '%s' is not required, optional or off", safe(arg));
		f->policy = (int)p;
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

static int user_list(int argc, char **argv)
{
	struct name_list l = { .f = { .enabled = -1, .method = -1, .policy = -1 } };
	struct org_index orgs = { 0 };
	struct skipped k = { 0 };
	struct store *s = NULL;
	size_t *idx = NULL;
	int ret, st;

	cmd_parse(&list_argp, argc, argv, &l.f);
	if ((ret = open_store(&s)))
		return ret;
	if ((ret = org_index_load(g.h, &orgs)) || (ret = default_policy(g.h, &l.def)))
		goto out;
	if (l.f.org && !org_index_find(&orgs, l.f.org)) {
		ret = fail(EXIT_NOENT, "no such organisation '%s'", safe(l.f.org));
		goto out;
	}
	l.orgs = &orgs;
	st = store_scan(s, collect, &l, skipped_record, &k);
	if (st) {
		ret = fail_store(s, st);
		goto out;
	}
	if (l.oom) {
		ret = fail(EXIT_STORE, "out of memory");
		goto out;
	}
	idx = malloc((l.n + 1) * sizeof *idx);
	if (!idx) {
		ret = fail(EXIT_STORE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		idx[i] = i;
	sort_list = &l;
	qsort(idx, l.n, sizeof *idx, cmp_idx);
	for (size_t i = 0; i < l.n; i++) {
		if (g.json) {
			emit_json(l.objs[idx[i]]);
			l.objs[idx[i]] = NULL;
		} else {
			puts(l.names[idx[i]]);
		}
	}
	ret = skipped_end(&k, EXIT_OK);
out:
	if (l.objs)
		for (size_t i = 0; i < l.n; i++)
			json_object_put(l.objs[i]);
	free(l.objs);
	free(l.names);
	free(idx);
	org_index_free(&orgs);
	close_store(s);
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

static int user_rename(int argc, char **argv)
{
	struct user_args u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1, .twofa = -1, .maxargs = 1 };
	struct tf_sess ss;
	struct acct_ref nref = { 0 };
	int ret, st;

	cmd_parse(&rename_argp, argc, argv, &u);
	if (!u.newname)
		return fail(EXIT_USAGE, "missing NEW name");
	set_ctx("user rename %s", safe(u.name));
	if ((ret = check_name(u.newname)))
		return ret;
	if (!strcmp(u.name, u.newname))
		return fail(EXIT_USAGE, "the new name is the old one");
	if ((ret = sess_begin(&ss, u.name)))
		goto out;
	if ((st = store_ref(ss.s, u.newname, &nref)) || (st = store_lock(ss.s, &nref))) {
		ret = fail_store(ss.s, st);
		goto out;
	}
	if (store_exists(ss.s, &nref)) {
		ret = fail(EXIT_USAGE, "an account '%s' exists already", u.newname);
		goto out;
	}
	memcpy(ss.a->moved_to, u.newname, strlen(u.newname) + 1);
	if ((ret = tf_sess_save(&ss)))   /* 1: the commit point */
		goto out;
	ret = rename_finish(g.h, &ss.ref, ss.a, &nref);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(u.newname));
		json_object_object_add(o, "old", json_object_new_string(u.name));
		emit_json(o);
	} else if (!ret && !g.quiet) {
		printf("renamed '%s' to '%s'\n", u.name, u.newname);
	}
out:
	if (ss.s)
		store_unlock(ss.s, &nref);
	sess_end(&ss);
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
