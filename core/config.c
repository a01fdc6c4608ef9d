/* SPDX-License-Identifier: ISC */
#include "core/config.h"

#include <string.h>

static char *trim(char *p)
{
	char *e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return p;
}

int config_parse(char *text, size_t len, config_fn fn, void *ctx, unsigned *bad_line)
{
	char *p = text, *end = text + len;
	unsigned lineno = 0;

	*bad_line = 0;
	if (memchr(text, 0, len)) {
		*bad_line = 1;
		return CORE_EFORMAT;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *line, *eq, *k;
		int r;

		if (nl)
			*nl = '\0';
		else
			end[0] = '\0';   /* text has room for its NUL */
		lineno++;
		line = trim(p);
		p = nl ? nl + 1 : end;
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			*bad_line = lineno;
			return CORE_EFORMAT;
		}
		*eq = '\0';
		k = trim(line);
		if (!*k) {
			*bad_line = lineno;
			return CORE_EFORMAT;
		}
		if ((r = fn(ctx, k, trim(eq + 1))))
			return r;
	}
	return CORE_OK;
}
