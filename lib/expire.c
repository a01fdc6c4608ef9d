/* SPDX-License-Identifier: ISC */
/* lib/expire.c — the cron job: one sweep over the store. */
#include "lib/shared.h"
#include "core/cidr.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct worklist {
	struct account *copy;   /* one scratch record for the whole scan */
	char (*names)[ACCT_NAME_MAX + 1];
	size_t n, cap, seen;
	struct sweep_params p;
	int oom;
	tf_progress_fn progress;
	void *progress_ctx;
};

/* Pass 1 (no locks): which accounts have anything to do? */
static int scan(void *ctx, const struct account *a)
{
	struct worklist *t = ctx;
	struct sweep_counts c = { 0 };
	unsigned warn;
	int busy;

	memcpy(t->copy, a, sizeof *a);
	warn = sweep_account(t->copy, &t->p, &c);
	busy = warn || c.codes || c.whitelist || c.devices || c.enrolments || c.logins;
	if (++t->seen % 1000 == 0 && t->progress)
		t->progress(t->progress_ctx, t->seen, 0);
	if (!busy)
		return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		void *nn = realloc(t->names, nc * sizeof *t->names);

		if (!nn) {
			t->oom = 1;
			return 1;
		}
		t->names = nn;
		t->cap = nc;
	}
	memcpy(t->names[t->n++], a->name, ACCT_NAME_MAX + 1);
	return 0;
}

/* The address a pending login came from, for the warning ("" unknown:
 * the template leaves its line out). */
static void login_ip(const struct pending_login *pl, char out[64])
{
	struct cidr cd;
	char *slash;

	out[0] = '\0';
	if (!pl->has_ip)
		return;
	memcpy(cd.addr, pl->ip, 16);
	cd.prefix = 128;
	cidr_format(&cd, out);
	if ((slash = strchr(out, '/')))
		*slash = '\0';
}

/* Pass 2: each account under its lock, decided again on what is on disk.
 * Warnings go out without the lock (a slow mail server never holds the
 * account), and are marked sent under it again. */
static tf_status sweep_one(tf *h, const char *name, struct worklist *t, int dry, int64_t now,
                           struct sweep_counts *c, unsigned *warn_failed)
{
	struct tf_sess ss;
	struct account *snap = NULL;
	int64_t due[ACCT_MAX_LOGINS];
	int ok[ACCT_MAX_LOGINS];
	char ips[ACCT_MAX_LOGINS][64];
	unsigned warn, ndue = 0, sent = 0;
	tf_status ret;
	int changed;

	ret = tf_sess_begin(h, &ss, name);
	if (ret == TF_NOENT) {   /* deleted meanwhile */
		tf_sess_end(&ss);
		return TF_OK;
	}
	if (ret)
		goto out;
	{
		struct sweep_counts before = *c;

		warn = sweep_account(ss.a, &t->p, c);
		changed = memcmp(&before, c, sizeof before) != 0;
	}
	for (unsigned i = 0; i < ss.a->npl; i++) {
		if (!(warn & (1u << i)))
			continue;
		c->warnings++;
		if (dry)
			continue;
		if (!ss.a->email[0]) {
			ss.a->pl[i].warned = 1;   /* nobody to tell: do not try again */
			changed = 1;
			continue;
		}
		login_ip(&ss.a->pl[i], ips[ndue]);
		ss.a->pl[i].claimed = now;   /* another sweep leaves it to this one */
		changed = 1;
		due[ndue++] = ss.a->pl[i].opened;
	}
	if (!dry && changed && (ret = tf_sess_save(&ss)))
		goto out;
	if (dry || !ndue)
		goto out;
	if (!(snap = account_new())) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	memcpy(snap, ss.a, sizeof *snap);
	tf_sess_release(&ss);
	for (unsigned k = 0; k < ndue; k++) {
		char when[32];

		time_iso(due[k], when);
		{
			struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(h) },
			                       { "time", when }, { "ip", ips[k] } };

			if (deliver(h, snap, CH_EMAIL, "warning", v, 4)) {
				(*warn_failed)++;
				ok[k] = 0;
				continue;
			}
		}
		ok[k] = 1;
		sent++;
	}
	/* under the lock again: sent ones are marked, the others free for the
	 * next sweep */
	if ((ret = tf_sess_retake(&ss)))
		goto out;
	for (unsigned k = 0; k < ndue; k++)
		for (unsigned i = 0; i < ss.a->npl; i++)
			if (ss.a->pl[i].opened == due[k] && !ss.a->pl[i].warned) {
				ss.a->pl[i].warned = ok[k];
				ss.a->pl[i].claimed = 0;
				break;
			}
	if ((ret = tf_sess_save(&ss)))
		goto out;
	for (unsigned k = 0; k < sent; k++)
		if ((ret = tf_audit(h, "warning", ss.a->name, "sent", NULL, "incomplete login")))
			goto out;
out:
	account_free(snap);
	tf_sess_end(&ss);
	return ret;
}

struct org_worklist {
	char (*v)[ACCT_NAME_MAX + 1];
	size_t n, cap;
	int64_t now;
};

static int scan_org(void *ctx, const uint8_t *json, size_t len)
{
	struct org_worklist *t = ctx;
	struct org o;

	if (org_from_json((const char *)json, len, &o))
		return -2;   /* named by the walk */
	if (wl_expire(o.wl, &o.nwl, t->now) == 0)
		return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 16;
		void *nv = realloc(t->v, nc * sizeof *t->v);

		if (!nv)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	memcpy(t->v[t->n++], o.name, sizeof o.name);
	return 0;
}

