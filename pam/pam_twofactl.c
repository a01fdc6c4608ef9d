/* SPDX-License-Identifier: ISC */
/* pam_twofactl: the second factor of sshd, sudo and su from a twofactl
 * store, without the store's key ever entering the calling process.
 *
 *   auth required pam_twofactl.so [dir=DIR] [socket=PATH]
 *        [try_first_pass|use_first_pass|forward_pass] [prompt=TEXT]
 *        [timeout=SECONDS] [debug]
 *
 * The module speaks twofactl's serve protocol (one JSON request per line,
 * one answer per line) to a socket (socket=PATH: systemd's twofactl.socket)
 * or to a `twofactl serve` it starts for this one authentication, as the
 * store's owner. It runs check, then send and verify as check's answer asks,
 * and maps the answers to PAM codes (see pam_twofactl(8)).
 *
 * Safe in a long-running, forking, threaded caller: no global or static
 * state, no signal handlers (the child it starts is waited for by its pid),
 * every file descriptor close-on-exec and closed on every path, every read
 * and write bounded by poll(). The only secret it holds is the code in
 * flight (and with forward_pass the password typed with it), wiped before
 * it returns. */
#define PAM_SM_AUTH
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/input.h"

#ifndef TWOFACTL_BIN
#define TWOFACTL_BIN "/usr/local/bin/twofactl"
#endif
#ifndef TWOFACTL_STORE
#define TWOFACTL_STORE "/var/lib/twofactl"
#endif

#define EXPORT __attribute__((visibility("default")))

#define ANSWER_MAX (256 * 1024)   /* one answer line */
#define REQUEST_MAX 8192          /* one request line */
#define TIMEOUT_DEFAULT 30        /* seconds per answer */
#define REAP_MS 3000              /* how long a finished serve may take to exit */

/* twofactl's exit codes (DESIGN.md): the answers' "exit". */
enum { TF_OK = 0, TF_REJECTED = 1, TF_USAGE = 2, TF_NOENT = 3, TF_LOCKED = 4,
       TF_DELIVERY = 6, TF_NEED_CODE = 10, TF_NEED_ENROL = 11 };

enum pass_mode { PASS_PROMPT = 0, PASS_TRY_FIRST, PASS_USE_FIRST, PASS_FORWARD };

struct opts {
	const char *dir;
	const char *socket;
	const char *prompt;
	enum pass_mode pass;
	int timeout;              /* seconds */
	int debug;
	int silent;               /* PAM_SILENT: no informational messages */
};

/* One connection to a serve: a socket, and the child when we started it. */
struct conn {
	int fd;
	pid_t pid;
	uid_t uid;                /* the child's identity (the store's owner) */
	gid_t gid;
	int drop;                 /* root: become uid/gid before exec */
};

/* One answer: {"exit": N, "output": [...], "error": null | {...}}. */
struct answer {
	json_object *root;
	int exit;
	const char *word;         /* error.code, or NULL */
	json_object *first;       /* output[0], or NULL */
};

/* What the requests carry besides the account: --ip or --rhost, and the
 * PAM service as --via-service. */
struct who {
	const char *user;
	const char *service;      /* NULL when not a valid service name */
	const char *ip;           /* PAM_RHOST when it is an address */
	const char *rhost;        /* PAM_RHOST when it is a host name */
};

