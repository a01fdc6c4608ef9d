/* SPDX-License-Identifier: ISC */
/* twofactl verify, and the code check shared with confirm and disable */
#include "cmd/cmd.h"
#include "cmd/attempt.h"
#include "core/lockout.h"
#include "core/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Audit and refuse an attempt while budget b is locked out or delayed;
 * EXIT_OK when it may be checked. what names the budget in messages. */
static int budget_gate(struct session *ss, const struct lock_budget *b, const char *what,
                       const char *event, const char *ip, const char *detail)
{
	int64_t wait;
	enum lock_state ls = budget_check(b, g.now, &wait);
	int ret;

	if (ls == LOCK_OPEN)
		return EXIT_OK;
	if ((ret = audit(ss->s, event, ss->name, "locked", ip, detail)))
		return ret;
	if (ls == LOCK_HARDLOCKED)
		return fail(EXIT_LOCKED, "%slocked out after %u failures: an administrator must run "
		            "'twofactl user unlock'", what, b->failures);
	return fail(EXIT_LOCKED, "too many %sfailures: next attempt in %lld s", what, (long long)wait);
}

int lockout_gate(struct session *ss, const char *event, const char *ip, const char *detail)
{
	return budget_gate(ss, &ss->a->lk_codes, "", event, ip, detail);
}

int password_gate(struct session *ss, const char *event, const char *ip)
{
	return budget_gate(ss, &ss->a->lk_pw, "password ", event, ip, NULL);
}

static const char *outcome_word(const struct auth_outcome *out)
{
	if (out->result == AUTH_OK)
		return out->backup ? "ok-backup" : out->channel == CH_EMAIL ? "ok-email" :
		       out->channel == CH_SMS ? "ok-sms" : "ok";
	return out->result == AUTH_REPLAY ? "replay" : "rejected";
}

int attempt_audit(struct session *ss, const struct attempt_opts *o, const struct auth_outcome *out)
{
	return audit(ss->s, o->event, ss->name, outcome_word(out), o->ip, NULL);
}

int attempt(struct session *ss, const char *code, const struct attempt_opts *o,
            struct auth_outcome *out)
{
	char norm[CODE_MAX_INPUT + 1], ctx[80];
	enum code_kind kind = code_classify(code, norm, sizeof norm);
	struct auth_params p = { 0 };
	unsigned after, tw, hw;
	int ret;

	memset(out, 0, sizeof *out);
	if (kind == CODE_BAD)
		return fail(EXIT_USAGE, "malformed code: expected 6 to 8 digits or a backup code");
	if ((ret = config_uint(ss->s, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = config_uint(ss->s, "totp.window", 1, 0, 10, &tw)) ||
	    (ret = config_uint(ss->s, "hotp.window", 10, 0, 100, &hw)))
		goto out;
	if ((ret = lockout_gate(ss, o->event, o->ip, NULL)))
		goto out;
	if (auth_rate_check(ss->a, g.now)) {
		ret = fail(EXIT_LOCKED, "rate limited: at most %u attempts per %u s", ss->a->rate_n, ss->a->rate_secs);
		goto out;
	}
	snprintf(ctx, sizeof ctx, "%s", acct_ctx(ss));
	p.now = g.now;
	p.totp_window = tw;
	p.hotp_window = hw;
	p.code_key = ss->a->code_key;
	p.context = ctx;
	p.only_factor = o->only_factor;
	p.allow_backup = o->allow_backup;
	p.otc_purposes = o->otc_purposes;
	p.otc_channels = o->otc_channels;
	if (auth_check(ss->a, norm, kind, &p, out) != CORE_OK) {
		ret = fail(EXIT_STORE, "code check failed");
		goto out;
	}
	if (out->result == AUTH_OK) {
		lock_success(ss->a);
		ss->a->verified++;
		login_close_all(ss->a);   /* the login that check opened is complete */
	} else if (out->result == AUTH_REJECT) {
		lock_fail(ss->a, g.now, after);
	}
	if (out->result == AUTH_OK && o->defer) {   /* the caller answers first, then commits */
		ret = EXIT_OK;
		goto out;
	}
	/* The new replay and failure state is on disk before anything is
	 * reported: a verify that cannot record it fails closed. */
	/* (a replay changes nothing, except an imported RATE_LIMIT, which
	 * counts every attempt; the lockout never counts replays) */
	if ((out->result != AUTH_REPLAY || ss->a->rate_n) && (ret = sess_save(ss)))
		goto out;
	ret = audit(ss->s, o->event, ss->name, outcome_word(out), o->ip, NULL);
	if (ret)
		goto out;
	if (out->result == AUTH_OK)
		ret = EXIT_OK;
	else if (out->result == AUTH_REPLAY)
		ret = fail(EXIT_REJECTED, "code rejected: already used");
	else if (out->expired)
		ret = fail(EXIT_REJECTED, "code rejected: it expired, send a new one");
	else if (out->other_purpose)
		ret = fail(EXIT_REJECTED, "code rejected: it was sent for %s, not for this",
		           out->other_purpose - 1 == P_LOGIN ? "a login" :
		           out->other_purpose - 1 == P_CONFIRM ? "confirming a change" : "an enrolment");
	else
		ret = fail(EXIT_REJECTED, "code rejected");
out:
	sodium_memzero(norm, sizeof norm);
	return ret;
}

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
static int verify_password(struct session *ss, const char *ip)
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
	if ((ret = config_uint(ss->s, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = password_gate(ss, "verify.password", ip)))
		goto out;
	ok = crypto_pwhash_str_verify(ss->a->pwhash, pw, strlen(pw)) == 0;
	if (ok) {
		budget_success(&ss->a->lk_pw);
		ss->a->verified++;
	} else {
		budget_fail(&ss->a->lk_pw, g.now, after);
	}
	if ((ret = sess_save(ss)) ||
	    (ret = audit(ss->s, "verify.password", ss->name, ok ? "ok" : "rejected", ip, NULL)))
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
	struct session ss = { 0 };
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
		ret = sess_save(&ss);
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
