/* SPDX-License-Identifier: ISC */
/* lib/export.c — export (accounts and organisations as one JSON document)
 * and import (from pam_oath, google-authenticator, otpauth:// URIs and
 * twofactl's own exports; core/import.c parses them). */
#include "lib/shared.h"
#include "core/auth.h"
#include "core/b32.h"
#include "core/cidr.h"
#include "core/import.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- export ---- */

static json_object *account_export(const struct account *a, int secrets)
{
	json_object *o = json_object_new_object(), *fs = json_object_new_array(), *wl = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(a->name));
	if (a->email[0])
		json_object_object_add(o, "email", json_object_new_string(a->email));
	if (a->phone[0])
		json_object_object_add(o, "phone", json_object_new_string(a->phone));
	if (a->org[0])
		json_object_object_add(o, "org", json_object_new_string(a->org));
	if (a->lang[0])
		json_object_object_add(o, "lang", json_object_new_string(a->lang));
	json_object_object_add(o, "service", json_object_new_boolean(a->service));
	if (a->twofa != SW_INHERIT)
		json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	if (secrets && a->pwhash[0])
		json_object_object_add(o, "password", json_object_new_string(a->pwhash));
	for (unsigned i = 0; i < a->nf; i++) {
		const struct factor *f = &a->f[i];
		json_object *fo = json_object_new_object();

		json_object_object_add(fo, "type", json_object_new_string(factor_type_name(f->type)));
		json_object_object_add(fo, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
		if (f->label[0])
			json_object_object_add(fo, "label", json_object_new_string(f->label));
		json_object_object_add(fo, "created", json_object_new_int64(f->created));
		if (f->type == F_TOTP || f->type == F_HOTP) {
			json_object_object_add(fo, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
			json_object_object_add(fo, "digits", json_object_new_int64(f->digits));
			if (f->type == F_TOTP)
				json_object_object_add(fo, "period", json_object_new_int64(f->period));
			else
				json_object_object_add(fo, "counter", json_object_new_uint64(f->counter));
			if (f->has_step)
				json_object_object_add(fo, "last_step", json_object_new_uint64(f->last_step));
			if (f->window >= 0)
				json_object_object_add(fo, "window", json_object_new_int64(f->window));
			if (secrets) {
				char b32[2 * OTP_MAX_KEY];

				if (b32_encode(f->key, f->keylen, b32, sizeof b32) == CORE_OK)
					json_object_object_add(fo, "secret", json_object_new_string(b32));
				sodium_memzero(b32, sizeof b32);
			}
		}
		json_object_array_add(fs, fo);
	}
	json_object_object_add(o, "factors", fs);
	for (unsigned i = 0; i < a->nwl; i++) {
		json_object *e = json_object_new_object();
		char net[64];

		cidr_format(&a->wl[i].net, net);
		json_object_object_add(e, "net", json_object_new_string(net));
		json_object_object_add(e, "created", json_object_new_int64(a->wl[i].created));
		json_object_object_add(e, "expires", json_object_new_int64(a->wl[i].expires));
		if (a->wl[i].note[0])
			json_object_object_add(e, "note", json_object_new_string(a->wl[i].note));
		json_object_array_add(wl, e);
	}
	json_object_object_add(o, "whitelist", wl);
	return o;
}

struct exp {
	tf *h;
	json_object *arr;
	int secrets;
};

static int export_one(void *ctx, const struct account *a)
{
	struct exp *e = ctx;
	json_object *o;

	if (a->moved_to[0]) {   /* a rename cut short: the account has its new name */
		struct acct_ref nref;

		if (!store_ref(e->h->s, a->moved_to, &nref) && store_exists(e->h->s, &nref))
			return 0;   /* its file under the new name is exported */
		o = account_export(a, e->secrets);
		json_object_object_add(o, "name", json_object_new_string(a->moved_to));
	} else {
		o = account_export(a, e->secrets);
	}
	json_object_array_add(e->arr, o);
	return 0;
}

static int export_org(void *ctx, const uint8_t *json, size_t len)
{
	struct org o;
	json_object *j;

	if (org_from_json((const char *)json, len, &o))
		return -2;   /* named by the walk */
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(o.name));
	json_object_object_add(j, "policy", json_object_new_string(policy_name(o.policy)));
	json_object_array_add(ctx, j);
	return 0;
}

