/* SPDX-License-Identifier: ISC */
#include "store/store.h"
#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#define MAGIC "TFA"
#define FORMAT_VERSION 1
#define HDR_LEN 16
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_LEN 32
#define KDF_CTX "twofactl"
#define MAX_CONFIG 64

/* Byte ranges of store.lock. The whole file (0, len 0) is taken by rekey. */
#define LOCK_CONFIG 1
#define LOCK_AUDIT 2
#define LOCK_ACCOUNTS 1024

static const char *const ns_dirs[NS_COUNT] = { "accounts", "orgs", "tickets", "oidc" };
static const char *const ns_prefix[NS_COUNT] = { "", "org:", "ticket:", "oidc:" };

struct store {
	int dirfd;
	int nsfd[NS_COUNT];
	int lockfd;
	char *path;
	uint8_t *keys;          /* sodium_malloc: SK_COUNT subkeys */
	char *cfg_key[MAX_CONFIG];
	char *cfg_val[MAX_CONFIG];
	size_t ncfg;
	int lock_timeout;       /* seconds */
	uint8_t check[32];      /* key.check of the key loaded: a rekey changes it */
	int wrapped;            /* the key file is wrapped with a passphrase */
	char err[512];
};

static int fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return code;
}

const char *store_error(const struct store *s)
{
	return s->err;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

struct account *account_new(void)
{
	struct account *a = sodium_malloc(sizeof *a);

	if (a)
		memset(a, 0, sizeof *a);
	return a;
}

void account_free(struct account *a)
{
	if (a)
		sodium_free(a);   /* sodium_free wipes */
}

/* ---- small file helpers ---- */

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read a whole regular file below dirfd, refusing links and oversize files. */
static int read_file_at(int dirfd, const char *name, uint8_t **out, size_t *outlen,
                        size_t maxlen, struct stat *st_out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	*out = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((size_t)st.st_size > maxlen) {
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			goto fail;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	if (st_out)
		*st_out = st;
	close(fd);
	*out = buf;
	*outlen = got;
	return 0;
fail:
	{
		int e = errno;
		if (buf) {
			sodium_memzero(buf, (size_t)st.st_size);
			free(buf);
		}
		close(fd);
		errno = e;
	}
	return -1;
}

/* Atomic replace of name in dirfd: temp file O_EXCL|O_NOFOLLOW, write,
 * fsync, rename, fsync the directory. */
static int write_atomic_at(struct store *s, int dirfd, const char *what, const char *name,
                           const void *data, size_t len)
{
	char tmp[64];
	uint8_t rnd[8];
	int fd, e;

	randombytes_buf(rnd, sizeof rnd);
	snprintf(tmp, sizeof tmp, ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	         rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(s, ST_BAD, "cannot create temp file for '%s': %s", what, strerror(errno));
	if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return fail(s, ST_BAD, "cannot write '%s': %s", what, strerror(e));
	}
	if (close(fd) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		return fail(s, ST_BAD, "cannot write '%s': %s", what, strerror(e));
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		return fail(s, ST_BAD, "cannot replace '%s': %s", what, strerror(e));
	}
	if (fsync(dirfd) < 0)
		return fail(s, ST_BAD, "cannot sync directory of '%s': %s", what, strerror(errno));
	return ST_OK;
}

/* ---- locking ---- */

static volatile sig_atomic_t lock_timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	lock_timed_out = 1;
}

/* OFD write lock on [off, off+len) of store.lock, waiting at most
 * lock_timeout seconds (SIGALRM interrupts F_OFD_SETLKW; the timer repeats
 * so a signal that lands before the call starts cannot hang it). */
static int lock_range(struct store *s, off_t off, off_t len, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_interval = { 0, 100000 }, .it_value = { s->lock_timeout, 0 } };
	struct itimerval off_timer = { 0 };
	int ret = ST_OK;

	if (fcntl(s->lockfd, F_OFD_SETLK, &fl) == 0)
		return ST_OK;
	if (errno != EAGAIN && errno != EACCES)
		return fail(s, ST_BAD, "cannot lock 'store.lock': %s", strerror(errno));
	lock_timed_out = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	while (fcntl(s->lockfd, F_OFD_SETLKW, &fl) < 0) {
		if (errno == EINTR && !lock_timed_out)
			continue;
		if (errno == EINTR)
			ret = fail(s, ST_BUSY, "store busy: lock not obtained within %d s", s->lock_timeout);
		else
			ret = fail(s, ST_BAD, "cannot lock 'store.lock': %s", strerror(errno));
		break;
	}
	setitimer(ITIMER_REAL, &off_timer, NULL);
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

static void unlock_range(struct store *s, off_t off, off_t len)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = len };

	fcntl(s->lockfd, F_OFD_SETLK, &fl);
}

/* ---- configuration ---- */

static void config_free(struct store *s)
{
	for (size_t i = 0; i < s->ncfg; i++) {
		free(s->cfg_key[i]);
		free(s->cfg_val[i]);
	}
	s->ncfg = 0;
}

static int config_add(void *ctx, const char *key, const char *value)
{
	struct store *s = ctx;

	if (s->ncfg >= MAX_CONFIG)
		return CORE_EFULL;
	s->cfg_key[s->ncfg] = strdup(key);
	s->cfg_val[s->ncfg] = strdup(value);
	if (!s->cfg_key[s->ncfg] || !s->cfg_val[s->ncfg]) {
		free(s->cfg_key[s->ncfg]);
		free(s->cfg_val[s->ncfg]);
		return CORE_ENOMEM;
	}
	s->ncfg++;
	return CORE_OK;
}

static int config_load(struct store *s)
{
	uint8_t *buf;
	size_t len;
	unsigned bad = 0;
	int r;

	config_free(s);
	if (read_file_at(s->dirfd, "config", &buf, &len, 65536, NULL) < 0) {
		if (errno == ENOENT)
			return ST_OK;
		return fail(s, ST_BAD, "cannot read 'config': %s", strerror(errno));
	}
	r = config_parse((char *)buf, len, config_add, s, &bad);
	free(buf);
	if (r == CORE_EFULL)
		return fail(s, ST_BAD, "'config' has more than %d settings", MAX_CONFIG);
	if (r == CORE_EFORMAT)
		return fail(s, ST_BAD, "'config' line %u: expected key = value", bad);
	if (r)
		return fail(s, ST_BAD, "out of memory");
	return ST_OK;
}

