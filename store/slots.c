/* SPDX-License-Identifier: ISC */
/* store/slots.c — record files of format 2: two slots updated in place, and
 * the generation kept outside the record (issue 17).
 *
 *   header (SLOT_HDR bytes): "TFA\0", 2, 0, 0, 0, slot size (4 bytes, big
 *                            endian), zeros
 *   slot A, slot B (slot size bytes each, a multiple of SLOT_ALIGN):
 *                            generation (8), box length (4), 0 (4),
 *                            nonce, box, zeros
 *
 * A write seals the record with the next generation into the slot that
 * does not hold the current one, fdatasyncs once (no rename, no directory
 * fsync: the inode never changes) and then sets the file's XATTR_GEN
 * attribute to that generation. The box's associated data is the whole
 * header, the slot's first 16 bytes and the file name: a slot cannot be
 * moved to another file or given another generation or length.
 *
 * A reader reads the attribute first, then the file, and takes the slot of
 * the highest generation whose box opens; a slot newer than the attribute
 * that does not open is a write cut short (the attribute is set only once
 * the data is durable, so it may lag after a crash, never lead), while the
 * slot the attribute names failing is damage or tampering: refused. A
 * record older than the attribute is an old copy put back, or a stale one
 * served by a shared file system's cache: on such a file system (FUSE,
 * NFS, ...) it is read again by name (O_DIRECT where it is allowed) for up
 * to STALE_WAIT_MS, then refused. A store made with generations carries
 * XATTR_MARK on store.lock: there a record file without the attribute was
 * put back by rename and is refused too. Where the file system keeps no
 * user attributes (ramfs, some network file systems) none of this can be
 * checked and records are taken as before.
 *
 * A record that outgrows its slots is written whole (temp file, fsync,
 * attribute, rename, directory fsync); files of format 1 are read as
 * before and written in format 2 on their next write. */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define IO_ALIGN 4096

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static const char *kind(enum ns ns)
{
	return ns == NS_ACCOUNTS ? "account" : ns == NS_ORGS ? "organisation" : "ticket";
}

static int no_xattrs(int e)
{
	return e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS;
}

/* ---- the file system ---- */

/* Other hosts may write behind a cache: FUSE (GlusterFS, ...), NFS, SMB,
 * Ceph, GFS2, OCFS2, 9P, AFS; the opener may say so instead (store_env). */
int st_shared(struct store *s)
{
	static const unsigned long net[] = { 0x65735546, 0x6969, 0x517b, 0xff534d42, 0xfe534d42,
	                                     0x00c36400, 0x01161970, 0x7461636f, 0x01021997, 0x5346414f };
	struct statfs sf;

	if (s->shared >= 0)
		return s->shared;
	s->shared = 0;
	if (fstatfs(s->dirfd, &sf) == 0) {
		for (size_t i = 0; i < sizeof net / sizeof net[0]; i++)
			if ((unsigned long)sf.f_type == net[i])
				s->shared = 1;
	}
	return s->shared;
}

/* 1 when store.lock carries XATTR_MARK: every record carries its
 * generation. Learns whether the file system keeps user attributes. */
int st_marked(struct store *s)
{
	char v[8];

	if (s->marked >= 0)
		return s->marked;
	s->marked = fgetxattr(s->lockfd, XATTR_MARK, v, sizeof v) >= 0;
	if (!s->marked && no_xattrs(errno))
		s->xattrs = 0;
	else if (s->xattrs < 0)
		s->xattrs = 1;
	return s->marked;
}

int st_set_mark_at(int fd)
{
	return fsetxattr(fd, XATTR_MARK, "1", 1, 0);
}

int st_mark_store(struct store *s)
{
	if (st_set_mark_at(s->lockfd) < 0)
		return st_fail(s, ST_BAD, "cannot mark 'store.lock': %s", strerror(errno));
	s->marked = 1;
	return ST_OK;
}

/* The generation attribute of fd: 1 and *gen when there is one, 0 when
 * there is none (or no attributes here), -1 when it is not a number. */
