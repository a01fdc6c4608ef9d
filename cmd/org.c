/* SPDX-License-Identifier: ISC */
/* twofactl org add|list|show|set|del|simulate */
#include "cmd/cmd.h"
#include "cmd/cmd.h"
#include "core/lockout.h"
#include "core/policy.h"
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

static json_object *org_json(const struct org *o)
{
	json_object *j = json_object_new_object(), *wl = json_object_new_array();

	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "policy", json_object_new_string(policy_name(o->policy)));
	json_object_object_add(j, "created", json_object_new_int64(o->created));
	for (unsigned i = 0; i < o->nwl; i++) {
		char net[64];

		cidr_format(&o->wl[i].net, net);
		json_object_array_add(wl, json_object_new_string(net));
	}
	json_object_object_add(j, "whitelist", wl);
	return j;
}

static const struct argp add_argp = {
	policy_option, parse, "ORG --policy POLICY",
	"Add an organisation. Its policy applies to the accounts added or set with "
	"--org ORG: required (every user must use a second factor), optional (each "
	"user's own choice), off (no second factor).", common_children, NULL, NULL
};

static int org_add(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct org o = { 0 };
	int ret, st;

	cmd_parse(&add_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		return ret;
	set_ctx("org add %s", a.name);
	if ((ret = open_store(&s)))
		return ret;
	if ((st = store_ref_ns(s, NS_ORGS, a.name, &ref)) || (st = store_lock(s, &ref))) {
		ret = fail_store(s, st);
		goto out;
	}
	if (store_exists(s, &ref)) {
		ret = fail(EXIT_USAGE, "organisation already exists");
		goto out;
	}
	memcpy(o.name, a.name, strlen(a.name) + 1);   /* checked by account_name_valid */
	o.policy = a.policy;
	o.created = g.now;
	if ((ret = org_write(g.h, &ref, &o)) || (ret = tf_audit(g.h, "org.add", NULL, policy_name(o.policy), NULL, a.name)))
		goto out;
	if (g.json)
		emit_json(org_json(&o));
	else if (!g.quiet)
		printf("added organisation '%s' (policy %s)\n", a.name, policy_name(o.policy));
out:
	store_unlock(s, &ref);
	close_store(s);
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

/* ---- set: what a required policy means for its members ---- */

struct member_pass {
	const char *org;
	size_t members, overridden;
	char (*todo)[ACCT_NAME_MAX + 1];   /* members to tell that enrolment is coming */
	size_t n, cap;
	int oom;
};

static int member_scan(void *ctx, const struct account *a)
{
	struct member_pass *m = ctx;

	if (strcmp(a->org, m->org) || a->moved_to[0])
		return 0;
	m->members++;
	m->overridden += switch_gives_way(a->twofa);
	if (!enrol_notice_due(a))
		return 0;
	if (m->n == m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 64;
		void *nv = realloc(m->todo, nc * sizeof *m->todo);

		if (!nv) {
			m->oom = 1;
			return 1;
		}
		m->todo = nv;
		m->cap = nc;
	}
	memcpy(m->todo[m->n++], a->name, sizeof m->todo[0]);
	return 0;
}

/* One message to a member, read again (it may have enrolled, left or gone
 * meanwhile: then nobody is told). 0 sent, 1 not needed any more, -1 not
 * delivered (why says why). A failure is reported, never fatal. */
static int notify_member(const char *org, const char *name, struct account *a,
                         char *why, size_t whylen)
{
	struct acct_ref ref = { 0 };
	const char *word = g.err_word;
	char keep[sizeof g.err_msg];
	enum channel ch;
	int st, r;

	if ((st = store_ref(g.h->s, name, &ref)) || (st = store_lock(g.h->s, &ref))) {
		snprintf(why, whylen, "%s", st == ST_BUSY ? "account busy" : "cannot lock the account");
		return -1;
	}
	st = store_load(g.h->s, &ref, name, a);
	store_unlock(g.h->s, &ref);
	if (st == ST_ENOENT)
		return 1;
	if (st) {
		snprintf(why, whylen, "cannot read the account");
		return -1;
	}
	if (strcmp(a->org, org) || a->moved_to[0] || !enrol_notice_due(a))
		return 1;
	if (!a->email[0] && !a->phone[0]) {
		snprintf(why, whylen, "no email address or mobile number known");
		return -1;
	}
	ch = a->email[0] ? CH_EMAIL : CH_SMS;
	/* deliver() says what went wrong on stderr, as the listing of this
	 * member; the command's own result stays a success */
	memcpy(keep, g.err_msg, sizeof keep);
	g.err_word = NULL;
	g.err_msg[0] = '\0';
	{
		struct msg_var v[] = { { "name", a->name }, { "issuer", tf_config_issuer(g.h) }, { "org", org } };

		r = deliver(g.h, a, ch, "enrol-required", v, sizeof v / sizeof v[0]);
	}
	if (r)
		snprintf(why, whylen, "%s", g.err_msg[0] ? g.err_msg : "delivery failed");
	g.err_word = word;
	memcpy(g.err_msg, keep, sizeof keep);
	return r ? -1 : 0;
}

static int org_set(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct member_pass m = { 0 };
	struct account *acct = NULL;
	json_object *sent = json_object_new_array(), *failed = json_object_new_array();
	struct org o;
	enum policy old;
	int ret, st, became_required;

	cmd_parse(&set_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		goto done;
	set_ctx("org set %s", a.name);
	if ((ret = cli_org_begin(a.name, &s, &ref, &o)))
		goto out;
	old = o.policy;
	o.policy = a.policy;
	if ((ret = org_write(g.h, &ref, &o)) || (ret = tf_audit(g.h, "org.set", NULL, policy_name(o.policy), NULL, a.name)))
		goto out;
	/* decided under the organisation's lock: of two runs at once, one
	 * sees the change and tells the members */
	became_required = old != POLICY_REQUIRED && o.policy == POLICY_REQUIRED;
	store_unlock(s, &ref);
	if (o.policy == POLICY_REQUIRED) {
		m.org = a.name;
		if ((st = store_iterate(s, member_scan, &m))) {
			ret = fail_store(s, st);
			goto out;
		}
		if (m.oom) {
			ret = fail(EXIT_STORE, "out of memory");
			goto out;
		}
	}
	if (became_required && !a.no_notify && m.n) {
		if (!(acct = account_new())) {
			ret = fail(EXIT_STORE, "cannot allocate secure memory");
			goto out;
		}
		for (size_t i = 0; i < m.n; i++) {
			char why[600];
			int r = notify_member(a.name, m.todo[i], acct, why, sizeof why);

			if (r > 0)
				continue;
			if (r == 0) {
				json_object_array_add(sent, json_object_new_string(m.todo[i]));
			} else {
				json_object *f = json_object_new_object();

				json_object_object_add(f, "name", json_object_new_string(m.todo[i]));
				json_object_object_add(f, "error", json_object_new_string(why));
				json_object_array_add(failed, f);
			}
			if ((ret = tf_audit(g.h, "org.notify", m.todo[i], r ? "failed" : "sent", NULL, a.name)))
				goto out;
		}
	}
	if (g.json) {
		json_object *j = org_json(&o);

		json_object_object_add(j, "overridden", json_object_new_int64((int64_t)m.overridden));
		json_object_object_add(j, "notified", json_object_get(sent));
		json_object_object_add(j, "not_notified", json_object_get(failed));
		emit_json(j);
	} else if (!g.quiet) {
		size_t ns = json_object_array_length(sent);

		printf("organisation '%s' now has policy %s\n", a.name, policy_name(o.policy));
		if (m.overridden)
			printf("it overrides the own 2fa switch (off or optional) of %zu member%s\n",
			       m.overridden, m.overridden == 1 ? "" : "s");
		if (ns)
			printf("told %zu member%s without a second factor that their next login asks them to set one up\n",
			       ns, ns == 1 ? "" : "s");
		for (size_t i = 0; i < json_object_array_length(failed); i++) {
			json_object *f = json_object_array_get_idx(failed, i), *n, *e;

			json_object_object_get_ex(f, "name", &n);
			json_object_object_get_ex(f, "error", &e);
			printf("not told %s: %s\n", printable(json_object_get_string(n)), printable(json_object_get_string(e)));
		}
	}
	ret = EXIT_OK;
out:
	account_free(acct);
	free(m.todo);
	cli_org_end(s, &ref);
done:
	json_object_put(sent);
	json_object_put(failed);
	return ret;
}

static const struct argp show_argp = {
	NULL, parse, "ORG", "Show an organisation: policy and whitelist.", common_children, NULL, NULL
};

static int org_show(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct org o;
	int ret;

	cmd_parse(&show_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 0)))
		return ret;
	set_ctx("org show %s", a.name);
	if ((ret = open_store(&s)))
		return ret;
	if (!(ret = org_read(g.h, a.name, &ref, &o))) {
		if (g.json) {
			emit_json(org_json(&o));
		} else {
			char t[32];

			time_iso(o.created, t);
			printf("name:       %s\npolicy:     %s\ncreated:    %s\n", o.name, policy_name(o.policy), t);
			for (unsigned i = 0; i < o.nwl; i++) {
				char net[64];

				cidr_format(&o.wl[i].net, net);
				printf("whitelist:  %s%s%s\n", net, o.wl[i].note[0] ? "  # " : "", printable(o.wl[i].note));
			}
		}
	}
	close_store(s);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, NULL, "List the organisations with their policies.", common_children, NULL, NULL
};

static int org_list(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct org_index l = { 0 };
	struct store *s = NULL;
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	if (a.name)
		return fail(EXIT_USAGE, "unexpected argument '%s'", a.name);
	if ((ret = open_store(&s)))
		return ret;
	if ((ret = org_index_load(g.h, &l)))
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		if (g.json)
			emit_json(org_json(&l.v[i]));
		else
			printf("%-24s %s\n", l.v[i].name, policy_name(l.v[i].policy));
	}
out:
	org_index_free(&l);
	close_store(s);
	return ret;
}

