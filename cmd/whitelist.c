/* SPDX-License-Identifier: ISC */
/* twofactl whitelist add|list|del: addresses whose logins skip 2FA */
#include "cmd/cmd.h"
#include "core/policy.h"
#include "core/timefmt.h"

#include <stdio.h>
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

/* Run fn on the whitelist of an account or organisation, under its lock. */
typedef int (*wl_fn)(struct wl_entry *wl, unsigned *n, struct wl_args *a, int *changed);

static int with_whitelist(struct wl_args *a, wl_fn fn, const char *event)
{
	int ret, changed = 0;

	if (a->org) {
		struct store *s = NULL;
		struct acct_ref ref = { 0 };
		struct org o;

		if (!(ret = cli_org_begin(a->name, &s, &ref, &o)) && !(ret = fn(o.wl, &o.nwl, a, &changed)) && changed &&
		    !(ret = org_write(g.h, &ref, &o)))
			ret = tf_audit(g.h, event, NULL, "ok", NULL, a->name);
		cli_org_end(s, &ref);
		return ret;
	}
	{
		struct tf_sess ss;

		if (!(ret = sess_begin(&ss, a->name)) && !(ret = fn(ss.a->wl, &ss.a->nwl, a, &changed)) &&
		    changed && !(ret = tf_sess_save(&ss)))
			ret = tf_audit(g.h, event, a->name, "ok", NULL, NULL);
		sess_end(&ss);
		return ret;
	}
}

static int parse_cidr(const char *s, struct cidr *c)
{
	int r = cidr_parse(s, c);

	if (r == CORE_ERANGE)
		return fail(EXIT_USAGE, "'%s': prefix too long for the address family", safe(s));
	if (r)
		return fail(EXIT_USAGE, "'%s' is not an IPv4 or IPv6 address or CIDR range", safe(s));
	return EXIT_OK;
}

static int do_add(struct wl_entry *wl, unsigned *n, struct wl_args *a, int *changed)
{
	struct cidr c;
	char net[64];
	int ret;

	if ((ret = parse_cidr(a->cidr, &c)))
		return ret;
	if (a->broad && (ret = allow_admin_option("--allow-broad")))
		return ret;
	if (cidr_too_broad(&c) && !a->broad)
		return fail(EXIT_USAGE, "'%s' is too broad: it covers %s; add --allow-broad if that is "
		            "really meant", safe(a->cidr), cidr_covers_all_v4(&c) ?
		            "every IPv4 address" : "a large part of the Internet");
	ret = wl_add(wl, n, &c, g.now, a->ttl, a->note);
	if (ret == CORE_EFULL)
		return fail(EXIT_USAGE, "the whitelist holds %d entries already", ACCT_MAX_WHITELIST);
	if (ret)
		return fail(EXIT_USAGE, "note too long");
	*changed = 1;
	cidr_format(&c, net);
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, a->org ? "org" : "name", json_object_new_string(a->name));
		json_object_object_add(o, "net", json_object_new_string(net));
		json_object_object_add(o, "expires", a->ttl ? json_object_new_int64(g.now + a->ttl) : NULL);
		emit_json(o);
	} else if (!g.quiet) {
		printf("whitelisted %s for %s '%s'%s\n", net, a->org ? "organisation" : "account", a->name,
		       a->ttl ? " (with a TTL)" : "");
	}
	return EXIT_OK;
}

static int do_del(struct wl_entry *wl, unsigned *n, struct wl_args *a, int *changed)
{
	struct cidr c;
	int ret;

	if ((ret = parse_cidr(a->cidr, &c)))
		return ret;
	if (!wl_del(wl, n, &c))
		return fail(EXIT_NOENT, "'%s' is not whitelisted", safe(a->cidr));
	*changed = 1;
	if (!g.quiet && !g.json)
		printf("removed %s\n", a->cidr);
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "net", json_object_new_string(a->cidr));
		json_object_object_add(o, "result", json_object_new_string("deleted"));
		emit_json(o);
	}
	return EXIT_OK;
}

static int do_list(struct wl_entry *wl, unsigned *n, struct wl_args *a, int *changed)
{
	(void)a;
	(void)changed;
	for (unsigned i = 0; i < *n; i++) {
		char net[64], t[32];
		int expired = wl[i].expires && g.now >= wl[i].expires;

		cidr_format(&wl[i].net, net);
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "net", json_object_new_string(net));
			json_object_object_add(o, "created", json_object_new_int64(wl[i].created));
			json_object_object_add(o, "expires", wl[i].expires ? json_object_new_int64(wl[i].expires) : NULL);
			json_object_object_add(o, "expired", json_object_new_boolean(expired));
			json_object_object_add(o, "note", wl[i].note[0] ? json_object_new_string(wl[i].note) : NULL);
			emit_json(o);
		} else {
			if (wl[i].expires)
				time_iso(wl[i].expires, t);
			printf("%-40s %s%s%s%s\n", net, wl[i].expires ? (expired ? "expired " : "until ") : "permanent",
			       wl[i].expires ? t : "", wl[i].note[0] ? "  # " : "", printable(wl[i].note));
		}
	}
	return EXIT_OK;
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

static int wl_add_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 2 };

	cmd_parse(&add_argp, argc, argv, &a);
	set_ctx("whitelist add %s", safe(a.name));
	return with_whitelist(&a, do_add, "whitelist.add");
}

static int wl_del_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 2 };

	cmd_parse(&del_argp, argc, argv, &a);
	set_ctx("whitelist del %s", safe(a.name));
	return with_whitelist(&a, do_del, "whitelist.del");
}

static int wl_list_cmd(int argc, char **argv)
{
	struct wl_args a = { .want = 1 };

	cmd_parse(&list_argp, argc, argv, &a);
	set_ctx("whitelist list %s", safe(a.name));
	return with_whitelist(&a, do_list, "whitelist.list");
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
