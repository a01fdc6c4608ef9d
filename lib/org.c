/* SPDX-License-Identifier: ISC */
/* lib/org.c — organisations: add, list, show, set, del, simulate (the
 * helpers other use cases share are in lib/orgs.c). */
#include "lib/shared.h"
#include "core/cidr.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The caller's policy, or -1 with a failure. */
static int policy_of(tf *h, tf_policy p)
{
	switch (p) {
	case TF_POLICY_REQUIRED: return POLICY_REQUIRED;
	case TF_POLICY_OPTIONAL: return POLICY_OPTIONAL;
	case TF_POLICY_OFF: return POLICY_OFF;
	case TF_POLICY_NONE: break;
	}
	TF_IGNORE(tf_fail(h, TF_USAGE, NULL, "missing --policy required|optional|off"));
	return -1;
}

static tf_status org_name_ok(tf *h, const char *name)
{
	if (!name)
		return tf_fail(h, TF_USAGE, NULL, "missing organisation ORG");
	if (!account_name_valid(name))
		return tf_fail(h, TF_USAGE, NULL, "invalid organisation name '%s'", tf_safe(name));
	return TF_OK;
}

/* {name, policy, created, whitelist}; with notes, each entry's note too. */
static json_object *org_json(const struct org *o, int notes)
{
	json_object *j = json_object_new_object(), *wl = json_object_new_array(), *nv = NULL;

	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "policy", json_object_new_string(policy_name(o->policy)));
	json_object_object_add(j, "created", json_object_new_int64(o->created));
	if (notes)
		nv = json_object_new_array();
	for (unsigned i = 0; i < o->nwl; i++) {
		char net[64];

		cidr_format(&o->wl[i].net, net);
		json_object_array_add(wl, json_object_new_string(net));
		if (nv)
			json_object_array_add(nv, json_object_new_string(o->wl[i].note));
	}
	json_object_object_add(j, "whitelist", wl);
	if (nv)
		json_object_object_add(j, "notes", nv);
	return j;
}

/* ---- add, list, show ---- */

