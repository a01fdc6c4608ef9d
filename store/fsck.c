/* SPDX-License-Identifier: ISC */
/* store/fsck.c — fsck: check every file; --repair quarantines what fails. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

/* ---- fsck ---- */

/* A temp file younger than this may belong to a write in progress (here or
 * on another host of a shared store): it is left alone. */
#define TEMP_GRACE 60

static int temp_in_progress(const struct stat *st)
{
	return time(NULL) - st->st_mtime < TEMP_GRACE;
}

struct fsck {
	struct store *s;
	int repair;
	store_fsck_fn report;
	void *ctx;
	unsigned problems, fixed;
	int qfd;
	int unmarked;      /* user attributes are kept, but store.lock has no XATTR_MARK */
	int mark_failed;   /* --repair could not give some record its generation */
};

static void finding(struct fsck *f, const char *path, const char *problem, const char *action, int ok)
{
	f->problems++;
	if (ok)
		f->fixed++;
	f->report(f->ctx, path, problem, action);
}

static int quarantine_fd(struct fsck *f)
{
	if (f->qfd >= 0)
		return f->qfd;
	if (mkdirat(f->s->dirfd, "quarantine", 0700) < 0 && errno != EEXIST)
		return -1;
	f->qfd = st_open_dir_at(f->s->dirfd, "quarantine");
	return f->qfd;
}

/* Move dirfd/name to quarantine/<flat path>; says what it did. */
static void quarantine(struct fsck *f, int dirfd, const char *name, const char *path, const char *problem)
{
	char qname[PATH_MAX], action[PATH_MAX + 64];
	int qfd;

	if (!f->repair) {
		finding(f, path, problem, NULL, 0);
		return;
	}
	snprintf(qname, sizeof qname, "%s.%lld", path, (long long)time(NULL));
	for (char *p = qname; *p; p++)
		if (*p == '/')
			*p = '-';
	qfd = quarantine_fd(f);
	if (qfd < 0 || renameat(dirfd, name, qfd, qname) < 0) {
		snprintf(action, sizeof action, "could not move it: %s", strerror(errno));
		finding(f, path, problem, action, 0);
		return;
	}
	fsync(qfd);
	fsync(dirfd);
	snprintf(action, sizeof action, "moved to quarantine/%s", qname);
	finding(f, path, problem, action, 1);
}

static void fix_mode(struct fsck *f, int fd, const struct stat *st, mode_t want, const char *path)
{
	char problem[64];

	if ((st->st_mode & 07777) == want)
		return;
	snprintf(problem, sizeof problem, "mode %04o, expected %04o", (unsigned)(st->st_mode & 07777), (unsigned)want);
	if (!f->repair) {
		finding(f, path, problem, NULL, 0);
		return;
	}
	if (fchmod(fd, want) == 0)
		finding(f, path, problem, "mode fixed", 1);
	else
		finding(f, path, problem, strerror(errno), 0);
}


/* The name of a record, from its plaintext: what its file name is the keyed
 * hash of. */
int st_record_name(enum ns ns, const uint8_t *pt, size_t len, char name[RECORD_NAME_MAX])
{
	if (ns == NS_ACCOUNTS) {
		struct account *a = account_new();
		int bad = !a || record_from_json((const char *)pt, len, a) != CORE_OK;

		if (!bad)
			snprintf(name, RECORD_NAME_MAX, "%s", a->name);
		account_free(a);
		return bad ? -1 : 0;
	}
	if (ns == NS_ORGS) {
		struct org o;

		if (org_from_json((const char *)pt, len, &o))
			return -1;
		snprintf(name, RECORD_NAME_MAX, "%s", o.name);
		return 0;
	}
	if (ns == NS_OIDC) {
		struct oidc_link l;

		if (oidc_link_from_json((const char *)pt, len, &l))
			return -1;
		oidc_key(&l.id, name, RECORD_NAME_MAX);
		return 0;
	}
	{
		struct ticket t;

		if (ticket_from_json((const char *)pt, len, &t))
			return -1;
		snprintf(name, RECORD_NAME_MAX, "%s", t.id);
		return 0;
	}
}

