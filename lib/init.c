/* SPDX-License-Identifier: ISC */
/* lib/init.c — init: a new store, its creation the first line of its audit log. */
#include "lib/internal.h"

tf_status tf_init(tf **h, const struct tf_options *o, const struct tf_init_args *a,
                  const struct tf_sink *out)
{
	json_object *j;
	tf_status ret;

	if ((ret = tf_create(h, o, a ? a->key_file : NULL, a ? a->pass_file : NULL)))
		return ret;
	/* said before the audit line, as the store exists from here on */
	j = json_object_new_object();
	json_object_object_add(j, "dir", json_object_new_string(o->dir));
	json_object_object_add(j, "key_file", a && a->key_file ? json_object_new_string(a->key_file) : NULL);
	if ((ret = tf_emit(*h, out, j)))
		return ret;
	return tf_audit(*h, "init", NULL, "ok", NULL, NULL);
}
