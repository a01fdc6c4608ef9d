/* SPDX-License-Identifier: ISC */
#include "cmd/cmd.h"
#include "core/contact.h"
#include "core/role.h"
#include "core/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct globals g;

enum { OPT_AT = 0x100, OPT_JSON, OPT_VIA_SERVICE, OPT_RHOST };

static const struct argp_option common_options[] = {
	{ "dir", 'd', "DIR", 0, "Store directory (default $TWOFACTL_DIR, then " TF_DEFAULT_DIR ")", -1 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per result on stdout", -1 },
	{ "quiet", 'q', NULL, 0, "Print nothing but results and errors", -1 },
	{ "at", OPT_AT, "EPOCH", 0, "Evaluate as if the time were EPOCH (seconds)", -1 },
	{ "via-service", OPT_VIA_SERVICE, "NAME", 0, "Record NAME as the front end in the audit "
	  "log (pam_twofactl: the PAM service, such as sshd or sudo)", -1 },
	{ "rhost", OPT_RHOST, "HOST", 0, "Record HOST as the remote host in the audit log (a name; "
	  "an address that whitelists should see goes to --ip)", -1 },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	int64_t v;

	switch (key) {
	case ARGP_KEY_INIT:   /* argp's own messages (--help, a bad option) go where the command writes */
		state->out_stream = g.out;
		state->err_stream = g.err;
		return ARGP_ERR_UNKNOWN;
	case 'd':
		g.dir = arg;
		break;
	case OPT_JSON:
		g.json = 1;
		break;
	case 'q':
		g.quiet = 1;
		break;
	case OPT_AT:
		if (int_parse(arg, 0, TIME_AT_MAX, &v))
			USAGE(state, "--at: '%s' is not a time in seconds since 1970 from 0 to %lld", safe(arg),
			      (long long)TIME_AT_MAX);
		g.now = v;
		g.at_set = 1;
		break;
	case OPT_VIA_SERVICE:
		if (!service_name_valid(arg))
			USAGE(state, "--via-service: '%s' is not a service name (1 to %d of A-Z a-z 0-9 . _ @ + -)",
			      safe(arg), SERVICE_NAME_MAX);
		g.via_service = arg;
		break;
	case OPT_RHOST:
		if (!rhost_valid(arg))
			USAGE(state, "--rhost: '%s' is not a host name or address (1 to %d of A-Z a-z 0-9 . - : _ %%)",
			      safe(arg), RHOST_MAX);
		g.rhost = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp common_argp = { common_options, common_parse, NULL, NULL, NULL, NULL, NULL };

const struct argp_child common_children[] = {
	{ &common_argp, 0, "Global options:", 100 },
	{ 0 }
};

error_t parse_flag(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		USAGE(state, "unexpected argument '%s'", safe(arg));
	if (key > 0 && key < ARGP_KEY_END)   /* the command's one option */
		*(int *)state->input = 1;
	else
		return ARGP_ERR_UNKNOWN;
	return 0;
}

error_t parse_no_args(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		USAGE(state, "unexpected argument '%s'", safe(arg));
	return ARGP_ERR_UNKNOWN;
}

/* getopt's own complaint (an unknown option, a missing argument) goes to
 * standard error before argp gives up, and nowhere else: while a command's
 * options are parsed, standard error passes through this note, which
 * records the first line as the usage error's message (its "twofactl CMD: "
 * prefix dropped), so --json's error object and serve's answer say what
 * was wrong, as the text does. */
struct parse_note {
	FILE *to;
	const char *prefix;
	char line[256];
	size_t n;
	int done;
};

static ssize_t note_write(void *c, const char *buf, size_t size)
{
	struct parse_note *pn = c;

	for (size_t i = 0; i < size && !pn->done; i++) {
		if (buf[i] != '\n') {
			if (pn->n + 1 < sizeof pn->line)
				pn->line[pn->n++] = buf[i];
			continue;
		}
		pn->line[pn->n] = '\0';
		pn->done = 1;
		if (!g.err_word && pn->n) {
			const char *m = pn->line;
			size_t pl = strlen(pn->prefix);

			if (!strncmp(m, pn->prefix, pl) && !strncmp(m + pl, ": ", 2))
				m += pl + 2;
			set_error("usage", "%s", m);
		}
	}
	return fwrite(buf, 1, size, pn->to) == size ? (ssize_t)size : -1;
}

static int noted_parse(const struct argp *argp, int argc, char **argv, unsigned flags, void *input)
{
	struct parse_note pn = { .to = stderr, .prefix = argv[0] };
	FILE *f = fopencookie(&pn, "w", (cookie_io_functions_t){ .write = note_write });
	int r;

	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		stderr = f;
	}
	r = argp_parse(argp, argc, argv, flags, NULL, input);   /* may exit: pn lives on */
	if (f) {
		stderr = pn.to;
		fclose(f);
	}
	return r;
}

int cmd_parse(const struct argp *argp, int argc, char **argv, void *input)
{
	FILE *out = stdout, *err = stderr;
	error_t e;

	if (g.complete) {   /* twofactl __complete: the parser is all it wants */
		g.complete_argp = argp;
		return CMD_PARSED;
	}
	if (!g.batch) {
		noted_parse(argp, argc, argv, 0, input);
		/* the command line is whole: -d is known, nothing is open yet
		 * (inside batch and serve, the first command did this) */
		return act_as_store_owner(store_dir());
	}
	/* getopt says a bad option on stderr itself: the line's, for the parse */
	stdout = g.out;
	stderr = g.err;
	e = noted_parse(argp, argc, argv, ARGP_NO_EXIT, input);
	stdout = out;
	stderr = err;
	return e ? EXIT_USAGE : EXIT_OK;
}

void set_ctx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g.ctx, sizeof g.ctx, fmt, ap);
	va_end(ap);
}

