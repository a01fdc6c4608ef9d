/* SPDX-License-Identifier: ISC */
/* lib/oidc.c — OpenID Connect identities: the link records that keep one
 * identity on one account, also across renames. */
#include "lib/shared.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int oidc_has_id(const struct account *a, const struct oidc_id *id)
{
	for (unsigned i = 0; i < a->noidc; i++)
		if (oidc_same(&a->oidc[i], id))
			return 1;
	return 0;
}

/* Is the link's account this one: same name, and the same uid where the
 * link has one (a newcomer under an old name is not)? */
int oidc_link_is(const struct oidc_link *l, const struct account *a)
{
	return !strcmp(l->user, a->name) && (!l->uid[0] || !strcmp(l->uid, a->uid));
}

/* The store's link record of an identity, under its (held) lock. */
int oidc_link_read(tf *h, struct acct_ref *ref, struct oidc_link *l, int *exists)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int st = store_blob_load(h->s, ref, &pt, &len);

	*exists = 0;
	if (st == ST_ENOENT)
		return TF_OK;
	if (st)
		return tf_fail_store(h, st);
	st = oidc_link_from_json((const char *)pt, len, l);
	sodium_free(pt);
	if (st)
		return tf_fail(h, TF_STORE, NULL, "an identity link record is not readable");
	*exists = 1;
	return TF_OK;
}

/* Does the account a link names still carry it? (A crash between the two
 * writes, or a deleted account, leaves a stale link behind; a newcomer who
 * took a renamed account's old name has another uid.) Read without the
 * account's lock, so that it may be asked while another account's lock and
 * the identity's are held: files are replaced whole, and a rename updates
 * the link (under the identity's lock) before the old name goes. */
int oidc_link_live(tf *h, const struct oidc_link *l, int *moving)
{
	struct account *a = account_new();
	struct acct_ref ref;
	int live = 0;

	*moving = 0;
	if (a && !store_ref(h->s, l->user, &ref) && !store_load(h->s, &ref, l->user, a)) {
		live = oidc_link_is(l, a) && oidc_has_id(a, &l->id);
		*moving = a->moved_to[0] != 0;
	}
	account_free(a);
	return live;
}

/* The link record of id, read under the identity's lock, or under none. */
int oidc_link_get(tf *h, const struct oidc_id *id, struct acct_ref *lref, int lock,
                    struct oidc_link *l, int *exists)
{
	char key[OIDC_ISSUER_MAX + OIDC_SUBJECT_MAX + 2];
	int st;

	oidc_key(id, key, sizeof key);
	if ((st = store_ref_ns(h->s, NS_OIDC, key, lref)) || (lock && (st = store_lock(h->s, lref))))
		return tf_fail_store(h, st);
	return oidc_link_read(h, lref, l, exists);
}

int oidc_links_renamed(tf *h, const struct account *a, const char *oldname)
{
	int ret = TF_OK;

	for (unsigned i = 0; i < a->noidc && !ret; i++) {
		struct acct_ref lref = { 0 };
		struct oidc_link l;
		struct oidc_id id = a->oidc[i];
		int exists, st;
		char *json = NULL;
		size_t len = 0;

		oidc_normalize(&id);
		if (!(ret = oidc_link_get(h, &id, &lref, 1, &l, &exists)) && exists && !strcmp(l.user, oldname) &&
		    (!l.uid[0] || !strcmp(l.uid, a->uid))) {
			memcpy(l.user, a->name, sizeof l.user);
			memcpy(l.uid, a->uid, sizeof l.uid);
			if (oidc_link_to_json(&l, &json, &len))
				ret = tf_fail(h, TF_STORE, NULL, "out of memory");
			else if ((st = store_blob_save(h->s, &lref, (const uint8_t *)json, len)))
				ret = tf_fail_store(h, st);
			free(json);
		}
		store_unlock(h->s, &lref);
	}
	return ret;
}

/* ---- the use cases: link, unlink, lookup ---- */

/* The identity the caller names, checked and normalised. */
static tf_status want_id(tf *h, const char *issuer, const char *subject, struct oidc_id *id)
{
	memset(id, 0, sizeof *id);
	if (!issuer || !subject)
		return tf_fail(h, TF_USAGE, NULL, "give --issuer URL and --subject SUB");
	if (strlen(issuer) > OIDC_ISSUER_MAX)
		return tf_fail(h, TF_USAGE, NULL, "--issuer: at most %d characters", OIDC_ISSUER_MAX);
	if (strlen(subject) > OIDC_SUBJECT_MAX)
		return tf_fail(h, TF_USAGE, NULL, "--subject: at most %d characters", OIDC_SUBJECT_MAX);
	memcpy(id->issuer, issuer, strlen(issuer) + 1);
	memcpy(id->subject, subject, strlen(subject) + 1);
	if (!oidc_valid(id))
		return tf_fail(h, TF_USAGE, NULL, "the issuer must be an https:// URL and the subject printable");
	oidc_normalize(id);   /* https://id.example/ is https://id.example */
	return TF_OK;
}

/* {name, issuer, subject} */
static tf_status emit_id(tf *h, const struct tf_sink *out, const char *name, const struct oidc_id *id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "issuer", json_object_new_string(id->issuer));
	json_object_object_add(o, "subject", json_object_new_string(id->subject));
	return tf_emit(h, out, o);
}

