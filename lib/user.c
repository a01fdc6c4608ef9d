/* SPDX-License-Identifier: ISC */
/* lib/user.c — accounts: add, rename, list, show, set, del, unlock. */
#include "lib/shared.h"
#include "core/contact.h"
#include "core/lockout.h"
#include "core/otp.h"
#include "core/timefmt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_PW_LEN 32

/* ---- the fields add and set share ---- */

/* The caller's words, as the record keeps them. */
struct fields {
	const char *email, *phone, *org, *lang;   /* NULL: unchanged; "": cleared */
	char email_buf[255], phone_buf[33];       /* as stored: ASCII domain, E.164 */
	int twofa;                                /* -1 unchanged, else enum acct_switch */
	int pwlogin, emailreset, mustenrol;       /* -1 unchanged, 0 off, 1 on */
};

static int toggle(tf_toggle t)
{
	return t == TF_TOGGLE_ON ? 1 : t == TF_TOGGLE_OFF ? 0 : -1;
}

static int switch_of(tf_switch sw)
{
	switch (sw) {
	case TF_SWITCH_INHERIT: return SW_INHERIT;
	case TF_SWITCH_REQUIRED: return SW_REQUIRED;
	case TF_SWITCH_OPTIONAL: return SW_OPTIONAL;
	case TF_SWITCH_OFF: return SW_OFF;
	case TF_SWITCH_NONE: break;
	}
	return -1;
}

/* Check and normalise what the caller gave (the command line did so
 * already: its messages name the options). */
static tf_status fields_take(tf *h, struct fields *f, const char *email, const char *phone,
                             const char *org, const char *lang, tf_switch twofa)
{
	if ((unsigned)twofa > TF_SWITCH_OFF)
		return tf_fail(h, TF_USAGE, NULL, "--2fa: not required, optional, off or inherit");
	f->twofa = switch_of(twofa);
	f->email = email;
	if (email && *email) {
		if (email_normalize(email, f->email_buf, sizeof f->email_buf))
			return tf_fail(h, TF_USAGE, NULL, "--email: '%s' is not an email address (the part before "
			               "@ in ASCII)", tf_safe(email));
		f->email = f->email_buf;
	}
	f->phone = phone;
	if (phone && *phone) {
		if (phone_normalize(phone, f->phone_buf, sizeof f->phone_buf) != PHONE_OK)
			return tf_fail(h, TF_USAGE, NULL, "--phone: '%s' is not an international number: + and "
			               "the country code, then 8 to 15 digits in all", tf_safe(phone));
		f->phone = f->phone_buf;
	}
	if (org && *org && !account_name_valid(org))
		return tf_fail(h, TF_USAGE, NULL, "--org: '%s' is not a valid organisation name", tf_safe(org));
	f->org = org;
	if (lang && *lang && !lang_valid(lang))
		return tf_fail(h, TF_USAGE, NULL, "--lang: '%s' is not a two-letter language code", tf_safe(lang));
	f->lang = lang;
	return TF_OK;
}

static tf_status apply_fields(tf *h, struct account *a, const struct fields *u)
{
	if (u->pwlogin >= 0)
		a->password_off = !u->pwlogin;
	if (u->mustenrol >= 0)
		a->must_enrol = u->mustenrol;
	if (u->twofa >= 0)
		a->twofa = (enum acct_switch)u->twofa;
	if (u->emailreset >= 0) {
		a->email_reset_off = !u->emailreset;
		if (a->email_reset_off) {   /* a link already sent stops working too */
			sodium_memzero(a->reset_hash, sizeof a->reset_hash);
			a->reset_expires = 0;
		}
	}
	/* what was sent to an old address or number dies with it */
	if (u->email && strcmp(u->email, a->email))
		auth_drop_sent(a, CH_EMAIL);
	if (u->phone && strcmp(u->phone, a->phone))
		auth_drop_sent(a, CH_SMS);
	if ((u->email && core_strlcpy(a->email, u->email, sizeof a->email)) ||
	    (u->phone && core_strlcpy(a->phone, u->phone, sizeof a->phone)) ||
	    (u->org && core_strlcpy(a->org, u->org, sizeof a->org)) ||
	    (u->lang && core_strlcpy(a->lang, u->lang, sizeof a->lang)))
		return tf_fail(h, TF_USAGE, NULL, "a value is too long");
	return TF_OK;
}

