/* SPDX-License-Identifier: ISC */
/* twofactl health: a monitoring check in the Nagios plugin convention */
#include "cmd/cmd.h"
#include "core/lockout.h"
#include "core/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { H_OK = 0, H_WARNING = 1, H_CRITICAL = 2, H_UNKNOWN = 3 };

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

struct scan {
	unsigned low, drift_max;
	size_t accounts, enabled, backup_low, drift, locked;
	json_object *low_names, *drift_names;
};

static int visit(void *ctx, const struct account *a)
{
	struct scan *sc = ctx;
	unsigned active = account_active_count(a);

	sc->accounts++;
	if (!active)
		return 0;
	sc->enabled++;
	if (a->nbackup < sc->low) {
		sc->backup_low++;
		if (json_object_array_length(sc->low_names) < 100)
			json_object_array_add(sc->low_names, json_object_new_string(a->name));
	}
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].status == FS_ACTIVE && a->f[i].type == F_TOTP &&
		    (a->f[i].drift >= (int64_t)sc->drift_max || -a->f[i].drift >= (int64_t)sc->drift_max)) {
			sc->drift++;
			if (json_object_array_length(sc->drift_names) < 100)
				json_object_array_add(sc->drift_names, json_object_new_string(a->name));
			break;
		}
	if (a->lk_codes.failures >= LOCK_HARD || a->lk_pw.failures >= LOCK_HARD)
		sc->locked++;
	return 0;
}

int cmd_health(int argc, char **argv)
{
	struct store *s = NULL;
	tf *h = NULL;
	struct scan sc = { 0 };
	struct ticket *tv = NULL;
	size_t nt = 0, waiting = 0;
	char msg[1024] = "";
	int64_t age;
	uint64_t bad = 0;
	int state = H_OK, st, busy = 0, audit_ok = 1;
	json_object *problems;

	cmd_parse(&argp, argc, argv, NULL);   /* before any allocation (batch, completion) */
	problems = json_object_new_array();
	sc.low_names = json_object_new_array();
	sc.drift_names = json_object_new_array();
	st = open_handle_quiet(&h);
	if (st) {
		state = H_CRITICAL;
		snprintf(msg, sizeof msg, "store: %s", h ? tf_error_message(h) : "out of memory");
		json_object_array_add(problems, json_object_new_string(msg));
		goto report;
	}
	s = h->s;
	store_set_lock_timeout(s, 2);
	if (store_lock_all(s)) {
		busy = 1;
		state = H_WARNING;
		json_object_array_add(problems, json_object_new_string("store lock held for more than 2 s"));
	} else {
		store_unlock_all(s);
	}
	if (store_audit_walk(s, NULL, NULL, &bad)) {
		audit_ok = 0;
		state = H_CRITICAL;
		json_object_array_add(problems, json_object_new_string(store_error(s)));
	}
	{
		unsigned low, drift;

		if (tf_config_uint(h, "health.backup_low", 3, 0, 20, &low) ||
		    tf_config_uint(h, "health.drift", 2, 1, 100, &drift) ||
		    tf_config_duration(h, "health.ticket_age", 86400, &age)) {
			state = H_UNKNOWN;
			goto report;
		}
		sc.low = low;
		sc.drift_max = drift;
	}
	if (busy)   /* reading every record waits for that lock too: count nothing */
		goto report;
	if ((st = store_iterate(s, visit, &sc))) {
		state = H_CRITICAL;
		json_object_array_add(problems, json_object_new_string(store_error(s)));
		goto report;
	}
	if (tickets_load(h, &tv, &nt)) {
		state = H_CRITICAL;
		goto report;
	}
	for (size_t i = 0; i < nt; i++)
		waiting += tv[i].status == T_PENDING && g.now - tv[i].created > age;
	if (sc.backup_low || sc.drift || waiting || sc.locked) {
		char line[160];

		if (state == H_OK)
			state = H_WARNING;
		if (sc.backup_low) {
			snprintf(line, sizeof line, "%zu account%s with fewer than %u backup codes", sc.backup_low,
			         sc.backup_low == 1 ? "" : "s", sc.low);
			json_object_array_add(problems, json_object_new_string(line));
		}
		if (sc.drift) {
			snprintf(line, sizeof line, "%zu account%s with a clock drift of %u steps or more", sc.drift,
			         sc.drift == 1 ? "" : "s", sc.drift_max);
			json_object_array_add(problems, json_object_new_string(line));
		}
		if (waiting) {
			snprintf(line, sizeof line, "%zu recovery ticket%s waiting", waiting, waiting == 1 ? "" : "s");
			json_object_array_add(problems, json_object_new_string(line));
		}
		if (sc.locked) {
			snprintf(line, sizeof line, "%zu account%s locked out", sc.locked, sc.locked == 1 ? "" : "s");
			json_object_array_add(problems, json_object_new_string(line));
		}
	}
report:
	{
		static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
		size_t np = json_object_array_length(problems);

		if (g.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "status", json_object_new_string(names[state]));
			json_object_object_add(o, "problems", json_object_get(problems));
			json_object_object_add(o, "accounts", json_object_new_int64((int64_t)sc.accounts));
			json_object_object_add(o, "enabled", json_object_new_int64((int64_t)sc.enabled));
			json_object_object_add(o, "backup_low", json_object_get(sc.low_names));
			json_object_object_add(o, "drift", json_object_get(sc.drift_names));
			json_object_object_add(o, "tickets_waiting", json_object_new_int64((int64_t)waiting));
			json_object_object_add(o, "audit_intact", json_object_new_boolean(audit_ok));
			json_object_object_add(o, "lock_busy", json_object_new_boolean(busy));
			emit_json(o);
		} else {
			printf("TWOFACTL %s - ", names[state]);
			if (!np)
				printf("%zu accounts, %zu with 2FA", sc.accounts, sc.enabled);
			for (size_t i = 0; i < np; i++)
				printf("%s%s", i ? "; " : "", json_object_get_string(json_object_array_get_idx(problems, i)));
			printf(" | accounts=%zu enabled=%zu backup_low=%zu drift=%zu tickets_waiting=%zu\n",
			       sc.accounts, sc.enabled, sc.backup_low, sc.drift, waiting);
		}
	}
	if (state != H_OK) {   /* --json and serve: an error object after the answer */
		static const char *const words[] = { "ok", "warning", "critical", "unknown" };
		const char *first = json_object_array_length(problems) ?
		                    json_object_get_string(json_object_array_get_idx(problems, 0)) : words[state];

		set_error(words[state], "%s", first);
	}
	free(tv);
	json_object_put(problems);
	json_object_put(sc.low_names);
	json_object_put(sc.drift_names);
	tf_close(&h);
	return state;
}
