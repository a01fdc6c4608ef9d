/* SPDX-License-Identifier: ISC */
/* twofactl passwd | reset send | reset redeem: passwords as the first
 * factor (lib/password.c) */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PW_MAX 1000
#define TOKEN_MAX (64 + 80)   /* NAME (at most 64), ':', 43 characters, and room */

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

static const struct argp passwd_argp = {
	NULL, parse, "NAME",
	"Set an account's password, read from standard input (at least 8 "
	"characters), stored with Argon2id; 'verify NAME --password' checks it, "
	"with a failure budget of its own (never the codes'). A new password clears "
	"that budget and ends the codes and links sent so far.", common_children, NULL, NULL
};

static void render_passwd(json_object *o)
{
	json_object *v;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "name", &v);
	fprintf(g.out, "password of '%s' changed\n", json_object_get_string(v));
}

int cmd_passwd(int argc, char **argv)
{
	struct pw_args a = { 0 };
	tf *h = NULL;
	char *pw;
	int ret;

	CMD_PARSE(&passwd_argp, argc, argv, &a);   /* before any allocation (batch, completion) */
	pw = sodium_malloc(PW_MAX + 2);
	if (!pw)
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if (!a.name) {
		ret = fail(EXIT_USAGE, "missing account NAME");
		goto done;
	}
	set_ctx("passwd %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = read_stdin_line(pw, PW_MAX + 2, "password")) ||
	    (ret = cli_open(&h)))
		goto done;
	ret = tf_passwd(h, &(struct tf_passwd_args){ .name = a.name, .password = pw }, CLI_SINK(render_passwd));
done:
	cli_close(h);
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

static void render_reset_send(json_object *o)
{
	json_object *v;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "to", &v);
	fprintf(g.out, "sent a password reset link to %s\n", json_object_get_string(v));
}

static int reset_send(int argc, char **argv)
{
	struct pw_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&send_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("reset send %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_reset_send(h, &(struct tf_reset_send_args){ .name = a.name },
	                    &(const struct tf_sink){ cli_result_without_to, cli_flush, &(struct cli_out){ render_reset_send } });
	cli_close(h);
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

static void render_redeem(json_object *o)
{
	json_object *v;

	json_object_object_get_ex(o, "name", &v);
	fprintf(g.out, "%s\n", json_object_get_string(v));
}

/* The NAME of a "NAME:SECRET" token, for messages; 0 when malformed (the
 * library checks the token again). */
static int token_name(const char *in, char *name, size_t cap)
{
	const char *colon = strrchr(in, ':');
	size_t n = colon ? (size_t)(colon - in) : 0;

	if (!colon || !n || strlen(colon + 1) != 43 || n >= cap)
		return 0;
	memcpy(name, in, n);
	name[n] = '\0';
	return 1;
}

static int reset_redeem(int argc, char **argv)
{
	struct pw_args a = { 0 };
	char *in, *pw, name[TOKEN_MAX];
	tf *h = NULL;
	int ret, have_pw;

	CMD_PARSE(&redeem_argp, argc, argv, &a);   /* before any allocation (batch, completion) */
	in = sodium_malloc(TOKEN_MAX);
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
	if ((ret = read_stdin_line(in, TOKEN_MAX, "reset token")))
		goto done;
	have_pw = read_stdin_line_opt(pw, PW_MAX + 2);
	if (have_pw < 0) {
		ret = EXIT_USAGE;
		goto done;
	}
	if (!token_name(in, name, sizeof name)) {
		ret = fail(EXIT_USAGE, "malformed reset token");
		goto done;
	}
	set_ctx("reset redeem %s", safe(name));
	if ((ret = cli_open(&h)))
		goto done;
	ret = tf_reset_redeem(h, &(struct tf_reset_redeem_args){ .token = in, .password = have_pw ? pw : NULL },
	                      CLI_SINK(render_redeem));
done:
	cli_close(h);
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
