/* SPDX-License-Identifier: ISC */
/* A request line of twofactl serve, parsed (pure): {"argv": [COMMAND,
 * ARG...], "stdin": TEXT, "id": ANY}. */
#ifndef TWOFACTL_REQUEST_H
#define TWOFACTL_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>

#define REQ_MAX (64 * 1024)       /* one request line, newline excluded */
#define ARGV_MAX 64
#define ARG_MAX_LEN 4096

struct request {
	char *argv[ARGV_MAX + 1];    /* point into root */
	int argc;
	const char *in;              /* the command's standard input, or NULL */
	size_t inlen;
	json_object *id;             /* echoed back when the client sent one */
	json_object *root;
};

/* Parse len bytes (no newline; no NUL is checked by the caller); 0, or -1
 * with *why saying what is wrong. request_free() either way. */
int request_parse(const char *line, size_t len, struct request *req, const char **why);
void request_free(struct request *req);

#endif