struct members {
	const char *org;
	size_t n;
};

static int count_member(void *ctx, const struct account *a)
{
	struct members *m = ctx;

	m->n += !strcmp(a->org, m->org);
	return 0;
}

static const struct argp del_argp = {
	NULL, parse, "ORG", "Delete an organisation that no account belongs to.", common_children, NULL, NULL
};

static int org_del(int argc, char **argv)
{
	struct org_args a = { 0 };
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct members m = { 0 };
	struct org o;
	int ret, st, all = 0;

	cmd_parse(&del_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 0)))
		return ret;
	set_ctx("org del %s", a.name);
	/* the whole store: no account is being moved into it while its members
	 * are counted (user set --org reads the organisation under the
	 * account's lock, which this waits for); 7 if a rekey ran meanwhile */
	if ((ret = open_store(&s)))
		return ret;
	if ((st = store_lock_all(s))) {
		ret = fail_store(s, st);
		close_store(s);
		return ret;
	}
	all = 1;
	if ((st = store_ref_ns(s, NS_ORGS, a.name, &ref)) || (st = store_lock(s, &ref))) {
		ret = fail_store(s, st);
		goto out;
	}
	if ((ret = org_read(g.h, a.name, &ref, &o)))
		goto out;
	m.org = a.name;
	if ((st = store_iterate(s, count_member, &m))) {
		ret = fail_store(s, st);
		goto out;
	}
	if (m.n) {
		ret = fail(EXIT_USAGE, "%zu account%s still belong%s to it: move them with user set --org",
		           m.n, m.n == 1 ? "" : "s", m.n == 1 ? "s" : "");
		goto out;
	}
	if ((st = store_delete(s, &ref))) {
		ret = fail_store(s, st);
		goto out;
	}
	ret = tf_audit(g.h, "org.del", NULL, "ok", NULL, a.name);
	if (!ret && !g.quiet && !g.json)
		printf("deleted organisation '%s'\n", a.name);
	if (!ret && g.json)
		emit_result(a.name, "deleted");