tf_status tf_export(tf *h, const struct tf_export_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_skipped k = { .h = h };
	struct exp e = { .h = h, .secrets = a->include_secrets };
	json_object *root, *orgs;
	tf_status ret = TF_OK, shown;
	int st;

	root = json_object_new_object();
	orgs = json_object_new_array();
	e.arr = json_object_new_array();
	if (a->names && a->nnames) {
		for (size_t i = 0; i < a->nnames && !ret; i++) {
			struct tf_sess ss;

			if (a->reading)
				a->reading(a->reading_ctx, a->names[i]);
			if (!(ret = tf_sess_begin(h, &ss, a->names[i])))
				json_object_array_add(e.arr, account_export(ss.a, a->include_secrets));
			tf_sess_end(&ss);
		}
	} else if ((st = store_scan(h->s, export_one, &e, tf_skipped_record, &k)) ||
	           (st = store_scan_ns(h->s, NS_ORGS, export_org, orgs, tf_skipped_record, &k))) {
		ret = tf_fail_store(h, st);
	}
	if (ret)
		goto out;
	json_object_object_add(root, "format", json_object_new_string("twofactl-export"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "exported", json_object_new_int64(now));
	json_object_object_add(root, "secrets", json_object_new_boolean(a->include_secrets));
	json_object_object_add(root, "orgs", orgs);
	json_object_object_add(root, "accounts", e.arr);
	orgs = e.arr = NULL;
	/* keys and password hashes are wiped once the caller has them; the
	 * export is audited whether or not the caller could take it all: it
	 * was read */
	shown = a->include_secrets ? tf_emit_secret(h, out, root) : tf_emit(h, out, root);
	root = NULL;
	ret = tf_skipped_end(&k, tf_audit(h, "export", NULL, "ok", NULL, a->include_secrets ? "with secrets" : NULL));
	if (!ret)
		ret = shown;
out:
	if (e.arr)
		tf_json_wipe(e.arr);
	json_object_put(root);
	json_object_put(e.arr);
	json_object_put(orgs);
	return ret;
}

/* ---- import ---- */

/* ---- all or nothing ----
 * The input is parsed twice under the whole-store lock: a first pass
 * checks every item against the store and against the items before it
 * (each record must read back, limits hold, an organisation exists) and
 * writes nothing; only when all of it is good does the second pass write.
 * An authenticator key is never added to an account that has it already
 * (one key, one replay state), nor twice by one input: such an input is
 * refused. A crash during the writes leaves the accounts written so far;
 * the same import again with --resume completes it: an entry whose every
 * key its account has already (imported before the crash) is skipped, and
 * an export's existing accounts are skipped anyway. */

struct seen {   /* the names met in the first pass, with what they would get */
	char name[ACCT_NAME_MAX + 1];
	unsigned nf, nbackup;
	int exists;
};

/* A set of 16-byte digests (open addressing; all zero is empty). */
struct keyset {
	uint8_t (*v)[16];
	size_t n, cap;
	uint8_t salt[crypto_generichash_KEYBYTES];
};

/* 1 if (name, f's key) was in the set, 0 if it is now, -1 out of memory. */
static int keyset_add(struct keyset *ks, const char *name, const struct factor *f)
{
	uint8_t d[16];
	size_t i;

	if (ks->n * 2 >= ks->cap) {
		size_t nc = ks->cap ? 2 * ks->cap : 256;
		uint8_t (*nv)[16] = calloc(nc, sizeof *nv);

		if (!nv)
			return -1;
		if (!ks->cap)
			randombytes_buf(ks->salt, sizeof ks->salt);
		for (size_t j = 0; j < ks->cap; j++) {
			if (sodium_is_zero(ks->v[j], 16))
				continue;
			for (i = (size_t)ks->v[j][0] << 8 | ks->v[j][1]; !sodium_is_zero(nv[i & (nc - 1)], 16); i++)
				;
			memcpy(nv[i & (nc - 1)], ks->v[j], 16);
		}
		free(ks->v);
		ks->v = nv;
		ks->cap = nc;
	}
	{
		crypto_generichash_state st;

		crypto_generichash_init(&st, ks->salt, sizeof ks->salt, sizeof d);
		crypto_generichash_update(&st, (const uint8_t *)name, strlen(name) + 1);
		crypto_generichash_update(&st, f->key, f->keylen);
		crypto_generichash_final(&st, d, sizeof d);
	}
	for (i = (size_t)d[0] << 8 | d[1];; i++) {
		uint8_t *e = ks->v[i & (ks->cap - 1)];

		if (sodium_is_zero(e, 16)) {
			memcpy(e, d, 16);
			ks->n++;
			return 0;
		}
		if (!memcmp(e, d, 16))
			return 1;
	}
}

struct imp {
	tf *h;
	struct store *s;
	int64_t now;
	enum import_format format;
	int check;                   /* first pass: check, write nothing */
	int resume;                  /* --resume: entries imported before are skipped */
	struct keyset keys;          /* first pass: (account, key) pairs met so far */
	tf_status err;               /* the status an item stopped the parse with */
	unsigned added, updated, skipped, dupfactors, pins, done, items;
	tf_progress_fn progress;
	void *progress_ctx;
	tf_notice_fn notice;
	void *notice_ctx;
	struct seen *seen;
	size_t nseen, capseen;
	struct account *cur;         /* scratch: the record an item would make */
};

static struct seen *seen_find(struct imp *im, const char *name, int add)
{
	/* a sorted array: an import's names are looked up once per item */
	size_t lo = 0, hi = im->nseen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(im->seen[mid].name, name);

		if (!c)
			return &im->seen[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!add)
		return NULL;
	if (im->nseen == im->capseen) {
		size_t nc = im->capseen ? 2 * im->capseen : 64;
		struct seen *nv = realloc(im->seen, nc * sizeof *nv);

		if (!nv)
			return NULL;
		im->seen = nv;
		im->capseen = nc;
	}
	memmove(&im->seen[lo + 1], &im->seen[lo], (im->nseen - lo) * sizeof *im->seen);
	memset(&im->seen[lo], 0, sizeof *im->seen);
	memcpy(im->seen[lo].name, name, strlen(name) + 1);
	im->nseen++;
	return &im->seen[lo];
}

/* The item merged into the account a (loaded): new factors (not those it
 * has), the rate limit; *fresh counts the factors added. */
static tf_status merge_item(struct imp *im, struct account *a, const struct import_item *it, unsigned *fresh)
{
	*fresh = 0;
	for (unsigned i = 0; i < it->a->nf; i++) {
		struct factor *f;
		uint32_t id;

		if (account_otp_key_factor(a, &it->a->f[i]))
			continue;   /* (only with --resume: refused otherwise) */
		if (!(f = account_factor_add(a, im->now)))
			return tf_fail(im->h, TF_USAGE, NULL, "'%s' would have more than %d factors", it->a->name, ACCT_MAX_FACTORS);
		id = f->id;
		*f = it->a->f[i];
		f->id = id;
		(*fresh)++;
	}
	if (it->a->rate_n && (*fresh || !it->a->nf)) {
		a->rate_n = it->a->rate_n;
		a->rate_secs = it->a->rate_secs;
	}
	return TF_OK;
}

/* TF_OK or TF_NOENT, quietly: an export's organisation that is not
 * here is dropped from the account, not an error. */
static tf_status org_exists(struct store *s, const char *org)
{
	struct acct_ref oref;

	if (store_ref_ns(s, NS_ORGS, org, &oref))
		return TF_NOENT;
	return store_exists(s, &oref) ? TF_OK : TF_NOENT;
}

/* An entry whose keys its account has: refused, or with --resume (all of
 * them there: imported before a crash) skipped. 1 skip, 0 go on, or an
 * exit code. */
static int already(const struct imp *im, const struct account *a, const struct import_item *it)
{
	const struct factor *dup = NULL, *first = NULL;
	unsigned have = 0;

	for (unsigned i = 0; i < it->a->nf; i++)
		if ((dup = account_otp_key_factor(a, &it->a->f[i]))) {
			have++;
			if (!first)
				first = &it->a->f[i];
		}
	if (!have)
		return 0;
	if (im->resume && have == it->a->nf)
		return 1;
	dup = account_otp_key_factor(a, first);
	return tf_fail(im->h, TF_USAGE, NULL, "'%s' has that %s key already (factor %u): one key, one replay state",
	            it->a->name, factor_type_name(first->type), dup->id);
}

/* First pass: would this item be written, and would what is written read
 * back? Writes nothing. */
static tf_status check_one(struct imp *im, struct import_item *it)
{
	struct seen *sn = seen_find(im, it->a->name, 0);
	int first = !sn, st, ret;

	if (record_check(it->a) != CORE_OK)
		return tf_fail(im->h, TF_USAGE, NULL, "'%s': a time or number is out of the range the record format holds: "
		            "nothing was imported", it->a->name);
	if (first && !(sn = seen_find(im, it->a->name, 1)))
		return tf_fail(im->h, TF_STORE, NULL, "out of memory");
	if (first) {
		struct acct_ref ref;

		if ((st = store_ref(im->s, it->a->name, &ref)))
			return tf_fail_store(im->h, st);
		sn->exists = store_exists(im->s, &ref);
	}
	if (im->format == IMP_TWOFACTL && (sn->exists || !first))
		return TF_OK;   /* an existing name, or one met before, is skipped */
	if (sn->exists) {   /* factors are added to it: never a key it has */
		struct acct_ref ref;

		if ((st = store_ref(im->s, it->a->name, &ref)) || (st = store_load(im->s, &ref, it->a->name, im->cur)))
			return tf_fail_store(im->h, st);
		if (first) {
			sn->nf = im->cur->nf;
			sn->nbackup = im->cur->nbackup;
		}
		ret = already(im, im->cur, it);
		sodium_memzero(im->cur, sizeof *im->cur);
		if (ret == 1)
			return TF_OK;   /* imported before: skipped */
		if (ret)
			return ret;
	}
	if (im->format == IMP_TWOFACTL && it->a->org[0] && (ret = org_exists(im->s, it->a->org)) &&
	    ret != TF_NOENT)
		return ret;
	for (unsigned i = 0; i < it->a->nf; i++) {   /* nor one key twice from this input */
		int r = it->a->f[i].type == F_TOTP || it->a->f[i].type == F_HOTP ?
		        keyset_add(&im->keys, it->a->name, &it->a->f[i]) : 0;

		if (r < 0)
			return tf_fail(im->h, TF_STORE, NULL, "out of memory");
		if (r)
			return tf_fail(im->h, TF_USAGE, NULL, "'%s' would get the same %s key twice: one key, one replay state",
			            it->a->name, factor_type_name(it->a->f[i].type));
	}
	if (sn->nf + it->a->nf > ACCT_MAX_FACTORS)
		return tf_fail(im->h, TF_USAGE, NULL, "'%s' would have more than %d factors: nothing was imported",
		            it->a->name, ACCT_MAX_FACTORS);
	if (sn->nbackup + it->nscratch > ACCT_MAX_BACKUP)
		return tf_fail(im->h, TF_USAGE, NULL, "'%s' would have more than %d backup codes: nothing was imported",
		            it->a->name, ACCT_MAX_BACKUP);
	sn->nf += it->a->nf;
	sn->nbackup += it->nscratch;
	return TF_OK;
}

/* Second pass: write it. */
static tf_status write_one(struct imp *im, struct import_item *it)
{
	struct tf_sess ss = { .h = im->h, .s = im->s, .name = it->a->name, .a = im->cur };
	char hashctx[80];
	unsigned fresh = 0;
	int ret, st, exists;

	if ((st = store_ref(ss.s, it->a->name, &ss.ref)) || (st = store_lock(ss.s, &ss.ref)))
		return tf_fail_store(im->h, st);
	exists = store_exists(ss.s, &ss.ref);
	if (exists && im->format == IMP_TWOFACTL) {
		im->skipped++;
		if (im->notice) {
			char msg[ACCT_NAME_MAX + 32];

			snprintf(msg, sizeof msg, "'%s' exists already: skipped", it->a->name);
			im->notice(im->notice_ctx, msg);
		}
		ret = TF_OK;
		goto out;
	}
	if (exists) {
		if ((st = store_load(ss.s, &ss.ref, it->a->name, ss.a))) {
			ret = tf_fail_store(im->h, st);
			goto out;
		}
		if ((ret = already(im, ss.a, it)) == 1) {   /* imported before the crash */
			im->skipped++;
			im->dupfactors += it->a->nf;
			ret = TF_OK;
			goto out;
		}
		if (ret || (ret = merge_item(im, ss.a, it, &fresh)))
			goto out;
		im->updated++;
	} else {
		memcpy(ss.a, it->a, sizeof *ss.a);
		if (ss.a->org[0] && org_exists(ss.s, ss.a->org) == TF_NOENT)
			ss.a->org[0] = '\0';   /* the organisation does not exist here */
		im->added++;
	}
	snprintf(hashctx, sizeof hashctx, "%s", tf_acct_ctx(&ss));
	for (unsigned i = 0; i < it->nscratch; i++)
		if (auth_store_backup(ss.a, it->scratch[i], ss.a->code_key, hashctx)) {
			ret = tf_fail(im->h, TF_STORE, NULL, "cannot store the scratch codes");
			goto out;
		}
	if (it->nscratch && !ss.a->backup_issued)
		ss.a->backup_issued = im->now;
	im->pins += (unsigned)it->skipped_pin;
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(im->h, "import", it->a->name, exists ? "updated" : "added", NULL, import_format_name(im->format))))
		goto out;
	if (im->progress && ++im->done % 100 == 0)
		im->progress(im->progress_ctx, im->done, 0);