/* A front end may only make its account stricter (--2fa required):
 * turning the second factor off, or back to the organisation's policy, is
 * an administrator's decision. */
static tf_status switch_permitted(tf *h, const struct fields *u)
{
	if (u->twofa >= 0 && u->twofa != SW_REQUIRED)
		return tf_require_admin(h, "--2fa");
	/* the organisation decides the policy and lends its whitelist: a
	 * customer who could pick one could leave a required organisation, or
	 * join one whose whitelist covers them */
	if (u->org)
		return tf_require_admin(h, "--org");
	return TF_OK;
}

/* After the fields are applied: an organisation given with --org exists,
 * and nothing loosens a required organisation (its members' own switch
 * may be required or inherit there). Checked when --org or --2fa changes;
 * an organisation that becomes required later simply wins (org set says
 * whose own switch it overrides). */
static tf_status check_org_switch(tf *h, const struct account *a, const struct fields *u)
{
	struct acct_ref oref = { 0 };
	struct org o;
	int ret;

	if (!a->org[0] || (!(u->org && u->org[0]) && u->twofa < 0))
		return TF_OK;
	ret = u->org && u->org[0] ? org_read(h, a->org, &oref, &o) : org_read_quiet(h, a->org, &oref, &o);
	if (ret == TF_NOENT && !(u->org && u->org[0]))
		return TF_OK;   /* its organisation went away: as none */
	if (ret)
		return ret;
	if (!policy_switch_allowed(a->twofa, 1, o.policy))
		return tf_fail(h, TF_USAGE, NULL, "organisation '%s' requires two-factor authentication: the "
		               "account's own 2fa switch cannot be %s there (use --2fa inherit or required)",
		               tf_safe(a->org), switch_name(a->twofa));
	return TF_OK;
}

/* {name, KEY: true}: a change with nothing else to say. */
static tf_status emit_done(tf *h, const struct tf_sink *out, const char *name, const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, key, json_object_new_boolean(1));
	return tf_emit(h, out, o);
}

/* ---- add ---- */

/* A random password of SERVICE_PW_LEN letters and digits (190 bits) and its
 * Argon2id hash. */
