/* SPDX-License-Identifier: ISC */
/* twofactl rekey */
#include "cmd/cmd.h"

#include <stdio.h>

static const struct argp argp = {
	NULL, parse_no_args, NULL,
	"Make a new master key and seal every file again under it (file names are "
	"keyed, so they change too); the audit log is resealed. Holds the whole "
	"store's lock meanwhile: other commands wait (and answer 7 after "
	"lock.timeout). A crash at any moment leaves a store that opens with the old "
	"key or the new one: the next command finishes or undoes the rekey. Keep "
	"backups of the key and the store together: an old key does not open a "
	"rekeyed store.", common_children, NULL, NULL
};

/* On a terminal: how far it is; the line goes when the rekey is over. */
static void progress(void *ctx, size_t done, size_t total)
{
	int *shown = ctx;

	if (done == total) {
		if (*shown)
			fprintf(g.err, "\r\033[K");
		*shown = 0;
		return;
	}
	fprintf(g.err, "\rrekey: %zu/%zu", done, total);
	*shown = 1;
}

static void render(json_object *o)
{
	json_object *v;
	int64_t n;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "files", &v);
	n = json_object_get_int64(v);
	fprintf(g.out, "new master key: %lld file%s sealed again\n", (long long)n, n == 1 ? "" : "s");
}

int cmd_rekey(int argc, char **argv)
{
	tf *h = NULL;
	int ret, shown = 0;

	CMD_PARSE(&argp, argc, argv, NULL);
	if (!(ret = cli_open(&h)))
		ret = tf_rekey(h, &(struct tf_rekey_args){ .progress = show_progress() ? progress : NULL,
		               .progress_ctx = &shown }, CLI_SINK(render));
	cli_close(h);
	return ret;
}
