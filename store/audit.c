/* SPDX-License-Identifier: ISC */
/* store/audit.c — The audit log: sealed, hash-chained lines. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <unistd.h>

/* ---- audit log ----
 * Each line: {"seq":N,"prev":"<hex BLAKE2b of the previous line>","box":"<base64>"}
 * where box is nonce || XChaCha20-Poly1305(event JSON) under the audit
 * subkey, with "seq:prev" as associated data: the AEAD tag is the keyed MAC,
 * the prev hash the chain. Names never appear in clear. */

/* Byte locks of store.lock inside the whole-store lock are already held:
 * taking one would change that byte's lock, releasing it punch a hole. */
int st_lock_byte(struct store *s, off_t off, short type)
{
	return s->all_locked ? ST_OK : st_lock_range(s, off, 1, type);
}

void st_unlock_byte(struct store *s, off_t off)
{
	if (!s->all_locked)
		st_unlock_range(s, off, 1);
}

/* ---- the audit log never lags a change ----
 * Every writer (store_blob_save, store_delete, store_config_set, rekey)
 * calls st_audit_ready before it changes anything: the log must open for
 * appending, end in a whole line, and have room for the line that follows
 * the change (AUDIT_RESERVE bytes past its end are allocated, so a disk
 * that fills up meanwhile cannot refuse the append; several writers share
 * that room). What it refuses, the command refuses, with nothing changed.
 * Left between the change and its line: a crash, or an I/O error of the
 * append itself; the command then exits 5 and says so. */
#define AUDIT_RESERVE 65536
#define AUDIT_LINE_MAX 8192

static int audit_room(struct store *s, int fd, off_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)size + AUDIT_LINE_MAX > (uint64_t)rl.rlim_cur)
		return st_fail(s, ST_BAD, "cannot append to 'audit.log': %s: nothing was changed", strerror(EFBIG));
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, size, AUDIT_RESERVE) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINTR)
		return st_fail(s, ST_BAD, "cannot reserve room in 'audit.log': %s: nothing was changed",
		               strerror(errno));
	return ST_OK;
}

/* The length of a torn last line (0: the log ends in a whole line). */
static int audit_torn_tail(int fd, off_t size, off_t *torn)
{
	char buf[4096];
	off_t end = size;

	*torn = 0;
	while (end > 0) {
		size_t n = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
		ssize_t r = pread(fd, buf, n, end - (off_t)n);

		if (r != (ssize_t)n)
			return -1;
		for (size_t i = n; i-- > 0;)
			if (buf[i] == '\n') {
				*torn = size - (end - (off_t)n + (off_t)i + 1);
				return 0;
			}
		end -= (off_t)n;
	}
	*torn = size;   /* not one whole line */
	return 0;
}

static int audit_tail_checked(struct store *s, int fd, uint64_t *seq, char prevhex[65], const char *suffix);

