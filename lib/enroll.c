/* SPDX-License-Identifier: ISC */
/* lib/enroll.c — a factor's life: enroll, confirm (by code, by link),
 * show, code, disable. */
#include "lib/shared.h"
#include "core/timefmt.h"
#include "core/b32.h"
#include "core/uri.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The public names of what the caller chooses, as the record has them. */
static int method_type(tf_method m, enum factor_type *t)
{
	switch (m) {
	case TF_METHOD_TOTP: *t = F_TOTP; return 0;
	case TF_METHOD_HOTP: *t = F_HOTP; return 0;
	case TF_METHOD_EMAIL: *t = F_EMAIL; return 0;
	case TF_METHOD_SMS: *t = F_SMS; return 0;
	}
	return -1;
}

static int algo_of(tf_otp_algo a, enum otp_algo *o)
{
	switch (a) {
	case TF_ALGO_SHA1: *o = OTP_SHA1; return 0;
	case TF_ALGO_SHA256: *o = OTP_SHA256; return 0;
	case TF_ALGO_SHA512: *o = OTP_SHA512; return 0;
	}
	return -1;
}

/* One line of text without control characters (labels, issuers). */
static int one_line(const char *s)
{
	return core_text_line_ok(s);
}

static tf_status check_label(tf *h, const char *label)
{
	if (label && (strlen(label) > LABEL_MAX || !one_line(label)))
		return tf_fail(h, TF_USAGE, NULL, "--label: one line of at most %d characters, no control characters",
		               LABEL_MAX);
	return TF_OK;
}

static tf_status check_issuer(tf *h, const char *issuer)
{
	if (issuer && (!*issuer || strlen(issuer) > 100 || strchr(issuer, ':') || !one_line(issuer)))
		return tf_fail(h, TF_USAGE, NULL, "--issuer: give 1 to 100 characters, no ':' and no control characters");
	return TF_OK;
}

