/* SPDX-License-Identifier: ISC */
/* twofactl org add|list|show|set|del|simulate */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct org_args {
	const char *name;
	enum policy policy;
	int policy_set, nargs;
	int no_notify;
};

enum { OPT_POLICY = 0x700, OPT_NO_NOTIFY };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct org_args *a = state->input;

	switch (key) {
	case OPT_POLICY:
		if (policy_parse(arg, &a->policy))
			USAGE(state, "--policy: '%s' is not required, optional or off", safe(arg));
		a->policy_set = 1;
		break;
	case OPT_NO_NOTIFY:
		a->no_notify = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (!account_name_valid(arg))
			USAGE(state, "invalid organisation name '%s'", safe(arg));
		a->name = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option policy_option[] = {
	{ "policy", OPT_POLICY, "POLICY", 0, "required, optional or off", 0 },
	{ 0 }
};

static int need(const struct org_args *a, int name, int policy)
{
	if (name && !a->name)
		return fail(EXIT_USAGE, "missing organisation ORG");
	if (policy && !a->policy_set)
		return fail(EXIT_USAGE, "missing --policy required|optional|off");
	return EXIT_OK;
}

static tf_policy policy_of(enum policy p)
{
	return p == POLICY_REQUIRED ? TF_POLICY_REQUIRED : p == POLICY_OFF ? TF_POLICY_OFF : TF_POLICY_OPTIONAL;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static const struct argp add_argp = {
	policy_option, parse, "ORG --policy POLICY",
	"Add an organisation. Its policy applies to the accounts added or set with "
	"--org ORG: required (every user must use a second factor), optional (each "
	"user's own choice), off (no second factor).", common_children, NULL, NULL
};

static void render_add(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "added organisation '%s' (policy %s)\n", jstr(o, "name"), jstr(o, "policy"));
}

static int org_add(int argc, char **argv)
{
	struct org_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&add_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		return ret;
	set_ctx("org add %s", a.name);
	if (!(ret = cli_open(&h)))
		ret = tf_org_add(h, &(struct tf_org_add_args){ .name = a.name, .policy = policy_of(a.policy) },
		                 CLI_SINK(render_add));
	cli_close(h);
	return ret;
}

static const struct argp_option set_options[] = {
	{ "policy", OPT_POLICY, "POLICY", 0, "required, optional or off", 0 },
	{ "no-notify", OPT_NO_NOTIFY, NULL, 0, "When the policy becomes required, do not tell the "
	  "members without a second factor", 0 },
	{ 0 }
};

static const struct argp set_argp = {
	set_options, parse, "ORG --policy POLICY",
	"Change an organisation's policy (see org simulate first). When it becomes "
	"required, every member without an active second factor (service accounts "
	"aside) gets one message, by email or else SMS, in their language, saying "
	"that their next login will ask them to set up two-factor authentication "
	"(seed 001, step 9); --no-notify skips it. Messages that cannot be delivered "
	"are listed; they never undo the change. Members whose own 2fa switch is off "
	"or optional are counted: a required organisation overrides it.\v"
	"Exit status: 0 changed (also when some messages failed), 2 usage, 3 no such "
	"organisation, 5 store error, 7 store busy.", common_children, NULL, NULL
};

static void render_set(json_object *o)
{
	json_object *sent, *failed, *overridden;
	size_t ns, nover;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "notified", &sent);
	json_object_object_get_ex(o, "not_notified", &failed);
	json_object_object_get_ex(o, "overridden", &overridden);
	ns = json_object_array_length(sent);
	nover = (size_t)json_object_get_int64(overridden);
	fprintf(g.out, "organisation '%s' now has policy %s\n", jstr(o, "name"), jstr(o, "policy"));
	if (nover)
		fprintf(g.out, "it overrides the own 2fa switch (off or optional) of %zu member%s\n",
		       nover, nover == 1 ? "" : "s");
	if (ns)
		fprintf(g.out, "told %zu member%s without a second factor that their next login asks them to set one up\n",
		       ns, ns == 1 ? "" : "s");
	for (size_t i = 0; i < json_object_array_length(failed); i++) {
		json_object *f = json_object_array_get_idx(failed, i);

		fprintf(g.out, "not told %s: %s\n", printable(jstr(f, "name")), printable(jstr(f, "error")));
	}
}

static int org_set(int argc, char **argv)
{
	struct org_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&set_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		return ret;
	set_ctx("org set %s", a.name);
	if (!(ret = cli_open(&h)))
		ret = tf_org_set(h, &(struct tf_org_set_args){ .name = a.name, .policy = policy_of(a.policy),
		                 .no_notify = a.no_notify }, CLI_SINK(render_set));
	cli_close(h);
	return ret;
}

static const struct argp show_argp = {
	NULL, parse, "ORG", "Show an organisation: policy and whitelist.", common_children, NULL, NULL
};

