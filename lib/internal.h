/* SPDX-License-Identifier: ISC */
/* lib/ internals: the handle and the helpers every use case shares. Only
 * lib/ includes this (and, while the conversion of issue 14 is under way,
 * the cmd/ files not yet converted); front ends see include/twofactl.h. */
#ifndef TWOFACTL_LIB_INTERNAL_H
#define TWOFACTL_LIB_INTERNAL_H

#include "include/twofactl.h"
#include "core/record.h"
#include "store/store.h"

#include <json-c/json.h>

struct tf {
	struct store *s;
	tf_clock_fn clock;
	void *clock_ctx;
	unsigned lock_timeout;    /* the caller's (tf_options), or 0: the store's */
	tf_role role;
	uint32_t caller_uid;
	int audit_caller;         /* TF_OPEN_AUDIT_CALLER: uid and role on every audit line */
	tf_error_fn on_error;     /* the front end's: called once per failure */
	void *error_ctx;
	const char *templates_dir;
	char service[65];         /* audited with every event: the PAM service */
	char rhost[256];          /* and the remote host */
	const char *word;         /* the last failure's stable word, or NULL */
	char msg[512];            /* and its message */
};


/* The first statement of every public use case: a NULL handle or NULL
 * arguments are a usage error, never a crash. */
#define TF_ENTRY_H(h) do { if (!(h)) return TF_USAGE; } while (0)
#define TF_ENTRY(h, a) do { \
		TF_ENTRY_H(h); \
		if (!(a)) \
			return tf_fail((h), TF_USAGE, NULL, "no arguments"); \
	} while (0)

/* Record a failure on the handle (and tell the front end's on_error) and
 * return st; word NULL: the status's own word. */
tf_status tf_fail(tf *h, tf_status st, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A store error (enum st_err) as a status, with the store's message. */
tf_status tf_fail_store(tf *h, int st);
tf_status tf_status_of_store(int st);

/* Refuse what only an administrator may do (what: "--force", "export"),
 * and audit the refusal with the caller's uid. */
tf_status tf_require_admin(tf *h, const char *what) TF_WUR;

/* Hand one result to the caller's sink and release it; _secret wipes its
 * strings first. Non-zero when the caller could not take it (a full
 * standard output): a use case that commits after showing a secret keeps
 * nothing then, and returns TF_STORE (already said). */
tf_status tf_emit(tf *h, const struct tf_sink *out, json_object *o) TF_WUR;
/* The same, flushed at once, its strings wiped after. */
tf_status tf_emit_secret(tf *h, const struct tf_sink *out, json_object *o) TF_WUR;
/* Flush what was emitted (before committing what it showed or spent). */
tf_status tf_flush(tf *h, const struct tf_sink *out) TF_WUR;

/* Account names: TF_USAGE with the message when invalid. */
tf_status tf_check_name(tf *h, const char *name) TF_WUR;

/* The audit log (fail closed: a line that cannot be written is an error). */
tf_status tf_audit(tf *h, const char *event, const char *name, const char *result,
                   const char *ip, const char *detail) TF_WUR;

/* A copy of an audited event for syslog (lib/syslog.c; audit.syslog). */
void tf_syslog_copy(tf *h, const char *event_json);

/* Configuration values, checked: TF_STORE with the message when malformed. */
tf_status tf_config_uint(tf *h, const char *key, unsigned def, unsigned lo, unsigned hi,
                         unsigned *out) TF_WUR;
tf_status tf_config_duration(tf *h, const char *key, int64_t def, int64_t *out) TF_WUR;
const char *tf_config_issuer(tf *h);

/* An account held under its lock for a read-modify-write. */
struct tf_sess {
	tf *h;
	struct store *s;          /* h->s */
	struct acct_ref ref;
	struct account *a;
	const char *name;
};
/* Lock and load (finishing a rename a crash interrupted). */
tf_status tf_sess_begin(tf *h, struct tf_sess *ss, const char *name) TF_WUR;
tf_status tf_sess_save(struct tf_sess *ss) TF_WUR;
void tf_sess_end(struct tf_sess *ss);
/* Let go of the lock for a slow step (a delivery), after saving what must
 * be kept; retake takes it again and reloads the record, which may have
 * changed meanwhile (TF_NOENT when the account was deleted or renamed). */
void tf_sess_release(struct tf_sess *ss);
tf_status tf_sess_retake(struct tf_sess *ss) TF_WUR;
/* What the account's code, token and link hashes are bound to: its uid,
 * which a rename keeps. */
const char *tf_acct_ctx(const struct tf_sess *ss);

#endif