static void record_error(const char *word, const char *msg);

static int vfailw(int code, const char *word, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int vfailw(int code, const char *word, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	record_error(word ? word : exit_word(code), msg);
	fflush(g.out);
	/* a message may carry what the store said (a key of a hand-edited config,
	 * a file name): controls left in it are escaped on the terminal */
	if (g.ctx[0])
		fprintf(g.err, "twofactl: %s: %s\n", terminal_text(g.ctx), terminal_text(msg));
	else
		fprintf(g.err, "twofactl: %s\n", terminal_text(msg));
	return code;
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfailw(code, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int failw(int code, const char *word, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfailw(code, word, fmt, ap);
	va_end(ap);
	return ret;
}

const char *exit_word(int code)
{
	switch (code) {
	case EXIT_OK: return "ok";
	case EXIT_REJECTED: return "rejected";
	case EXIT_USAGE: return "usage";
	case EXIT_NOENT: return "not_found";
	case EXIT_LOCKED: return "locked";
	case EXIT_STORE: return "store";
	case EXIT_DELIVERY: return "delivery";
	case EXIT_BUSY: return "busy";
	case EXIT_NEED_CODE: return "code_needed";
	case EXIT_NEED_ENROL: return "enrolment_needed";
	default: return "error";
	}
}

int allow_force(void)
{
	if (g.serve && g.role != ROLE_ADMIN)
		return failw(EXIT_USAGE, "forbidden", "--force is for administrators");
	return EXIT_OK;
}

int allow_admin_option(const char *option)
{
	if (g.serve && g.role != ROLE_ADMIN)
		return failw(EXIT_USAGE, "forbidden", "%s is for administrators", option);
	return EXIT_OK;
}

error_t parse_phone(struct argp_state *state, const char *opt, const char *arg, char *out, size_t cap)
{
	switch (phone_normalize(arg, out, cap)) {
	case PHONE_OK:
		return 0;
	case PHONE_00:
		USAGE(state, "%s: '%s': write the international number with + instead of 00, "
		      "e.g. +420 601 234 567", opt, safe(arg));
	case PHONE_NO_PLUS:
		USAGE(state, "%s: '%s' has no country code: write it in international form, "
		      "starting with +, e.g. +420 601 234 567", opt, safe(arg));
	case PHONE_CHAR:
		USAGE(state, "%s: '%s' is not a phone number: use + and digits, with spaces, dashes, "
		      "dots or parentheses between them if you like", opt, safe(arg));
	case PHONE_LENGTH:
	default:
		USAGE(state, "%s: '%s' is not an international number: + and the country code, "
		      "then 8 to 15 digits in all", opt, safe(arg));
	}
}

error_t parse_email(struct argp_state *state, const char *opt, const char *arg, char *out, size_t cap)
{
	switch (email_normalize(arg, out, cap)) {
	case CORE_OK:
		return 0;
	case CORE_ECRYPTO:
		USAGE(state, "%s: '%s': internationalised domains need libidn2, which cannot be loaded",
		      opt, safe(arg));
	default:
		USAGE(state, "%s: '%s' is not an email address (the part before @ in ASCII)", opt, safe(arg));
	}
}

int plain_terminal(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return (nc && *nc) || !term || !*term || !strcmp(term, "dumb");
}

int show_progress(void)
{
	return out_isatty(g.err) && !plain_terminal() && !g.quiet && !g.json;
}

const char *safe(const char *s)
{
	static char buf[4][160];
	static int slot;
	char *out = buf[slot++ & 3];
	size_t j = 0;

	for (size_t i = 0; s[i] && j + 5 < sizeof buf[0]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			out[j++] = (char)c;
		} else {
			j += (size_t)snprintf(out + j, 5, "\\x%02x", c);
		}
		if (i >= 60) {
			memcpy(out + j, "...", 4);
			return out;
		}
	}
	out[j] = '\0';
	return out;
}

/* Length of the valid UTF-8 sequence at s (2 to 4 bytes), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;   /* overlong, surrogate, out of range, or a C1 control */
	return n;
}

int text_line_ok(const char *s)
{
	return core_text_line_ok(s);
}

const char *terminal_text(const char *s)
{
	static char buf[2][4 * 1024 + 8];
	static unsigned slot;
	char *out = buf[slot++ & 1];
	size_t j = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	for (; *p && j + 8 < sizeof buf[0]; p++) {
		if (*p < 0x20 || *p == 0x7f)
			j += (size_t)snprintf(out + j, 5, "\\x%02x", *p);
		else
			out[j++] = (char)*p;
	}
	out[j] = '\0';
	return out;
}

const char *printable(const char *s)
{
	static char buf[8][4 * TEXT_MAX + 8];
	static unsigned slot;
	char *out = buf[slot++ & 7];
	size_t j = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p && j + 8 < sizeof buf[0]) {
		size_t n;

		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			out[j++] = (char)*p++;
		} else if (*p >= 0x80 && (n = utf8_seq(p)) && n == 3 && !core_text_line_ok((const char[]){
		                   (char)p[0], (char)p[1], (char)p[2], 0 })) {
			/* a bidirectional override or a line separator: shown, not obeyed */
			j += (size_t)snprintf(out + j, 7, "\\u%04x",
			                      (unsigned)((p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu)));
			p += n;
		} else if (*p >= 0x80 && (n = utf8_seq(p))) {
			memcpy(out + j, p, n);
			j += n;
			p += n;
		} else {
			if (*p == '\\') {
				out[j++] = '\\';
				out[j++] = '\\';
			} else {
				j += (size_t)snprintf(out + j, 5, "\\x%02x", *p);
			}
			p++;
		}
	}
	if (*p)
		memcpy(out + j, "...", 4);
	else
		out[j] = '\0';
	return out;
}

