/* SPDX-License-Identifier: ISC */
/* store/key.c — Opening and creating a store: the master key (raw, kept outside DIR, or
 * wrapped with a passphrase), its subkeys, key.check. */
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- open / create ---- */

static int check_private(struct store *s, const struct stat *st, const char *what)
{
	if (st->st_uid != geteuid())
		return st_fail(s, ST_BAD, "'%s' is owned by uid %u, not by uid %u running twofactl",
		            what, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return st_fail(s, ST_BAD, "'%s' is accessible by group or others (mode %04o): "
		            "chmod %s it", what, (unsigned)(st->st_mode & 07777),
		            S_ISDIR(st->st_mode) ? "700" : "600");
	return ST_OK;
}

void st_key_check_value(const uint8_t *check_key, uint8_t out[CHECK_LEN])
{
	static const char label[] = "twofactl key check v1";

	crypto_generichash(out, CHECK_LEN, (const uint8_t *)label, sizeof label - 1, check_key, KEY_LEN);
}

static int check_key(struct store *s)
{
	uint8_t want[CHECK_LEN], *got = NULL;
	size_t len = 0;
	int ok;

	if (st_read_file_at(s->dirfd, "key.check", &got, &len, 64, NULL) < 0)
		return st_fail(s, ST_BAD, "cannot read 'key.check': %s", strerror(errno));
	st_key_check_value(store_subkey(s, SK_CHECK), want);
	ok = len == CHECK_LEN && sodium_memcmp(want, got, CHECK_LEN) == 0;
	free(got);
	s->check_mismatch = !ok;
	if (!ok)
		return st_fail(s, ST_BAD, "the master key does not belong to this store (wrong key?)");
	memcpy(s->check, want, CHECK_LEN);
	return ST_OK;
}

/* A rekey that died after it began (rekey.begin is still there, and no
 * running rekey holds the lock we were given): the store is half old, half
 * new until the next open finishes or undoes it. */
int st_rekey_interrupted(struct store *s)
{
	return faccessat(s->dirfd, "rekey.begin", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* After a lock is taken: is the key this process loaded still the store's?
 * A rekey that ran while we waited changed every file name and key; one
 * that was killed half-way leaves a mixed store that only an open repairs. */
int st_epoch_ok(struct store *s)
{
	uint8_t buf[CHECK_LEN];
	int fd = openat(s->dirfd, "key.check", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf, 0) : -1;

	if (fd >= 0)
		close(fd);
	if (n != CHECK_LEN || sodium_memcmp(buf, s->check, CHECK_LEN) || st_rekey_interrupted(s))
		return st_fail(s, ST_BUSY, "store busy: it was rekeyed meanwhile, run the command again");
	return ST_OK;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The passphrase: the first line of $TWOFACTL_PASSPHRASE_FILE or of the
 * file config key.passphrase_file names; a private regular file. NULL and
 * a message when there is none. sodium_malloc'd. */
static char *read_passphrase(const char *path, char *err, size_t errlen)
{
	int fd;
	struct stat st;
	char *p;
	ssize_t n;

	if (!path || path[0] != '/') {
		snprintf(err, errlen, "the master key is wrapped with a passphrase: name its file "
		         "(absolute) in $TWOFACTL_PASSPHRASE_FILE");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot read the passphrase file '%s': %s", path,
		         fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen, "the passphrase file '%s' must be 0600 and owned by uid %u",
		         path, (unsigned)geteuid());
		return NULL;
	}
	p = sodium_malloc(1025);
	if (!p) {
		close(fd);
		snprintf(err, errlen, "cannot allocate secure memory");
		return NULL;
	}
	n = read(fd, p, 1024);
	close(fd);
	if (n <= 0) {
		sodium_free(p);
		snprintf(err, errlen, "the passphrase file '%s' is empty", path);
		return NULL;
	}
	p[n] = '\0';
	p[strcspn(p, "\r\n")] = '\0';
	if (!p[0]) {
		sodium_free(p);
		snprintf(err, errlen, "the passphrase file '%s' is empty", path);
		return NULL;
	}
	return p;
}

static int key_wrap(const uint8_t *key, const char *pass, uint8_t out[WRAP_LEN])
{
	uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES), *salt = out + 20,
	        *nonce = salt + crypto_pwhash_SALTBYTES;
	uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	int r = -1;

	if (!kek)
		return -1;
	memcpy(out, WRAP_MAGIC, 4);
	put64(out + 4, ops);
	put64(out + 12, mem);
	randombytes_buf(salt, crypto_pwhash_SALTBYTES);
	randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
	if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, strlen(pass), salt, ops, (size_t)mem,
	                  crypto_pwhash_ALG_ARGON2ID13) == 0)
		r = crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, key, KEY_LEN, nonce, kek);
	sodium_free(kek);
	return r;
}

