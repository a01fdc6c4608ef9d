/* SPDX-License-Identifier: ISC */
/* lib/ internals: the handle and the helpers every use case shares. Only
 * lib/ includes this; front ends see include/twofactl.h alone. */
#ifndef TWOFACTL_LIB_INTERNAL_H
#define TWOFACTL_LIB_INTERNAL_H

#include "include/twofactl.h"
#include "store/store.h"

struct tf {
	struct store *s;
	tf_clock_fn clock;
	void *clock_ctx;
	tf_role role;
	uint32_t caller_uid;
	const char *word;         /* the last failure's stable word, or NULL */
	char msg[512];            /* and its message */
};

/* Record a failure on the handle and return st; word NULL: the status's
 * own word. */
tf_status tf_fail(tf *h, tf_status st, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A store error (enum st_err) as a status, with the store's message. */
tf_status tf_fail_store(tf *h, int st);
/* Clear the last failure (every use case starts with this). */
void tf_clear(tf *h);

#endif
