/* SPDX-License-Identifier: ISC */
/* store/record.c — Sealed records (accounts, organisations, tickets, identities): names,
 * sealing, load, save, delete, iteration. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <dirent.h>

const char *const ns_dirs[NS_COUNT] = { "accounts", "orgs", "tickets", "oidc" };
const char *const ns_prefix[NS_COUNT] = { "", "org:", "ticket:", "oidc:" };

/* ---- records: accounts, organisations, tickets ---- */


int st_ns_fd(struct store *s, enum ns ns)
{
	if (s->nsfd[ns] >= 0)
		return s->nsfd[ns];
	s->nsfd[ns] = st_open_dir_at(s->dirfd, ns_dirs[ns]);
	if (s->nsfd[ns] < 0 && errno == ENOENT) {
		if (mkdirat(s->dirfd, ns_dirs[ns], 0700) < 0 && errno != EEXIST)
			return -1;
		s->nsfd[ns] = st_open_dir_at(s->dirfd, ns_dirs[ns]);
		if (s->nsfd[ns] >= 0) {
			fchmod(s->nsfd[ns], 0700);
			fsync(s->dirfd);
		}
	}
	return s->nsfd[ns];
}

int store_ref_ns(struct store *s, enum ns ns, const char *name, struct acct_ref *ref)
{
	crypto_generichash_state st;
	uint8_t h[32];

	memset(ref, 0, sizeof *ref);
	ref->ns = ns;
	ref->epoch = s->epoch;
	if (ns == NS_ACCOUNTS && !account_name_valid(name))
		return st_fail(s, ST_INVAL, "invalid account name");
	crypto_generichash_init(&st, store_subkey(s, SK_NAME), KEY_LEN, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ns_prefix[ns], strlen(ns_prefix[ns]));
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(ref->hex, sizeof ref->hex, h, sizeof h);
	ref->lockoff = LOCK_ACCOUNTS + (((uint64_t)h[0] << 32 | (uint64_t)h[1] << 24 |
	                                 (uint64_t)h[2] << 16 | (uint64_t)h[3] << 8 | h[4]) &
	                                ((1ULL << 40) - 1));
	return ST_OK;
}

int store_ref(struct store *s, const char *name, struct acct_ref *ref)
{
	return store_ref_ns(s, NS_ACCOUNTS, name, ref);
}

int st_subdir(struct store *s, enum ns ns, const char *hex, int create)
{
	char sub[3] = { hex[0], hex[1], 0 };
	int nfd = st_ns_fd(s, ns), fd;

	if (nfd < 0)
		return -1;
	fd = st_open_dir_at(nfd, sub);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(nfd, sub, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = st_open_dir_at(nfd, sub);
		if (fd >= 0) {
			fchmod(fd, 0700);
			fsync(nfd);
		}
	}
	return fd;
}

void st_make_header(uint8_t hdr[HDR_LEN], uint64_t gen)
{
	memcpy(hdr, MAGIC, 3);
	hdr[3] = 0;
	hdr[4] = FORMAT_VERSION;
	hdr[5] = hdr[6] = hdr[7] = 0;
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(gen >> (56 - 8 * i));
}

void st_make_ad(uint8_t ad[HDR_LEN + 64], const uint8_t hdr[HDR_LEN], const char *hex)
{
	memcpy(ad, hdr, HDR_LEN);
	memcpy(ad + HDR_LEN, hex, 64);
}