static void dbg(pam_handle_t *pamh, const struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dbg(pam_handle_t *pamh, const struct opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->debug)
		return;
	va_start(ap, fmt);
	pam_vsyslog(pamh, LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ---- options ---- */

static int parse_opts(pam_handle_t *pamh, int flags, int argc, const char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->dir = TWOFACTL_STORE;
	o->timeout = TIMEOUT_DEFAULT;
	o->silent = (flags & PAM_SILENT) != 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "dir=", 4) && a[4] == '/') {
			o->dir = a + 4;
		} else if (!strncmp(a, "socket=", 7) && a[7] == '/' &&
		           strlen(a + 7) < sizeof ((struct sockaddr_un *)0)->sun_path) {
			o->socket = a + 7;
		} else if (!strncmp(a, "prompt=", 7) && a[7]) {
			o->prompt = a + 7;
		} else if (!strncmp(a, "timeout=", 8)) {
			char *end;
			long v = strtol(a + 8, &end, 10);

			if (end == a + 8 || *end || v < 1 || v > 3600) {
				pam_syslog(pamh, LOG_ERR, "timeout= takes 1 to 3600 seconds: '%s'", a);
				return PAM_SERVICE_ERR;
			}
			o->timeout = (int)v;
		} else if (!strcmp(a, "try_first_pass") || !strcmp(a, "use_first_pass") ||
		           !strcmp(a, "forward_pass")) {
			enum pass_mode m = a[0] == 't' ? PASS_TRY_FIRST : a[0] == 'u' ? PASS_USE_FIRST : PASS_FORWARD;

			if (o->pass && o->pass != m) {
				pam_syslog(pamh, LOG_ERR, "try_first_pass, use_first_pass and forward_pass exclude each other");
				return PAM_SERVICE_ERR;
			}
			o->pass = m;
		} else if (!strcmp(a, "debug")) {
			o->debug = 1;
		} else {
			/* a typo must not weaken the stack: refuse to run */
			pam_syslog(pamh, LOG_ERR, "unknown or malformed option '%s' (dir= and socket= need an "
			           "absolute path)", a);
			return PAM_SERVICE_ERR;
		}
	}
	return PAM_SUCCESS;
}

/* ---- the connection ---- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll one fd for events until deadline (ms, CLOCK_MONOTONIC): 1 ready,
 * 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		return 1;   /* readable, writable, or hung up: the call after says which */
	}
}

/* Whoever answers on socket= decides the login: only root (systemd's
 * socket, which starts twofactl@.service) or the owner of the store
 * directory (dir=, as a serve started by hand runs) is believed. */
static int peer_trusted(pam_handle_t *pamh, const struct opts *o, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot tell who serves '%s': %s", o->socket, strerror(errno));
		return 0;
	}
	if (cr.uid == 0 || (stat(o->dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == cr.uid))
		return 1;
	pam_syslog(pamh, LOG_ERR, "'%s' is served by uid %u, neither root nor the owner of '%s': "
	           "not believed", o->socket, (unsigned)cr.uid, o->dir);
	return 0;
}

static int connect_socket(pam_handle_t *pamh, const struct opts *o, struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = 0;
	socklen_t len = sizeof err;

	if (fd < 0) {
		pam_syslog(pamh, LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, o->socket, strlen(o->socket) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			pam_syslog(pamh, LOG_ERR, "cannot connect to '%s': %s", o->socket, strerror(errno));
			close(fd);
			return -1;
		}
		if (wait_fd(fd, POLLOUT, now_ms() + (int64_t)o->timeout * 1000) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			pam_syslog(pamh, LOG_ERR, "cannot connect to '%s': %s", o->socket,
			           err ? strerror(err) : "timed out");
			close(fd);
			return -1;
		}
	}
	if (!peer_trusted(pamh, o, fd)) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->pid = 0;
	return 0;
}

/* Who the serve we start runs as: when we are root, the owner of the store
 * directory (as twofactl.socket runs it), so every file keeps its owner. */
