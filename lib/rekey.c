/* SPDX-License-Identifier: ISC */
/* lib/rekey.c — a new master key; every file sealed again under it. */
#include "lib/shared.h"

tf_status tf_rekey(tf *h, const struct tf_rekey_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	json_object *o;
	size_t n = 0;
	tf_status ret;
	int st = store_rekey(h->s, a ? a->progress : NULL, a ? a->progress_ctx : NULL, &n);

	if (a && a->progress)   /* over, whatever the outcome */
		a->progress(a->progress_ctx, 0, 0);
	if (st)
		return tf_fail_store(h, st);
	if ((ret = tf_audit(h, "rekey", NULL, "ok", NULL, NULL)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "files", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "rekeyed", json_object_new_boolean(1));
	return tf_emit(h, out, o);
}
