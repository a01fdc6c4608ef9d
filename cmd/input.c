/* SPDX-License-Identifier: ISC */
/* cmd/input.c — what a command reads besides its arguments: a code or a
 * secret on standard input (or, inside serve, the request's "stdin"), and
 * files; never fd 0 inside batch, whose lines are commands. */
#include "cmd/cmd.h"
#include "core/role.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum line_end { LINE_OK = 0, LINE_ERROR, LINE_NUL, LINE_LONG };

/* One line of stdin into buf (no newline, no CR); *any says whether a byte
 * was read at all. On NUL or overflow buf is wiped. */
static enum line_end read_line(char *buf, size_t cap, int *any)
{
	size_t n = 0;

	*any = 0;
	for (;;) {
		char c;
		ssize_t r;

		if (g.in_mem) {   /* serve's request or batch's nothing: never fd 0 */
			r = g.in_pos < g.in_len;
			if (r)
				c = g.in_buf[g.in_pos++];
		} else {
			r = read(STDIN_FILENO, &c, 1);
		}

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_memzero(buf, cap);
			return LINE_ERROR;
		}
		if (r == 0 || c == '\n')
			break;
		*any = 1;
		if (c == '\0' || n + 1 >= cap) {
			sodium_memzero(buf, cap);
			return c == '\0' ? LINE_NUL : LINE_LONG;
		}
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return LINE_OK;
}

int read_stdin_line(char *buf, size_t cap, const char *what)
{
	int any;

	switch (read_line(buf, cap, &any)) {
	case LINE_ERROR:
		return fail(EXIT_USAGE, "cannot read %s from standard input: %s", what, strerror(errno));
	case LINE_NUL:
		return fail(EXIT_USAGE, "%s on standard input is malformed (NUL byte)", what);
	case LINE_LONG:
		return fail(EXIT_USAGE, "%s on standard input is too long", what);
	case LINE_OK:
		break;
	}
	if (!buf[0])
		return fail(EXIT_USAGE, "no %s on standard input", what);
	return EXIT_OK;
}

int read_stdin_line_opt(char *buf, size_t cap)
{
	int any;

	switch (read_line(buf, cap, &any)) {
	case LINE_ERROR:   /* as the end of input: there is no further line */
		buf[0] = '\0';
		return 0;
	case LINE_NUL:
		fail(EXIT_USAGE, "the password on standard input is malformed");
		return -1;
	case LINE_LONG:
		fail(EXIT_USAGE, "the password on standard input is too long");
		return -1;
	case LINE_OK:
		break;
	}
	return any && buf[0];
}

/* All of FILE, or of stdin for "-", at most max bytes and no NUL; NULL
 * with errno set otherwise. malloc'd; the caller wipes and frees it. */
static char *read_mem_input(size_t max)
{
	size_t n = g.in_len - g.in_pos;
	char *buf;

	if (n > max) {
		errno = EFBIG;
		return NULL;
	}
	if (memchr(g.in_buf + g.in_pos, 0, n)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(buf = malloc(n + 1)))
		return NULL;
	memcpy(buf, g.in_buf + g.in_pos, n);
	buf[n] = '\0';
	g.in_pos = g.in_len;
	return buf;
}

char *read_input(const char *file, size_t max)
{
	int fd;
	size_t len = 0, cap = 65536;
	char *buf;

	if (!strcmp(file, "-") && g.in_mem)
		return read_mem_input(max);
	if (g.serve) {   /* a request names no file of the server's */
		errno = EPERM;
		return NULL;
	}
	fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO;
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				errno = EFBIG;
				sodium_memzero(buf, len);
				free(buf);
				buf = NULL;
				break;
			}
			nb = malloc(cap * 2 + 1);
			if (nb)
				memcpy(nb, buf, len);
			sodium_memzero(buf, len);
			free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_memzero(buf, len);
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0) {
			buf[len] = '\0';
			if (memchr(buf, 0, len)) {
				sodium_memzero(buf, len);
				free(buf);
				errno = EINVAL;
				buf = NULL;
			}
			break;
		}
		len += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return buf;
}

int get_code(const char *arg, char *buf, size_t cap)
{
	if (!arg || !strcmp(arg, "-"))
		return read_stdin_line(buf, cap, "code");
	if (strlen(arg) >= cap)
		return fail(EXIT_USAGE, "malformed code: too long");
	memcpy(buf, arg, strlen(arg) + 1);
	return EXIT_OK;
}

int read_stepup(char *buf, size_t cap, int before_json)
{
	int any;

	buf[0] = '\0';
	/* the command line is an administrator's: never asked */
	if (!g.serve || g.role == ROLE_ADMIN)
		return EXIT_OK;
	/* a registration that follows on stdin starts with '{', a code never */
	if (before_json && g.in_mem && g.in_pos < g.in_len && g.in_buf[g.in_pos] == '{')
		return EXIT_OK;
	switch (read_line(buf, cap, &any)) {
	case LINE_ERROR:
		return fail(EXIT_USAGE, "cannot read the code from standard input: %s", strerror(errno));
	case LINE_NUL:
		return fail(EXIT_USAGE, "the code on standard input is malformed (NUL byte)");
	case LINE_LONG:
		return fail(EXIT_USAGE, "the code on standard input is too long");
	case LINE_OK:
		break;
	}
	return EXIT_OK;
}