int st_gen_get(struct store *s, int fd, uint64_t *gen)
{
	char v[32];
	ssize_t n = fgetxattr(fd, XATTR_GEN, v, sizeof v - 1);
	char *end;

	*gen = 0;
	if (n < 0) {
		if (no_xattrs(errno))
			s->xattrs = 0;
		return 0;
	}
	v[n] = 0;
	if (n == 0 || v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	*gen = strtoull(v, &end, 10);
	return *end || errno ? -1 : 1;
}

/* Set after the data is durable; a file system without attributes is
 * told once (s->xattrs 0) and not asked again. */
int st_gen_set(struct store *s, int fd, uint64_t gen)
{
	char v[32];
	int n = snprintf(v, sizeof v, "%llu", (unsigned long long)gen);

	if (s->xattrs == 0)
		return ST_OK;
	if (fsetxattr(fd, XATTR_GEN, v, (size_t)n, 0) == 0) {
		s->xattrs = 1;
		return ST_OK;
	}
	if (no_xattrs(errno)) {
		s->xattrs = 0;
		return ST_OK;
	}
	return st_fail(s, ST_BAD, "cannot set the generation of a record file: %s", strerror(errno));
}

/* ---- sealing ---- */

static void slot_hdr(uint8_t hdr[SLOT_HDR], uint32_t slotsize)
{
	memset(hdr, 0, SLOT_HDR);
	memcpy(hdr, MAGIC, 4);
	hdr[4] = FORMAT_SLOTS;
	put32(hdr + 8, slotsize);
}

#define AD_LEN (SLOT_HDR + SLOT_META + 64)
static void slot_ad(uint8_t ad[AD_LEN], const uint8_t hdr[SLOT_HDR], const uint8_t *meta, const char *hex)
{
	memcpy(ad, hdr, SLOT_HDR);
	memcpy(ad + SLOT_HDR, meta, SLOT_META);
	memcpy(ad + SLOT_HDR + SLOT_META, hex, 64);
}

static size_t slot_need(size_t ptlen)
{
	return SLOT_META + NONCE_LEN + ptlen + TAG_LEN;
}

/* Room for the record and half as much again, so a record that grows a
 * little stays in place. */
static uint32_t slot_size_for(size_t ptlen)
{
	size_t need = slot_need(ptlen), ss = (need + need / 2 + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;

	if (ss > SLOT_MAX)   /* a large record: no room to grow in place */
		ss = (need + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
	return (uint32_t)ss;
}

/* Seal pt as generation gen into slot (slotsize bytes, zero padded). */
static void seal_slot(const uint8_t *key, const char *hex, uint32_t slotsize, uint64_t gen,
                      const uint8_t *pt, size_t ptlen, uint8_t *slot)
{
	uint8_t hdr[SLOT_HDR], ad[AD_LEN];
	unsigned long long ctlen = 0;

	memset(slot, 0, slotsize);
	slot_hdr(hdr, slotsize);
	put64(slot, gen);
	put32(slot + 8, (uint32_t)(ptlen + TAG_LEN));
	slot_ad(ad, hdr, slot, hex);
	randombytes_buf(slot + SLOT_META, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(slot + SLOT_META + NONCE_LEN, &ctlen, pt, ptlen, ad, sizeof ad,
	                                           NULL, slot + SLOT_META, key);
}

/* A whole file of format 2: the record in slot A, slot B empty. */
int st_rec_seal_new(const uint8_t *aead_key, const char *hex, uint64_t gen, const uint8_t *pt, size_t ptlen,
                    uint8_t **out, size_t *outlen)
{
	uint32_t ss = slot_size_for(ptlen);
	size_t len = SLOT_HDR + 2 * (size_t)ss;
	uint8_t *buf = calloc(1, len);

	*out = NULL;
	if (!buf)
		return -1;
	slot_hdr(buf, ss);
	seal_slot(aead_key, hex, ss, gen, pt, ptlen, buf + SLOT_HDR);
	*out = buf;
	*outlen = len;
	return 0;
}

/* ---- reading ---- */

void st_rec_free(struct st_rec *r)
{
	if (r->raw) {
		sodium_memzero(r->raw, r->rawcap);
		free(r->raw);
	}
	if (r->pt)
		sodium_free(r->pt);
	memset(r, 0, sizeof *r);
}

static int pt_room(struct store *s, struct st_rec *r, size_t need)
{
	if (need <= r->ptcap)
		return ST_OK;
	if (r->pt)
		sodium_free(r->pt);
	/* sodium_malloc fills and sodium_free wipes the whole buffer: no more
	 * than a record needs (a walk reuses it, growing it now and then) */
	r->ptcap = (need + 4095) / 4096 * 4096;
	r->pt = sodium_malloc(r->ptcap);
	if (!r->pt) {
		r->ptcap = 0;
		return st_fail(s, ST_BAD, "cannot allocate secure memory");
	}
	return ST_OK;
}

/* Open a box of format 1 (header, nonce, box) into r->pt. */
static int open_v1(struct store *s, enum ns ns, const char *hex, struct st_rec *r)
{
	const uint8_t *buf = r->raw;
	size_t len = r->rawlen;
	uint8_t ad[HDR_LEN + 64];
	unsigned long long n = 0;
	int ret;

	if ((ret = pt_room(s, r, len + 1)))
		return ret;
	r->gen = be64(buf + 8);
	st_make_ad(ad, buf, hex);
	if (len < HDR_LEN + NONCE_LEN + TAG_LEN ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(r->pt, &n, NULL, buf + HDR_LEN + NONCE_LEN,
	        len - HDR_LEN - NONCE_LEN, ad, sizeof ad, buf + HDR_LEN, store_subkey(s, SK_AEAD)) != 0) {
		r->why = REC_AUTH;
		return st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' fails authentication: tampered, swapped or a "
		               "wrong master key", kind(ns), ns_dirs[ns], hex, hex);
	}
	r->pt[n] = 0;
	r->ptlen = (size_t)n;
	return ST_OK;
}

/* 0 when slot i is empty, 1 when it opens (into r->pt), -1 when not. */
static int open_slot(struct store *s, const char *hex, struct st_rec *r, unsigned i, uint64_t *gen)
{
	const uint8_t *m = r->raw + SLOT_HDR + (size_t)i * r->slotsize;
	uint32_t clen = be32(m + 8);
	uint8_t ad[AD_LEN];
	unsigned long long n = 0;

	*gen = be64(m);
	if (*gen == 0 && clen == 0)
		return 0;
	if (clen < TAG_LEN || clen > r->slotsize - SLOT_META - NONCE_LEN)
		return -1;
	/* what follows the box is zeros: no byte of the file goes unchecked */
	if (!sodium_is_zero(m + SLOT_META + NONCE_LEN + clen, r->slotsize - SLOT_META - NONCE_LEN - clen))
		return -1;
	slot_ad(ad, r->raw, m, hex);   /* the whole header: any change to it fails */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(r->pt, &n, NULL, m + SLOT_META + NONCE_LEN, clen,
	        ad, sizeof ad, m + SLOT_META, store_subkey(s, SK_AEAD)) != 0)
		return -1;
	r->pt[n] = 0;
	r->ptlen = (size_t)n;
	return 1;
}

/* Open the record of format 2 in r->raw: see the top of this file.
 * check_other: also open the slot not taken, to say whether it is sound. */
static int open_v2(struct store *s, enum ns ns, const char *hex, struct st_rec *r, int check_other)
{
	uint64_t g[2], dummy;
	unsigned hi, lo;
	int ok_hi, ok_lo, ret;

	r->slotsize = be32(r->raw + 8);
	if (r->slotsize < SLOT_ALIGN || r->slotsize % SLOT_ALIGN || r->slotsize > SLOT_MAX ||
	    r->rawlen != SLOT_HDR + 2 * (size_t)r->slotsize) {
		r->why = REC_AUTH;
		return st_fail(s, ST_BAD, "file '%s/%.2s/%s' is damaged (bad header)", ns_dirs[ns], hex, hex);
	}
	if ((ret = pt_room(s, r, r->slotsize + 1)))
		return ret;
	g[0] = be64(r->raw + SLOT_HDR);
	g[1] = be64(r->raw + SLOT_HDR + r->slotsize);
	hi = g[1] > g[0];
	lo = hi ^ 1;
	ok_hi = open_slot(s, hex, r, hi, &dummy);
	if (ok_hi == 1) {
		r->slot = hi;
		r->gen = g[hi];
		ok_lo = check_other ? open_slot(s, hex, r, lo, &dummy) : 1;
		/* an empty slot is all zeros */
		if (ok_lo < 0 || (ok_lo == 0 && !sodium_is_zero(r->raw + SLOT_HDR + (size_t)lo * r->slotsize,
		                                                 r->slotsize)))
			r->other_bad = 1;
		if (check_other)   /* open the one taken again */
			(void)open_slot(s, hex, r, hi, &dummy);
		return ST_OK;
	}
	/* the newest slot does not open: a write cut short when it is newer
	 * than the generation last made durable, else damage */
	if (ok_hi < 0 && !(r->has_xgen && g[hi] <= r->xgen) && (ok_lo = open_slot(s, hex, r, lo, &dummy)) == 1) {
		r->slot = lo;
		r->gen = g[lo];
		r->other_bad = 1;
		return ST_OK;
	}
	r->why = REC_AUTH;
	return st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' fails authentication: tampered, swapped or a wrong "
	               "master key", kind(ns), ns_dirs[ns], hex, hex);
}

/* Decode r->raw (either format) and check its generation. */
int st_rec_decode(struct store *s, enum ns ns, const char *hex, struct st_rec *r, int check_other)
{
	int ret;

	r->other_bad = 0;
	r->why = REC_OK;
	if (r->rawlen < HDR_LEN || memcmp(r->raw, MAGIC, 4) != 0) {
		r->why = REC_AUTH;
		return st_fail(s, ST_BAD, "file '%s/%.2s/%s' is damaged (bad header)", ns_dirs[ns], hex, hex);
	}
	r->version = r->raw[4];
	if (r->version == FORMAT_VERSION)
		ret = open_v1(s, ns, hex, r);
	else if (r->version == FORMAT_SLOTS)
		ret = open_v2(s, ns, hex, r, check_other);
	else {
		r->why = REC_AUTH;
		return st_fail(s, ST_BAD, "file '%s/%.2s/%s' has format version %u, this twofactl reads %u and %u",
		               ns_dirs[ns], hex, hex, r->version, FORMAT_VERSION, FORMAT_SLOTS);
	}
	if (ret)
		return ret;
	if (r->has_xgen && r->gen < r->xgen) {
		r->why = REC_OLDER;
		return st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' is older (generation %llu) than the last one written "
		               "(%llu): an old copy was put back (or a network file system serves a stale one)",
		               kind(ns), ns_dirs[ns], hex, hex, (unsigned long long)r->gen,
		               (unsigned long long)r->xgen);
	}
	return ST_OK;
}

