/* SPDX-License-Identifier: ISC */
/* lib/rename.c — an account's rename, crash-safe. */
#include "lib/shared.h"

#include <string.h>

/* ---- rename ----
 * One crash-safe step, in three writes under both names' locks:
 * 1. the old file is replaced by the record marked moved_to NEW (the
 *    commit point: from here the old name answers "no such account");
 * 2. the record is written under the new name;
 * 3. the old file is removed.
 * A crash after 1 is finished by the next command that opens the old name
 * (tf_sess_begin) or by 'user rename' again. */

int rename_finish(tf *h, struct acct_ref *oldref, struct account *a, struct acct_ref *held)
{
	struct acct_ref own = { 0 }, *nref = held ? held : &own;
	struct account *b = account_new();
	char oldname[ACCT_NAME_MAX + 1];
	int ret = TF_OK, st;

	if (!b)
		return tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
	memcpy(oldname, a->name, sizeof oldname);
	memcpy(b, a, sizeof *b);
	memcpy(b->name, a->moved_to, sizeof b->name);
	b->moved_to[0] = '\0';
	if (!held && ((st = store_ref(h->s, b->name, nref)) || (st = store_lock(h->s, nref)))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if (store_exists(h->s, nref)) {
		/* step 2 done before a crash, or, after a crash, the free name was
		 * taken meanwhile: then the rename is abandoned, nothing lost */
		struct account *c = account_new();
		int same = c && store_load(h->s, nref, b->name, c) == ST_OK && c->created == a->created &&
		           c->next_id == a->next_id;

		account_free(c);
		if (!same) {
			a->moved_to[0] = '\0';
			if ((st = store_save(h->s, oldref, a)))
				ret = tf_fail_store(h, st);
			else
				ret = tf_fail(h, TF_USAGE, NULL, "rename to '%s' abandoned: that name was taken meanwhile", b->name);
			goto out;
		}
	} else if ((st = store_save(h->s, nref, b))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	/* the links of its OpenID Connect identities follow it before the old
	 * name goes (until then a crash leaves this step to be redone) */
	if ((ret = oidc_links_renamed(h, b, oldname)))
		goto out;
	if ((st = store_delete(h->s, oldref)) && st != ST_ENOENT)
		ret = tf_fail_store(h, st);
	else
		ret = tf_audit(h, "user.rename", b->name, "ok", NULL, oldname);
out:
	if (!held)
		store_unlock(h->s, nref);
	account_free(b);
	return ret;
}

int rename_resume(tf *h, const char *name)
{
	struct acct_ref ref = { 0 };
	struct account *a = account_new();
	int ret = TF_OK, st;

	if (!a)
		return tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
	if ((st = store_ref(h->s, name, &ref)) || (st = store_lock(h->s, &ref)))
		ret = tf_fail_store(h, st);
	else if (!store_load(h->s, &ref, name, a) && a->moved_to[0])
		ret = rename_finish(h, &ref, a, NULL);
	store_unlock(h->s, &ref);
	account_free(a);
	return ret;
}

