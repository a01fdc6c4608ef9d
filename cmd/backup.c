/* SPDX-License-Identifier: ISC */
/* twofactl backup issue|list|revoke */
#include "cmd/cmd.h"
#include "core/auth.h"
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

static int backup_issue(int argc, char **argv)
{
	struct backup_args a = { .count = ACCT_BACKUP_DEFAULT };
	struct tf_sess ss;
	char (*codes)[BACKUP_DISPLAY] = NULL;
	char ctx[80];
	int ret;

	cmd_parse(&issue_argp, argc, argv, &a);
	set_ctx("backup issue %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	codes = sodium_malloc(sizeof *codes * a.count);
	snprintf(ctx, sizeof ctx, "%s", tf_acct_ctx(&ss));
	if (!codes || auth_issue_backup(ss.a, a.count, ss.a->code_key, ctx, codes, g.now)) {
		ret = fail(EXIT_STORE, "cannot make backup codes");
		goto out;
	}
	/* shown once: on standard output before the new set replaces the old,
	 * which stays when they cannot be written */
	if (g.json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (unsigned i = 0; i < a.count; i++)
			json_object_array_add(arr, json_object_new_string(codes[i]));
		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "backup_codes", arr);
		emit_json(o);
	} else {
		if (!g.quiet)
			printf("backup codes for '%s' (each works once; they are not shown again):\n", a.name);
		for (unsigned i = 0; i < a.count; i++)
			printf("%s\n", codes[i]);
	}
	if ((ret = out_flush()) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "backup.issue", a.name, "ok", NULL, NULL)))
		goto out;
out:
	if (codes)
		sodium_free(codes);
	sess_end(&ss);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, "NAME", "Say how many backup codes are left (never the codes).",
	common_children, NULL, NULL
};

static int backup_list(int argc, char **argv)
{
	struct backup_args a = { 0 };
	struct tf_sess ss;
	char t[32];
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	set_ctx("backup list %s", safe(a.name));
	if (!(ret = sess_begin(&ss, a.name))) {
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(a.name));
			json_object_object_add(o, "left", json_object_new_int64(ss.a->nbackup));
			json_object_object_add(o, "issued", ss.a->backup_issued ?
			                       json_object_new_int64(ss.a->backup_issued) : NULL);
			emit_json(o);
		} else {
			time_iso(ss.a->backup_issued, t);
			printf("%u backup code%s left", ss.a->nbackup, ss.a->nbackup == 1 ? "" : "s");
			if (ss.a->backup_issued)
				printf(" (issued %s)", t);
			printf("\n");
		}
	}
	sess_end(&ss);
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

static int backup_revoke(int argc, char **argv)
{
	struct backup_args a = { 0 };
	struct tf_sess ss;
	char code[CODE_MAX_INPUT + 2], norm[CODE_MAX_INPUT + 1], ctx[80];
	unsigned before = 0, revoked = 0;
	int ret;

	cmd_parse(&revoke_argp, argc, argv, &a);
	set_ctx("backup revoke %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (!a.all) {
		if ((ret = read_stdin_line(code, sizeof code, "backup code")))
			return ret;
		if (code_classify(code, norm, sizeof norm) != CODE_BACKUP) {
			sodium_memzero(code, sizeof code);
			return fail(EXIT_USAGE, "malformed backup code");
		}
	}
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	before = ss.a->nbackup;
	if (a.all) {
		sodium_memzero(ss.a->backup, sizeof ss.a->backup);
		ss.a->nbackup = 0;
	} else {
		struct auth_params p = { .code_key = ss.a->code_key, .context = ctx,
		                         .allow_backup = 1, .now = g.now };
		struct auth_outcome o;

		snprintf(ctx, sizeof ctx, "%s", tf_acct_ctx(&ss));
		if (auth_check(ss.a, norm, CODE_BACKUP, &p, &o) || o.result != AUTH_OK) {
			ret = fail(EXIT_NOENT, "no such backup code");
			goto out;
		}
	}
	revoked = before - ss.a->nbackup;
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "backup.revoke", a.name, "ok", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "revoked", json_object_new_int64(revoked));
		json_object_object_add(o, "left", json_object_new_int64(ss.a->nbackup));
		emit_json(o);
	} else if (!g.quiet) {
		printf("revoked %u backup code%s; %u left\n", revoked, revoked == 1 ? "" : "s", ss.a->nbackup);
	}
out:
	sodium_memzero(code, sizeof code);
	sodium_memzero(norm, sizeof norm);
	sess_end(&ss);
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
