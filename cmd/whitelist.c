/* SPDX-License-Identifier: ISC */
/* twofactl whitelist add|list|del: addresses whose logins skip 2FA */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <sodium.h>
#include <string.h>

struct wl_args {
	const char *name, *cidr, *note;
	int64_t ttl;
	int org, nargs, want, broad;
};

enum { OPT_TTL = 0x800, OPT_NOTE, OPT_ORG, OPT_BROAD };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct wl_args *a = state->input;

	switch (key) {
	case OPT_TTL:
		if (duration_parse(arg, &a->ttl) || a->ttl == 0)
			USAGE(state, "--ttl: '%s' is not a duration such as 12h, 1h30m or 30d", safe(arg));
		break;
	case OPT_NOTE:
		if (strlen(arg) > LABEL_MAX || !text_line_ok(arg))
			USAGE(state, "--note: one line of at most %d characters, no control characters", LABEL_MAX);
		a->note = arg;
		break;
	case OPT_ORG:
		a->org = 1;
		break;
	case OPT_BROAD:
		a->broad = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs >= a->want)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (a->nargs++ == 0)
			a->name = arg;
		else
			a->cidr = arg;
		break;
	case ARGP_KEY_END:
		if (a->nargs < a->want)
			USAGE(state, a->nargs ? "missing CIDR" : "missing NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option add_options[] = {
	{ "ttl", OPT_TTL, "DURATION", 0, "Remove the entry after this long (12h, 30d); default: never", 0 },
	{ "note", OPT_NOTE, "TEXT", 0, "Why the entry is there", 0 },
	{ "org", OPT_ORG, NULL, 0, "NAME is an organisation: the entry applies to all its accounts", 0 },
	{ "allow-broad", OPT_BROAD, NULL, 0, "Accept a range that covers every IPv4 address (::/0, "
	  "0.0.0.0/0, ::ffff:0:0/96...), an IPv4 range shorter than /8 or an IPv6 range shorter than /16", 0 },
	{ 0 }
};
static const struct argp_option org_option[] = {
	{ "org", OPT_ORG, NULL, 0, "NAME is an organisation", 0 },
	{ 0 }
};

static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void render_add(json_object *o)
{
	const char *org = field(o, "org");

	if (!g.quiet)
		fprintf(g.out, "whitelisted %s for %s '%s'%s\n", field(o, "net"), org ? "organisation" : "account",
		       org ? org : field(o, "name"), field(o, "expires") ? " (with a TTL)" : "");
}

static void render_del(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "removed %s\n", field(o, "net"));
}

static void render_list(json_object *o)
{
	json_object *expires, *expired;
	const char *note = field(o, "note");
	char t[32];

	json_object_object_get_ex(o, "expires", &expires);
	json_object_object_get_ex(o, "expired", &expired);
	if (expires)
		time_iso(json_object_get_int64(expires), t);
	fprintf(g.out, "%-40s %s%s%s%s\n", field(o, "net"), expires ? (json_object_get_boolean(expired) ? "expired " : "until ") :
	       "permanent", expires ? t : "", note ? "  # " : "", printable(note));
}

static const struct argp add_argp = {
	add_options, parse, "NAME CIDR",
	"Let logins of NAME from an address or range skip the second factor (seed "
	"000). IPv4 and IPv6, single addresses or CIDR ranges; host bits are cleared. "
	"Adding an entry again updates its TTL and note.", common_children, NULL, NULL
};
static const struct argp del_argp = {
	org_option, parse, "NAME CIDR", "Remove a whitelist entry.", common_children, NULL, NULL
};
static const struct argp list_argp = {
	org_option, parse, "NAME", "List the whitelist of an account or organisation.", common_children, NULL, NULL
};

/* An account's whitelist: its name is checked before the store is opened. */
static int open_for(const struct wl_args *a, tf **h)
{
	int ret;

	*h = NULL;
	if (!a->org && (ret = check_name(a->name)))
		return ret;
	return cli_open(h);
}

static int wl_add_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 2 };
	char code[STEPUP_MAX];
	tf *h = NULL;
	int ret;

	CMD_PARSE(&add_argp, argc, argv, &a);
	set_ctx("whitelist add %s", safe(a.name));
	if (!(ret = read_stepup(code, sizeof code, 0)) && !(ret = open_for(&a, &h)))
		ret = tf_whitelist_add(h, &(struct tf_whitelist_add_args){ .name = a.name, .cidr = a.cidr,
		                       .ttl = a.ttl, .note = a.note, .org = a.org, .allow_broad = a.broad,
		                       .stepup = code }, CLI_SINK(render_add));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}

static int wl_del_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 2 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&del_argp, argc, argv, &a);
	set_ctx("whitelist del %s", safe(a.name));
	if (!(ret = open_for(&a, &h)))
		ret = tf_whitelist_del(h, &(struct tf_whitelist_del_args){ .name = a.name, .cidr = a.cidr,
		                       .org = a.org }, CLI_SINK(render_del));
	cli_close(h);
	return ret;
}

static int wl_list_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	set_ctx("whitelist list %s", safe(a.name));
	if (!(ret = open_for(&a, &h)))
		ret = tf_whitelist_list(h, &(struct tf_whitelist_list_args){ .name = a.name, .org = a.org },
		                        CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "add", wl_add_cmd, "let an address or range skip 2FA" },
	{ "list", wl_list_cmd, "list the entries" },
	{ "del", wl_del_cmd, "remove an entry" },
	{ NULL, NULL, NULL }
};

int cmd_whitelist(int argc, char **argv)
{
	return run_verbs("whitelist", verbs, argc, argv);
}
