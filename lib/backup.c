/* SPDX-License-Identifier: ISC */
/* lib/backup.c — backup codes: issue, list, revoke. */
#include "lib/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

tf_status tf_backup_issue(tf *h, const struct tf_backup_issue_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	unsigned count = a->count ? a->count : ACCT_BACKUP_DEFAULT;
	struct tf_sess ss = { 0 };
	char (*codes)[BACKUP_DISPLAY] = NULL;
	json_object *o, *arr;
	tf_status ret;

	if (count > ACCT_MAX_BACKUP)
		return tf_fail(h, TF_USAGE, NULL, "--count: '%u' is not a number from 1 to %d", count, ACCT_MAX_BACKUP);
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = stepup(&ss, a->stepup, "backup issue")))
		goto out;
	codes = sodium_malloc(sizeof *codes * count);
	if (!codes || auth_issue_backup(ss.a, count, ss.a->code_key, tf_acct_ctx(&ss), codes, now)) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot make backup codes");
		goto out;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (unsigned i = 0; i < count; i++)
		json_object_array_add(arr, json_object_new_string(codes[i]));
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "backup_codes", arr);
	/* shown once: taken by the caller before the new set replaces the old,
	 * which stays when they cannot be */
	if ((ret = tf_emit_secret(h, out, o)) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "backup.issue", a->name, "ok", NULL, NULL)))
		goto out;
out:
	if (codes)
		sodium_free(codes);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_backup_list(tf *h, const struct tf_backup_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	json_object *o;
	tf_status ret;

	if (!(ret = tf_sess_begin(h, &ss, a->name))) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "left", json_object_new_int64(ss.a->nbackup));
		json_object_object_add(o, "issued", ss.a->backup_issued ?
		                       json_object_new_int64(ss.a->backup_issued) : NULL);
		ret = tf_emit(h, out, o);
	}
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_backup_revoke(tf *h, const struct tf_backup_revoke_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	char norm[CODE_MAX_INPUT + 1] = "", ctx[80];
	unsigned before, revoked;
	json_object *o;
	tf_status ret;

	if (!a->all == !a->code) {
		ret = tf_fail(h, TF_USAGE, NULL, "give a backup code or --all");
		goto out;
	}
	if (a->code && code_classify(a->code, norm, sizeof norm) != CODE_BACKUP) {
		ret = tf_fail(h, TF_USAGE, NULL, "malformed backup code");
		goto out;
	}
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	before = ss.a->nbackup;
	if (a->all) {
		sodium_memzero(ss.a->backup, sizeof ss.a->backup);
		ss.a->nbackup = 0;
	} else {
		struct auth_params p = { .code_key = ss.a->code_key, .context = ctx,
		                         .allow_backup = 1, .now = now };
		struct auth_outcome res;

		snprintf(ctx, sizeof ctx, "%s", tf_acct_ctx(&ss));
		if (auth_check(ss.a, norm, CODE_BACKUP, &p, &res) || res.result != AUTH_OK) {
			ret = tf_fail(h, TF_NOENT, NULL, "no such backup code");
			goto out;
		}
	}
	revoked = before - ss.a->nbackup;
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "backup.revoke", a->name, "ok", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "revoked", json_object_new_int64(revoked));
	json_object_object_add(o, "left", json_object_new_int64(ss.a->nbackup));
	ret = tf_emit(h, out, o);
out:
	sodium_memzero(norm, sizeof norm);
	tf_sess_end(&ss);
	return ret;
}
