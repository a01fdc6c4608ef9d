/* SPDX-License-Identifier: ISC */
/* lib/verify.c — verify: a code (app, backup, email or SMS) or the
 * password. The WebAuthn assertion is in lib/webauthn.c. */
#include "lib/shared.h"
#include "core/lockout.h"

#include <sodium.h>
#include <string.h>

static const char *method_of(const struct auth_outcome *res, struct account *a)
{
	struct factor *f;

	if (res->backup)
		return "backup";
	if (res->channel >= 0)
		return channel_name((enum channel)res->channel);
	f = account_factor(a, res->factor);
	return f ? factor_type_name(f->type) : "unknown";
}

tf_status tf_verify(tf *h, const struct tf_verify_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct attempt_opts o = { .event = "verify", .ip = a->ip, .allow_backup = 1,
	                          .otc_purposes = 1u << P_LOGIN, .defer = 1 };
	struct auth_outcome res;
	struct tf_sess ss = { 0 };
	struct account *before = NULL;
	json_object *j;
	tf_status ret;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (!(before = account_new())) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	memcpy(before, ss.a, sizeof *before);
	/* An accepted code is spent on disk before anything says "accepted"
	 * (a verify that cannot record it fails closed, or a full disk would
	 * let one code in again and again), and the answer must reach the
	 * caller before it is final: when it cannot be delivered, the record
	 * goes back to what it was and the code stays unused. */
	if ((ret = attempt(&ss, a->code ? a->code : "", &o, &res)) || (ret = tf_sess_save(&ss)))
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "result", json_object_new_string("accepted"));
	json_object_object_add(j, "method", json_object_new_string(method_of(&res, ss.a)));
	json_object_object_add(j, "factor", res.factor ? json_object_new_int64(res.factor) : NULL);
	json_object_object_add(j, "drift", json_object_new_int64(res.drift));
	json_object_object_add(j, "backup_left", json_object_new_int64(ss.a->nbackup));
	ret = tf_emit(h, out, j);
	if (tf_flush(h, out))
		ret = TF_STORE;
	if (ret) {
		if (store_save(ss.s, &ss.ref, before))
			ret = tf_fail(h, TF_STORE, NULL, "%s: the code could not be given back and stays used",
			              store_error(ss.s));
		goto out;
	}
	ret = attempt_audit(&ss, &o, &res);
out:
	account_free(before);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_verify_password(tf *h, const struct tf_verify_password_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	unsigned after;
	tf_status ret;
	json_object *j;
	int ok;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (!a->password || !a->password[0]) {
		ret = tf_fail(h, TF_USAGE, NULL, "no password given");
		goto out;
	}
	if (!ss.a->pwhash[0]) {
		ret = tf_fail(h, TF_NOENT, NULL, "no password is set for this account");
		goto out;
	}
	if (ss.a->password_off) {
		ret = tf_fail(h, TF_REJECTED, NULL, "password login is turned off for this account: "
		              "use its OpenID Connect identity");
		goto out;
	}
	if ((ret = tf_config_uint(h, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = password_gate(&ss, "verify.password", a->ip)))
		goto out;
	ok = crypto_pwhash_str_verify(ss.a->pwhash, a->password, strlen(a->password)) == 0;
	if (ok) {
		budget_success(&ss.a->lk_pw);
		ss.a->verified++;
	} else {
		budget_fail(&ss.a->lk_pw, now, after);
	}
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "verify.password", ss.name, ok ? "ok" : "rejected", a->ip, NULL)))
		goto out;
	tf_sess_end(&ss);
	if (!ok) {
		ret = tf_fail(h, TF_REJECTED, NULL, "password rejected");
		goto out;
	}
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "result", json_object_new_string("accepted"));
	json_object_object_add(j, "method", json_object_new_string("password"));
	ret = tf_emit(h, out, j);
out:
	tf_sess_end(&ss);
	return ret;
}
