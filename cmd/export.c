/* SPDX-License-Identifier: ISC */
/* twofactl export | import */
#include "cmd/cmd.h"
#include "core/import.h"
#include "core/record.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- export ---- */

struct export_args {
	char **names;
	int nnames, secrets;
};

enum { OPT_SECRETS = 0xf00, OPT_FORMAT, OPT_USER, OPT_RESUME };

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	(void)arg;
	switch (key) {
	case OPT_SECRETS:
		a->secrets = 1;
		break;
	case ARGP_KEY_ARG:
		a->names = &state->argv[state->next - 1];
		a->nnames = state->argc - state->next + 1;
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option export_options[] = {
	{ "include-secrets", OPT_SECRETS, NULL, 0, "Include the authenticator keys and password hashes "
	  "(then the output must be kept like the master key)", 0 },
	{ 0 }
};

static const struct argp export_argp = {
	export_options, export_parse, "[NAME...]",
	"Write accounts (all, or the NAMEs) and organisations as one JSON document "
	"(format twofactl-export, version 1) on standard output, for a migration or "
	"a readable backup. Without --include-secrets the authenticator keys are "
	"left out (such factors are not imported). Backup codes, remembered devices "
	"and pending codes are never exported: their hashes are keyed to this store.",
	common_children, NULL, NULL
};

/* Each named account, before it is read: its name is the subject of
 * what is said next. */
static void reading(void *ctx, const char *name)
{
	(void)ctx;
	set_ctx("export %s", safe(name));
}

static void render_export(json_object *o)
{
	out_puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&export_argp, argc, argv, &a);
	if ((ret = cli_open(&h)))
		goto out;
	if (a.secrets)
		fprintf(g.err, "twofactl: export: warning: the output holds authenticator keys: "
		        "keep it as safe as the master key, and delete it after use\n");
	ret = tf_export(h, &(struct tf_export_args){ .names = (const char *const *)a.names,
	                .nnames = (size_t)a.nnames, .include_secrets = a.secrets, .reading = reading },
	                CLI_SINK(render_export));
out:
	cli_close(h);
	return ret;
}

/* ---- import ---- */

struct import_args {
	const char *file, *user;
	enum import_format format;
	int resume;
};

static error_t import_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct import_args *a = state->input;

	switch (key) {
	case OPT_FORMAT:
		if (import_format_parse(arg, &a->format))
			USAGE(state, "--format: '%s' is not twofactl, usersfile, "
			             "google-authenticator or uri", safe(arg));
		break;
	case OPT_USER:
		if (!account_name_valid(arg))
			USAGE(state, "--user: invalid account name '%s'", safe(arg));
		a->user = arg;
		break;
	case OPT_RESUME:
		a->resume = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->file)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->file = arg;
		break;
	case ARGP_KEY_END:
		if (!a->file)
			USAGE(state, "missing FILE ('-' for standard input)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option import_options[] = {
	{ "format", OPT_FORMAT, "FORMAT", 0, "twofactl, usersfile (pam_oath), google-authenticator, "
	  "or uri (otpauth:// lines); detected from the content when not given", 0 },
	{ "user", OPT_USER, "NAME", 0, "The account (a google-authenticator file names none; for URIs "
	  "it replaces the name in the label)", 0 },
	{ "resume", OPT_RESUME, NULL, 0, "Finish an import a crash cut short: an entry whose every key "
	  "its account has already is skipped instead of refused", 0 },
	{ 0 }
};

static const struct argp import_argp = {
	import_options, import_parse_opt, "FILE",
	"Import accounts and their authenticators from FILE ('-': standard input): a "
	"twofactl export (made with --include-secrets), a pam_oath usersfile, a "
	"google-authenticator-libpam state file (~/.google_authenticator: its scratch "
	"codes become backup codes, RATE_LIMIT, WINDOW_SIZE and DISALLOW_REUSE carry "
	"over), or otpauth:// URIs, one per line. Users keep the codes their apps "
	"already show. A new name makes a new account; an existing one gets the "
	"factors added (a twofactl export skips existing accounts). All or nothing: "
	"every entry is checked before any is written, and a key an account has "
	"already (or one key twice) is refused; after a crash, the same import with "
	"--resume completes it.",
	common_children, NULL, NULL
};