static int key_unwrap(const uint8_t in[WRAP_LEN], const char *pass, uint8_t *key)
{
	uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
	const uint8_t *salt = in + 20, *nonce = salt + crypto_pwhash_SALTBYTES;
	uint64_t ops = get64(in + 4), mem = get64(in + 12);
	int r = -1;

	if (!kek)
		return -1;
	if (ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= 64 && mem >= crypto_pwhash_MEMLIMIT_MIN &&
	    mem <= (4ULL << 30) &&
	    crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, strlen(pass), salt, ops, (size_t)mem,
	                  crypto_pwhash_ALG_ARGON2ID13) == 0)
		r = crypto_secretbox_open_easy(key, nonce + crypto_secretbox_NONCEBYTES,
		                               KEY_LEN + crypto_secretbox_MACBYTES, nonce, kek);
	sodium_free(kek);
	return r;
}

static const char *passphrase_path(const struct store *s)
{
	return s->pass_env ? s->pass_env : store_config_get(s, "key.passphrase_file");
}

/* The bytes of a key file for key: raw, or wrapped when the store is. */
int st_key_file_bytes(struct store *s, const uint8_t *key, uint8_t out[WRAP_LEN], size_t *len)
{
	char *pass;

	if (!s->wrapped) {
		memcpy(out, key, KEY_LEN);
		*len = KEY_LEN;
		return 0;
	}
	pass = read_passphrase(passphrase_path(s), s->err, sizeof s->err);
	if (!pass)
		return -1;
	*len = WRAP_LEN;
	if (key_wrap(key, pass, out)) {
		sodium_free(pass);
		st_fail(s, ST_BAD, "cannot wrap the key (out of memory?)");
		return -1;
	}
	sodium_free(pass);
	return 0;
}

