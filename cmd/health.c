/* SPDX-License-Identifier: ISC */
/* twofactl health: a monitoring check in the Nagios plugin convention */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct argp argp = {
	NULL, parse_no_args, NULL,
	"Check the store for monitoring, as a Nagios plugin does: one line "
	"'TWOFACTL OK|WARNING|CRITICAL - ... | perfdata', exit 0 OK, 1 WARNING, "
	"2 CRITICAL, 3 UNKNOWN. CRITICAL: the store or its key cannot be opened "
	"(missing, wrong, loose permissions) or the audit chain is broken. WARNING: "
	"the store's lock is held for more than 2 s, accounts with fewer than "
	"health.backup_low (3) backup codes, a clock drift of health.drift (2) steps "
	"or more at the last login, recovery tickets waiting longer than "
	"health.ticket_age (24h), accounts locked out. --json gives the details.",
	common_children, NULL, NULL
};

/* The text line, from the result and the counts (the result lists 100
 * names at most). */
static void render_text(json_object *o, const struct tf_health_report *r)
{
	json_object *status, *problems;
	size_t np;

	json_object_object_get_ex(o, "status", &status);
	json_object_object_get_ex(o, "problems", &problems);
	np = json_object_array_length(problems);
	fprintf(g.out, "TWOFACTL %s - ", json_object_get_string(status));
	if (!np)
		fprintf(g.out, "%zu accounts, %zu with 2FA", r->accounts, r->enabled);
	for (size_t i = 0; i < np; i++)
		fprintf(g.out, "%s%s", i ? "; " : "", printable(json_object_get_string(json_object_array_get_idx(problems, i))));
	fprintf(g.out, " | accounts=%zu enabled=%zu backup_low=%zu drift=%zu tickets_waiting=%zu\n",
	       r->accounts, r->enabled, r->backup_low, r->drift, r->tickets_waiting);
}

/* The result, kept for the text line and the error word. */
static int keep(void *ctx, json_object *o)
{
	json_object **kept = ctx;

	*kept = json_object_get(o);
	return 0;
}

int cmd_health(int argc, char **argv)
{
	static const char *const words[] = { "ok", "warning", "critical", "unknown" };
	struct tf_health_report r = { 0 };
	json_object *o = NULL, *problems;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&argp, argc, argv, NULL);
	if (open_handle_quiet(&h)) {
		/* a store that cannot be opened is a CRITICAL answer, not a failure said */
	}
	ret = tf_health(h, &(const struct tf_sink){ keep, NULL, &o }, &r);
	tf_close(&h);
	if (ret || !o) {
		json_object_put(o);
		return ret ? ret : EXIT_STORE;
	}
	if (g.json)
		emit_json(json_object_get(o));
	else
		render_text(o, &r);
	if (r.state != TF_HEALTH_OK) {   /* --json and serve: an error object after the answer */
		json_object_object_get_ex(o, "problems", &problems);
		set_error(words[r.state], "%s", json_object_array_length(problems) ?
		          json_object_get_string(json_object_array_get_idx(problems, 0)) : words[r.state]);
	}
	json_object_put(o);
	return (int)r.state;
}
