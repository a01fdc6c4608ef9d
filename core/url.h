/* SPDX-License-Identifier: ISC */
/* core/url — what the transport URLs of the config may hold and show. */
#ifndef TWOFACTL_URL_H
#define TWOFACTL_URL_H

#include <stddef.h>

/* 1 when the URL carries credentials: scheme://user[:password]@host. */
int url_has_userinfo(const char *url);
/* The part a message may show: scheme://host[:port]/path, without the
 * credentials, query or fragment (a gateway's token may sit in any of
 * them). */
void url_redact(const char *url, char *out, size_t cap);
/* 1 when the host is this machine's loopback (127.0.0.0/8, ::1, localhost):
 * a secret sent there in clear never crosses a network. */
int url_host_loopback(const char *url);

#endif
