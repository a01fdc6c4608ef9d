/* SPDX-License-Identifier: ISC */
/* store/orgs.c — The sealed list of organisations: orgs.index.
 *
 * An organisation's file decides the policy of its members, so deleting it
 * or putting back an older copy (one whose policy was off) must not go
 * unnoticed. orgs.index, sealed under the config subkey, lists the file
 * name and generation of every organisation:
 *
 *   - a file not listed is no organisation (a crash between the two writes
 *     of org add or org del, or a file put there);
 *   - a file older than its listed generation was rolled back: a store
 *     error;
 *   - a listed organisation whose file is missing was deleted behind
 *     twofactl's back: its members are refused (exit 5, see
 *     effective_policy), never given the default policy.
 *
 * A save writes the file, then the list (a crash leaves the list one
 * generation behind, which reads accept); a delete removes the entry, then
 * the file. The list names only keyed file names, no organisation. What
 * it cannot tell: the list and the files rolled back together to an
 * earlier state of the whole (as a restored backup would be). */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define INDEX_AD "twofactl orgs.index v1"
#define INDEX_HEAD "TFO1\n"
#define INDEX_MAX (16u << 20)

struct entry {
	char hex[65];
	uint64_t gen;
};

struct index {
	struct entry *v;
	size_t n, cap;
};

static void index_free(struct index *ix)
{
	free(ix->v);
	ix->v = NULL;
	ix->n = ix->cap = 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->hex, ((const struct entry *)b)->hex);
}

/* (qsort of an empty list that was never allocated is undefined) */
static void index_sort(struct index *ix)
{
	if (ix->n)
		qsort(ix->v, ix->n, sizeof *ix->v, cmp_entry);
}

static struct entry *index_find(struct index *ix, const char *hex)
{
	struct entry key;

	if (strlen(hex) != 64)
		return NULL;
	memcpy(key.hex, hex, 65);
	return ix->n ? bsearch(&key, ix->v, ix->n, sizeof *ix->v, cmp_entry) : NULL;
}

static int index_add(struct index *ix, const char *hex, uint64_t gen)
{
	if (ix->n == ix->cap) {
		size_t nc = ix->cap ? 2 * ix->cap : 16;
		struct entry *nv = realloc(ix->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		ix->v = nv;
		ix->cap = nc;
	}
	memcpy(ix->v[ix->n].hex, hex, 64);
	ix->v[ix->n].hex[64] = '\0';
	ix->v[ix->n].gen = gen;
	ix->n++;
	return 0;
}

static int index_parse(struct index *ix, const char *pt, size_t len)
{
	const char *p = pt + sizeof INDEX_HEAD - 1, *end = pt + len;

	if (len < sizeof INDEX_HEAD - 1 || memcmp(pt, INDEX_HEAD, sizeof INDEX_HEAD - 1))
		return -1;
	while (p < end) {
		char hex[65], *e;
		unsigned long long gen;

		if (end - p < 66 || p[64] != ' ')
			return -1;
		memcpy(hex, p, 64);
		hex[64] = '\0';
		if (!st_is_hex_name(hex, 64))
			return -1;
		errno = 0;
		gen = strtoull(p + 65, &e, 10);
		if (errno || e == p + 65 || e >= end || *e != '\n' || index_add(ix, hex, gen))
			return -1;
		p = e + 1;
	}
	index_sort(ix);
	for (size_t i = 1; i < ix->n; i++)
		if (!strcmp(ix->v[i - 1].hex, ix->v[i].hex))
			return -1;
	return 0;
}

/* The list sealed under ck, as the bytes of orgs.index (malloc'd). */
static uint8_t *index_seal(const uint8_t *ck, const struct index *ix, size_t *outlen)
{
	size_t ptlen = sizeof INDEX_HEAD - 1 + ix->n * (64 + 1 + 20 + 1), n;
	char *pt = malloc(ptlen + 1);
	uint8_t *out = malloc(NONCE_LEN + ptlen + TAG_LEN);
	unsigned long long clen = 0;

	if (!pt || !out) {
		free(pt);
		free(out);
		return NULL;
	}
	memcpy(pt, INDEX_HEAD, sizeof INDEX_HEAD - 1);
	n = sizeof INDEX_HEAD - 1;
	for (size_t i = 0; i < ix->n; i++)
		n += (size_t)snprintf(pt + n, ptlen + 1 - n, "%s %llu\n", ix->v[i].hex,
		                      (unsigned long long)ix->v[i].gen);
	randombytes_buf(out, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, &clen, (const uint8_t *)pt, n,
	        (const uint8_t *)INDEX_AD, sizeof INDEX_AD - 1, NULL, out, ck);
	free(pt);
	*outlen = NONCE_LEN + clen;
	return out;
}

static int index_read(struct store *s, struct index *ix)
{
	uint8_t *buf = NULL;
	char *pt = NULL;
	size_t len = 0;
	unsigned long long n = 0;
	int ok;

	memset(ix, 0, sizeof *ix);
	if (st_read_file_at(s->dirfd, "orgs.index", &buf, &len, INDEX_MAX, NULL) < 0) {
		if (errno == ENOENT)
			return st_fail(s, ST_BAD, "'orgs.index', the sealed list of organisations, is missing "
			               "(removed?): restore it; 'twofactl config accept' makes a new one from the "
			               "organisation files there are");
		return st_fail(s, ST_BAD, "cannot read 'orgs.index': %s", strerror(errno));
	}
	ok = len >= NONCE_LEN + TAG_LEN && (pt = malloc(len)) != NULL &&
	     crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)pt, &n, NULL, buf + NONCE_LEN, len - NONCE_LEN,
	             (const uint8_t *)INDEX_AD, sizeof INDEX_AD - 1, buf, store_subkey(s, SK_CONFIG)) == 0 &&
	     index_parse(ix, pt, (size_t)n) == 0;
	free(buf);
	free(pt);
	if (!ok) {
		index_free(ix);
		return st_fail(s, ST_BAD, "'orgs.index', the sealed list of organisations, fails authentication "
		               "(tampered, or made with another key)");
	}
	return ST_OK;
}

