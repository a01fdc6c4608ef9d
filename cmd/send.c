/* SPDX-License-Identifier: ISC */
/* twofactl send: one-time codes by email and SMS (lib/send.c) */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

struct send_args {
	const char *name;
	tf_channel via;
	tf_code_purpose purpose;
	int via_set, nargs;
};

enum { OPT_VIA = 0x600, OPT_PURPOSE };

static const struct argp_option options[] = {
	{ "via", OPT_VIA, "CHANNEL", 0, "email or sms (required)", 0 },
	{ "purpose", OPT_PURPOSE, "PURPOSE", 0, "login (default), enroll or confirm", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct send_args *a = state->input;

	switch (key) {
	case OPT_VIA:
		if (!strcmp(arg, "email"))
			a->via = TF_CHANNEL_EMAIL;
		else if (!strcmp(arg, "sms"))
			a->via = TF_CHANNEL_SMS;
		else
			USAGE(state, "--via: '%s' is not email or sms", safe(arg));
		a->via_set = 1;
		break;
	case OPT_PURPOSE:
		if (!strcmp(arg, "login"))
			a->purpose = TF_CODE_LOGIN;
		else if (!strcmp(arg, "enroll"))
			a->purpose = TF_CODE_ENROLL;
		else if (!strcmp(arg, "confirm"))
			a->purpose = TF_CODE_CONFIRM;
		else
			USAGE(state, "--purpose: '%s' is not login, enroll or confirm", safe(arg));
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->name = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing account NAME");
		if (!a->via_set)
			USAGE(state, "missing --via email|sms");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "NAME",
	"Send a one-time code by email or SMS and print the 3-digit session id "
	"shown to the user next to the login form; the message carries the same id "
	"and the code. The code is 6 digits, valid for code.ttl (5 minutes, at most "
	"10), works once, and is used up after 5 wrong tries; only its hash is kept. "
	"A new code may be sent once per code.resend (30 s), channel and purpose (so "
	"an enrolment's code never holds back the first login code), and never "
	"resets the account's failure count. 'login' and 'confirm' codes need the "
	"channel enrolled as a method; 'enroll' resends the code of a pending one.\v"
	"Exit status: 0 sent, 2 usage, 3 no such account, 4 locked out or too soon, "
	"5 store error, 6 delivery failed (nothing recorded), 11 no address or the "
	"method is not enrolled.", common_children, NULL, NULL
};

/* The text answer: the session id (alone with -q), and where the code went. */
static void render(json_object *o)
{
	json_object *v;
	const char *f[4] = { "purpose", "via", "to", "session" }, *s[4];

	for (int i = 0; i < 4; i++) {
		json_object_object_get_ex(o, f[i], &v);
		s[i] = json_object_get_string(v);
	}
	if (g.quiet)
		fprintf(g.out, "%s\n", s[3]);
	else
		fprintf(g.out, "sent a %s code by %s to %s: session %s\n", s[0], s[1], s[2], s[3]);
}

int cmd_send(int argc, char **argv)
{
	struct send_args a = { .purpose = TF_CODE_LOGIN };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &a);
	set_ctx("send %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_send(h, &(struct tf_send_args){ .name = a.name, .via = a.via, .purpose = a.purpose },
	              &(const struct tf_sink){ cli_result_without_to, cli_flush, &(struct cli_out){ render } });
	cli_close(h);
	return ret;
}