/* What a user needs to add an app's factor: the URI and the key (a secret). */
static tf_status present(tf *h, const struct account *acct, const struct factor *f, const char *issuer,
                         const struct tf_sink *out)
{
	char *uri = NULL, b32[2 * OTP_MAX_KEY];
	json_object *o;
	tf_status ret;

	if (otpauth_uri(f, issuer, acct->name, &uri) != CORE_OK ||
	    b32_encode(f->key, f->keylen, b32, sizeof b32) != CORE_OK) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot encode the key");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(acct->name));
	json_object_object_add(o, "factor", json_object_new_int64(f->id));
	json_object_object_add(o, "type", json_object_new_string(factor_type_name(f->type)));
	json_object_object_add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
	json_object_object_add(o, "uri", json_object_new_string(uri));
	json_object_object_add(o, "secret", json_object_new_string(b32));
	json_object_object_add(o, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
	json_object_object_add(o, "digits", json_object_new_int64(f->digits));
	if (f->type == F_TOTP)
		json_object_object_add(o, "period", json_object_new_int64(f->period));
	else
		json_object_object_add(o, "counter", json_object_new_uint64(f->counter));
	ret = tf_emit_secret(h, out, o);
out:
	if (uri) {
		sodium_memzero(uri, strlen(uri));
		free(uri);
	}
	sodium_memzero(b32, sizeof b32);
	return ret;
}

/* ---- enroll ---- */

/* Email or SMS as a method: a pending factor, confirmed by a code sent now. */
struct channel_enrol {
	enum factor_type type;
	enum channel ch;
	const char *label;
	int64_t now;
	uint32_t fid;
};

/* Under the lock, once the code went out: the pending factor (replacing
 * one of the same kind), unless the method became active meanwhile. */
static int add_pending_channel(struct tf_sess *ss, void *ctx)
{
	struct channel_enrol *ce = ctx;
	struct factor *f;

	if (account_channel_factor(ss->a, ce->ch, FS_ACTIVE))
		return tf_fail(ss->h, TF_USAGE, NULL, "%s became an active method meanwhile", channel_name(ce->ch));
	for (unsigned i = ss->a->nf; i-- > 0;)
		if (ss->a->f[i].status == FS_PENDING && ss->a->f[i].type == ce->type)
			account_factor_del(ss->a, ss->a->f[i].id);
	f = account_factor_add(ss->a, ce->now);
	if (!f)
		return tf_fail(ss->h, TF_USAGE, NULL, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
	f->type = ce->type;
	f->status = FS_PENDING;
	f->digits = OTC_DIGITS;
	if (ce->label && core_strlcpy(f->label, ce->label, sizeof f->label))
		return tf_fail(ss->h, TF_USAGE, NULL, "label too long");
	ce->fid = f->id;
	return TF_OK;
}

static tf_status enroll_channel(tf *h, const struct tf_enroll_args *a, enum factor_type type, int64_t now,
                                const struct tf_sink *out)
{
	struct channel_enrol ce = { .type = type, .ch = type == F_EMAIL ? CH_EMAIL : CH_SMS,
	                            .label = a->label, .now = now };
	struct tf_sess ss = { 0 };
	char session[4], detail[32];
	unsigned pending = 0;
	json_object *o;
	tf_status ret;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (account_channel_factor(ss.a, ce.ch, FS_ACTIVE)) {
		ret = tf_fail(h, TF_USAGE, NULL, "%s is already an active method", channel_name(ce.ch));
		goto out;
	}
	if ((ret = stepup(&ss, a->stepup, "enroll")))
		goto out;
	if (!destination(h, ss.a, ce.ch)) {
		ret = TF_NEED_ENROL;
		goto out;
	}
	for (unsigned i = 0; i < ss.a->nf; i++)
		pending += ss.a->f[i].status == FS_PENDING && ss.a->f[i].type == type;
	if (ss.a->nf - pending >= ACCT_MAX_FACTORS) {
		ret = tf_fail(h, TF_USAGE, NULL, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
		goto out;
	}
	if (a->label && strlen(a->label) > LABEL_MAX) {
		ret = tf_fail(h, TF_USAGE, NULL, "label too long");
		goto out;
	}
	/* nothing is saved but the resend slot unless the code reached the server */
	if ((ret = send_code(&ss, ce.ch, P_ENROLL, session, add_pending_channel, &ce)))
		goto out;
	snprintf(detail, sizeof detail, "%s factor %u", channel_name(ce.ch), ce.fid);
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "enroll", a->name, "pending", NULL, detail)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "factor", json_object_new_int64(ce.fid));
	json_object_object_add(o, "type", json_object_new_string(factor_type_name(type)));
	json_object_object_add(o, "status", json_object_new_string("pending"));
	json_object_object_add(o, "session", json_object_new_string(session));
	json_object_object_add(o, "to", json_object_new_string(ce.ch == CH_EMAIL ? ss.a->email : ss.a->phone));
	ret = tf_emit(h, out, o);
out:
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_enroll(tf *h, const struct tf_enroll_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct factor *f;
	enum factor_type type;
	enum otp_algo algo;
	unsigned digits = a->digits ? a->digits : 6, period = a->period ? a->period : 30;
	char detail[32];
	tf_status ret;

	if (method_type(a->method, &type))
		return tf_fail(h, TF_USAGE, NULL, "--method: not one of totp, hotp, email, sms");
	if ((ret = check_label(h, a->label)))
		return ret;
	if (type == F_EMAIL || type == F_SMS)
		return enroll_channel(h, a, type, now, out);
	if (algo_of(a->algo, &algo))
		return tf_fail(h, TF_USAGE, NULL, "--algo: not one of sha1, sha256, sha512");
	if (digits != 6 && digits != 8)
		return tf_fail(h, TF_USAGE, NULL, "--digits: '%u' is not 6 or 8", digits);
	if (period < 10 || period > 300)
		return tf_fail(h, TF_USAGE, NULL, "--period: '%u' is not a number of seconds from 10 to 300", period);
	if ((ret = check_issuer(h, a->issuer)))
		return ret;
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = stepup(&ss, a->stepup, "enroll")))
		goto out;
	/* A new enrolment of the same kind replaces one still pending. */
	for (unsigned i = ss.a->nf; i-- > 0;)
		if (ss.a->f[i].status == FS_PENDING && ss.a->f[i].type == type)
			account_factor_del(ss.a, ss.a->f[i].id);
	f = account_factor_add(ss.a, now);
	if (!f) {
		ret = tf_fail(h, TF_USAGE, NULL, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
		goto out;
	}
	f->type = type;
	f->status = FS_PENDING;
	f->algo = algo;
	f->digits = digits;
	f->period = type == F_TOTP ? period : 0;
	f->keylen = otp_algo_keylen(algo);
	randombytes_buf(f->key, f->keylen);
	if (a->label && core_strlcpy(f->label, a->label, sizeof f->label)) {
		ret = tf_fail(h, TF_USAGE, NULL, "label too long");
		goto out;
	}
	snprintf(detail, sizeof detail, "%s factor %u", factor_type_name(f->type), f->id);
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "enroll", a->name, "pending", NULL, detail)))
		goto out;
	ret = present(h, ss.a, f, a->issuer ? a->issuer : tf_config_issuer(h), out);
