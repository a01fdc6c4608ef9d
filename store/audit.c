/* SPDX-License-Identifier: ISC */
/* store/audit.c — The audit log: sealed, hash-chained lines. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
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
	ret = audit_room(s, fd, st.st_size);
out:
	if (fd >= 0)
		close(fd);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
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

/* The last line's sequence number and chain hash (zeros for an empty log). */
int st_audit_tail(struct store *s, int fd, uint64_t *seq, char prevhex[65])
{
	struct stat st;
	char buf[8192];
	off_t start;
	ssize_t n;
	char *line, *p;
	uint8_t h[32];

	*seq = 0;
	memset(h, 0, sizeof h);
	sodium_bin2hex(prevhex, 65, h, sizeof h);
	if (fstat(fd, &st) < 0)
		return st_fail(s, ST_BAD, "cannot stat 'audit.log': %s", strerror(errno));
	if (st.st_size == 0)
		return ST_OK;
	start = st.st_size > (off_t)sizeof buf - 1 ? st.st_size - (off_t)sizeof buf + 1 : 0;
	n = pread(fd, buf, (size_t)(st.st_size - start), start);
	if (n <= 0)
		return st_fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
	buf[n] = '\0';
	if (buf[n - 1] != '\n')
		return st_fail(s, ST_BAD, "'audit.log' ends in a torn line: run twofactl fsck");
	buf[n - 1] = '\0';
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (line == buf && start > 0)
		return st_fail(s, ST_BAD, "'audit.log' has an overlong line");
	p = strstr(line, "\"seq\":");
	if (!p)
		return st_fail(s, ST_BAD, "'audit.log' last line is malformed");
	*seq = strtoull(p + 6, NULL, 10);
	crypto_generichash(h, sizeof h, (const uint8_t *)line, strlen(line), NULL, 0);
	sodium_bin2hex(prevhex, 65, h, sizeof h);
	return ST_OK;
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

	if ((ret = st_audit_tail(s, fd, &seq, prev)))
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
int st_audit_walk_fd(struct store *s, int fd, off_t size, const char *label, struct st_chain *c,
                     st_line_fn fn, void *ctx, uint64_t *bad_line, int torn_ok)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	off_t at = 0;
	int ret = ST_OK, stop = 0, dfd = dup(fd);

	*bad_line = 0;
	f = dfd >= 0 ? fdopen(dfd, "r") : NULL;
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
