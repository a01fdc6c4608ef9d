/* SPDX-License-Identifier: ISC */
/* twofactl audit [--user NAME] [--since T] [--until T] | audit verify */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>

struct audit_args {
	const char *user, *since_arg, *until_arg;
	int64_t since, until;
	int verify, nargs;
};

enum { OPT_USER = 0xc00, OPT_SINCE, OPT_UNTIL };

static const struct argp_option options[] = {
	{ "user", OPT_USER, "NAME", 0, "Only events of this account", 0 },
	{ "since", OPT_SINCE, "TIME", 0, "From TIME: 2026-11-23, '2026-11-23 08:00', 2026-11-23T08:00:00Z "
	  "(UTC unless +HH:MM follows), today, yesterday, -2h, '1h30m ago', or seconds since 1970", 0 },
	{ "until", OPT_UNTIL, "TIME", 0, "Up to TIME (the same forms)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct audit_args *a = state->input;

	switch (key) {
	case OPT_USER:
		a->user = arg;
		break;
	case OPT_SINCE:
		a->since_arg = arg;
		break;
	case OPT_UNTIL:
		a->until_arg = arg;
		break;
	case ARGP_KEY_END:   /* after every option: --at may follow --since */
		if (a->since_arg && time_parse(a->since_arg, cli_now(), &a->since))
			USAGE(state, "--since: '%s' is not a time such as 2026-11-23, '2026-11-23 08:00', "
			      "yesterday or '2h ago'", safe(a->since_arg));
		if (a->until_arg && time_parse(a->until_arg, cli_now(), &a->until))
			USAGE(state, "--until: '%s' is not a time such as 2026-11-23, '2026-11-23 08:00', "
			      "today or -2h", safe(a->until_arg));
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++ || strcmp(arg, "verify"))
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->verify = 1;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "[verify]",
	"Show the audit log: every change and every verification (account, event, "
	"result, source address; never a secret), oldest first. Each line is sealed "
	"with a key of the store and carries the hash of the line before it; "
	"'audit verify' checks them all and reports the first line that was edited, "
	"removed, inserted or moved (exit 5 with its number).\v"
	"Known limit: lines cut from the end of the log leave no trace in the lines "
	"that remain; keep a copy of 'twofactl --json audit verify' (its last "
	"sequence number) elsewhere to notice that.", common_children, NULL, NULL
};

/* One line of the log, as text. */
static void render_line(json_object *o)
{
	const char *keys[] = { "event", "user", "result" };
	json_object *v;
	char when[32];

	time_iso(json_object_object_get_ex(o, "t", &v) ? json_object_get_int64(v) : 0, when);
	printf("%s", when);
	for (int i = 0; i < 3; i++)
		printf("  %s", json_object_object_get_ex(o, keys[i], &v) ? printable(json_object_get_string(v)) : "-");
	if (json_object_object_get_ex(o, "ip", &v))
		printf("  ip=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "service", &v))
		printf("  service=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "rhost", &v))
		printf("  rhost=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "detail", &v))
		printf("  (%s)", printable(json_object_get_string(v)));
	printf("\n");
}

/* audit verify: the count when intact (a broken log is said as a failure). */
static void render_verify(json_object *o)
{
	json_object *v;

	if (g.quiet || !json_object_object_get_ex(o, "intact", &v) || !json_object_get_boolean(v))
		return;
	json_object_object_get_ex(o, "lines", &v);
	printf("audit.log intact: %llu lines\n", (unsigned long long)json_object_get_uint64(v));
}

int cmd_audit(int argc, char **argv)
{
	struct audit_args a = { 0 };
	tf *h = NULL;
	int ret;

	cmd_parse(&argp, argc, argv, &a);
	if (a.verify)
		set_ctx("audit verify");
	if ((ret = cli_open(&h)))
		return ret;
	if (a.verify)
		ret = tf_audit_verify(h, CLI_SINK(render_verify));
	else
		ret = tf_audit_show(h, &(struct tf_audit_show_args){ .user = a.user, .since = a.since,
		                    .until = a.until }, CLI_SINK(render_line));
	cli_close(h);
	return ret;
}
