/* SPDX-License-Identifier: ISC */
/* lib/orgs.c — organisations: read, write, lock, and the policy that
 * applies to an account. */
#include "lib/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* quiet: a missing organisation is TF_NOENT without a message */
static int org_load(tf *h, const char *name, struct acct_ref *ref, struct org *o, int quiet)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int st;

	/* a locked ref (from the caller's store_lock) is kept as it is */
	if (!ref->locked && (st = store_ref_ns(h->s, NS_ORGS, name, ref)))
		return tf_fail_store(h, st);
	st = store_blob_load(h->s, ref, &pt, &len);
	if (st == ST_ENOENT)
		return quiet ? TF_NOENT : tf_fail(h, TF_NOENT, NULL, "no such organisation '%s'", tf_safe(name));
	if (st)
		return tf_fail_store(h, st);
	st = org_from_json((const char *)pt, len, o);
	sodium_free(pt);
	if (st || strcmp(o->name, name))
		return tf_fail(h, TF_STORE, NULL, "organisation file '%s' is not readable", tf_safe(name));
	return TF_OK;
}

int org_read(tf *h, const char *name, struct acct_ref *ref, struct org *o)
{
	return org_load(h, name, ref, o, 0);
}

int org_read_quiet(tf *h, const char *name, struct acct_ref *ref, struct org *o)
{
	return org_load(h, name, ref, o, 1);
}

int org_write(tf *h, struct acct_ref *ref, const struct org *o)
{
	char *json = NULL;
	size_t len = 0;
	int st;

	if (org_to_json(o, &json, &len))
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	st = store_blob_save(h->s, ref, (const uint8_t *)json, len);
	free(json);
	return st ? tf_fail_store(h, st) : TF_OK;
}

int default_policy(tf *h, enum policy *def)
{
	const char *v = store_config_get(h->s, "policy.default");

	*def = POLICY_OPTIONAL;
	if (v && policy_parse(v, def))
		return tf_fail(h, TF_STORE, NULL, "config: policy.default = '%s' is not required, optional or off", tf_safe(v));
	return TF_OK;
}

void policy_source_text(const struct policy_out *po, const char *org, char *buf, size_t len)
{
	if (po->src == PSRC_ORG)
		snprintf(buf, len, "org %s", org);
	else
		snprintf(buf, len, "%s", policy_source_name(po->src));
}

int effective_policy(tf *h, const struct account *a, struct policy_out *po, char *why, size_t whylen)
{
	struct acct_ref ref = { 0 };
	struct org o;
	enum policy def;
	int ret, has_org = 0;

	if ((ret = default_policy(h, &def)))
		return ret;
	if (a->org[0]) {
		/* an account's organisation is never missing: org del refuses
		 * while it has members. Gone, it was removed behind twofactl's
		 * back (or never existed): a store error, never the default */
		ret = org_load(h, a->org, &ref, &o, 1);
		if (ret == TF_NOENT)
			return tf_fail(h, TF_STORE, NULL, "the organisation '%s' of this account is missing (removed "
			            "behind twofactl's back?): restore it, or move the account with user set --org",
			            tf_safe(a->org));
		if (ret)
			return ret;
		has_org = 1;
	}
	account_policy(a, has_org ? &o : NULL, def, po);
	policy_source_text(po, a->org, why, whylen);
	return TF_OK;
}

static int collect_org(void *ctx, const uint8_t *json, size_t len)
{
	struct org_index *l = ctx;

	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 16;
		struct org *nv = realloc(l->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if (org_from_json((const char *)json, len, &l->v[l->n]))
		return -2;   /* named by the walk */
	l->n++;
	return 0;
}

static int cmp_org(const void *x, const void *y)
{
	return strcmp(((const struct org *)x)->name, ((const struct org *)y)->name);
}

int org_index_load(tf *h, struct org_index *ix)
{
	int st;

	memset(ix, 0, sizeof *ix);
	if ((st = store_iterate_ns(h->s, NS_ORGS, collect_org, ix))) {
		org_index_free(ix);
		return tf_fail_store(h, st);
	}
	if (ix->n)
		qsort(ix->v, ix->n, sizeof *ix->v, cmp_org);
	return TF_OK;
}

const struct org *org_index_find(const struct org_index *ix, const char *name)
{
	struct org key;

	if (!name[0] || !ix->n || strlen(name) >= sizeof key.name)
		return NULL;
	memcpy(key.name, name, strlen(name) + 1);
	return bsearch(&key, ix->v, ix->n, sizeof *ix->v, cmp_org);
}

void org_index_free(struct org_index *ix)
{
	free(ix->v);
	memset(ix, 0, sizeof *ix);
}

/* Lock an organisation and read it (set, del, whitelist). */
int org_begin(tf *h, const char *name, struct acct_ref *ref, struct org *o)
{
	int st;

	memset(ref, 0, sizeof *ref);
	if ((st = store_ref_ns(h->s, NS_ORGS, name, ref)) || (st = store_lock(h->s, ref)))
		return tf_fail_store(h, st);
	return org_read(h, name, ref, o);
}

/* And let go of it. */
void org_end(tf *h, struct acct_ref *ref)
{
	store_unlock(h->s, ref);
}

