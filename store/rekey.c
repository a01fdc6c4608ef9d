/* SPDX-License-Identifier: ISC */
/* store/rekey.c — rekey: a new master key, every file sealed again, crash-safe. */
#include "store/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <dirent.h>

/* ---- rekey ----
 * 0. rekey.begin is created: from here on an open knows to recover;
 * 1. the new key and key.check are written as *.rk files, every sealed file
 *    is written again under the new key and its new name as <hex>.rk, the
 *    audit log as audit.log.rk, and the old file names go to rekey.old;
 * 2. rekey.commit is created: the commit point;
 * 3. roll forward: *.rk renamed into place, the old files removed, then the
 *    key last; rekey.old and rekey.commit removed.
 * A crash before 2 leaves the old store (the .rk files are rolled back at the
 * next open); a crash after it is rolled forward at the next open. Both
 * happen under the whole-store lock, which the rekey holds throughout. */

static int key_path(struct store *s, char *path, size_t cap, int *dirfd_out, char *base, size_t bcap)
{
	const char *kf = store_config_get(s, "key.file");

	if (!kf) {
		snprintf(path, cap, "master.key");
		snprintf(base, bcap, "master.key");
		*dirfd_out = dup(s->dirfd);
		return *dirfd_out < 0 ? -1 : 0;
	}
	{
		char dir[PATH_MAX];
		const char *slash = strrchr(kf, '/');

		snprintf(path, cap, "%s", kf);
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - kf), kf);
		if (!dir[0])
			snprintf(dir, sizeof dir, "/");
		snprintf(base, bcap, "%s", slash + 1);
		*dirfd_out = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return *dirfd_out < 0 ? -1 : 0;
	}
}

static int has_suffix(const char *n, const char *suf)
{
	size_t a = strlen(n), b = strlen(suf);

	return a > b && !strcmp(n + a - b, suf);
}

static int rk_closed_logs(struct store *s, int forward);

/* Rename (forward) or remove (back) every <hex>.rk of every namespace. */
static int rk_files(struct store *s, int forward)
{
	for (int ns = 0; ns < NS_COUNT; ns++) {
		int nfd = st_ns_fd(s, (enum ns)ns), dfd = nfd >= 0 ? dup(nfd) : -1;
		DIR *top = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;

		if (!top) {
			if (dfd >= 0)
				close(dfd);
			return -1;
		}
		rewinddir(top);
		while ((de = readdir(top))) {
			int sfd;
			DIR *sd;
			struct dirent *fe;

			if (!st_is_hex_name(de->d_name, 2) || (sfd = st_open_dir_at(nfd, de->d_name)) < 0)
				continue;
			sd = fdopendir(sfd);
			if (!sd) {
				close(sfd);
				continue;
			}
			while ((fe = readdir(sd))) {
				char final[80];

				if (!has_suffix(fe->d_name, ".rk"))
					continue;
				if (!forward) {
					unlinkat(dirfd(sd), fe->d_name, 0);
					continue;
				}
				snprintf(final, sizeof final, "%.*s", (int)(strlen(fe->d_name) - 3), fe->d_name);
				if (renameat(dirfd(sd), fe->d_name, dirfd(sd), final) < 0 && errno != ENOENT) {
					closedir(sd);
					closedir(top);
					return -1;
				}
			}
			fsync(dirfd(sd));
			closedir(sd);
		}
		closedir(top);
	}
	return 0;
}

