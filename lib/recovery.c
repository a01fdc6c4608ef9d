/* SPDX-License-Identifier: ISC */
/* lib/recovery.c — lost-device tickets: file, list, show, approve, deny. */
#include "lib/shared.h"
#include "core/auth.h"
#include "core/b32.h"
#include "core/lockout.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *undelivered = "the message to the user was not delivered";

static void notice(tf_notice_fn fn, void *ctx, const char *text)
{
	if (fn)
		fn(ctx, text);
}

static int status_of(tf_ticket_status s, enum tstatus *t)
{
	switch (s) {
	case TF_TICKET_PENDING: *t = T_PENDING; return 0;
	case TF_TICKET_APPROVED: *t = T_APPROVED; return 0;
	case TF_TICKET_DENIED: *t = T_DENIED; return 0;
	case TF_TICKET_ANY: break;
	}
	return -1;
}

static tf_status check_id(tf *h, const char *id)
{
	if (!id || !ticket_id_valid(id))
		return tf_fail(h, TF_USAGE, NULL, "'%s' is not a ticket id (8 characters A-Z 2-7)", tf_safe(id));
	return TF_OK;
}

static tf_status ticket_read(tf *h, struct acct_ref *ref, const char *id, struct ticket *t)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int st;

	if (!ref->locked && (st = store_ref_ns(h->s, NS_TICKETS, id, ref)))
		return tf_fail_store(h, st);
	st = store_blob_load(h->s, ref, &pt, &len);
	if (st == ST_ENOENT)
		return tf_fail(h, TF_NOENT, NULL, "no such ticket '%s'", id);
	if (st)
		return tf_fail_store(h, st);
	st = ticket_from_json((const char *)pt, len, t);
	sodium_free(pt);
	if (st || strcmp(t->id, id))
		return tf_fail(h, TF_STORE, NULL, "ticket file of '%s' is not readable", id);
	return TF_OK;
}

static tf_status ticket_write(tf *h, struct acct_ref *ref, const struct ticket *t)
{
	char *json = NULL;
	size_t len = 0;
	int st;

	if (ticket_to_json(t, &json, &len))
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	st = store_blob_save(h->s, ref, (const uint8_t *)json, len);
	free(json);
	return st ? tf_fail_store(h, st) : TF_OK;
}

/* Tell the user: the account's address, else the ticket's contact. A failed
 * message is a notice; it does not undo the step. */
static void notify(tf *h, const struct account *acct, const struct ticket *t, const char *purpose,
                   tf_notice_fn fn, void *ctx)
{
	struct account *copy = account_new();
	enum channel ch = CH_EMAIL;
	char created[32];
	struct msg_var v[] = { { "name", acct ? acct->name : t->user }, { "issuer", tf_config_issuer(h) },
	                       { "ticket", t->id }, { "answer", t->answer }, { "created", created },
	                       { "reason", t->reason } };

	if (!copy)
		return;
	time_iso(t->created, created);
	if (acct)
		memcpy(copy, acct, sizeof *copy);
	else
		account_init(copy, t->user, 0);
	if (!copy->email[0] && email_valid(t->contact))
		memcpy(copy->email, t->contact, strlen(t->contact) + 1);
	if (!copy->email[0] && (phone_valid(t->contact) || copy->phone[0])) {
		ch = CH_SMS;
		if (!copy->phone[0])
			memcpy(copy->phone, t->contact, strlen(t->contact) + 1);
	}
	if ((copy->email[0] || copy->phone[0]) && deliver(h, copy, ch, purpose, v, sizeof v / sizeof v[0]))
		notice(fn, ctx, undelivered);
	account_free(copy);
}

static json_object *ticket_json(const struct ticket *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(t->id));
	json_object_object_add(o, "user", json_object_new_string(t->user));
	json_object_object_add(o, "status", json_object_new_string(tstatus_name(t->status)));
	json_object_object_add(o, "reason", json_object_new_string(t->reason));
	json_object_object_add(o, "contact", t->contact[0] ? json_object_new_string(t->contact) : NULL);
	json_object_object_add(o, "created", json_object_new_int64(t->created));
	json_object_object_add(o, "decided", t->decided ? json_object_new_int64(t->decided) : NULL);
	json_object_object_add(o, "by", t->by[0] ? json_object_new_string(t->by) : NULL);
	json_object_object_add(o, "answer", t->answer[0] ? json_object_new_string(t->answer) : NULL);
	return o;
}

/* One line of 1 to TEXT_MAX characters, no control characters. */
static int text_ok(const char *s, int may_be_empty)
{
	if (!s || (!*s && !may_be_empty) || strlen(s) > TEXT_MAX)
		return 0;
	return core_text_line_ok(s);
}

