/* SPDX-License-Identifier: ISC */
/* twofactl fsck [--repair] */
#include "cmd/cmd.h"

#include <stdio.h>

enum { OPT_REPAIR = 0xe00 };

static const struct argp_option options[] = {
	{ "repair", OPT_REPAIR, NULL, 0, "Move bad files to quarantine/, remove leftovers, fix modes", 0 },
	{ 0 }
};

static const struct argp argp = {
	options, parse_flag, NULL,
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

static void render(json_object *o)
{
	json_object *v, *w;

	if (json_object_object_get_ex(o, "path", &v)) {   /* a finding */
		const char *action = json_object_object_get_ex(o, "action", &w) && w ? json_object_get_string(w) : NULL;

		json_object_object_get_ex(o, "problem", &w);
		/* file names come from the directory, which someone without the key may fill */
		fprintf(g.out, "%s: %s%s%s\n", printable(json_object_get_string(v)), printable(json_object_get_string(w)),
		       action ? ": " : "", action ? printable(action) : "");
		return;
	}
	if (g.quiet)
		return;
	json_object_object_get_ex(o, "problems", &v);
	json_object_object_get_ex(o, "repaired", &w);
	fprintf(g.out, "%u problem%s found, %u repaired\n", (unsigned)json_object_get_int64(v),
	       json_object_get_int64(v) == 1 ? "" : "s", (unsigned)json_object_get_int64(w));
}

/* A lock held now: worth saying on a terminal, not a finding. */
static void held(void *ctx, const char *text)
{
	(void)ctx;
	if (!g.quiet && !g.json)
		fprintf(g.out, "%s\n", printable(text));
}

int cmd_fsck(int argc, char **argv)
{
	int repair = 0;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, &repair);
	/* a config that is not as sealed is a finding, not a reason to check
	 * nothing */
	if (!(ret = cli_open_flags(&h, TF_OPEN_ANY_CONFIG)))
		ret = tf_fsck(h, &(struct tf_fsck_args){ .repair = repair, .notice = held }, CLI_SINK(render));
	cli_close(h);
	return ret;
}