/* The command's clock: --at, or the time the command started. */
static int64_t cli_clock(void *ctx)
{
	(void)ctx;
	return g.now;
}

/* The library says each failure as it happens, as fail() does. */
static void cli_error(void *ctx, tf_status st, const char *word, const char *message)
{
	(void)ctx;
	failw((int)st, word, "%s", message);
}

const char *store_dir(void)
{
	const char *dir = g.dir ? g.dir : getenv("TWOFACTL_DIR");

	return dir && *dir ? dir : TF_DEFAULT_DIR;
}

/* Inside a batch or serve every line shares one handle: opening the store
 * (the key, its subkeys, the config) is most of the work of a small command.
 * Elsewhere the handle lives while someone holds it (open_store and
 * sess_begin take it, close_store and sess_end give it back). */
static unsigned handle_refs;
static int acquire_handle(unsigned flags);
static void release_handle(void);

/* What the library does not read from the environment: the command line does. */
static void env_options(struct tf_options *o)
{
	const char *shared = getenv("TWOFACTL_SHARED");

	o->passphrase_file = getenv("TWOFACTL_PASSPHRASE_FILE");
	o->shared = shared && !strcmp(shared, "yes") ? TF_SHARED_YES
	            : shared && !strcmp(shared, "no") ? TF_SHARED_NO : TF_SHARED_DETECT;
}