int st_audit_ready(struct store *s)
{
	int fd, ret;
	struct stat st;
	char last;

	if ((ret = st_lock_byte(s, LOCK_AUDIT, F_RDLCK)))   /* no append half done */
		return ret;
	fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = st_audit_missing(s, ": nothing was changed");
		else
			ret = st_fail(s, ST_BAD, "cannot open 'audit.log' to append: %s: nothing was changed",
			              strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		ret = st_fail(s, ST_BAD, "'audit.log' is not a plain file: nothing was changed");
		goto out;
	}
	if (st.st_size > 0 && (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n')) {
		ret = st_fail(s, ST_BAD, "'audit.log' ends in a torn line (a write was cut short): "
		              "nothing was changed; run twofactl fsck --repair");
		goto out;
	}
	{
		uint64_t seq;
		char prev[65];

		if ((ret = audit_tail_checked(s, fd, &seq, prev, ": nothing was changed")))
			goto out;
	}
	ret = audit_room(s, fd, st.st_size);
out:
	if (fd >= 0)
		close(fd);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
}

/* Room for a record: a file of that size in the store directory, made
 * unnamed (O_TMPFILE) where the file system can, else named as the
 * temporary files of a record write are (.tmp-*, which fsck knows), and
 * removed again. */
#define WRITABLE_PROBE 16384

int store_has_room(struct store *s)
{
	static const char zero[4096];
	char name[64] = "";
	int fd, err = 0;

	fd = openat(s->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		snprintf(name, sizeof name, ".tmp-health-%ld", (long)getpid());
		fd = openat(s->dirfd, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot create a file in the store: %s", strerror(errno));
	if (fallocate(fd, 0, 0, WRITABLE_PROBE) < 0) {
		if (errno != EOPNOTSUPP && errno != ENOSYS) {
			err = errno;
		} else {   /* no fallocate: write it, and fsync (delayed allocation) */
			for (size_t done = 0; !err && done < WRITABLE_PROBE; done += sizeof zero)
				if (write(fd, zero, sizeof zero) != (ssize_t)sizeof zero)
					err = errno ? errno : ENOSPC;
			if (!err && fsync(fd) < 0)
				err = errno;
		}
	}
	if (name[0])
		unlinkat(s->dirfd, name, 0);
	close(fd);
	if (err)
		return st_fail(s, ST_BAD, "cannot write a record in the store: %s", strerror(err));
	return ST_OK;
}

int store_writable(struct store *s)
{
	if (s->readonly)   /* store.lock opened for reading only: the reason kept */
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	return st_audit_ready(s);
}

/* fsck: a torn last line is found (and with cut, cut off: its bytes are
 * kept in quarantine/ and a sealed line records the cut). *torn gets its
 * length; qname the quarantine file's name. */
int st_audit_cut_torn(struct store *s, int cut, int qfd, int64_t now, off_t *torn,
                      char *qname, size_t qcap)
{
	int fd = openat(s->dirfd, "audit.log", (cut ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int ret = ST_OK;

	*torn = 0;
	if (fd < 0)
		return errno == ENOENT ? ST_OK : st_fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
	if ((ret = st_lock_byte(s, LOCK_AUDIT, cut ? F_WRLCK : F_RDLCK))) {
		close(fd);
		return ret;
	}
	if (fstat(fd, &st) < 0 || audit_torn_tail(fd, st.st_size, torn) < 0) {
		ret = st_fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
		goto out;
	}
	if (!*torn || !cut)
		goto out;
	{
		off_t keep = st.st_size - *torn, off = keep;
		int q;
		char buf[65536], ev[256];

		snprintf(qname, qcap, "audit.log.torn.%lld", (long long)now);
		q = openat(qfd, qname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (q < 0) {
			ret = st_fail(s, ST_BAD, "cannot create 'quarantine/%s': %s", qname, strerror(errno));
			goto out;
		}
		while (off < st.st_size) {
			ssize_t r = pread(fd, buf, sizeof buf, off);

			if (r <= 0 || st_write_all(q, buf, (size_t)r) < 0) {
				ret = st_fail(s, ST_BAD, "cannot keep the torn line in 'quarantine/%s': %s", qname,
				              strerror(r == 0 ? EIO : errno));
				close(q);
				goto out;
			}
			off += r;
		}
		if (fsync(q) < 0 || close(q) < 0 || fsync(qfd) < 0) {
			ret = st_fail(s, ST_BAD, "cannot keep the torn line in 'quarantine/%s': %s", qname,
			              strerror(errno));
			goto out;
		}
		if (ftruncate(fd, keep) < 0 || fsync(fd) < 0) {
			ret = st_fail(s, ST_BAD, "cannot cut 'audit.log': %s", strerror(errno));
			goto out;
		}
		close(fd);
		fd = -1;
		st_unlock_byte(s, LOCK_AUDIT);
		snprintf(ev, sizeof ev, "{\"t\":%lld,\"event\":\"fsck.audit_cut\",\"result\":\"ok\","
		         "\"detail\":\"cut %lld bytes of a torn last line, kept in quarantine/%s\"}",
		         (long long)now, (long long)*torn, qname);
		return store_audit(s, ev);
	}
out:
	if (fd >= 0)
		close(fd);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
}

/* The last line's sequence number and chain hash (zeros for an empty log).
 * Read into an aligned buffer from an aligned offset, so fd may be open
 * with O_DIRECT. */
#define TAIL_MAX 8192
int st_audit_tail(struct store *s, int fd, uint64_t *seq, char prevhex[65])
{
	struct stat st;
	char *buf = NULL, *tail;
	off_t start, astart;
	size_t want, got = 0, n;
	char *line, *p;
	uint8_t h[32];
	int ret = ST_OK;

	*seq = 0;
	memset(h, 0, sizeof h);
	sodium_bin2hex(prevhex, 65, h, sizeof h);
	if (fstat(fd, &st) < 0)
		return st_fail(s, ST_BAD, "cannot stat 'audit.log': %s", strerror(errno));
	if (st.st_size == 0)
		return ST_OK;
	start = st.st_size > (off_t)TAIL_MAX - 1 ? st.st_size - (off_t)TAIL_MAX + 1 : 0;
	astart = start & ~(off_t)4095;
	want = ((size_t)(st.st_size - astart) + 4095) / 4096 * 4096;
	if (posix_memalign((void **)&buf, 4096, want + 1))
		return st_fail(s, ST_BAD, "out of memory");
	while (got < want) {
		ssize_t r = pread(fd, buf + got, want - got, astart + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = st_fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got < (size_t)(st.st_size - astart)) {
		ret = st_fail(s, ST_BAD, "cannot read 'audit.log': it changed while read");
		goto out;
	}
	tail = buf + (start - astart);
	n = (size_t)(st.st_size - start);
	tail[n] = '\0';
	if (tail[n - 1] != '\n') {
		ret = st_fail(s, ST_BAD, "'audit.log' ends in a torn line: run twofactl fsck");
		goto out;
	}
	tail[n - 1] = '\0';
	line = strrchr(tail, '\n');
	line = line ? line + 1 : tail;
	if (line == tail && start > 0) {
		ret = st_fail(s, ST_BAD, "'audit.log' has an overlong line");
		goto out;
	}
	p = strstr(line, "\"seq\":");
	if (!p) {
		ret = st_fail(s, ST_BAD, "'audit.log' last line is malformed");
		goto out;
	}
	*seq = strtoull(p + 6, NULL, 10);
	crypto_generichash(h, sizeof h, (const uint8_t *)line, strlen(line), NULL, 0);
	sodium_bin2hex(prevhex, 65, h, sizeof h);
out:
	free(buf);
	return ret;
}

/* ---- the tail last written (issue 17) ----
 * After each append, audit.log's XATTR_TAIL attribute gets "<seq> <hex
 * hash of that line>" (a rotation's new log gets its opening line's): a
 * user attribute is read coherently where file data is not (a shared file
 * system's cache). A writer appends only after the tail it reads is that
 * one (or newer: the attribute lags after a crash): a host never appends
 * after a stale tail, so the chain cannot fork, and an old copy of the log
 * put back, or lines cut off its end, stop every writer. On a shared file
 * system the tail is read again by name with O_DIRECT until it agrees, for
 * up to STALE_WAIT_MS. */
int st_audit_tail_set(struct store *s, int fd, uint64_t seq, const uint8_t hash[32])
{
	char v[96], hex[65];
	int n;

	sodium_bin2hex(hex, sizeof hex, hash, 32);
	n = snprintf(v, sizeof v, "%llu %s", (unsigned long long)seq, hex);
	if (fsetxattr(fd, XATTR_TAIL, v, (size_t)n, 0) == 0 || errno == ENOTSUP || errno == EOPNOTSUPP)
		return ST_OK;
	return st_fail(s, ST_BAD, "cannot record the tail of 'audit.log': %s", strerror(errno));
}

/* 1 and the tail recorded, 0 when there is none, -1 when it is malformed. */
static int tail_attr(int fd, uint64_t *seq, char hex[65])
{
	char v[96], *end;
	ssize_t n = fgetxattr(fd, XATTR_TAIL, v, sizeof v - 1);

	if (n < 0)
		return 0;
	v[n] = 0;
	errno = 0;
	*seq = strtoull(v, &end, 10);
	if (errno || end == v || *end != ' ' || strlen(end + 1) > 64)
		return -1;
	snprintf(hex, 65, "%s", end + 1);
	return 1;
}

/* Does a log ending in line seq with hash prevhex end where the attribute
 * of fd says the last append did? ST_OK, or ST_BAD saying what is wrong
 * (with suffix). */
static int tail_agrees(struct store *s, int fd, uint64_t seq, const char prevhex[65], const char *suffix)
{
	uint64_t aseq = 0;
	char ahex[65];
	int has = tail_attr(fd, &aseq, ahex);

	if (has < 0)
		return st_fail(s, ST_BAD, "'audit.log' has a tail attribute that is not one%s", suffix);
	if (has && seq < aseq)
		return st_fail(s, ST_BAD, "'audit.log' ends at sequence %llu, but sequence %llu was written: "
		               "lines were cut off its end, or an old copy was put back%s",
		               (unsigned long long)seq, (unsigned long long)aseq, suffix);
	if (has && seq == aseq && strcmp(prevhex, ahex))
		return st_fail(s, ST_BAD, "'audit.log' ends in a line other than the one last written "
		               "(sequence %llu): a forked chain, or an edit%s", (unsigned long long)aseq, suffix);
	return ST_OK;
}

/* The tail of the log, checked against the one last written: ST_OK with
 * *seq and prevhex, or ST_BAD with what is wrong. fd is the log (its
 * attribute is read through it); on a shared file system the data is read
 * by name with O_DIRECT, again until it agrees (bounded). */
static int audit_tail_checked(struct store *s, int fd, uint64_t *seq, char prevhex[65], const char *suffix)
{
	int64_t deadline = 0;
	unsigned pause_us = 1000;
	int ret;

	for (;;) {
		int rfd = fd;

		if (st_shared(s)) {   /* by name, past the cache */
			rfd = openat(s->dirfd, "audit.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECT);
			if (rfd < 0)
				rfd = fd;
		}
		ret = st_audit_tail(s, rfd, seq, prevhex);
		if (ret != ST_OK && rfd != fd)   /* O_DIRECT refused at read time, say */
			ret = st_audit_tail(s, fd, seq, prevhex);
		if (rfd != fd)
			close(rfd);
		if (ret == ST_OK)
			ret = tail_agrees(s, fd, *seq, prevhex, suffix);
		if (ret == ST_OK || !st_shared(s))
			return ret;
		if (!deadline)
			deadline = st_mono_ms() + STALE_WAIT_MS;
		else if (st_mono_ms() >= deadline)
			return ret;
		st_pause(&pause_us);
	}
}

/* One sealed line (with its newline): the event under the audit key, with
 * "seq:prev" as associated data. hash gets the chain hash of the line
 * (BLAKE2b of it without the newline) when not NULL. */
char *st_audit_line(const uint8_t *key, uint64_t seq, const char prevhex[65], const char *event,
                    size_t *len, uint8_t hash[32])
{
	char ad[128], *b64, *line;
	size_t elen = strlen(event), blen = NONCE_LEN + elen + TAG_LEN, b64len;
	uint8_t *box = malloc(blen);
	unsigned long long ctlen;
	int adlen, n;

	if (!box)
		return NULL;
	adlen = snprintf(ad, sizeof ad, "%llu:%s", (unsigned long long)seq, prevhex);
	randombytes_buf(box, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, &ctlen, (const uint8_t *)event, elen,
	                                           (const uint8_t *)ad, (unsigned long long)adlen, NULL, box, key);
	b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	line = malloc(b64len + 160);
	if (!b64 || !line) {
		free(box);
		free(b64);
		free(line);
		return NULL;
	}
	sodium_bin2base64(b64, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(line, b64len + 160, "{\"seq\":%llu,\"prev\":\"%s\",\"box\":\"%s\"}\n",
	             (unsigned long long)seq, prevhex, b64);
	if (hash)
		crypto_generichash(hash, 32, (const uint8_t *)line, (size_t)n - 1, NULL, 0);
	free(box);
	free(b64);
	*len = (size_t)n;
	return line;
}

/* Append one event to the open log (the audit byte lock held): never a
 * torn line left behind. seq_out/hash_out get the new line's. */
int st_audit_append_fd(struct store *s, int fd, const char *event_json, uint64_t *seq_out,
                       uint8_t hash_out[32])
{
	uint64_t seq;
	char prev[65], *line;
	size_t n;
	uint8_t h[32];
	struct stat st;
	off_t before;
	int ret;

	if ((ret = audit_tail_checked(s, fd, &seq, prev, "")))
		return ret;
	seq++;
	line = st_audit_line(store_subkey(s, SK_AUDIT), seq, prev, event_json, &n, h);
	if (!line)
		return st_fail(s, ST_BAD, "out of memory");
	before = fstat(fd, &st) == 0 ? st.st_size : -1;
	if (st_write_all(fd, line, n) < 0 || fdatasync(fd) < 0) {
		int e = errno;

		/* never leave a torn line behind: cut back to the last whole one */
		if (before >= 0 && ftruncate(fd, before) == 0)
			fdatasync(fd);
		ret = st_fail(s, ST_BAD, "cannot append to 'audit.log': %s", strerror(e));
	} else {   /* the line is durable: now the tail it makes */
		ret = st_audit_tail_set(s, fd, seq, h);
	}
	free(line);
	if (seq_out)
		*seq_out = seq;
	if (hash_out)
		memcpy(hash_out, h, 32);
	return ret;
}

int store_audit(struct store *s, const char *event_json)
{
	int fd = -1, ret;

	if (s->readonly)
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	if ((ret = st_lock_byte(s, LOCK_AUDIT, F_WRLCK)))
		return ret;
	if (!s->all_locked && (ret = st_epoch_ok(s))) {
		st_unlock_byte(s, LOCK_AUDIT);
		return ret;
	}
	fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = st_audit_missing(s, "");
		else
			ret = st_fail(s, ST_BAD, "cannot open 'audit.log' to append: %s", strerror(errno));
		goto out;
	}
	ret = st_audit_append_fd(s, fd, event_json, NULL, NULL);
out:
	if (fd >= 0)
		close(fd);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
}

/* ---- reading the log back ----
 * The log is audit.log and, after rotations, the closed files in audit/
 * (store/rotate.c), read oldest first as one chain. Every file is opened
 * and its length noted under the audit lock, then read without it: a walk
 * neither waits for nor blocks a login, and never sees a line half
 * appended or a rotation half done. */
static int walk_line(struct store *s, char *line, size_t n, const char *label, uint64_t lineno,
                     struct st_chain *c, st_line_fn fn, void *ctx, int *stop)
{
	char prevhex[65], ad[128], *p, *q;
	uint8_t *box = NULL, *pt = NULL, lprev[32];
	size_t boxlen = 0;
	unsigned long long ptlen = 0, seq;
	int adlen, first = c->expect == 0, r;

	p = strstr(line, "\"seq\":");
	q = strstr(line, "\"prev\":\"");
	if (strncmp(line, "{\"seq\":", 7) || !p || !q || strlen(q) < 8 + 64 + 1 ||
	    sodium_hex2bin(lprev, sizeof lprev, q + 8, 64, NULL, NULL, NULL) != 0)
		return st_fail(s, ST_BAD, "%s line %llu: malformed", label, (unsigned long long)lineno);
	seq = strtoull(p + 6, NULL, 10);
	if (first) {
		/* the chain starts at 1 from zeros, or at a rotation's opening
		 * line (its seal, checked below, binds where it continues) */
		static const uint8_t zero[32];

		if (seq == 0)
			return st_fail(s, ST_BAD, "%s line %llu: malformed", label, (unsigned long long)lineno);
		c->expect = seq;
		c->first = seq;
		memcpy(c->prev, seq == 1 ? zero : lprev, sizeof c->prev);
	}
	if (seq != c->expect) {
		if (seq > c->expect)
			return st_fail(s, ST_BAD, "%s line %llu: %llu line(s) removed before it "
			               "(sequence %llu, expected %llu)", label, (unsigned long long)lineno,
			               seq - c->expect, seq, (unsigned long long)c->expect);
		return st_fail(s, ST_BAD, "%s line %llu: inserted or moved (sequence %llu, expected %llu)",
		               label, (unsigned long long)lineno, seq, (unsigned long long)c->expect);
	}
	sodium_bin2hex(prevhex, sizeof prevhex, c->prev, sizeof c->prev);
	if (strncmp(q + 8, prevhex, 64))
		return st_fail(s, ST_BAD, "%s line %llu: does not follow the line before it "
		               "(that line was edited, or lines were reordered)", label, (unsigned long long)lineno);
	p = strstr(line, "\"box\":\"");
	q = p ? strchr(p + 7, '"') : NULL;
	adlen = snprintf(ad, sizeof ad, "%llu:%s", seq, prevhex);
	if (p && q) {
		box = malloc((size_t)(q - p));
		if (box && sodium_base642bin(box, (size_t)(q - p), p + 7, (size_t)(q - p - 7), NULL,
		                             &boxlen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    boxlen > NONCE_LEN + TAG_LEN) {
			pt = malloc(boxlen);
			if (pt && crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
			        box + NONCE_LEN, boxlen - NONCE_LEN, (const uint8_t *)ad,
			        (unsigned long long)adlen, box, store_subkey(s, SK_AUDIT)) != 0) {
				free(pt);
				pt = NULL;
			}
		}
	}
	free(box);
	if (!pt)
		return st_fail(s, ST_BAD, "%s line %llu: edited (its seal does not verify)", label,
		               (unsigned long long)lineno);
	pt[ptlen < boxlen ? ptlen : boxlen - 1] = '\0';
	if (first && seq != 1 && !strstr((char *)pt, "\"event\":\"audit.opened\"")) {
		free(pt);
		return st_fail(s, ST_BAD, "%s line %llu: %llu line(s) removed before it (sequence %llu, "
		               "expected 1)", label, (unsigned long long)lineno, seq - 1, seq);
	}
	crypto_generichash(c->prev, sizeof c->prev, (const uint8_t *)line, n, NULL, 0);
	c->expect++;
	c->last = seq;
	r = fn ? fn(ctx, seq, lprev, (const char *)pt) : 0;
	free(pt);
	if (r)
		*stop = 1;
	return ST_OK;
}

/* Walk one file of the log (its first size bytes), continuing the chain c.
 * With torn_ok, a torn last line ends the walk without an error (fsck
 * reports it on its own). On a bad line *bad_line gets its number. */
/* On a shared file system: the file open on fd read again past the cache
 * (O_DIRECT, through /proc/self/fd: the same inode) into memory, to its
 * end, whatever its cached length says. *size becomes the length up to
 * its last whole line when that is longer (a line appended meanwhile on
 * another host, half or whole, is left to the next walk). NULL where
 * O_DIRECT is refused: the caller reads it as usual. */
static FILE *direct_stream(int fd, off_t *size, char **mem)
{
	char path[64];
	size_t cap = 1 << 16, got = 0, whole;
	char *buf = NULL;
	int dfd;

	*mem = NULL;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	dfd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (dfd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (!buf || got == cap) {
			char *nb = NULL;

			if (buf)
				cap *= 2;
			if (posix_memalign((void **)&nb, 4096, cap)) {
				free(buf);
				buf = NULL;
				break;
			}
			if (buf)
				memcpy(nb, buf, got);
			free(buf);
			buf = nb;
		}
		r = pread(dfd, buf + got, cap - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {   /* O_DIRECT refused at read time: read as usual */
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got % 4096)   /* short: the end of the file */
			break;
	}
	close(dfd);
	if (!buf)
		return NULL;
	for (whole = got; whole > 0 && buf[whole - 1] != '\n'; whole--)
		;
	if ((off_t)whole > *size)
		*size = (off_t)whole;
	if ((off_t)got < *size)
		*size = (off_t)got;
	*mem = buf;
	if (got == 0) {   /* fmemopen wants a non-empty buffer */
		buf[0] = '\n';
		return fmemopen(buf, 1, "r");
	}
	return fmemopen(buf, got, "r");
}

int st_audit_walk_fd(struct store *s, int fd, off_t size, const char *label, struct st_chain *c,
                     st_line_fn fn, void *ctx, uint64_t *bad_line, int torn_ok)
{
	FILE *f = NULL;
	char *line = NULL, *mem = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	off_t at = 0;
	int ret = ST_OK, stop = 0, dfd = -1;

	*bad_line = 0;
	if (st_shared(s))
		f = direct_stream(fd, &size, &mem);
	if (!f) {
		dfd = dup(fd);
		f = dfd >= 0 ? fdopen(dfd, "r") : NULL;
	}
	if (!f || fseeko(f, 0, SEEK_SET) < 0) {
		if (f)
			fclose(f);
		else if (dfd >= 0)
			close(dfd);
		return st_fail(s, ST_BAD, "cannot read '%s': %s", label, strerror(errno));
	}
	while (at < size && !stop && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (at + n > size)   /* appended after the walk began */
			n = (ssize_t)(size - at);
		at += n;
		if (line[n - 1] != '\n') {
			if (torn_ok)
				break;
			*bad_line = lineno;
			ret = st_fail(s, ST_BAD, "%s line %llu: torn (a write was cut short)", label,
			              (unsigned long long)lineno);
			break;
		}
		line[--n] = '\0';
		if ((ret = walk_line(s, line, (size_t)n, label, lineno, c, fn, ctx, &stop))) {
			*bad_line = lineno;
			break;
		}
	}
	if (c)
		c->stopped = stop;
	free(line);
	fclose(f);
	free(mem);
	return ret;
}

struct walk_adapt {
	store_audit_fn fn;
	void *ctx;
};

static int walk_adapt(void *ctx, uint64_t seq, const uint8_t prev[32], const char *event)
{
	struct walk_adapt *w = ctx;

	(void)prev;
	return w->fn ? w->fn(w->ctx, seq, event) : 0;
}

int st_audit_walk(struct store *s, st_line_fn fn, void *ctx, struct store_audit_span *span,
                  uint64_t *bad_line, int torn_ok)
{
	struct st_audit_files af;
	struct st_chain c = { 0 };
	int ret;

	*bad_line = 0;
	if (span)
		memset(span, 0, sizeof *span);
	if (st_shared(s)) {   /* first the tail read past the cache agrees (bounded) */
		int lfd = openat(s->dirfd, "audit.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		uint64_t seq;
		char prev[65];

		if (lfd >= 0) {
			(void)audit_tail_checked(s, lfd, &seq, prev, "");
			close(lfd);
		}
	}
	if ((ret = st_audit_files_open(s, &af)))
		return ret;
	for (size_t i = 0; i < af.n && !c.stopped; i++) {
		if (span) {
			span->files++;
			snprintf(span->file, sizeof span->file, "%s", af.label[i]);
		}
		if ((ret = st_audit_walk_fd(s, af.fd[i], af.size[i], af.label[i], &c, fn, ctx, bad_line,
		                            torn_ok || (af.unheld && i == af.n - 1))))
			break;
		/* the whole of audit.log read: does it end where it was last written? */
		if (!c.stopped && !strcmp(af.label[i], "audit.log")) {
			char prevhex[65];

			sodium_bin2hex(prevhex, sizeof prevhex, c.prev, sizeof c.prev);
			if ((ret = tail_agrees(s, af.fd[i], c.last, prevhex, "")))
				break;
		}
	}
	if (span) {
		span->first_seq = c.first;
		span->last_seq = c.last;
		if (af.n)
			snprintf(span->first_file, sizeof span->first_file, "%s", af.label[0]);
	}
	st_audit_files_close(&af);
	return ret;
}

int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line)
{
	struct walk_adapt w = { fn, ctx };

	return st_audit_walk(s, walk_adapt, &w, NULL, bad_line, 0);
}

int store_audit_span(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line,
                     struct store_audit_span *span)
{
	struct walk_adapt w = { fn, ctx };

	return st_audit_walk(s, walk_adapt, &w, span, bad_line, 0);
}