static int index_write(struct store *s, const struct index *ix)
{
	size_t len = 0;
	uint8_t *bytes = index_seal(store_subkey(s, SK_CONFIG), ix, &len);
	int ret;

	if (!bytes)
		return st_fail(s, ST_BAD, "out of memory");
	ret = st_write_atomic_at(s, s->dirfd, "orgs.index", "orgs.index", bytes, len);
	free(bytes);
	return ret;
}

/* Is the organisation file hex, of generation gen, one the list names? */
int st_orgs_check(struct store *s, const char *hex, uint64_t gen)
{
	struct index ix;
	struct entry *e;
	int ret;

	if ((ret = index_read(s, &ix)))
		return ret;
	e = index_find(&ix, hex);
	if (!e)
		ret = st_fail(s, ST_ENOENT, "no such entry");
	else if (gen < e->gen)
		ret = st_fail(s, ST_BAD, "organisation file 'orgs/%.2s/%s' is older (generation %llu) than the "
		              "sealed list of organisations says (%llu): an old copy was put back", hex, hex,
		              (unsigned long long)gen, (unsigned long long)e->gen);
	index_free(&ix);
	return ret;
}

/* 1 listed, 0 not, -1 the list cannot be read (the message is set). */
int st_orgs_listed(struct store *s, const char *hex)
{
	struct index ix;
	int r;

	if (index_read(s, &ix))
		return -1;
	r = index_find(&ix, hex) != NULL;
	index_free(&ix);
	return r;
}

/* After an organisation's file was written with generation gen. */
int st_orgs_update(struct store *s, const char *hex, uint64_t gen)
{
	struct index ix;
	struct entry *e;
	int ret;

	if ((ret = st_lock_byte(s, LOCK_CONFIG, F_WRLCK)))
		return ret;
	if ((ret = index_read(s, &ix)))
		goto out;
	if ((e = index_find(&ix, hex))) {
		e->gen = gen;
	} else if (index_add(&ix, hex, gen)) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	} else {
		index_sort(&ix);
	}
	ret = index_write(s, &ix);
out:
	index_free(&ix);
	st_unlock_byte(s, LOCK_CONFIG);
	return ret;
}

/* Before an organisation's file is removed. */
int st_orgs_remove(struct store *s, const char *hex)
{
	struct index ix;
	struct entry *e;
	int ret;

	if ((ret = st_lock_byte(s, LOCK_CONFIG, F_WRLCK)))
		return ret;
	if ((ret = index_read(s, &ix)))
		goto out;
	if ((e = index_find(&ix, hex))) {
		size_t i = (size_t)(e - ix.v);

		memmove(&ix.v[i], &ix.v[i + 1], (ix.n - i - 1) * sizeof *ix.v);
		ix.n--;
		ret = index_write(s, &ix);
	}
out:
	index_free(&ix);
	st_unlock_byte(s, LOCK_CONFIG);
	return ret;
}

/* An empty list, for a new store (ck: the new store's config subkey). */
int st_orgs_create(int dirfd, const uint8_t *ck, const char *name)
{
	struct index ix = { 0 };
	size_t len = 0;
	uint8_t *bytes = index_seal(ck, &ix, &len);
	int fd, ok;

	if (!bytes)
		return -1;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && fchmod(fd, 0600) == 0 && st_write_all(fd, bytes, len) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	free(bytes);
	return ok ? 0 : -1;
}

/* ---- rekey: the list again, under the new key and names ---- */

struct st_orgs_rekey {
	struct index old, new;
};

struct st_orgs_rekey *st_orgs_rekey_begin(struct store *s)
{
	struct st_orgs_rekey *r = calloc(1, sizeof *r);