tf_status tf_oidc_link(tf *h, const struct tf_oidc_link_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct oidc_id id;
	struct oidc_link l;
	struct acct_ref lref = { 0 };
	struct tf_sess ss = { 0 };
	char *json = NULL;
	size_t len = 0;
	int st, exists, moving;
	tf_status ret;

	if (!a->name)
		return tf_fail(h, TF_USAGE, NULL, "missing account NAME");
	if ((ret = tf_check_name(h, a->name)) || (ret = want_id(h, a->issuer, a->subject, &id)))
		return ret;
	/* the account's lock, then the identity's: the order a rename takes
	 * them in; the identity's lock is what keeps it unique */
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = oidc_link_get(h, &id, &lref, 1, &l, &exists)))
		goto out;
	if (exists && !oidc_link_is(&l, ss.a) && oidc_link_live(h, &l, &moving)) {
		ret = tf_fail(h, TF_USAGE, NULL, "that identity is linked to another account already");
		goto out;
	}
	if (!oidc_has_id(ss.a, &id)) {
		if (ss.a->noidc >= ACCT_MAX_OIDC) {
			ret = tf_fail(h, TF_USAGE, NULL, "the account has %d identities already", ACCT_MAX_OIDC);
			goto out;
		}
		ss.a->oidc[ss.a->noidc++] = id;
		if ((ret = tf_sess_save(&ss)))
			goto out;
	}
	memset(&l, 0, sizeof l);
	l.id = id;
	memcpy(l.user, ss.a->name, sizeof l.user);
	memcpy(l.uid, ss.a->uid, sizeof l.uid);
	l.created = tf_now(h);
	if (oidc_link_to_json(&l, &json, &len)) {
		ret = tf_fail(h, TF_STORE, NULL, "out of memory");
		goto out;
	}
	if ((st = store_blob_save(h->s, &lref, (const uint8_t *)json, len))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (!(ret = tf_audit(h, "oidc.link", a->name, "ok", NULL, id.issuer)))
		ret = emit_id(h, out, a->name, &id);
out:
	free(json);
	store_unlock(h->s, &lref);
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_oidc_unlink(tf *h, const struct tf_oidc_unlink_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct oidc_id only, ids[ACCT_MAX_OIDC];
	char uid[ACCT_UID_MAX + 1] = "";
	unsigned n = 0, removed = 0;
	struct tf_sess ss;
	json_object *o;
	tf_status ret;

	if (!a->name)
		return tf_fail(h, TF_USAGE, NULL, "missing account NAME");
	if ((a->issuer || a->subject) && (ret = want_id(h, a->issuer, a->subject, &only)))
		return ret;
	if (!(ret = tf_sess_begin(h, &ss, a->name))) {
		for (unsigned i = 0; i < ss.a->noidc; i++)
			if (!a->issuer || oidc_same(&ss.a->oidc[i], &only))
				ids[n++] = ss.a->oidc[i];
		for (unsigned i = ss.a->noidc; i-- > 0;)
			if (!a->issuer || oidc_same(&ss.a->oidc[i], &only)) {
				memmove(&ss.a->oidc[i], &ss.a->oidc[i + 1], (ss.a->noidc - i - 1) * sizeof ss.a->oidc[0]);
				ss.a->noidc--;
				removed++;
			}
		memcpy(uid, ss.a->uid, sizeof uid);
		if (!removed)
			ret = tf_fail(h, TF_NOENT, NULL, "no such linked identity");
		else if (ss.a->password_off && ss.a->noidc == 0)
			ret = tf_fail(h, TF_USAGE, NULL, "password login is off for this account: unlinking its last "
			              "identity would leave no way in (turn it on first: user set %s --password-login on)",
			              a->name);
		else
			ret = tf_sess_save(&ss);
	}
	tf_sess_end(&ss);
	if (ret)
		return ret;
	/* then the link records, each under its own lock (a stale one would be
	 * ignored by lookup anyway: the account no longer carries it) */
	for (unsigned i = 0; i < n && !ret; i++) {
		struct acct_ref lref = { 0 };
		struct oidc_link l;
		int st, exists;

		oidc_normalize(&ids[i]);
		if (!(ret = oidc_link_get(h, &ids[i], &lref, 1, &l, &exists)) && exists && !strcmp(l.user, a->name) &&
		    (!l.uid[0] || !strcmp(l.uid, uid)) && (st = store_delete(h->s, &lref)) && st != ST_ENOENT)
			ret = tf_fail_store(h, st);
		store_unlock(h->s, &lref);
	}
	if (ret || (ret = tf_audit(h, "oidc.unlink", a->name, "ok", NULL, NULL)))
		return ret;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "unlinked", json_object_new_int64(removed));
	return tf_emit(h, out, o);
}

tf_status tf_oidc_lookup(tf *h, const struct tf_oidc_lookup_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct oidc_id id;
	struct oidc_link l;
	struct acct_ref lref = { 0 };
	int exists = 0, live = 0;
	tf_status ret;

	if ((ret = want_id(h, a->issuer, a->subject, &id)))
		return ret;
	for (int round = 0; round < 2 && !live; round++) {
		int moving = 0;

		if ((ret = oidc_link_get(h, &id, &lref, 0, &l, &exists)))
			return ret;
		if (!exists && strlen(id.issuer) < OIDC_ISSUER_MAX) {
			/* a link made before issuers were normalised */
			struct oidc_id slash = id;

			strcat(slash.issuer, "/");
			if ((ret = oidc_link_get(h, &slash, &lref, 0, &l, &exists)))
				return ret;
		}
		if (!exists)
			break;
		live = oidc_link_live(h, &l, &moving);
		/* a rename a crash interrupted: finish it (that updates the
		 * link), then read the link again */
		if (moving) {
			live = 0;
			if ((ret = rename_resume(h, l.user)))
				return ret;
		}
	}
	if (!live)
		return tf_fail(h, TF_NOENT, NULL, "no account is linked to that identity");
	return emit_id(h, out, l.user, &id);
}
