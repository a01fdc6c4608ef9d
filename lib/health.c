/* SPDX-License-Identifier: ISC */
/* lib/health.c — health: the store checked for monitoring (Nagios). */
#include "lib/shared.h"
#include "core/lockout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_LOCK_WAIT 2   /* seconds: a lock held longer is a warning */
#define HEALTH_NAMES 100     /* names listed per problem, at most */

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
		if (json_object_array_length(sc->low_names) < HEALTH_NAMES)
			json_object_array_add(sc->low_names, json_object_new_string(a->name));
	}
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].status == FS_ACTIVE && a->f[i].type == F_TOTP &&
		    (a->f[i].drift >= (int64_t)sc->drift_max || -a->f[i].drift >= (int64_t)sc->drift_max)) {
			sc->drift++;
			if (json_object_array_length(sc->drift_names) < HEALTH_NAMES)
				json_object_array_add(sc->drift_names, json_object_new_string(a->name));
			break;
		}
	if (a->lk_codes.failures >= LOCK_HARD || a->lk_pw.failures >= LOCK_HARD)
		sc->locked++;
	return 0;
}

/* The handle's own lock wait, as tf_open set it: the caller's, else the
 * store's lock.timeout (store/key.c), else 15 s. */
static int handle_lock_wait(tf *h)
{
	const char *lt = store_config_get(h->s, "lock.timeout");
	long v;

	if (h->lock_timeout)
		return (int)h->lock_timeout;
	v = lt ? strtol(lt, NULL, 10) : 0;
	return v >= 1 && v <= 3600 ? (int)v : 15;
}

