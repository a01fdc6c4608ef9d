/* SPDX-License-Identifier: ISC */
/* twofactl trust add|list|revoke: remembered devices */
#include "cmd/cmd.h"
#include "core/policy.h"
#include "core/timefmt.h"

#include <sodium.h>
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

static int trust_add_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 1 };
	struct tf_sess ss;
	char token[TRUST_TOKEN_CHARS + 1] = "";
	uint32_t id = 0;
	unsigned days;
	int ret;

	cmd_parse(&add_argp, argc, argv, &a);
	set_ctx("trust add %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if ((ret = tf_config_uint(g.h, "trust.days", 30, 1, 365, &days)))
		goto out;
	if (!a.days)
		a.days = days;
	if (trust_add(ss.a, ss.a->code_key, tf_acct_ctx(&ss), g.now, a.days * 86400, a.label, token, &id)) {
		ret = fail(EXIT_STORE, "cannot make a device token");
		goto out;
	}
	/* shown once: written out before the device is remembered */
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "token", json_object_new_string(token));
		json_object_object_add(o, "expires", json_object_new_int64(g.now + a.days * 86400));
		emit_json(o);
	} else {
		printf("%s\n", token);
	}
	if ((ret = out_flush()) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "trust.add", a.name, "ok", NULL, a.label)))
		goto out;
out:
	sodium_memzero(token, sizeof token);
	sess_end(&ss);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, "NAME", "List remembered devices: id, label, created, expires, last used.",
	common_children, NULL, NULL
};

static int trust_list_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 1 };
	struct tf_sess ss;
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	set_ctx("trust list %s", safe(a.name));
	if (!(ret = sess_begin(&ss, a.name)))
		for (unsigned i = 0; i < ss.a->ntr; i++) {
			const struct trusted *t = &ss.a->tr[i];
			char c[32], e[32], u[32] = "never";

			if (g.json) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "id", json_object_new_int64(t->id));
				json_object_object_add(o, "label", t->label[0] ? json_object_new_string(t->label) : NULL);
				json_object_object_add(o, "created", json_object_new_int64(t->created));
				json_object_object_add(o, "expires", json_object_new_int64(t->expires));
				json_object_object_add(o, "expired", json_object_new_boolean(g.now >= t->expires));
				json_object_object_add(o, "last_used", t->last_used ? json_object_new_int64(t->last_used) : NULL);
				emit_json(o);
				continue;
			}
			time_iso(t->created, c);
			time_iso(t->expires, e);
			if (t->last_used)
				time_iso(t->last_used, u);
			printf("%-4u %-28s created %s  expires %s%s  last used %s\n", t->id,
			       t->label[0] ? printable(t->label) : "-", c, e, g.now >= t->expires ? " (expired)" : "", u);
		}
	sess_end(&ss);
	return ret;
}

static const struct argp revoke_argp = {
	revoke_options, parse, "NAME ID|--all", "Forget a remembered device, or all of them.",
	common_children, NULL, NULL
};

static int trust_revoke_cmd(int argc, char **argv)
{
	struct trust_args a = { .want = 2 };
	struct tf_sess ss;
	int64_t id = 0;
	unsigned n = 0;
	int ret;

	cmd_parse(&revoke_argp, argc, argv, &a);
	set_ctx("trust revoke %s", safe(a.name));
	if (!a.all == !a.id)
		return fail(EXIT_USAGE, "give a device ID or --all");
	if (a.id && int_parse(a.id, 1, UINT32_MAX, &id))
		return fail(EXIT_USAGE, "'%s' is not a device id", safe(a.id));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if (a.all) {
		n = ss.a->ntr;
		while (ss.a->ntr)
			(void)trust_revoke(ss.a, ss.a->tr[0].id);
	} else if (!(n = (unsigned)trust_revoke(ss.a, (uint32_t)id))) {
		ret = fail(EXIT_NOENT, "no device %lld", (long long)id);
		goto out;
	}
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "trust.revoke", a.name, "ok", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "revoked", json_object_new_int64(n));
		emit_json(o);
	} else if (!g.quiet) {
		printf("revoked %u device%s\n", n, n == 1 ? "" : "s");
	}
out:
	sess_end(&ss);
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