static int child_identity(pam_handle_t *pamh, const struct opts *o, struct conn *c)
{
	struct stat st;

	c->drop = geteuid() == 0;
	if (!c->drop)
		return 0;
	if (stat(o->dir, &st) < 0) {
		pam_syslog(pamh, LOG_ERR, "store '%s': %s", o->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		pam_syslog(pamh, LOG_ERR, "store '%s': not a directory", o->dir);
		return -1;
	}
	c->uid = st.st_uid;
	c->gid = st.st_gid;
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child_exec(int sock, int devnull, const struct conn *c,
                                                 char *const argv[], char *const envp[])
{
	struct sigaction dfl;
	sigset_t none;

	if (dup2(sock, STDIN_FILENO) < 0 || dup2(sock, STDOUT_FILENO) < 0 ||
	    dup2(devnull, STDERR_FILENO) < 0)
		_exit(127);
	/* no descriptor of the caller's (sshd's sockets, keys, logs) survives */
	if (close_range(3, ~0U, 0) < 0)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	/* signals the caller ignores or blocks stay so across exec: not for us */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (c->drop) {
		gid_t g = c->gid;

		if (setgroups(1, &g) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
		    setresuid(c->uid, c->uid, c->uid) < 0)
			_exit(127);
		if (c->uid != 0 && (setuid(0) == 0 || geteuid() == 0))
			_exit(127);   /* the drop must be irreversible */
	}
	execve(TWOFACTL_BIN, argv, envp);
	_exit(127);
}

static int spawn_serve(pam_handle_t *pamh, const struct opts *o, struct conn *c)
{
	/* the child's whole world: a fixed binary, its store, no environment
	 * but a PATH; its idle limit outlasts a slow typist, and end of input
	 * (our close) ends it at once */
	char *argv[] = { (char *)"twofactl", (char *)"-d", (char *)o->dir, (char *)"serve",
	                 (char *)"--idle-timeout", (char *)"600", NULL };
	char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int sv[2], devnull;
	pid_t pid;

	if (child_identity(pamh, o, c) < 0)
		return -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		pam_syslog(pamh, LOG_ERR, "/dev/null: %s", strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		pam_syslog(pamh, LOG_ERR, "socketpair: %s", strerror(errno));
		close(devnull);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec(sv[1], devnull, c, argv, envp);
	close(sv[1]);
	close(devnull);
	if (pid < 0) {
		pam_syslog(pamh, LOG_ERR, "fork: %s", strerror(errno));
		close(sv[0]);
		return -1;
	}
	if (set_nonblock(sv[0]) < 0) {   /* our end only: serve's stays blocking */
		close(sv[0]);
		sv[0] = -1;
	}
	c->fd = sv[0];
	c->pid = pid;
	dbg(pamh, o, "started %s serve (pid %d) on '%s' as uid %u", TWOFACTL_BIN, (int)pid, o->dir,
	    c->drop ? (unsigned)c->uid : (unsigned)geteuid());
	return c->fd < 0 ? -1 : 0;
}

/* Wait for the serve we started, by its pid only (the caller's SIGCHLD
 * handler, if any, is left alone; if it reaped the child first, or SIGCHLD
 * is ignored, waitpid says ECHILD and the child is gone). Bounded: a serve
 * that does not end after its input closed is killed. */
static void reap(pid_t pid)
{
	int64_t deadline = now_ms() + REAP_MS;
	struct timespec pause = { 0, 1000000 };

	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (r == 0 && now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return;
		}
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 32000000)
			pause.tv_nsec *= 2;
	}
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);   /* serve reads the end of input and exits */
	c->fd = -1;
	if (c->pid > 0)
		reap(c->pid);
	c->pid = 0;
}

static int conn_open(pam_handle_t *pamh, const struct opts *o, struct conn *c)
{
	c->fd = -1;
	c->pid = 0;
	return o->socket ? connect_socket(pamh, o, c) : spawn_serve(pamh, o, c);
}

/* A server that went idle while the user typed has closed its end: notice
 * that before a request is written, and connect anew. */
static int conn_alive(pam_handle_t *pamh, const struct opts *o, struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char b;

	if (c->fd >= 0 && poll(&p, 1, 0) == 0)
		return 0;
	if (c->fd >= 0 && (p.revents & POLLIN) && !(p.revents & (POLLHUP | POLLERR)) &&
	    recv(c->fd, &b, 1, MSG_PEEK) > 0) {
		pam_syslog(pamh, LOG_ERR, "serve sent an answer nobody asked for");
		return -1;
	}
	dbg(pamh, o, "serve closed the connection: connecting again");
	conn_close(c);
	return conn_open(pamh, o, c);
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);   /* never SIGPIPE the caller */

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one answer line; the connection holds no other (serve answers each
 * request before it reads the next). */
