#include "core/message.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
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
		if (b->p) {
			memcpy(np, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static int sb_done(struct sbuf *b, char **out, size_t *outlen)
{
	if (b->err || !b->p) {
		if (b->p) {
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		*out = NULL;
		return CORE_ENOMEM;
	}
	*out = b->p;
	if (outlen)
		*outlen = b->len;
	return CORE_OK;
}

int msg_render(const char *tpl, const struct msg_var *vars, size_t nvars, char **out)
{
	struct sbuf b = { 0 };
	const char *p = tpl;

	while (*p) {
		const char *open = strchr(p, '{'), *close;
		int done = 0;

		if (!open) {
			sb_str(&b, p);
			break;
		}
		sb_put(&b, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (close) {
			for (size_t i = 0; i < nvars; i++) {
				size_t kl = strlen(vars[i].key);

				if ((size_t)(close - open - 1) == kl && !memcmp(open + 1, vars[i].key, kl)) {
					sb_str(&b, vars[i].value ? vars[i].value : "");
					p = close + 1;
					done = 1;
					break;
				}
			}
		}
		if (!done) {
			sb_put(&b, open, 1);
			p = open + 1;
		}
	}
	if (!b.p)
		sb_str(&b, "");
	return sb_done(&b, out, NULL);
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
static void put_subject(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	if (ascii(s)) {
		sb_str(b, s);
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
			sb_str(b, "\r\n ");
		sb_str(b, "=?UTF-8?B?");
		sb_str(b, enc);
		sb_str(b, "?=");
		i += take;
	}
}

int msg_email(const char *from, const char *to, const char *subject, const char *body,
              int64_t date, const char *msgid_domain, char **out, size_t *outlen)
{
	struct sbuf b = { 0 };
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
	sb_str(&b, line);
	snprintf(line, sizeof line, "From: %s\r\nTo: %s\r\n", from, to);
	sb_str(&b, line);
	sb_str(&b, "Subject: ");
	put_subject(&b, subject);
	sb_str(&b, "\r\n");
	snprintf(line, sizeof line, "Message-ID: <%lld.%s@%s>\r\n", (long long)date, rnd, msgid_domain);
	sb_str(&b, line);
	sb_str(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && p[n - 1] == '\r')
			n--;
		sb_put(&b, p, n);
		sb_str(&b, "\r\n");
		if (!nl)
			break;
		p = nl + 1;
	}
	return sb_done(&b, out, outlen);
}