const char *store_config_get(const struct store *s, const char *key)
{
	for (size_t i = s->ncfg; i-- > 0;)
		if (!strcmp(s->cfg_key[i], key))
			return s->cfg_val[i];
	return NULL;
}

size_t store_config_count(const struct store *s)
{
	return s->ncfg;
}

int store_config_entry(const struct store *s, size_t i, const char **key, const char **value)
{
	if (i >= s->ncfg)
		return ST_ENOENT;
	*key = s->cfg_key[i];
	*value = s->cfg_val[i];
	return ST_OK;
}

int store_config_set(struct store *s, const char *key, const char *value)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret, found = 0;
	FILE *m;

	if (strpbrk(key, "=\n\r#") || (value && strpbrk(value, "\n\r")))
		return fail(s, ST_INVAL, "configuration keys and values are single lines");
	if ((ret = lock_range(s, LOCK_CONFIG, 1, F_WRLCK)))
		return ret;
	if ((ret = config_load(s)))   /* re-read under the lock: no lost update */
		goto out;
	m = open_memstream(&buf, &cap);
	if (!m) {
		ret = fail(s, ST_BAD, "out of memory");
		goto out;
	}
	fprintf(m, "# twofactl configuration: twofactl config set KEY VALUE\n");
	for (size_t i = 0; i < s->ncfg; i++) {
		if (!strcmp(s->cfg_key[i], key)) {
			if (value && !found)
				fprintf(m, "%s = %s\n", key, value);
			found = 1;
			continue;
		}
		fprintf(m, "%s = %s\n", s->cfg_key[i], s->cfg_val[i]);
	}
	if (!found && value)
		fprintf(m, "%s = %s\n", key, value);
	if (fclose(m)) {
		ret = fail(s, ST_BAD, "out of memory");
		goto out;
	}
	len = strlen(buf);
	if ((ret = write_atomic_at(s, s->dirfd, "config", "config", buf, len)))
		goto out;
	ret = config_load(s);
out:
	free(buf);
	unlock_range(s, LOCK_CONFIG, 1);
	return ret;
}

/* ---- open / create ---- */

static int check_private(struct store *s, const struct stat *st, const char *what)
{
	if (st->st_uid != geteuid())
		return fail(s, ST_BAD, "'%s' is owned by uid %u, not by uid %u running twofactl",
		            what, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return fail(s, ST_BAD, "'%s' is accessible by group or others (mode %04o): "
		            "chmod %s it", what, (unsigned)(st->st_mode & 07777),
		            S_ISDIR(st->st_mode) ? "700" : "600");
	return ST_OK;
}

/* key.check holds a keyed hash that only the right master key reproduces,
 * so a wrong key is named as such instead of showing an empty store. */
#define CHECK_LEN 32
static void key_check_value(const uint8_t *check_key, uint8_t out[CHECK_LEN])
{
	static const char label[] = "twofactl key check v1";

	crypto_generichash(out, CHECK_LEN, (const uint8_t *)label, sizeof label - 1, check_key, KEY_LEN);
}

static int check_key(struct store *s)
{
	uint8_t want[CHECK_LEN], *got = NULL;
	size_t len = 0;
	int ok;

	if (read_file_at(s->dirfd, "key.check", &got, &len, 64, NULL) < 0)
		return fail(s, ST_BAD, "cannot read 'key.check': %s", strerror(errno));
	key_check_value(store_subkey(s, SK_CHECK), want);
	ok = len == CHECK_LEN && sodium_memcmp(want, got, CHECK_LEN) == 0;
	free(got);
	if (!ok)
		return fail(s, ST_BAD, "the master key does not belong to this store (wrong key?)");
	memcpy(s->check, want, CHECK_LEN);
	return ST_OK;
}

/* After a lock is taken: is the key this process loaded still the store's?
 * A rekey that ran while we waited changed every file name and key. */
static int epoch_ok(struct store *s)
{
	uint8_t buf[CHECK_LEN];
	int fd = openat(s->dirfd, "key.check", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf, 0) : -1;

	if (fd >= 0)
		close(fd);
	if (n != CHECK_LEN || sodium_memcmp(buf, s->check, CHECK_LEN))
		return fail(s, ST_BUSY, "store busy: it was rekeyed meanwhile, run the command again");
	return ST_OK;
}

/* A master key wrapped with a passphrase: "TFK1", Argon2id opslimit and
 * memlimit (8 bytes each, big endian), salt, nonce, secretbox of the key. */
#define WRAP_MAGIC "TFK1"
#define WRAP_LEN (4 + 8 + 8 + crypto_pwhash_SALTBYTES + crypto_secretbox_NONCEBYTES + \
                  KEY_LEN + crypto_secretbox_MACBYTES)

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
	const char *e = getenv("TWOFACTL_PASSPHRASE_FILE");

	return e && *e ? e : store_config_get(s, "key.passphrase_file");
}

