/* SPDX-License-Identifier: ISC */
/* twofactl recovery file|list|show|approve|deny: lost-device tickets */
#include "cmd/cmd.h"
#include "core/record.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec_args {
	const char *arg, *reason, *contact, *by;
	tf_ticket_status status;
	int nargs;
	char contact_buf[255];
};

enum { OPT_REASON = 0xd00, OPT_CONTACT, OPT_BY, OPT_STATUS };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct rec_args *a = state->input;

	switch (key) {
	case OPT_REASON:
		if (!*arg || strlen(arg) > TEXT_MAX || !text_line_ok(arg))
			USAGE(state, "--reason: one line of 1 to %d characters, no control characters", TEXT_MAX);
		a->reason = arg;
		break;
	case OPT_CONTACT:
		if (strchr(arg, '@') ? parse_email(state, "--contact", arg, a->contact_buf, sizeof a->contact_buf)
		                     : parse_phone(state, "--contact", arg, a->contact_buf, sizeof a->contact_buf))
			return EINVAL;
		a->contact = a->contact_buf;
		break;
	case OPT_BY:
		if (!account_name_valid(arg))
			USAGE(state, "--by: '%s' is not a valid administrator name", safe(arg));
		a->by = arg;
		break;
	case OPT_STATUS: {
		enum tstatus t;

		if (tstatus_parse(arg, &t))
			USAGE(state, "--status: '%s' is not pending, approved or denied", safe(arg));
		a->status = t == T_PENDING ? TF_TICKET_PENDING : t == T_APPROVED ? TF_TICKET_APPROVED : TF_TICKET_DENIED;
		break;
	}
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->arg = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* A message to the user that could not be delivered: a warning. */
static void warn(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(g.err, "twofactl: %s: warning: %s\n", g.ctx, terminal_text(text));
}

static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void render_filed(json_object *o)
{
	if (g.quiet)
		fprintf(g.out, "%s\n", field(o, "id"));
	else
		fprintf(g.out, "filed recovery ticket %s for '%s'\n", field(o, "id"), field(o, "user"));
}

static void render_line(json_object *o)
{
	json_object *v;
	char when[32];

	json_object_object_get_ex(o, "created", &v);
	time_iso(json_object_get_int64(v), when);
	fprintf(g.out, "%s  %-8s  %s  %-20s  %s\n", field(o, "id"), field(o, "status"), when, printable(field(o, "user")),
	       printable(field(o, "reason")));
}

static void render_ticket(json_object *o)
{
	const char *contact = field(o, "contact"), *answer = field(o, "answer"), *by = field(o, "by");
	json_object *v;
	char c[32], d[32];

	json_object_object_get_ex(o, "created", &v);
	time_iso(json_object_get_int64(v), c);
	time_iso(json_object_object_get_ex(o, "decided", &v) && v ? json_object_get_int64(v) : 0, d);
	fprintf(g.out, "ticket:     %s\nuser:       %s\nstatus:     %s\nreason:     %s\ncontact:    %s\ncreated:    %s\n",
	       field(o, "id"), printable(field(o, "user")), field(o, "status"), printable(field(o, "reason")),
	       contact ? printable(contact) : "-", c);
	if (strcmp(field(o, "status"), "pending"))
		fprintf(g.out, "decided:    %s by %s\n", d, printable(by ? by : ""));
	if (answer)
		fprintf(g.out, "answer:     %s\n", printable(answer));
}

static void render_decided(json_object *o)
{
	const char *status = field(o, "status");

	if (g.quiet)
		return;
	fprintf(g.out, "ticket %s %s%s\n", field(o, "id"), status,
	       !strcmp(status, "approved") ? ": every second factor of the account was removed; it must enrol again" : "");
}

static const struct argp_option file_options[] = {
	{ "reason", OPT_REASON, "TEXT", 0, "What happened (required), e.g. 'phone stolen'", 0 },
	{ "contact", OPT_CONTACT, "ADDR", 0, "Verified contact of the requester (email or +NUMBER)", 0 },
	{ 0 }
};

static const struct argp file_argp = {
	file_options, parse, "NAME --reason TEXT",
	"File a lost-device request for an account (after the requester's identity "
	"was checked, e.g. by the signed form of seed 001). Prints the ticket id; "
	"the user gets an acknowledgement.", common_children, NULL, NULL
};

static int rec_file(int argc, char **argv)
{
	struct rec_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&file_argp, argc, argv, &a);
	if (!a.arg)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("recovery file %s", safe(a.arg));
	if (!a.reason)
		return fail(EXIT_USAGE, "missing --reason");
	if ((ret = check_name(a.arg)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_recovery_file(h, &(struct tf_recovery_file_args){ .name = a.arg, .reason = a.reason,
		                       .contact = a.contact, .notice = warn }, CLI_SINK(render_filed));
	cli_close(h);
	return ret;
}

static const struct argp_option list_options[] = {
	{ "status", OPT_STATUS, "STATUS", 0, "pending, approved or denied", 0 },
	{ 0 }
};

static const struct argp list_argp = {
	list_options, parse, NULL, "List recovery tickets, oldest first.", common_children, NULL, NULL
};

static int rec_list(int argc, char **argv)
{
	struct rec_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	if (a.arg)
		return fail(EXIT_USAGE, "unexpected argument '%s'", safe(a.arg));
	if (!(ret = cli_open(&h)))
		ret = tf_recovery_list(h, &(struct tf_recovery_list_args){ .status = a.status }, CLI_SINK(render_line));
	cli_close(h);
	return ret;
}

static int want_id(const struct rec_args *a)
{
	if (!a->arg)
		return fail(EXIT_USAGE, "missing ticket ID");
	if (!ticket_id_valid(a->arg))
		return fail(EXIT_USAGE, "'%s' is not a ticket id (8 characters A-Z 2-7)", safe(a->arg));
	return EXIT_OK;
}

static const struct argp show_argp = {
	NULL, parse, "ID", "Show a recovery ticket.", common_children, NULL, NULL
};

static int rec_show(int argc, char **argv)
{
	struct rec_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&show_argp, argc, argv, &a);
	set_ctx("recovery show %s", a.arg ? safe(a.arg) : "");
	if ((ret = want_id(&a)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_recovery_show(h, &(struct tf_recovery_show_args){ .id = a.arg }, CLI_SINK(render_ticket));
	cli_close(h);
	return ret;
}

static const char *admin_name(const struct rec_args *a)
{
	const char *u = a->by ? a->by : getenv("SUDO_USER");

	if (!u || !account_name_valid(u))
		u = getenv("USER");
	return u && account_name_valid(u) ? u : "admin";
}

static const struct argp_option approve_options[] = {
	{ "by", OPT_BY, "ADMIN", 0, "Who decides (default: $SUDO_USER or $USER)", 0 },
	{ 0 }
};
static const struct argp_option deny_options[] = {
	{ "by", OPT_BY, "ADMIN", 0, "Who decides (default: $SUDO_USER or $USER)", 0 },
	{ "reason", OPT_REASON, "TEXT", 0, "Why, for the user", 0 },
	{ 0 }
};

static const struct argp approve_argp = {
	approve_options, parse, "ID",
	"Approve a ticket: remove every second factor of the account, its backup "
	"codes, remembered devices and pending codes, clear its lockout, and tell the "
	"user; the account must enrol again. A ticket is decided once.",
	common_children, NULL, NULL
};
static const struct argp deny_argp = {
	deny_options, parse, "ID", "Deny a ticket and tell the user why. A ticket is decided once.",
	common_children, NULL, NULL
};

static int rec_approve(int argc, char **argv)
{
	struct rec_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&approve_argp, argc, argv, &a);
	set_ctx("recovery approve %s", a.arg ? safe(a.arg) : "");
	if ((ret = want_id(&a)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_recovery_approve(h, &(struct tf_recovery_approve_args){ .id = a.arg, .by = admin_name(&a),
		                          .notice = warn }, CLI_SINK(render_decided));
	cli_close(h);
	return ret;
}

static int rec_deny(int argc, char **argv)
{
	struct rec_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&deny_argp, argc, argv, &a);
	set_ctx("recovery deny %s", a.arg ? safe(a.arg) : "");
	if ((ret = want_id(&a)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_recovery_deny(h, &(struct tf_recovery_deny_args){ .id = a.arg, .by = admin_name(&a),
		                       .reason = a.reason, .notice = warn }, CLI_SINK(render_decided));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "file", rec_file, "file a lost-device request; prints the ticket id" },
	{ "list", rec_list, "list tickets [--status]" },
	{ "show", rec_show, "show a ticket" },
	{ "approve", rec_approve, "reset the account's second factors; tell the user" },
	{ "deny", rec_deny, "refuse, with a reason for the user" },
	{ NULL, NULL, NULL }
};

int cmd_recovery(int argc, char **argv)
{
	return run_verbs("recovery", verbs, argc, argv);
}