out:
	store_unlock(ss.s, &ss.ref);
	sodium_memzero(ss.a, sizeof *ss.a);
	return ret;
}

/* The parser returns what this returns: a status would be taken for one
 * of its own codes, so it is kept in im->err and -1 stops the parse. */
static int import_one(void *ctx, struct import_item *it)
{
	struct imp *im = ctx;

	im->items++;
	im->err = im->check ? check_one(im, it) : write_one(im, it);
	return im->err ? -1 : 0;
}

static tf_status parse_failed(const struct imp *im, int r, unsigned bad)
{
	if (!bad)
		return tf_fail(im->h, TF_USAGE, NULL, "not a valid %s file", import_format_name(im->format));
	if (r == CORE_ERANGE)
		return tf_fail(im->h, TF_USAGE, NULL, "%s %u: a time or number out of the range the record format holds; "
		            "nothing was imported", im->format == IMP_TWOFACTL ? "account" : "line", bad);
	return tf_fail(im->h, TF_USAGE, NULL, "%s %u: not a valid %s entry%s", im->format == IMP_TWOFACTL ? "account" : "line",
	            bad, import_format_name(im->format), r == CORE_EINVAL ? " (or not a valid account name)" : "");
}

static enum import_format format_of(tf_import_format f)
{
	switch (f) {
	case TF_IMPORT_TWOFACTL: return IMP_TWOFACTL;
	case TF_IMPORT_USERSFILE: return IMP_USERSFILE;
	case TF_IMPORT_GOOGLE_AUTHENTICATOR: return IMP_GA;
	case TF_IMPORT_URI: return IMP_URI;
	case TF_IMPORT_DETECT: break;
	}
	return IMP_UNKNOWN;
}