static int acquire_handle(unsigned flags)
{
	struct tf_options o = { .clock = cli_clock, .on_error = cli_error, .flags = flags };
	const char *dir = store_dir();
	int st;

	env_options(&o);
	if (g.serve) {   /* a request uses the server's store, at the real time unless admin */
		if (g.dir && strcmp(g.dir, g.serve_dir))
			return failw(EXIT_USAGE, "forbidden", "a request cannot name another store");
		if (g.at_set && g.role != ROLE_ADMIN)
			return failw(EXIT_USAGE, "forbidden", "--at is for administrators");
	}
	if (!g.h) {
		if (!g.batch && (st = act_as_store_owner(dir)))   /* done already by cmd_parse */
			return st;
		o.dir = dir;
		o.role = g.serve ? (tf_role)g.role : TF_ROLE_ADMIN;
		o.caller_uid = g.caller_uid;
		if ((st = tf_open(&g.h, &o))) {
			tf_close(&g.h);
			return st;
		}
	}
	if ((g.via_service || g.rhost) && (st = tf_set_origin(g.h, g.via_service, g.rhost))) {
		if (!handle_refs && !g.batch)
			tf_close(&g.h);
		return st;
	}
	handle_refs++;
	return EXIT_OK;
}

static void release_handle(void)
{
	if (handle_refs && --handle_refs)
		return;
	if (g.h && !g.batch)
		tf_close(&g.h);
	else if (g.h)   /* the next line of a batch says its own origin */
		TF_IGNORE(tf_set_origin(g.h, NULL, NULL));
}

int open_handle_quiet(tf **h)
{
	struct tf_options o = { .dir = store_dir(), .clock = cli_clock };
	int st;

	env_options(&o);
	if (!g.batch && (st = act_as_store_owner(o.dir)))
		return st;
	st = tf_open(h, &o);
	if (*h)
		tf_set_error_hook(*h, cli_error, NULL);   /* from now on failures are said */
	return st;
}

void batch_store_release(void)
{
	handle_refs = 0;
	tf_close(&g.h);
}

void batch_line_done(void)
{
	handle_refs = 0;
	if (g.h)
		TF_IGNORE(tf_set_origin(g.h, NULL, NULL));
}

int check_name(const char *name)
{
	if (!account_name_valid(name))
		return fail(EXIT_USAGE, "invalid account name '%s': use 1 to 64 of A-Z a-z 0-9 . _ @ + -, "
		            "not starting with . or -", safe(name));
	return EXIT_OK;
}

void skipped_record(void *ctx, const char *why)
{
	struct skipped *k = ctx;

	k->n++;
	fail(EXIT_STORE, "%s: skipped", why);
}

int skipped_end(const struct skipped *k, int ret)
{
	if (!k->n || ret)
		return ret;
	return fail(EXIT_STORE, "%u unreadable record%s skipped: see twofactl fsck", k->n, k->n == 1 ? "" : "s");
}

int out_flush(void)
{
	int e;

	if (fflush(g.out) == 0 && !ferror(g.out))
		return EXIT_OK;
	e = errno;
	g.out_failed = 1;
	return fail(EXIT_STORE, "cannot write standard output: %s: nothing was changed", strerror(e));
}