static int load_key(struct store *s)
{
	const char *kf = store_config_get(s, "key.file");
	int fd, e;
	struct stat st;
	uint8_t *master = NULL;
	ssize_t r;
	int ret;

	if (kf && kf[0] != '/')
		return st_fail(s, ST_BAD, "'config': key.file must be an absolute path");
	fd = kf ? open(kf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
	        : openat(s->dirfd, "master.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return st_fail(s, ST_BAD, "cannot open master key '%s': %s",
		            kf ? kf : "master.key", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return st_fail(s, ST_BAD, "master key '%s' is not a regular file", kf ? kf : "master.key");
	}
	if ((ret = check_private(s, &st, kf ? kf : "master.key"))) {
		close(fd);
		return ret;
	}
	if (st.st_size != KEY_LEN && st.st_size != WRAP_LEN) {
		close(fd);
		return st_fail(s, ST_BAD, "master key '%s' has %lld bytes, expected %d",
		            kf ? kf : "master.key", (long long)st.st_size, KEY_LEN);
	}
	master = sodium_malloc(WRAP_LEN);
	if (s->keys)
		sodium_free(s->keys);
	s->keys = sodium_malloc(KEY_LEN * SK_COUNT);
	if (!master || !s->keys) {
		close(fd);
		sodium_free(master);
		return st_fail(s, ST_BAD, "cannot allocate secure memory");
	}
	do
		r = read(fd, master, (size_t)st.st_size);
	while (r < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (r != st.st_size) {
		sodium_free(master);
		return st_fail(s, ST_BAD, "cannot read master key: %s", r < 0 ? strerror(e) : "short read");
	}
	if (st.st_size == WRAP_LEN) {
		uint8_t *raw = sodium_malloc(KEY_LEN);
		char *pass;

		if (!raw || memcmp(master, WRAP_MAGIC, 4)) {
			sodium_free(raw);
			sodium_free(master);
			return st_fail(s, ST_BAD, "master key '%s' is damaged", kf ? kf : "master.key");
		}
		pass = read_passphrase(passphrase_path(s), s->err, sizeof s->err);
		if (!pass) {
			sodium_free(raw);
			sodium_free(master);
			return ST_BAD;
		}
		ret = key_unwrap(master, pass, raw);
		sodium_free(pass);
		if (ret) {
			sodium_free(raw);
			sodium_free(master);
			return st_fail(s, ST_BAD, "the passphrase does not open the master key (wrong passphrase?)");
		}
		memcpy(master, raw, KEY_LEN);
		sodium_free(raw);
		s->wrapped = 1;
	}
	for (int k = 1; k < SK_COUNT; k++)
		crypto_kdf_derive_from_key(s->keys + KEY_LEN * k, KEY_LEN, (uint64_t)k, KDF_CTX, master);
	sodium_free(master);
	sodium_mprotect_readonly(s->keys);
	return check_key(s);
}

/* The key changed under us (a rekey finished while we waited for a
 * reader's lock): load the new one, and the config with it. Records
 * referred to before are refused from now on (their epoch is old). */
int st_reload_key(struct store *s)
{
	int ret;

	if (st_rekey_interrupted(s))
		return st_fail(s, ST_BUSY, "store busy: an interrupted rekey must be finished first, "
		               "run the command again");
	if ((ret = st_config_load(s)) || (ret = load_key(s)))
		return ret;
	s->epoch++;
	st_config_verify(s);
	return (s->open_flags & STORE_OPEN_ANY_CONFIG) ? ST_OK : st_config_refuse(s);
}

const uint8_t *store_subkey(const struct store *s, enum subkey k)
{
	return s->keys + KEY_LEN * k;
}

int st_open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}


int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	return store_open_flags(dir, 0, out, err, errlen);
}

int store_open_flags(const char *dir, int flags, struct store **out, char *err, size_t errlen)
{
	return store_open_env(dir, flags, NULL, out, err, errlen);
}

