/* SPDX-License-Identifier: ISC */
/* lib/syslog.c — a copy of each audit event for syslog or the journal
 * (audit.syslog = on, or the path of a syslog socket). The sealed log stays
 * the record: the copy is best effort and never holds up a login, so a
 * dead or full socket loses the copy only. Events carry names and
 * addresses, never a secret (the same as audit show). */
#include "lib/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SYSLOG_PRI 86   /* LOG_AUTHPRIV (10) * 8 + LOG_INFO (6) */

static int send_to(const char *path, int type, const char *msg, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), ret = -1;

	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		ret = send(fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	if (ret < 0 && errno == EPROTOTYPE)
		ret = -2;
	close(fd);
	return ret;
}

void tf_syslog_copy(tf *h, const char *event_json)
{
	const char *v = store_config_get(h->s, "audit.syslog");
	const char *path;
	char stamp[32], head[96], *msg;
	struct tm tm;
	time_t t = (time_t)tf_now(h);
	size_t hl, el = strlen(event_json);

	if (!v || !strcmp(v, "off"))
		return;
	path = !strcmp(v, "on") ? "/dev/log" : v;
	if (path[0] != '/' || strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path)
		return;
	if (!localtime_r(&t, &tm) || !strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm))
		return;
	hl = (size_t)snprintf(head, sizeof head, "<%d>%s twofactl[%ld]: ", SYSLOG_PRI, stamp, (long)getpid());
	msg = malloc(hl + el + 1);
	if (!msg)
		return;
	memcpy(msg, head, hl);
	memcpy(msg + hl, event_json, el);
	if (send_to(path, SOCK_DGRAM, msg, hl + el) == -2) {
		msg[hl + el] = '\n';   /* a stream socket: one event per line */
		send_to(path, SOCK_STREAM, msg, hl + el + 1);
	}
	free(msg);
}
