/* SPDX-License-Identifier: ISC */
/* lib/password.c — passwords as the first factor: passwd, and the email
 * reset (send a single-use link, redeem its token). */
#include "lib/shared.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW_MIN 8

/* Hash pw with Argon2id into the account. */
static tf_status set_password(tf *h, struct account *a, const char *pw)
{
	size_t n = strlen(pw);

	if (n < PW_MIN)
		return tf_fail(h, TF_USAGE, NULL, "a password needs at least %d characters", PW_MIN);
	if (crypto_pwhash_str(a->pwhash, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return tf_fail(h, TF_STORE, NULL, "cannot hash the password (out of memory?)");
	auth_revoke_sent(a);   /* codes and links sent before the change die with the old password */
	return TF_OK;
}

tf_status tf_passwd(tf *h, const struct tf_passwd_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	json_object *o;
	tf_status ret;

	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = set_password(h, ss.a, a->password ? a->password : "")))
		goto out;
	budget_reset(&ss.a->lk_pw);   /* old guesses were against a password that is gone */
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "passwd", a->name, "ok", NULL, NULL)))
		goto out;
	tf_sess_end(&ss);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "password", json_object_new_boolean(1));
	ret = tf_emit(h, out, o);
out:
	tf_sess_end(&ss);
	return ret;
}

/* ---- reset ---- */

tf_status tf_reset_send(tf *h, const struct tf_reset_send_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h), ttl, resend, last, prev_sent;
	struct tf_sess ss = { 0 };
	struct account *snap = NULL;
	char token[ACCT_NAME_MAX + 2 + 64], *url = NULL, minutes[24];
	uint8_t hash[CODE_HASH_BYTES];
	uint32_t epoch;
	json_object *o;
	tf_status ret, sent;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (ss.a->email_reset_off) {
		ret = tf_fail(h, TF_LOCKED, NULL, "the email reset is turned off for %s (user set %s --email-reset on)",
		              a->name, a->name);
		goto out;
	}
	if (!destination(h, ss.a, CH_EMAIL)) {
		ret = TF_NEED_ENROL;
		goto out;
	}
	if ((ret = tf_config_duration(h, "reset.ttl", 3600, &ttl)) ||
	    (ret = tf_config_duration(h, "code.resend", 30, &resend)))
		goto out;
	last = ss.a->reset_sent ? ss.a->reset_sent : ss.a->reset_expires ? ss.a->reset_expires - ttl : 0;
	if (last && now < last + resend) {
		ret = tf_fail(h, TF_LOCKED, NULL, "a reset link was sent moments ago: wait %lld s before another",
		              (long long)(last + resend - now));
		goto out;
	}
	/* 1. under the lock: the token, its hash (bound to this address), and
	 * the resend slot reserved */
	if ((ret = link_token_make(&ss, "reset", token, sizeof token, hash)) ||
	    (ret = link_token_url(h, "reset.url", token, &url)))
		goto out;
	if (!(snap = account_new())) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	prev_sent = ss.a->reset_sent;
	epoch = ss.a->sent_epoch;
	ss.a->reset_sent = now;
	if ((ret = tf_sess_save(&ss)))
		goto out;
	memcpy(snap, ss.a, sizeof *snap);
	/* 2. without it: a slow mail server never holds the account */
	tf_sess_release(&ss);
	snprintf(minutes, sizeof minutes, "%lld", (long long)(ttl + 59) / 60);
	{
		struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(h) },
		                       { "url", url }, { "minutes", minutes } };

		sent = deliver(h, snap, CH_EMAIL, "reset", v, 4);
	}
	/* 3. under it again: the link is recorded, or the slot given back */
	if ((ret = tf_sess_retake(&ss)))
		goto out;
	if (!sent && (strcmp(ss.a->email, snap->email) || ss.a->sent_epoch != epoch || ss.a->email_reset_off))
		sent = tf_fail(h, TF_DELIVERY, NULL, "the account's address or settings changed while the message was "
		               "sent: nothing recorded, send again");
	if (sent) {
		if (ss.a->reset_sent == now)
			ss.a->reset_sent = prev_sent;
		TF_IGNORE(tf_sess_save(&ss));
		ret = sent;
		goto out;
	}
	memcpy(ss.a->reset_hash, hash, sizeof hash);   /* a new link replaces the old */
	ss.a->reset_expires = now + ttl;
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "reset.send", a->name, "sent", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "expires", json_object_new_int64(ss.a->reset_expires));
	json_object_object_add(o, "to", json_object_new_string(ss.a->email));
	ret = tf_emit(h, out, o);
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(hash, sizeof hash);
	if (url) {
		sodium_memzero(url, strlen(url));
		free(url);
	}
	account_free(snap);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_reset_redeem(tf *h, const struct tf_reset_redeem_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	char *in = NULL, *secret;
	size_t n = a->token ? strlen(a->token) : 0;
	int ok, have_pw = a->password != NULL;
	json_object *o;
	tf_status ret;

	if (!(in = sodium_malloc(n + 1)))
		return tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
	memcpy(in, a->token ? a->token : "", n + 1);
	if (!(secret = link_token_split(in))) {
		ret = tf_fail(h, TF_USAGE, NULL, "malformed reset token");
		goto out;
	}
	if ((ret = tf_sess_begin(h, &ss, in)))
		goto out;
	if (ss.a->email_reset_off) {
		ret = tf_fail(h, TF_LOCKED, NULL, "the email reset is turned off for this account");
		goto out;
	}
	ok = ss.a->reset_expires && link_token_matches(&ss, "reset", secret, ss.a->reset_hash);
	if (!ok || now >= ss.a->reset_expires) {
		if (ok) {   /* expired: it goes */
			ss.a->reset_expires = 0;
			sodium_memzero(ss.a->reset_hash, sizeof ss.a->reset_hash);
			if ((ret = tf_sess_save(&ss)))
				goto out;
		}
		if (!(ret = tf_audit(h, "reset.redeem", ss.a->name, "rejected", NULL, NULL)))
			ret = tf_fail(h, TF_REJECTED, NULL, "the reset link is not valid (wrong, used or expired)");
		goto out;
	}
	ss.a->reset_expires = 0;
	sodium_memzero(ss.a->reset_hash, sizeof ss.a->reset_hash);
	if (have_pw && (ret = set_password(h, ss.a, a->password)))
		goto out;
	if (have_pw)   /* the password's budget only: the codes' is never reset by mail */
		budget_reset(&ss.a->lk_pw);
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "reset.redeem", ss.a->name, have_pw ? "password set" : "ok", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ss.a->name));
	json_object_object_add(o, "password_set", json_object_new_boolean(have_pw));
	tf_sess_end(&ss);
	ret = tf_emit(h, out, o);
out:
	tf_sess_end(&ss);
	sodium_free(in);
	return ret;
}
