/* SPDX-License-Identifier: ISC */
/* twofactl — the command table, global options and main. */
#include "cmd/cmd.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef TWOFACTL_VERSION
#define TWOFACTL_VERSION "unknown"
#endif
#ifndef TWOFACTL_BUG_ADDRESS
#define TWOFACTL_BUG_ADDRESS "<bugs@twofactl.example>"
#endif

const char *argp_program_version = "twofactl " TWOFACTL_VERSION;
const char *argp_program_bug_address = TWOFACTL_BUG_ADDRESS;

/* The command table, as git's cmd_struct: what each command needs. */
enum {
	CMD_STORE = 1,        /* opens a store */
	CMD_WRITES = 2,       /* may change it (audited) */
	CMD_NOT_NESTED = 4,   /* never inside batch or serve (it makes a store, or is a session) */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned flags;
	const char *summary;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "init", cmd_init, CMD_WRITES | CMD_NOT_NESTED, "create a store: directory, master key, config" },
	{ "user", cmd_user, CMD_STORE | CMD_WRITES, "add, list, show, set, del, unlock, rename accounts" },
	{ "enroll", cmd_enroll, CMD_STORE | CMD_WRITES, "enrol an app (key, URI, QR), email or SMS" },
	{ "confirm", cmd_confirm, CMD_STORE | CMD_WRITES, "activate a pending factor with a code; prints backup codes" },
	{ "show", cmd_show, CMD_STORE | CMD_WRITES, "re-show an account's key and QR to sync a new device" },
	{ "disable", cmd_disable, CMD_STORE | CMD_WRITES, "turn 2FA off (needs a valid code unless --force)" },
	{ "verify", cmd_verify, CMD_STORE | CMD_WRITES, "check a code: exit 0 accepted, 1 rejected, 4 locked out" },
	{ "code", cmd_code, CMD_STORE | CMD_WRITES, "print the current code (admin test aid)" },
	{ "backup", cmd_backup, CMD_STORE | CMD_WRITES, "issue, list, revoke single-use backup codes" },
	{ "send", cmd_send, CMD_STORE | CMD_WRITES, "send a one-time code by email or SMS; prints the session id" },
	{ "check", cmd_check, CMD_STORE | CMD_WRITES, "after the password: 0 no code, 10 code needed, 11 enrol" },
	{ "org", cmd_org, CMD_STORE | CMD_WRITES, "organisations and their policies: required, optional, off" },
	{ "whitelist", cmd_whitelist, CMD_STORE | CMD_WRITES, "addresses whose logins skip 2FA" },
	{ "trust", cmd_trust, CMD_STORE | CMD_WRITES, "remembered devices: add, list, revoke" },
	{ "expire", cmd_expire, CMD_STORE | CMD_WRITES, "the cron job: expiry, incomplete-login warnings" },
	{ "audit", cmd_audit, CMD_STORE | CMD_WRITES, "show the sealed audit log; 'audit verify' checks its chain" },
	{ "recovery", cmd_recovery, CMD_STORE | CMD_WRITES, "lost-device tickets: file, list, show, approve, deny" },
	{ "export", cmd_export, CMD_STORE, "accounts as JSON (keys only with --include-secrets)" },
	{ "import", cmd_import, CMD_STORE | CMD_WRITES, "from pam_oath, google-authenticator, URIs, exports" },
	{ "rekey", cmd_rekey, CMD_STORE | CMD_WRITES, "a new master key; every file sealed again (crash-safe)" },
	{ "fsck", cmd_fsck, CMD_STORE | CMD_WRITES, "check every file of the store; --repair quarantines bad ones" },
	{ "passwd", cmd_passwd, CMD_STORE | CMD_WRITES, "set an account's password (stdin)" },
	{ "reset", cmd_reset, CMD_STORE | CMD_WRITES, "password reset by email: send a link, redeem a token" },
	{ "webauthn", cmd_webauthn, CMD_STORE | CMD_WRITES, "FIDO2/WebAuthn keys: challenge, register, list, del" },
	{ "oidc", cmd_oidc, CMD_STORE | CMD_WRITES, "OpenID Connect identities: link, unlink, lookup" },
	{ "health", cmd_health, CMD_STORE, "a monitoring check (Nagios: exit 0/1/2/3)" },
	{ "batch", cmd_batch, CMD_STORE | CMD_WRITES | CMD_NOT_NESTED, "one command per line of stdin, in one process" },
	{ "serve", cmd_serve, CMD_STORE | CMD_WRITES | CMD_NOT_NESTED, "JSON requests on stdin for front ends (roles by peer uid)" },
	{ "config", cmd_config, CMD_STORE | CMD_WRITES, "get, set, list store configuration" },
	{ "help", cmd_help, 0, "list the commands" },
	{ NULL, NULL, 0, NULL }
};

static void list_commands(FILE *f)
{
	fprintf(f, "Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'twofactl COMMAND --help' for a command's options; see twofactl(1).\n");
}

static const struct argp help_argp = {
	NULL, parse_no_args, NULL, "List the commands; with --json, one object {name, summary} each.",
	common_children, NULL, NULL
};