static json_object *import_summary(const struct imp *im)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "format", json_object_new_string(import_format_name(im->format)));
	json_object_object_add(o, "added", json_object_new_int64(im->added));
	json_object_object_add(o, "updated", json_object_new_int64(im->updated));
	json_object_object_add(o, "skipped", json_object_new_int64(im->skipped));
	json_object_object_add(o, "duplicate_factors", json_object_new_int64(im->dupfactors));
	return o;
}

tf_status tf_import(tf *h, const struct tf_import_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct imp im = { .h = h, .s = h->s, .now = tf_now(h), .resume = a->resume,
	                  .progress = a->progress, .progress_ctx = a->progress_ctx,
	                  .notice = a->notice, .notice_ctx = a->notice_ctx };
	struct import_item it = { 0 };
	unsigned bad = 0;
	tf_status ret;
	int r, st, locked = 0;

	if (!a->text)
		return tf_fail(h, TF_USAGE, NULL, "nothing to import");
	if (a->user && !account_name_valid(a->user))
		return tf_fail(h, TF_USAGE, NULL, "--user: invalid account name '%s'", tf_safe(a->user));
	im.format = a->format ? format_of(a->format) : import_detect(a->text);
	if (im.format == IMP_UNKNOWN)
		return tf_fail(h, TF_USAGE, NULL, "cannot tell the format: give --format");
	if (im.format == IMP_GA && !a->user)
		return tf_fail(h, TF_USAGE, NULL, "a google-authenticator file names no user: give --user NAME");
	it.a = account_new();
	im.cur = account_new();
	if (!it.a || !im.cur) {
		ret = tf_fail(h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	/* the whole store, for both passes: what the first pass checked is
	 * still so when the second writes (7 if a rekey ran while we waited) */
	if ((st = store_lock_all(im.s))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	locked = 1;
	im.check = 1;
	r = import_parse(im.format, a->text, a->user, im.now, &it, import_one, &im, &bad);
	if (im.err) {   /* check_one's message is out */
		ret = im.err;
		goto out;
	}
	if (r) {
		ret = r == CORE_ENOMEM ? tf_fail(h, TF_STORE, NULL, "out of memory") : parse_failed(&im, r, bad);
		goto out;
	}
	im.check = 0;
	im.items = 0;
	r = import_parse(im.format, a->text, a->user, im.now, &it, import_one, &im, &bad);
	if (im.progress)
		im.progress(im.progress_ctx, im.done, im.done);
	ret = TF_OK;
	if (r) {   /* a write failed (I/O): what was written stays; a re-run completes it */
		ret = im.err ? im.err : TF_STORE;
		tf_fail(h, ret, NULL, "stopped after %u of the accounts: a re-run imports the rest "
		        "(what is there already is skipped)", im.added + im.updated + im.skipped);
	}
	if (a->pins_dropped)
		*a->pins_dropped = im.pins;
	/* what was written is written: the summary says so, whether or not
	 * the caller can take it */
	TF_IGNORE(tf_emit(h, out, import_summary(&im)));
out:
	if (locked)
		store_unlock_all(im.s);
	free(im.seen);
	free(im.keys.v);
	account_free(it.a);
	account_free(im.cur);
	sodium_memzero(&it, sizeof it);
	return ret;
}
