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
			ret = st_fail(s, ST_BAD, "'audit.log' is missing: nothing was changed "
			              "(restore it; an empty one starts a new chain)");
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

static int audit_tail(struct store *s, int fd, uint64_t *seq, char prevhex[65])
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

int store_audit(struct store *s, const char *event_json)
{
	int fd = -1, ret;
	uint64_t seq;
	char prev[65], ad[128], *line = NULL;
	size_t elen = strlen(event_json), blen, b64len;
	uint8_t *box = NULL;
	char *b64 = NULL;
	unsigned long long ctlen;
	int adlen, n;

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
			ret = st_fail(s, ST_BAD, "'audit.log' is missing (restore it; an empty one starts a new chain)");
		else
			ret = st_fail(s, ST_BAD, "cannot open 'audit.log' to append: %s", strerror(errno));
		goto out;
	}
	if ((ret = audit_tail(s, fd, &seq, prev)))
		goto out;
	seq++;
	adlen = snprintf(ad, sizeof ad, "%llu:%s", (unsigned long long)seq, prev);
	blen = NONCE_LEN + elen + TAG_LEN;
	box = malloc(blen);
	b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	line = malloc(b64len + 160);
	if (!box || !b64 || !line) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	randombytes_buf(box, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, &ctlen, (const uint8_t *)event_json,
	        elen, (const uint8_t *)ad, (unsigned long long)adlen, NULL, box,
	        store_subkey(s, SK_AUDIT));
	sodium_bin2base64(b64, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(line, b64len + 160, "{\"seq\":%llu,\"prev\":\"%s\",\"box\":\"%s\"}\n",
	             (unsigned long long)seq, prev, b64);
	{
		struct stat st;
		off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;

		if (st_write_all(fd, line, (size_t)n) < 0 || fdatasync(fd) < 0) {
			int e = errno;

			/* never leave a torn line behind: cut back to the last whole one */
			if (before >= 0 && ftruncate(fd, before) == 0)
				fdatasync(fd);
			ret = st_fail(s, ST_BAD, "cannot append to 'audit.log': %s", strerror(e));
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(box);
	free(b64);
	free(line);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
}

/* Walk audit.log from the start, checking the chain and each line's seal.
 * fn gets every intact event (plaintext JSON). On the first bad line the
 * walk stops: *bad_line gets its number and the message says what is wrong. */
int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line)
{
	return st_audit_walk(s, fn, ctx, bad_line, 0);
}

/* With torn_ok, a torn last line ends the walk without an error (fsck
 * reports it on its own). */
int st_audit_walk(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line, int torn_ok)
{
	int fd = openat(s->dirfd, "audit.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0, expect = 1;
	uint8_t prev[32] = { 0 };
	int ret = ST_OK;

	*bad_line = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return ST_OK;
		return st_fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return st_fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char prevhex[65], ad[128], *p, *q;
		uint8_t *box = NULL, *pt = NULL, h[32];
		size_t boxlen = 0;
		unsigned long long ptlen = 0, seq;
		int adlen;

		lineno++;
		if (line[n - 1] != '\n') {
			if (torn_ok)
				break;
			*bad_line = lineno;
			ret = st_fail(s, ST_BAD, "audit.log line %llu: torn (a write was cut short)",
			           (unsigned long long)lineno);
			break;
		}
		line[--n] = '\0';
		sodium_bin2hex(prevhex, sizeof prevhex, prev, sizeof prev);
		p = strstr(line, "\"seq\":");
		q = strstr(line, "\"prev\":\"");
		if (strncmp(line, "{\"seq\":", 7) || !p || !q || strlen(q) < 8 + 64 + 1) {
			*bad_line = lineno;
			ret = st_fail(s, ST_BAD, "audit.log line %llu: malformed", (unsigned long long)lineno);
			break;
		}
		seq = strtoull(p + 6, NULL, 10);
		if (seq != expect) {
			*bad_line = lineno;
			if (seq > expect)
				ret = st_fail(s, ST_BAD, "audit.log line %llu: %llu line(s) removed before it "
				           "(sequence %llu, expected %llu)", (unsigned long long)lineno,
				           seq - expect, seq, (unsigned long long)expect);
			else
				ret = st_fail(s, ST_BAD, "audit.log line %llu: inserted or moved (sequence %llu, "
				           "expected %llu)", (unsigned long long)lineno, seq, (unsigned long long)expect);
			break;
		}
		if (strncmp(q + 8, prevhex, 64)) {
			*bad_line = lineno;
			ret = st_fail(s, ST_BAD, "audit.log line %llu: does not follow the line before it "
			           "(that line was edited, or lines were reordered)", (unsigned long long)lineno);
			break;
		}
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
		if (!pt) {
			*bad_line = lineno;
			ret = st_fail(s, ST_BAD, "audit.log line %llu: edited (its seal does not verify)",
			           (unsigned long long)lineno);
			break;
		}
		crypto_generichash(h, sizeof h, (const uint8_t *)line, (size_t)n, NULL, 0);
		memcpy(prev, h, sizeof prev);
		expect++;
		pt[ptlen < boxlen ? ptlen : boxlen - 1] = '\0';
		if (fn && fn(ctx, seq, (const char *)pt)) {
			free(pt);
			break;
		}
		free(pt);
	}
	free(line);
	fclose(f);
	return ret;
}

