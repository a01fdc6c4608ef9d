/* SPDX-License-Identifier: ISC */
/* store/file.c — Small file helpers: whole reads that refuse links and oversize files,
 * crash-safe replacement (temp O_EXCL|O_NOFOLLOW, fsync, rename, directory
 * fsync), the error buffer, secure account buffers. */
#include "store/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int st_fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int st_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return code;
}

const char *store_error(const struct store *s)
{
	return s->err;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

struct account *account_new(void)
{
	struct account *a = sodium_malloc(sizeof *a);

	if (a)
		memset(a, 0, sizeof *a);
	return a;
}

void account_free(struct account *a)
{
	if (a)
		sodium_free(a);   /* sodium_free wipes */
}

/* ---- small file helpers ---- */

int st_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read a whole regular file below dirfd, refusing links and oversize files. */
int st_read_file_at(int dirfd, const char *name, uint8_t **out, size_t *outlen,
                        size_t maxlen, struct stat *st_out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	*out = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > maxlen) {
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			goto fail;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	if (st_out)
		*st_out = st;
	close(fd);
	*out = buf;
	*outlen = got;
	return 0;
fail:
	{
		int e = errno;
		if (buf) {
			sodium_memzero(buf, (size_t)st.st_size);
			free(buf);
		}
		close(fd);
		errno = e;
	}
	return -1;
}

/* Atomic replace of name in dirfd: temp file O_EXCL|O_NOFOLLOW, write,
 * fsync, rename, fsync the directory. */
int st_write_atomic_at(struct store *s, int dirfd, const char *what, const char *name,
                           const void *data, size_t len)
{
	char tmp[64];
	uint8_t rnd[8];
	int fd, e;

	randombytes_buf(rnd, sizeof rnd);
	snprintf(tmp, sizeof tmp, ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot create temp file for '%s': %s", what, strerror(errno));
	if (fchmod(fd, 0600) < 0 || st_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return st_fail(s, ST_BAD, "cannot write '%s': %s", what, strerror(e));
	}
	if (close(fd) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		return st_fail(s, ST_BAD, "cannot write '%s': %s", what, strerror(e));
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		return st_fail(s, ST_BAD, "cannot replace '%s': %s", what, strerror(e));
	}
	if (fsync(dirfd) < 0)
		return st_fail(s, ST_BAD, "cannot sync directory of '%s': %s", what, strerror(errno));
	return ST_OK;
}

