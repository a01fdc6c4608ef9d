/* SPDX-License-Identifier: ISC */
/* lib/send.c — send: a one-time code by email or SMS (the delivery itself
 * is lib/sendcode.c's send_code). */
#include "lib/shared.h"

#include <stdio.h>
#include <string.h>

/* send --purpose enroll: the pending enrolment is still there after the delivery */
static int still_pending(struct tf_sess *ss, void *ctx)
{
	const enum channel *ch = ctx;

	if (!account_channel_factor(ss->a, *ch, FS_PENDING))
		return tf_fail(ss->h, TF_NOENT, NULL, "the pending %s enrolment went away while the message was sent",
		               channel_name(*ch));
	return TF_OK;
}

tf_status tf_send(tf *h, const struct tf_send_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	enum channel ch;
	enum purpose p;
	char session[4], detail[48];
	json_object *o;
	tf_status ret;

	switch (a->via) {
	case TF_CHANNEL_EMAIL: ch = CH_EMAIL; break;
	case TF_CHANNEL_SMS: ch = CH_SMS; break;
	default: return tf_fail(h, TF_USAGE, NULL, "--via: not email or sms");
	}
	switch (a->purpose) {
	case TF_CODE_LOGIN: p = P_LOGIN; break;
	case TF_CODE_ENROLL: p = P_ENROLL; break;
	case TF_CODE_CONFIRM: p = P_CONFIRM; break;
	default: return tf_fail(h, TF_USAGE, NULL, "--purpose: not login, enroll or confirm");
	}
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (p == P_ENROLL) {
		if (!account_channel_factor(ss.a, ch, FS_PENDING)) {
			ret = tf_fail(h, TF_NOENT, NULL, "no pending %s enrolment: run twofactl enroll %s --method %s",
			              channel_name(ch), a->name, channel_name(ch));
			goto out;
		}
	} else if (!account_channel_factor(ss.a, ch, FS_ACTIVE)) {
		ret = tf_fail(h, TF_NEED_ENROL, NULL, "%s is not an enrolled method of %s: run twofactl enroll %s --method %s",
		              channel_name(ch), a->name, a->name, channel_name(ch));
		goto out;
	}
	if ((ret = send_code(&ss, ch, p, session, p == P_ENROLL ? still_pending : NULL, &ch)))
		goto out;
	snprintf(detail, sizeof detail, "%s %s", channel_name(ch), purpose_name(p));
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "send", a->name, "sent", NULL, detail)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "via", json_object_new_string(channel_name(ch)));
	json_object_object_add(o, "purpose", json_object_new_string(purpose_name(p)));
	json_object_object_add(o, "session", json_object_new_string(session));
	json_object_object_add(o, "expires", json_object_new_int64(ss.a->otc[ch].expires));
	json_object_object_add(o, "to", json_object_new_string(ch == CH_EMAIL ? ss.a->email : ss.a->phone));
	ret = tf_emit(h, out, o);
out:
	tf_sess_end(&ss);
	return ret;
}