out:
	store_unlock(s, &ref);
	if (all)
		store_unlock_all(s);
	close_store(s);
	return ret;
}

/* ---- simulate ---- */

struct sim {
	const char *org;
	enum policy policy;
	unsigned low;
	size_t members, stopped, own;
};

static int simulate_one(void *ctx, const struct account *a)
{
	struct sim *sm = ctx;
	const char *reasons[6];
	char own[96] = "", src[96];
	unsigned nr = 0, active = account_active_count(a);
	struct org as_if = { .policy = sm->policy };
	struct policy_out po;
	const char *why;
	int64_t wait;
	int stopped;

	if (strcmp(a->org, sm->org))
		return 0;
	sm->members++;
	/* the policy that would apply: the account's own switch may decide */
	account_policy(a, &as_if, POLICY_OPTIONAL, &po);
	policy_source_text(&po, sm->org, src, sizeof src);
	if (po.src == PSRC_ACCOUNT)
		snprintf(own, sizeof own, "its own 2fa switch (%s) decides, not the organisation's policy",
		         switch_name(a->twofa));
	else if (po.overridden)
		snprintf(own, sizeof own, "its own 2fa switch (%s) would be overridden", switch_name(a->twofa));
	if (!a->service && po.pol != POLICY_OFF) {
		if (policy_decide(a, po.pol, 0, 0, &why) == DEC_ENROL)
			reasons[nr++] = "no active factor: must enrol at next login";
		for (unsigned i = 0; i < a->nf; i++)
			if (a->f[i].status == FS_ACTIVE && a->f[i].type == F_SMS && !a->phone[0])
				reasons[nr++] = "SMS is its method but no mobile number is known";
		if (active && a->nbackup < sm->low)
			reasons[nr++] = a->nbackup ? "few backup codes left" : "no backup codes left";
		if (lock_check(a, g.now, &wait) != LOCK_OPEN)
			reasons[nr++] = "locked out";
	}
	stopped = nr > 0;
	sm->stopped += (size_t)stopped;
	sm->own += po.src == PSRC_ACCOUNT;
	if (!stopped && !own[0])
		return 0;
	if (own[0])
		reasons[nr++] = own;
	if (g.json) {
		json_object *o = json_object_new_object(), *r = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "stopped", json_object_new_boolean(stopped));
		for (unsigned i = 0; i < nr; i++)
			json_object_array_add(r, json_object_new_string(reasons[i]));
		json_object_object_add(o, "reasons", r);
		json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
		json_object_object_add(o, "policy", json_object_new_string(policy_name(po.pol)));
		json_object_object_add(o, "policy_source", json_object_new_string(src));
		json_object_object_add(o, "backup_left", json_object_new_int64(a->nbackup));
		emit_json(o);
	} else {
		printf("%s:", printable(a->name));
		for (unsigned i = 0; i < nr; i++)
			printf("%s %s", i ? ";" : "", reasons[i]);
		printf("\n");
	}
	return 0;
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
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct org o;
	struct sim sm = { 0 };
	int ret, st;

	cmd_parse(&sim_argp, argc, argv, &a);
	if ((ret = need(&a, 1, 1)))
		return ret;
	set_ctx("org simulate %s", a.name);
	if ((ret = open_store(&s)))
		return ret;
	if ((ret = org_read(g.h, a.name, &ref, &o)))
		goto out;
	sm.org = a.name;
	sm.policy = a.policy;
	sm.low = 3;
	if ((st = store_iterate(s, simulate_one, &sm))) {
		ret = fail_store(s, st);
		goto out;
	}
	if (!g.json && !g.quiet) {
		printf("%zu of %zu account%s would be stopped under policy %s (now %s); nothing was changed\n",
		       sm.stopped, sm.members, sm.members == 1 ? "" : "s", policy_name(a.policy), policy_name(o.policy));
		if (sm.own)
			printf("%zu account%s decide%s by %s own 2fa switch, not by the organisation's policy\n",
			       sm.own, sm.own == 1 ? "" : "s", sm.own == 1 ? "s" : "", sm.own == 1 ? "its" : "their");
	}
out:
	close_store(s);
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