	if (!r) {
		st_fail(s, ST_BAD, "out of memory");
		return NULL;
	}
	if (index_read(s, &r->old)) {
		free(r);
		return NULL;
	}
	return r;
}

/* The file oldhex (generation gen) is sealed again as newhex, generation 1. */
int st_orgs_rekey_one(struct st_orgs_rekey *r, const char *oldhex, const char *newhex)
{
	if (!index_find(&r->old, oldhex))
		return 0;   /* not listed: stays no organisation */
	return index_add(&r->new, newhex, 1);
}

int st_orgs_rekey_write(struct st_orgs_rekey *r, int dirfd, const uint8_t *newck, const char *name)
{
	size_t len = 0;
	uint8_t *bytes;
	int fd, ok;

	index_sort(&r->new);
	bytes = index_seal(newck, &r->new, &len);
	if (!bytes)
		return -1;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && fchmod(fd, 0600) == 0 && st_write_all(fd, bytes, len) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	free(bytes);
	return ok ? 0 : -1;
}

void st_orgs_rekey_end(struct st_orgs_rekey *r)
{
	if (!r)
		return;
	index_free(&r->old);
	index_free(&r->new);
	free(r);
}

/* ---- config accept: a list where there is none (or a broken one) ----
 * Made from the organisation files that open with the key: the
 * administrator vouches for the directory as it is. */
int st_orgs_index_ensure(struct store *s)
{
	struct index ix = { 0 };
	int ret, nfd;
	DIR *top;
	struct dirent *de;

	if ((ret = st_lock_byte(s, LOCK_CONFIG, F_WRLCK)))
		return ret;
	if (index_read(s, &ix) == ST_OK)
		goto out;   /* there is a good one */
	index_free(&ix);
	nfd = s->nsfd[NS_ORGS] >= 0 || faccessat(s->dirfd, ns_dirs[NS_ORGS], F_OK, AT_SYMLINK_NOFOLLOW) == 0
	      ? st_ns_fd(s, NS_ORGS) : -1;
	top = nfd >= 0 ? fdopendir(dup(nfd)) : NULL;
	while (top && (de = readdir(top))) {
		int sfd;
		DIR *sd;
		struct dirent *fe;

		if (!st_is_hex_name(de->d_name, 2) || (sfd = st_open_dir_at(nfd, de->d_name)) < 0)
			continue;
		if (!(sd = fdopendir(sfd))) {
			close(sfd);
			continue;
		}
		while ((fe = readdir(sd))) {
			uint8_t *buf = NULL, *pt = NULL;
			size_t len = 0, ptlen = 0;
			uint64_t gen = 0;

			if (!st_is_hex_name(fe->d_name, 64) ||
			    st_read_file_at(dirfd(sd), fe->d_name, &buf, &len, STORE_MAX_FILE, NULL) < 0)
				continue;
			if (st_unseal(s, NS_ORGS, fe->d_name, buf, len, &pt, &ptlen, &gen) == ST_OK) {
				sodium_free(pt);
				if (index_add(&ix, fe->d_name, gen)) {
					free(buf);
					closedir(sd);
					closedir(top);
					ret = st_fail(s, ST_BAD, "out of memory");
					goto out;
				}
			}
			free(buf);
		}
		closedir(sd);
	}
	if (top)
		closedir(top);
	index_sort(&ix);
	ret = index_write(s, &ix);
out:
	index_free(&ix);
	st_unlock_byte(s, LOCK_CONFIG);
	return ret;
}

/* ---- readers of every organisation: one read of the list ---- */

struct index *st_orgs_snapshot(struct store *s)
{
	struct index *ix = malloc(sizeof *ix);

	if (!ix) {
		st_fail(s, ST_BAD, "out of memory");
		return NULL;
	}
	if (index_read(s, ix)) {
		free(ix);
		return NULL;
	}
	return ix;
}

/* 0 listed and current, 1 not listed, -1 older than listed (message set). */
int st_orgs_snapshot_check(struct store *s, struct index *ix, const char *hex, uint64_t gen)
{
	struct entry *e = index_find(ix, hex);

	if (!e)
		return 1;
	if (gen < e->gen) {
		st_fail(s, ST_BAD, "organisation file 'orgs/%.2s/%s' is older (generation %llu) than the "
		        "sealed list of organisations says (%llu): an old copy was put back", hex, hex,
		        (unsigned long long)gen, (unsigned long long)e->gen);
		return -1;
	}
	return 0;
}

/* Listed organisations whose files are gone: fn gets each file name. */
void st_orgs_snapshot_each(struct index *ix, void (*fn)(void *ctx, const char *hex), void *ctx)
{
	for (size_t i = 0; i < ix->n; i++)
		fn(ctx, ix->v[i].hex);
}

void st_orgs_snapshot_free(struct index *ix)
{
	if (!ix)
		return;
	index_free(ix);
	free(ix);
}
