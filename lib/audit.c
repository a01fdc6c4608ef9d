/* SPDX-License-Identifier: ISC */
/* lib/audit.c — the audit log read back, and its seals and chain checked. */
#include "lib/shared.h"

#include <string.h>

struct show {
	tf *h;
	const struct tf_audit_show_args *a;
	const struct tf_sink *out;
	tf_status ret;
};

static int show_line(void *ctx, uint64_t seq, const char *event)
{
	struct show *w = ctx;
	const struct tf_audit_show_args *a = w->a;
	json_object *o = json_tokener_parse(event), *v;
	int64_t t = 0;

	if (!o)
		return 0;
	if (json_object_object_get_ex(o, "t", &v))
		t = json_object_get_int64(v);
	if ((a->since && t < a->since) || (a->until && t > a->until) ||
	    (a->user && (!json_object_object_get_ex(o, "user", &v) ||
	                 strcmp(json_object_get_string(v), a->user)))) {
		json_object_put(o);
		return 0;
	}
	json_object_object_add(o, "seq", json_object_new_uint64(seq));
	if ((w->ret = tf_emit(w->h, w->out, o)))
		return 1;   /* the caller takes no more */
	return 0;
}

tf_status tf_audit_show(tf *h, const struct tf_audit_show_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct show w = { .h = h, .a = a, .out = out };
	uint64_t bad = 0;
	int st = store_audit_walk(h->s, show_line, &w, &bad);

	if (w.ret)
		return w.ret;
	return st ? tf_fail_store(h, st) : TF_OK;
}

static int counter(void *ctx, uint64_t seq, const char *event)
{
	(void)event;
	*(uint64_t *)ctx = seq;
	return 0;
}

tf_status tf_audit_verify(tf *h, const struct tf_sink *out)
{
	TF_ENTRY_H(h);
	uint64_t n = 0, bad = 0;
	struct store_audit_span span;
	int st = store_audit_span(h->s, counter, &n, &bad, &span);
	json_object *o = json_object_new_object();
	tf_status ret;

	json_object_object_add(o, "intact", json_object_new_boolean(st == ST_OK));
	/* lines checked: the chain may start past 1 when older files were archived away */
	json_object_object_add(o, "lines", json_object_new_uint64(span.last_seq ? span.last_seq - span.first_seq + 1 : 0));
	json_object_object_add(o, "first_seq", json_object_new_uint64(span.first_seq));
	json_object_object_add(o, "last_seq", json_object_new_uint64(span.last_seq));
	json_object_object_add(o, "files", json_object_new_uint64(span.files));
	json_object_object_add(o, "file", st && span.file[0] ? json_object_new_string(span.file) : NULL);
	json_object_object_add(o, "bad_line", bad ? json_object_new_uint64(bad) : NULL);
	/* not "error": that key is the error object's, which follows */
	json_object_object_add(o, "problem", st ? json_object_new_string(store_error(h->s)) : NULL);
	ret = tf_emit(h, out, o);
	if (st)
		return tf_fail_store(h, st);
	return ret;
}

tf_status tf_audit_rotate(tf *h, const struct tf_audit_rotate_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct store_rotation r;
	json_object *o;
	int st;

	if ((st = tf_require_admin(h, "audit rotate")))
		return st;
	if ((st = store_audit_rotate(h->s, tf_now(h), a->min_size, a->keep, &r)))
		return tf_fail_store(h, st);
	o = json_object_new_object();
	json_object_object_add(o, "rotated", json_object_new_boolean(r.rotated));
	json_object_object_add(o, "closed", r.rotated ? json_object_new_string(r.closed) : NULL);
	json_object_object_add(o, "last_seq", r.rotated ? json_object_new_uint64(r.last_seq) : NULL);
	json_object_object_add(o, "removed", json_object_new_uint64(r.removed));
	json_object_object_add(o, "size", json_object_new_uint64(r.size));
	json_object_object_add(o, "min_size", json_object_new_uint64(a->min_size));
	return tf_emit(h, out, o);
}
