/* SPDX-License-Identifier: ISC */
/* twofactl serve: JSON lines in, JSON lines out, for front ends that must
 * not own the store (a web application, pam_twofactl). One request per
 * line, {"argv": [...], "stdin": "..."}; one answer per line, {"exit": N,
 * "output": [...], "error": null | {"code": WORD, "message": TEXT}}. The
 * caller's role comes from its uid and groups (SO_PEERCRED when standard
 * input is a Unix socket, else the real uid) and the store's role.* keys. */
#include "cmd/cmd.h"
#include "core/request.h"
#include "core/role.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GIDS_MAX 64

struct serve_args {
	unsigned idle;               /* seconds a connection may stay silent */
};

enum { OPT_IDLE = 0x600 };

static const struct argp_option options[] = {
	{ "idle-timeout", OPT_IDLE, "SECONDS", 0, "End the session after this long without a "
	  "request (default 60; 0: never)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct serve_args *a = state->input;
	char *end;
	unsigned long v;

	switch (key) {
	case OPT_IDLE:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || end == arg || v > 86400 || arg[0] == '-')
			USAGE(state, "--idle-timeout: '%s' is not a number of seconds up to 86400", safe(arg));
		a->idle = (unsigned)v;
		break;
	case ARGP_KEY_ARG:
		USAGE(state, "unexpected argument '%s' (requests are read from standard input)", safe(arg));
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, NULL,
	"Answer requests of front ends that must not own the store: one JSON object "
	"per line on standard input, {\"argv\": [COMMAND, ARG...], \"stdin\": TEXT}, "
	"one JSON object per line on standard output, {\"exit\": N, \"output\": [...], "
	"\"error\": null or {\"code\": WORD, \"message\": TEXT}}, until the end of input. "
	"The caller's role (admin, frontend, pam) comes from its uid and groups "
	"(SO_PEERCRED when standard input is a Unix socket, as under systemd's socket "
	"activation; otherwise the real uid) and the store's role.admin, role.frontend "
	"and role.pam keys. See twofactl(1), SERVE.\v"
	"Exit status: 0 at the end of input, 5 when the store cannot be opened.",
	common_children, NULL, NULL
};

/* ---- who is asking ---- */

struct caller {
	uint32_t uid;
	uint32_t gids[GIDS_MAX];
	size_t ngids;
	int socket;                  /* standard input is a Unix socket */
};

static void caller_of_stdin(struct caller *c)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	memset(c, 0, sizeof *c);
	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    len == sizeof cred) {
		gid_t groups[GIDS_MAX];
		socklen_t glen = sizeof groups;

		c->socket = 1;
		c->uid = (uint32_t)cred.uid;
		c->gids[c->ngids++] = (uint32_t)cred.gid;
		if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
			for (size_t i = 0; i < glen / sizeof groups[0] && c->ngids < GIDS_MAX; i++)
				c->gids[c->ngids++] = (uint32_t)groups[i];
		return;
	}
	c->uid = (uint32_t)getuid();
	c->gids[c->ngids++] = (uint32_t)getgid();
	{
		gid_t groups[GIDS_MAX];
		int n = getgroups(GIDS_MAX, groups);

		for (int i = 0; i < n && c->ngids < GIDS_MAX; i++)
			c->gids[c->ngids++] = (uint32_t)groups[i];
	}
}

/* ---- requests ---- */

static void answer(json_object *id, int exit_code, json_object *output, const char *word,
                   const char *message)
{
	json_object *o = json_object_new_object();

	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "exit", json_object_new_int(exit_code));
	json_object_object_add(o, "output", output ? output : json_object_new_array());
	if (word) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string(word));
		json_object_object_add(e, "message", json_object_new_string(message));
		json_object_object_add(o, "error", e);
	} else {
		json_object_object_add(o, "error", NULL);
	}
	emit_json(o);
	fflush(g.out);
}

