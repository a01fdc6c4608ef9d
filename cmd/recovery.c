/* SPDX-License-Identifier: ISC */
/* twofactl recovery file|list|show|approve|deny: lost-device tickets */
#include "cmd/cmd.h"
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/auth.h"
#include "core/b32.h"
#include "core/lockout.h"
#include "core/policy.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec_args {
	const char *arg, *reason, *contact, *by;
	enum tstatus status;
	int status_set, nargs;
	char contact_buf[255];
};

enum { OPT_REASON = 0xd00, OPT_CONTACT, OPT_BY, OPT_STATUS };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct rec_args *a = state->input;

	switch (key) {
	case OPT_REASON:
		if (!*arg || strlen(arg) > TEXT_MAX || !text_line_ok(arg))
			USAGE(state, "--reason: one line of 1 to %d characters, no control characters", TEXT_MAX);
		a->reason = arg;
		break;
	case OPT_CONTACT:
		if (strchr(arg, '@') ? parse_email(state, "--contact", arg, a->contact_buf, sizeof a->contact_buf)
		                     : parse_phone(state, "--contact", arg, a->contact_buf, sizeof a->contact_buf))
			return EINVAL;
		a->contact = a->contact_buf;
		break;
	case OPT_BY:
		if (!account_name_valid(arg))
			USAGE(state, "--by: '%s' is not a valid administrator name", safe(arg));
		a->by = arg;
		break;
	case OPT_STATUS:
		if (tstatus_parse(arg, &a->status))
			USAGE(state, "--status: '%s' is not pending, approved or denied", safe(arg));
		a->status_set = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->arg = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int ticket_read(struct store *s, struct acct_ref *ref, const char *id, struct ticket *t)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int st;

	if (!ref->locked && (st = store_ref_ns(s, NS_TICKETS, id, ref)))
		return fail_store(s, st);
	st = store_blob_load(s, ref, &pt, &len);
	if (st == ST_ENOENT)
		return fail(EXIT_NOENT, "no such ticket '%s'", id);
	if (st)
		return fail_store(s, st);
	st = ticket_from_json((const char *)pt, len, t);
	sodium_free(pt);
	if (st || strcmp(t->id, id))
		return fail(EXIT_STORE, "ticket file of '%s' is not readable", id);
	return EXIT_OK;
}

static int ticket_write(struct store *s, struct acct_ref *ref, const struct ticket *t)
{
	char *json = NULL;
	size_t len = 0;
	int st;

	if (ticket_to_json(t, &json, &len))
		return fail(EXIT_STORE, "out of memory");
	st = store_blob_save(s, ref, (const uint8_t *)json, len);
	free(json);
	return st ? fail_store(s, st) : EXIT_OK;
}

/* Tell the user: the account's address, else the ticket's contact. A failed
 * message is reported but does not undo the step. */
