/* SPDX-License-Identifier: ISC */
#include "core/message.h"
#include "core/buf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *var_value(const struct msg_var *vars, size_t nvars, const char *key, size_t kl)
{
	for (size_t i = 0; i < nvars; i++)
		if (strlen(vars[i].key) == kl && !memcmp(key, vars[i].key, kl))
			return vars[i].value ? vars[i].value : "";
	return NULL;
}

/* One line (or the rest of the template): placeholders replaced, others
 * left as they are. */
static void render_span(struct buf *b, const char *p, const char *end, const struct msg_var *vars,
                        size_t nvars)
{
	while (p < end) {
		const char *open = memchr(p, '{', (size_t)(end - p)), *close, *v = NULL;

		if (!open) {
			buf_put(b, p, (size_t)(end - p));
			return;
		}
		buf_put(b, p, (size_t)(open - p));
		close = memchr(open, '}', (size_t)(end - open));
		if (close)
			v = var_value(vars, nvars, open + 1, (size_t)(close - open - 1));
		if (v) {
			buf_str(b, v);
			p = close + 1;
		} else {
			buf_put(b, open, 1);
			p = open + 1;
		}
	}
}

int msg_render(const char *tpl, const struct msg_var *vars, size_t nvars, char **out)
{
	struct buf b = { 0 };
	const char *p = tpl;

	while (*p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl + 1 : p + strlen(p);

		if (p[0] == '{' && p[1] == '?') {   /* a line kept only when its key has a value */
			const char *close = memchr(p, '}', (size_t)(end - p)), *v;

			if (close) {
				v = var_value(vars, nvars, p + 2, (size_t)(close - p - 2));
				if (!v || !*v) {
					p = end;
					continue;
				}
				p = close + 1;
			}
		}
		render_span(&b, p, end, vars, nvars);
		p = end;
	}
	if (!b.p)
		buf_str(&b, "");
	return buf_done(&b, out, NULL);
}

int msg_split(char *text, const char **subject, const char **body)
{
	char *nl;

	if (strncmp(text, "Subject:", 8))
		return CORE_EFORMAT;
	nl = strchr(text, '\n');
	if (!nl)
		return CORE_EFORMAT;
	*nl = '\0';
	if (nl > text && nl[-1] == '\r')
		nl[-1] = '\0';
	*subject = text + 8;
	while (**subject == ' ')
		(*subject)++;
	*body = nl + 1;
	while (**body == '\n' || **body == '\r')
		(*body)++;
	for (const char *s = *subject; *s; s++)
		if ((unsigned char)*s < 0x20)
			return CORE_EFORMAT;
	return CORE_OK;
}

static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* RFC 2047 encoded words of at most 45 bytes of UTF-8 each, never split
 * inside a character. */
static void put_subject(struct buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	if (ascii(s)) {
		buf_str(b, s);
		return;
	}
	while (i < n) {
		size_t take = n - i > 45 ? 45 : n - i;
		char enc[128];

		while (i + take < n && take > 0 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + i, take,
		                  sodium_base64_VARIANT_ORIGINAL);
		if (i)
			buf_str(b, "\r\n ");
		buf_str(b, "=?UTF-8?B?");
		buf_str(b, enc);
		buf_str(b, "?=");
		i += take;
	}
}

int msg_email(const char *from, const char *to, const char *subject, const char *body,
              int64_t date, const char *msgid_domain, char **out, size_t *outlen)
{
	struct buf b = { 0 };
	char line[256], rnd[17];
	uint8_t r[8];
	struct tm tm;
	time_t t = (time_t)date;

	if (strpbrk(from, "\r\n") || strpbrk(to, "\r\n"))
		return CORE_EINVAL;
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(rnd, sizeof rnd, r, sizeof r);
	gmtime_r(&t, &tm);
	strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S +0000\r\n", &tm);
	buf_str(&b, line);
	snprintf(line, sizeof line, "From: %s\r\nTo: %s\r\n", from, to);
	buf_str(&b, line);
	buf_str(&b, "Subject: ");
	put_subject(&b, subject);
	buf_str(&b, "\r\n");
	snprintf(line, sizeof line, "Message-ID: <%lld.%s@%s>\r\n", (long long)date, rnd, msgid_domain);
	buf_str(&b, line);
	buf_str(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && p[n - 1] == '\r')
			n--;
		buf_put(&b, p, n);
		buf_str(&b, "\r\n");
		if (!nl)
			break;
		p = nl + 1;
	}
	return buf_done(&b, out, outlen);
}
