/* SPDX-License-Identifier: ISC */
/* twofactl passwd | reset send | reset redeem: passwords as the first factor */
#include "cmd/cmd.h"
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/auth.h"
#include "core/lockout.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW_MIN 8
#define PW_MAX 1000

struct pw_args {
	const char *name;
	int nargs;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct pw_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s' (secrets are read from standard input)", safe(arg));
		a->name = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Hash pw with Argon2id into the account. */
static int set_password(struct account *a, const char *pw)
{
	size_t n = strlen(pw);

	if (n < PW_MIN)
		return fail(EXIT_USAGE, "a password needs at least %d characters", PW_MIN);
	if (crypto_pwhash_str(a->pwhash, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return fail(EXIT_STORE, "cannot hash the password (out of memory?)");
	auth_revoke_sent(a);   /* codes and links sent before the change die with the old password */
	return EXIT_OK;
}

static const struct argp passwd_argp = {
	NULL, parse, "NAME",
	"Set an account's password, read from standard input (at least 8 "
	"characters), stored with Argon2id; 'verify NAME --password' checks it, "
	"with a failure budget of its own (never the codes'). A new password clears "
	"that budget and ends the codes and links sent so far.", common_children, NULL, NULL
};

int cmd_passwd(int argc, char **argv)
{
	struct pw_args a = { 0 };
	struct tf_sess ss = { 0 };
	char *pw;
	int ret;

	cmd_parse(&passwd_argp, argc, argv, &a);   /* before any allocation (batch, completion) */
	pw = sodium_malloc(PW_MAX + 2);
	if (!pw)
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if (!a.name) {
		ret = fail(EXIT_USAGE, "missing account NAME");
		goto done;
	}
	set_ctx("passwd %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = read_stdin_line(pw, PW_MAX + 2, "password")))
		goto done;
	if (!(ret = sess_begin(&ss, a.name)) && !(ret = set_password(ss.a, pw))) {
		budget_reset(&ss.a->lk_pw);   /* old guesses were against a password that is gone */
		if (!(ret = tf_sess_save(&ss)))
			ret = tf_audit(g.h, "passwd", a.name, "ok", NULL, NULL);
	}
	sess_end(&ss);
	if (!ret && !g.quiet && !g.json)
		printf("password of '%s' changed\n", a.name);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "password", json_object_new_boolean(1));
		emit_json(o);
	}
done:
	sodium_free(pw);
	return ret;
}

/* ---- reset ---- */

static const struct argp send_argp = {
	NULL, parse, "NAME",
	"Email the account a single-use link to set a new password (seed 000: "
	"'forgot your password?'). The link is reset.url with {token} replaced and "
	"lives reset.ttl (1 hour); only the token's hash is kept; a new link "
	"replaces the old. Refused with exit 4 when the user turned the email reset "
	"off (user set NAME --email-reset off), 11 without an email address, 6 when "
	"delivery fails (nothing recorded).", common_children, NULL, NULL
};

static int reset_send(int argc, char **argv)
{
	struct pw_args a = { 0 };
	struct tf_sess ss;
	struct account *snap = NULL;
	char token[ACCT_NAME_MAX + 2 + 64], *url = NULL, minutes[24];
	uint8_t hash[CODE_HASH_BYTES];
	int64_t ttl, resend, last, prev_sent;
	uint32_t epoch;
	int ret, sent;

	cmd_parse(&send_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("reset send %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if (ss.a->email_reset_off) {
		ret = fail(EXIT_LOCKED, "the email reset is turned off for %s (user set %s --email-reset on)",
		           a.name, a.name);
		goto out;
	}
	if (!destination(g.h, ss.a, CH_EMAIL)) {
		ret = EXIT_NEED_ENROL;
		goto out;
	}
	if ((ret = tf_config_duration(g.h, "reset.ttl", 3600, &ttl)) ||
	    (ret = tf_config_duration(g.h, "code.resend", 30, &resend)))
		goto out;
	last = ss.a->reset_sent ? ss.a->reset_sent : ss.a->reset_expires ? ss.a->reset_expires - ttl : 0;
	if (last && g.now < last + resend) {
		ret = fail(EXIT_LOCKED, "a reset link was sent moments ago: wait %lld s before another",
		           (long long)(last + resend - g.now));
		goto out;
	}
	/* 1. under the lock: the token, its hash (bound to this address), and
	 * the resend slot reserved */
	if ((ret = link_token_make(&ss, "reset", token, sizeof token, hash)) ||
	    (ret = link_token_url(g.h, "reset.url", token, &url)))
		goto out;
	if (!(snap = account_new())) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	prev_sent = ss.a->reset_sent;
	epoch = ss.a->sent_epoch;
	ss.a->reset_sent = g.now;
	if ((ret = tf_sess_save(&ss)))
		goto out;
	memcpy(snap, ss.a, sizeof *snap);
	/* 2. without it: a slow mail server never holds the account */
	tf_sess_release(&ss);
	snprintf(minutes, sizeof minutes, "%lld", (long long)(ttl + 59) / 60);
	{
		struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(g.h) },
		                       { "url", url }, { "minutes", minutes } };

		sent = deliver(g.h, snap, CH_EMAIL, "reset", v, 4);
	}
	/* 3. under it again: the link is recorded, or the slot given back */
	if ((ret = tf_sess_retake(&ss)))
		goto out;
	if (!sent && (strcmp(ss.a->email, snap->email) || ss.a->sent_epoch != epoch || ss.a->email_reset_off))
		sent = fail(EXIT_DELIVERY, "the account's address or settings changed while the message was "
		            "sent: nothing recorded, send again");
	if (sent) {
		if (ss.a->reset_sent == g.now)
			ss.a->reset_sent = prev_sent;
		TF_IGNORE(tf_sess_save(&ss));
		ret = sent;
		goto out;
	}
	memcpy(ss.a->reset_hash, hash, sizeof hash);   /* a new link replaces the old */
	ss.a->reset_expires = g.now + ttl;
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "reset.send", a.name, "sent", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "expires", json_object_new_int64(ss.a->reset_expires));
		emit_json(o);
	} else if (!g.quiet) {
		printf("sent a password reset link to %s\n", ss.a->email);
	}
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(hash, sizeof hash);
	if (url) {
		sodium_memzero(url, strlen(url));
		free(url);
	}
	account_free(snap);
	sess_end(&ss);
	return ret;
}

