/* SPDX-License-Identifier: ISC */
/* twofactl audit [--user NAME] [--since T] [--until T] | audit verify |
 * audit rotate [--if-larger SIZE] [--keep N] */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>

struct audit_args {
	const char *user, *since_arg, *until_arg;
	int64_t since, until;
	int verify, rotate, nargs;
	const char *keep_arg, *larger_arg;
	struct tf_audit_rotate_args rot;
};

enum { OPT_USER = 0xc00, OPT_SINCE, OPT_UNTIL, OPT_KEEP, OPT_LARGER };

static const struct argp_option options[] = {
	{ "user", OPT_USER, "NAME", 0, "Only events of this account", 0 },
	{ "since", OPT_SINCE, "TIME", 0, "From TIME: 2026-11-23, '2026-11-23 08:00', 2026-11-23T08:00:00Z "
	  "(UTC unless +HH:MM follows), today, yesterday, -2h, '1h30m ago', or seconds since 1970", 0 },
	{ "until", OPT_UNTIL, "TIME", 0, "Up to TIME (the same forms)", 0 },
	{ "if-larger", OPT_LARGER, "SIZE", 0, "rotate: only when audit.log has SIZE bytes or more (K, M, G)", 0 },
	{ "keep", OPT_KEEP, "N", 0, "rotate: keep the N newest closed files, remove the older", 0 },
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
		if ((a->keep_arg || a->larger_arg) && !a->rotate)
			USAGE(state, "--keep and --if-larger go with audit rotate");
		if (a->keep_arg) {
			int64_t n;

			if (int_parse(a->keep_arg, 1, 100000, &n))
				USAGE(state, "--keep: '%s' is not a number of files from 1 to 100000", safe(a->keep_arg));
			a->rot.keep = (unsigned)n;
		}
		if (a->larger_arg && size_parse(a->larger_arg, &a->rot.min_size))
			USAGE(state, "--if-larger: '%s' is not a size such as 16M", safe(a->larger_arg));
		if (a->since_arg && time_parse(a->since_arg, cli_now(), &a->since))
			USAGE(state, "--since: '%s' is not a time such as 2026-11-23, '2026-11-23 08:00', "
			      "yesterday or '2h ago'", safe(a->since_arg));
		if (a->until_arg && time_parse(a->until_arg, cli_now(), &a->until))
			USAGE(state, "--until: '%s' is not a time such as 2026-11-23, '2026-11-23 08:00', "
			      "today or -2h", safe(a->until_arg));
		break;
	case OPT_KEEP:
		a->keep_arg = arg;
		break;
	case OPT_LARGER:
		a->larger_arg = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++ || (strcmp(arg, "verify") && strcmp(arg, "rotate")))
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->verify = !strcmp(arg, "verify");
		a->rotate = !a->verify;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "[verify|rotate]",
	"Show the audit log: every change and every verification (account, event, "
	"result, source address; never a secret), oldest first. Each line is sealed "
	"with a key of the store and carries the hash of the line before it; "
	"'audit verify' checks them all and reports the first line that was edited, "
	"removed, inserted or moved (exit 5 with its number). 'audit rotate' closes "
	"audit.log with a sealed line and goes on in a new one that carries the "
	"chain; the closed file goes to DIR/audit/, and show and verify read them "
	"all as one log.\v"
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
	fprintf(g.out, "%s", when);
	for (int i = 0; i < 3; i++)
		fprintf(g.out, "  %s", json_object_object_get_ex(o, keys[i], &v) ? printable(json_object_get_string(v)) : "-");
	if (json_object_object_get_ex(o, "ip", &v))
		fprintf(g.out, "  ip=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "service", &v))
		fprintf(g.out, "  service=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "rhost", &v))
		fprintf(g.out, "  rhost=%s", printable(json_object_get_string(v)));
	if (json_object_object_get_ex(o, "detail", &v))
		fprintf(g.out, "  (%s)", printable(json_object_get_string(v)));
	fprintf(g.out, "\n");
}

/* audit verify: the count when intact (a broken log is said as a failure). */
static void render_verify(json_object *o)
{
	json_object *v;

	if (g.quiet || !json_object_object_get_ex(o, "intact", &v) || !json_object_get_boolean(v))
		return;
	{
		json_object *first, *last, *files;
		uint64_t f, l, n;

		json_object_object_get_ex(o, "lines", &v);
		json_object_object_get_ex(o, "first_seq", &first);
		json_object_object_get_ex(o, "last_seq", &last);
		json_object_object_get_ex(o, "files", &files);
		f = json_object_get_uint64(first);
		l = json_object_get_uint64(last);
		n = json_object_get_uint64(files);
		if (n <= 1 && f <= 1)
			fprintf(g.out, "audit.log intact: %llu lines\n", (unsigned long long)json_object_get_uint64(v));
		else if (f <= 1)
			fprintf(g.out, "audit log intact: lines 1 to %llu in %llu files\n", (unsigned long long)l,
			       (unsigned long long)n);
		else
			fprintf(g.out, "audit log intact: lines %llu to %llu in %llu file%s (the lines before %llu were "
			       "rotated out)\n", (unsigned long long)f, (unsigned long long)l, (unsigned long long)n,
			       n == 1 ? "" : "s", (unsigned long long)f);
	}
}

/* audit rotate: what was closed, or why nothing was. */
static void render_rotate(json_object *o)
{
	json_object *v, *w;

	if (g.quiet)
		return;
	if (json_object_object_get_ex(o, "rotated", &v) && json_object_get_boolean(v)) {
		uint64_t last;

		json_object_object_get_ex(o, "last_seq", &w);
		last = json_object_get_uint64(w);
		json_object_object_get_ex(o, "closed", &v);
		fprintf(g.out, "audit.log closed as %s (lines 1 to %llu); audit.log goes on from line %llu\n",
		       json_object_get_string(v), (unsigned long long)last, (unsigned long long)last + 1);
		json_object_object_get_ex(o, "removed", &v);
		if (json_object_get_uint64(v))
			fprintf(g.out, "removed the %llu oldest closed file(s)\n", (unsigned long long)json_object_get_uint64(v));
		return;
	}
	json_object_object_get_ex(o, "size", &v);
	json_object_object_get_ex(o, "min_size", &w);
	if (json_object_get_uint64(v) == 0)
		fprintf(g.out, "audit.log is empty: not rotated\n");
	else
		fprintf(g.out, "audit.log is %llu bytes, under %llu: not rotated\n", (unsigned long long)json_object_get_uint64(v),
		       (unsigned long long)json_object_get_uint64(w));
}

int cmd_audit(int argc, char **argv)
{
	struct audit_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &a);
	if (a.verify || a.rotate)
		set_ctx(a.verify ? "audit verify" : "audit rotate");
	if ((ret = cli_open(&h)))
		return ret;
	if (a.verify)
		ret = tf_audit_verify(h, CLI_SINK(render_verify));
	else if (a.rotate)
		ret = tf_audit_rotate(h, &a.rot, CLI_SINK(render_rotate));
	else
		ret = tf_audit_show(h, &(struct tf_audit_show_args){ .user = a.user, .since = a.since,
		                    .until = a.until }, CLI_SINK(render_line));
	cli_close(h);
	return ret;
}
