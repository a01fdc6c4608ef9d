/* SPDX-License-Identifier: ISC */
/* twofactl check: does this login need a second factor? */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct check_args {
	const char *name, *ip, *token;
	int nargs;
};

enum { OPT_IP = 0xa00, OPT_TOKEN };

static const struct argp_option options[] = {
	{ "ip", OPT_IP, "ADDR", 0, "Address the login comes from (whitelists)", 0 },
	{ "device-token", OPT_TOKEN, "TOKEN", 0, "The token of a remembered device; '-' reads it "
	  "from standard input (keeps it out of the process list)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	switch (key) {
	case OPT_IP:
		a->ip = arg;
		break;
	case OPT_TOKEN:
		a->token = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->name = arg;
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
	options, parse, "NAME",
	"Ask, after the password was accepted, whether this login needs a second "
	"factor. Exit 0: no code needed (policy off, optional and not enabled, a "
	"whitelisted address, a remembered device, a service account); 10: a code "
	"is needed, the methods are printed, and a pending login is opened that a "
	"successful verify closes (expire warns the user of ones left open); 11: "
	"the policy requires a second factor and the account has none; 4: locked out. "
	"The policy is the account's own 2fa switch (user set --2fa), else its "
	"organisation's, else policy.default; a required organisation wins over an "
	"account's optional or off. The answer names it and where it comes from.",
	common_children, NULL, NULL
};

/* The text answer, from the result object. */
static void render(json_object *o)
{
	json_object *v, *methods, *missing;
	const char *result;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "result", &v);
	result = json_object_get_string(v);
	json_object_object_get_ex(o, "reason", &v);
	fprintf(g.out, "%s\n", printable(json_object_get_string(v)));
	json_object_object_get_ex(o, "policy", &v);
	fprintf(g.out, "policy: %s", json_object_get_string(v));
	json_object_object_get_ex(o, "policy_source", &v);
	fprintf(g.out, " (%s)\n", printable(json_object_get_string(v)));
	json_object_object_get_ex(o, "methods", &methods);
	if (strcmp(result, "pass")) {
		fprintf(g.out, "%s:", !strcmp(result, "code") ? "methods" : "may enrol");
		for (size_t i = 0; i < json_object_array_length(methods); i++)
			fprintf(g.out, " %s", json_object_get_string(json_object_array_get_idx(methods, i)));
		fprintf(g.out, "\n");
	}
	if (json_object_object_get_ex(o, "missing", &missing)) {
		for (size_t i = 0; i < json_object_array_length(missing); i++) {
			const char *m = json_object_get_string(json_object_array_get_idx(missing, i));

			fprintf(g.out, !strcmp(m, "phone") ? "no mobile number known: SMS needs one (user set --phone)\n"
			                           : "no email address known: email codes need one (user set --email)\n");
		}
	}
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = { 0 };
	char token[TF_DEVICE_TOKEN_CHARS + 8] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &a);
	set_ctx("check %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (a.token && !strcmp(a.token, "-")) {
		if ((ret = read_stdin_line(token, sizeof token, "device token")))
			return ret;
	} else if (a.token) {
		if (strlen(a.token) >= sizeof token)
			return fail(EXIT_USAGE, "malformed device token");
		memcpy(token, a.token, strlen(a.token) + 1);
	}
	if (!(ret = cli_open(&h)))
		ret = tf_check(h, &(struct tf_check_args){ .name = a.name, .ip = a.ip,
		               .device_token = a.token ? token : NULL }, CLI_SINK(render));
	cli_close(h);
	sodium_memzero(token, sizeof token);
	return ret;
}