static int read_line(int fd, char **out, int64_t deadline)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= ANSWER_MAX)
				goto fail;
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) != 1)
				goto fail;
			continue;
		}
		if (n <= 0)
			goto fail;   /* serve died, or closed without an answer */
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	*(char *)memchr(buf, '\n', len) = '\0';   /* json-c stops at a NUL before it too */
	*out = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

/* ---- requests ---- */

static void answer_free(struct answer *a)
{
	if (a->root)
		json_object_put(a->root);
	memset(a, 0, sizeof *a);
}

/* Append the arguments every request carries after the command's own:
 * the PAM service, the remote host, then "--" and the account, so a user
 * name that starts with a dash is never taken for an option. */
static void add_who(json_object *argv, const struct who *w, int with_ip)
{
	if (w->service) {
		json_object_array_add(argv, json_object_new_string("--via-service"));
		json_object_array_add(argv, json_object_new_string(w->service));
	}
	if (w->ip && with_ip) {
		json_object_array_add(argv, json_object_new_string("--ip"));
		json_object_array_add(argv, json_object_new_string(w->ip));
	} else if (w->ip || w->rhost) {
		json_object_array_add(argv, json_object_new_string("--rhost"));
		json_object_array_add(argv, json_object_new_string(w->ip ? w->ip : w->rhost));
	}
	json_object_array_add(argv, json_object_new_string("--"));
	json_object_array_add(argv, json_object_new_string(w->user));
}

/* Send {"argv": argv, "stdin": "CODE\n"} and read the answer. code is what
 * the user typed, already known to have the shape of a code (no quote, no
 * backslash, no control character): it goes into the line as it is, into a
 * buffer that is wiped, never through the JSON library's own. -1 when there
 * is no valid answer (serve dead, silent, or garbled). */
static int request(pam_handle_t *pamh, const struct opts *o, struct conn *c, json_object *argv,
                   const char *code, struct answer *a)
{
	char *line = NULL, *in = NULL;
	const char *args = json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN);
	int64_t deadline = now_ms() + (int64_t)o->timeout * 1000;
	json_object *v, *out;
	int n, ret = -1;

	memset(a, 0, sizeof *a);
	if (conn_alive(pamh, o, c) < 0)
		return -1;
	line = malloc(REQUEST_MAX);
	if (!line)
		return -1;
	n = code ? snprintf(line, REQUEST_MAX, "{\"argv\": %s, \"stdin\": \"%s\\n\"}\n", args, code)
	         : snprintf(line, REQUEST_MAX, "{\"argv\": %s}\n", args);
	if (n < 0 || n >= REQUEST_MAX)
		goto out;
	if (send_all(c->fd, line, (size_t)n, deadline) < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot write to twofactl serve: %s", strerror(errno));
		goto out;
	}
	if (read_line(c->fd, &in, deadline) < 0) {
		pam_syslog(pamh, LOG_ERR, "no answer from twofactl serve within %d s", o->timeout);
		goto out;
	}
	a->root = json_tokener_parse(in);
	if (!a->root || !json_object_is_type(a->root, json_type_object) ||
	    !json_object_object_get_ex(a->root, "exit", &v) || !json_object_is_type(v, json_type_int)) {
		pam_syslog(pamh, LOG_ERR, "twofactl serve answered something else than an answer");
		answer_free(a);
		goto out;
	}
	a->exit = json_object_get_int(v);
	if (json_object_object_get_ex(a->root, "error", &v) && v &&
	    json_object_object_get_ex(v, "code", &v) && json_object_is_type(v, json_type_string))
		a->word = json_object_get_string(v);
	if (json_object_object_get_ex(a->root, "output", &out) &&
	    json_object_is_type(out, json_type_array) && json_object_array_length(out) > 0 &&
	    json_object_is_type(json_object_array_get_idx(out, 0), json_type_object))
		a->first = json_object_array_get_idx(out, 0);
	ret = 0;
