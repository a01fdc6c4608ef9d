/* SPDX-License-Identifier: ISC */
/* twofactl verify, and the code check shared with confirm and disable */
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/lockout.h"
#include "core/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *method_of(const struct auth_outcome *out, struct account *a)
{
	struct factor *f;

	if (out->backup)
		return "backup";
	if (out->channel >= 0)
		return channel_name((enum channel)out->channel);
	f = account_factor(a, out->factor);
	return f ? factor_type_name(f->type) : "unknown";
}

struct verify_args {
	const char *name, *code, *ip, *assertion;
	int nargs, password;
};

enum { OPT_IP = 0x300, OPT_PASSWORD, OPT_ASSERTION };

static const struct argp_option options[] = {
	{ "ip", OPT_IP, "ADDR", 0, "Source address of the login (audited)", 0 },
	{ "password", OPT_PASSWORD, NULL, 0, "Check the account's password, read from standard "
	  "input; failures count in the password's own budget, never the codes'", 0 },
	{ "assertion", OPT_ASSERTION, "FILE", 0, "Check a WebAuthn assertion: the browser's PublicKeyCredential "
	  "as JSON (rawId; response.clientDataJSON, authenticatorData, signature, userHandle) over a login "
	  "challenge of 'webauthn challenge'; '-' reads stdin", 0 },
	{ 0 }
};

/* A password: Argon2id, with the first factor's failure budget. */
static int verify_password(struct tf_sess *ss, const char *ip)
{
	char *pw = sodium_malloc(1024);
	unsigned after;
	int ret, ok;

	if (!pw)
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if ((ret = read_stdin_line(pw, 1024, "password")))
		goto out;
	if (!ss->a->pwhash[0]) {
		ret = fail(EXIT_NOENT, "no password is set for this account");
		goto out;
	}
	if (ss->a->password_off) {
		ret = fail(EXIT_REJECTED, "password login is turned off for this account: use its OpenID Connect identity");
		goto out;
	}
	if ((ret = tf_config_uint(g.h, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = password_gate(ss, "verify.password", ip)))
		goto out;
	ok = crypto_pwhash_str_verify(ss->a->pwhash, pw, strlen(pw)) == 0;
	if (ok) {
		budget_success(&ss->a->lk_pw);
		ss->a->verified++;
	} else {
		budget_fail(&ss->a->lk_pw, g.now, after);
	}
	if ((ret = tf_sess_save(ss)) ||
	    (ret = tf_audit(g.h, "verify.password", ss->name, ok ? "ok" : "rejected", ip, NULL)))
		goto out;
	ret = ok ? EXIT_OK : fail(EXIT_REJECTED, "password rejected");
out:
	sodium_free(pw);
	return ret;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct verify_args *a = state->input;

	switch (key) {
	case OPT_PASSWORD:
		a->password = 1;
		break;
	case OPT_ASSERTION:
		a->assertion = arg;
		break;
	case OPT_IP:
		if (strlen(arg) > 45 || strspn(arg, "0123456789abcdefABCDEF.:") != strlen(arg))
			USAGE(state, "--ip: '%s' is not an IP address", safe(arg));
		a->ip = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs == 0)
			a->name = arg;
		else if (a->nargs == 1)
			a->code = arg;
		else
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->nargs++;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing account NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "NAME [CODE]",
	"Check a code: a TOTP/HOTP code from an authenticator app, or a backup code. "
	"Without CODE, or with '-', the code is read from standard input (keeps it "
	"out of the process list). Each code is accepted once.\v"
	"Exit status: 0 accepted, 1 rejected, 2 malformed, 3 no such account, "
	"4 locked out, 5 store error, 7 store busy.", common_children, NULL, NULL
};

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { 0 };
	struct attempt_opts o = { .event = "verify", .allow_backup = 1, .otc_purposes = 1u << P_LOGIN,
	                          .defer = 1 };
	struct auth_outcome out;
	struct tf_sess ss = { 0 };
	struct account *before = NULL;
	char code[CODE_MAX_INPUT + 2];
	int ret;

	cmd_parse(&argp, argc, argv, &a);
	set_ctx("verify %s", safe(a.name));
	if (a.assertion) {
		uint32_t fid = 0;

		if (a.code || a.password)
			return fail(EXIT_USAGE, "--assertion goes alone, without a code or --password");
		if ((ret = check_name(a.name)))
			return ret;
		if (!(ret = sess_begin(&ss, a.name)))
			ret = verify_assertion(&ss, a.assertion, a.ip, &fid);
		sess_end(&ss);
		if (!ret && g.json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "name", json_object_new_string(a.name));
			json_object_object_add(j, "result", json_object_new_string("accepted"));
			json_object_object_add(j, "method", json_object_new_string("webauthn"));
			json_object_object_add(j, "factor", json_object_new_int64(fid));
			emit_json(j);
		} else if (!ret && !g.quiet) {
			printf("accepted (webauthn)\n");
		}
		return ret;
	}
	if (a.password) {
		if (a.code)
			return fail(EXIT_USAGE, "the password is read from standard input, not argv");
		if ((ret = check_name(a.name)))
			return ret;
		if (!(ret = sess_begin(&ss, a.name)))
			ret = verify_password(&ss, a.ip);
		sess_end(&ss);
		if (!ret && g.json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "name", json_object_new_string(a.name));
			json_object_object_add(j, "result", json_object_new_string("accepted"));
			json_object_object_add(j, "method", json_object_new_string("password"));
			emit_json(j);
		} else if (!ret && !g.quiet) {
			printf("accepted\n");
		}
		return ret;
	}
	if ((ret = check_name(a.name)) || (ret = get_code(a.code, code, sizeof code)))
		return ret;
	o.ip = a.ip;
	if (!(ret = sess_begin(&ss, a.name))) {
		if (!(before = account_new()))
			ret = fail(EXIT_STORE, "cannot allocate secure memory");
		else
			memcpy(before, ss.a, sizeof *before);
	}
	if (!ret)
		ret = attempt(&ss, code, &o, &out);
	sodium_memzero(code, sizeof code);
	/* An accepted code is spent on disk before anything says "accepted"
	 * (a verify that cannot record it fails closed, or a full disk would
	 * let one code in again and again), and the answer must reach standard
	 * output before it is final: when it cannot be written, the record
	 * goes back to what it was and the code stays unused. */
	if (ret == EXIT_OK)
		ret = tf_sess_save(&ss);
	if (ret == EXIT_OK) {
		if (g.json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "name", json_object_new_string(a.name));
			json_object_object_add(j, "result", json_object_new_string("accepted"));
			json_object_object_add(j, "method", json_object_new_string(method_of(&out, ss.a)));
			json_object_object_add(j, "factor", out.factor ? json_object_new_int64(out.factor) : NULL);
			json_object_object_add(j, "drift", json_object_new_int64(out.drift));
			json_object_object_add(j, "backup_left", json_object_new_int64(ss.a->nbackup));
			emit_json(j);
		} else if (!g.quiet) {
			if (out.backup)
				printf("accepted (backup code; %u left)\n", ss.a->nbackup);
			else if (out.channel >= 0)
				printf("accepted (%s code)\n", channel_name((enum channel)out.channel));
			else
				printf("accepted\n");
		}
		if ((ret = out_flush()) && store_save(ss.s, &ss.ref, before))
			ret = fail(EXIT_STORE, "%s: the code could not be given back and stays used",
			           store_error(ss.s));
		if (!ret)
			ret = attempt_audit(&ss, &o, &out);
	}
	account_free(before);
	sess_end(&ss);
	return ret;
}
