/* SPDX-License-Identifier: ISC */
/* twofactl backup issue|list|revoke */
#include "cmd/cmd.h"
#include "core/input.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct backup_args {
	const char *name;
	unsigned count;
	int all, nargs;
};

enum { OPT_COUNT = 0x500, OPT_ALL };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct backup_args *a = state->input;
	int64_t v;

	switch (key) {
	case OPT_COUNT:
		if (int_parse(arg, 1, ACCT_MAX_BACKUP, &v))
			USAGE(state, "--count: '%s' is not a number from 1 to %d",
			             safe(arg), ACCT_MAX_BACKUP);
		a->count = (unsigned)v;
		break;
	case OPT_ALL:
		a->all = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s' (codes are read "
			             "from standard input)", safe(arg));
		a->name = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing account NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option issue_options[] = {
	{ "count", OPT_COUNT, "N", 0, "How many codes (default 10, at most 20)", 0 },
	{ 0 }
};

static const struct argp issue_argp = {
	issue_options, parse, "NAME",
	"Make a fresh set of backup codes, replacing the old set (the authenticator "
	"keys stay). Each code has 80 random bits, works once, and is printed only now.",
	common_children, NULL, NULL
};

static void render_issue(json_object *o)
{
	json_object *name, *codes;

	json_object_object_get_ex(o, "name", &name);
	json_object_object_get_ex(o, "backup_codes", &codes);
	if (!g.quiet)
		fprintf(g.out, "backup codes for '%s' (each works once; they are not shown again):\n",
		       json_object_get_string(name));
	for (size_t i = 0; i < json_object_array_length(codes); i++)
		fprintf(g.out, "%s\n", json_object_get_string(json_object_array_get_idx(codes, i)));
}

static int backup_issue(int argc, char **argv)
{
	struct backup_args a = { .count = ACCT_BACKUP_DEFAULT };
	char code[STEPUP_MAX];
	tf *h = NULL;
	int ret;

	CMD_PARSE(&issue_argp, argc, argv, &a);
	set_ctx("backup issue %s", safe(a.name));
	if (!(ret = check_name(a.name)) && !(ret = read_stepup(code, sizeof code, 0)) && !(ret = cli_open(&h)))
		ret = tf_backup_issue(h, &(struct tf_backup_issue_args){ .name = a.name, .count = a.count,
		                      .stepup = code }, CLI_SINK(render_issue));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, "NAME", "Say how many backup codes are left (never the codes).",
	common_children, NULL, NULL
};

static void render_list(json_object *o)
{
	json_object *left, *issued;
	char t[32];

	json_object_object_get_ex(o, "left", &left);
	json_object_object_get_ex(o, "issued", &issued);
	fprintf(g.out, "%lld backup code%s left", (long long)json_object_get_int64(left),
	       json_object_get_int64(left) == 1 ? "" : "s");
	if (issued) {
		time_iso(json_object_get_int64(issued), t);
		fprintf(g.out, " (issued %s)", t);
	}
	fprintf(g.out, "\n");
}

static int backup_list(int argc, char **argv)
{
	struct backup_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	set_ctx("backup list %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_backup_list(h, &(struct tf_backup_list_args){ .name = a.name }, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

static const struct argp_option revoke_options[] = {
	{ "all", OPT_ALL, NULL, 0, "Revoke every backup code", 0 },
	{ 0 }
};

static const struct argp revoke_argp = {
	revoke_options, parse, "NAME",
	"Revoke backup codes: all with --all, or the one code read from standard input.",
	common_children, NULL, NULL
};

static void render_revoke(json_object *o)
{
	json_object *revoked, *left;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "revoked", &revoked);
	json_object_object_get_ex(o, "left", &left);
	fprintf(g.out, "revoked %lld backup code%s; %lld left\n", (long long)json_object_get_int64(revoked),
	       json_object_get_int64(revoked) == 1 ? "" : "s", (long long)json_object_get_int64(left));
}

static int backup_revoke(int argc, char **argv)
{
	struct backup_args a = { 0 };
	char code[CODE_MAX_INPUT + 2] = "", norm[CODE_MAX_INPUT + 1] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&revoke_argp, argc, argv, &a);
	set_ctx("backup revoke %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (!a.all) {
		if ((ret = read_stdin_line(code, sizeof code, "backup code")))
			return ret;
		/* its shape, before the store is opened (the library checks it too) */
		ret = code_classify(code, norm, sizeof norm) != CODE_BACKUP;
		sodium_memzero(norm, sizeof norm);
		if (ret) {
			sodium_memzero(code, sizeof code);
			return fail(EXIT_USAGE, "malformed backup code");
		}
	}
	if (!(ret = cli_open(&h)))
		ret = tf_backup_revoke(h, &(struct tf_backup_revoke_args){ .name = a.name,
		                       .code = a.all ? NULL : code, .all = a.all }, CLI_SINK(render_revoke));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}

static const struct verb verbs[] = {
	{ "issue", backup_issue, "make a fresh set of backup codes" },
	{ "list", backup_list, "how many codes are left" },
	{ "revoke", backup_revoke, "revoke one code (stdin) or --all" },
	{ NULL, NULL, NULL }
};

int cmd_backup(int argc, char **argv)
{
	return run_verbs("backup", verbs, argc, argv);
}
