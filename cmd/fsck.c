/* SPDX-License-Identifier: ISC */
/* twofactl fsck [--repair] */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>

struct fsck_args {
	int repair;
};

enum { OPT_REPAIR = 0xe00 };

static const struct argp_option options[] = {
	{ "repair", OPT_REPAIR, NULL, 0, "Move bad files to quarantine/, remove leftovers, fix modes", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct fsck_args *a = state->input;

	switch (key) {
	case OPT_REPAIR:
		a->repair = 1;
		break;
	case ARGP_KEY_ARG:
		USAGE(state, "unexpected argument '%s'", safe(arg));
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, NULL,
	"Check the store: every sealed file opens with the key, holds a readable "
	"record and sits under its own name; no leftover temp files of interrupted "
	"writes; no symbolic or hard links; modes 0700/0600; the audit chain. With "
	"--repair (under the whole-store lock; 7 if the store was rekeyed while it "
	"waited) bad files go to quarantine/, leftovers are removed, modes fixed and "
	"a torn last line of the audit log is cut (its bytes kept in quarantine/, the "
	"cut recorded in a sealed line); each action is printed. Locks are "
	"OFD locks that die with their process, so none can be orphaned; a lock held "
	"now is reported.\v"
	"Exit status: 0 clean (or everything repaired), 5 problems remain, 7 busy.",
	common_children, NULL, NULL
};

static void report(void *ctx, const char *path, const char *problem, const char *action)
{
	(void)ctx;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "problem", json_object_new_string(problem));
		json_object_object_add(o, "action", action ? json_object_new_string(action) : NULL);
		emit_json(o);
	} else {
		printf("%s: %s%s%s\n", path, problem, action ? ": " : "", action ? action : "");
	}
}

int cmd_fsck(int argc, char **argv)
{
	struct fsck_args a = { 0 };
	struct store *s = NULL;
	unsigned problems = 0, fixed = 0;
	int ret, st, held;

	cmd_parse(&argp, argc, argv, &a);
	/* a config that is not as sealed is a finding, not a reason to check
	 * nothing */
	if ((ret = open_store_flags(&s, TF_OPEN_ANY_CONFIG)))
		return ret;
	held = store_lock_probe(s);
	if (held > 0 && !a.repair && !g.quiet && !g.json)
		printf("store.lock: a lock is held now by a running twofactl (not an error)\n");
	st = store_fsck(s, a.repair, g.now, report, NULL, &problems, &fixed);
	if (st) {
		ret = fail_store(s, st);
	} else {
		if (!g.json && !g.quiet)
			printf("%u problem%s found, %u repaired\n", problems, problems == 1 ? "" : "s", fixed);
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "problems", json_object_new_int64(problems));
			json_object_object_add(o, "repaired", json_object_new_int64(fixed));
			json_object_object_add(o, "clean", json_object_new_boolean(problems == fixed));
			emit_json(o);
		}
		ret = problems > fixed ? EXIT_STORE : EXIT_OK;
	}
	close_store(s);
	return ret;
}