/* An existing account a twofactl export skips. */
static void import_notice(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(g.err, "twofactl: import: %s\n", terminal_text(text));
}

/* On a terminal: how many were written; the line goes when it is over. */
static void import_progress(void *ctx, size_t done, size_t total)
{
	int *shown = ctx;

	if (done == total) {
		if (*shown)
			fprintf(g.err, "\r\033[K");
		*shown = 0;
		return;
	}
	fprintf(g.err, "\rimport: %zu", done);
	*shown = 1;
}

static void render_import(json_object *o)
{
	json_object *v;
	int64_t added, updated, skipped, dup;

	if (g.quiet)
		return;
	added = json_object_object_get_ex(o, "added", &v) ? json_object_get_int64(v) : 0;
	updated = json_object_object_get_ex(o, "updated", &v) ? json_object_get_int64(v) : 0;
	skipped = json_object_object_get_ex(o, "skipped", &v) ? json_object_get_int64(v) : 0;
	dup = json_object_object_get_ex(o, "duplicate_factors", &v) ? json_object_get_int64(v) : 0;
	json_object_object_get_ex(o, "format", &v);
	fprintf(g.out, "imported from %s: %lld new account%s, %lld updated, %lld skipped\n", json_object_get_string(v),
	       (long long)added, added == 1 ? "" : "s", (long long)updated, (long long)skipped);
	if (dup)
		fprintf(g.out, "note: %lld authenticator key%s imported before: skipped\n", (long long)dup,
		       dup == 1 ? " was" : "s were");
}

static tf_import_format public_format(enum import_format f)
{
	switch (f) {
	case IMP_TWOFACTL: return TF_IMPORT_TWOFACTL;
	case IMP_USERSFILE: return TF_IMPORT_USERSFILE;
	case IMP_GA: return TF_IMPORT_GOOGLE_AUTHENTICATOR;
	case IMP_URI: return TF_IMPORT_URI;
	case IMP_UNKNOWN: break;
	}
	return TF_IMPORT_DETECT;
}

int cmd_import(int argc, char **argv)
{
	struct import_args a = { 0 };
	enum import_format f;
	unsigned pins = 0;
	tf *h = NULL;
	char *text;
	int ret, shown = 0;

	CMD_PARSE(&import_argp, argc, argv, &a);
	set_ctx("import %s", safe(a.file));
	text = read_input(a.file, 64u << 20);
	if (!text)
		return fail(errno == ENOENT ? EXIT_NOENT : EXIT_USAGE, "cannot read '%s': %s", safe(a.file), strerror(errno));
	/* what the input is, said before the store is opened */
	f = a.format ? a.format : import_detect(text);
	if (f == IMP_UNKNOWN) {
		ret = fail(EXIT_USAGE, "cannot tell the format: give --format");
		goto out;
	}
	if (f == IMP_GA && !a.user) {
		ret = fail(EXIT_USAGE, "a google-authenticator file names no user: give --user NAME");
		goto out;
	}
	if ((ret = cli_open(&h)))
		goto out;
	ret = tf_import(h, &(struct tf_import_args){ .text = text, .format = public_format(f), .user = a.user,
	                .resume = a.resume, .progress = show_progress() ? import_progress : NULL,
	                .progress_ctx = &shown, .notice = import_notice, .pins_dropped = &pins },
	                CLI_SINK(render_import));
	if (pins && !g.json && !g.quiet)
		fprintf(g.out, "note: %u usersfile PIN%s not carried over (twofactl checks codes, not PINs)\n",
		       pins, pins == 1 ? " was" : "s were");
out:
	cli_close(h);
	sodium_memzero(text, strlen(text));
	free(text);
	return ret;
}
