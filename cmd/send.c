/* SPDX-License-Identifier: ISC */
/* twofactl send: one-time codes by email and SMS */
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/auth.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct send_args {
	const char *name;
	enum channel via;
	enum purpose purpose;
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
		if (channel_parse(arg, &a->via))
			USAGE(state, "--via: '%s' is not email or sms", safe(arg));
		a->via_set = 1;
		break;
	case OPT_PURPOSE:
		if (purpose_parse(arg, &a->purpose))
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

/* send --purpose enroll: the pending enrolment is still there after the delivery */
static int still_pending(struct tf_sess *ss, void *ctx)
{
	const struct send_args *a = ctx;

	if (!account_channel_factor(ss->a, a->via, FS_PENDING))
		return fail(EXIT_NOENT, "the pending %s enrolment went away while the message was sent",
		            channel_name(a->via));
	return EXIT_OK;
}

int cmd_send(int argc, char **argv)
{
	struct send_args a = { .purpose = P_LOGIN };
	struct tf_sess ss;
	char session[4], detail[48];
	int ret;

	cmd_parse(&argp, argc, argv, &a);
	set_ctx("send %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if (a.purpose == P_ENROLL) {
		if (!account_channel_factor(ss.a, a.via, FS_PENDING)) {
			ret = fail(EXIT_NOENT, "no pending %s enrolment: run twofactl enroll %s --method %s",
			           channel_name(a.via), a.name, channel_name(a.via));
			goto out;
		}
	} else if (!account_channel_factor(ss.a, a.via, FS_ACTIVE)) {
		ret = fail(EXIT_NEED_ENROL, "%s is not an enrolled method of %s: run twofactl enroll %s --method %s",
		           channel_name(a.via), a.name, a.name, channel_name(a.via));
		goto out;
	}
	if ((ret = send_code(&ss, a.via, a.purpose, session, a.purpose == P_ENROLL ? still_pending : NULL, &a)))
		goto out;
	snprintf(detail, sizeof detail, "%s %s", channel_name(a.via), purpose_name(a.purpose));
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "send", a.name, "sent", NULL, detail)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "via", json_object_new_string(channel_name(a.via)));
		json_object_object_add(o, "purpose", json_object_new_string(purpose_name(a.purpose)));
		json_object_object_add(o, "session", json_object_new_string(session));
		json_object_object_add(o, "expires", json_object_new_int64(ss.a->otc[a.via].expires));
		emit_json(o);
	} else if (g.quiet) {
		printf("%s\n", session);
	} else {
		printf("sent a %s code by %s to %s: session %s\n", purpose_name(a.purpose),
		       channel_name(a.via), a.via == CH_EMAIL ? ss.a->email : ss.a->phone, session);
	}
out:
	sess_end(&ss);
	return ret;
}
