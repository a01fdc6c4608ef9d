/* SPDX-License-Identifier: ISC */
/* store/rotate.c — audit log rotation: closed files in audit/, one chain.
 *
 * audit rotate appends a sealed closing line ("audit.closed", sequence N)
 * to audit.log, writes audit.log.new whose one line ("audit.opened",
 * sequence N+1) follows the closing line's chain hash, then renames
 * audit.log to audit/<N, 20 digits>.log and audit.log.new to audit.log.
 * All of it under the audit byte lock, so no append lands in between.
 * A crash leaves either the old log with a closing line (harmless: the
 * chain just goes on), or audit.log.new beside it or in its place: the
 * next rotate, and fsck --repair, finish what it shows was begun (the new
 * file follows the last closed line) and remove what was not. */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARCH_DIR "audit"
#define NEW_LOG "audit.log.new"

static int archive_name(const char *n)
{
	if (strlen(n) != 24 || strcmp(n + 20, ".log"))
		return 0;
	for (int i = 0; i < 20; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The closed files, oldest first (their names sort as their sequence
 * numbers). *dfd is -1 and *n 0 when there is no audit/ yet. */
static int list_closed(struct store *s, int *dfd, char (**names)[32], size_t *n)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int dup_fd;

	*names = NULL;
	*n = 0;
	*dfd = openat(s->dirfd, ARCH_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dfd < 0)
		return errno == ENOENT ? ST_OK
		                       : st_fail(s, ST_BAD, "cannot open '" ARCH_DIR "/': %s", strerror(errno));
	dup_fd = dup(*dfd);
	d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		goto fail;
	}
	while ((de = readdir(d))) {
		if (!archive_name(de->d_name))
			continue;
		if (*n == cap) {
			void *p = realloc(*names, (cap = cap ? cap * 2 : 16) * sizeof **names);

			if (!p) {
				closedir(d);
				goto fail;
			}
			*names = p;
		}
		snprintf((*names)[(*n)++], sizeof **names, "%.31s", de->d_name);   /* 24: archive_name */
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, cmp_names);
	return ST_OK;
fail:
	{
		int e = errno;

		free(*names);
		*names = NULL;
		*n = 0;
		close(*dfd);
		*dfd = -1;
		return st_fail(s, ST_BAD, "cannot list '" ARCH_DIR "/': %s", strerror(e));
	}
}

void st_audit_files_close(struct st_audit_files *af)
{
	for (size_t i = 0; i < af->n; i++)
		if (af->fd[i] >= 0)
			close(af->fd[i]);
	free(af->fd);
	free(af->size);
	free(af->label);
	memset(af, 0, sizeof *af);
}

static int add_file(struct store *s, struct st_audit_files *af, int dirfd, const char *name,
                    const char *label)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)   /* a store always has audit.log: init writes its first line */
		return errno == ENOENT && !strcmp(label, "audit.log")
		               ? st_audit_missing(s, "") : st_fail(s, ST_BAD, "cannot open '%s': %s", label, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return st_fail(s, ST_BAD, "'%s' is not a plain file", label);
	}
	af->fd[af->n] = fd;
	af->size[af->n] = st.st_size;
	snprintf(af->label[af->n], sizeof af->label[0], "%s", label);
	af->n++;
	return ST_OK;
}

/* A reader's hold of the audit byte, waited for briefly (at most 0.2 s):
 * an append or a rotation takes milliseconds; a longer holder is a
 * whole-store writer (rekey, fsck --repair, import) in another process,
 * and a walk (audit show, verify, health) must not wait for it: it goes on
 * without the hold, taking a torn last line of audit.log as its end (the
 * holder may be appending), since nothing but the holder rotates or
 * appends meanwhile. 1: held. */
