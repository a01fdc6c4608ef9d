/* SPDX-License-Identifier: ISC */
/* lib/trust.c — remembered devices: add, list, revoke. */
#include "lib/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(TF_DEVICE_TOKEN_CHARS == TRUST_TOKEN_CHARS, "twofactl.h and core/policy.h agree on a token's length");

/* One line of text without control characters (as enroll's labels). */
static int one_line(const char *s)
{
	return core_text_line_ok(s);
}

tf_status tf_trust_add(tf *h, const struct tf_trust_add_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	char token[TRUST_TOKEN_CHARS + 1] = "";
	uint32_t id = 0;
	unsigned days = a->days, cfg_days;
	json_object *o;
	tf_status ret;

	if (days > 365)
		return tf_fail(h, TF_USAGE, NULL, "--days: '%u' is not a number of days from 1 to 365", days);
	if (a->label && (strlen(a->label) > LABEL_MAX || !one_line(a->label)))
		return tf_fail(h, TF_USAGE, NULL, "--label: one line of at most %d characters, no control characters",
		               LABEL_MAX);
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	/* read (and checked) even when the caller chose the days, as always */
	if ((ret = tf_config_uint(h, "trust.days", 30, 1, 365, &cfg_days)))
		goto out;
	if (!days)
		days = cfg_days;
	if (trust_add(ss.a, ss.a->code_key, tf_acct_ctx(&ss), now, (int64_t)days * 86400, a->label, token, &id)) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot make a device token");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "expires", json_object_new_int64(now + (int64_t)days * 86400));
	/* shown once: taken by the caller before the device is remembered */
	if ((ret = tf_emit_secret(h, out, o)) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "trust.add", a->name, "ok", NULL, a->label)))
		goto out;
out:
	sodium_memzero(token, sizeof token);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_trust_list(tf *h, const struct tf_trust_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	tf_status ret;

	if (!(ret = tf_sess_begin(h, &ss, a->name)))
		for (unsigned i = 0; i < ss.a->ntr && !ret; i++) {
			const struct trusted *t = &ss.a->tr[i];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "id", json_object_new_int64(t->id));
			json_object_object_add(o, "label", t->label[0] ? json_object_new_string(t->label) : NULL);
			json_object_object_add(o, "created", json_object_new_int64(t->created));
			json_object_object_add(o, "expires", json_object_new_int64(t->expires));
			json_object_object_add(o, "expired", json_object_new_boolean(now >= t->expires));
			json_object_object_add(o, "last_used", t->last_used ? json_object_new_int64(t->last_used) : NULL);
			ret = tf_emit(h, out, o);
		}
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_trust_revoke(tf *h, const struct tf_trust_revoke_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	unsigned n = 0;
	json_object *o;
	tf_status ret;

	if (!a->all == !a->id)
		return tf_fail(h, TF_USAGE, NULL, "give a device ID or --all");
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (a->all) {
		n = ss.a->ntr;
		while (ss.a->ntr)
			(void)trust_revoke(ss.a, ss.a->tr[0].id);
	} else if (!(n = (unsigned)trust_revoke(ss.a, a->id))) {
		ret = tf_fail(h, TF_NOENT, NULL, "no device %lld", (long long)a->id);
		goto out;
	}
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "trust.revoke", a->name, "ok", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "revoked", json_object_new_int64(n));
	ret = tf_emit(h, out, o);
out:
	tf_sess_end(&ss);
	return ret;
}