/* Each line the command printed with --json becomes an item of output. */
static json_object *collect(char *out)
{
	json_object *arr = json_object_new_array();
	char *save = NULL;

	for (char *l = out ? strtok_r(out, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		json_object *j = json_tokener_parse(l);

		json_object_array_add(arr, j ? j : json_object_new_string(l));
	}
	return arr;
}

static void serve_one(struct request *req)
{
	char *out = NULL, *err = NULL;
	size_t outlen = 0, errlen = 0;
	int rc;

	g.via_service = NULL;   /* a request's own --via-service and --rhost only */
	g.rhost = NULL;
	for (int i = 0; i < req->argc; i++) {
		if (!strcmp(req->argv[i], "--help") || !strcmp(req->argv[i], "-?") ||
		    !strcmp(req->argv[i], "--usage") || !strcmp(req->argv[i], "-V") ||
		    !strcmp(req->argv[i], "--version")) {
			answer(req->id, EXIT_USAGE, NULL, "usage", "--help and --version are not available in serve");
			return;
		}
	}
	if (req->argv[0][0] == '-') {
		answer(req->id, EXIT_USAGE, NULL, "usage", "argv starts with the command; options go after it");
		return;
	}
	g.now = (int64_t)time(NULL);
	if (tf_serve_allows(g.h, req->argc, req->argv)) {
		answer(req->id, EXIT_USAGE, NULL, "forbidden", tf_error_message(g.h));
		return;
	}
	g.json = 1;
	g.quiet = 1;
	g.at_set = 0;
	g.now = (int64_t)time(NULL);
	g.dir = g.serve_dir;
	rc = run_captured(req->argv, req->argc, req->in, req->inlen, &out, &outlen, &err, &errlen);
	if (g.err_word && !strcmp(g.err_word, "forbidden"))
		tf_serve_refused(g.h, req->argv[0]);
	/* check's 10 and 11 are answers; the same codes after a failure (send
	 * by a channel the account lacks: 11) are errors, with their reason */
	if (answered(rc))
		answer(req->id, rc, collect(out), NULL, NULL);
	else
		answer(req->id, rc, collect(out), g.err_word ? g.err_word : exit_word(rc),
		       g.err_msg[0] ? g.err_msg : exit_word(rc));
	if (out) {
		sodium_memzero(out, outlen);   /* keys, codes, tokens */
		free(out);
	}
	free(err);
}

/* ---- the line reader: bounded, never more than one request ahead ---- */

struct reader {
	char buf[REQ_MAX + 2];
	size_t len;
	int eof;
};

enum line { LINE_READY, LINE_TOO_LONG, LINE_EOF, LINE_IDLE, LINE_ERROR };

static enum line next_line(struct reader *r, size_t *linelen, unsigned idle)
{
	int skipping = 0;

	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n;
		int pr;

		if (nl && !skipping) {
			*linelen = (size_t)(nl - r->buf);
			return LINE_READY;
		}
		if (nl && skipping) {   /* the end of an over-long line */
			size_t rest = r->len - (size_t)(nl + 1 - r->buf);

			memmove(r->buf, nl + 1, rest);
			r->len = rest;
			return LINE_TOO_LONG;
		}
		if (r->len > REQ_MAX) {   /* no newline within the limit */
			skipping = 1;
			r->len = 0;
		}
		if (r->eof) {
			if (skipping)
				return LINE_TOO_LONG;
			if (r->len) {   /* a last line without a newline */
				*linelen = r->len;
				r->buf[r->len++] = '\n';
				return LINE_READY;
			}
			return LINE_EOF;
		}
		pr = poll(&p, 1, idle ? (int)idle * 1000 : -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return LINE_ERROR;
		if (pr == 0)
			return LINE_IDLE;
		n = read(STDIN_FILENO, r->buf + r->len, sizeof r->buf - 1 - r->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return LINE_ERROR;
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
	}
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static void consume(struct reader *r, size_t linelen)
{
	size_t used = linelen + 1;

	sodium_memzero(r->buf, used);   /* requests carry codes and passwords */
	memmove(r->buf, r->buf + used, r->len - used);
	r->len -= used;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = { .idle = 60 };
	struct reader *r = NULL;
	struct caller c;
	enum role role;
	tf_role trole;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &a);
	signal(SIGPIPE, SIG_IGN);   /* a client that hangs up ends the session, not the process */
	caller_of_stdin(&c);
	g.batch = 1;   /* one open store for the whole session */
	if ((ret = cli_open(&h)))
		goto out;
	if (!(r = sodium_malloc(sizeof *r))) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	r->len = 0;
	r->eof = 0;
	/* the handle takes the role: the library refuses what it may not do */
	if ((ret = tf_identify(h, c.uid, c.gids, c.ngids, &trole)))
		goto out;
	role = (enum role)trole;
	g.serve = 1;
	g.role = (int)role;
	g.caller_uid = c.uid;
	g.serve_dir = tf_dir(h);
	g.envelope = 1;   /* each answer carries its error */
	for (;;) {
		struct request req;
		const char *why = NULL;
		size_t len = 0;
		enum line l = next_line(r, &len, a.idle);

		if (l == LINE_EOF || l == LINE_IDLE || l == LINE_ERROR)
			break;
		if (l == LINE_TOO_LONG) {
			answer(NULL, EXIT_USAGE, NULL, "too_large", "request longer than 65536 bytes");
		} else if (memchr(r->buf, '\0', len)) {
			answer(NULL, EXIT_USAGE, NULL, "bad_request", "NUL byte in the request");
			consume(r, len);
		} else if (blank(r->buf, len)) {
			consume(r, len);   /* blank lines are allowed between requests */
			continue;
		} else if (request_parse(r->buf, len, &req, &why)) {
			answer(req.id, EXIT_USAGE, NULL, "bad_request", why);
			request_free(&req);
			consume(r, len);
		} else {
			serve_one(&req);
			request_free(&req);
			consume(r, len);
		}
		if (ferror(g.out))
			break;   /* the client is gone */
	}
	ret = EXIT_OK;
out:
	g.batch = 0;
	g.serve = 0;
	batch_store_release();
	if (r)
		sodium_free(r);
	return ret;
}