int store_exists(struct store *s, const struct acct_ref *ref)
{
	int fd = st_subdir(s, ref->ns, ref->hex, 0), r;

	if (fd < 0)
		return 0;
	r = faccessat(fd, ref->hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(fd);
	/* an organisation file the sealed list does not name is none (a list
	 * that cannot be read: as if it were, so nothing is overwritten) */
	if (r && ref->ns == NS_ORGS)
		r = st_orgs_listed(s, ref->hex) != 0;
	return r;
}

/* Open a sealed file's box (either format, no generation attribute
 * checked) into a fresh sodium_malloc'd buffer (NUL-terminated). */
int st_unseal(struct store *s, enum ns ns, const char *hex, const uint8_t *buf, size_t len,
                  uint8_t **pt, size_t *ptlen, uint64_t *gen)
{
	struct st_rec r = { 0 };
	int ret;

	r.raw = (uint8_t *)buf;
	r.rawlen = len;
	ret = st_rec_decode(s, ns, hex, &r, 0);
	r.raw = NULL;
	*pt = NULL;
	if (ret) {
		st_rec_free(&r);
		return ret;
	}
	*pt = r.pt;
	*ptlen = r.ptlen;
	*gen = r.gen;
	return ST_OK;
}

/* An organisation without its file: none, unless the sealed list names
 * it: then the file was removed behind twofactl's back. */
static int missing_org(struct store *s, const char *hex)
{
	int listed = st_orgs_listed(s, hex);

	if (listed < 0)
		return ST_BAD;
	if (listed)
		return st_fail(s, ST_BAD, "organisation file 'orgs/%.2s/%s' is missing but the sealed list of "
		               "organisations names it (removed behind twofactl's back?)", hex, hex);
	return st_fail(s, ST_ENOENT, "no such entry");
}

int store_blob_load(struct store *s, struct acct_ref *ref, uint8_t **pt, size_t *ptlen)
{
	int fd = st_subdir(s, ref->ns, ref->hex, 0), ret;
	struct st_rec r = { 0 };
	const char *d = ns_dirs[ref->ns];

	*pt = NULL;
	if (fd < 0) {
		if (errno == ENOENT && ref->ns == NS_ORGS)
			return missing_org(s, ref->hex);
		if (errno == ENOENT)
			return st_fail(s, ST_ENOENT, "no such entry");
		return st_fail(s, ST_BAD, "cannot open directory '%s': %s", d, strerror(errno));
	}
	ret = st_rec_load(s, ref->ns, fd, ref->hex, &r, 0);
	close(fd);
	if (ret == ST_ENOENT && ref->ns == NS_ORGS)
		ret = missing_org(s, ref->hex);
	if (ret) {
		st_rec_free(&r);
		return ret;
	}
	ref->gen = r.gen;
	ref->format = r.version;
	ref->slot = r.slot;
	ref->slotsize = r.slotsize;
	ref->ino = r.ino;
	*pt = r.pt;
	*ptlen = r.ptlen;
	r.pt = NULL;
	st_rec_free(&r);
	if (ref->ns == NS_ORGS && (ret = st_orgs_check(s, ref->hex, ref->gen))) {
		sodium_free(*pt);   /* not listed, or an old copy */
		*pt = NULL;
	}
	return ret;
}

/* A record is written only if it reads back: a time past what the format
 * holds (a --at near its end plus a duration, an imported number out of
 * range) would make the file unreadable, and with it every command that
 * reads the whole store. The name it holds must also be the one its file
 * is named after. */
static int readable(struct store *s, const struct acct_ref *ref, const uint8_t *pt, size_t len)
{
	char name[RECORD_NAME_MAX];
	struct acct_ref check;

	if (st_record_name(ref->ns, pt, len, name))
		return st_fail(s, ST_INVAL, "a value is out of the range the record format holds "
		               "(a time too far in the future?): nothing was changed");
	if (store_ref_ns(s, ref->ns, name, &check) || strcmp(check.hex, ref->hex))
		return st_fail(s, ST_BAD, "internal error: a record to be written under another name");
	return ST_OK;
}

int store_blob_save(struct store *s, struct acct_ref *ref, const uint8_t *pt, size_t ptlen)
{
	int fd, ret;

	if (!ref->locked)
		return st_fail(s, ST_BAD, "internal error: save without lock");
	if (HDR_LEN + NONCE_LEN + ptlen + TAG_LEN > STORE_MAX_FILE)
		return st_fail(s, ST_BAD, "record too large");
	if ((ret = readable(s, ref, pt, ptlen)))   /* nothing invalid is ever written */
		return ret;
	if ((ret = st_audit_ready(s)))   /* no change the audit log could not follow */
		return ret;
	fd = st_subdir(s, ref->ns, ref->hex, 1);
	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot open directory '%s': %s", ns_dirs[ref->ns], strerror(errno));
	ret = st_rec_save(s, ref, fd, pt, ptlen);
	if (ret == ST_OK && ref->ns == NS_ORGS)   /* the file first, then the list */
		ret = st_orgs_update(s, ref->hex, ref->gen);
	close(fd);
	return ret;
}

int store_load(struct store *s, struct acct_ref *ref, const char *name, struct account *a)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int ret = store_blob_load(s, ref, &pt, &len);

	if (ret == ST_ENOENT)
		return st_fail(s, ST_ENOENT, "no such account");
	if (ret)
		return ret;
	ret = record_from_json((const char *)pt, len, a);
	sodium_free(pt);
	if (ret != CORE_OK)
		return st_fail(s, ST_BAD, "account file 'accounts/%.2s/%s' holds a record this twofactl cannot read",
		            ref->hex, ref->hex);
	if (strcmp(a->name, name) != 0) {
		sodium_memzero(a, sizeof *a);
		return st_fail(s, ST_BAD, "account file 'accounts/%.2s/%s' belongs to another account",
		            ref->hex, ref->hex);
	}
	/* an older record: its hashes keep the key and context they were made
	 * with, kept in the record from its next write on (rekey does it too) */
	account_upgrade(a, ref->hex, store_subkey(s, SK_CODE));
	return ST_OK;
}

