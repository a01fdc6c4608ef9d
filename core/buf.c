/* SPDX-License-Identifier: ISC */
#include "core/buf.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void buf_put(struct buf *b, const void *data, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 512;
		char *np;

		while (b->len + n + 1 > nc)
			nc *= 2;
		np = malloc(nc);
		if (!np) {
			b->err = 1;
			return;
		}
		if (b->p) {   /* no realloc: the old copy is wiped, not left on the heap */
			memcpy(np, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_wipe(struct buf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

int buf_done(struct buf *b, char **out, size_t *outlen)
{
	if (b->err || !b->p) {
		buf_wipe(b);
		*out = NULL;
		return CORE_ENOMEM;
	}
	*out = b->p;
	if (outlen)
		*outlen = b->len;
	return CORE_OK;
}