out:
	explicit_bzero(line, REQUEST_MAX);
	free(line);
	free(in);
	return ret;
}

static int has_method(const struct answer *a, const char *m)
{
	json_object *arr;

	if (!a->first || !json_object_object_get_ex(a->first, "methods", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), m))
			return 1;
	return 0;
}

/* Which of email and sms comes first among the methods (the account's
 * first enrolled), or NULL. */
static const char *first_channel(const struct answer *a)
{
	json_object *arr;

	if (!a->first || !json_object_object_get_ex(a->first, "methods", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *m = json_object_get_string(json_object_array_get_idx(arr, i));

		if (!strcmp(m, "email") || !strcmp(m, "sms"))
			return m;
	}
	return NULL;
}

static int digits_of(const struct answer *a)
{
	json_object *v;
	int d;

	if (!a->first || !json_object_object_get_ex(a->first, "digits", &v))
		return 6;
	d = json_object_get_int(v);
	return d >= 6 && d <= 8 ? d : 6;
}

/* A code's shape (6-8 digits or a backup code, core/input.c): only such
 * input is ever sent, so a password never reaches verify. */
static int code_shaped(const char *s)
{
	char norm[CODE_MAX_INPUT + 1];
	int ok = s && code_classify(s, norm, sizeof norm) != CODE_BAD;

	explicit_bzero(norm, sizeof norm);
	return ok;
}

/* A backup code as printed: xxxx-xxxx-xxxx-xxxx (19 characters). */
static int backup_printed(const char *s)
{
	for (int i = 0; i < BACKUP_CHARS + 3; i++)
		if ((i % 5 == 4) != (s[i] == '-'))
			return 0;
	return code_shaped(s);
}

/* forward_pass: "password" followed by the code. The code is the last
 * `digits` characters when they are digits, else a backup code at the end,
 * as printed or without its dashes. On success *code points into s, at the
 * cut. */
static int split_code(char *s, int digits, char **code)
{
	size_t n = strlen(s);

	if (n >= (size_t)digits && strspn(s + n - (size_t)digits, "0123456789") == (size_t)digits)
		*code = s + n - (size_t)digits;
	else if (n >= BACKUP_CHARS + 3 && backup_printed(s + n - (BACKUP_CHARS + 3)))
		*code = s + n - (BACKUP_CHARS + 3);
	else if (n >= BACKUP_CHARS && strspn(s + n - BACKUP_CHARS, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                     "abcdefghijklmnopqrstuvwxyz234567") == BACKUP_CHARS)
		*code = s + n - BACKUP_CHARS;
	else
		return -1;
	return 0;
}

/* ---- the conversation ---- */

static void say(pam_handle_t *pamh, const struct opts *o, int style, const char *text)
{
	if (!o->silent)
		(void)pam_prompt(pamh, style, NULL, "%s", text);
}

/* Ask with echo off; *resp is malloc'd by the application (wipe_free it). */
static int ask(pam_handle_t *pamh, const char *text, char **resp)
{
	int r;

	*resp = NULL;
	r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, resp, "%s", text);
	if (r != PAM_SUCCESS) {
		wipe_free(*resp);
		*resp = NULL;
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_CONV_ERR;
	}
	if (!*resp)
		return PAM_CONV_ERR;
	return PAM_SUCCESS;
}

/* ---- the flow ---- */