static tf_status service_password(tf *h, struct account *a, char pw[SERVICE_PW_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (int i = 0; i < SERVICE_PW_LEN; i++)
		pw[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	pw[SERVICE_PW_LEN] = '\0';
	if (crypto_pwhash_str(a->pwhash, pw, SERVICE_PW_LEN, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return tf_fail(h, TF_STORE, NULL, "cannot hash the password (out of memory?)");
	return TF_OK;
}

tf_status tf_user_add(tf *h, const struct tf_user_add_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct fields u = { .pwlogin = -1, .emailreset = -1, .mustenrol = -1 };
	struct tf_sess ss = { 0 };
	char *pw = NULL;
	json_object *o;
	tf_status ret;
	int st;

	if ((ret = tf_check_name(h, a->name)) ||
	    (ret = fields_take(h, &u, a->email, a->phone, a->org, a->lang, a->twofa)) ||
	    (ret = switch_permitted(h, &u)))
		return ret;
	ss.h = h;
	ss.s = h->s;
	ss.name = a->name;
	if (!(ss.a = account_new())) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	if ((st = store_ref(ss.s, a->name, &ss.ref)) || (st = store_lock(ss.s, &ss.ref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (store_exists(ss.s, &ss.ref)) {
		ret = tf_fail(h, TF_USAGE, NULL, "account already exists");
		goto out;
	}
	account_init(ss.a, a->name, now);
	if ((ret = apply_fields(h, ss.a, &u)) || (ret = check_org_switch(h, ss.a, &u)))
		goto out;
	if (a->service || a->generate_password) {
		ss.a->service = a->service != 0;
		if (!(pw = sodium_malloc(SERVICE_PW_LEN + 1))) {
			ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
			goto out;
		}
		if ((ret = service_password(h, ss.a, pw)))
			goto out;
	}
	/* a password is shown once: handed over before the account exists */
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "created", json_object_new_int64(now));
	json_object_object_add(o, "service", json_object_new_boolean(a->service != 0));
	if (pw) {
		json_object_object_add(o, "password", json_object_new_string(pw));
		ret = tf_emit_secret(h, out, o);
	} else if (!(ret = tf_emit(h, out, o))) {
		ret = tf_flush(h, out);
	}
	if (!ret && !(ret = tf_sess_save(&ss)))
		ret = tf_audit(h, "user.add", a->name, "ok", NULL, a->service ? "service" : NULL);
out:
	if (pw)
		sodium_free(pw);
	tf_sess_end(&ss);
	return ret;
}

/* ---- rename (lib/rename.c does the crash-safe steps) ---- */

tf_status tf_user_rename(tf *h, const struct tf_user_rename_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	struct acct_ref nref = { 0 };
	json_object *o;
	tf_status ret;
	int st;

	if (!a->new_name)
		return tf_fail(h, TF_USAGE, NULL, "missing NEW name");
	if ((ret = tf_check_name(h, a->new_name)))
		return ret;
	if (!strcmp(a->name, a->new_name))
		return tf_fail(h, TF_USAGE, NULL, "the new name is the old one");
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	/* A new name frees the old one for a new account without the old
	 * one's organisation, switches and factors: leaving an organisation
	 * (or a must-enrol an administrator set) that way is theirs to do,
	 * and an account with a factor proves it holds one first. */
	if (h->role != TF_ROLE_ADMIN && (ss.a->org[0] || ss.a->must_enrol)) {
		ret = tf_require_admin(h, ss.a->org[0] ? "renaming a member of an organisation" :
		                       "renaming an account that must enrol");
		goto out;
	}
	if ((ret = stepup(&ss, a->stepup, "user rename")))
		goto out;
	if ((st = store_ref(ss.s, a->new_name, &nref)) || (st = store_lock(ss.s, &nref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (store_exists(ss.s, &nref)) {
		ret = tf_fail(h, TF_USAGE, NULL, "an account '%s' exists already", a->new_name);
		goto out;
	}
	memcpy(ss.a->moved_to, a->new_name, strlen(a->new_name) + 1);
	if ((ret = tf_sess_save(&ss)))   /* 1: the commit point */
		goto out;
	if ((ret = rename_finish(h, &ss.ref, ss.a, &nref)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->new_name));
	json_object_object_add(o, "old", json_object_new_string(a->name));
	ret = tf_emit(h, out, o);
out:
	if (ss.s)
		store_unlock(ss.s, &nref);
	tf_sess_end(&ss);
	return ret;
}

/* ---- list ---- */

/* What a listed account shows, kept small until the list is sorted. */
struct listed {
	char name[ACCT_NAME_MAX + 1];
	char org[ACCT_NAME_MAX + 1];
	uint8_t methods[ACCT_MAX_FACTORS];   /* enum factor_type of each active factor */
	uint8_t nmethods;
	uint8_t locked;
	uint8_t twofa;                        /* enum acct_switch */
	uint8_t moving;                       /* a rename cut short: finished, then listed once */
	char to[ACCT_NAME_MAX + 1];           /* its new name */
	unsigned backup_left;
	struct policy_out po;
};

struct listing {
	struct listed *v;
	size_t n, cap;
	int oom;
	int64_t now;
	/* the filters, and what deciding the policy needs */
	struct list_filter f;
	const struct org_index *orgs;
	enum policy def;
};

static int collect(void *ctx, const struct account *a)
{
	struct listing *l = ctx;
	struct policy_out po;
	struct listed *e;

	account_policy(a, org_index_find(l->orgs, a->org), l->def, &po);
	if (!list_filter_match(&l->f, a, &po, l->now))
		return 0;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		struct listed *nv = realloc(l->v, nc * sizeof *nv);

		if (!nv) {
			l->oom = 1;
			return 1;
		}
		l->v = nv;
		l->cap = nc;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof *e);
	memcpy(e->name, a->name, sizeof e->name);
	e->moving = a->moved_to[0] != 0;   /* see finish_renames */
	memcpy(e->to, a->moved_to, sizeof e->to);
	memcpy(e->org, a->org, sizeof e->org);
	for (unsigned i = 0; i < a->nf && i < ACCT_MAX_FACTORS; i++)
		if (a->f[i].status == FS_ACTIVE)
			e->methods[e->nmethods++] = (uint8_t)a->f[i].type;
	e->locked = (uint8_t)(account_locked(a, l->now) != 0);
	e->twofa = (uint8_t)a->twofa;
	e->backup_left = a->nbackup;
	e->po = po;
	return 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct listed *)x)->name, ((const struct listed *)y)->name);
}

static json_object *listed_json(const struct listed *e)
{
	json_object *o = json_object_new_object(), *m = json_object_new_array();
	char src[96];

	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "org", e->org[0] ? json_object_new_string(e->org) : NULL);
	for (unsigned i = 0; i < e->nmethods; i++)
		json_object_array_add(m, json_object_new_string(factor_type_name((enum factor_type)e->methods[i])));
	json_object_object_add(o, "methods", m);
	json_object_object_add(o, "enabled", json_object_new_boolean(e->nmethods > 0));
	json_object_object_add(o, "backup_left", json_object_new_int64(e->backup_left));
	json_object_object_add(o, "locked", json_object_new_boolean(e->locked));
	json_object_object_add(o, "2fa", json_object_new_string(switch_name((enum acct_switch)e->twofa)));
	json_object_object_add(o, "policy", json_object_new_string(policy_name(e->po.pol)));
	policy_source_text(&e->po, e->org, src, sizeof src);
	json_object_object_add(o, "policy_source", json_object_new_string(src));
	return o;
}

static int policy_of(tf_policy p)
{
	switch (p) {
	case TF_POLICY_REQUIRED: return POLICY_REQUIRED;
	case TF_POLICY_OPTIONAL: return POLICY_OPTIONAL;
	case TF_POLICY_OFF: return POLICY_OFF;
	case TF_POLICY_NONE: break;
	}
	return -1;
}

/* A record the walk cannot read: said, counted, and the list goes on. */
struct skips {
	tf *h;
	unsigned n;
};

static void skip(void *ctx, const char *why)
{
	struct skips *k = ctx;

	k->n++;
	TF_IGNORE(tf_fail(k->h, TF_STORE, NULL, "%s: skipped", why));
}

/* A rename a crash cut short after its commit point is finished, as
 * loading the account would (rename_resume, under both names' locks), and
 * listed under its new name; its file under the new name, if the scan saw
 * it too, is the same account (one line per name, below). Where it cannot
 * be finished now (a read-only store), the old name is listed, the one
 * whose next command finishes it; or nothing, when the new file is there. */
static void finish_renames(tf *h, struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct listed *e = &l->v[i];
		struct acct_ref nref;

		if (!e->moving)
			continue;
		int r = rename_resume(h, e->name);

		if (r == TF_OK || (r != TF_USAGE &&   /* TF_USAGE: abandoned, the name was taken */
		                   !store_ref(h->s, e->to, &nref) && store_exists(h->s, &nref)))
			memcpy(e->name, e->to, sizeof e->name);
		else
			e->moving = 0;
	}
}

tf_status tf_user_list(tf *h, const struct tf_user_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct listing l = { .now = tf_now(h), .f = { .enabled = -1, .method = -1, .policy = -1 } };
	struct org_index orgs = { 0 };
	struct skips k = { h, 0 };
	tf_status ret;
	int st;

	if (a->org && !account_name_valid(a->org))
		return tf_fail(h, TF_USAGE, NULL, "--org: '%s' is not a valid organisation name", tf_safe(a->org));
	l.f.org = a->org;
	if (a->enabled)
		l.f.enabled = a->enabled > 0;
	l.f.locked = a->locked != 0;
	if (a->method) {
		enum factor_type t;

		if (factor_type_parse(a->method, &t))
			return tf_fail(h, TF_USAGE, NULL, "--method: '%s' is not totp, hotp, email, sms or webauthn",
			               tf_safe(a->method));
		l.f.method = (int)t;
	}
	if (a->policy != TF_POLICY_NONE && (l.f.policy = policy_of(a->policy)) < 0)
		return tf_fail(h, TF_USAGE, NULL, "--policy: not required, optional or off");
	if ((ret = org_index_load(h, &orgs)) || (ret = default_policy(h, &l.def)))
		goto out;
	if (l.f.org && !org_index_find(&orgs, l.f.org)) {
		ret = tf_fail(h, TF_NOENT, NULL, "no such organisation '%s'", tf_safe(l.f.org));
		goto out;
	}
	l.orgs = &orgs;
	if ((st = store_scan(h->s, collect, &l, skip, &k))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (l.oom) {
		ret = tf_fail(h, TF_STORE, NULL, "out of memory");
		goto out;
	}
	finish_renames(h, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, by_name);
	{   /* one name, one line: a record mid-rename gives way to the file of its new name */
		size_t kept = 0;

		for (size_t i = 0; i < l.n; i++) {
			if (kept && !strcmp(l.v[kept - 1].name, l.v[i].name)) {
				if (l.v[kept - 1].moving && !l.v[i].moving)
					l.v[kept - 1] = l.v[i];
				continue;
			}
			l.v[kept++] = l.v[i];
		}
		l.n = kept;
	}
	for (size_t i = 0; i < l.n; i++)
		if ((ret = tf_emit(h, out, listed_json(&l.v[i]))))
			goto out;
	if (k.n)
		ret = tf_fail(h, TF_STORE, NULL, "%u unreadable record%s skipped: see twofactl fsck", k.n,
		              k.n == 1 ? "" : "s");
out:
	free(l.v);
	org_index_free(&orgs);
	return ret;
}

/* ---- show ---- */

static json_object *factor_obj(const struct factor *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(f->id));
	json_object_object_add(o, "type", json_object_new_string(factor_type_name(f->type)));
	json_object_object_add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
	json_object_object_add(o, "label", json_object_new_string(f->label));
	if (f->type == F_TOTP || f->type == F_HOTP) {
		json_object_object_add(o, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
		json_object_object_add(o, "digits", json_object_new_int64(f->digits));
	}
	if (f->type == F_TOTP) {
		json_object_object_add(o, "period", json_object_new_int64(f->period));
		json_object_object_add(o, "drift", json_object_new_int64(f->drift));
	}
	if (f->type == F_HOTP)
		json_object_object_add(o, "counter", json_object_new_uint64(f->counter));
	json_object_object_add(o, "created", json_object_new_int64(f->created));
	json_object_object_add(o, "last_used", f->last_used ? json_object_new_int64(f->last_used) : NULL);
	return o;
}

static const char *lock_word(enum lock_state ls)
{
	return ls == LOCK_HARDLOCKED ? "hard" : ls == LOCK_DELAYED ? "delayed" : "no";
}

static json_object *show_json(const struct account *a, const struct policy_out *po, const char *src,
                              int64_t now)
{
	json_object *o = json_object_new_object(), *fs = json_object_new_array(), *ids = json_object_new_array();
	int64_t wait = 0;
	enum lock_state ls = lock_check(a, now, &wait);

	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "email", a->email[0] ? json_object_new_string(a->email) : NULL);
	if (a->email[0]) {
		char shown[1024];

		email_display(a->email, shown, sizeof shown);
		json_object_object_add(o, "email_unicode", json_object_new_string(shown));
	} else {
		json_object_object_add(o, "email_unicode", NULL);
	}
	json_object_object_add(o, "phone", a->phone[0] ? json_object_new_string(a->phone) : NULL);
	json_object_object_add(o, "org", a->org[0] ? json_object_new_string(a->org) : NULL);
	json_object_object_add(o, "lang", json_object_new_string(a->lang[0] ? a->lang : "en"));
	json_object_object_add(o, "service", json_object_new_boolean(a->service));
	json_object_object_add(o, "password", json_object_new_boolean(a->pwhash[0] != 0));
	json_object_object_add(o, "password_login", json_object_new_boolean(!a->password_off));
	json_object_object_add(o, "email_reset", json_object_new_boolean(!a->email_reset_off));
	for (unsigned i = 0; i < a->noidc; i++) {
		json_object *id = json_object_new_object();

		json_object_object_add(id, "issuer", json_object_new_string(a->oidc[i].issuer));
		json_object_object_add(id, "subject", json_object_new_string(a->oidc[i].subject));
		json_object_array_add(ids, id);
	}
	json_object_object_add(o, "oidc", ids);
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	json_object_object_add(o, "enabled", json_object_new_boolean(account_active_count(a) > 0));
	json_object_object_add(o, "must_enrol", json_object_new_boolean(a->must_enrol && !account_active_count(a)));
	json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
	json_object_object_add(o, "policy", json_object_new_string(policy_name(po->pol)));
	json_object_object_add(o, "policy_source", json_object_new_string(src));
	json_object_object_add(o, "policy_overrides_switch", json_object_new_boolean(po->overridden));
	json_object_object_add(o, "phone_requests_trusted", json_object_new_boolean(account_active_count(a) == 0));
	json_object_object_add(o, "backup_left", json_object_new_int64(a->nbackup));
	json_object_object_add(o, "whitelist", json_object_new_int64(a->nwl));
	json_object_object_add(o, "trusted_devices", json_object_new_int64(a->ntr));
	json_object_object_add(o, "pending_logins", json_object_new_int64(a->npl));
	json_object_object_add(o, "failures", json_object_new_int64(a->lk_codes.failures));
	json_object_object_add(o, "verified", json_object_new_uint64(a->verified));
	json_object_object_add(o, "locked", json_object_new_string(lock_word(ls)));
	json_object_object_add(o, "retry_in", json_object_new_int64(wait));
	ls = budget_check(&a->lk_pw, now, &wait);
	json_object_object_add(o, "password_failures", json_object_new_int64(a->lk_pw.failures));
	json_object_object_add(o, "password_locked", json_object_new_string(lock_word(ls)));
	json_object_object_add(o, "password_retry_in", json_object_new_int64(wait));
	for (unsigned i = 0; i < a->nf; i++)
		json_object_array_add(fs, factor_obj(&a->f[i]));
	json_object_object_add(o, "factors", fs);
	return o;
}

tf_status tf_user_show(tf *h, const struct tf_user_show_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss;
	struct policy_out po;
	char src[96];
	tf_status ret;

	if (!(ret = tf_sess_begin(h, &ss, a->name)) &&
	    !(ret = effective_policy(h, ss.a, &po, src, sizeof src)))
		ret = tf_emit(h, out, show_json(ss.a, &po, src, now));
	tf_sess_end(&ss);
	return ret;
}

/* ---- set ---- */

/* An active email or SMS factor whose address or number changes goes
 * back to pending: its login codes never go to a destination nobody
 * confirmed. What repoint() remembers for after the save. */
struct repointed {
	uint32_t fid;               /* 0: none */
	char old[255];              /* the destination it had */
};

/* Under the lock, before the fields are applied: refuse clearing the
 * destination of an active factor, and mark the factor of a moved one
 * pending, as a new enrolment (enroll.ttl runs from now). */
static tf_status repoint(tf *h, struct account *a, enum channel ch, const char *to, struct repointed *r)
{
	const char *cur = ch == CH_EMAIL ? a->email : a->phone;
	struct factor *f;

	if (!to || !strcmp(to, cur) || !(f = account_channel_factor(a, ch, FS_ACTIVE)))
		return TF_OK;
	if (!*to)
		return tf_fail(h, TF_USAGE, NULL, "%s is an active method of the account: disable it before "
		               "clearing its %s", channel_name(ch), ch == CH_EMAIL ? "address" : "number");
	f->status = FS_PENDING;
	f->created = tf_now(h);
	a->last_sent[ch][P_ENROLL] = 0;   /* that slot was the old destination's */
	r->fid = f->id;
	snprintf(r->old, sizeof r->old, "%s", cur);
	return TF_OK;
}

/* After the save: a confirmation code to the new destination (confirm
 * activates the factor again, as after enroll --method), and the old one
 * told that it no longer receives codes. */
static tf_status repoint_tell(tf *h, struct tf_sess *ss, enum channel ch, const struct repointed *r)
{
	char session[4], detail[48], *dest = ch == CH_EMAIL ? ss->a->email : ss->a->phone;
	char now_addr[255];
	tf_status ret;

	snprintf(detail, sizeof detail, "%s factor %u pending", channel_name(ch), r->fid);
	if ((ret = tf_audit(h, "user.set", ss->name, "repointed", NULL, detail)))
		return ret;
	if ((ret = send_code(ss, ch, P_ENROLL, session, NULL, NULL)) || (ret = tf_sess_save(ss))) {
		if (ret == TF_DELIVERY || ret == TF_LOCKED)
			tf_fail(h, ret, NULL, "the %s changed and its factor waits for confirmation, but no "
			        "confirmation code went out: send one with 'twofactl send %s --via %s --purpose enroll'",
			        ch == CH_EMAIL ? "address" : "number", ss->name, channel_name(ch));
		return ret;
	}
	/* the old destination is told, without holding the account; a notice
	 * that does not go out does not undo the change */
	{
		struct msg_var v[] = { { "name", ss->name }, { "issuer", tf_config_issuer(h) },
		                       { "method", channel_name(ch) }, { "time", NULL } };
		char when[32];

		time_iso(tf_now(h), when);
		v[3].value = when;
		tf_sess_release(ss);
		snprintf(now_addr, sizeof now_addr, "%s", dest);
		TF_IGNORE(core_strlcpy(dest, r->old, ch == CH_EMAIL ? sizeof ss->a->email : sizeof ss->a->phone));
		if (deliver(h, ss->a, ch, "factor-removed", v, 4))
			tf_fail(h, TF_OK, "warning", "warning: the old %s was not told of the change",
			        ch == CH_EMAIL ? "address" : "number");
		TF_IGNORE(core_strlcpy(dest, now_addr, ch == CH_EMAIL ? sizeof ss->a->email : sizeof ss->a->phone));
	}
	return TF_OK;
}

tf_status tf_user_set(tf *h, const struct tf_user_set_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct fields u = { .pwlogin = toggle(a->password_login), .emailreset = toggle(a->email_reset),
	                    .mustenrol = toggle(a->must_enrol) };
	struct repointed re = { 0 }, rp = { 0 };
	struct tf_sess ss = { 0 };
	tf_status ret;

	if (!a->email && !a->phone && !a->org && !a->lang && u.pwlogin < 0 && u.emailreset < 0 &&
	    u.mustenrol < 0 && a->twofa == TF_SWITCH_NONE)
		return tf_fail(h, TF_USAGE, NULL, "nothing to change: give --email, --phone, --org, --lang, --2fa, "
		               "--password-login, --email-reset or --must-enrol");
	if ((ret = fields_take(h, &u, a->email, a->phone, a->org, a->lang, a->twofa)))
		return ret;
	if ((u.mustenrol >= 0 && (ret = tf_require_admin(h, "--must-enrol"))) || (ret = switch_permitted(h, &u)))
		return ret;
	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	/* where codes go is a factor's: moving it is proved with a code */
	if (((u.email && strcmp(u.email, ss.a->email)) || (u.phone && strcmp(u.phone, ss.a->phone))) &&
	    (ret = stepup(&ss, a->stepup, "user set --email/--phone")))
		goto out;
	if ((ret = repoint(h, ss.a, CH_EMAIL, u.email, &re)) || (ret = repoint(h, ss.a, CH_SMS, u.phone, &rp)))
		goto out;
	if (!(ret = apply_fields(h, ss.a, &u)) && !(ret = check_org_switch(h, ss.a, &u)) &&
	    !(ret = tf_sess_save(&ss))) {
		char detail[64] = "";

		if (u.mustenrol >= 0)
			snprintf(detail, sizeof detail, "must-enrol %s", u.mustenrol ? "on" : "off");
		if (u.twofa >= 0)
			snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s2fa %s",
			         detail[0] ? ", " : "", switch_name((enum acct_switch)u.twofa));
		ret = tf_audit(h, "user.set", a->name, "ok", NULL, detail[0] ? detail : NULL);
	}
	if (!ret && re.fid)
		ret = repoint_tell(h, &ss, CH_EMAIL, &re);
	if (!ret && rp.fid) {
		if (re.fid && (ret = tf_sess_retake(&ss)))
			goto out;
		ret = repoint_tell(h, &ss, CH_SMS, &rp);
	}
out:
	tf_sess_end(&ss);
	return ret ? ret : emit_done(h, out, a->name, "updated");
}

/* ---- del, unlock ---- */

tf_status tf_user_del(tf *h, const struct tf_user_del_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss;
	tf_status ret;
	int st;

	if (!(ret = tf_sess_begin(h, &ss, a->name))) {
		if ((st = store_delete(ss.s, &ss.ref)))
			ret = tf_fail_store(h, st);
		else
			ret = tf_audit(h, "user.del", a->name, "ok", NULL, NULL);
	}
	tf_sess_end(&ss);
	return ret ? ret : emit_done(h, out, a->name, "deleted");
}

tf_status tf_user_unlock(tf *h, const struct tf_user_unlock_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss;
	tf_status ret;

	if (!(ret = tf_sess_begin(h, &ss, a->name))) {
		lock_reset_all(ss.a);
		if (!(ret = tf_sess_save(&ss)))
			ret = tf_audit(h, "user.unlock", a->name, "ok", NULL, NULL);
	}
	tf_sess_end(&ss);
	return ret ? ret : emit_done(h, out, a->name, "unlocked");
}