/* Decided recovery tickets past recovery.retention. */
static tf_status sweep_tickets(tf *h, int dry, int64_t now, unsigned *removed, struct tf_skipped *k)
{
	struct ticket *v = NULL;
	size_t n = 0;
	int64_t keep;
	tf_status ret;

	if ((ret = tf_config_duration(h, "recovery.retention", 90 * 86400, &keep)) ||
	    (ret = tickets_scan(h, &v, &n, tf_skipped_record, k)))
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		struct acct_ref ref = { 0 };
		int st;

		if (v[i].status == T_PENDING || now - v[i].decided < keep)
			continue;
		(*removed)++;
		if (dry)
			continue;
		if ((st = store_ref_ns(h->s, NS_TICKETS, v[i].id, &ref)) || (st = store_lock(h->s, &ref)) ||
		    (st = store_delete(h->s, &ref)))
			ret = st == ST_ENOENT ? TF_OK : tf_fail_store(h, st);   /* gone meanwhile: fine */
		store_unlock(h->s, &ref);
	}
	free(v);
	return ret;
}

/* Organisations' whitelist entries past their TTL. */
static tf_status sweep_orgs(tf *h, int dry, int64_t now, struct sweep_counts *c, struct tf_skipped *k)
{
	struct org_worklist t = { .now = now };
	tf_status ret = TF_OK;
	int st;

	if ((st = store_scan_ns(h->s, NS_ORGS, scan_org, &t, tf_skipped_record, k))) {
		free(t.v);
		return tf_fail_store(h, st);
	}
	for (size_t i = 0; i < t.n && !ret; i++) {
		struct acct_ref ref = { 0 };
		struct org o;
		unsigned n;

		if ((st = store_ref_ns(h->s, NS_ORGS, t.v[i], &ref)) || (st = store_lock(h->s, &ref))) {
			ret = tf_fail_store(h, st);
			break;
		}
		ret = org_read(h, t.v[i], &ref, &o);
		if (ret == TF_NOENT)
			ret = TF_OK;
		else if (!ret && (n = wl_expire(o.wl, &o.nwl, now)) > 0) {
			c->whitelist += n;
			if (!dry)
				ret = org_write(h, &ref, &o);
		}
		store_unlock(h->s, &ref);
	}
	free(t.v);
	return ret;
}

static json_object *summary(size_t seen, const struct sweep_counts *c, unsigned tickets, unsigned warn_failed,
                            int dry)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "accounts", json_object_new_int64((int64_t)seen));
	json_object_object_add(o, "codes", json_object_new_int64(c->codes));
	json_object_object_add(o, "whitelist", json_object_new_int64(c->whitelist));
	json_object_object_add(o, "devices", json_object_new_int64(c->devices));
	json_object_object_add(o, "enrolments", json_object_new_int64(c->enrolments));
	json_object_object_add(o, "logins", json_object_new_int64(c->logins));
	json_object_object_add(o, "tickets", json_object_new_int64(tickets));
	json_object_object_add(o, "warnings", json_object_new_int64(c->warnings - warn_failed));
	json_object_object_add(o, "warnings_failed", json_object_new_int64(warn_failed));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry));
	return o;
}

tf_status tf_expire(tf *h, const struct tf_expire_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct worklist t = { .progress = a->progress, .progress_ctx = a->progress_ctx };
	struct sweep_counts c = { 0 };
	struct tf_skipped k = { .h = h };
	unsigned warn_failed = 0, tickets = 0;
	tf_status ret, failed = TF_OK;
	int st;

	t.p.now = now;
	t.p.login_keep = 86400;
	if ((ret = tf_config_duration(h, "enroll.ttl", 86400, &t.p.enroll_ttl)) ||
	    (ret = tf_config_duration(h, "login.warn_after", 900, &t.p.warn_after)))
		goto out;
	t.copy = account_new();
	if (!t.copy) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	st = store_scan(h->s, scan, &t, tf_skipped_record, &k);
	account_free(t.copy);
	t.copy = NULL;
	if (st) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (t.oom) {
		ret = tf_fail(h, TF_STORE, NULL, "out of memory");
		goto out;
	}
	/* one account that fails (unreadable, busy) is named and skipped: the
	 * sweep goes on for everyone else and answers its status at the end */
	for (size_t i = 0; i < t.n; i++) {
		tf_status r = sweep_one(h, t.names[i], &t, a->dry_run, now, &c, &warn_failed);

		if (r && !failed)
			failed = r;
		if ((i % 100 == 0 || i + 1 == t.n) && t.progress)
			t.progress(t.progress_ctx, i + 1, t.n);
	}
	if ((ret = sweep_orgs(h, a->dry_run, now, &c, &k)) ||
	    (ret = sweep_tickets(h, a->dry_run, now, &tickets, &k)))
		goto out;
	if (t.progress)
		t.progress(t.progress_ctx, 0, 0);
	/* the sweep is done: its answer is the sweep's (a caller that could
	 * not take the summary finds out from its own output) */
	TF_IGNORE(tf_emit(h, out, summary(t.seen, &c, tickets, warn_failed, a->dry_run)));
	ret = failed;
	if (warn_failed && !ret) {   /* each failed delivery was said as it happened */
		h->word = "delivery";
		snprintf(h->msg, sizeof h->msg, "%u warning%s not delivered: tried again next time",
		         warn_failed, warn_failed == 1 ? "" : "s");
		ret = TF_DELIVERY;
	}
	ret = tf_skipped_end(&k, ret);
out:
	if (t.progress)
		t.progress(t.progress_ctx, 0, 0);
	free(t.names);
	return ret;
}