int store_save(struct store *s, struct acct_ref *ref, const struct account *a)
{
	char *json = NULL;
	size_t jlen = 0;
	int ret;

	if (record_to_json(a, &json, &jlen) != CORE_OK)
		return st_fail(s, ST_BAD, "cannot serialise record");
	ret = store_blob_save(s, ref, (const uint8_t *)json, jlen);
	sodium_memzero(json, jlen);
	free(json);
	return ret;
}

int store_delete(struct store *s, struct acct_ref *ref)
{
	int fd, ret;

	if (!ref->locked)
		return st_fail(s, ST_BAD, "internal error: delete without lock");
	if ((ret = st_audit_ready(s)))
		return ret;
	if (ref->ns == NS_ORGS && (ret = st_orgs_remove(s, ref->hex)))   /* the list first, then the file */
		return ret;
	fd = st_subdir(s, ref->ns, ref->hex, 0);
	if (fd < 0)
		return st_fail(s, ST_ENOENT, "no such entry");
	if (unlinkat(fd, ref->hex, 0) < 0) {
		int e = errno;

		close(fd);
		return st_fail(s, e == ENOENT ? ST_ENOENT : ST_BAD, "cannot remove file: %s", strerror(e));
	}
	fsync(fd);
	close(fd);
	return ST_OK;
}

int st_is_hex_name(const char *n, size_t len)
{
	if (strlen(n) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return 1;
}


static int iterate_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx, store_bad_fn bad, void *bctx);

/* Under a reader's lock: a rekey neither runs meanwhile nor has run with
 * a key other than the one the records are opened with. */
int store_iterate_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx)
{
	return store_scan_ns(s, ns, fn, ctx, NULL, NULL);
}

int store_scan_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx, store_bad_fn bad, void *bctx)
{
	int ret = st_read_begin(s);

	if (ret)
		return ret;
	ret = iterate_ns(s, ns, fn, ctx, bad, bctx);
	st_read_end(s);
	return ret;
}

/* A record that cannot be read: with bad, reported and skipped (the
 * message is the store's); without, the end of the walk. */
static int skip(struct store *s, store_bad_fn bad, void *bctx, int ret)
{
	if (!bad || ret == ST_BUSY)
		return ret;
	bad(bctx, s->err);
	return ST_OK;
}