/* The name a record's content says it has, hashed, must be its file name. */
static const char *check_record(struct fsck *f, enum ns ns, const char *hex, const uint8_t *pt, size_t len)
{
	struct acct_ref ref;
	char name[RECORD_NAME_MAX];

	if (st_record_name(ns, pt, len, name))
		return "holds a record this twofactl cannot read";
	if (store_ref_ns(f->s, ns, name, &ref) || strcmp(ref.hex, hex))
		return "is stored under the name of another record (swapped or renamed)";
	return NULL;
}

static void fsck_leaf(struct fsck *f, enum ns ns, int sfd, const char *sub, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	struct st_rec r = { 0 };
	uint8_t *pt;
	size_t ptlen;
	uint64_t gen;
	const char *bad;

	snprintf(path, sizeof path, "%s/%s/%s", ns_dirs[ns], sub, name);
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!strncmp(name, ".tmp-", 5) || (strlen(name) > 3 && !strcmp(name + strlen(name) - 3, ".rk"))) {
		if (!strncmp(name, ".tmp-", 5) && temp_in_progress(&st))
			return;
		if (!f->repair)
			finding(f, path, "leftover temporary file of an interrupted write", NULL, 0);
		else if (unlinkat(sfd, name, 0) == 0)
			finding(f, path, "leftover temporary file of an interrupted write", "removed", 1);
		else
			finding(f, path, "leftover temporary file", strerror(errno), 0);
		return;
	}
	if (!st_is_hex_name(name, 64) || strncmp(name, sub, 2)) {
		quarantine(f, sfd, name, path, "unexpected file");
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		quarantine(f, sfd, name, path, "is a symbolic link");
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		quarantine(f, sfd, name, path, "is not a regular file");
		return;
	}
	if (st.st_nlink != 1) {
		quarantine(f, sfd, name, path, "has more than one hard link");
		return;
	}
	if (st_rec_load(f->s, ns, sfd, name, &r, 1) != ST_OK) {
		char problem[160];

		switch (r.why) {
		case REC_UNREADABLE: {
			int e = errno;

			st_rec_free(&r);
			if (e == ENOENT)
				return;   /* removed meanwhile (a rename's last step) */
			quarantine(f, sfd, name, path, e == EFBIG ? "is too large" : "cannot be read");
			return;
		}
		case REC_OLDER:
			snprintf(problem, sizeof problem, "is older (generation %llu) than the last one written (%llu): "
			         "an old copy put back", (unsigned long long)r.gen, (unsigned long long)r.xgen);
			break;
		case REC_NOATTR:
			snprintf(problem, sizeof problem, "has no generation attribute: an old copy put back by rename");
			break;
		case REC_BADATTR:
			snprintf(problem, sizeof problem, "has a generation attribute that is not a number");
			break;
		case REC_LINKS:
			snprintf(problem, sizeof problem, "has more than one hard link");
			break;
		default:
			snprintf(problem, sizeof problem, "fails authentication: damaged, tampered or swapped");
			break;
		}
		st_rec_free(&r);
		quarantine(f, sfd, name, path, problem);
		return;
	}
	pt = r.pt;
	ptlen = r.ptlen;
	gen = r.gen;
	bad = check_record(f, ns, name, pt, ptlen);
	if (!bad && ns == NS_ORGS) {
		int c = st_orgs_check(f->s, name, gen);

		if (c == ST_ENOENT)
			bad = "is not in the sealed list of organisations (an org add or del cut short, or put there)";
		else if (c)
			bad = "is older than the sealed list of organisations says (an old copy put back)";
	}
	if (bad) {
		st_rec_free(&r);
		quarantine(f, sfd, name, path, bad);
		return;
	}
	if (r.other_bad) {
		static const char why[] = "the older of its two slots fails authentication (a write cut short, or "
		                          "tampered): the current record is intact";

		if (!f->repair)
			finding(f, path, why, NULL, 0);
		else if (st_rec_clear_slot(f->s, sfd, name, &r) == ST_OK)
			finding(f, path, why, "the older slot cleared", 1);
		else
			finding(f, path, why, f->s->err, 0);
	}
	/* a store made before generations: --repair gives every record its
	 * own (store_fsck marks the store once all have one) */
	if (!r.has_xgen && f->repair && f->unmarked && st_rec_mark(f->s, sfd, name, gen) != ST_OK)
		f->mark_failed = 1;
	st_rec_free(&r);
	{
		int fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0) {
			fix_mode(f, fd, &st, 0600, path);
			close(fd);
		}
	}
}