tf_status tf_recovery_file(tf *h, const struct tf_recovery_file_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct acct_ref tref = { 0 };
	struct ticket t = { 0 };
	uint8_t raw[5];
	tf_status ret;
	int st;

	if (!a->name)
		return tf_fail(h, TF_USAGE, NULL, "missing account NAME");
	if (!a->reason)
		return tf_fail(h, TF_USAGE, NULL, "missing --reason");
	if (!text_ok(a->reason, 0))
		return tf_fail(h, TF_USAGE, NULL, "--reason: one line of 1 to %d characters, no control characters",
		               TEXT_MAX);
	if (a->contact && (strlen(a->contact) >= sizeof t.contact ||
	                   (!email_valid(a->contact) && !phone_valid(a->contact))))
		return tf_fail(h, TF_USAGE, NULL, "--contact: '%s' is not an email address or an international "
		               "number", tf_safe(a->contact));
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	randombytes_buf(raw, sizeof raw);
	if (b32_encode(raw, sizeof raw, t.id, sizeof t.id)) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot make a ticket id");
		goto out;
	}
	memcpy(t.user, ss.a->name, sizeof t.user);
	memcpy(t.uid, ss.a->uid, sizeof t.uid);
	memcpy(t.reason, a->reason, strlen(a->reason) + 1);
	if (a->contact)
		memcpy(t.contact, a->contact, strlen(a->contact) + 1);
	t.status = T_PENDING;
	t.created = now;
	if ((st = store_ref_ns(h->s, NS_TICKETS, t.id, &tref)) || (st = store_lock(h->s, &tref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if ((ret = ticket_write(h, &tref, &t)) ||
	    (ret = tf_audit(h, "recovery.file", t.user, "pending", NULL, t.id)))
		goto out;
	tf_sess_release(&ss);   /* the message goes out without holding the account */
	notify(h, ss.a, &t, "recovery-filed", a->notice, a->notice_ctx);
	ret = tf_emit(h, out, ticket_json(&t));
out:
	store_unlock(h->s, &tref);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_recovery_list(tf *h, const struct tf_recovery_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct ticket *v = NULL;
	enum tstatus want = T_PENDING;
	int filter = a && !status_of(a->status, &want);
	size_t n = 0;
	tf_status ret;

	if ((ret = tickets_load(h, &v, &n)))
		return ret;
	for (size_t i = 0; i < n && !ret; i++)
		if (!filter || v[i].status == want)
			ret = tf_emit(h, out, ticket_json(&v[i]));
	free(v);
	return ret;
}

tf_status tf_recovery_show(tf *h, const struct tf_recovery_show_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref ref = { 0 };
	struct ticket t;
	tf_status ret;

	if ((ret = check_id(h, a->id)) || (ret = ticket_read(h, &ref, a->id, &t)))
		return ret;
	return tf_emit(h, out, ticket_json(&t));
}

struct uid_find {
	const char *uid;
	char name[ACCT_NAME_MAX + 1];
};

static int find_uid(void *ctx, const struct account *a)
{
	struct uid_find *f = ctx;

	if (a->moved_to[0] || strcmp(a->uid, f->uid))
		return 0;
	memcpy(f->name, a->name, sizeof f->name);
	return 1;
}

/* Open the account a ticket was filed for, under its lock: the one that
 * has the ticket's uid, whatever its name now (a rename keeps the uid; a
 * newcomer under the old name has another). t->user gets its current name.
 * TF_NOENT, quietly, when it is gone. */
static tf_status ticket_account(tf *h, struct ticket *t, struct tf_sess *ss)
{
	struct uid_find f = { .uid = t->uid };
	tf_status ret;
	int st;

	memset(ss, 0, sizeof *ss);
	if (!t->uid[0])   /* filed before tickets kept the uid: by name, as then */
		return tf_sess_begin(h, ss, t->user);
	if ((ret = rename_resume(h, t->user)))   /* a rename a crash interrupted */
		return ret;
	{
		struct account *a = account_new();
		struct acct_ref ref;
		int same = a && !store_ref(h->s, t->user, &ref) && !store_load(h->s, &ref, t->user, a) &&
		           !strcmp(a->uid, t->uid) && !a->moved_to[0];

		account_free(a);
		if (same)
			memcpy(f.name, t->user, sizeof f.name);
		else if ((st = store_iterate(h->s, find_uid, &f)))
			return tf_fail_store(h, st);
	}
	if (!f.name[0])
		return TF_NOENT;
	if ((ret = tf_sess_begin(h, ss, f.name)))
		return ret;
	if (strcmp(ss->a->uid, t->uid)) {   /* renamed again meanwhile */
		tf_sess_end(ss);
		return tf_fail(h, TF_BUSY, NULL, "the account of ticket %s was renamed meanwhile: try again", t->id);
	}
	memcpy(t->user, ss->a->name, sizeof t->user);
	return TF_OK;
}

/* Every second factor of the account goes: it needs enrolment again. */
static void reset_factors(struct account *a)
{
	while (a->nf)
		account_factor_del(a, a->f[0].id);
	sodium_memzero(a->backup, sizeof a->backup);
	a->nbackup = 0;
	sodium_memzero(a->backup_used, sizeof a->backup_used);
	a->nbackup_used = 0;
	while (a->ntr)
		(void)trust_revoke(a, a->tr[0].id);
	auth_revoke_sent(a);
	login_close_all(a);
	lock_reset(a);
	a->must_enrol = 1;   /* whatever the policy, until a factor is active again */
}

/* Decide a ticket once, under its lock. */
static tf_status decide(tf *h, const char *id, enum tstatus to, const char *by, const char *reason,
                        tf_notice_fn fn, void *fctx, const struct tf_sink *out)
{
	int64_t now = tf_now(h);
	struct acct_ref tref = { 0 };
	struct tf_sess ss = { 0 };
	struct account *copy = NULL;
	struct ticket t;
	tf_status ret, gone = TF_OK;
	int st;

	if (!by)
		by = "admin";
	if ((ret = check_id(h, id)))
		return ret;
	if (!account_name_valid(by))
		return tf_fail(h, TF_USAGE, NULL, "--by: '%s' is not a valid administrator name", tf_safe(by));
	if (reason && !text_ok(reason, 0))
		return tf_fail(h, TF_USAGE, NULL, "--reason: one line of 1 to %d characters, no control characters",
		               TEXT_MAX);
	if ((st = store_ref_ns(h->s, NS_TICKETS, id, &tref)) || (st = store_lock(h->s, &tref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if ((ret = ticket_read(h, &tref, id, &t)))
		goto out;
	if (t.status != T_PENDING) {
		ret = tf_fail(h, TF_USAGE, NULL, "ticket %s was already %s by %s", t.id, tstatus_name(t.status), t.by);
		goto out;
	}
	if (to == T_APPROVED) {
		if ((ret = ticket_account(h, &t, &ss))) {
			if (ret == TF_NOENT)
				ret = tf_fail(h, TF_NOENT, NULL, "the account ticket %s was filed for no longer exists "
				              "(deny the ticket)", t.id);
			goto out;
		}
		reset_factors(ss.a);
		if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "recovery.reset", t.user, "ok", NULL, t.id)))
			goto out;
	} else {
		/* the message goes to the account it was filed for, never to a
		 * newcomer under its old name; when it is gone, only to the
		 * ticket's own contact */
		gone = ticket_account(h, &t, &ss);
		if (gone && gone != TF_NOENT) {
			ret = gone;
			goto out;
		}
	}
	t.status = to;
	t.decided = now;
	memcpy(t.by, by, strlen(by) + 1);
	if (reason)
		memcpy(t.answer, reason, strlen(reason) + 1);
	if ((ret = ticket_write(h, &tref, &t)) ||
	    (ret = tf_audit(h, to == T_APPROVED ? "recovery.approve" : "recovery.deny", t.user, tstatus_name(to),
	                    NULL, t.id)))
		goto out;
	/* the message goes out after the account's lock is let go: a slow
	 * mail server never holds the account */
	copy = gone ? NULL : account_new();
	if (copy)
		memcpy(copy, ss.a, sizeof *copy);
	tf_sess_end(&ss);
	if (gone || copy)
		notify(h, copy, &t, to == T_APPROVED ? "recovery-approved" : "recovery-denied", fn, fctx);
	else
		notice(fn, fctx, undelivered);
	ret = tf_emit(h, out, ticket_json(&t));
out:
	account_free(copy);
	tf_sess_end(&ss);
	store_unlock(h->s, &tref);
	return ret;
}

tf_status tf_recovery_approve(tf *h, const struct tf_recovery_approve_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	return decide(h, a->id, T_APPROVED, a->by, NULL, a->notice, a->notice_ctx, out);
}

tf_status tf_recovery_deny(tf *h, const struct tf_recovery_deny_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	return decide(h, a->id, T_DENIED, a->by, a->reason, a->notice, a->notice_ctx, out);
}