static void notify(const struct account *acct, const struct ticket *t, const char *purpose)
{
	struct account *copy = account_new();
	enum channel ch = CH_EMAIL;
	char created[32];
	struct msg_var v[] = { { "name", acct ? acct->name : t->user }, { "issuer", tf_config_issuer(g.h) },
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
	if ((copy->email[0] || copy->phone[0]) && deliver(g.h, copy, ch, purpose, v, sizeof v / sizeof v[0]))
		fprintf(stderr, "twofactl: %s: warning: the message to the user was not delivered\n", g.ctx);
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

static const struct argp_option file_options[] = {
	{ "reason", OPT_REASON, "TEXT", 0, "What happened (required), e.g. 'phone stolen'", 0 },
	{ "contact", OPT_CONTACT, "ADDR", 0, "Verified contact of the requester (email or +NUMBER)", 0 },
	{ 0 }
};

static const struct argp file_argp = {
	file_options, parse, "NAME --reason TEXT",
	"File a lost-device request for an account (after the requester's identity "
	"was checked, e.g. by the signed form of seed 001). Prints the ticket id; "
	"the user gets an acknowledgement.", common_children, NULL, NULL
};

static int rec_file(int argc, char **argv)
{
	struct rec_args a = { 0 };
	struct tf_sess ss;
	struct acct_ref tref = { 0 };
	struct ticket t = { 0 };
	uint8_t raw[5];
	int ret, st;

	cmd_parse(&file_argp, argc, argv, &a);
	if (!a.arg)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("recovery file %s", safe(a.arg));
	if (!a.reason)
		return fail(EXIT_USAGE, "missing --reason");
	if ((ret = sess_begin(&ss, a.arg)))
		goto out;
	randombytes_buf(raw, sizeof raw);
	if (b32_encode(raw, sizeof raw, t.id, sizeof t.id)) {
		ret = fail(EXIT_STORE, "cannot make a ticket id");
		goto out;
	}
	memcpy(t.user, ss.a->name, sizeof t.user);
	memcpy(t.uid, ss.a->uid, sizeof t.uid);
	memcpy(t.reason, a.reason, strlen(a.reason) + 1);
	if (a.contact)
		memcpy(t.contact, a.contact, strlen(a.contact) + 1);
	t.status = T_PENDING;
	t.created = g.now;
	if ((st = store_ref_ns(ss.s, NS_TICKETS, t.id, &tref)) || (st = store_lock(ss.s, &tref))) {
		ret = fail_store(ss.s, st);
		goto out;
	}
	if ((ret = ticket_write(ss.s, &tref, &t)) ||
	    (ret = tf_audit(g.h, "recovery.file", t.user, "pending", NULL, t.id)))
		goto out;
	tf_sess_release(&ss);   /* the message goes out without holding the account */
	notify(ss.a, &t, "recovery-filed");
	if (g.json)
		emit_json(ticket_json(&t));
	else if (g.quiet)
		printf("%s\n", t.id);
	else
		printf("filed recovery ticket %s for '%s'\n", t.id, t.user);
out:
	if (ss.s)
		store_unlock(ss.s, &tref);
	sess_end(&ss);
	return ret;
}

static const struct argp_option list_options[] = {
	{ "status", OPT_STATUS, "STATUS", 0, "pending, approved or denied", 0 },
	{ 0 }
};

static const struct argp list_argp = {
	list_options, parse, NULL, "List recovery tickets, oldest first.", common_children, NULL, NULL
};

static int rec_list(int argc, char **argv)
{
	struct rec_args a = { 0 };
	struct store *s = NULL;
	struct ticket *v = NULL;
	size_t n = 0;
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	if (a.arg)
		return fail(EXIT_USAGE, "unexpected argument '%s'", safe(a.arg));
	if ((ret = open_store(&s)) || (ret = tickets_load(g.h, &v, &n)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		char when[32];

		if (a.status_set && v[i].status != a.status)
			continue;
		if (g.json) {
			emit_json(ticket_json(&v[i]));
			continue;
		}
		time_iso(v[i].created, when);
		printf("%s  %-8s  %s  %-20s  %s\n", v[i].id, tstatus_name(v[i].status), when, printable(v[i].user),
		       printable(v[i].reason));
	}
out:
	free(v);
	close_store(s);
	return ret;
}

static int want_id(const struct rec_args *a)
{
	if (!a->arg)
		return fail(EXIT_USAGE, "missing ticket ID");
	if (!ticket_id_valid(a->arg))
		return fail(EXIT_USAGE, "'%s' is not a ticket id (8 characters A-Z 2-7)", safe(a->arg));
	return EXIT_OK;
}

static const struct argp show_argp = {
	NULL, parse, "ID", "Show a recovery ticket.", common_children, NULL, NULL
};

static int rec_show(int argc, char **argv)
{
	struct rec_args a = { 0 };
	struct store *s = NULL;
	struct acct_ref ref = { 0 };
	struct ticket t;
	int ret;

	cmd_parse(&show_argp, argc, argv, &a);
	set_ctx("recovery show %s", a.arg ? safe(a.arg) : "");
	if ((ret = want_id(&a)) || (ret = open_store(&s)))
		return ret;
	if (!(ret = ticket_read(s, &ref, a.arg, &t))) {
		if (g.json) {
			emit_json(ticket_json(&t));
		} else {
			char c[32], d[32];

			time_iso(t.created, c);
			time_iso(t.decided, d);
			printf("ticket:     %s\nuser:       %s\nstatus:     %s\nreason:     %s\ncontact:    %s\ncreated:    %s\n",
			       t.id, printable(t.user), tstatus_name(t.status), printable(t.reason),
			       t.contact[0] ? printable(t.contact) : "-", c);
			if (t.status != T_PENDING)
				printf("decided:    %s by %s\n", d, printable(t.by));
			if (t.answer[0])
				printf("answer:     %s\n", printable(t.answer));
		}
	}
	close_store(s);
	return ret;
}

static const char *admin_name(const struct rec_args *a)
{
	const char *u = a->by ? a->by : getenv("SUDO_USER");

	if (!u || !account_name_valid(u))
		u = getenv("USER");
	return u && account_name_valid(u) ? u : "admin";
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
 * EXIT_NOENT, quietly, when it is gone. */
static int ticket_account(struct store *s, struct ticket *t, struct tf_sess *ss)
{
	struct uid_find f = { .uid = t->uid };
	int ret, st;

	memset(ss, 0, sizeof *ss);
	if (!t->uid[0])   /* filed before tickets kept the uid: by name, as then */
		return sess_begin(ss, t->user);
	if ((ret = rename_resume(g.h, t->user)))   /* a rename a crash interrupted */
		return ret;
	{
		struct account *a = account_new();
		struct acct_ref ref;
		int same = a && !store_ref(s, t->user, &ref) && !store_load(s, &ref, t->user, a) &&
		           !strcmp(a->uid, t->uid) && !a->moved_to[0];

		account_free(a);
		if (same)
			memcpy(f.name, t->user, sizeof f.name);
		else if ((st = store_iterate(s, find_uid, &f)))
			return fail_store(s, st);
	}
	if (!f.name[0])
		return EXIT_NOENT;
	if ((ret = sess_begin(ss, f.name)))
		return ret;
	if (strcmp(ss->a->uid, t->uid)) {   /* renamed again meanwhile */
		sess_end(ss);
		return fail(EXIT_BUSY, "the account of ticket %s was renamed meanwhile: try again", t->id);
	}
	memcpy(t->user, ss->a->name, sizeof t->user);
	return EXIT_OK;
}

/* Decide a ticket once, under its lock. */
static int decide(struct rec_args *a, enum tstatus to)
{
	struct store *s = NULL;
	struct acct_ref tref = { 0 };
	struct tf_sess ss = { 0 };
	struct account *copy = NULL;
	struct ticket t;
	int ret, st, gone = 0;

	if ((ret = want_id(a)) || (ret = open_store(&s)))
		return ret;
	if ((st = store_ref_ns(s, NS_TICKETS, a->arg, &tref)) || (st = store_lock(s, &tref))) {
		ret = fail_store(s, st);
		goto out;
	}
	if ((ret = ticket_read(s, &tref, a->arg, &t)))
		goto out;
	if (t.status != T_PENDING) {
		ret = fail(EXIT_USAGE, "ticket %s was already %s by %s", t.id, tstatus_name(t.status), t.by);
		goto out;
	}
	if (to == T_APPROVED) {
		/* every second factor goes: the account needs enrolment again */
		if ((ret = ticket_account(s, &t, &ss))) {
			if (ret == EXIT_NOENT)
				ret = fail(EXIT_NOENT, "the account ticket %s was filed for no longer exists "
				           "(deny the ticket)", t.id);
			goto out;
		}
		while (ss.a->nf)
			account_factor_del(ss.a, ss.a->f[0].id);
		sodium_memzero(ss.a->backup, sizeof ss.a->backup);
		ss.a->nbackup = 0;
		sodium_memzero(ss.a->backup_used, sizeof ss.a->backup_used);
		ss.a->nbackup_used = 0;
		while (ss.a->ntr)
			(void)trust_revoke(ss.a, ss.a->tr[0].id);
		auth_revoke_sent(ss.a);
		login_close_all(ss.a);
		lock_reset(ss.a);
		ss.a->must_enrol = 1;   /* whatever the policy, until a factor is active again */
		if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "recovery.reset", t.user, "ok", NULL, t.id)))
			goto out;
	} else {
		/* the message goes to the account it was filed for, never to a
		 * newcomer under its old name; when it is gone, only to the
		 * ticket's own contact */
		gone = ticket_account(s, &t, &ss);
		if (gone && gone != EXIT_NOENT) {
			ret = gone;
			goto out;
		}
	}
	t.status = to;
	t.decided = g.now;
	memcpy(t.by, admin_name(a), strlen(admin_name(a)) + 1);
	if (a->reason)
		memcpy(t.answer, a->reason, strlen(a->reason) + 1);
	if ((ret = ticket_write(s, &tref, &t)) ||
	    (ret = tf_audit(g.h, to == T_APPROVED ? "recovery.approve" : "recovery.deny", t.user, tstatus_name(to), NULL, t.id)))
		goto out;
	/* the message goes out after the account's lock is let go: a slow
	 * mail server never holds the account */
	copy = gone ? NULL : account_new();
	if (copy)
		memcpy(copy, ss.a, sizeof *copy);
	sess_end(&ss);
	if (gone || copy)
		notify(copy, &t, to == T_APPROVED ? "recovery-approved" : "recovery-denied");
	else
		fprintf(stderr, "twofactl: %s: warning: the message to the user was not delivered\n", g.ctx);
	if (g.json)
		emit_json(ticket_json(&t));
	else if (!g.quiet)
		printf("ticket %s %s%s\n", t.id, tstatus_name(to),
		       to == T_APPROVED ? ": every second factor of the account was removed; it must enrol again" : "");
out:
	account_free(copy);
	sess_end(&ss);
	if (s)
		store_unlock(s, &tref);
	close_store(s);
	return ret;
}

static const struct argp_option approve_options[] = {
	{ "by", OPT_BY, "ADMIN", 0, "Who decides (default: $SUDO_USER or $USER)", 0 },
	{ 0 }
};
static const struct argp_option deny_options[] = {
	{ "by", OPT_BY, "ADMIN", 0, "Who decides (default: $SUDO_USER or $USER)", 0 },
	{ "reason", OPT_REASON, "TEXT", 0, "Why, for the user", 0 },
	{ 0 }
};

static const struct argp approve_argp = {
	approve_options, parse, "ID",
	"Approve a ticket: remove every second factor of the account, its backup "
	"codes, remembered devices and pending codes, clear its lockout, and tell the "
	"user; the account must enrol again. A ticket is decided once.",
	common_children, NULL, NULL
};
static const struct argp deny_argp = {
	deny_options, parse, "ID", "Deny a ticket and tell the user why. A ticket is decided once.",
	common_children, NULL, NULL
};

static int rec_approve(int argc, char **argv)
{
	struct rec_args a = { 0 };

	cmd_parse(&approve_argp, argc, argv, &a);
	set_ctx("recovery approve %s", a.arg ? safe(a.arg) : "");
	return decide(&a, T_APPROVED);
}

static int rec_deny(int argc, char **argv)
{
	struct rec_args a = { 0 };

	cmd_parse(&deny_argp, argc, argv, &a);
	set_ctx("recovery deny %s", a.arg ? safe(a.arg) : "");
	return decide(&a, T_DENIED);
}

static const struct verb verbs[] = {
	{ "file", rec_file, "file a lost-device request; prints the ticket id" },
	{ "list", rec_list, "list tickets [--status]" },
	{ "show", rec_show, "show a ticket" },
	{ "approve", rec_approve, "reset the account's second factors; tell the user" },
	{ "deny", rec_deny, "refuse, with a reason for the user" },
	{ NULL, NULL, NULL }
};

int cmd_recovery(int argc, char **argv)
{
	return run_verbs("recovery", verbs, argc, argv);
}