/* Read dirfd/hex into r->raw: the attribute first, then the data (a write
 * between the two shows data newer than the attribute, never older). */
static int rec_read_once(struct store *s, enum ns ns, int dirfd, const char *hex, struct st_rec *r)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, fd = -1, e, g;
	struct stat st;
	size_t want, got = 0;

	if (st_shared(s) && s->direct != 0)
		flags |= O_DIRECT;
	fd = openat(dirfd, hex, flags);
	if (fd < 0 && (flags & O_DIRECT) && errno == EINVAL) {
		s->direct = 0;   /* tmpfs, ramfs: no O_DIRECT */
		flags &= ~O_DIRECT;
		fd = openat(dirfd, hex, flags);
	}
	if (fd < 0)
		goto fail;
	if (flags & O_DIRECT)
		s->direct = 1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > REC_MAX) {
		errno = EFBIG;
		goto fail;
	}
	r->ino = st.st_ino;
	r->nlink = (unsigned long)st.st_nlink;
	r->mode = st.st_mode;
	g = st_gen_get(s, fd, &r->xgen);
	r->has_xgen = g != 0;
	if (g < 0) {
		close(fd);
		r->why = REC_BADATTR;
		return st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' has a generation attribute that is not a number",
		               kind(ns), ns_dirs[ns], hex, hex);
	}
	want = ((size_t)st.st_size + IO_ALIGN) / IO_ALIGN * IO_ALIGN;
	if (want > r->rawcap) {
		if (r->raw) {
			sodium_memzero(r->raw, r->rawcap);
			free(r->raw);
		}
		r->raw = NULL;
		r->rawcap = 0;
		if (posix_memalign((void **)&r->raw, IO_ALIGN, want)) {
			r->raw = NULL;
			errno = ENOMEM;
			goto fail;
		}
		r->rawcap = want;
	}
	for (;;) {
		ssize_t n = read(fd, r->raw + got, want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && (flags & O_DIRECT) && got == 0) {
			/* O_DIRECT refused at read time: read through the cache */
			flags &= ~O_DIRECT;
			s->direct = 0;
			if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) < 0)
				goto fail;
			continue;
		}
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == want)
			break;
	}
	close(fd);
	r->rawlen = got;
	if (got != (size_t)st.st_size && !st_shared(s)) {
		r->why = REC_UNREADABLE;
		return st_fail(s, ST_BAD, "cannot read file '%s/%.2s/%s': changed while read", ns_dirs[ns], hex, hex);
	}
	return ST_OK;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	r->why = REC_UNREADABLE;
	if (e == ENOENT)
		return st_fail(s, ST_ENOENT, "no such entry");
	if (e == ELOOP)
		return st_fail(s, ST_BAD, "file '%s/%.2s/%s' is a symbolic link: refused", ns_dirs[ns], hex, hex);
	return st_fail(s, ST_BAD, "cannot read file '%s/%.2s/%s': %s", ns_dirs[ns], hex, hex, strerror(e));
}

