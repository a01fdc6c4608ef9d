/* SPDX-License-Identifier: ISC */
/* core/transport — the one door to the network: SMTP and HTTP through
 * libcurl, and spool files. Nothing else in twofactl sees curl. */
#ifndef TWOFACTL_TRANSPORT_H
#define TWOFACTL_TRANSPORT_H

#include "core/core.h"

enum tp_tls { TP_TLS_TRY = 0, TP_TLS_REQUIRE, TP_TLS_NONE };

struct tp_smtp {
	const char *url;        /* smtp://host:port, smtps://host */
	const char *from;
	const char *user;       /* NULL: no AUTH */
	const char *password;
	enum tp_tls tls;        /* STARTTLS on smtp:// */
	const char *ca_file;    /* NULL: the system's */
	long timeout_ms;
};

struct tp_http {
	const char *url;
	const char *method;     /* GET (body goes in the query), POST, PUT */
	const char *header;     /* one extra header line, or NULL */
	const char *content_type;
	long timeout_ms;
};

/* Each returns CORE_OK, or an error with one line in err (the server's
 * answer where there was one; never a password or token). */
int tp_mail(const struct tp_smtp *c, const char *rcpt, const char *msg, size_t len,
            char *err, size_t errlen) WUR;
int tp_http_send(const struct tp_http *c, const char *body, char *err, size_t errlen) WUR;
/* Write data to a new file DIR/<time>-<random><suffix> (temp file, fsync,
 * rename: a spool reader never sees half a message). */
int tp_spool(const char *dir, const char *suffix, const char *data, size_t len,
             char *err, size_t errlen) WUR;
/* Percent-encode for a form body or query (malloc'd). */
char *tp_escape(const char *s);

#endif
