/* SPDX-License-Identifier: ISC */
/* lib/skipped.c — records a scan could not read: named, counted, and
 * answered at the end of the sweep that went on without them. */
#include "lib/shared.h"

void tf_skipped_record(void *ctx, const char *why)
{
	struct tf_skipped *k = ctx;

	k->n++;
	tf_fail(k->h, TF_STORE, NULL, "%s: skipped", why);
}

tf_status tf_skipped_end(const struct tf_skipped *k, tf_status ret)
{
	if (!k->n || ret)
		return ret;
	return tf_fail(k->h, TF_STORE, NULL, "%u unreadable record%s skipped: see twofactl fsck",
	               k->n, k->n == 1 ? "" : "s");
}