/* Read and open dirfd/hex into r (r->pt, r->gen, ...). ST_ENOENT (errno
 * ENOENT) when there is no such file; ST_BAD with the store's message and
 * r->why otherwise. On a shared file system a record older than its
 * attribute, one that does not open, or ESTALE is read again for up to
 * STALE_WAIT_MS; locally a record that does not open is read once more
 * (an unlocked reader may meet a slot being written). */
int st_rec_load(struct store *s, enum ns ns, int dirfd, const char *hex, struct st_rec *r, int check_other)
{
	int64_t deadline = 0;
	unsigned pause_us = 1000, tries = 0;
	int ret;

	for (;;) {
		int e;

		ret = rec_read_once(s, ns, dirfd, hex, r);
		e = errno;
		if (ret == ST_OK && r->nlink != 1) {
			r->why = REC_LINKS;
			return st_fail(s, ST_BAD, "file '%s/%.2s/%s' has %lu hard links: refused", ns_dirs[ns], hex, hex,
			               r->nlink);
		}
		if (ret == ST_OK)
			ret = st_rec_decode(s, ns, hex, r, check_other);
		if (ret == ST_OK && !r->has_xgen && st_marked(s)) {
			r->why = REC_NOATTR;
			ret = st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' has no generation attribute, which every record "
			              "of this store carries: an old copy put back by rename?", kind(ns), ns_dirs[ns],
			              hex, hex);
		}
		if (ret == ST_OK || ret == ST_ENOENT)
			return ret;
		if (!(r->why == REC_OLDER || r->why == REC_AUTH || (r->why == REC_UNREADABLE && e == ESTALE)))
			return ret;
		if (!st_shared(s)) {
			if (r->why != REC_AUTH || tries++ > 0)
				return ret;
			continue;
		}
		if (!deadline)
			deadline = st_mono_ms() + STALE_WAIT_MS;
		else if (st_mono_ms() >= deadline)
			return ret;
		st_pause(&pause_us);
	}
}