static int iterate_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx, store_bad_fn bad, void *bctx)
{
	int nfd, afd, ret = ST_OK;
	DIR *top;
	struct dirent *de;
	/* one read buffer and one secure buffer for every record: sodium_malloc
	 * costs a handful of system calls, too many to pay per file */
	struct st_rec r = { 0 };
	struct index *ix = NULL;

	/* nothing was ever written to it: empty (a read-only store cannot
	 * create the directory, and need not) */
	if (s->nsfd[ns] < 0 && faccessat(s->dirfd, ns_dirs[ns], F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return ST_OK;
	nfd = st_ns_fd(s, ns);
	afd = nfd >= 0 ? dup(nfd) : -1;
	top = afd >= 0 ? fdopendir(afd) : NULL;
	if (!top) {
		if (afd >= 0)
			close(afd);
		return st_fail(s, ST_BAD, "cannot list '%s': %s", ns_dirs[ns], strerror(errno));
	}
	if (ns == NS_ORGS && !(ix = st_orgs_snapshot(s))) {
		closedir(top);
		return ST_BAD;
	}
	rewinddir(top);
	while (ret == ST_OK && (de = readdir(top))) {
		int sfd;
		DIR *sd;
		struct dirent *fe;

		if (!st_is_hex_name(de->d_name, 2))
			continue;
		sfd = st_open_dir_at(nfd, de->d_name);
		if (sfd < 0 || !(sd = fdopendir(sfd))) {
			if (sfd >= 0)
				close(sfd);
			ret = st_fail(s, ST_BAD, "cannot open '%s/%s': %s", ns_dirs[ns], de->d_name, strerror(errno));
			break;
		}
		while ((fe = readdir(sd))) {
			int stop;

			if (!st_is_hex_name(fe->d_name, 64) || strncmp(fe->d_name, de->d_name, 2))
				continue;
			ret = st_rec_load(s, ns, dirfd(sd), fe->d_name, &r, 0);
			if (ret == ST_ENOENT) {   /* removed meanwhile */
				ret = ST_OK;
				continue;
			}
			if (ret == ST_OK && ix) {   /* organisations: only those the sealed list names */
				int c = st_orgs_snapshot_check(s, ix, fe->d_name, r.gen);

				if (c > 0) {
					sodium_memzero(r.pt, r.ptlen);
					continue;
				}
				if (c < 0) {
					sodium_memzero(r.pt, r.ptlen);
					ret = ST_BAD;
				}
			}
			if (ret != ST_OK) {
				if ((ret = skip(s, bad, bctx, ret)))
					break;
				continue;
			}
			stop = fn(ctx, r.pt, r.ptlen);
			sodium_memzero(r.pt, r.ptlen);
			if (stop == -2) {   /* a record this twofactl cannot read */
				st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' holds a record this twofactl cannot read",
				        ns == NS_ACCOUNTS ? "account" : "a", ns_dirs[ns], fe->d_name, fe->d_name);
				if ((ret = skip(s, bad, bctx, ST_BAD)))
					break;
				continue;
			}
			if (stop < 0) {
				ret = ST_BAD;   /* the callback set the message with store_fail */
				break;
			}
			if (stop) {
				closedir(sd);
				goto out;
			}
		}
		closedir(sd);
	}
out:
	closedir(top);
	st_rec_free(&r);
	st_orgs_snapshot_free(ix);
	return ret;
}

struct acct_visit {
	struct store *s;
	struct account *a;
	store_visit_fn fn;
	void *ctx;
};

static int visit_account(void *ctx, const uint8_t *json, size_t len)
{
	struct acct_visit *v = ctx;

	if (record_from_json((const char *)json, len, v->a) != CORE_OK)
		return -2;   /* the walk names the file */
	return v->fn(v->ctx, v->a);
}

int store_iterate(struct store *s, store_visit_fn fn, void *ctx)
{
	return store_scan(s, fn, ctx, NULL, NULL);
}

int store_scan(struct store *s, store_visit_fn fn, void *ctx, store_bad_fn bad, void *bctx)
{
	struct acct_visit v = { s, account_new(), fn, ctx };
	int ret;

	if (!v.a)
		return st_fail(s, ST_BAD, "cannot allocate secure memory");
	ret = store_scan_ns(s, NS_ACCOUNTS, visit_account, &v, bad, bctx);
	account_free(v.a);
	return ret;
}