static int audit_read_hold(struct store *s)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = LOCK_AUDIT, .l_len = 1 };

	if (s->all_locked)
		return 1;   /* ours already */
	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 4000000 };

		if (fcntl(s->lockfd, F_OFD_SETLK, &fl) == 0)
			return 1;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return 0;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int st_audit_files_open(struct store *s, struct st_audit_files *af)
{
	char (*names)[32] = NULL;
	size_t n = 0;
	int dfd = -1, ret, held;

	memset(af, 0, sizeof *af);
	held = audit_read_hold(s);
	af->unheld = !held;
	if ((ret = list_closed(s, &dfd, &names, &n)))
		goto out;
	af->fd = calloc(n + 1, sizeof *af->fd);
	af->size = calloc(n + 1, sizeof *af->size);
	af->label = calloc(n + 1, sizeof *af->label);
	if (!af->fd || !af->size || !af->label) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		char label[40];

		snprintf(label, sizeof label, ARCH_DIR "/%s", names[i]);
		ret = add_file(s, af, dfd, names[i], label);
	}
	if (!ret)
		ret = add_file(s, af, s->dirfd, "audit.log", "audit.log");
out:
	if (held)
		st_unlock_byte(s, LOCK_AUDIT);
	if (dfd >= 0)
		close(dfd);
	free(names);
	if (ret)
		st_audit_files_close(af);
	else
		af->unheld = !held;
	return ret;
}