/* ---- writing ---- */

/* A whole new file (a new record, one of format 1, one that outgrew its
 * slots): temp file, fsync, attribute, rename, directory fsync. */
static int write_whole(struct store *s, enum ns ns, int dirfd, const char *hex, uint64_t gen,
                       const uint8_t *pt, size_t ptlen, uint32_t *slotsize, uint64_t *ino)
{
	struct stat st;

	char tmp[64];
	uint8_t rnd[8], *img = NULL;
	size_t len = 0;
	int fd, e, ret, oldfd;

	if (st_rec_seal_new(store_subkey(s, SK_AEAD), hex, gen, pt, ptlen, &img, &len) < 0)
		return st_fail(s, ST_BAD, "out of memory");
	*slotsize = be32(img + 8);
	randombytes_buf(rnd, sizeof rnd);
	snprintf(tmp, sizeof tmp, ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		free(img);
		return st_fail(s, ST_BAD, "cannot create temp file for '%s/%.2s/%s': %s", ns_dirs[ns], hex, hex,
		               strerror(e));
	}
	if (fchmod(fd, 0600) < 0 || st_write_all(fd, img, len) < 0 || fsync(fd) < 0) {
		e = errno;
		ret = st_fail(s, ST_BAD, "cannot write %s file: %s", kind(ns), strerror(e));
		goto undo;
	}
	if ((ret = st_gen_set(s, fd, gen)))
		goto undo;
	*ino = fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
	if (close(fd) < 0) {
		fd = -1;
		ret = st_fail(s, ST_BAD, "cannot write %s file: %s", kind(ns), strerror(errno));
		goto undo;
	}
	fd = -1;
	/* the file replaced, held open across the rename: see below */
	oldfd = openat(dirfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (renameat(dirfd, tmp, dirfd, hex) < 0) {
		ret = st_fail(s, ST_BAD, "cannot replace %s file: %s", kind(ns), strerror(errno));
		if (oldfd >= 0)
			close(oldfd);
		goto undo;
	}
	/* A host whose cache still names the replaced inode reads it as older
	 * than its own attribute, and reads again by name (never set before
	 * the rename: a crash then would leave the current file refused). */
	if (oldfd >= 0) {
		char v[32];
		int n = snprintf(v, sizeof v, "%llu", (unsigned long long)gen);

		if (s->xattrs != 0)
			(void)fsetxattr(oldfd, XATTR_GEN, v, (size_t)n, 0);
		close(oldfd);
	}
	free(img);
	if (fsync(dirfd) < 0)
		return st_fail(s, ST_BAD, "cannot sync directory of %s file: %s", kind(ns), strerror(errno));
	return ST_OK;
undo:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	free(img);
	return ret;
}

/* Open the record file for writing in place, and only the inode that was
 * read: a shared file system's cache may still name the one a rewrite on
 * another host replaced (writing there would lose the write). On such a
 * file system the name is opened again for up to STALE_WAIT_MS. */
static int open_same(struct store *s, const struct acct_ref *ref, int dirfd, int *out)
{
	int64_t deadline = 0;
	unsigned pause_us = 1000;

	for (;;) {
		int fd = openat(dirfd, ref->hex, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		struct stat st;

		if (fd < 0 && errno != ESTALE)
			return st_fail(s, ST_BAD, "cannot open %s file '%s/%.2s/%s' for writing: %s", kind(ref->ns),
			               ns_dirs[ref->ns], ref->hex, ref->hex, strerror(errno));
		if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_ino == ref->ino) {
			*out = fd;
			return ST_OK;
		}
		if (fd >= 0)
			close(fd);
		if (!st_shared(s) || (deadline && st_mono_ms() >= deadline))
			return st_fail(s, ST_BAD, "%s file '%s/%.2s/%s' was replaced since it was read: nothing was "
			               "changed", kind(ref->ns), ns_dirs[ref->ns], ref->hex, ref->hex);
		if (!deadline)
			deadline = st_mono_ms() + STALE_WAIT_MS;
		st_pause(&pause_us);
	}
}

/* Write pt as generation ref->gen + 1: in place in the slot that does not
 * hold the current record when the file is of format 2 and has room,
 * whole otherwise. ref->gen, slot and slotsize follow the write. */
int st_rec_save(struct store *s, struct acct_ref *ref, int dirfd, const uint8_t *pt, size_t ptlen)
{
	uint64_t gen = ref->gen + 1;
	unsigned slot = ref->slot ^ 1u;
	uint8_t *buf = NULL;
	ssize_t w = 0;
	int fd = -1, e, ret;

	if (ref->format != FORMAT_SLOTS || slot_need(ptlen) > ref->slotsize) {
		uint32_t ss = 0;
		uint64_t ino = 0;

		ret = write_whole(s, ref->ns, dirfd, ref->hex, gen, pt, ptlen, &ss, &ino);
		if (ret == ST_OK) {
			ref->gen = gen;
			ref->format = FORMAT_SLOTS;
			ref->slot = 0;
			ref->slotsize = ss;
			ref->ino = ino;
		}
		return ret;
	}
	if ((ret = open_same(s, ref, dirfd, &fd)))
		return ret;
	if (posix_memalign((void **)&buf, IO_ALIGN, ref->slotsize)) {
		close(fd);
		return st_fail(s, ST_BAD, "out of memory");
	}
	seal_slot(store_subkey(s, SK_AEAD), ref->hex, ref->slotsize, gen, pt, ptlen, buf);
	for (size_t done = 0; done < ref->slotsize; done += (size_t)w) {
		w = pwrite(fd, buf + done, ref->slotsize - done, (off_t)(SLOT_HDR + (size_t)slot * ref->slotsize + done));
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
	free(buf);
	if (w <= 0 || fdatasync(fd) < 0) {
		e = w == 0 ? EIO : errno;
		close(fd);
		/* the current slot is untouched: the record is as it was */
		return st_fail(s, ST_BAD, "cannot write %s file '%s/%.2s/%s': %s", kind(ref->ns), ns_dirs[ref->ns],
		               ref->hex, ref->hex, strerror(e));
	}
	ret = st_gen_set(s, fd, gen);
	close(fd);
	if (ret)
		return ret;
	ref->gen = gen;
	ref->slot = slot;
	return ST_OK;
}

/* fsck --repair: the slot not taken (which does not open) zeroed. */
int st_rec_clear_slot(struct store *s, int dirfd, const char *hex, const struct st_rec *r)
{
	uint8_t *z = calloc(1, r->slotsize);
	int fd = openat(dirfd, hex, O_WRONLY | O_NOFOLLOW | O_CLOEXEC), ok;

	ok = z && fd >= 0 &&
	     pwrite(fd, z, r->slotsize, (off_t)(SLOT_HDR + (size_t)(r->slot ^ 1u) * r->slotsize)) ==
	     (ssize_t)r->slotsize && fdatasync(fd) == 0;
	free(z);
	if (fd >= 0)
		close(fd);
	return ok ? ST_OK : st_fail(s, ST_BAD, "cannot clear a slot: %s", strerror(errno));
}

/* fsck --repair of a store made before generations: fd's attribute set
 * to the generation of the record it holds. */
int st_rec_mark(struct store *s, int dirfd, const char *hex, uint64_t gen)
{
	int fd = openat(dirfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot open a record file: %s", strerror(errno));
	ret = st_gen_set(s, fd, gen);
	close(fd);
	return ret;
}

/* What the store's file system allows (store.h). */
int store_fs_info(struct store *s, struct store_fs *fs)
{
	struct statfs sf;

	memset(fs, 0, sizeof *fs);
	(void)st_marked(s);
	fs->shared = st_shared(s);
	fs->xattrs = s->xattrs != 0;
	fs->marked = s->marked == 1;
	if (s->direct < 0) {   /* not tried yet: store.lock read once with O_DIRECT */
		int fd = openat(s->dirfd, "store.lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECT);
		void *buf = NULL;

		s->direct = 0;
		if (fd >= 0 && posix_memalign(&buf, IO_ALIGN, IO_ALIGN) == 0 && pread(fd, buf, IO_ALIGN, 0) >= 0)
			s->direct = 1;
		free(buf);
		if (fd >= 0)
			close(fd);
	}
	fs->direct = s->direct;
	if (fstatfs(s->dirfd, &sf) == 0)
		fs->type = (unsigned long)sf.f_type;
	return ST_OK;
}
