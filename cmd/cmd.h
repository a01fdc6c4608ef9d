/* SPDX-License-Identifier: ISC */
/* cmd/ — the command line: argp parsing, output, exit codes. Only cmd/ prints. */
#ifndef TWOFACTL_CMD_H
#define TWOFACTL_CMD_H

#include <argp.h>
#include <json-c/json.h>
#include <stdint.h>

#include "core/record.h"
/* While issue 14 moves the use cases into lib/, the cmd/ files not yet
 * converted reach lib/'s internals; converted ones need only twofactl.h. */
#include "include/twofactl.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_REJECTED = 1,
	EXIT_USAGE = 2,
	EXIT_NOENT = 3,
	EXIT_LOCKED = 4,
	EXIT_STORE = 5,
	EXIT_DELIVERY = 6,
	EXIT_BUSY = 7,
	EXIT_NEED_CODE = 10,
	EXIT_NEED_ENROL = 11,
};

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

struct globals {
	/* Where a command writes: stdout and stderr, or (inside batch and
	 * serve) buffers of the line or request being answered. */
	FILE *out, *err;
	const char *dir;
	int batch;              /* inside twofactl batch */
	int json;
	int quiet;
	int at_set;
	int64_t now;
	/* Who relays the request, for the audit log (--via-service, --rhost). */
	const char *via_service;
	const char *rhost;
	char ctx[192];          /* "verify alice": the subject of error messages */
	/* A command's standard input when it is not fd 0 (serve: the request's
	 * "stdin"; batch: nothing, secrets come on the line). */
	int in_mem;
	const char *in_buf;
	size_t in_len, in_pos;
	/* The first failure of the command: a stable word and its message
	 * (serve and --json report them). */
	const char *err_word;
	char err_msg[512];
	/* Inside twofactl serve: the caller's role, and the one store it may use. */
	int serve;
	int envelope;           /* batch and serve: their own objects carry each error */
	int role;               /* enum role (core/role.h) */
	uint32_t caller_uid;    /* audited with refusals */
	const char *serve_dir;
	int out_failed;         /* standard output refused what was written (said once) */
	/* Inside twofactl __complete: a command stops at its parser. */
	int complete;
	const struct argp *complete_argp;
	const struct verb *complete_verbs;
	int complete_depth;     /* 1 when a verb was taken */
	tf *h;                  /* the open store (inside batch and serve: the session's) */
	/* twofactl init: whom root may hand a new store to (cmd/owner.c). */
	int init;
	const char *init_owner; /* --owner USER */
};
extern struct globals g;

static inline int out_puts(const char *s)
{
	return fputs(s, g.out) == EOF || fputc('\n', g.out) == EOF ? EOF : 0;
}

static inline int out_putc(int c)
{
	return fputc(c, g.out);
}

/* A terminal (never a buffer of batch or serve). */
static inline int out_isatty(FILE *f)
{
	int fd = fileno(f);

	return fd >= 0 && isatty(fd);
}

/* The options every command accepts (also before the command). */
extern const struct argp common_argp;
extern const struct argp_child common_children[];

/* A usage error inside an argp parser: one line, and the parse stops (the
message is recorded like fail()'s, for serve and --json). */
void usage_error(const struct argp_state *state, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define USAGE(state, ...) do { usage_error(state, __VA_ARGS__); return EINVAL; } while (0)

/* Parse a command's options; argv[0] is "twofactl CMD". On the command
 * line, exits 2 on a usage error and 0 after --help, as argp does (the
 * process ends there); inside batch and serve, a usage error returns 2,
 * said like fail()'s; inside __complete, the parser is all that is wanted:
 * it returns CMD_PARSED. 0: go on. A command starts with CMD_PARSE, which
 * returns from the command on anything but 0, before it takes a resource. */
#define CMD_PARSED (-1)
int cmd_parse(const struct argp *argp, int argc, char **argv, void *input);
#define CMD_PARSE(argp, argc, argv, input) do { \
		int cmd_parse_rc_ = cmd_parse(argp, argc, argv, input); \
		if (cmd_parse_rc_) \
			return cmd_parse_rc_ == CMD_PARSED ? EXIT_OK : cmd_parse_rc_; \
	} while (0)