static int cmd_help(int argc, char **argv)
{
	CMD_PARSE(&help_argp, argc, argv, NULL);
	if (g.json) {
		for (const struct command *c = commands; c->name; c++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(c->name));
			json_object_object_add(o, "summary", json_object_new_string(c->summary));
			json_object_object_add(o, "store", json_object_new_boolean(c->flags & CMD_STORE));
			json_object_object_add(o, "writes", json_object_new_boolean(c->flags & CMD_WRITES));
			emit_json(o);
		}
		return EXIT_OK;
	}
	fprintf(g.out, "Usage: twofactl [-d DIR] [--json] [-q] [--at EPOCH] COMMAND [ARG...]\n\n");
	list_commands(g.out);
	return EXIT_OK;
}

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[32], cur[32];

	if (la > 30 || lb > 30)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof cur);
	}
	return prev[lb];
}

struct root {
	int cmd_index;
};

static error_t root_parse(int key, char *arg, struct argp_state *state)
{
	struct root *r = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = NULL;
		break;
	case ARGP_KEY_ARG:
		r->cmd_index = state->next - 1;
		state->next = state->argc;   /* the command parses the rest */
		break;
	case ARGP_KEY_NO_ARGS:
		set_error("usage", "no command: see twofactl help");
		fprintf(g.err, "Usage: twofactl [OPTION...] COMMAND [ARG...]\n\n");
		list_commands(g.err);
		exit(EXIT_USAGE);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static char *root_help(int key, const char *text, void *input)
{
	(void)input;
	if (key == ARGP_KEY_HELP_POST_DOC) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (!m)
			return NULL;
		list_commands(m);
		fprintf(m, "\nExit status: 0 success, 1 code rejected, 2 usage, 3 no such entry, "
		        "4 locked out, 5 store error, 6 delivery failed, 7 store busy, "
		        "10/11 check: code/enrolment needed.");
		fclose(m);
		return buf;
	}
	return (char *)text;
}

static const struct argp root_argp = {
	NULL, root_parse, "COMMAND [ARG...]",
	"twofactl -- two-factor accounts in an encrypted flat-file store\v", common_children,
	root_help, NULL
};

static int check_stdout(int ret)
{
	if (fflush(g.out) != 0 || ferror(g.out) || fclose(g.out) != 0) {
		g.ctx[0] = '\0';
		if (!g.out_failed)   /* else the command said so already */
			fail(EXIT_STORE, "cannot write standard output");
		return ret ? ret : EXIT_STORE;
	}
	return ret;
}

/* With --json anywhere on the line, a usage error that argp ends with
 * exit() (before the command knows about --json) still prints its error
 * object; --help and --version are not errors. */
static int json_line, help_line, finished;

static void json_error_at_exit(void)
{
	if (finished || !json_line || help_line)
		return;
	if (!g.err_word)   /* an unknown option or a missing argument (getopt's own message) */
		set_error("usage", "bad option or missing argument: see the command's --help");
	emit_json_error(EXIT_USAGE);
	fflush(g.out);
}

static void scan_line(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--json"))
			json_line = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-?") || !strcmp(argv[i], "--usage") ||
		         !strcmp(argv[i], "--version") || !strcmp(argv[i], "-V"))
			help_line = 1;
	}
}

int answered(int rc)
{
	return rc == EXIT_OK || ((rc == EXIT_NEED_CODE || rc == EXIT_NEED_ENROL) && !g.err_word);
}

int main(int argc, char **argv)
{
	struct rlimit nocore = { 0, 0 };
	struct root r = { -1 };
	int ret;

	g.out = stdout;
	g.err = stderr;
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(077);
	argp_err_exit_status = EXIT_USAGE;
	if (sodium_init() < 0 || oath_init() != OATH_OK) {
		fprintf(g.err, "twofactl: cannot initialise libsodium or liboath\n");
		return EXIT_STORE;
	}
	g.now = (int64_t)time(NULL);
	scan_line(argc, argv);
	atexit(json_error_at_exit);
	argp_parse(&root_argp, argc, argv, ARGP_IN_ORDER, NULL, &r);
	if (r.cmd_index < 0)
		return EXIT_USAGE;
	ret = run_command(argc - r.cmd_index, argv + r.cmd_index);
	finished = 1;
	if (g.json && !g.envelope && !answered(ret))
		emit_json_error(ret);
	oath_done();
	return check_stdout(ret);
}

const char *command_name(size_t i, const char **summary)
{
	if (i >= sizeof commands / sizeof commands[0] - 1)
		return NULL;
	if (summary)
		*summary = commands[i].summary;
	return commands[i].name;
}

int run_command(int argc, char **argv)
{
	const char *name = argv[0];
	static char cmdname[64];

	if (!strcmp(name, "__complete") && !g.complete && !g.batch)   /* not a command of batch or serve */
		return cmd_complete(argc, argv);

	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, name))
			continue;
		if ((c->flags & CMD_NOT_NESTED) && g.batch && !g.complete) {
			set_ctx("%s", g.serve ? "serve" : "batch");
			return fail(EXIT_USAGE, "%s is not available inside %s", c->name, g.serve ? "serve" : "a batch");
		}
		snprintf(cmdname, sizeof cmdname, "twofactl %s", c->name);
		argv[0] = cmdname;
		set_ctx("%s", c->name);
		return c->fn(argc, argv);
	}
	g.ctx[0] = '\0';
	{
		const struct command *best = NULL;
		size_t bd = 99;

		for (const struct command *c = commands; c->name; c++) {
			size_t d = distance(name, c->name);
			if (d < bd) {
				bd = d;
				best = c;
			}
		}
		if (best && bd <= 2)
			fail(EXIT_USAGE, "unknown command '%s': did you mean '%s'?", safe(name), best->name);
		else
			fail(EXIT_USAGE, "unknown command '%s': see twofactl help", safe(name));
	}
	return EXIT_USAGE;
}