/* The bytes of a key file for key: raw, or wrapped when the store is. */
static int key_file_bytes(struct store *s, const uint8_t *key, uint8_t out[WRAP_LEN], size_t *len)
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
		fail(s, ST_BAD, "cannot wrap the key (out of memory?)");
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
		return fail(s, ST_BAD, "'config': key.file must be an absolute path");
	fd = kf ? open(kf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
	        : openat(s->dirfd, "master.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(s, ST_BAD, "cannot open master key '%s': %s",
		            kf ? kf : "master.key", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(s, ST_BAD, "master key '%s' is not a regular file", kf ? kf : "master.key");
	}
	if ((ret = check_private(s, &st, kf ? kf : "master.key"))) {
		close(fd);
		return ret;
	}
	if (st.st_size != KEY_LEN && st.st_size != WRAP_LEN) {
		close(fd);
		return fail(s, ST_BAD, "master key '%s' has %lld bytes, expected %d",
		            kf ? kf : "master.key", (long long)st.st_size, KEY_LEN);
	}
	master = sodium_malloc(WRAP_LEN);
	s->keys = sodium_malloc(KEY_LEN * SK_COUNT);
	if (!master || !s->keys) {
		close(fd);
		sodium_free(master);
		return fail(s, ST_BAD, "cannot allocate secure memory");
	}
	do
		r = read(fd, master, (size_t)st.st_size);
	while (r < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (r != st.st_size) {
		sodium_free(master);
		return fail(s, ST_BAD, "cannot read master key: %s", r < 0 ? strerror(e) : "short read");
	}
	if (st.st_size == WRAP_LEN) {
		uint8_t *raw = sodium_malloc(KEY_LEN);
		char *pass;

		if (!raw || memcmp(master, WRAP_MAGIC, 4)) {
			sodium_free(raw);
			sodium_free(master);
			return fail(s, ST_BAD, "master key '%s' is damaged", kf ? kf : "master.key");
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
			return fail(s, ST_BAD, "the passphrase does not open the master key (wrong passphrase?)");
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

const uint8_t *store_subkey(const struct store *s, enum subkey k)
{
	return s->keys + KEY_LEN * k;
}

static int open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int rekey_recover(struct store *s);

int store_open(const char *dir, struct store **out, char *err, size_t errlen)
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
	for (int i = 0; i < NS_COUNT; i++)
		s->nsfd[i] = -1;
	s->lock_timeout = 15;
	s->path = strdup(dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		if (errno == ENOENT)
			fail(s, ST_BAD, "no store at '%s': create one with twofactl init", dir);
		else
			fail(s, ST_BAD, "cannot open store '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(s->dirfd, &st) < 0 || check_private(s, &st, dir))
		goto out;
	if (config_load(s))
		goto out;
	if ((lt = store_config_get(s, "lock.timeout"))) {
		long v = strtol(lt, NULL, 10);
		if (v >= 1 && v <= 3600)
			s->lock_timeout = (int)v;
	}
	s->nsfd[NS_ACCOUNTS] = open_dir_at(s->dirfd, "accounts");
	if (s->nsfd[NS_ACCOUNTS] < 0) {
		fail(s, ST_BAD, "cannot open '%s/accounts': %s", dir, strerror(errno));
		goto out;
	}
	s->lockfd = openat(s->dirfd, "store.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		fail(s, ST_BAD, "cannot open '%s/store.lock': %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(s->lockfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		fail(s, ST_BAD, "'%s/store.lock' is not a plain file", dir);
		goto out;
	}
	if (rekey_recover(s))
		goto out;
	if (load_key(s))
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
	config_free(s);
	free(s->path);
	free(s);
}

static int create_file_at(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e;

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = e;
		return -1;
	}
	return close(fd);
}

int store_create(const char *dir, const char *key_file, const char *pass_file, char *err, size_t errlen)
{
	int dfd = -1, ret = ST_BAD, kfd = -1;
	uint8_t *key = NULL, *kbytes = NULL;
	size_t klen = KEY_LEN;
	struct stat st;
	static const char cfg_head[] = "# twofactl configuration: twofactl config set KEY VALUE\n";

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
		return ST_BAD;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "'%s' is owned by uid %u, not by uid %u running twofactl",
		         dir, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (faccessat(dfd, "master.key", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dfd, "accounts", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(err, errlen, "'%s' already holds a store; refusing to overwrite its key", dir);
		ret = ST_EXIST;
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
		if (kfd < 0 || fchmod(kfd, 0600) < 0 || write_all(kfd, kbytes, klen) < 0 ||
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
		key_check_value(ck, cv);
		sodium_memzero(ck, sizeof ck);
		if (create_file_at(dfd, "key.check", cv, CHECK_LEN) < 0) {
			snprintf(err, errlen, "cannot create '%s/key.check': %s", dir, strerror(errno));
			goto out;
		}
	}
	if (mkdirat(dfd, "accounts", 0700) < 0 || mkdirat(dfd, "tickets", 0700) < 0 ||
	    mkdirat(dfd, "orgs", 0700) < 0) {
		snprintf(err, errlen, "cannot create '%s/accounts': %s", dir, strerror(errno));
		goto out;
	}
	{
		char cfg[PATH_MAX + 128];
		int n = snprintf(cfg, sizeof cfg, "%s%s%s%s%s%s%s", cfg_head,
		                 key_file ? "key.file = " : "", key_file ? key_file : "",
		                 key_file ? "\n" : "", pass_file ? "key.passphrase_file = " : "",
		                 pass_file ? pass_file : "", pass_file ? "\n" : "");

		if (n < 0 || (size_t)n >= sizeof cfg ||
		    create_file_at(dfd, "config", cfg, (size_t)n) < 0 ||
		    create_file_at(dfd, "store.lock", "", 0) < 0 ||
		    create_file_at(dfd, "audit.log", "", 0) < 0) {
			snprintf(err, errlen, "cannot create files in '%s': %s", dir, strerror(errno));
			goto out;
		}
	}
	{
		for (int i = 0; i < NS_COUNT; i++) {
			int nfd = open_dir_at(dfd, ns_dirs[i]);

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
	return ret;
}

/* ---- records: accounts, organisations, tickets ---- */


static int ns_fd(struct store *s, enum ns ns)
{
	if (s->nsfd[ns] >= 0)
		return s->nsfd[ns];
	s->nsfd[ns] = open_dir_at(s->dirfd, ns_dirs[ns]);
	if (s->nsfd[ns] < 0 && errno == ENOENT) {
		if (mkdirat(s->dirfd, ns_dirs[ns], 0700) < 0 && errno != EEXIST)
			return -1;
		s->nsfd[ns] = open_dir_at(s->dirfd, ns_dirs[ns]);
		if (s->nsfd[ns] >= 0) {
			fchmod(s->nsfd[ns], 0700);
			fsync(s->dirfd);
		}
	}
	return s->nsfd[ns];
}

int store_ref_ns(struct store *s, enum ns ns, const char *name, struct acct_ref *ref)
{
	crypto_generichash_state st;
	uint8_t h[32];

	memset(ref, 0, sizeof *ref);
	ref->ns = ns;
	if (ns == NS_ACCOUNTS && !account_name_valid(name))
		return fail(s, ST_INVAL, "invalid account name");
	crypto_generichash_init(&st, store_subkey(s, SK_NAME), KEY_LEN, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ns_prefix[ns], strlen(ns_prefix[ns]));
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(ref->hex, sizeof ref->hex, h, sizeof h);
	ref->lockoff = LOCK_ACCOUNTS + (((uint64_t)h[0] << 32 | (uint64_t)h[1] << 24 |
	                                 (uint64_t)h[2] << 16 | (uint64_t)h[3] << 8 | h[4]) &
	                                ((1ULL << 40) - 1));
	return ST_OK;
}

int store_ref(struct store *s, const char *name, struct acct_ref *ref)
{
	return store_ref_ns(s, NS_ACCOUNTS, name, ref);
}

int store_lock(struct store *s, struct acct_ref *ref)
{
	int ret = lock_range(s, (off_t)ref->lockoff, 1, F_WRLCK);

	if (ret == ST_OK && (ret = epoch_ok(s)) != ST_OK)
		unlock_range(s, (off_t)ref->lockoff, 1);
	if (ret == ST_OK)
		ref->locked = 1;
	return ret;
}

void store_unlock(struct store *s, struct acct_ref *ref)
{
	if (ref->locked)
		unlock_range(s, (off_t)ref->lockoff, 1);
	ref->locked = 0;
}

static int subdir(struct store *s, enum ns ns, const char *hex, int create)
{
	char sub[3] = { hex[0], hex[1], 0 };
	int nfd = ns_fd(s, ns), fd;

	if (nfd < 0)
		return -1;
	fd = open_dir_at(nfd, sub);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(nfd, sub, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = open_dir_at(nfd, sub);
		if (fd >= 0) {
			fchmod(fd, 0700);
			fsync(nfd);
		}
	}
	return fd;
}

static void make_header(uint8_t hdr[HDR_LEN], uint64_t gen)
{
	memcpy(hdr, MAGIC, 3);
	hdr[3] = 0;
	hdr[4] = FORMAT_VERSION;
	hdr[5] = hdr[6] = hdr[7] = 0;
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(gen >> (56 - 8 * i));
}

static void make_ad(uint8_t ad[HDR_LEN + 64], const uint8_t hdr[HDR_LEN], const char *hex)
{
	memcpy(ad, hdr, HDR_LEN);
	memcpy(ad + HDR_LEN, hex, 64);
}

int store_exists(struct store *s, const struct acct_ref *ref)
{
	int fd = subdir(s, ref->ns, ref->hex, 0), r;

	if (fd < 0)
		return 0;
	r = faccessat(fd, ref->hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(fd);
	return r;
}

/* Open a sealed file's box; *pt is sodium_malloc'd plaintext (NUL-terminated). */
static int unseal_into(struct store *s, enum ns ns, const char *hex, const uint8_t *buf, size_t len,
                       uint8_t *pt, size_t ptcap, size_t *ptlen, uint64_t *gen);

/* Open a sealed file's box into a fresh sodium_malloc'd buffer. */
static int unseal(struct store *s, enum ns ns, const char *hex, const uint8_t *buf, size_t len,
                  uint8_t **pt, size_t *ptlen, uint64_t *gen)
{
	int ret;

	*pt = sodium_malloc(len + 1);
	if (!*pt)
		return fail(s, ST_BAD, "cannot allocate secure memory");
	ret = unseal_into(s, ns, hex, buf, len, *pt, len + 1, ptlen, gen);
	if (ret) {
		sodium_free(*pt);
		*pt = NULL;
	}
	return ret;
}

/* The same into the caller's buffer of ptcap bytes (at least len + 1). */
static int unseal_into(struct store *s, enum ns ns, const char *hex, const uint8_t *buf, size_t len,
                       uint8_t *pt, size_t ptcap, size_t *ptlen, uint64_t *gen)
{
	uint8_t ad[HDR_LEN + 64];
	unsigned long long n = 0;
	const char *d = ns_dirs[ns];

	if (len + 1 > ptcap)
		return fail(s, ST_BAD, "internal error: buffer too small");
	if (len < HDR_LEN + NONCE_LEN + TAG_LEN || memcmp(buf, MAGIC, 4) != 0)
		return fail(s, ST_BAD, "file '%s/%.2s/%s' is damaged (bad header)", d, hex, hex);
	if (buf[4] != FORMAT_VERSION)
		return fail(s, ST_BAD, "file '%s/%.2s/%s' has format version %u, this twofactl reads %u",
		            d, hex, hex, buf[4], FORMAT_VERSION);
	*gen = 0;
	for (int i = 0; i < 8; i++)
		*gen = (*gen << 8) | buf[8 + i];
	make_ad(ad, buf, hex);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &n, NULL,
	        buf + HDR_LEN + NONCE_LEN, len - HDR_LEN - NONCE_LEN,
	        ad, sizeof ad, buf + HDR_LEN, store_subkey(s, SK_AEAD)) != 0) {
		return fail(s, ST_BAD, "%s file '%s/%.2s/%s' fails authentication: "
		            "tampered, swapped or a wrong master key",
		            ns == NS_ACCOUNTS ? "account" : ns == NS_ORGS ? "organisation" : "ticket",
		            d, hex, hex);
	}
	pt[n] = 0;
	*ptlen = (size_t)n;
	return ST_OK;
}

int store_blob_load(struct store *s, struct acct_ref *ref, uint8_t **pt, size_t *ptlen)
{
	int fd = subdir(s, ref->ns, ref->hex, 0), ret;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	const char *d = ns_dirs[ref->ns];

	*pt = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(s, ST_ENOENT, "no such entry");
		return fail(s, ST_BAD, "cannot open directory '%s': %s", d, strerror(errno));
	}
	if (read_file_at(fd, ref->hex, &buf, &len, STORE_MAX_FILE, &st) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT)
			return fail(s, ST_ENOENT, "no such entry");
		if (e == ELOOP)
			return fail(s, ST_BAD, "file '%s/%.2s/%s' is a symbolic link: refused", d, ref->hex, ref->hex);
		return fail(s, ST_BAD, "cannot read file '%s/%.2s/%s': %s", d, ref->hex, ref->hex, strerror(e));
	}
	close(fd);
	if (st.st_nlink != 1) {
		free(buf);
		return fail(s, ST_BAD, "file '%s/%.2s/%s' has %lu hard links: refused",
		            d, ref->hex, ref->hex, (unsigned long)st.st_nlink);
	}
	ret = unseal(s, ref->ns, ref->hex, buf, len, pt, ptlen, &ref->gen);
	free(buf);
	return ret;
}

int store_blob_save(struct store *s, struct acct_ref *ref, const uint8_t *pt, size_t ptlen)
{
	size_t clen = HDR_LEN + NONCE_LEN + ptlen + TAG_LEN;
	uint8_t *out = NULL, hdr[HDR_LEN], ad[HDR_LEN + 64];
	unsigned long long ctlen = 0;
	int fd = -1, ret;

	if (!ref->locked)
		return fail(s, ST_BAD, "internal error: save without lock");
	if (clen > STORE_MAX_FILE)
		return fail(s, ST_BAD, "record too large");
	out = malloc(clen);
	if (!out)
		return fail(s, ST_BAD, "out of memory");
	make_header(hdr, ref->gen + 1);
	memcpy(out, hdr, HDR_LEN);
	randombytes_buf(out + HDR_LEN, NONCE_LEN);
	make_ad(ad, hdr, ref->hex);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + HDR_LEN + NONCE_LEN, &ctlen, pt, ptlen,
	        ad, sizeof ad, NULL, out + HDR_LEN, store_subkey(s, SK_AEAD));
	fd = subdir(s, ref->ns, ref->hex, 1);
	if (fd < 0) {
		ret = fail(s, ST_BAD, "cannot open directory '%s': %s", ns_dirs[ref->ns], strerror(errno));
		goto out;
	}
	ret = write_atomic_at(s, fd, ref->ns == NS_ACCOUNTS ? "account file" : "record", ref->hex,
	                      out, HDR_LEN + NONCE_LEN + ctlen);
	if (ret == ST_OK)
		ref->gen++;
out:
	if (fd >= 0)
		close(fd);
	free(out);
	return ret;
}

int store_load(struct store *s, struct acct_ref *ref, const char *name, struct account *a)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int ret = store_blob_load(s, ref, &pt, &len);

	if (ret == ST_ENOENT)
		return fail(s, ST_ENOENT, "no such account");
	if (ret)
		return ret;
	ret = record_from_json((const char *)pt, len, a);
	sodium_free(pt);
	if (ret != CORE_OK)
		return fail(s, ST_BAD, "account file 'accounts/%.2s/%s' holds a record this twofactl cannot read",
		            ref->hex, ref->hex);
	if (strcmp(a->name, name) != 0) {
		sodium_memzero(a, sizeof *a);
		return fail(s, ST_BAD, "account file 'accounts/%.2s/%s' belongs to another account",
		            ref->hex, ref->hex);
	}
	return ST_OK;
}

int store_save(struct store *s, struct acct_ref *ref, const struct account *a)
{
	char *json = NULL;
	size_t jlen = 0;
	int ret;

	if (record_to_json(a, &json, &jlen) != CORE_OK)
		return fail(s, ST_BAD, "cannot serialise record");
	ret = store_blob_save(s, ref, (const uint8_t *)json, jlen);
	sodium_memzero(json, jlen);
	free(json);
	return ret;
}

int store_delete(struct store *s, struct acct_ref *ref)
{
	int fd = subdir(s, ref->ns, ref->hex, 0);

	if (!ref->locked)
		return fail(s, ST_BAD, "internal error: delete without lock");
	if (fd < 0)
		return fail(s, ST_ENOENT, "no such entry");
	if (unlinkat(fd, ref->hex, 0) < 0) {
		int e = errno;

		close(fd);
		return fail(s, e == ENOENT ? ST_ENOENT : ST_BAD, "cannot remove file: %s", strerror(e));
	}
	fsync(fd);
	close(fd);
	return ST_OK;
}

static int is_hex_name(const char *n, size_t len)
{
	if (strlen(n) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return 1;
}

#include <dirent.h>

int store_iterate_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx)
{
	int nfd = ns_fd(s, ns), afd = nfd >= 0 ? dup(nfd) : -1, ret = ST_OK;
	DIR *top = afd >= 0 ? fdopendir(afd) : NULL;
	struct dirent *de;
	/* one secure buffer for every plaintext: sodium_malloc costs a handful
	 * of system calls, too many to pay per file of a large store */
	size_t ptcap = 65536;
	uint8_t *pt = sodium_malloc(ptcap);

	if (!top || !pt) {
		if (afd >= 0 && !top)
			close(afd);
		if (top)
			closedir(top);
		sodium_free(pt);
		return fail(s, ST_BAD, "cannot list '%s': %s", ns_dirs[ns], strerror(errno));
	}
	rewinddir(top);
	while (ret == ST_OK && (de = readdir(top))) {
		int sfd;
		DIR *sd;
		struct dirent *fe;

		if (!is_hex_name(de->d_name, 2))
			continue;
		sfd = open_dir_at(nfd, de->d_name);
		if (sfd < 0 || !(sd = fdopendir(sfd))) {
			if (sfd >= 0)
				close(sfd);
			ret = fail(s, ST_BAD, "cannot open '%s/%s': %s", ns_dirs[ns], de->d_name, strerror(errno));
			break;
		}
		while ((fe = readdir(sd))) {
			uint8_t *buf = NULL;
			size_t len = 0, ptlen = 0;
			uint64_t gen;
			int stop;

			if (!is_hex_name(fe->d_name, 64) || strncmp(fe->d_name, de->d_name, 2))
				continue;
			if (read_file_at(dirfd(sd), fe->d_name, &buf, &len, STORE_MAX_FILE, NULL) < 0) {
				if (errno == ENOENT)
					continue;   /* removed meanwhile */
				ret = fail(s, ST_BAD, "cannot read file '%s/%.2s/%s': %s", ns_dirs[ns],
				           fe->d_name, fe->d_name, strerror(errno));
				break;
			}
			if (len + 1 > ptcap) {
				sodium_free(pt);
				ptcap = len + 1;
				pt = sodium_malloc(ptcap);
				if (!pt) {
					free(buf);
					ret = fail(s, ST_BAD, "cannot allocate secure memory");
					break;
				}
			}
			ret = unseal_into(s, ns, fe->d_name, buf, len, pt, ptcap, &ptlen, &gen);
			free(buf);
			if (ret != ST_OK)
				break;
			stop = fn(ctx, pt, ptlen);
			sodium_memzero(pt, ptlen);
			if (stop < 0) {
				ret = ST_BAD;   /* the callback set the message with store_fail */
				break;
			}
			if (stop) {
				closedir(sd);
				goto out;
			}
		}
		closedir(sd);
	}
out:
	closedir(top);
	sodium_free(pt);
	return ret;
}

struct acct_visit {
	struct store *s;
	struct account *a;
	store_visit_fn fn;
	void *ctx;
};

static int visit_account(void *ctx, const uint8_t *json, size_t len)
{
	struct acct_visit *v = ctx;

	if (record_from_json((const char *)json, len, v->a) != CORE_OK) {
		fail(v->s, ST_BAD, "an account file holds a record this twofactl cannot read");
		return -1;
	}
	return v->fn(v->ctx, v->a);
}

int store_iterate(struct store *s, store_visit_fn fn, void *ctx)
{
	struct acct_visit v = { s, account_new(), fn, ctx };
	int ret;

	if (!v.a)
		return fail(s, ST_BAD, "cannot allocate secure memory");
	ret = store_iterate_ns(s, NS_ACCOUNTS, visit_account, &v);
	account_free(v.a);
	return ret;
}

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
		return fail(s, ST_BAD, "cannot stat 'audit.log': %s", strerror(errno));
	if (st.st_size == 0)
		return ST_OK;
	start = st.st_size > (off_t)sizeof buf - 1 ? st.st_size - (off_t)sizeof buf + 1 : 0;
	n = pread(fd, buf, (size_t)(st.st_size - start), start);
	if (n <= 0)
		return fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
	buf[n] = '\0';
	if (buf[n - 1] != '\n')
		return fail(s, ST_BAD, "'audit.log' ends in a torn line: run twofactl fsck");
	buf[n - 1] = '\0';
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (line == buf && start > 0)
		return fail(s, ST_BAD, "'audit.log' has an overlong line");
	p = strstr(line, "\"seq\":");
	if (!p)
		return fail(s, ST_BAD, "'audit.log' last line is malformed");
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

	if ((ret = lock_range(s, LOCK_AUDIT, 1, F_WRLCK)))
		return ret;
	if ((ret = epoch_ok(s))) {
		unlock_range(s, LOCK_AUDIT, 1);
		return ret;
	}
	fd = openat(s->dirfd, "audit.log", O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
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
		ret = fail(s, ST_BAD, "out of memory");
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

		if (write_all(fd, line, (size_t)n) < 0 || fdatasync(fd) < 0) {
			int e = errno;

			/* never leave a torn line behind: cut back to the last whole one */
			if (before >= 0 && ftruncate(fd, before) == 0)
				fdatasync(fd);
			ret = fail(s, ST_BAD, "cannot append to 'audit.log': %s", strerror(e));
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(box);
	free(b64);
	free(line);
	unlock_range(s, LOCK_AUDIT, 1);
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
		return fail(s, ST_BAD, "cannot open 'audit.log': %s", strerror(errno));
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return fail(s, ST_BAD, "cannot read 'audit.log': %s", strerror(errno));
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
			ret = fail(s, ST_BAD, "audit.log line %llu: torn (a write was cut short)",
			           (unsigned long long)lineno);
			break;
		}
		line[--n] = '\0';
		sodium_bin2hex(prevhex, sizeof prevhex, prev, sizeof prev);
		p = strstr(line, "\"seq\":");
		q = strstr(line, "\"prev\":\"");
		if (strncmp(line, "{\"seq\":", 7) || !p || !q || strlen(q) < 8 + 64 + 1) {
			*bad_line = lineno;
			ret = fail(s, ST_BAD, "audit.log line %llu: malformed", (unsigned long long)lineno);
			break;
		}
		seq = strtoull(p + 6, NULL, 10);
		if (seq != expect) {
			*bad_line = lineno;
			if (seq > expect)
				ret = fail(s, ST_BAD, "audit.log line %llu: %llu line(s) removed before it "
				           "(sequence %llu, expected %llu)", (unsigned long long)lineno,
				           seq - expect, seq, (unsigned long long)expect);
			else
				ret = fail(s, ST_BAD, "audit.log line %llu: inserted or moved (sequence %llu, "
				           "expected %llu)", (unsigned long long)lineno, seq, (unsigned long long)expect);
			break;
		}
		if (strncmp(q + 8, prevhex, 64)) {
			*bad_line = lineno;
			ret = fail(s, ST_BAD, "audit.log line %llu: does not follow the line before it "
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
			ret = fail(s, ST_BAD, "audit.log line %llu: edited (its seal does not verify)",
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

/* ---- whole-store lock (rekey, fsck --repair) ---- */

int store_lock_all(struct store *s)
{
	return lock_range(s, 0, 0, F_WRLCK);
}

void store_set_lock_timeout(struct store *s, int seconds)
{
	s->lock_timeout = seconds;
}

void store_unlock_all(struct store *s)
{
	unlock_range(s, 0, 0);
}

int store_lock_probe(struct store *s)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(s->lockfd, F_OFD_GETLK, &fl) < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

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
	f->qfd = open_dir_at(f->s->dirfd, "quarantine");
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

#define RECORD_NAME_MAX 600

/* The name of a record, from its plaintext: what its file name is the keyed
 * hash of. */
static int record_name(enum ns ns, const uint8_t *pt, size_t len, char name[RECORD_NAME_MAX])
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

	if (record_name(ns, pt, len, name))
		return "holds a record this twofactl cannot read";
	if (store_ref_ns(f->s, ns, name, &ref) || strcmp(ref.hex, hex))
		return "is stored under the name of another record (swapped or renamed)";
	return NULL;
}

static void fsck_leaf(struct fsck *f, enum ns ns, int sfd, const char *sub, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *buf = NULL, *pt = NULL;
	size_t len = 0, ptlen = 0;
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
	if (!is_hex_name(name, 64) || strncmp(name, sub, 2)) {
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
	if (read_file_at(sfd, name, &buf, &len, STORE_MAX_FILE, NULL) < 0) {
		quarantine(f, sfd, name, path, errno == EFBIG ? "is too large" : "cannot be read");
		return;
	}
	if (unseal(f->s, ns, name, buf, len, &pt, &ptlen, &gen) != ST_OK) {
		free(buf);
		quarantine(f, sfd, name, path, "fails authentication: damaged, tampered or swapped");
		return;
	}
	free(buf);
	bad = check_record(f, ns, name, pt, ptlen);
	sodium_free(pt);
	if (bad) {
		quarantine(f, sfd, name, path, bad);
		return;
	}
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
	int nfd = ns_fd(f->s, ns), dfd;
	DIR *top;
	struct dirent *de;
	struct stat st;

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
		if (!is_hex_name(de->d_name, 2)) {
			quarantine(f, nfd, de->d_name, path, "unexpected entry");
			continue;
		}
		sfd = open_dir_at(nfd, de->d_name);
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

int store_fsck(struct store *s, int repair, store_fsck_fn report, void *ctx,
               unsigned *problems, unsigned *fixed)
{
	struct fsck f = { .s = s, .repair = repair, .report = report, .ctx = ctx, .qfd = -1 };
	static const char *const top[] = { "config", "store.lock", "audit.log", "key.check" };
	DIR *d;
	struct dirent *de;
	int dfd, ret = ST_OK;
	uint64_t bad = 0;

	if (repair && (ret = store_lock_all(s)))
		return ret;
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
	for (int ns = 0; ns < NS_COUNT; ns++)
		fsck_ns(&f, (enum ns)ns);
	if (store_audit_walk(s, NULL, NULL, &bad) != ST_OK)
		finding(&f, "audit.log", s->err, "not repairable: keep the file as evidence", 0);
	if (f.qfd >= 0)
		close(f.qfd);
	if (repair)
		store_unlock_all(s);
	*problems = f.problems;
	*fixed = f.fixed;
	return ST_OK;
}

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

/* Rename (forward) or remove (back) every <hex>.rk of every namespace. */
static int rk_files(struct store *s, int forward)
{
	for (int ns = 0; ns < NS_COUNT; ns++) {
		int nfd = ns_fd(s, (enum ns)ns), dfd = nfd >= 0 ? dup(nfd) : -1;
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

			if (!is_hex_name(de->d_name, 2) || (sfd = open_dir_at(nfd, de->d_name)) < 0)
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
		return fail(s, ST_BAD, "rekey: cannot move the new files into place: %s", strerror(errno));
	if (read_file_at(s->dirfd, "rekey.old", &list, &len, 1u << 30, NULL) == 0) {
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
				int sfd = subdir(s, (enum ns)ns, sl2 + 1, 0);

				if (sfd >= 0) {
					unlinkat(sfd, sl2 + 1, 0);
					fsync(sfd);
					close(sfd);
				}
			}
		}
		free(list);
	}
	if (renameat(s->dirfd, "audit.log.rk", s->dirfd, "audit.log") < 0 && errno != ENOENT)
		return fail(s, ST_BAD, "rekey: cannot replace audit.log: %s", strerror(errno));
	if (renameat(s->dirfd, "key.check.rk", s->dirfd, "key.check") < 0 && errno != ENOENT)
		return fail(s, ST_BAD, "rekey: cannot replace key.check: %s", strerror(errno));
	if (key_path(s, kpath, sizeof kpath, &kdir, kbase, sizeof kbase) < 0)
		return fail(s, ST_BAD, "rekey: cannot open the key's directory: %s", strerror(errno));
	snprintf(krk, sizeof krk, "%s.rk", kbase);
	if (renameat(kdir, krk, kdir, kbase) < 0 && errno != ENOENT) {
		close(kdir);
		return fail(s, ST_BAD, "rekey: cannot replace the master key: %s", strerror(errno));
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
	unlinkat(s->dirfd, "audit.log.rk", 0);
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

static int rekey_recover(struct store *s)
{
	int committed, ret;

	if (!rekey_pending(s, &committed))
		return ST_OK;
	if ((ret = store_lock_all(s)))   /* a rekey running now holds it */
		return ret;
	if (rekey_pending(s, &committed)) {
		if (committed)
			ret = roll_forward(s);
		else
			roll_back(s);
	}
	store_unlock_all(s);
	return ret;
}

struct rekey_ctx {
	struct store *s;
	uint8_t *newkeys;      /* SK_COUNT subkeys of the new master key */
	FILE *old;             /* rekey.old */
	enum ns ns;
	size_t done, total;
	store_progress_fn progress;
	void *pctx;
	int err;
};

static int rekey_one(void *ctx, const uint8_t *pt, size_t len)
{
	struct rekey_ctx *r = ctx;
	struct store *s = r->s;
	char name[RECORD_NAME_MAX], hex[65], rk[72];
	crypto_generichash_state st;
	uint8_t h[32], hdr[HDR_LEN], ad[HDR_LEN + 64], *out;
	unsigned long long ctlen;
	struct acct_ref old;
	int sfd, fd, ok;
	size_t clen = HDR_LEN + NONCE_LEN + len + TAG_LEN;

	if (record_name(r->ns, pt, len, name) || store_ref_ns(s, r->ns, name, &old)) {
		fail(s, ST_BAD, "rekey: a file in '%s' holds a record this twofactl cannot read: run fsck", ns_dirs[r->ns]);
		return -1;
	}
	crypto_generichash_init(&st, r->newkeys + KEY_LEN * SK_NAME, KEY_LEN, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ns_prefix[r->ns], strlen(ns_prefix[r->ns]));
	crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	out = malloc(clen);
	if (!out) {
		fail(s, ST_BAD, "out of memory");
		return -1;
	}
	make_header(hdr, 1);
	memcpy(out, hdr, HDR_LEN);
	randombytes_buf(out + HDR_LEN, NONCE_LEN);
	make_ad(ad, hdr, hex);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + HDR_LEN + NONCE_LEN, &ctlen, pt, len, ad, sizeof ad,
	                                           NULL, out + HDR_LEN, r->newkeys + KEY_LEN * SK_AEAD);
	snprintf(rk, sizeof rk, "%s.rk", hex);
	sfd = subdir(s, r->ns, hex, 1);
	fd = sfd >= 0 ? openat(sfd, rk, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	ok = fd >= 0 && write_all(fd, out, HDR_LEN + NONCE_LEN + ctlen) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok)
		fsync(sfd);
	free(out);
	if (sfd >= 0)
		close(sfd);
	if (!ok) {
		fail(s, ST_BAD, "rekey: cannot write '%s/%.2s/%s': %s", ns_dirs[r->ns], hex, rk, strerror(errno));
		return -1;
	}
	fprintf(r->old, "%s/%.2s/%s\n", ns_dirs[r->ns], old.hex, old.hex);
	r->done++;
	if (r->progress && (r->done % 500 == 0 || r->done == r->total))
		r->progress(r->pctx, r->done, r->total);
	return 0;
}

struct reseal {
	struct store *s;
	const uint8_t *newaudit;
	FILE *out;
	uint8_t prev[32];
	uint64_t seq;
};

static int reseal_line(void *ctx, uint64_t seq, const char *event)
{
	struct reseal *r = ctx;
	char prevhex[65], ad[128], *b64;
	size_t elen = strlen(event), blen = NONCE_LEN + elen + TAG_LEN, b64len;
	uint8_t *box = malloc(blen);
	unsigned long long ctlen;
	int adlen;

	(void)seq;
	if (!box)
		return 1;
	r->seq++;
	sodium_bin2hex(prevhex, sizeof prevhex, r->prev, sizeof r->prev);
	adlen = snprintf(ad, sizeof ad, "%llu:%s", (unsigned long long)r->seq, prevhex);
	randombytes_buf(box, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, &ctlen, (const uint8_t *)event, elen,
	                                           (const uint8_t *)ad, (unsigned long long)adlen, NULL, box, r->newaudit);
	b64len = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	if (!b64) {
		free(box);
		return 1;
	}
	sodium_bin2base64(b64, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
	{
		size_t n = strlen(b64) + 160;
		char *l = malloc(n);

		if (!l) {
			free(box);
			free(b64);
			return 1;
		}
		snprintf(l, n, "{\"seq\":%llu,\"prev\":\"%s\",\"box\":\"%s\"}", (unsigned long long)r->seq, prevhex, b64);
		crypto_generichash(r->prev, sizeof r->prev, (const uint8_t *)l, strlen(l), NULL, 0);
		fprintf(r->out, "%s\n", l);
		free(l);
	}
	free(box);
	free(b64);
	return 0;
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
	int ok = fd >= 0 && fchmod(fd, 0600) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;

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
	uint64_t bad = 0;

	r.newkeys = sodium_malloc(KEY_LEN * SK_COUNT);
	if (!master || !r.newkeys) {
		sodium_free(master);
		sodium_free(r.newkeys);
		return fail(s, ST_BAD, "cannot allocate secure memory");
	}
	if ((ret = store_lock_all(s)))
		goto free_keys;
	if ((ret = epoch_ok(s)))
		goto unlock;
	roll_back(s);   /* leftovers of an earlier, uncommitted rekey */
	if (write_new_file(s->dirfd, "rekey.begin", "", 0) < 0 || fsync(s->dirfd) < 0) {
		fail(s, ST_BAD, "rekey: cannot begin: %s", strerror(errno));
		ret = ST_BAD;
		goto unlock;
	}
	randombytes_buf(master, KEY_LEN);
	for (int k = 1; k < SK_COUNT; k++)
		crypto_kdf_derive_from_key(r.newkeys + KEY_LEN * k, KEY_LEN, (uint64_t)k, KDF_CTX, master);
	key_check_value(r.newkeys + KEY_LEN * SK_CHECK, cv);
	/* 1: everything new, next to the old */
	ret = ST_BAD;
	if (key_path(s, kpath, sizeof kpath, &kdir, kbase, sizeof kbase) < 0) {
		fail(s, ST_BAD, "rekey: cannot open the key's directory: %s", strerror(errno));
		goto unlock;
	}
	snprintf(krk, sizeof krk, "%s.rk", kbase);
	{
		uint8_t *kb = sodium_malloc(WRAP_LEN);
		size_t kblen = 0;
		int kbad = !kb || key_file_bytes(s, master, kb, &kblen);

		if (!kbad && write_new_file(kdir, krk, kb, kblen) < 0)
			kbad = 2;
		sodium_free(kb);
		if (kbad == 1) {
			ret = ST_BAD;
			goto unlock;
		}
		if (kbad) {
			fail(s, ST_BAD, "rekey: cannot write the new key: %s", strerror(errno));
			goto fail_back;
		}
	}
	if (fsync(kdir) < 0 ||
	    write_new_file(s->dirfd, "key.check.rk", cv, CHECK_LEN) < 0) {
		fail(s, ST_BAD, "rekey: cannot write the new key: %s", strerror(errno));
		goto fail_back;
	}
	fd = openat(s->dirfd, "rekey.old", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	r.old = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!r.old) {
		fail(s, ST_BAD, "rekey: cannot write 'rekey.old': %s", strerror(errno));
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
	{
		struct reseal rs = { .s = s, .newaudit = r.newkeys + KEY_LEN * SK_AUDIT };
		int afd = openat(s->dirfd, "audit.log.rk", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

		rs.out = afd >= 0 ? fdopen(afd, "w") : NULL;
		if (!rs.out) {
			fail(s, ST_BAD, "rekey: cannot write 'audit.log.rk': %s", strerror(errno));
			if (afd >= 0)
				close(afd);
			goto fail_old;
		}
		if (store_audit_walk(s, reseal_line, &rs, &bad) != ST_OK) {
			fclose(rs.out);
			goto fail_old;   /* message set: a broken chain is not carried over */
		}
		if (fflush(rs.out) || fsync(fileno(rs.out)) || fclose(rs.out)) {
			fail(s, ST_BAD, "rekey: cannot write 'audit.log.rk': %s", strerror(errno));
			goto fail_old;
		}
	}
	if (fflush(r.old) || fsync(fileno(r.old))) {
		fail(s, ST_BAD, "rekey: cannot write 'rekey.old': %s", strerror(errno));
		goto fail_old;
	}
	fclose(r.old);
	r.old = NULL;
	fsync(s->dirfd);
	/* 2: the commit point */
	if (write_new_file(s->dirfd, "rekey.commit", "", 0) < 0 || fsync(s->dirfd) < 0) {
		fail(s, ST_BAD, "rekey: cannot commit: %s", strerror(errno));
		goto fail_back;
	}
	/* 3: roll forward; a crash from here on is finished by the next open */
	if ((ret = roll_forward(s)))
		goto unlock;
	sodium_mprotect_readwrite(s->keys);
	memcpy(s->keys, r.newkeys, KEY_LEN * SK_COUNT);
	sodium_mprotect_readonly(s->keys);
	memcpy(s->check, cv, CHECK_LEN);
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
	sodium_free(master);
	sodium_free(r.newkeys);
	return ret;
}
