/* SPDX-License-Identifier: ISC */
/* A growing byte buffer that wipes what it leaves behind (it may hold codes
 * or keys): messages, QR renderings. Always NUL-terminated. */
#ifndef TWOFACTL_BUF_H
#define TWOFACTL_BUF_H

#include "core/core.h"

struct buf {
	char *p;
	size_t len, cap;
	int err;            /* an allocation failed: later puts do nothing */
};

void buf_put(struct buf *b, const void *data, size_t n);
void buf_str(struct buf *b, const char *s);
/* Hand the contents over (*out, *outlen), or wipe and free them on error. */
int buf_done(struct buf *b, char **out, size_t *outlen) WUR;
void buf_wipe(struct buf *b);

#endif
