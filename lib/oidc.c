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