int store_open_env(const char *dir, int flags, const struct store_env *env, struct store **out, char *err,
                   size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	struct stat st;
	const char *lt;
	int ret = ST_BAD;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return ST_BAD;
	}
	s->dirfd = s->lockfd = -1;
	s->shared = s->direct = s->xattrs = s->marked = -1;
	if (env && (env->shared == 0 || env->shared == 1))
		s->shared = env->shared;
	if (env && env->passphrase_file && *env->passphrase_file)
		s->pass_env = strdup(env->passphrase_file);
	for (int i = 0; i < NS_COUNT; i++)
		s->nsfd[i] = -1;
	s->lock_timeout = 15;
	s->open_flags = flags;
	s->path = strdup(dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		if (errno == ENOENT)
			st_fail(s, ST_BAD, "no store at '%s': create one with twofactl init", dir);
		else
			st_fail(s, ST_BAD, "cannot open store '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(s->dirfd, &st) < 0 || check_private(s, &st, dir))
		goto out;
	if (st_config_load(s))
		goto out;
	if ((lt = store_config_get(s, "lock.timeout"))) {
		long v = strtol(lt, NULL, 10);
		if (v >= 1 && v <= 3600)
			s->lock_timeout = (int)v;
	}
	s->nsfd[NS_ACCOUNTS] = st_open_dir_at(s->dirfd, "accounts");
	if (s->nsfd[NS_ACCOUNTS] < 0) {
		st_fail(s, ST_BAD, "cannot open '%s/accounts': %s", dir, strerror(errno));
		goto out;
	}
	s->lockfd = openat(s->dirfd, "store.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM)) {
		/* a read-only store can still be read and checked (fsck, audit
		 * verify, user list): readers take shared locks, which a file
		 * opened for reading allows; every writer gets this message */
		snprintf(s->ro_err, sizeof s->ro_err, "cannot open '%s/store.lock': %s", dir, strerror(errno));
		s->lockfd = openat(s->dirfd, "store.lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		s->readonly = s->lockfd >= 0;
		if (s->lockfd < 0)
			errno = EROFS;
	}
	if (s->lockfd < 0) {
		st_fail(s, ST_BAD, "cannot open '%s/store.lock': %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(s->lockfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		st_fail(s, ST_BAD, "'%s/store.lock' is not a plain file", dir);
		goto out;
	}
	if (st_rekey_interrupted(s) && (st_rekey_recover(s) || st_config_load(s)))
		goto out;   /* (the config read again: the rekey sealed it anew) */
	if (load_key(s)) {
		/* a rekey may have swapped key.check between our reads of the key
		 * and of key.check: wait for it (or finish an interrupted one)
		 * and try once more */
		if (!s->check_mismatch || st_rekey_recover(s) || st_config_load(s) || load_key(s))
			goto out;
	}
	st_config_verify(s);
	/* a rekey may have sealed the config anew between our reads of it and
	 * of the key: read it once more under the key we hold now */
	if (!(flags & STORE_OPEN_ANY_CONFIG) && s->cfg_state != STORE_CONFIG_SEALED && !st_config_load(s))
		st_config_verify(s);
	if (!(flags & STORE_OPEN_ANY_CONFIG) && st_config_refuse(s))
		goto out;
	*out = s;
	return ST_OK;
out:
	snprintf(err, errlen, "%s", s->err);
	store_close(s);
	return ret;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	for (int i = 0; i < NS_COUNT; i++)
		if (s->nsfd[i] >= 0)
			close(s->nsfd[i]);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->keys)
		sodium_free(s->keys);
	st_config_free(s);
	free(s->path);
	free(s->pass_env);
	free(s);
}

static int create_file_at(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e;

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 || st_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* No entry but . and .. (1), or some (0). */
static int dir_empty(int dfd)
{
	int fd = dup(dfd), empty = 1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int store_create(const char *dir, const char *key_file, const char *pass_file, char *err, size_t errlen)
{
	int dfd = -1, ret = ST_BAD, kfd = -1, made = 0;
	uint8_t *key = NULL, *kbytes = NULL, *cfgkey = NULL;
	size_t klen = KEY_LEN;
	struct stat st;
	static const char cfg_head[] = "# twofactl configuration: twofactl config set KEY VALUE\n";

	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
		return ST_BAD;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOTDIR) {
		snprintf(err, errlen, "'%s' exists and is not a directory", dir);
		ret = ST_EXIST;
		goto out;
	}
	if (dfd < 0 || fstat(dfd, &st) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (faccessat(dfd, "master.key", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dfd, "accounts", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(err, errlen, "'%s' already holds a store; refusing to overwrite its key", dir);
		ret = ST_EXIST;
		goto out;
	}
	/* a directory init did not make is taken only if it is ours alone and
	 * empty (made by tmpfiles.d, say): never a shared one (/tmp) whose
	 * files, and mode, belong to others */
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "'%s' is owned by uid %u, not by uid %u running twofactl",
		         dir, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (!made && !dir_empty(dfd)) {
		snprintf(err, errlen, "'%s' exists and is not empty: init makes a store only in a new or "
		         "empty directory", dir);
		ret = ST_EXIST;
		goto out;
	}
	if (!made && (st.st_mode & 022)) {
		snprintf(err, errlen, "'%s' is writable by group or others (mode %04o): init makes a store "
		         "only in a directory nobody else can write to", dir, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (fchmod(dfd, 0700) < 0) {
		snprintf(err, errlen, "cannot chmod '%s': %s", dir, strerror(errno));
		goto out;
	}
	key = sodium_malloc(KEY_LEN);
	if (!key) {
		snprintf(err, errlen, "cannot allocate secure memory");
		goto out;
	}
	randombytes_buf(key, KEY_LEN);
	kbytes = sodium_malloc(WRAP_LEN);
	if (!kbytes) {
		snprintf(err, errlen, "cannot allocate secure memory");
		goto out;
	}
	memcpy(kbytes, key, KEY_LEN);
	if (pass_file) {
		char *pass = read_passphrase(pass_file, err, errlen);

		if (!pass)
			goto out;
		if (key_wrap(key, pass, kbytes)) {
			sodium_free(pass);
			snprintf(err, errlen, "cannot wrap the key (out of memory?)");
			goto out;
		}
		sodium_free(pass);
		klen = WRAP_LEN;
	}
	if (key_file) {
		kfd = open(key_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (kfd < 0 || fchmod(kfd, 0600) < 0 || st_write_all(kfd, kbytes, klen) < 0 ||
		    fsync(kfd) < 0) {
			snprintf(err, errlen, "cannot create key file '%s': %s", key_file, strerror(errno));
			if (kfd >= 0)
				unlink(key_file);
			ret = errno == EEXIST ? ST_EXIST : ST_BAD;
			goto out;
		}
	} else if (create_file_at(dfd, "master.key", kbytes, klen) < 0) {
		snprintf(err, errlen, "cannot create '%s/master.key': %s", dir, strerror(errno));
		goto out;
	}
	{
		uint8_t ck[KEY_LEN], cv[CHECK_LEN];

		crypto_kdf_derive_from_key(ck, KEY_LEN, SK_CHECK, KDF_CTX, key);
		st_key_check_value(ck, cv);
		sodium_memzero(ck, sizeof ck);
		if (create_file_at(dfd, "key.check", cv, CHECK_LEN) < 0) {
			snprintf(err, errlen, "cannot create '%s/key.check': %s", dir, strerror(errno));
			goto out;
		}
	}
	cfgkey = sodium_malloc(KEY_LEN);
	if (!cfgkey) {
		snprintf(err, errlen, "cannot allocate secure memory");
		goto out;
	}
	crypto_kdf_derive_from_key(cfgkey, KEY_LEN, SK_CONFIG, KDF_CTX, key);
	if (mkdirat(dfd, "accounts", 0700) < 0 || mkdirat(dfd, "tickets", 0700) < 0 ||
	    mkdirat(dfd, "orgs", 0700) < 0) {
		snprintf(err, errlen, "cannot create '%s/accounts': %s", dir, strerror(errno));
		goto out;
	}
	{
		char cfg[2 * PATH_MAX + 128], *sealed = NULL;
		size_t slen = 0;
		int n = snprintf(cfg, sizeof cfg, "%s%s%s%s%s%s%s", cfg_head,
		                 key_file ? "key.file = " : "", key_file ? key_file : "",
		                 key_file ? "\n" : "", pass_file ? "key.passphrase_file = " : "",
		                 pass_file ? pass_file : "", pass_file ? "\n" : "");

		if (n < 0 || (size_t)n >= sizeof cfg ||
		    !(sealed = st_config_sealed_text(cfgkey, cfg, (size_t)n, &slen)) ||
		    create_file_at(dfd, "config", sealed, slen) < 0 ||
		    st_orgs_create(dfd, cfgkey, "orgs.index") < 0 ||
		    create_file_at(dfd, "store.lock", "", 0) < 0 ||
		    create_file_at(dfd, "audit.log", "", 0) < 0) {
			snprintf(err, errlen, "cannot create files in '%s': %s", dir, strerror(errno));
			free(sealed);
			goto out;
		}
		free(sealed);
		/* every record of this store carries its generation (where the
		 * file system keeps user attributes: elsewhere it cannot) */
		{
			int lfd = openat(dfd, "store.lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

			if (lfd >= 0) {
				(void)st_set_mark_at(lfd);
				close(lfd);
			}
		}
	}
	{
		for (int i = 0; i < NS_COUNT; i++) {
			int nfd = st_open_dir_at(dfd, ns_dirs[i]);

			if (nfd >= 0) {
				fchmod(nfd, 0700);
				close(nfd);
			}
		}
	}
	if (fsync(dfd) < 0) {
		snprintf(err, errlen, "cannot sync '%s': %s", dir, strerror(errno));
		goto out;
	}
	ret = ST_OK;
out:
	if (kfd >= 0)
		close(kfd);
	if (dfd >= 0)
		close(dfd);
	sodium_free(key);
	sodium_free(kbytes);
	sodium_free(cfgkey);
	return ret;
}

