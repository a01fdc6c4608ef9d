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
		if (a->since_arg && time_parse(a->since_arg, g.now, &a->since))
			USAGE(state, "--since: '%s' is not a time such as 2026-11-23, '2026-11-23 08:00', "
			      "yesterday or '2h ago'", safe(a->since_arg));
		if (a->until_arg && time_parse(a->until_arg, g.now, &a->until))
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

static int show(void *ctx, uint64_t seq, const char *event)
{
	const struct audit_args *a = ctx;
	json_object *o = json_tokener_parse(event), *v;
	int64_t t = 0;

	if (!o)
		return 0;
	if (json_object_object_get_ex(o, "t", &v))
		t = json_object_get_int64(v);
	if ((a->since && t < a->since) || (a->until && t > a->until) ||
	    (a->user && (!json_object_object_get_ex(o, "user", &v) ||
	                 strcmp(json_object_get_string(v), a->user)))) {
		json_object_put(o);
		return 0;
	}
	if (g.json) {
		json_object_object_add(o, "seq", json_object_new_uint64(seq));
		emit_json(o);
		return 0;
	}
	{
		char when[32];
		const char *keys[] = { "event", "user", "result" };

		time_iso(t, when);
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
	json_object_put(o);
	return 0;
}

struct count {
	uint64_t n;
};

static int counter(void *ctx, uint64_t seq, const char *event)
{
	(void)event;
	((struct count *)ctx)->n = seq;
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_args a = { 0 };
	struct store *s = NULL;
	uint64_t bad = 0;
	int ret, st;

	cmd_parse(&argp, argc, argv, &a);
	if (a.verify)
		set_ctx("audit verify");
	if ((ret = open_store(&s)))
		return ret;
	if (a.verify) {
		struct count c = { 0 };

		st = store_audit_walk(s, counter, &c, &bad);
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "intact", json_object_new_boolean(st == ST_OK));
			json_object_object_add(o, "lines", json_object_new_uint64(c.n));
			json_object_object_add(o, "bad_line", bad ? json_object_new_uint64(bad) : NULL);
			/* not "error": that key is the error object's, which follows */
			json_object_object_add(o, "problem", st ? json_object_new_string(store_error(s)) : NULL);
			emit_json(o);
		}
		if (st)
			ret = fail_store(s, st);
		else if (!g.json && !g.quiet)
			printf("audit.log intact: %llu lines\n", (unsigned long long)c.n);
	} else {
		st = store_audit_walk(s, show, &a, &bad);
		if (st)
			ret = fail_store(s, st);
	}
	close_store(s);
	return ret;
}