out:
	tf_sess_end(&ss);
	return ret;
}

/* ---- show, code ---- */

static struct factor *pick_otp(struct account *acct, uint32_t id)
{
	struct factor *best = NULL;

	if (id) {
		best = account_factor(acct, id);
		return best && (best->type == F_TOTP || best->type == F_HOTP) ? best : NULL;
	}
	for (unsigned i = 0; i < acct->nf; i++) {
		struct factor *f = &acct->f[i];

		if (f->type != F_TOTP && f->type != F_HOTP)
			continue;
		/* active ones first, then the newest */
		if (!best || (f->status == FS_ACTIVE && best->status != FS_ACTIVE) ||
		    (f->status == best->status && f->id > best->id))
			best = f;
	}
	return best;
}

tf_status tf_show(tf *h, const struct tf_show_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	struct factor *f;
	/* A front end sees a key only with its current code. */
	int need_code = h->role != TF_ROLE_ADMIN;
	tf_status ret;

	if ((ret = check_issuer(h, a->issuer)))
		return ret;
	if (need_code && (!a->code || !*a->code))
		return tf_fail(h, TF_USAGE, NULL, "no code: the key is shown again only with a current code");
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	f = pick_otp(ss.a, a->factor);
	if (!f) {
		ret = tf_fail(h, TF_NOENT, NULL, a->factor ? "no such TOTP/HOTP factor" : "no authenticator app enrolled");
		goto out;
	}
	if (need_code) {
		struct attempt_opts o = { .event = "show", .only_factor = f->id };
		struct auth_outcome res;

		if ((ret = attempt(&ss, a->code, &o, &res)))
			goto out;
	}
	if ((ret = tf_audit(h, "show", a->name, "ok", NULL, NULL)))
		goto out;
	ret = present(h, ss.a, f, a->issuer ? a->issuer : tf_config_issuer(h), out);
out:
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_code(tf *h, const struct tf_code_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct factor *f;
	char code[OTP_MAX_DIGITS + 1];
	json_object *o;
	tf_status ret;
	int r;

	/* the code that logs in now: an administrator's test aid only (serve's
	 * table lets no other role reach it either) */
	if ((ret = tf_require_admin(h, "code")))
		return ret;
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	f = pick_otp(ss.a, a->factor);
	if (!f) {
		ret = tf_fail(h, TF_NOENT, NULL, a->factor ? "no such TOTP/HOTP factor" : "no authenticator app enrolled");
		goto out;
	}
	if (f->type == F_TOTP)
		r = otp_totp(f->key, f->keylen, f->algo, now, f->period, f->digits, code);
	else
		r = otp_hotp(f->key, f->keylen, f->algo, f->counter, f->digits, code);
	if (r != CORE_OK) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot compute the code");
		goto out;
	}
	if ((ret = tf_audit(h, "code", a->name, "ok", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "factor", json_object_new_int64(f->id));
	json_object_object_add(o, "code", json_object_new_string(code));
	if (f->type == F_TOTP)
		json_object_object_add(o, "valid_for", json_object_new_int64(
			(int64_t)f->period - now % (int64_t)f->period));
	ret = tf_emit_secret(h, out, o);
out:
	sodium_memzero(code, sizeof code);
	tf_sess_end(&ss);
	return ret;
}

/* ---- confirm ---- */

/* The factor is active: fresh backup codes when the account has none,
 * shown once, before anything is kept. */
static tf_status activated(tf *h, struct tf_sess *ss, struct factor *f, int64_t now,
                           const struct tf_sink *out)
{
	char (*codes)[BACKUP_DISPLAY] = NULL;
	unsigned nb = 0;
	json_object *o;
	tf_status ret;

	f->status = FS_ACTIVE;
	f->confirmed = now;
	ss->a->must_enrol = 0;   /* enrolled again after a recovery */
	if (ss->a->nbackup == 0) {
		nb = ACCT_BACKUP_DEFAULT;
		codes = sodium_malloc(sizeof *codes * nb);
		if (!codes || auth_issue_backup(ss->a, nb, ss->a->code_key, tf_acct_ctx(ss), codes, now)) {
			ret = tf_fail(h, TF_STORE, NULL, "cannot make backup codes");
			goto out;
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ss->a->name));
	json_object_object_add(o, "factor", json_object_new_int64(f->id));
	json_object_object_add(o, "type", json_object_new_string(factor_type_name(f->type)));
	json_object_object_add(o, "status", json_object_new_string("active"));
	if (nb) {
		json_object *arr = json_object_new_array();

		for (unsigned i = 0; i < nb; i++)
			json_object_array_add(arr, json_object_new_string(codes[i]));
		json_object_object_add(o, "backup_codes", arr);
	}
	/* the backup codes are shown once: out before the activation (and the
	 * codes it spends) is kept; a caller that cannot take them keeps
	 * nothing */
	ret = nb ? tf_emit_secret(h, out, o) : tf_emit(h, out, o);
	if (!ret && !nb)
		ret = tf_flush(h, out);
out:
	if (codes)
		sodium_free(codes);
	return ret;
}

/* confirm --by-link: the code was right (and its use saved); email the link
 * that activates, without holding the account's lock while it goes out. */
static tf_status send_activation(tf *h, struct tf_sess *ss, uint32_t fid, int64_t now,
                                 const struct tf_sink *out)
{
	struct account *snap = NULL;
	struct factor *f;
	char token[ACCT_NAME_MAX + 64], *url = NULL;
	uint8_t hash[CODE_HASH_BYTES];
	uint32_t epoch = ss->a->sent_epoch;
	int64_t ttl;
	json_object *o;
	tf_status ret;

	if (!destination(h, ss->a, CH_EMAIL))
		return TF_NEED_ENROL;
	if ((ret = tf_config_duration(h, "enroll.ttl", 86400, &ttl)) ||
	    (ret = link_token_make(ss, "activate", token, sizeof token, hash)) ||
	    (ret = link_token_url(h, "activate.url", token, &url)))
		goto out;
	if (!(snap = account_new())) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	memcpy(snap, ss->a, sizeof *snap);
	tf_sess_release(ss);
	{
		struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(h) }, { "url", url } };

		if ((ret = deliver(h, snap, CH_EMAIL, "activate", v, 3)))
			goto out;
	}
	if ((ret = tf_sess_retake(ss)))
		goto out;
	f = account_factor(ss->a, fid);
	if (!f || f->status != FS_PENDING || strcmp(ss->a->email, snap->email) || ss->a->sent_epoch != epoch) {
		ret = tf_fail(h, TF_DELIVERY, NULL, "the enrolment or the address changed while the message was sent: "
		              "nothing recorded, confirm again");
		goto out;
	}
	memcpy(ss->a->act_hash, hash, sizeof hash);
	ss->a->act_expires = now + ttl;
	ss->a->act_factor = fid;
	if ((ret = tf_sess_save(ss)) || (ret = tf_audit(h, "confirm.link-sent", ss->name, "pending", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ss->a->name));
	json_object_object_add(o, "factor", json_object_new_int64(fid));
	json_object_object_add(o, "status", json_object_new_string("pending"));
	json_object_object_add(o, "link_expires", json_object_new_int64(ss->a->act_expires));
	json_object_object_add(o, "to", json_object_new_string(ss->a->email));
	ret = tf_emit(h, out, o);
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(hash, sizeof hash);
	if (url) {
		sodium_memzero(url, strlen(url));
		free(url);
	}
	account_free(snap);
	return ret;
}

tf_status tf_confirm(tf *h, const struct tf_confirm_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h), ttl;
	struct attempt_opts o = { .event = "confirm", .defer = 1 };
	struct attempt_opts so = { .event = "confirm.sms", .only_factor = UINT32_MAX, .defer = 1,
	                           .otc_purposes = 1u << P_CONFIRM, .otc_channels = 1u << CH_SMS };
	struct auth_outcome res, sres;
	struct tf_sess ss = { 0 };
	struct factor *f = NULL;
	enum factor_type type;
	uint32_t fid;
	tf_status ret;
	int with_sms = 0;

	if (!a->code)
		return tf_fail(h, TF_USAGE, NULL, "no code");
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	for (unsigned i = 0; i < ss.a->nf; i++) {
		struct factor *c = &ss.a->f[i];

		if (c->status == FS_PENDING && (a->factor ? c->id == a->factor : (!f || c->id > f->id)))
			f = c;
	}
	if (!f) {
		ret = tf_fail(h, TF_NOENT, NULL, "no pending enrolment: run twofactl enroll first");
		goto out;
	}
	if ((ret = tf_config_duration(h, "enroll.ttl", 86400, &ttl)))
		goto out;
	if (now - f->created > ttl) {
		ret = tf_fail(h, TF_NOENT, NULL, "the pending enrolment expired: run twofactl enroll again");
		goto out;
	}
	if ((f->type == F_TOTP || f->type == F_HOTP) && account_channel_factor(ss.a, CH_SMS, FS_ACTIVE)) {
		/* seed 002: linking an app to an SMS account needs the SMS code too */
		if (!a->sms_code || !a->sms_code[0]) {
			ret = tf_fail(h, TF_USAGE, NULL, "the account's active method is SMS: give --sms-code "
			              "(send one with: twofactl send %s --via sms --purpose confirm)", a->name);
			goto out;
		}
		if ((ret = attempt(&ss, a->sms_code, &so, &sres)))
			goto out;
		with_sms = 1;
	}
	if (f->type == F_EMAIL || f->type == F_SMS) {
		o.otc_purposes = 1u << P_ENROLL;
		o.otc_channels = 1u << (f->type == F_EMAIL ? CH_EMAIL : CH_SMS);
	}
	fid = f->id;
	o.only_factor = fid;
	if ((ret = attempt(&ss, a->code, &o, &res)))
		goto out;
	if (a->by_link) {   /* the codes are spent; the link finishes the activation */
		if ((ret = tf_sess_save(&ss)) || (with_sms && (ret = attempt_audit(&ss, &so, &sres))) ||
		    (ret = attempt_audit(&ss, &o, &res)))
			goto out;
		ret = send_activation(h, &ss, fid, now, out);
		goto out;
	}
	f = account_factor(ss.a, fid);
	type = f->type;
	if ((ret = activated(h, &ss, f, now, out)) || (ret = tf_sess_save(&ss)) ||
	    (with_sms && (ret = attempt_audit(&ss, &so, &sres))) || (ret = attempt_audit(&ss, &o, &res)) ||
	    (ret = tf_audit(h, "confirm", a->name, "active", NULL, NULL)))
		goto out;
	if (type == F_EMAIL || type == F_SMS) {
		/* seed 003: the user is told the method is on; a failed notice does
		 * not undo the activation, and the account is not held meanwhile */
		struct msg_var v[] = { { "name", a->name }, { "issuer", tf_config_issuer(h) },
		                       { "method", factor_type_name(type) } };

		tf_sess_release(&ss);
		if (deliver(h, ss.a, type == F_EMAIL ? CH_EMAIL : CH_SMS, "success", v, 3))
			tf_fail(h, TF_OK, "warning", "warning: the method is active, but the success "
			        "message was not delivered");
	}
out:
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_confirm_link(tf *h, const struct tf_confirm_link_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct factor *f;
	size_t len = a->token ? strlen(a->token) : 0;
	char *in = NULL, *secret;
	tf_status ret;

	if (!len || len > ACCT_NAME_MAX + 64)
		return tf_fail(h, TF_USAGE, NULL, "malformed activation token");
	if (!(in = sodium_malloc(len + 1)))
		return tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
	memcpy(in, a->token, len + 1);
	if (!(secret = link_token_split(in))) {
		ret = tf_fail(h, TF_USAGE, NULL, "malformed activation token");
		goto out;
	}
	if ((ret = tf_sess_begin(h, &ss, in)))
		goto out;
	if (!ss.a->act_expires || now >= ss.a->act_expires ||
	    !link_token_matches(&ss, "activate", secret, ss.a->act_hash) ||
	    !(f = account_factor(ss.a, ss.a->act_factor)) || f->status != FS_PENDING) {
		if (!(ret = tf_audit(h, "confirm.link", ss.a->name, "rejected", NULL, NULL)))
			ret = tf_fail(h, TF_REJECTED, NULL, "the activation link is not valid (wrong, used or expired)");
		goto out;
	}
	ss.a->act_expires = 0;
	ss.a->act_factor = 0;
	sodium_memzero(ss.a->act_hash, sizeof ss.a->act_hash);
	if ((ret = activated(h, &ss, f, now, out)) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "confirm", ss.a->name, "active", NULL, "by link")))
		goto out;