/* The argp parser of a command without arguments of its own. */
error_t parse_no_args(int key, char *arg, struct argp_state *state);
/* The parser of a command whose one option is a flag and that takes no
 * arguments: the input is an int, set to 1 by the flag. */
error_t parse_flag(int key, char *arg, struct argp_state *state);

void set_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "twofactl: <ctx>: <message>" on stderr; returns code. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a stable error word other than the exit code's default
 * (serve's error.code: "replayed", "rate_limited", "forbidden", ...). */
int failw(int code, const char *word, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The stable word of an exit code (serve, --json errors). */
const char *exit_word(int code);
/* Inside serve, an administrator's override (--force) needs the admin role:
 * EXIT_OK when allowed, else a refusal (exit 2, word "forbidden"). */
int allow_force(void);
/* The same for another administrator's option (--must-enrol, --allow-broad). */
int allow_admin_option(const char *option);
/* Contact details as typed -> as stored (E.164; an email domain in ASCII).
 * 0, or EINVAL after a usage message naming opt ("--phone"). */
error_t parse_phone(struct argp_state *state, const char *opt, const char *arg, char *out, size_t cap);
error_t parse_email(struct argp_state *state, const char *opt, const char *arg, char *out, size_t cap);

/* A terminal that wants no colour or control sequences: NO_COLOR set (to
 * anything but the empty string) or TERM=dumb (or unset). */
int plain_terminal(void);
/* Progress lines (\r, erase line) on stderr: a terminal, not plain, not -q or --json. */
int show_progress(void);
/* A printable, quoted-safe copy of untrusted text for messages (static buffer). */
const char *safe(const char *s);
/* Text from users (labels, notes, reasons, issuers, names, addresses) for
 * the text output: control characters (C0, DEL, C1) and invalid UTF-8 as
 * \xNN, a backslash as \\, so nothing a user typed can move an admin's
 * cursor, forge a line or reach the terminal as an escape sequence; other
 * UTF-8 is kept. One of 8 static buffers, each up to 4 * TEXT_MAX bytes. */
const char *printable(const char *s);
/* A message of ours for stderr with the control characters (C0, DEL) it
 * may have picked up from the store escaped; backslashes are kept as they
 * are (the message's own quoting). One of 2 static buffers. */
const char *terminal_text(const char *s);
/* One line of text without control characters (labels, notes, reasons). */
int text_line_ok(const char *s);

/* The store directory: -d, else $TWOFACTL_DIR, else the default. */
const char *store_dir(void);
/* Root on a store directory another user owns becomes that user for good
 * (cmd/owner.c); EXIT_OK, or EXIT_STORE when it cannot. cmd_parse calls it
 * once a command's options are parsed, before the command opens anything. */
int act_as_store_owner(const char *dir);
void batch_store_release(void);
/* A handle of one's own whose opening failure is not said (health reports
 * it); tf_error_message() tells why. */
int open_handle_quiet(tf **h);
/* After each command of a batch or a serve session: the shared handle
 * forgets that command's holds and origin. */
void batch_line_done(void);
/* An account name from the command line: exit 2 with a message when invalid. */
int check_name(const char *name);

/* Read one line (a code or a secret) from stdin; strips the newline.
 * Refuses NUL bytes and lines longer than cap - 1. */
int read_stdin_line(char *buf, size_t cap, const char *what);
/* Another line from stdin, if there is one: 1 read, 0 none, -1 error. */
int read_stdin_line_opt(char *buf, size_t cap);
char *read_input(const char *file, size_t max);
/* A code from argv, or from stdin when absent or "-". */
int get_code(const char *arg, char *buf, size_t cap);

/* The step-up code (include/twofactl.h) of a change to an account's
 * factors: inside serve, for a caller that is not an administrator, the
 * first line of standard input ("" when there is none). before_json: a
 * JSON text follows on stdin (webauthn register), so a first line that
 * starts with '{' is no code. The caller wipes buf. */
#define STEPUP_MAX (CODE_MAX_INPUT + 2)
int read_stepup(char *buf, size_t cap, int before_json);

/* store_scan's report of a record it skipped: one line on stderr, and
 * counted; the command answers 5 at the end (skipped_end). */
struct skipped {
	unsigned n;
};
void skipped_record(void *ctx, const char *why);
int skipped_end(const struct skipped *k, int ret);


/* Output. */
#define JSON_SCHEMA 1                   /* the "schema" of every --json object: twofactl-json(7) */
void emit_json(json_object *o);         /* adds "schema", prints and frees */
/* {"schema": 1, "name": NAME, "result": RESULT}: a success with nothing else to say. */
void emit_result(const char *name, const char *result);
/* {"schema": 1, "error": {"code": WORD, "message": TEXT}} of the first failure
 * recorded (or of the exit code when none was), on stdout. */
void emit_json_error(int code);
/* Record a failure for serve and --json without a line on stderr (health:
 * its answer is on stdout already). */
void set_error(const char *word, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Push what was printed out to standard output now: a command that shows a
 * secret once (backup codes, a device token, a password) or an answer that
 * spends something (verify) prints it and calls this before it commits the
 * change; EXIT_STORE (said) when standard output cannot take it, and then
 * the caller changes nothing. */
int out_flush(void);

/* The library's handle for one command (inside batch and serve: the
 * session's); cli_close gives it back. */
int cli_open(tf **h);
/* The same with TF_OPEN_* flags (the first opening of the command decides). */
int cli_open_flags(tf **h, unsigned flags);
void cli_close(tf *h);
/* The command line's clock (--at, or when the command started): for
 * options that name a time relative to now (audit --since). */
int64_t cli_now(void);
/* The options the command line opens its handles with (-d, --at's clock,
 * the error hook, the caller's role): for init, which makes the store. */
void cli_options(struct tf_options *o);

/* Results of the library printed as they come: under --json the object as
 * it is (emit_json), otherwise through the command's render function (which
 * minds -q). CLI_SINK(render) is a struct tf_sink * for one call. */
typedef void (*cli_render_fn)(json_object *o);
struct cli_out {
	cli_render_fn render;
};
int cli_result(void *ctx, json_object *o);
int cli_result_without_to(void *ctx, json_object *o);
int cli_flush(void *ctx);
#define CLI_SINK(render) (&(const struct tf_sink){ cli_result, cli_flush, &(struct cli_out){ render } })

/* Dispatch of nested verbs: "user add". */
struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};
int run_verbs(const char *noun, const struct verb *verbs, int argc, char **argv);

/* Command families. */
int cmd_init(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_disable(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_code(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_whitelist(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_expire(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_recovery(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_oidc(int argc, char **argv);
int cmd_webauthn(int argc, char **argv);
/* An exit code that is a command's answer, not a failure: 0, and check's
 * 10 and 11 (twofactl.c). */
int answered(int rc);
/* Run one command: argv[0] is its name (twofactl.c). */
int run_command(int argc, char **argv);
/* The same with its output and errors captured, and in as its standard
 * input (cmd/batch.c; batch and serve). */
int run_captured(char **argv, int n, const char *in, size_t inlen,
                 char **out, size_t *outlen, char **err, size_t *errlen);
int cmd_serve(int argc, char **argv);
/* twofactl __complete WORD... CURRENT (cmd/complete.c): completion candidates. */
int cmd_complete(int argc, char **argv);
/* The i'th command of the table and its summary; NULL past the end. */
const char *command_name(size_t i, const char **summary);
/* The i'th configuration key; NULL past the end (cmd/config.c). */
const char *config_key_name(size_t i);

#endif
