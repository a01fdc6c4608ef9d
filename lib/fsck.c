/* SPDX-License-Identifier: ISC */
/* lib/fsck.c — check (and repair) every file of the store. */
#include "lib/shared.h"

#include <stdio.h>

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