void emit_json(json_object *o)
{
	json_object *out = json_object_new_object();

	/* "schema" first, then the command's fields in their order */
	json_object_object_add(out, "schema", json_object_new_int(JSON_SCHEMA));
	json_object_object_foreach(o, k, v)
		json_object_object_add(out, k, json_object_get(v));
	json_object_put(o);
	out_puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
}

void emit_result(const char *name, const char *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "result", json_object_new_string(result));
	emit_json(o);
}

void emit_json_error(int code)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	char msg[64];

	snprintf(msg, sizeof msg, "exit status %d", code);
	json_object_object_add(e, "code", json_object_new_string(g.err_word ? g.err_word : exit_word(code)));
	json_object_object_add(e, "message", json_object_new_string(g.err_msg[0] ? g.err_msg : msg));
	json_object_object_add(o, "error", e);
	emit_json(o);
}

static void record_error(const char *word, const char *msg)
{
	if (g.err_word)   /* the first failure is the one a caller reports */
		return;
	g.err_word = word;
	memcpy(g.err_msg, msg, sizeof g.err_msg - 1);   /* cut, like any long message */
	g.err_msg[sizeof g.err_msg - 1] = '\0';
}

void set_error(const char *word, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	record_error(word, msg);
}

void usage_error(const struct argp_state *state, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	record_error("usage", msg);
	argp_failure(state, EXIT_USAGE, 0, "%s", msg);
}

int run_verbs(const char *noun, const struct verb *verbs, int argc, char **argv)
{
	char name[64];

	if (g.complete) {   /* twofactl __complete: the verbs, or the verb's parser */
		for (const struct verb *v = verbs; argc >= 2 && v->name; v++)
			if (!strcmp(argv[1], v->name)) {
				g.complete_depth = 1;
				return v->fn(argc - 1, argv + 1);
			}
		g.complete_verbs = verbs;
		return EXIT_OK;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		FILE *f = argc < 2 ? g.err : g.out;

		fprintf(f, "Usage: twofactl %s VERB [OPTION...] [ARG...]\n\nVerbs:\n", noun);
		for (const struct verb *v = verbs; v->name; v++)
			fprintf(f, "  %-10s %s\n", v->name, v->summary);
		fprintf(f, "\nRun 'twofactl %s VERB --help' for a verb's options.\n", noun);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(argv[1], v->name))
			continue;
		snprintf(name, sizeof name, "twofactl %s %s", noun, v->name);
		argv[1] = name;
		set_ctx("%s %s", noun, v->name);
		return v->fn(argc - 1, argv + 1);
	}
	set_ctx("%s", noun);
	return fail(EXIT_USAGE, "unknown verb '%s': try twofactl %s --help", safe(argv[1]), noun);
}

int cli_open(tf **h)
{
	int ret = acquire_handle(0);

	*h = ret ? NULL : g.h;
	return ret;
}

int cli_open_flags(tf **h, unsigned flags)
{
	int ret = acquire_handle(flags);

	*h = ret ? NULL : g.h;
	return ret;
}

void cli_options(struct tf_options *o)
{
	memset(o, 0, sizeof *o);
	o->dir = store_dir();
	o->clock = cli_clock;
	o->on_error = cli_error;
	o->role = g.serve ? (tf_role)g.role : TF_ROLE_ADMIN;
	o->caller_uid = g.caller_uid;
	env_options(o);
}

void cli_close(tf *h)
{
	if (h)
		release_handle();
}

int64_t cli_now(void)
{
	return g.now;
}

int cli_result(void *ctx, json_object *o)
{
	const struct cli_out *c = ctx;

	if (g.json)
		emit_json(json_object_get(o));
	else if (c && c->render)
		c->render(o);
	return ferror(g.out) ? -1 : 0;
}

/* The same, under --json without "to": the address or number a code went
 * to is said in the text only. */
int cli_result_without_to(void *ctx, json_object *o)
{
	if (g.json)
		json_object_object_del(o, "to");
	return cli_result(ctx, o);
}

int cli_flush(void *ctx)
{
	(void)ctx;
	return out_flush();
}
