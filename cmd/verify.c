/* SPDX-License-Identifier: ISC */
/* twofactl verify: a code, the password (--password) or a WebAuthn
 * assertion (--assertion); the use cases are lib/verify.c's and
 * lib/webauthn.c's */
#include "cmd/cmd.h"
#include "core/input.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The text answer, from the result object. */
static void render(json_object *o)
{
	json_object *v;
	const char *method;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "method", &v);
	method = json_object_get_string(v);
	if (!strcmp(method, "webauthn")) {
		fprintf(g.out, "accepted (webauthn)\n");
	} else if (!strcmp(method, "backup")) {
		json_object_object_get_ex(o, "backup_left", &v);
		fprintf(g.out, "accepted (backup code; %d left)\n", json_object_get_int(v));
	} else if (!strcmp(method, "email") || !strcmp(method, "sms")) {
		fprintf(g.out, "accepted (%s code)\n", method);
	} else {
		fprintf(g.out, "accepted\n");
	}
}

/* verify NAME --assertion FILE */
static int verify_assertion(const struct verify_args *a)
{
	char *text;
	tf *h = NULL;
	int ret;

	if (a->code || a->password)
		return fail(EXIT_USAGE, "--assertion goes alone, without a code or --password");
	if ((ret = check_name(a->name)))
		return ret;
	if (!(text = read_input(a->assertion, 65536)))
		return fail(EXIT_USAGE, "cannot read the assertion from '%s': %s", safe(a->assertion), strerror(errno));
	if (!(ret = cli_open(&h)))
		ret = tf_verify_assertion(h, &(struct tf_verify_assertion_args){ .name = a->name,
		                          .assertion = text, .ip = a->ip }, CLI_SINK(render));
	cli_close(h);
	sodium_memzero(text, strlen(text));
	free(text);
	return ret;
}

/* verify NAME --password: the password on standard input */
static int verify_password(const struct verify_args *a)
{
	char *pw;
	tf *h = NULL;
	int ret;

	if (a->code)
		return fail(EXIT_USAGE, "the password is read from standard input, not argv");
	if ((ret = check_name(a->name)))
		return ret;
	if (!(pw = sodium_malloc(1024)))
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if (!(ret = read_stdin_line(pw, 1024, "password")) && !(ret = cli_open(&h)))
		ret = tf_verify_password(h, &(struct tf_verify_password_args){ .name = a->name, .password = pw,
		                         .ip = a->ip }, CLI_SINK(render));
	cli_close(h);
	sodium_free(pw);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { 0 };
	char code[CODE_MAX_INPUT + 2];
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &a);
	set_ctx("verify %s", safe(a.name));
	if (a.assertion)
		return verify_assertion(&a);
	if (a.password)
		return verify_password(&a);
	if ((ret = check_name(a.name)) || (ret = get_code(a.code, code, sizeof code)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_verify(h, &(struct tf_verify_args){ .name = a.name, .code = code, .ip = a.ip },
		                CLI_SINK(render));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}
