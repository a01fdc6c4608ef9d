/* SPDX-License-Identifier: ISC */
/* store/audit.c — The audit log: sealed, hash-chained lines. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- audit log ----
 * Each line: {"seq":N,"prev":"<hex BLAKE2b of the previous line>","box":"<base64>"}
 * where box is nonce || XChaCha20-Poly1305(event JSON) under the audit
 * subkey, with "seq:prev" as associated data: the AEAD tag is the keyed MAC,
 * the prev hash the chain. Names never appear in clear. */

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

	if ((ret = st_lock_range(s, LOCK_AUDIT, 1, F_WRLCK)))
		return ret;
	if ((ret = st_epoch_ok(s))) {
		st_unlock_range(s, LOCK_AUDIT, 1);
		return ret;
	}
	fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = st_fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
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
	st_unlock_range(s, LOCK_AUDIT, 1);
	return ret;
}

/* Walk audit.log from the start, checking the chain and each line's seal.
 * fn gets every intact event (plaintext JSON). On the first bad line the
 * walk stops: *bad_line gets its number and the message says what is wrong. */
int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line)
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