static const struct argp redeem_argp = {
	NULL, parse, NULL,
	"Check a reset token, read from the first line of standard input, once; "
	"a second line, if there is one, becomes the account's new password. "
	"Prints the account's name. Exit 1 when the token is wrong, used or "
	"expired; 4 when the user turned the email reset off meanwhile.",
	common_children, NULL, NULL
};

static int reset_redeem(int argc, char **argv)
{
	struct pw_args a = { 0 };
	struct tf_sess ss = { 0 };
	char *in, *pw, *secret;
	int ret, ok, have_pw;

	cmd_parse(&redeem_argp, argc, argv, &a);   /* before any allocation (batch, completion) */
	in = sodium_malloc(ACCT_NAME_MAX + 80);
	pw = sodium_malloc(PW_MAX + 2);
	set_ctx("reset redeem");
	if (!in || !pw) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto done;
	}
	if (a.name) {
		ret = fail(EXIT_USAGE, "the token is read from standard input, not argv");
		goto done;
	}
	if ((ret = read_stdin_line(in, ACCT_NAME_MAX + 80, "reset token")))
		goto done;
	have_pw = read_stdin_line_opt(pw, PW_MAX + 2);
	if (have_pw < 0) {
		ret = EXIT_USAGE;
		goto done;
	}
	if (!(secret = link_token_split(in))) {
		ret = fail(EXIT_USAGE, "malformed reset token");
		goto done;
	}
	set_ctx("reset redeem %s", safe(in));
	if ((ret = sess_begin(&ss, in)))
		goto done;
	if (ss.a->email_reset_off) {
		ret = fail(EXIT_LOCKED, "the email reset is turned off for this account");
		goto done;
	}
	ok = ss.a->reset_expires && link_token_matches(&ss, "reset", secret, ss.a->reset_hash);
	if (!ok || g.now >= ss.a->reset_expires) {
		if (ok) {   /* expired: it goes */
			ss.a->reset_expires = 0;
			sodium_memzero(ss.a->reset_hash, sizeof ss.a->reset_hash);
			if ((ret = tf_sess_save(&ss)))
				goto done;
		}
		if (!(ret = tf_audit(g.h, "reset.redeem", ss.a->name, "rejected", NULL, NULL)))
			ret = fail(EXIT_REJECTED, "the reset link is not valid (wrong, used or expired)");
		goto done;
	}
	ss.a->reset_expires = 0;
	sodium_memzero(ss.a->reset_hash, sizeof ss.a->reset_hash);
	if (have_pw && (ret = set_password(ss.a, pw)))
		goto done;
	if (have_pw)   /* the password's budget only: the codes' is never reset by mail */
		budget_reset(&ss.a->lk_pw);
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "reset.redeem", ss.a->name, have_pw ? "password set" : "ok", NULL, NULL)))
		goto done;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(ss.a->name));
		json_object_object_add(o, "password_set", json_object_new_boolean(have_pw));
		emit_json(o);
	} else {
		printf("%s\n", ss.a->name);
	}
done:
	sess_end(&ss);
	sodium_free(in);
	sodium_free(pw);
	return ret;
}

static const struct verb verbs[] = {
	{ "send", reset_send, "email a single-use password reset link" },
	{ "redeem", reset_redeem, "check a reset token (stdin) once; set a new password" },
	{ NULL, NULL, NULL }
};

int cmd_reset(int argc, char **argv)
{
	return run_verbs("reset", verbs, argc, argv);
}
