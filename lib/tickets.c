/* SPDX-License-Identifier: ISC */
/* lib/tickets.c — recovery tickets read back, oldest first. */
#include "lib/shared.h"

#include <stdlib.h>
#include <string.h>

struct tlist {
	struct ticket *v;
	size_t n, cap;
};

static int collect(void *ctx, const uint8_t *json, size_t len)
{
	struct tlist *l = ctx;

	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 16;
		struct ticket *nv = realloc(l->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if (ticket_from_json((const char *)json, len, &l->v[l->n]))
		return -2;   /* named by the walk */
	l->n++;
	return 0;
}

static int by_created(const void *x, const void *y)
{
	const struct ticket *a = x, *b = y;

	return a->created < b->created ? -1 : a->created > b->created ? 1 : strcmp(a->id, b->id);
}

int tickets_load(tf *h, struct ticket **out, size_t *n)
{
	return tickets_scan(h, out, n, NULL, NULL);
}

int tickets_scan(tf *h, struct ticket **out, size_t *n, store_bad_fn skip, void *skip_ctx)
{
	struct tlist l = { 0 };
	int st = store_scan_ns(h->s, NS_TICKETS, collect, &l, skip, skip_ctx);

	if (st) {
		free(l.v);
		return tf_fail_store(h, st);
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, by_created);
	*out = l.v;
	*n = l.n;
	return TF_OK;
}

