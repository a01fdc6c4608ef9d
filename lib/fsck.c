/* SPDX-License-Identifier: ISC */
/* lib/fsck.c — check (and repair) every file of the store. */
#include "lib/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct report_ctx {
	tf *h;
	const struct tf_sink *out;
};

static void report(void *ctx, const char *path, const char *problem, const char *action)
{
	struct report_ctx *r = ctx;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "problem", json_object_new_string(problem));
	json_object_object_add(o, "action", action ? json_object_new_string(action) : NULL);
	/* a caller that cannot take a finding does not stop a repair halfway;
	 * its output fails at the end */
	TF_IGNORE(tf_emit(r->h, r->out, o));
}

/* Renames a crash cut short: an account whose record says "moved to NEW"
 * (rename's commit point) while its file is still there. */
struct moved {
	char (*v)[2][ACCT_NAME_MAX + 1];
	size_t n, cap;
	int oom;
};

static int find_moved(void *ctx, const struct account *a)
{
	struct moved *m = ctx;

	if (!a->moved_to[0])
		return 0;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 8;
		char (*nv)[2][ACCT_NAME_MAX + 1] = realloc(m->v, nc * sizeof *nv);

		if (!nv) {
			m->oom = 1;
			return 1;
		}
		m->v = nv;
		m->cap = nc;
	}
	memcpy(m->v[m->n][0], a->name, sizeof m->v[m->n][0]);
	memcpy(m->v[m->n][1], a->moved_to, sizeof m->v[m->n][1]);
	m->n++;
	return 0;
}

/* Unreadable records are store_fsck's findings already: skipped here. */
static void moved_skip(void *ctx, const char *why)
{
	(void)ctx;
	(void)why;
}

/* Each rename cut short, reported; with repair finished as the next
 * command on the old name would (rename_resume, under both names' locks). */
static tf_status fsck_renames(tf *h, int repair, struct report_ctx *r, unsigned *problems, unsigned *fixed)
{
	struct moved m = { 0 };
	int st;

	if ((st = store_scan(h->s, find_moved, &m, moved_skip, NULL))) {
		free(m.v);
		return tf_fail_store(h, st);
	}
	if (m.oom) {
		free(m.v);
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	}
	for (size_t i = 0; i < m.n; i++) {
		char path[ACCT_NAME_MAX + 16], problem[2 * ACCT_NAME_MAX + 40];

		snprintf(path, sizeof path, "account '%s'", m.v[i][0]);
		snprintf(problem, sizeof problem, "rename of '%s' to '%s' cut short", m.v[i][0], m.v[i][1]);
		(*problems)++;
		if (!repair) {
			report(r, path, problem, NULL);
		} else if (rename_resume(h, m.v[i][0]) == TF_OK) {
			(*fixed)++;
			report(r, path, problem, "finished");
		} else {
			report(r, path, problem, tf_error_message(h));
		}
	}
	free(m.v);
	return TF_OK;
}

tf_status tf_fsck(tf *h, const struct tf_fsck_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct report_ctx r = { h, out };
	unsigned problems = 0, fixed = 0;
	json_object *o;
	tf_status ret;
	int st;

	if (store_lock_probe(h->s) > 0 && !a->repair && a->notice)
		a->notice(a->notice_ctx, "store.lock: a lock is held now by a running twofactl (not an error)");
	if ((st = store_fsck(h->s, a->repair, now, report, &r, &problems, &fixed)))
		return tf_fail_store(h, st);
	if ((ret = fsck_renames(h, a->repair, &r, &problems, &fixed)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "problems", json_object_new_int64(problems));
	json_object_object_add(o, "repaired", json_object_new_int64(fixed));
	json_object_object_add(o, "clean", json_object_new_boolean(problems == fixed));
	if ((ret = tf_emit(h, out, o)))
		return ret;
	if (problems <= fixed)
		return TF_OK;
	/* the findings said it: the handle keeps a message, the front end is
	 * not told again */
	h->word = "store";
	snprintf(h->msg, sizeof h->msg, "%u problem%s not repaired", problems - fixed,
	         problems - fixed == 1 ? "" : "s");
	return TF_STORE;
}