static void render_show(json_object *o)
{
	json_object *wl, *notes, *created;
	char t[32];

	json_object_object_get_ex(o, "whitelist", &wl);
	json_object_object_get_ex(o, "notes", &notes);
	json_object_object_get_ex(o, "created", &created);
	time_iso(json_object_get_int64(created), t);
	fprintf(g.out, "name:       %s\npolicy:     %s\ncreated:    %s\n", jstr(o, "name"), jstr(o, "policy"), t);
	for (size_t i = 0; i < json_object_array_length(wl); i++) {
		const char *note = json_object_get_string(json_object_array_get_idx(notes, i));

		fprintf(g.out, "whitelist:  %s%s%s\n", json_object_get_string(json_object_array_get_idx(wl, i)),
		       note && note[0] ? "  # " : "", printable(note));
	}
}

static int org_show(int argc, char **argv)
{
	struct org_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&show_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 0)))
		return ret;
	set_ctx("org show %s", a.name);
	if (!(ret = cli_open(&h)))   /* the notes are for the text form */
		ret = tf_org_show(h, &(struct tf_org_show_args){ .name = a.name, .notes = !g.json },
		                  CLI_SINK(render_show));
	cli_close(h);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, NULL, "List the organisations with their policies.", common_children, NULL, NULL
};

static void render_list(json_object *o)
{
	fprintf(g.out, "%-24s %s\n", jstr(o, "name"), jstr(o, "policy"));
}

static int org_list(int argc, char **argv)
{
	struct org_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	if (a.name)
		return fail(EXIT_USAGE, "unexpected argument '%s'", a.name);
	if (!(ret = cli_open(&h)))
		ret = tf_org_list(h, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

static const struct argp del_argp = {
	NULL, parse, "ORG", "Delete an organisation that no account belongs to.", common_children, NULL, NULL
};

static void render_del(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "deleted organisation '%s'\n", jstr(o, "name"));
}

static int org_del(int argc, char **argv)
{
	struct org_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&del_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 0)))
		return ret;
	set_ctx("org del %s", a.name);
	if (!(ret = cli_open(&h)))
		ret = tf_org_del(h, &(struct tf_org_del_args){ .name = a.name }, CLI_SINK(render_del));
	cli_close(h);
	return ret;
}

/* ---- simulate ---- */

static void render_simulated(json_object *o)
{
	json_object *r;

	json_object_object_get_ex(o, "reasons", &r);
	fprintf(g.out, "%s:", printable(jstr(o, "name")));
	for (size_t i = 0; i < json_object_array_length(r); i++)
		fprintf(g.out, "%s %s", i ? ";" : "", printable(json_object_get_string(json_object_array_get_idx(r, i))));
	fprintf(g.out, "\n");
}

static const struct argp sim_argp = {
	policy_option, parse, "ORG --policy POLICY",
	"Without changing anything, list the accounts of ORG that would be stopped "
	"at their next login under POLICY: no active factor where one is required, "
	"SMS as the method but no mobile number, fewer than 3 backup codes, locked "
	"out. So an administrator can tighten a policy without locking customers out. "
	"Also listed: the accounts whose own 2fa switch (user set --2fa) decides "
	"instead of the organisation's policy, and those whose own off or optional "
	"a required policy would override.",
	common_children, NULL, NULL
};

static int org_simulate(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct tf_org_simulation sm = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&sim_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		return ret;
	set_ctx("org simulate %s", a.name);
	if (!(ret = cli_open(&h)))
		ret = tf_org_simulate(h, &(struct tf_org_simulate_args){ .name = a.name, .policy = policy_of(a.policy) },
		                      CLI_SINK(render_simulated), &sm);
	cli_close(h);
	if (!ret && !g.json && !g.quiet) {
		fprintf(g.out, "%zu of %zu account%s would be stopped under policy %s (now %s); nothing was changed\n",
		       sm.stopped, sm.members, sm.members == 1 ? "" : "s", policy_name(a.policy),
		       sm.now == TF_POLICY_REQUIRED ? "required" : sm.now == TF_POLICY_OFF ? "off" : "optional");
		if (sm.own)
			fprintf(g.out, "%zu account%s decide%s by %s own 2fa switch, not by the organisation's policy\n",
			       sm.own, sm.own == 1 ? "" : "s", sm.own == 1 ? "s" : "", sm.own == 1 ? "its" : "their");
	}
	return ret;
}

static const struct verb verbs[] = {
	{ "add", org_add, "add an organisation with a policy" },
	{ "list", org_list, "list organisations" },
	{ "show", org_show, "show one" },
	{ "set", org_set, "change its policy" },
	{ "del", org_del, "delete an empty one" },
	{ "simulate", org_simulate, "who a policy would stop; changes nothing" },
	{ NULL, NULL, NULL }
};

int cmd_org(int argc, char **argv)
{
	return run_verbs("org", verbs, argc, argv);
}