tf_status tf_org_add(tf *h, const struct tf_org_add_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct org o = { 0 };
	tf_status ret;
	int st, pol;

	if ((ret = org_name_ok(h, a->name)))
		return ret;
	if ((pol = policy_of(h, a->policy)) < 0)
		return TF_USAGE;
	if ((st = store_ref_ns(h->s, NS_ORGS, a->name, &ref)) || (st = store_lock(h->s, &ref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (store_exists(h->s, &ref)) {
		ret = tf_fail(h, TF_USAGE, NULL, "organisation already exists");
		goto out;
	}
	memcpy(o.name, a->name, strlen(a->name) + 1);   /* checked by account_name_valid */
	o.policy = (enum policy)pol;
	o.created = tf_now(h);
	if (!(ret = org_write(h, &ref, &o)) &&
	    !(ret = tf_audit(h, "org.add", NULL, policy_name(o.policy), NULL, a->name)))
		ret = tf_emit(h, out, org_json(&o, 0));
out:
	store_unlock(h->s, &ref);
	return ret;
}

tf_status tf_org_list(tf *h, const struct tf_sink *out)
{
	TF_ENTRY_H(h);
	struct org_index l = { 0 };
	tf_status ret;

	if ((ret = org_index_load(h, &l)))
		return ret;
	for (size_t i = 0; i < l.n && !ret; i++)
		ret = tf_emit(h, out, org_json(&l.v[i], 0));
	org_index_free(&l);
	return ret;
}

tf_status tf_org_show(tf *h, const struct tf_org_show_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct org o;
	tf_status ret;

	if ((ret = org_name_ok(h, a->name)) || (ret = org_read(h, a->name, &ref, &o)))
		return ret;
	return tf_emit(h, out, org_json(&o, a->notes));
}

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
 * delivered (why says why). A failure is reported, never fatal: deliver()
 * says what went wrong through the error hook, as the listing of this
 * member, and the handle's last failure stays what it was. */
static int notify_member(tf *h, const char *org, const char *name, struct account *a,
                         char *why, size_t whylen)
{
	struct acct_ref ref = { 0 };
	const char *word = h->word;
	char keep[sizeof h->msg];
	enum channel ch;
	int st, r;

	if ((st = store_ref(h->s, name, &ref)) || (st = store_lock(h->s, &ref))) {
		snprintf(why, whylen, "%s", st == ST_BUSY ? "account busy" : "cannot lock the account");
		return -1;
	}
	st = store_load(h->s, &ref, name, a);
	store_unlock(h->s, &ref);
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
	memcpy(keep, h->msg, sizeof keep);
	h->msg[0] = '\0';
	{
		struct msg_var v[] = { { "name", a->name }, { "issuer", tf_config_issuer(h) }, { "org", org } };

		r = deliver(h, a, ch, "enrol-required", v, sizeof v / sizeof v[0]);
	}
	if (r)
		snprintf(why, whylen, "%s", h->msg[0] ? h->msg : "delivery failed");
	h->word = word;
	memcpy(h->msg, keep, sizeof keep);
	return r ? -1 : 0;
}

tf_status tf_org_set(tf *h, const struct tf_org_set_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct member_pass m = { 0 };
	struct account *acct = NULL;
	json_object *sent = NULL, *failed = NULL, *j;
	struct org o;
	enum policy old;
	tf_status ret;
	int st, pol, became_required;

	if ((ret = org_name_ok(h, a->name)))
		return ret;
	if ((pol = policy_of(h, a->policy)) < 0)
		return TF_USAGE;
	sent = json_object_new_array();
	failed = json_object_new_array();
	if ((ret = org_begin(h, a->name, &ref, &o)))
		goto out;
	old = o.policy;
	o.policy = (enum policy)pol;
	if ((ret = org_write(h, &ref, &o)) || (ret = tf_audit(h, "org.set", NULL, policy_name(o.policy), NULL, a->name)))
		goto out;
	/* decided under the organisation's lock: of two runs at once, one
	 * sees the change and tells the members */
	became_required = old != POLICY_REQUIRED && o.policy == POLICY_REQUIRED;
	org_end(h, &ref);
	if (o.policy == POLICY_REQUIRED) {
		m.org = a->name;
		if ((st = store_iterate(h->s, member_scan, &m))) {
			ret = tf_fail_store(h, st);
			goto out;
		}
		if (m.oom) {
			ret = tf_fail(h, TF_STORE, NULL, "out of memory");
			goto out;
		}
	}
	if (became_required && !a->no_notify && m.n) {
		if (!(acct = account_new())) {
			ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
			goto out;
		}
		for (size_t i = 0; i < m.n; i++) {
			char why[600];
			int r = notify_member(h, a->name, m.todo[i], acct, why, sizeof why);

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
			if ((ret = tf_audit(h, "org.notify", m.todo[i], r ? "failed" : "sent", NULL, a->name)))
				goto out;
		}
	}
	j = org_json(&o, 0);
	json_object_object_add(j, "overridden", json_object_new_int64((int64_t)m.overridden));
	json_object_object_add(j, "notified", json_object_get(sent));
	json_object_object_add(j, "not_notified", json_object_get(failed));
	ret = tf_emit(h, out, j);
out:
	account_free(acct);
	free(m.todo);
	org_end(h, &ref);
	json_object_put(sent);
	json_object_put(failed);
	return ret;
}

/* ---- del ---- */

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

tf_status tf_org_del(tf *h, const struct tf_org_del_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct members m = { 0 };
	struct org o;
	json_object *j;
	tf_status ret;
	int st;

	if ((ret = org_name_ok(h, a->name)))
		return ret;
	/* the whole store: no account is being moved into it while its members
	 * are counted (user set --org reads the organisation under the
	 * account's lock, which this waits for); 7 if a rekey ran meanwhile */
	if ((st = store_lock_all(h->s)))
		return tf_fail_store(h, st);
	if ((st = store_ref_ns(h->s, NS_ORGS, a->name, &ref)) || (st = store_lock(h->s, &ref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if ((ret = org_read(h, a->name, &ref, &o)))
		goto out;
	m.org = a->name;
	if ((st = store_iterate(h->s, count_member, &m))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (m.n) {
		ret = tf_fail(h, TF_USAGE, NULL, "%zu account%s still belong%s to it: move them with user set --org",
		              m.n, m.n == 1 ? "" : "s", m.n == 1 ? "s" : "");
		goto out;
	}
	if ((st = store_delete(h->s, &ref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if ((ret = tf_audit(h, "org.del", NULL, "ok", NULL, a->name)))
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "result", json_object_new_string("deleted"));
	ret = tf_emit(h, out, j);
out:
	store_unlock(h->s, &ref);
	store_unlock_all(h->s);
	return ret;
}

/* ---- simulate ---- */

struct sim {
	tf *h;
	const struct tf_sink *out;
	const char *org;
	enum policy policy;
	unsigned low;
	int64_t now;
	size_t members, stopped, own;
	tf_status ret;          /* the sink could not take a result */
};

static int simulate_one(void *ctx, const struct account *a)
{
	struct sim *sm = ctx;
	const char *reasons[6];
	char own[96] = "", src[96];
	unsigned nr = 0, active = account_active_count(a);
	struct org as_if = { .policy = sm->policy };
	struct policy_out po;
	json_object *o, *r;
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
			if (a->f[i].status == FS_ACTIVE && a->f[i].type == F_SMS && !a->phone[0]) {
				reasons[nr++] = "SMS is its method but no mobile number is known";
				break;   /* once: reasons has room for each reason once */
			}
		if (active && a->nbackup < sm->low)
			reasons[nr++] = a->nbackup ? "few backup codes left" : "no backup codes left";
		if (lock_check(a, sm->now, &wait) != LOCK_OPEN)
			reasons[nr++] = "locked out";
	}
	stopped = nr > 0;
	sm->stopped += (size_t)stopped;
	sm->own += po.src == PSRC_ACCOUNT;
	if (!stopped && !own[0])
		return 0;
	if (own[0])
		reasons[nr++] = own;
	o = json_object_new_object();
	r = json_object_new_array();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "stopped", json_object_new_boolean(stopped));
	for (unsigned i = 0; i < nr; i++)
		json_object_array_add(r, json_object_new_string(reasons[i]));
	json_object_object_add(o, "reasons", r);
	json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
	json_object_object_add(o, "policy", json_object_new_string(policy_name(po.pol)));
	json_object_object_add(o, "policy_source", json_object_new_string(src));
	json_object_object_add(o, "backup_left", json_object_new_int64(a->nbackup));
	if ((sm->ret = tf_emit(sm->h, sm->out, o)))
		return 1;
	return 0;
}

tf_status tf_org_simulate(tf *h, const struct tf_org_simulate_args *a, const struct tf_sink *out,
                          struct tf_org_simulation *sum)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct org o;
	struct sim sm = { .h = h, .out = out, .low = 3 };
	tf_status ret;
	int st, pol;

	if ((ret = org_name_ok(h, a->name)))
		return ret;
	if ((pol = policy_of(h, a->policy)) < 0)
		return TF_USAGE;
	if ((ret = org_read(h, a->name, &ref, &o)))
		return ret;
	sm.org = a->name;
	sm.policy = (enum policy)pol;
	sm.now = tf_now(h);
	if ((st = store_iterate(h->s, simulate_one, &sm)) && !sm.ret)
		return tf_fail_store(h, st);
	if (sm.ret)
		return sm.ret;
	if (sum) {
		sum->members = sm.members;
		sum->stopped = sm.stopped;
		sum->own = sm.own;
		sum->now = o.policy == POLICY_REQUIRED ? TF_POLICY_REQUIRED :
		           o.policy == POLICY_OFF ? TF_POLICY_OFF : TF_POLICY_OPTIONAL;
	}
	return TF_OK;
}