static void fsck_ns(struct fsck *f, enum ns ns)
{
	int nfd, dfd;
	DIR *top;
	struct dirent *de;
	struct stat st;

	/* a namespace nothing was ever written to has no directory yet:
	 * nothing to check (and nothing to create on a read-only store) */
	if (f->s->nsfd[ns] < 0 && faccessat(f->s->dirfd, ns_dirs[ns], F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return;
	nfd = st_ns_fd(f->s, ns);
	if (nfd < 0) {
		finding(f, ns_dirs[ns], "cannot be opened", strerror(errno), 0);
		return;
	}
	if (fstat(nfd, &st) == 0)
		fix_mode(f, nfd, &st, 0700, ns_dirs[ns]);
	dfd = dup(nfd);
	top = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!top) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	rewinddir(top);
	while ((de = readdir(top))) {
		char path[PATH_MAX];
		int sfd;
		DIR *sd;
		struct dirent *fe;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", ns_dirs[ns], de->d_name);
		if (!st_is_hex_name(de->d_name, 2)) {
			quarantine(f, nfd, de->d_name, path, "unexpected entry");
			continue;
		}
		sfd = st_open_dir_at(nfd, de->d_name);
		if (sfd < 0) {
			quarantine(f, nfd, de->d_name, path, "is not a directory (or a symbolic link to one)");
			continue;
		}
		if (fstat(sfd, &st) == 0)
			fix_mode(f, sfd, &st, 0700, path);
		sd = fdopendir(sfd);
		if (!sd) {
			close(sfd);
			continue;
		}
		while ((fe = readdir(sd)))
			if (strcmp(fe->d_name, ".") && strcmp(fe->d_name, ".."))
				fsck_leaf(f, ns, dirfd(sd), de->d_name, fe->d_name);
		closedir(sd);
	}
	closedir(top);
}

/* Organisations the sealed list names whose file is gone. Their members
 * are refused (a store error, never the default policy); with --repair an
 * entry no account names any more is dropped from the list. */
struct listed {
	struct fsck *f;
	char (*gone)[65];
	size_t ngone;
	unsigned *members;
	int oom;
};

static void note_listed(void *ctx, const char *hex)
{
	struct listed *l = ctx;
	int fd = st_subdir(l->f->s, NS_ORGS, hex, 0), there;
	void *nv;

	there = fd >= 0 && faccessat(fd, hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (fd >= 0)
		close(fd);
	if (there)
		return;
	nv = realloc(l->gone, (l->ngone + 1) * sizeof *l->gone);
	if (!nv) {
		l->oom = 1;
		return;
	}
	l->gone = nv;
	memcpy(l->gone[l->ngone++], hex, 65);
}

static int count_members(void *ctx, const struct account *a)
{
	struct listed *l = ctx;
	struct acct_ref ref;

	if (!a->org[0] || store_ref_ns(l->f->s, NS_ORGS, a->org, &ref))
		return 0;
	for (size_t i = 0; i < l->ngone; i++)
		if (!strcmp(ref.hex, l->gone[i]))
			l->members[i]++;
	return 0;
}

static void fsck_orgs_listed(struct fsck *f)
{
	struct listed l = { .f = f };
	struct index *ix = st_orgs_snapshot(f->s);
	int counted;

	if (!ix) {
		finding(f, "orgs.index", f->s->err, NULL, 0);
		return;
	}
	st_orgs_snapshot_each(ix, note_listed, &l);
	st_orgs_snapshot_free(ix);
	if (!l.ngone || l.oom || !(l.members = calloc(l.ngone, sizeof *l.members))) {
		free(l.gone);
		return;
	}
	counted = store_iterate(f->s, count_members, &l) == ST_OK;
	for (size_t i = 0; i < l.ngone; i++) {
		char path[96], problem[160];

		snprintf(path, sizeof path, "orgs/%.2s/%s", l.gone[i], l.gone[i]);
		if (!counted) {
			snprintf(problem, sizeof problem, "is named by the sealed list of organisations but missing "
			         "(removed?); its members could not be counted");
			finding(f, path, problem, NULL, 0);
		} else if (l.members[i] || !f->repair) {
			snprintf(problem, sizeof problem, "is named by the sealed list of organisations but missing "
			         "(removed?); %u account%s belong%s to it", l.members[i], l.members[i] == 1 ? "" : "s",
			         l.members[i] == 1 ? "s" : "");
			finding(f, path, problem, l.members[i] ? "restore the file, or move its members with user "
			        "set --org" : NULL, 0);
		} else if (st_orgs_remove(f->s, l.gone[i]) == ST_OK) {
			finding(f, path, "is named by the sealed list of organisations but missing; no account "
			        "belongs to it", "dropped from the list", 1);
		} else {
			finding(f, path, "is named by the sealed list of organisations but missing", f->s->err, 0);
		}
	}
	free(l.members);
	free(l.gone);
}

/* The audit log: a torn last line (a write cut short: by a crash, a full
 * disk, or someone appending) stops every writer until it is cut; --repair
 * cuts it, keeps its bytes in quarantine/ and records the cut in a sealed
 * line. Damage anywhere else is evidence, never repaired. */
static void fsck_audit(struct fsck *f, int64_t now)
{
	char qname[64] = "", problem[96], action[160];
	off_t torn = 0;
	uint64_t bad = 0;
	int ret = st_audit_cut_torn(f->s, 0, -1, now, &torn, qname, sizeof qname);

	if (ret == ST_OK && torn && f->repair) {
		int qfd = quarantine_fd(f);

		ret = qfd < 0 ? st_fail(f->s, ST_BAD, "cannot create 'quarantine': %s", strerror(errno))
		              : st_audit_cut_torn(f->s, 1, qfd, now, &torn, qname, sizeof qname);
	}
	if (ret != ST_OK) {
		finding(f, "audit.log", f->s->err, NULL, 0);
	} else if (torn) {
		snprintf(problem, sizeof problem, "ends in a torn line of %lld bytes (a write was cut short)",
		         (long long)torn);
		if (!f->repair) {
			finding(f, "audit.log", problem, NULL, 0);
		} else {
			snprintf(action, sizeof action, "cut, the bytes kept in quarantine/%s", qname);
			finding(f, "audit.log", problem, action, 1);
		}
	}
	if (st_audit_walk(f->s, NULL, NULL, NULL, &bad, 1) != ST_OK)
		finding(f, "audit.log", f->s->err, "not repairable: keep the file as evidence", 0);
}

/* A rotation cut short (audit.log.new left) is finished, or its stale new
 * file removed; the closed files of audit/ get their mode checked. */
static void fsck_rotation(struct fsck *f)
{
	int afd, fin = 0;
	DIR *d;
	struct dirent *de;

	if (faccessat(f->s->dirfd, "audit.log.new", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!f->repair)
			finding(f, "audit.log.new", "an audit rotation was cut short", NULL, 0);
		else if (st_audit_finish_rotation(f->s, &fin) != ST_OK)
			finding(f, "audit.log.new", f->s->err, NULL, 0);
		else
			finding(f, "audit.log.new", "an audit rotation was cut short",
			        fin > 0 ? "finished" : "removed (the rotation had not begun)", 1);
	}
	afd = openat(f->s->dirfd, "audit", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0) {
		if (errno != ENOENT)
			finding(f, "audit/", errno == ENOTDIR || errno == ELOOP ? "is not a directory"
			                                                       : "cannot be opened", NULL, 0);
		return;
	}
	d = fdopendir(afd);
	if (!d) {
		close(afd);
		return;
	}
	while ((de = readdir(d))) {
		char path[300];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "audit/%s", de->d_name);
		if (fstatat(afd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1) {
			finding(f, path, "is not a plain file with one link", NULL, 0);
			continue;
		}
		if (strlen(de->d_name) > 7 && !strcmp(de->d_name + strlen(de->d_name) - 7, ".log.rk")) {
			if (!f->repair)
				finding(f, path, "leftover file of an interrupted write", NULL, 0);
			else if (unlinkat(afd, de->d_name, 0) == 0)
				finding(f, path, "leftover file of an interrupted write", "removed", 1);
			continue;
		}
		{
			int fd = openat(afd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0) {
				fix_mode(f, fd, &st, 0600, path);
				close(fd);
			}
		}
	}
	closedir(d);
}

int store_fsck(struct store *s, int repair, int64_t now, store_fsck_fn report, void *ctx,
               unsigned *problems, unsigned *fixed)
{
	struct fsck f = { .s = s, .repair = repair, .report = report, .ctx = ctx, .qfd = -1 };
	static const char *const top[] = { "config", "store.lock", "audit.log", "key.check", "orgs.index" };
	DIR *d;
	struct dirent *de;
	int dfd, ret = ST_OK;

	/* --repair holds the whole store, and answers 7 if the key changed
	 * while it waited: a file is quarantined only when it fails under the
	 * key that is current with the lock held. A check alone holds a
	 * reader's lock, so no rekey runs under it. */
	if ((ret = repair ? store_lock_all(s) : st_read_begin(s)))
		return ret;
	fsck_rotation(&f);   /* first: a rotation it finishes puts audit.log back */
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		struct stat st;
		int fd = openat(s->dirfd, top[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			finding(&f, top[i], errno == ELOOP ? "is a symbolic link" : "is missing or unreadable", NULL, 0);
			continue;
		}
		if (fstat(fd, &st) == 0) {
			if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
				finding(&f, top[i], "is not a plain file with one link", NULL, 0);
			else
				fix_mode(&f, fd, &st, 0600, top[i]);
		}
		close(fd);
	}
	/* leftover temp files of config writes */
	dfd = dup(s->dirfd);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d) {
		rewinddir(d);
		while ((de = readdir(d))) {
			struct stat st;

			if (!strncmp(de->d_name, ".tmp-", 5) &&
			    fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && temp_in_progress(&st))
				continue;
			if (!strncmp(de->d_name, ".tmp-", 5) || !strcmp(de->d_name, "master.key.rk") ||
			    !strcmp(de->d_name, "key.check.rk") || !strcmp(de->d_name, "audit.log.rk") ||
			    !strcmp(de->d_name, "config.rk") || !strcmp(de->d_name, "orgs.index.rk") ||
			    !strcmp(de->d_name, "rekey.old")) {
				if (!repair)
					finding(&f, de->d_name, "leftover file of an interrupted write", NULL, 0);
				else if (unlinkat(s->dirfd, de->d_name, 0) == 0)
					finding(&f, de->d_name, "leftover file of an interrupted write", "removed", 1);
			}
		}
		closedir(d);
	} else if (dfd >= 0) {
		close(dfd);
	}
	if (store_config_state(s) != STORE_CONFIG_SEALED) {
		st_config_refuse(s);
		finding(&f, "config", s->err, NULL, 0);
	}
	f.unmarked = !st_marked(s) && s->xattrs == 1;
	for (int ns = 0; ns < NS_COUNT; ns++)
		fsck_ns(&f, (enum ns)ns);
	if (f.unmarked) {
		static const char why[] = "records carry no generation marker (a store made before generations "
		                          "were kept: an old copy of a record put back goes unnoticed)";

		if (!repair)
			finding(&f, "store.lock", why, NULL, 0);
		else if (!f.mark_failed && st_mark_store(s) == ST_OK)
			finding(&f, "store.lock", why, "every record marked with its generation", 1);
		else
			finding(&f, "store.lock", why, f.mark_failed ? "some record could not be marked" : s->err, 0);
	}
	fsck_orgs_listed(&f);
	fsck_audit(&f, now);
	if (f.qfd >= 0)
		close(f.qfd);
	if (repair)
		store_unlock_all(s);
	else
		st_read_end(s);
	*problems = f.problems;
	*fixed = f.fixed;
	return ST_OK;
}

