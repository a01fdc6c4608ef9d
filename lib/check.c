/* SPDX-License-Identifier: ISC */
/* lib/check.c — check: does this login need a second factor? */
#include "lib/shared.h"
#include "core/cidr.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void add_unique(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
			return;
	json_object_array_add(arr, json_object_new_string(s));
}

/* The account's whitelist or its organisation's covers ip. */
static tf_status whitelisted(tf *h, const struct account *acct, const uint8_t ip[16], int64_t now, int *wl)
{
	struct acct_ref oref = { 0 };
	struct org o;
	int r;

	*wl = wl_match(acct->wl, acct->nwl, ip, now) >= 0;
	if (*wl || !acct->org[0])
		return TF_OK;
	r = org_read(h, acct->org, &oref, &o);
	if (r && r != TF_NOENT)
		return r;
	*wl = !r && wl_match(o.wl, o.nwl, ip, now) >= 0;
	return TF_OK;
}

tf_status tf_check(tf *h, const struct tf_check_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h), wait, warn_after;
	struct tf_sess ss = { 0 };
	uint8_t ip[16];
	char polwhy[96];
	struct policy_out po;
	enum decision d;
	const char *reason = "";
	unsigned digits = 0;
	int wl = 0, trusted = -1, changed = 0;
	tf_status ret;
	json_object *methods = NULL, *missing = NULL, *o;

	if (a->ip && ip_parse(a->ip, ip))
		return tf_fail(h, TF_USAGE, NULL, "--ip: '%s' is not an IPv4 or IPv6 address", tf_safe(a->ip));
	if (a->device_token && !trust_token_valid(a->device_token))
		return tf_fail(h, TF_USAGE, NULL, "malformed device token");
	if ((ret = tf_sess_begin(h, &ss, a->name)) ||
	    (ret = tf_config_duration(h, "login.warn_after", 900, &warn_after)))
		goto out;
	/* the second factor's budget; for a service account, whose password is
	 * its only factor, the password's too */
	if (lock_check(ss.a, now, &wait) != LOCK_OPEN ||
	    (ss.a->service && budget_check(&ss.a->lk_pw, now, &wait) != LOCK_OPEN)) {
		ret = tf_fail(h, TF_LOCKED, NULL, "locked out after too many failures%s",
		              ss.a->lk_codes.failures >= LOCK_HARD || (ss.a->service && ss.a->lk_pw.failures >= LOCK_HARD) ?
		              ": an administrator must run 'twofactl user unlock'" : "");
		goto out;
	}
	if ((ret = effective_policy(h, ss.a, &po, polwhy, sizeof polwhy)))
		goto out;
	if (a->ip && (ret = whitelisted(h, ss.a, ip, now, &wl)))
		goto out;
	if (a->device_token) {
		trusted = trust_match(ss.a, ss.a->code_key, tf_acct_ctx(&ss), a->device_token, now);
		if (trusted >= 0) {
			ss.a->tr[trusted].last_used = now;
			changed = 1;
		}
	}
	methods = json_object_new_array();
	missing = json_object_new_array();
	d = policy_decide(ss.a, po.pol, wl, trusted >= 0, &reason);
	if (d == DEC_CODE) {
		for (unsigned i = 0; i < ss.a->nf; i++) {
			const struct factor *f = &ss.a->f[i];

			if (f->status != FS_ACTIVE)
				continue;
			add_unique(methods, factor_type_name(f->type));
			if (!digits && (f->type == F_TOTP || f->type == F_HOTP))
				digits = f->digits;   /* the first app's: forward_pass splits by it */
		}
		if (ss.a->nbackup)
			add_unique(methods, "backup");
		login_open(ss.a, now, a->ip ? ip : NULL, warn_after);
		changed = 1;
	} else if (d == DEC_ENROL) {
		add_unique(methods, "totp");
		if (ss.a->email[0])
			add_unique(methods, "email");
		else
			add_unique(missing, "email");
		if (ss.a->phone[0])
			add_unique(methods, "sms");
		else
			add_unique(missing, "phone");
	}
	if (changed && (ret = tf_sess_save(&ss)))
		goto out;
	if ((ret = tf_audit(h, "check", a->name, d == DEC_PASS ? "pass" : d == DEC_CODE ? "code" : "enroll",
	                    a->ip, reason)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "result", json_object_new_string(
		d == DEC_PASS ? "pass" : d == DEC_CODE ? "code" : "enroll"));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "policy", json_object_new_string(policy_name(po.pol)));
	json_object_object_add(o, "policy_source", json_object_new_string(polwhy));
	json_object_object_add(o, "methods", json_object_get(methods));
	if (d == DEC_CODE)
		json_object_object_add(o, "digits", json_object_new_int(digits ? (int)digits : OTC_DIGITS));
	if (d == DEC_ENROL)
		json_object_object_add(o, "missing", json_object_get(missing));
	if ((ret = tf_emit(h, out, o)))
		goto out;
	ret = d == DEC_PASS ? TF_OK : d == DEC_CODE ? TF_NEED_CODE : TF_NEED_ENROL;
out:
	tf_sess_end(&ss);
	json_object_put(methods);
	json_object_put(missing);
	return ret;
}