/* A twofactl answer as a PAM result (pam_twofactl(8), RESULTS). */
static int pam_result(pam_handle_t *pamh, const struct opts *o, const char *step,
                      const struct answer *a)
{
	switch (a->exit) {
	case TF_OK:
		return PAM_SUCCESS;
	case TF_REJECTED:
		return PAM_AUTH_ERR;
	case TF_LOCKED:
		say(pamh, o, PAM_ERROR_MSG, "Too many failed attempts: try again later.");
		return PAM_MAXTRIES;
	case TF_NOENT:
		return PAM_USER_UNKNOWN;
	case TF_NEED_ENROL:
		say(pamh, o, PAM_ERROR_MSG, "This account must set up two-factor authentication "
		    "before it can log in here.");
		return PAM_AUTH_ERR;
	case TF_USAGE:
		/* what the user gave (the name at check, the code at verify)
		 * is malformed; a refusal of our role is the service's fault */
		if (a->word && !strcmp(a->word, "usage"))
			return !strcmp(step, "check") ? PAM_USER_UNKNOWN : PAM_AUTH_ERR;
		/* fall through */
	default:
		pam_syslog(pamh, LOG_ERR, "twofactl %s: exit %d (%s)", step, a->exit, a->word ? a->word : "-");
		if (a->exit == TF_DELIVERY)
			say(pamh, o, PAM_ERROR_MSG, "The code could not be sent.");
		return PAM_AUTHINFO_UNAVAIL;
	}
}

static int verify(pam_handle_t *pamh, const struct opts *o, struct conn *c, const struct who *w,
                  const char *code)
{
	json_object *argv = json_object_new_array();
	struct answer a;
	int ret;

	if (!code_shaped(code)) {   /* also keeps quotes and controls out of the line */
		json_object_put(argv);
		dbg(pamh, o, "%s: what was typed is not a code", w->user);
		return PAM_AUTH_ERR;
	}
	json_object_array_add(argv, json_object_new_string("verify"));
	add_who(argv, w, 1);
	ret = request(pamh, o, c, argv, code, &a);
	json_object_put(argv);
	if (ret < 0)
		return PAM_AUTHINFO_UNAVAIL;
	ret = pam_result(pamh, o, "verify", &a);
	dbg(pamh, o, "verify %s: exit %d", w->user, a.exit);
	answer_free(&a);
	return ret;
}

/* Send an email or SMS code; *sent then says how it went, for the prompt:
 * "sent by SMS, session 123" (the id the message carries). */
static int send_code(pam_handle_t *pamh, const struct opts *o, struct conn *c, const struct who *w,
                     const char *via, char *sent, size_t cap)
{
	json_object *argv = json_object_new_array(), *v;
	const char *name = !strcmp(via, "sms") ? "SMS" : "email";
	struct answer a;
	int ret;

	json_object_array_add(argv, json_object_new_string("send"));
	json_object_array_add(argv, json_object_new_string("--via"));
	json_object_array_add(argv, json_object_new_string(via));
	add_who(argv, w, 0);
	ret = request(pamh, o, c, argv, NULL, &a);
	json_object_put(argv);
	if (ret < 0)
		return PAM_AUTHINFO_UNAVAIL;
	dbg(pamh, o, "send %s --via %s: exit %d", w->user, via, a.exit);
	if (a.exit == TF_OK && a.first && json_object_object_get_ex(a.first, "session", &v) &&
	    strlen(json_object_get_string(v)) == 3 &&
	    strspn(json_object_get_string(v), "0123456789") == 3) {
		snprintf(sent, cap, "sent by %s, session %s", name, json_object_get_string(v));
		ret = PAM_SUCCESS;
	} else if (a.exit == TF_LOCKED && a.word && !strcmp(a.word, "rate_limited")) {
		/* one was sent a moment ago (code.resend): that code still works */
		snprintf(sent, cap, "sent by %s a moment ago", name);
		ret = PAM_SUCCESS;
	} else {
		ret = a.exit == TF_OK ? PAM_AUTHINFO_UNAVAIL : pam_result(pamh, o, "send", &a);
	}
	answer_free(&a);
	return ret;
}

/* check said a code is needed: get one (send, prompt, or the stack's
 * PAM_AUTHTOK) and verify it. */