int st_audit_missing(struct store *s, const char *suffix)
{
	if (faccessat(s->dirfd, NEW_LOG, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return st_fail(s, ST_BAD, "'audit.log' is missing%s: an audit rotation was cut short "
		               "(run twofactl audit rotate, or fsck --repair, to finish it)", suffix);
	return st_fail(s, ST_BAD, "'audit.log' is missing%s (restore it; an empty one starts a new chain)",
	               suffix);
}

/* The first line of a file: its sequence and chain field. */
static int first_line(int fd, uint64_t *seq, char prevhex[65])
{
	char buf[8192], *nl, *p, *q;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	p = strstr(buf, "\"seq\":");
	q = strstr(buf, "\"prev\":\"");
	if (!p || !q || strlen(q) < 8 + 64)
		return -1;
	*seq = strtoull(p + 6, NULL, 10);
	memcpy(prevhex, q + 8, 64);
	prevhex[64] = '\0';
	return 0;
}

/* The last line of a file: its sequence and chain hash. */
static int last_line(struct store *s, int dirfd, const char *name, uint64_t *seq, char hashhex[65])
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = st_audit_tail(s, fd, seq, hashhex);
	close(fd);
	return ret ? -1 : 0;
}

/* The audit byte lock is held for writing. *finished gets 1 when a cut
 * short rotation was carried through, -1 when a stale audit.log.new was
 * removed, 0 when there was nothing to do. */
int st_audit_finish_rotation(struct store *s, int *finished)
{
	int nfd = openat(s->dirfd, NEW_LOG, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), adfd = -1, ret = ST_OK;
	char (*names)[32] = NULL, nprev[65], lhash[65], closed[32];
	uint64_t nseq = 0, lseq = 0;
	size_t n = 0;
	int have_log, follows;

	*finished = 0;
	if (nfd < 0)
		return errno == ENOENT ? ST_OK : st_fail(s, ST_BAD, "cannot open '" NEW_LOG "': %s", strerror(errno));
	follows = first_line(nfd, &nseq, nprev) == 0;
	close(nfd);
	have_log = faccessat(s->dirfd, "audit.log", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if ((ret = list_closed(s, &adfd, &names, &n)))
		return ret;
	if (have_log)
		follows = follows && last_line(s, s->dirfd, "audit.log", &lseq, lhash) == 0;
	else
		follows = follows && n > 0 && last_line(s, adfd, names[n - 1], &lseq, lhash) == 0;
	follows = follows && nseq == lseq + 1 && !strcmp(nprev, lhash);
	snprintf(closed, sizeof closed, "%020llu.log", (unsigned long long)lseq);
	if (!follows) {
		if (!have_log) {
			ret = st_fail(s, ST_BAD, "'audit.log' is missing and '" NEW_LOG "' does not follow the "
			              "last closed file: restore audit.log");
			goto out;
		}
		if (unlinkat(s->dirfd, NEW_LOG, 0) < 0 && errno != ENOENT) {
			ret = st_fail(s, ST_BAD, "cannot remove '" NEW_LOG "': %s", strerror(errno));
			goto out;
		}
		*finished = -1;
		goto out;
	}
	if (have_log) {
		if (adfd < 0) {
			if (mkdirat(s->dirfd, ARCH_DIR, 0700) < 0 && errno != EEXIST) {
				ret = st_fail(s, ST_BAD, "cannot create '" ARCH_DIR "/': %s", strerror(errno));
				goto out;
			}
			adfd = st_open_dir_at(s->dirfd, ARCH_DIR);
			if (adfd < 0) {
				ret = st_fail(s, ST_BAD, "cannot open '" ARCH_DIR "/': %s", strerror(errno));
				goto out;
			}
		}
		if (faccessat(adfd, closed, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			ret = st_fail(s, ST_BAD, "'" ARCH_DIR "/%s' already exists: nothing was changed", closed);
			goto out;
		}
		if (renameat(s->dirfd, "audit.log", adfd, closed) < 0 || fsync(adfd) < 0) {
			ret = st_fail(s, ST_BAD, "cannot move 'audit.log' to '" ARCH_DIR "/%s': %s", closed,
			              strerror(errno));
			goto out;
		}
	}
	if (renameat(s->dirfd, NEW_LOG, s->dirfd, "audit.log") < 0 || fsync(s->dirfd) < 0) {
		ret = st_fail(s, ST_BAD, "cannot move '" NEW_LOG "' into place: %s", strerror(errno));
		goto out;
	}
	*finished = 1;
out:
	if (adfd >= 0)
		close(adfd);
	free(names);
	return ret;
}

static char *event(int64_t now, const char *name, const char *detail, const char *extra)
{
	size_t cap = 256 + strlen(detail) + strlen(extra);
	char *e = malloc(cap);

	if (e)
		snprintf(e, cap, "{\"t\":%lld,\"event\":\"%s\",\"result\":\"ok\",\"detail\":\"%s\"%s}",
		         (long long)now, name, detail, extra);
	return e;
}

/* The new log with its opening line seq, whose chain hash is hash: its
 * tail attribute set once the line is durable, before it is moved into
 * place (store/audit.c). */
static int write_new_log(struct store *s, const char *line, size_t len, uint64_t seq, const uint8_t hash[32])
{
	int fd = openat(s->dirfd, NEW_LOG, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e;

	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot create '" NEW_LOG "': %s", strerror(errno));
	if (fchmod(fd, 0600) == 0 && st_write_all(fd, line, len) == 0 && fsync(fd) == 0 &&
	    st_audit_tail_set(s, fd, seq, hash) == ST_OK && close(fd) == 0)
		return ST_OK;
	e = errno;
	close(fd);
	unlinkat(s->dirfd, NEW_LOG, 0);
	return st_fail(s, ST_BAD, "cannot write '" NEW_LOG "': %s", strerror(e));
}

/* Keep the keep newest closed files; the older are removed. */
static int prune(struct store *s, unsigned keep, unsigned *removed, char *oldest, size_t cap)
{
	char (*names)[32] = NULL;
	size_t n = 0;
	int adfd = -1, ret;

	*removed = 0;
	if ((ret = list_closed(s, &adfd, &names, &n)))
		return ret;
	for (size_t i = 0; n > keep && i < n - keep; i++) {
		if (unlinkat(adfd, names[i], 0) < 0) {
			ret = st_fail(s, ST_BAD, "cannot remove '" ARCH_DIR "/%s': %s", names[i], strerror(errno));
			break;
		}
		(*removed)++;
	}
	if (n > *removed)
		snprintf(oldest, cap, ARCH_DIR "/%s", names[*removed]);
	if (*removed && fsync(adfd) < 0 && !ret)
		ret = st_fail(s, ST_BAD, "cannot sync '" ARCH_DIR "/': %s", strerror(errno));
	if (adfd >= 0)
		close(adfd);
	free(names);
	return ret;
}

int store_audit_rotate(struct store *s, int64_t now, uint64_t min_size, unsigned keep,
                       struct store_rotation *out)
{
	int fd = -1, ret, fin;
	struct stat st;
	uint64_t seq = 0, cseq = 0;
	char prev[65], detail[96], extra[96], *ev = NULL, *line = NULL;
	uint8_t h[32];
	size_t len = 0;

	memset(out, 0, sizeof *out);
	if (s->readonly)
		return st_fail(s, ST_BAD, "%s", s->ro_err);
	if ((ret = st_lock_byte(s, LOCK_AUDIT, F_WRLCK)))
		return ret;
	if (!s->all_locked && (ret = st_epoch_ok(s)))
		goto out;
	if ((ret = st_audit_finish_rotation(s, &fin)))
		goto out;
	fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? st_audit_missing(s, ": nothing was changed")
		                      : st_fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		ret = st_fail(s, ST_BAD, "'audit.log' is not a plain file: nothing was changed");
		goto out;
	}
	out->size = (uint64_t)st.st_size;
	if (st.st_size == 0 || (uint64_t)st.st_size < min_size)
		goto out;   /* nothing to rotate */
	if ((ret = st_audit_tail(s, fd, &seq, prev)))
		goto out;
	/* 1: the closing line */
	cseq = seq + 1;
	snprintf(out->closed, sizeof out->closed, ARCH_DIR "/%020llu.log", (unsigned long long)cseq);
	snprintf(detail, sizeof detail, "closed as %s", out->closed);
	if (!(ev = event(now, "audit.closed", detail, ""))) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	if ((ret = st_audit_append_fd(s, fd, ev, &seq, h)))
		goto out;
	if (seq != cseq) {
		ret = st_fail(s, ST_BAD, "'audit.log' changed while it was rotated");
		goto out;
	}
	/* 2: the new log's opening line carries the chain */
	free(ev);
	snprintf(detail, sizeof detail, "continues %s", out->closed);
	snprintf(extra, sizeof extra, ",\"closed\":\"%s\",\"closed_seq\":%llu", out->closed,
	         (unsigned long long)cseq);
	if (!(ev = event(now, "audit.opened", detail, extra))) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	sodium_bin2hex(prev, sizeof prev, h, sizeof h);
	if (!(line = st_audit_line(store_subkey(s, SK_AUDIT), cseq + 1, prev, ev, &len, h))) {
		ret = st_fail(s, ST_BAD, "out of memory");
		goto out;
	}
	if ((ret = write_new_log(s, line, len, cseq + 1, h)))
		goto out;
	close(fd);
	fd = -1;
	/* 3: the swap (what a crash cuts short, the next rotate finishes) */
	if ((ret = st_audit_finish_rotation(s, &fin)))
		goto out;
	if (fin != 1) {
		ret = st_fail(s, ST_BAD, "'audit.log' changed while it was rotated");
		goto out;
	}
	out->rotated = 1;
	out->last_seq = cseq;
	if (keep) {
		char oldest[48] = "";
		unsigned removed = 0;

		ret = prune(s, keep, &removed, oldest, sizeof oldest);
		out->removed = removed;
		if (removed) {
			int r2;

			free(ev);
			snprintf(detail, sizeof detail, "removed %u closed file(s); the oldest kept is %s", removed,
			         oldest);
			ev = event(now, "audit.pruned", detail, "");
			fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
			r2 = !ev ? st_fail(s, ST_BAD, "out of memory")
			         : fd < 0 ? st_fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno))
			                  : st_audit_append_fd(s, fd, ev, NULL, NULL);
			if (!ret)
				ret = r2;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(ev);
	free(line);
	st_unlock_byte(s, LOCK_AUDIT);
	return ret;
}
