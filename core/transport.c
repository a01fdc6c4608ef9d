/* SPDX-License-Identifier: ISC */
#include "core/transport.h"

#include <curl/curl.h>
#include <pthread.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* libcurl is loaded when a message is sent, not at start: its dependencies
 * (TLS, HTTP/2, LDAP, Kerberos...) cost about 5 ms of dynamic linking, six
 * times what a whole verify needs otherwise. */
static struct {
	void *h;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
} cu;

static int curl_load_locked(char *err, size_t errlen)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so" };

	if (cu.h)
		return CORE_OK;
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !cu.h; i++)
		cu.h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!cu.h) {
		snprintf(err, errlen, "cannot load libcurl: %s", dlerror());
		return CORE_ECRYPTO;
	}
#define SYM(field, name) *(void **)(&cu.field) = dlsym(cu.h, name)
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	SYM(easy_escape, "curl_easy_escape");
	SYM(free, "curl_free");
#undef SYM
	if (!cu.easy_init || !cu.easy_setopt || !cu.easy_perform || !cu.easy_cleanup || !cu.easy_getinfo ||
	    !cu.easy_strerror || !cu.slist_append || !cu.slist_free_all || !cu.easy_escape || !cu.free) {
		snprintf(err, errlen, "libcurl lacks a function twofactl needs");
		dlclose(cu.h);
		cu.h = NULL;
		return CORE_ECRYPTO;
	}
	return CORE_OK;
}

/* Loaded once, whichever thread asks first (a handle per thread is allowed). */
static int curl_load(char *err, size_t errlen)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&mu);
	rc = curl_load_locked(err, errlen);
	pthread_mutex_unlock(&mu);
	return rc;
}

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
	CURL *h = curl_load(err, errlen) ? NULL : cu.easy_init();
	struct curl_slist *to = NULL;
	struct reader r = { msg, len };
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	int ret = CORE_ECRYPTO;

	if (!h) {
		if (!cu.h)
			return CORE_ECRYPTO;   /* err says why */
		snprintf(err, errlen, "cannot initialise libcurl");
		return CORE_ENOMEM;
	}
	to = cu.slist_append(NULL, rcpt);
	cu.easy_setopt(h, CURLOPT_URL, c->url);
	cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_MAIL_FROM, c->from);
	cu.easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	cu.easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	cu.easy_setopt(h, CURLOPT_READDATA, &r);
	cu.easy_setopt(h, CURLOPT_UPLOAD, 1L);
	cu.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	cu.easy_setopt(h, CURLOPT_USE_SSL, c->tls == TP_TLS_REQUIRE ? (long)CURLUSESSL_ALL :
	                 c->tls == TP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_TRY);
	if (c->ca_file)
		cu.easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->user) {
		cu.easy_setopt(h, CURLOPT_USERNAME, c->user);
		cu.easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	rc = cu.easy_perform(h);
	if (rc == CURLE_OK) {
		ret = CORE_OK;
	} else {
		char line[300];

		one_line(line, sizeof line, ebuf[0] ? ebuf : cu.easy_strerror(rc));
		snprintf(err, errlen, "%s", line);
	}
	cu.slist_free_all(to);
	cu.easy_cleanup(h);
	return ret;
}

int tp_http_send(const struct tp_http *c, const char *body, char *err, size_t errlen)
{
	CURL *h = curl_load(err, errlen) ? NULL : cu.easy_init();
	struct curl_slist *hdr = NULL;
	struct sink s = { .len = 0 };
	char ebuf[CURL_ERROR_SIZE] = "", *url = NULL, ctype[128];
	long code = 0;
	CURLcode rc;
	int ret = CORE_ECRYPTO;

	if (!h) {
		if (!cu.h)
			return CORE_ECRYPTO;
		snprintf(err, errlen, "cannot initialise libcurl");
		return CORE_ENOMEM;
	}
	s.buf[0] = '\0';
	if (!strcmp(c->method, "GET")) {
		size_t n = strlen(c->url) + strlen(body) + 2;

		url = malloc(n);
		if (!url) {
			cu.easy_cleanup(h);
			return CORE_ENOMEM;
		}
		snprintf(url, n, "%s%s%s", c->url, strchr(c->url, '?') ? "&" : "?", body);
		cu.easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		cu.easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(c->method, "POST"))
			cu.easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
		snprintf(ctype, sizeof ctype, "Content-Type: %s",
		         c->content_type ? c->content_type : "application/x-www-form-urlencoded");
		hdr = cu.slist_append(hdr, ctype);
	}
	if (c->header)
		hdr = cu.slist_append(hdr, c->header);
	cu.easy_setopt(h, CURLOPT_URL, url ? url : c->url);
	cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, &s);
	cu.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	cu.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	rc = cu.easy_perform(h);
	cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		char line[300];

		one_line(line, sizeof line, ebuf[0] ? ebuf : cu.easy_strerror(rc));
		snprintf(err, errlen, "%s", line);
	} else if (code < 200 || code > 299) {
		char line[300];

		one_line(line, sizeof line, s.buf);
		snprintf(err, errlen, "gateway answered %ld%s%s", code, line[0] ? ": " : "", line);
	} else {
		ret = CORE_OK;
	}
	cu.slist_free_all(hdr);
	cu.easy_cleanup(h);
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
	char err[128], *e, *out;

	if (curl_load(err, sizeof err))
		return NULL;
	e = cu.easy_escape(NULL, s, 0);

	if (!e)
		return NULL;
	out = strdup(e);
	cu.free(e);
	return out;
}