static int code_flow(pam_handle_t *pamh, const struct opts *o, struct conn *c, const struct who *w,
                     const struct answer *chk)
{
	char prompt[160], sent[64], *typed = NULL, *code = NULL;
	const char *via = NULL, *tok = NULL;
	int app = has_method(chk, "totp") || has_method(chk, "hotp"), ret;

	if (o->pass == PASS_TRY_FIRST || o->pass == PASS_USE_FIRST) {
		if (pam_get_item(pamh, PAM_AUTHTOK, (const void **)&tok) != PAM_SUCCESS)
			tok = NULL;
		if (code_shaped(tok)) {
			ret = verify(pamh, o, c, w, tok);
			if (ret != PAM_AUTH_ERR || o->pass == PASS_USE_FIRST)
				return ret;
		} else if (o->pass == PASS_USE_FIRST) {
			dbg(pamh, o, "use_first_pass: no code in PAM_AUTHTOK");
			return PAM_AUTH_ERR;
		}
	}
	snprintf(prompt, sizeof prompt, "%s", o->prompt ? o->prompt :
	         o->pass == PASS_FORWARD ? "Password & verification code: " :
	         app ? "Verification code: " : "Backup code: ");
	if (!app && (via = first_channel(chk))) {
		if ((ret = send_code(pamh, o, c, w, via, sent, sizeof sent)) != PAM_SUCCESS)
			return ret;
		snprintf(prompt, sizeof prompt, o->pass == PASS_FORWARD ? "Password, then the code %s: "
		         : "Code %s: ", sent);
	} else if (!app && !has_method(chk, "backup")) {
		say(pamh, o, PAM_ERROR_MSG, "This account's second factor cannot be used here.");
		return PAM_AUTH_ERR;
	}
	if ((ret = ask(pamh, prompt, &typed)) != PAM_SUCCESS)
		return ret;
	if (o->pass == PASS_FORWARD) {
		if (split_code(typed, digits_of(chk), &code) < 0) {
			dbg(pamh, o, "forward_pass: no code at the end of the input");
			wipe_free(typed);
			return PAM_AUTH_ERR;
		}
		{
			char *pw = strndup(typed, (size_t)(code - typed));

			ret = pw ? pam_set_item(pamh, PAM_AUTHTOK, pw) : PAM_BUF_ERR;
			wipe_free(pw);
		}
		if (ret != PAM_SUCCESS) {
			wipe_free(typed);
			return ret;
		}
	} else {
		code = typed;
	}
	ret = verify(pamh, o, c, w, code);
	wipe_free(typed);
	return ret;
}

static int authenticate(pam_handle_t *pamh, const struct opts *o, struct conn *c, const struct who *w)
{
	json_object *argv = json_object_new_array();
	struct answer a;
	int ret;

	json_object_array_add(argv, json_object_new_string("check"));
	add_who(argv, w, 1);
	ret = request(pamh, o, c, argv, NULL, &a);
	json_object_put(argv);
	if (ret < 0)
		return PAM_AUTHINFO_UNAVAIL;
	dbg(pamh, o, "check %s: exit %d", w->user, a.exit);
	ret = a.exit == TF_NEED_CODE ? code_flow(pamh, o, c, w, &a) : pam_result(pamh, o, "check", &a);
	answer_free(&a);
	return ret;
}

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct opts o;
	struct conn c = { .fd = -1 };
	struct who w = { 0 };
	const void *item = NULL;
	unsigned char addr[16];
	int ret;

	if ((ret = parse_opts(pamh, flags, argc, argv, &o)) != PAM_SUCCESS)
		return ret;
	if (pam_get_user(pamh, &w.user, NULL) != PAM_SUCCESS || !w.user || !*w.user)
		return PAM_USER_UNKNOWN;
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS && item && service_name_valid(item))
		w.service = item;
	item = NULL;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item && rhost_valid(item)) {
		/* an address goes to --ip (whitelists); a name only to the audit log */
		if (inet_pton(AF_INET, item, addr) == 1 || inet_pton(AF_INET6, item, addr) == 1)
			w.ip = item;
		else
			w.rhost = item;
	}
	if (conn_open(pamh, &o, &c) < 0) {
		ret = PAM_AUTHINFO_UNAVAIL;
	} else {
		ret = authenticate(pamh, &o, &c, &w);
	}
	conn_close(&c);
	dbg(pamh, &o, "%s: %s", w.user, pam_strerror(pamh, ret));
	return ret;
}

EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