static int roll_forward(struct store *s)
{
	uint8_t *list = NULL;
	size_t len = 0;
	char kpath[PATH_MAX], kbase[NAME_MAX + 1], krk[NAME_MAX + 8];
	int kdir = -1;

	if (rk_files(s, 1) < 0)
		return st_fail(s, ST_BAD, "rekey: cannot move the new files into place: %s", strerror(errno));
	if (st_read_file_at(s->dirfd, "rekey.old", &list, &len, 1u << 30, NULL) == 0) {
		char *save = NULL;

		for (char *l = strtok_r((char *)list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *sl1 = strchr(l, '/'), *sl2 = sl1 ? strchr(sl1 + 1, '/') : NULL;
			int ns;

			if (!sl2)
				continue;
			*sl1 = '\0';
			for (ns = 0; ns < NS_COUNT && strcmp(ns_dirs[ns], l); ns++)
				;
			if (ns == NS_COUNT)
				continue;
			{
				int sfd = st_subdir(s, (enum ns)ns, sl2 + 1, 0);

				if (sfd >= 0) {
					unlinkat(sfd, sl2 + 1, 0);
					fsync(sfd);
					close(sfd);
				}
			}
		}
		free(list);
	}
	if (rk_closed_logs(s, 1) < 0)
		return st_fail(s, ST_BAD, "rekey: cannot replace the closed audit files: %s", strerror(errno));
	if (renameat(s->dirfd, "audit.log.rk", s->dirfd, "audit.log") < 0 && errno != ENOENT)
		return st_fail(s, ST_BAD, "rekey: cannot replace audit.log: %s", strerror(errno));
	if (renameat(s->dirfd, "config.rk", s->dirfd, "config") < 0 && errno != ENOENT)
		return st_fail(s, ST_BAD, "rekey: cannot replace config: %s", strerror(errno));
	if (renameat(s->dirfd, "orgs.index.rk", s->dirfd, "orgs.index") < 0 && errno != ENOENT)
		return st_fail(s, ST_BAD, "rekey: cannot replace orgs.index: %s", strerror(errno));
	if (renameat(s->dirfd, "key.check.rk", s->dirfd, "key.check") < 0 && errno != ENOENT)
		return st_fail(s, ST_BAD, "rekey: cannot replace key.check: %s", strerror(errno));
	if (key_path(s, kpath, sizeof kpath, &kdir, kbase, sizeof kbase) < 0)
		return st_fail(s, ST_BAD, "rekey: cannot open the key's directory: %s", strerror(errno));
	snprintf(krk, sizeof krk, "%s.rk", kbase);
	if (renameat(kdir, krk, kdir, kbase) < 0 && errno != ENOENT) {
		close(kdir);
		return st_fail(s, ST_BAD, "rekey: cannot replace the master key: %s", strerror(errno));
	}
	fsync(kdir);
	close(kdir);
	fsync(s->dirfd);
	unlinkat(s->dirfd, "rekey.old", 0);
	unlinkat(s->dirfd, "rekey.commit", 0);
	fsync(s->dirfd);
	unlinkat(s->dirfd, "rekey.begin", 0);
	fsync(s->dirfd);
	return ST_OK;
}

static void roll_back(struct store *s)
{
	char kpath[PATH_MAX], kbase[NAME_MAX + 1], krk[NAME_MAX + 8];
	int kdir = -1;

	rk_files(s, 0);
	rk_closed_logs(s, 0);
	unlinkat(s->dirfd, "audit.log.rk", 0);
	unlinkat(s->dirfd, "config.rk", 0);
	unlinkat(s->dirfd, "orgs.index.rk", 0);
	unlinkat(s->dirfd, "key.check.rk", 0);
	unlinkat(s->dirfd, "rekey.old", 0);
	if (key_path(s, kpath, sizeof kpath, &kdir, kbase, sizeof kbase) == 0) {
		snprintf(krk, sizeof krk, "%s.rk", kbase);
		unlinkat(kdir, krk, 0);
		fsync(kdir);
		close(kdir);
	}
	fsync(s->dirfd);
	unlinkat(s->dirfd, "rekey.begin", 0);
	fsync(s->dirfd);
}

/* rekey.begin is the first file a rekey writes and the last one either
 * ending removes: one look at it tells every open whether to recover. */
static int rekey_pending(struct store *s, int *committed)
{
	*committed = 0;
	if (faccessat(s->dirfd, "rekey.begin", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	*committed = faccessat(s->dirfd, "rekey.commit", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	return 1;
}

int st_rekey_recover(struct store *s)
{
	int committed, ret;

	if (!rekey_pending(s, &committed))
		return ST_OK;
	if (s->readonly)
		return st_fail(s, ST_BAD, "an interrupted rekey cannot be finished on a read-only store (%s)",
		               s->ro_err);
	/* before a key is loaded: no epoch to check (a rekey running now holds
	 * this lock; we get it when it is done) */
	if ((ret = st_lock_range(s, 0, 0, F_WRLCK)))
		return ret;
	if (rekey_pending(s, &committed)) {
		if (committed)
			ret = roll_forward(s);
		else
			roll_back(s);
	}
	st_unlock_range(s, 0, 0);
	return ret;
}

struct rekey_ctx {
	struct store *s;
	uint8_t *newkeys;      /* SK_COUNT subkeys of the new master key */
	FILE *old;             /* rekey.old */
	struct st_orgs_rekey *orgs;   /* the sealed list of organisations, renamed */
	enum ns ns;
	size_t done, total;
	store_progress_fn progress;
	void *pctx;
	int err;
};

static void wipe_free(char *p, size_t n)
{
	if (p) {
		sodium_memzero(p, n);
		free(p);
	}
}

/* An account record from before per-account code keys: its hashes were made
 * under the old master key's code subkey, which this rekey throws away, so
 * that subkey (and the old file name, for records without a uid) goes into
 * the record it re-seals: every backup code, device token, pending code and
 * link stays valid. *pt and *len then point at the new JSON, in *up. */
static int rekey_upgrade(struct store *s, const char *oldhex, const uint8_t **pt, size_t *len,
                         char **up, size_t *uplen)
{
	struct account *a = account_new();
	int ret = 0;

	if (!a || record_from_json((const char *)*pt, *len, a) != CORE_OK) {
		account_free(a);
		st_fail(s, ST_BAD, "rekey: an account file holds a record this twofactl cannot read: run fsck");
		return -1;
	}
	if (account_upgrade(a, oldhex, store_subkey(s, SK_CODE))) {
		if (record_to_json(a, up, uplen) != CORE_OK) {
			st_fail(s, ST_BAD, "out of memory");
			ret = -1;
		} else {
			*pt = (const uint8_t *)*up;
			*len = *uplen;
		}
	}
	account_free(a);
	return ret;
}

static int rekey_one(void *ctx, const uint8_t *pt, size_t len)
{
	struct rekey_ctx *r = ctx;
	struct store *s = r->s;
	char name[RECORD_NAME_MAX], hex[65], rk[72];
	crypto_generichash_state st;
	uint8_t h[32], *out = NULL;
	struct acct_ref old;
	int sfd, fd, ok;
	size_t clen = 0, uplen = 0;
	char *up = NULL;

	if (st_record_name(r->ns, pt, len, name) || store_ref_ns(s, r->ns, name, &old)) {
		st_fail(s, ST_BAD, "rekey: a file in '%s' holds a record this twofactl cannot read: run fsck", ns_dirs[r->ns]);
		return -1;
	}
	if (r->ns == NS_ACCOUNTS && rekey_upgrade(s, old.hex, &pt, &len, &up, &uplen) < 0)
		return -1;
	crypto_generichash_init(&st, r->newkeys + KEY_LEN * SK_NAME, KEY_LEN, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ns_prefix[r->ns], strlen(ns_prefix[r->ns]));
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	/* format 2, generation 1 under its new name, the attribute set before
	 * the rename moves it into place */
	ok = st_rec_seal_new(r->newkeys + KEY_LEN * SK_AEAD, hex, 1, pt, len, &out, &clen) == 0;
	wipe_free(up, uplen);
	if (!ok) {
		st_fail(s, ST_BAD, "out of memory");
		return -1;
	}
	snprintf(rk, sizeof rk, "%s.rk", hex);
	sfd = st_subdir(s, r->ns, hex, 1);
	fd = sfd >= 0 ? openat(sfd, rk, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	ok = fd >= 0 && st_write_all(fd, out, clen) == 0 && fsync(fd) == 0 && st_gen_set(s, fd, 1) == ST_OK;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok)
		fsync(sfd);
	free(out);
	if (sfd >= 0)
		close(sfd);
	if (!ok) {
		st_fail(s, ST_BAD, "rekey: cannot write '%s/%.2s/%s': %s", ns_dirs[r->ns], hex, rk, strerror(errno));
		return -1;
	}
	if (r->ns == NS_ORGS && st_orgs_rekey_one(r->orgs, old.hex, hex)) {
		st_fail(s, ST_BAD, "out of memory");
		return -1;
	}
	fprintf(r->old, "%s/%.2s/%s\n", ns_dirs[r->ns], old.hex, old.hex);
	r->done++;
	if (r->progress && (r->done % 500 == 0 || r->done == r->total))
		r->progress(r->pctx, r->done, r->total);
	return 0;
}

/* The audit log is sealed again line by line, every file of it (the
 * closed ones in audit/ as audit/<seq>.log.rk, audit.log as audit.log.rk):
 * sequence numbers are kept, the chain hashes follow the new lines, and a
 * chain that starts at a rotation's opening line keeps its anchor. */
struct reseal {
	struct store *s;
	const uint8_t *newaudit;
	FILE *out;
	uint8_t prev[32];
	int started;
};

static int reseal_line(void *ctx, uint64_t seq, const uint8_t prev[32], const char *event)
{
	struct reseal *r = ctx;
	char prevhex[65], *l;
	size_t n;

	if (!r->started) {
		memcpy(r->prev, prev, sizeof r->prev);
		r->started = 1;
	}
	sodium_bin2hex(prevhex, sizeof prevhex, r->prev, sizeof r->prev);
	l = st_audit_line(r->newaudit, seq, prevhex, event, &n, r->prev);
	if (!l)
		return 1;
	if (fwrite(l, 1, n, r->out) != n) {
		free(l);
		return 1;
	}
	free(l);
	return 0;
}

static int reseal_audit(struct store *s, const uint8_t *newaudit)
{
	struct reseal rs = { .s = s, .newaudit = newaudit };
	struct st_audit_files af;
	struct st_chain c = { 0 };
	uint64_t bad = 0;
	int ret;

	if ((ret = st_audit_files_open(s, &af)))
		return ret;
	for (size_t i = 0; i < af.n && !ret; i++) {
		char rk[48];
		int dirfd = s->dirfd, fd;

		snprintf(rk, sizeof rk, "%s.rk", af.label[i]);
		fd = openat(dirfd, rk, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		rs.out = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!rs.out) {
			ret = st_fail(s, ST_BAD, "rekey: cannot write '%s': %s", rk, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		/* a broken chain is not carried over (the walk's message stands) */
		ret = st_audit_walk_fd(s, af.fd[i], af.size[i], af.label[i], &c, reseal_line, &rs, &bad, 0);
		if (!ret && c.stopped)
			ret = st_fail(s, ST_BAD, "rekey: cannot write '%s': %s", rk, strerror(errno ? errno : ENOMEM));
		if (fflush(rs.out) || fsync(fileno(rs.out))) {
			if (!ret)
				ret = st_fail(s, ST_BAD, "rekey: cannot write '%s': %s", rk, strerror(errno));
		}
		/* the new log's tail, as an append would have recorded it */
		if (!ret && !strcmp(af.label[i], "audit.log") && c.last)
			ret = st_audit_tail_set(s, fileno(rs.out), c.last, rs.prev);
		fclose(rs.out);
	}
	st_audit_files_close(&af);
	return ret;
}

/* Move (forward) or remove (back) audit/<seq>.log.rk. */
static int rk_closed_logs(struct store *s, int forward)
{
	int afd = openat(s->dirfd, "audit", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), dfd;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (afd < 0)
		return errno == ENOENT ? 0 : -1;
	dfd = dup(afd);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		close(afd);
		return -1;
	}
	while ((de = readdir(d))) {
		char final[64];

		if (!has_suffix(de->d_name, ".log.rk"))
			continue;
		if (!forward) {
			unlinkat(afd, de->d_name, 0);
			continue;
		}
		snprintf(final, sizeof final, "%.*s", (int)(strlen(de->d_name) - 3), de->d_name);
		if (renameat(afd, de->d_name, afd, final) < 0 && errno != ENOENT)
			ret = -1;
	}
	closedir(d);
	if (fsync(afd) < 0)
		ret = -1;
	close(afd);
	return ret;
}

static int count_one(void *ctx, const uint8_t *pt, size_t len)
{
	(void)pt;
	(void)len;
	(*(size_t *)ctx)++;
	return 0;
}

static int write_new_file(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ok = fd >= 0 && fchmod(fd, 0600) == 0 && st_write_all(fd, data, len) == 0 && fsync(fd) == 0;

	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	return ok ? 0 : -1;
}

int store_rekey(struct store *s, store_progress_fn progress, void *pctx, size_t *count)
{
	struct rekey_ctx r = { .s = s, .progress = progress, .pctx = pctx };
	uint8_t *master = sodium_malloc(KEY_LEN), cv[CHECK_LEN];
	char kpath[PATH_MAX], kbase[NAME_MAX + 1], krk[NAME_MAX + 8];
	int kdir = -1, ret, fd = -1;

	r.newkeys = sodium_malloc(KEY_LEN * SK_COUNT);
	if (!master || !r.newkeys) {
		sodium_free(master);
		sodium_free(r.newkeys);
		return st_fail(s, ST_BAD, "cannot allocate secure memory");
	}
	if ((ret = store_lock_all(s)))   /* and the key checked again under it */
		goto free_keys;
	if ((ret = st_audit_ready(s)))
		goto unlock;
	/* the settings as they are under the lock are sealed again: never a
	 * hand edit made since this process opened the store */
	if ((ret = st_config_load(s)))
		goto unlock;
	st_config_verify(s);
	if ((ret = st_config_refuse(s)) || !(r.orgs = st_orgs_rekey_begin(s))) {
		ret = ST_BAD;
		goto unlock;
	}
	roll_back(s);   /* leftovers of an earlier, uncommitted rekey */
	if (write_new_file(s->dirfd, "rekey.begin", "", 0) < 0 || fsync(s->dirfd) < 0) {
		st_fail(s, ST_BAD, "rekey: cannot begin: %s", strerror(errno));
		ret = ST_BAD;
		goto unlock;
	}
	randombytes_buf(master, KEY_LEN);
	for (int k = 1; k < SK_COUNT; k++)
		crypto_kdf_derive_from_key(r.newkeys + KEY_LEN * k, KEY_LEN, (uint64_t)k, KDF_CTX, master);
	st_key_check_value(r.newkeys + KEY_LEN * SK_CHECK, cv);
	/* 1: everything new, next to the old */
	ret = ST_BAD;
	if (key_path(s, kpath, sizeof kpath, &kdir, kbase, sizeof kbase) < 0) {
		st_fail(s, ST_BAD, "rekey: cannot open the key's directory: %s", strerror(errno));
		goto unlock;
	}
	snprintf(krk, sizeof krk, "%s.rk", kbase);
	{
		uint8_t *kb = sodium_malloc(WRAP_LEN);
		size_t kblen = 0;
		int kbad = !kb || st_key_file_bytes(s, master, kb, &kblen);

		if (!kbad && write_new_file(kdir, krk, kb, kblen) < 0)
			kbad = 2;
		sodium_free(kb);
		if (kbad == 1) {
			ret = ST_BAD;
			goto unlock;
		}
		if (kbad) {
			st_fail(s, ST_BAD, "rekey: cannot write the new key: %s", strerror(errno));
			goto fail_back;
		}
	}
	if (fsync(kdir) < 0 ||
	    write_new_file(s->dirfd, "key.check.rk", cv, CHECK_LEN) < 0) {
		st_fail(s, ST_BAD, "rekey: cannot write the new key: %s", strerror(errno));
		goto fail_back;
	}
	fd = openat(s->dirfd, "rekey.old", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	r.old = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!r.old) {
		st_fail(s, ST_BAD, "rekey: cannot write 'rekey.old': %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail_back;
	}
	for (int ns = 0; ns < NS_COUNT; ns++)
		if (store_iterate_ns(s, (enum ns)ns, count_one, &r.total))
			goto fail_old;
	for (int ns = 0; ns < NS_COUNT; ns++) {
		r.ns = (enum ns)ns;
		if (store_iterate_ns(s, r.ns, rekey_one, &r))
			goto fail_old;
	}
	if (reseal_audit(s, r.newkeys + KEY_LEN * SK_AUDIT) != ST_OK)
		goto fail_old;
	{
		size_t clen = 0;
		char *cfg = st_config_sealed_text(r.newkeys + KEY_LEN * SK_CONFIG, s->cfg_body, s->cfg_body_len, &clen);

		if (!cfg || write_new_file(s->dirfd, "config.rk", cfg, clen) < 0 ||
		    st_orgs_rekey_write(r.orgs, s->dirfd, r.newkeys + KEY_LEN * SK_CONFIG, "orgs.index.rk") < 0) {
			st_fail(s, ST_BAD, "rekey: cannot write the sealed config: %s", cfg ? strerror(errno) : "out of memory");
			free(cfg);
			goto fail_old;
		}
		free(cfg);
	}
	if (fflush(r.old) || fsync(fileno(r.old))) {
		st_fail(s, ST_BAD, "rekey: cannot write 'rekey.old': %s", strerror(errno));
		goto fail_old;
	}
	fclose(r.old);
	r.old = NULL;
	fsync(s->dirfd);
	/* 2: the commit point */
	if (write_new_file(s->dirfd, "rekey.commit", "", 0) < 0 || fsync(s->dirfd) < 0) {
		st_fail(s, ST_BAD, "rekey: cannot commit: %s", strerror(errno));
		goto fail_back;
	}
	/* 3: roll forward; a crash from here on is finished by the next open */
	if ((ret = roll_forward(s)))
		goto unlock;
	sodium_mprotect_readwrite(s->keys);
	memcpy(s->keys, r.newkeys, KEY_LEN * SK_COUNT);
	sodium_mprotect_readonly(s->keys);
	if (!st_config_load(s))
		st_config_verify(s);
	memcpy(s->check, cv, CHECK_LEN);
	s->epoch++;   /* names made with the old key are stale */
	*count = r.done;
	ret = ST_OK;
	goto unlock;
fail_old:
	if (r.old)
		fclose(r.old);
fail_back:
	{
		char keep[512];

		memcpy(keep, s->err, sizeof keep);
		roll_back(s);
		memcpy(s->err, keep, sizeof keep);
	}
	ret = ST_BAD;
unlock:
	if (kdir >= 0)
		close(kdir);
	store_unlock_all(s);
free_keys:
	st_orgs_rekey_end(r.orgs);
	sodium_free(master);
	sodium_free(r.newkeys);
	return ret;
}

