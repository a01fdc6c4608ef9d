#include "core/transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
	struct reader *r = ud;
	size_t take = size * n < r->left ? size * n : r->left;

	memcpy(buf, r->p, take);
	r->p += take;
	r->left -= take;
	return take;
}

struct sink {
	char buf[512];
	size_t len;
};

static size_t write_cb(char *data, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t take = size * n;

	if (take > sizeof s->buf - 1 - s->len)
		take = sizeof s->buf - 1 - s->len;
	memcpy(s->buf + s->len, data, take);
	s->len += take;
	s->buf[s->len] = '\0';
	return size * n;
}

/* One printable line of what a server said. */
static void one_line(char *dst, size_t cap, const char *src)
{
	size_t j = 0;

	for (size_t i = 0; src[i] && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '\n' || c == '\r') {
			if (j && dst[j - 1] != ' ')
				dst[j++] = ' ';
			continue;
		}
		dst[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	while (j && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

int tp_mail(const struct tp_smtp *c, const char *rcpt, const char *msg, size_t len,
            char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *to = NULL;
	struct reader r = { msg, len };
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	int ret = CORE_ECRYPTO;

	if (!h) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return CORE_ENOMEM;
	}
	to = curl_slist_append(NULL, rcpt);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, c->from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &r);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_USE_SSL, c->tls == TP_TLS_REQUIRE ? (long)CURLUSESSL_ALL :
	                 c->tls == TP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_TRY);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		ret = CORE_OK;
	} else {
		char line[300];

		one_line(line, sizeof line, ebuf[0] ? ebuf : curl_easy_strerror(rc));
		snprintf(err, errlen, "%s", line);
	}
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	return ret;
}

int tp_http_send(const struct tp_http *c, const char *body, char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct sink s = { .len = 0 };
	char ebuf[CURL_ERROR_SIZE] = "", *url = NULL, ctype[128];
	long code = 0;
	CURLcode rc;
	int ret = CORE_ECRYPTO;

	if (!h) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return CORE_ENOMEM;
	}
	s.buf[0] = '\0';
	if (!strcmp(c->method, "GET")) {
		size_t n = strlen(c->url) + strlen(body) + 2;

		url = malloc(n);
		if (!url) {
			curl_easy_cleanup(h);
			return CORE_ENOMEM;
		}
		snprintf(url, n, "%s%s%s", c->url, strchr(c->url, '?') ? "&" : "?", body);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(c->method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
		snprintf(ctype, sizeof ctype, "Content-Type: %s",
		         c->content_type ? c->content_type : "application/x-www-form-urlencoded");
		hdr = curl_slist_append(hdr, ctype);
	}
	if (c->header)
		hdr = curl_slist_append(hdr, c->header);
	curl_easy_setopt(h, CURLOPT_URL, url ? url : c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		char line[300];

		one_line(line, sizeof line, ebuf[0] ? ebuf : curl_easy_strerror(rc));
		snprintf(err, errlen, "%s", line);
	} else if (code < 200 || code > 299) {
		char line[300];

		one_line(line, sizeof line, s.buf);
		snprintf(err, errlen, "gateway answered %ld%s%s", code, line[0] ? ": " : "", line);
	} else {
		ret = CORE_OK;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (url) {
		sodium_memzero(url, strlen(url));
		free(url);
	}
	return ret;
}

int tp_spool(const char *dir, const char *suffix, const char *data, size_t len,
             char *err, size_t errlen)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1, ret = CORE_ECRYPTO;
	char tmp[64], name[96], hex[17];
	uint8_t r[8];
	size_t off = 0;

	if (dfd < 0) {
		snprintf(err, errlen, "cannot open spool '%s': %s", dir, strerror(errno));
		return CORE_EINVAL;
	}
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	snprintf(tmp, sizeof tmp, ".tmp-%s", hex);
	snprintf(name, sizeof name, "%lld-%s%s", (long long)time(NULL), hex, suffix);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0 || fsync(dfd) < 0)
		goto fail;
	ret = CORE_OK;
	goto out;
fail:
	snprintf(err, errlen, "cannot write to spool '%s': %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
out:
	close(dfd);
	return ret;
}

char *tp_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *out;

	if (!e)
		return NULL;
	out = strdup(e);
	curl_free(e);
	return out;
}
