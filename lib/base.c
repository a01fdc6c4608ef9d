/* SPDX-License-Identifier: ISC */
/* lib/base.c — what every use case shares: names, the audit line,
 * configuration values, results handed to the caller, role checks, and
 * the account session (lock, load, save). */
#include "lib/internal.h"
#include "lib/shared.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

tf_status tf_check_name(tf *h, const char *name)
{
	if (!name)
		return tf_fail(h, TF_USAGE, NULL, "no account name");
	if (!account_name_valid(name))
		return tf_fail(h, TF_USAGE, NULL, "invalid account name '%s': use 1 to 64 of A-Z a-z 0-9 . _ @ + -, "
		               "not starting with . or -", tf_safe(name));
	return TF_OK;
}

tf_status tf_audit(tf *h, const char *event, const char *name, const char *result,
                   const char *ip, const char *detail)
{
	json_object *o = json_object_new_object();
	int st;

	json_object_object_add(o, "t", json_object_new_int64(tf_now(h)));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (name)
		json_object_object_add(o, "user", json_object_new_string(name));
	if (result)
		json_object_object_add(o, "result", json_object_new_string(result));
	if (ip)
		json_object_object_add(o, "ip", json_object_new_string(ip));
	if (h->service[0])
		json_object_object_add(o, "service", json_object_new_string(h->service));
	if (h->rhost[0])
		json_object_object_add(o, "rhost", json_object_new_string(h->rhost));
	if (detail)
		json_object_object_add(o, "detail", json_object_new_string(detail));
	if (h->audit_caller) {
		json_object_object_add(o, "uid", json_object_new_int64(h->caller_uid));
		json_object_object_add(o, "role", json_object_new_string(
			h->role == TF_ROLE_ADMIN ? "admin" : h->role == TF_ROLE_FRONTEND ? "frontend" :
			h->role == TF_ROLE_PAM ? "pam" : "none"));
	}
	st = store_audit(h->s, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if (!st)
		tf_syslog_copy(h, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return st ? tf_fail_store(h, st) : TF_OK;
}

tf_status tf_config_uint(tf *h, const char *key, unsigned def, unsigned lo, unsigned hi,
                         unsigned *out)
{
	const char *v = store_config_get(h->s, key);
	int64_t n;

	*out = def;
	if (!v)
		return TF_OK;
	if (int_parse(v, lo, hi, &n))
		return tf_fail(h, TF_STORE, NULL, "config: %s = '%s' is not a number from %u to %u",
		               key, tf_safe(v), lo, hi);
	*out = (unsigned)n;
	return TF_OK;
}

tf_status tf_config_duration(tf *h, const char *key, int64_t def, int64_t *out)
{
	const char *v = store_config_get(h->s, key);

	*out = def;
	if (!v)
		return TF_OK;
	if (duration_parse(v, out))
		return tf_fail(h, TF_STORE, NULL, "config: %s = '%s' is not a duration such as 30s, 5m, 1h30m, 30d",
		               key, tf_safe(v));
	return TF_OK;
}

const char *tf_config_issuer(tf *h)
{
	const char *v = store_config_get(h->s, "issuer");

	return v && *v ? v : "twofactl";
}

tf_status tf_require_admin(tf *h, const char *what)
{
	char detail[160];

	if (h->role == TF_ROLE_ADMIN)
		return TF_OK;
	snprintf(detail, sizeof detail, "uid %u, %s", h->caller_uid, what);
	/* the refusal stands even when its audit line cannot be written */
	TF_IGNORE(tf_audit(h, "serve.forbidden", NULL, "forbidden", NULL, detail));
	return tf_fail(h, TF_USAGE, "forbidden", "%s is for administrators", what);
}

static tf_status emit(tf *h, const struct tf_sink *out, json_object *o, int secret)
{
	int r = out && out->result ? out->result(out->ctx, o) : 0;

	if (!r && secret && out && out->flush)
		r = out->flush(out->ctx);
	if (secret)
		tf_json_wipe(o);
	json_object_put(o);
	if (r) {   /* the front end said why */
		h->word = "store";
		return TF_STORE;
	}
	return TF_OK;
}

tf_status tf_flush(tf *h, const struct tf_sink *out)
{
	if (out && out->flush && out->flush(out->ctx)) {
		h->word = "store";   /* the front end said why */
		return TF_STORE;
	}
	return TF_OK;
}

tf_status tf_emit(tf *h, const struct tf_sink *out, json_object *o)
{
	return emit(h, out, o, 0);
}

tf_status tf_emit_secret(tf *h, const struct tf_sink *out, json_object *o)
{
	return emit(h, out, o, 1);
}

/* ---- sessions ---- */

tf_status tf_sess_begin(tf *h, struct tf_sess *ss, const char *name)
{
	tf_status ret;
	int st;

	memset(ss, 0, sizeof *ss);
	ss->h = h;
	ss->s = h->s;
	ss->name = name;
	if ((ret = tf_check_name(h, name)))
		return ret;
	ss->a = account_new();
	if (!ss->a)
		return tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
	if ((st = store_ref(ss->s, name, &ss->ref)) || (st = store_lock(ss->s, &ss->ref)))
		return tf_fail_store(h, st);
	st = store_load(ss->s, &ss->ref, name, ss->a);
	if (st == ST_ENOENT)
		return tf_fail(h, TF_NOENT, NULL, "no such account");
	if (st)
		return tf_fail_store(h, st);
	if (ss->a->moved_to[0]) {   /* a rename that a crash interrupted: finish it */
		char to[ACCT_NAME_MAX + 1];

		memcpy(to, ss->a->moved_to, sizeof to);
		if ((ret = rename_finish(h, &ss->ref, ss->a, NULL)))
			return ret;
		return tf_fail(h, TF_NOENT, NULL, "no such account (renamed to '%s')", to);
	}
	return TF_OK;
}

void tf_sess_release(struct tf_sess *ss)
{
	if (ss->s)
		store_unlock(ss->s, &ss->ref);
}

tf_status tf_sess_retake(struct tf_sess *ss)
{
	char uid[ACCT_UID_MAX + 1];
	int st;

	memcpy(uid, ss->a->uid, sizeof uid);
	if ((st = store_lock(ss->s, &ss->ref)))
		return tf_fail_store(ss->h, st);
	st = store_load(ss->s, &ss->ref, ss->name, ss->a);
	if (st == ST_ENOENT || (!st && (strcmp(ss->a->uid, uid) || ss->a->moved_to[0])))
		return tf_fail(ss->h, TF_NOENT, NULL, "the account was deleted or renamed meanwhile");
	return st ? tf_fail_store(ss->h, st) : TF_OK;
}

const char *tf_acct_ctx(const struct tf_sess *ss)
{
	return ss->a->uid;   /* store_load fills it in for records from before uids */
}

tf_status tf_sess_save(struct tf_sess *ss)
{
	int st = store_save(ss->s, &ss->ref, ss->a);

	return st ? tf_fail_store(ss->h, st) : TF_OK;
}

void tf_sess_end(struct tf_sess *ss)
{
	if (ss->s)
		store_unlock(ss->s, &ss->ref);
	account_free(ss->a);
	memset(ss, 0, sizeof *ss);
}
