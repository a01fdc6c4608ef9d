/* SPDX-License-Identifier: ISC */
/* twofactl rekey */
#include "cmd/cmd.h"

#include <stdio.h>
#include <unistd.h>

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

static void progress(void *ctx, size_t done, size_t total)
{
	(void)ctx;
	fprintf(stderr, "\rrekey: %zu/%zu", done, total);
}

int cmd_rekey(int argc, char **argv)
{
	struct store *s = NULL;
	size_t n = 0;
	int ret, st, tty;

	cmd_parse(&argp, argc, argv, NULL);
	if ((ret = open_store(&s)))
		return ret;
	tty = show_progress();
	st = store_rekey(s, tty ? progress : NULL, NULL, &n);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (st) {
		ret = fail_store(s, st);
	} else if (!(ret = tf_audit(g.h, "rekey", NULL, "ok", NULL, NULL))) {
		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "files", json_object_new_int64((int64_t)n));
			json_object_object_add(o, "rekeyed", json_object_new_boolean(1));
			emit_json(o);
		} else if (!g.quiet) {
			printf("new master key: %zu file%s sealed again\n", n, n == 1 ? "" : "s");
		}
	}
	close_store(s);
	return ret;
}
