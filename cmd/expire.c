/* SPDX-License-Identifier: ISC */
/* twofactl expire: the cron job */
#include "cmd/cmd.h"

#include <stdio.h>

enum { OPT_DRY = 0xb00 };

static const struct argp_option options[] = {
	{ "dry-run", OPT_DRY, NULL, 0, "Count what would go, change and send nothing", 0 },
	{ 0 }
};

static const struct argp argp = {
	options, parse_flag, NULL,
	"One sweep over the store, for cron or a systemd timer: remove expired "
	"email/SMS codes, whitelist entries past their TTL, trusted devices past "
	"their days, enrolments never confirmed (enroll.ttl), and email a warning "
	"about each login that passed the password but never completed the second "
	"step (login.warn_after, 15 minutes), once. Safe while verifications run and "
	"when two sweeps overlap: each account is changed under its lock.\v"
	"Exit status: 0 done, 5 store error, 6 some warnings could not be delivered "
	"(they are tried again next time), 7 store busy.", common_children, NULL, NULL
};

/* On a terminal: how far the sweep is; the line goes when it is over. */
static void progress(void *ctx, size_t done, size_t total)
{
	int *shown = ctx;

	if (done == total) {
		if (*shown)
			fprintf(g.err, "\r\033[K");
		*shown = 0;
		return;
	}
	if (total)
		fprintf(g.err, "\rexpire: swept %zu/%zu", done, total);
	else
		fprintf(g.err, "\rexpire: scanned %zu", done);
	*shown = 1;
}

static void render(json_object *o)
{
	json_object *v;
	int64_t n[10];
	static const char *const keys[] = { "accounts", "codes", "whitelist", "devices", "enrolments", "logins",
	                                    "tickets", "warnings", "warnings_failed" };

	if (g.quiet)
		return;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		n[i] = json_object_object_get_ex(o, keys[i], &v) ? json_object_get_int64(v) : 0;
	json_object_object_get_ex(o, "dry_run", &v);
	fprintf(g.out, "%s%lld accounts: %lld expired codes, %lld whitelist entries, %lld devices, "
	       "%lld unconfirmed enrolments, %lld old logins, %lld decided tickets removed; %lld warnings sent",
	       json_object_get_boolean(v) ? "dry run: " : "", (long long)n[0], (long long)n[1], (long long)n[2],
	       (long long)n[3], (long long)n[4], (long long)n[5], (long long)n[6], (long long)n[7]);
	if (n[8])
		fprintf(g.out, ", %lld failed", (long long)n[8]);
	fprintf(g.out, "\n");
}

int cmd_expire(int argc, char **argv)
{
	int dry_run = 0;
	tf *h = NULL;
	int ret, shown = 0;

	CMD_PARSE(&argp, argc, argv, &dry_run);
	if (!(ret = cli_open(&h)))
		ret = tf_expire(h, &(struct tf_expire_args){ .dry_run = dry_run,
		                .progress = show_progress() ? progress : NULL, .progress_ctx = &shown },
		                CLI_SINK(render));
	cli_close(h);
	return ret;
}
