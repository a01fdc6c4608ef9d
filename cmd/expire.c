/* SPDX-License-Identifier: ISC */
/* twofactl expire: the cron job */
#include "cmd/cmd.h"
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/policy.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct expire_args {
	int dry_run;
};

enum { OPT_DRY = 0xb00 };

static const struct argp_option options[] = {
	{ "dry-run", OPT_DRY, NULL, 0, "Count what would go, change and send nothing", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct expire_args *a = state->input;

	switch (key) {
	case OPT_DRY:
		a->dry_run = 1;
		break;
	case ARGP_KEY_ARG:
		USAGE(state, "unexpected argument '%s'", safe(arg));
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, NULL,
	"One sweep over the store, for cron or a systemd timer: remove expired "
	"email/SMS codes, whitelist entries past their TTL, trusted devices past "
	"their days, enrolments never confirmed (enroll.ttl), and email a warning "
	"about each login that passed the password but never completed the second "
	"step (login.warn_after, 15 minutes), once. Safe while verifications run and "
	"when two sweeps overlap: each account is changed under its lock.\v"
	"Exit status: 0 done, 5 store error, 6 some warnings could not be delivered "
	"(they are tried again next time), 7 store busy.", common_children, NULL, NULL
};

struct worklist {
	struct account *copy;   /* one scratch record for the whole scan */
	char (*names)[ACCT_NAME_MAX + 1];
	size_t n, cap, seen;
	struct sweep_params p;
	int oom;
	int progress;
};

static void progress(const char *what, size_t done, size_t total, int on)
{
	if (!on)
		return;
	if (total)
		fprintf(stderr, "\rexpire: %s %zu/%zu", what, done, total);
	else
		fprintf(stderr, "\rexpire: %s %zu", what, done);
}

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
	if (++t->seen % 1000 == 0)
		progress("scanned", t->seen, 0, t->progress);
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

/* Pass 2: each account under its lock, decided again on what is on disk.
 * Warnings go out without the lock (a slow mail server never holds the
 * account), and are marked sent under it again. */
static int sweep_one(const char *name, struct worklist *t, int dry, struct sweep_counts *c,
                     unsigned *warn_failed)
{
	struct tf_sess ss;
	struct account *snap = NULL;
	int64_t due[ACCT_MAX_LOGINS];
	int ok[ACCT_MAX_LOGINS];
	char ips[ACCT_MAX_LOGINS][64];
	unsigned warn, ndue = 0, sent = 0;
	int ret, changed;

	ret = sess_begin(&ss, name);
	if (ret == EXIT_NOENT) {   /* deleted meanwhile */
		sess_end(&ss);
		return EXIT_OK;
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
		ips[ndue][0] = '\0';   /* unknown: the template leaves its line out */
		if (ss.a->pl[i].has_ip) {
			struct cidr cd;
			char *slash;

			memcpy(cd.addr, ss.a->pl[i].ip, 16);
			cd.prefix = 128;
			cidr_format(&cd, ips[ndue]);
			if ((slash = strchr(ips[ndue], '/')))
				*slash = '\0';
		}
		ss.a->pl[i].claimed = g.now;   /* another sweep leaves it to this one */
		changed = 1;
		due[ndue++] = ss.a->pl[i].opened;
	}
	if (!dry && changed && (ret = tf_sess_save(&ss)))
		goto out;
	if (dry || !ndue)
		goto out;
	if (!(snap = account_new())) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	memcpy(snap, ss.a, sizeof *snap);
	tf_sess_release(&ss);
	for (unsigned k = 0; k < ndue; k++) {
		char when[32];

		time_iso(due[k], when);
		{
			struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(g.h) },
			                       { "time", when }, { "ip", ips[k] } };

			if (deliver(g.h, snap, CH_EMAIL, "warning", v, 4)) {
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
		if ((ret = tf_audit(g.h, "warning", ss.a->name, "sent", NULL, "incomplete login")))
			goto out;
out:
	account_free(snap);
	sess_end(&ss);
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
static int sweep_tickets(struct store *s, int dry, unsigned *removed, struct skipped *k)
{
	struct ticket *v = NULL;
	size_t n = 0;
	int64_t keep;
	int ret;

	if ((ret = tf_config_duration(g.h, "recovery.retention", 90 * 86400, &keep)) ||
	    (ret = tickets_scan(g.h, &v, &n, k ? skipped_record : NULL, k)))
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		struct acct_ref ref = { 0 };
		int st;

		if (v[i].status == T_PENDING || g.now - v[i].decided < keep)
			continue;
		(*removed)++;
		if (dry)
			continue;
		if ((st = store_ref_ns(s, NS_TICKETS, v[i].id, &ref)) || (st = store_lock(s, &ref)) ||
		    (st = store_delete(s, &ref)))
			ret = st == ST_ENOENT ? EXIT_OK : fail_store(s, st);   /* gone meanwhile: fine */
		store_unlock(s, &ref);
	}
	free(v);
	return ret;
}

/* Organisations' whitelist entries past their TTL. */
static int sweep_orgs(struct store *s, int dry, struct sweep_counts *c, struct skipped *k)
{
	struct org_worklist t = { .now = g.now };
	int ret = EXIT_OK, st;

	if ((st = store_scan_ns(s, NS_ORGS, scan_org, &t, skipped_record, k))) {
		free(t.v);
		return fail_store(s, st);
	}
	for (size_t i = 0; i < t.n && !ret; i++) {
		struct acct_ref ref = { 0 };
		struct org o;
		unsigned n;

		if ((st = store_ref_ns(s, NS_ORGS, t.v[i], &ref)) || (st = store_lock(s, &ref))) {
			ret = fail_store(s, st);
			break;
		}
		ret = org_read(g.h, t.v[i], &ref, &o);
		if (ret == EXIT_NOENT)
			ret = EXIT_OK;
		else if (!ret && (n = wl_expire(o.wl, &o.nwl, g.now)) > 0) {
			c->whitelist += n;
			if (!dry)
				ret = org_write(g.h, &ref, &o);
		}
		store_unlock(s, &ref);
	}
	free(t.v);
	return ret;
}

int cmd_expire(int argc, char **argv)
{
	struct expire_args a = { 0 };
	struct worklist t = { 0 };
	struct sweep_counts c = { 0 };
	struct skipped k = { 0 };
	struct store *s = NULL;
	unsigned warn_failed = 0, tickets = 0;
	int ret, st, failed = EXIT_OK, done = 0;

	cmd_parse(&argp, argc, argv, &a);
	if ((ret = open_store(&s)))
		return ret;
	t.progress = show_progress();
	t.p.now = g.now;
	t.p.login_keep = 86400;
	if ((ret = tf_config_duration(g.h, "enroll.ttl", 86400, &t.p.enroll_ttl)) ||
	    (ret = tf_config_duration(g.h, "login.warn_after", 900, &t.p.warn_after)))
		goto out;
	t.copy = account_new();
	if (!t.copy) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	st = store_scan(s, scan, &t, skipped_record, &k);
	account_free(t.copy);
	t.copy = NULL;
	if (st) {
		ret = fail_store(s, st);
		goto out;
	}
	if (t.oom) {
		ret = fail(EXIT_STORE, "out of memory");
		goto out;
	}
	close_store(s);
	s = NULL;
	/* one account that fails (unreadable, busy) is named and skipped: the
	 * sweep goes on for everyone else and answers its status at the end */
	for (size_t i = 0; i < t.n; i++) {
		int r = sweep_one(t.names[i], &t, a.dry_run, &c, &warn_failed);

		if (r && !failed)
			failed = r;
		if (i % 100 == 0 || i + 1 == t.n)
			progress("swept", i + 1, t.n, t.progress);
	}
	if ((ret = open_store(&s)) || (ret = sweep_orgs(s, a.dry_run, &c, &k)) ||
	    (ret = sweep_tickets(s, a.dry_run, &tickets, &k)))
		goto out;
	ret = failed;
	done = 1;
out:
	if (t.progress)
		fprintf(stderr, "\r\033[K");
	if (done) {
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "accounts", json_object_new_int64((int64_t)t.seen));
			json_object_object_add(o, "codes", json_object_new_int64(c.codes));
			json_object_object_add(o, "whitelist", json_object_new_int64(c.whitelist));
			json_object_object_add(o, "devices", json_object_new_int64(c.devices));
			json_object_object_add(o, "enrolments", json_object_new_int64(c.enrolments));
			json_object_object_add(o, "logins", json_object_new_int64(c.logins));
			json_object_object_add(o, "tickets", json_object_new_int64(tickets));
			json_object_object_add(o, "warnings", json_object_new_int64(c.warnings - warn_failed));
			json_object_object_add(o, "warnings_failed", json_object_new_int64(warn_failed));
			json_object_object_add(o, "dry_run", json_object_new_boolean(a.dry_run));
			emit_json(o);
		} else if (!g.quiet) {
			printf("%s%zu accounts: %u expired codes, %u whitelist entries, %u devices, "
			       "%u unconfirmed enrolments, %u old logins, %u decided tickets removed; %u warnings sent",
			       a.dry_run ? "dry run: " : "", t.seen, c.codes, c.whitelist, c.devices,
			       c.enrolments, c.logins, tickets, c.warnings - warn_failed);
			if (warn_failed)
				printf(", %u failed", warn_failed);
			printf("\n");
		}
		if (warn_failed && !ret)
			ret = EXIT_DELIVERY;
		ret = skipped_end(&k, ret);
	}
	free(t.names);
	close_store(s);
	return ret;
}
