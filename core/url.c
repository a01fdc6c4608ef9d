/* SPDX-License-Identifier: ISC */
#include "core/url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The authority of scheme://authority/path: its start and length (0 when
 * the URL has none, as spool:/DIR). */
static size_t authority(const char *url, const char **start)
{
	const char *p = strstr(url, "://");

	if (!p) {
		*start = url;
		return 0;
	}
	*start = p + 3;
	return strcspn(*start, "/?#");
}

int url_has_userinfo(const char *url)
{
	const char *a;
	size_t n = authority(url, &a);

	return n && memchr(a, '@', n) != NULL;
}

/* The host (and port) without the credentials. */
static size_t hostport(const char *url, const char **start)
{
	const char *a, *at = NULL;
	size_t n = authority(url, &a);

	for (size_t i = 0; i < n; i++)
		if (a[i] == '@')
			at = a + i;
	*start = at ? at + 1 : a;
	return at ? n - (size_t)(at + 1 - a) : n;
}

void url_redact(const char *url, char *out, size_t cap)
{
	const char *scheme_end = strstr(url, "://"), *h, *path;
	size_t hn, pn;

	if (!cap)
		return;
	if (!scheme_end) {   /* spool:/DIR and the like: no credentials to hide */
		snprintf(out, cap, "%.*s", (int)strcspn(url, "?#"), url);
		return;
	}
	hn = hostport(url, &h);
	path = h + hn;
	pn = strcspn(path, "?#");
	snprintf(out, cap, "%.*s://%.*s%.*s", (int)(scheme_end - url), url, (int)hn, h, (int)pn, path);
}

int url_host_loopback(const char *url)
{
	const char *h;
	size_t n = hostport(url, &h), hl;
	char host[256];

	if (!n)
		return 0;
	if (h[0] == '[') {
		const char *e = memchr(h, ']', n);

		if (!e)
			return 0;
		hl = (size_t)(e - h - 1);
		h++;
	} else {
		const char *c = memchr(h, ':', n);

		hl = c ? (size_t)(c - h) : n;
	}
	if (hl == 0 || hl >= sizeof host)
		return 0;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1"))
		return 1;
	if (!strncmp(host, "127.", 4)) {
		unsigned a, b, c, d;
		char tail;

		return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
		       c < 256 && d < 256;
	}
	return 0;
}
