/* SPDX-License-Identifier: ISC */
/* twofactl trust add|list|revoke: remembered devices */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>

struct trust_args {
	const char *name, *label, *id;
	int64_t days;
	int all, nargs, want;
};

enum { OPT_DAYS = 0x900, OPT_LABEL, OPT_ALL };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct trust_args *a = state->input;

	switch (key) {
	case OPT_DAYS:
		if (int_parse(arg, 1, 365, &a->days))
			USAGE(state, "--days: '%s' is not a number of days from 1 to 365", safe(arg));
		break;
	case OPT_LABEL:
		if (strlen(arg) > LABEL_MAX || !text_line_ok(arg))
			USAGE(state, "--label: one line of at most %d characters, no control characters", LABEL_MAX);
		a->label = arg;
		break;
	case OPT_ALL:
		a->all = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs >= a->want)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (a->nargs++ == 0)
			a->name = arg;
		else
			a->id = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option add_options[] = {
	{ "days", OPT_DAYS, "N", 0, "How long the device is remembered (default: config trust.days, 30)", 0 },
	{ "label", OPT_LABEL, "TEXT", 0, "What the device is, e.g. 'Firefox on the office laptop'", 0 },
	{ 0 }
};
static const struct argp_option revoke_options[] = {
	{ "all", OPT_ALL, NULL, 0, "Forget every device", 0 },
	{ 0 }
};

static const struct argp add_argp = {
	add_options, parse, "NAME",
	"Remember a device after a successful login (seed 001): print a random "
	"256-bit token, once, for the front end to keep in a cookie; only its keyed "
	"hash is stored. 'check NAME --device-token TOKEN' then needs no code until "
	"the device expires or is revoked.", common_children, NULL, NULL
};

static void render_add(json_object *o)
{
	json_object *token;

	json_object_object_get_ex(o, "token", &token);
	fprintf(g.out, "%s\n", json_object_get_string(token));
}

static int trust_add_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&add_argp, argc, argv, &a);
	set_ctx("trust add %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_trust_add(h, &(struct tf_trust_add_args){ .name = a.name, .days = (unsigned)a.days,
	                   .label = a.label }, CLI_SINK(render_add));
	cli_close(h);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, "NAME", "List remembered devices: id, label, created, expires, last used.",
	common_children, NULL, NULL
};

static void render_list(json_object *o)
{
	json_object *id, *label, *created, *expires, *expired, *used;
	char c[32], e[32], u[32] = "never";

	json_object_object_get_ex(o, "id", &id);
	json_object_object_get_ex(o, "label", &label);
	json_object_object_get_ex(o, "created", &created);
	json_object_object_get_ex(o, "expires", &expires);
	json_object_object_get_ex(o, "expired", &expired);
	json_object_object_get_ex(o, "last_used", &used);
	time_iso(json_object_get_int64(created), c);
	time_iso(json_object_get_int64(expires), e);
	if (used)
		time_iso(json_object_get_int64(used), u);
	fprintf(g.out, "%-4lld %-28s created %s  expires %s%s  last used %s\n", (long long)json_object_get_int64(id),
	       label ? printable(json_object_get_string(label)) : "-", c, e,
	       json_object_get_boolean(expired) ? " (expired)" : "", u);
}

static int trust_list_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	set_ctx("trust list %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_trust_list(h, &(struct tf_trust_list_args){ .name = a.name }, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

static const struct argp revoke_argp = {
	revoke_options, parse, "NAME ID|--all", "Forget a remembered device, or all of them.",
	common_children, NULL, NULL
};

static void render_revoke(json_object *o)
{
	json_object *n;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "revoked", &n);
	fprintf(g.out, "revoked %lld device%s\n", (long long)json_object_get_int64(n),
	       json_object_get_int64(n) == 1 ? "" : "s");
}

static int trust_revoke_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 2 };
	int64_t id = 0;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&revoke_argp, argc, argv, &a);
	set_ctx("trust revoke %s", safe(a.name));
	if (!a.all == !a.id)
		return fail(EXIT_USAGE, "give a device ID or --all");
	if (a.id && int_parse(a.id, 1, UINT32_MAX, &id))
		return fail(EXIT_USAGE, "'%s' is not a device id", safe(a.id));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_trust_revoke(h, &(struct tf_trust_revoke_args){ .name = a.name, .id = (uint32_t)id,
	                      .all = a.all }, CLI_SINK(render_revoke));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "add", trust_add_cmd, "remember a device; prints its token once" },
	{ "list", trust_list_cmd, "list remembered devices" },
	{ "revoke", trust_revoke_cmd, "forget one device or --all" },
	{ NULL, NULL, NULL }
};

int cmd_trust(int argc, char **argv)
{
	return run_verbs("trust", verbs, argc, argv);
}
