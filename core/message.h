/* SPDX-License-Identifier: ISC */
/* Messages from templates: pure rendering, no I/O. A template is the text of
 * share/templates/<lang>/<purpose>.txt: a "Subject: ..." line, a blank line,
 * the body; SMS templates (<purpose>.sms) are the text alone. Placeholders
 * are {name} and are replaced from a list; others are left as they are.
 * A line that starts with {?name} is an optional line: kept, without the
 * marker, when name has a non-empty value, left out (with its newline)
 * otherwise, e.g. "{?ip}The login came from address {ip}." */
#ifndef TWOFACTL_MESSAGE_H
#define TWOFACTL_MESSAGE_H

#include "core/core.h"

struct msg_var {
	const char *key;
	const char *value;
};

/* malloc'd result (may hold a code: the caller wipes and frees it). */
int msg_render(const char *tpl, const struct msg_var *vars, size_t nvars, char **out) WUR;

/* Split a rendered email template into subject and body (pointers into text,
 * which is modified). */
int msg_split(char *text, const char **subject, const char **body) WUR;

/* An RFC 5322 message with CRLF line ends, UTF-8 text, RFC 2047 subject. */
int msg_email(const char *from, const char *to, const char *subject, const char *body,
              int64_t date, const char *msgid_domain, char **out, size_t *outlen) WUR;

#endif