out:
	tf_sess_end(&ss);
	sodium_free(in);
	return ret;
}

/* ---- disable ---- */


tf_status tf_disable(tf *h, const struct tf_disable_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct attempt_opts o = { .event = "disable.verify", .allow_backup = 1,
	                          .otc_purposes = 1u << P_CONFIRM };
	struct auth_outcome res;
	struct tf_sess ss = { 0 };
	unsigned removed = 0;
	enum factor_type rtype = F_TOTP;
	json_object *j;
	tf_status ret;

	if (a->force && a->code)
		return tf_fail(h, TF_USAGE, NULL, "give a CODE or --force, not both");
	if (a->force && (ret = tf_require_admin(h, "--force")))
		return ret;
	if (!a->force && !a->code)
		return tf_fail(h, TF_USAGE, NULL, "no code");
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	if (a->factor && !account_factor(ss.a, a->factor)) {
		ret = tf_fail(h, TF_NOENT, NULL, "no such factor %u", a->factor);
		goto out;
	}
	if (!a->factor && ss.a->nf == 0 && ss.a->nbackup == 0) {
		ret = tf_fail(h, TF_NOENT, NULL, "two-factor authentication is not enabled");
		goto out;
	}
	if (!a->force && (ret = attempt(&ss, a->code, &o, &res)))
		goto out;
	if (a->factor) {
		rtype = account_factor(ss.a, a->factor)->type;
		account_factor_del(ss.a, a->factor);
		removed = 1;
	} else {
		removed = ss.a->nf;
		while (ss.a->nf)
			account_factor_del(ss.a, ss.a->f[0].id);
	}
	auth_revoke_sent(ss.a);   /* codes and links sent so far die with the factor */
	if (account_active_count(ss.a) == 0) {
		sodium_memzero(ss.a->backup, sizeof ss.a->backup);
		ss.a->nbackup = 0;
		sodium_memzero(ss.a->backup_used, sizeof ss.a->backup_used);
		ss.a->nbackup_used = 0;
	}
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, a->force ? "disable.force" : "disable", a->name, "ok", NULL, NULL)))
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "removed", json_object_new_int64(removed));
	json_object_object_add(j, "enabled", json_object_new_boolean(account_active_count(ss.a) > 0));
	json_object_object_add(j, "forced", json_object_new_boolean(a->force));
	if ((ret = tf_emit(h, out, j)) || !removed)
		goto out;
	tf_tell_removed(h, &ss, account_active_count(ss.a) ? factor_type_name(rtype) : NULL);
out:
	tf_sess_end(&ss);
	return ret;
}