static void problem(json_object *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(json_object *problems, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	json_object_array_add(problems, json_object_new_string(line));
}

/* The one pass: everything h can tell, into sc, problems and the state. */
static tf_health_state examine(tf *h, struct scan *sc, json_object *problems, size_t *waiting, int *busy,
                               int *audit_ok, int *writable)
{
	tf_health_state state = TF_HEALTH_OK;
	struct ticket *tv = NULL;
	size_t nt = 0;
	int64_t age, now = tf_now(h);
	uint64_t bad = 0;
	unsigned low, drift;

	int w = store_writable(h->s);

	if (w && w != ST_BUSY) {   /* every login would fail (exit 5) */
		*writable = 0;
		state = TF_HEALTH_CRITICAL;
		problem(problems, "no login can be recorded: %s", store_error(h->s));
	}
	else if (!w && store_has_room(h->s)) {   /* logins go on; new accounts cannot */
		state = TF_HEALTH_WARNING;
		problem(problems, "no room for new records: %s", store_error(h->s));
	}
	/* a store that cannot be written cannot be locked for writing either:
	 * that is said above, not as a lock someone holds */
	if (*writable && store_lock_all(h->s)) {
		*busy = 1;
		state = TF_HEALTH_WARNING;
		problem(problems, "store lock held for more than %d s", HEALTH_LOCK_WAIT);
	} else {
		store_unlock_all(h->s);
	}
	if (store_audit_walk(h->s, NULL, NULL, &bad)) {
		*audit_ok = 0;
		state = TF_HEALTH_CRITICAL;
		problem(problems, "%s", store_error(h->s));
	}
	{
		/* several hosts: what the store cannot vouch for, it says */
		struct store_fs fs;

		if (store_fs_info(h->s, &fs) == 0 && fs.shared && (!fs.xattrs || !fs.direct)) {
			if (state == TF_HEALTH_OK)
				state = TF_HEALTH_WARNING;
			problem(problems, "the store is on a shared file system without %s: a stale or rolled-back "
			        "record cannot be told from the current one (README, Several hosts)",
			        !fs.xattrs ? "user attributes" : "O_DIRECT reads");
		} else if (store_fs_info(h->s, &fs) == 0 && !fs.xattrs) {
			if (state == TF_HEALTH_OK)
				state = TF_HEALTH_WARNING;
			problem(problems, "the store's file system keeps no user attributes: an old copy of a record "
			        "put back cannot be told from the current one");
		} else if (store_fs_info(h->s, &fs) == 0 && fs.xattrs && !fs.marked) {
			if (state == TF_HEALTH_OK)
				state = TF_HEALTH_WARNING;
			problem(problems, "records from before generations are not all marked: a rolled-back one "
			        "may pass; run twofactl fsck --repair once every host runs this version");
		}
	}
	if (tf_config_uint(h, "health.backup_low", 3, 0, 20, &low) ||
	    tf_config_uint(h, "health.drift", 2, 1, 100, &drift) ||
	    tf_config_duration(h, "health.ticket_age", 86400, &age))
		return TF_HEALTH_UNKNOWN;
	sc->low = low;
	sc->drift_max = drift;
	if (*busy)   /* reading every record waits for that lock too: count nothing */
		return state;
	if (store_iterate(h->s, visit, sc)) {
		problem(problems, "%s", store_error(h->s));
		return TF_HEALTH_CRITICAL;
	}
	if (tickets_load(h, &tv, &nt))
		return TF_HEALTH_CRITICAL;
	for (size_t i = 0; i < nt; i++)
		*waiting += tv[i].status == T_PENDING && now - tv[i].created > age;
	free(tv);
	if (sc->backup_low || sc->drift || *waiting || sc->locked) {
		if (state == TF_HEALTH_OK)
			state = TF_HEALTH_WARNING;
		if (sc->backup_low)
			problem(problems, "%zu account%s with fewer than %u backup codes", sc->backup_low,
			        sc->backup_low == 1 ? "" : "s", sc->low);
		if (sc->drift)
			problem(problems, "%zu account%s with a clock drift of %u steps or more", sc->drift,
			        sc->drift == 1 ? "" : "s", sc->drift_max);
		if (*waiting)
			problem(problems, "%zu recovery ticket%s waiting", *waiting, *waiting == 1 ? "" : "s");
		if (sc->locked)
			problem(problems, "%zu account%s locked out", sc->locked, sc->locked == 1 ? "" : "s");
	}
	return state;
}

tf_status tf_health(tf *h, const struct tf_sink *out, struct tf_health_report *rep)
{
	TF_ENTRY_H(h);
	static const char *const names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	struct scan sc = { 0 };
	tf_health_state state;
	size_t waiting = 0;
	int busy = 0, audit_ok = 1, writable = 1, r = 0;
	json_object *o = json_object_new_object(), *problems = json_object_new_array();

	sc.low_names = json_object_new_array();
	sc.drift_names = json_object_new_array();
	if (!h || !h->s) {   /* the store could not be opened */
		state = TF_HEALTH_CRITICAL;
		problem(problems, "store: %s", h ? tf_error_message(h) : "out of memory");
	} else {
		store_set_lock_timeout(h->s, HEALTH_LOCK_WAIT);
		state = examine(h, &sc, problems, &waiting, &busy, &audit_ok, &writable);
		store_set_lock_timeout(h->s, handle_lock_wait(h));
	}
	if (rep) {
		rep->state = state;
		rep->accounts = sc.accounts;
		rep->enabled = sc.enabled;
		rep->backup_low = sc.backup_low;
		rep->drift = sc.drift;
		rep->tickets_waiting = waiting;
	}
	json_object_object_add(o, "status", json_object_new_string(names[state]));
	json_object_object_add(o, "problems", problems);
	json_object_object_add(o, "accounts", json_object_new_int64((int64_t)sc.accounts));
	json_object_object_add(o, "enabled", json_object_new_int64((int64_t)sc.enabled));
	json_object_object_add(o, "backup_low", sc.low_names);
	json_object_object_add(o, "drift", sc.drift_names);
	json_object_object_add(o, "tickets_waiting", json_object_new_int64((int64_t)waiting));
	json_object_object_add(o, "audit_intact", json_object_new_boolean(audit_ok));
	json_object_object_add(o, "lock_busy", json_object_new_boolean(busy));
	json_object_object_add(o, "writable", json_object_new_boolean(writable));
	if (h)
		return tf_emit(h, out, o);
	if (out && out->result)   /* no handle to carry a failure */
		r = out->result(out->ctx, o);
	json_object_put(o);
	return r ? TF_STORE : TF_OK;
}
