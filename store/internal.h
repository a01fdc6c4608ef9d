/* SPDX-License-Identifier: ISC */
/* store/ internals, shared by its files (file, lock, config, key, record,
 * audit, fsck, rekey); nothing outside store/ includes this. */
#ifndef TWOFACTL_STORE_INTERNAL_H
#define TWOFACTL_STORE_INTERNAL_H

#include "store/store.h"

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <limits.h>
#include <sodium.h>

#define MAGIC "TFA"
#define FORMAT_VERSION 1
#define HDR_LEN 16
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_LEN 32
#define KDF_CTX "twofactl"
#define MAX_CONFIG 64

/* Byte ranges of store.lock. The whole file (0, len 0) is taken by rekey,
 * fsck --repair, import and org del; readers of the whole store share
 * LOCK_EPOCH. */
#define LOCK_EPOCH 0
#define LOCK_CONFIG 1
#define LOCK_AUDIT 2
#define LOCK_ACCOUNTS 1024


/* key.check holds a keyed hash that only the right master key reproduces,
 * so a wrong key is named as such instead of showing an empty store. */
#define CHECK_LEN 32
/* A master key wrapped with a passphrase: "TFK1", Argon2id opslimit and
 * memlimit (8 bytes each, big endian), salt, nonce, secretbox of the key. */
#define WRAP_MAGIC "TFK1"
#define WRAP_LEN (4 + 8 + 8 + crypto_pwhash_SALTBYTES + crypto_secretbox_NONCEBYTES + \
                  KEY_LEN + crypto_secretbox_MACBYTES)
#define RECORD_NAME_MAX 600

/* Record files of format 2 (store/slots.c): a header of SLOT_HDR bytes and
 * two slots updated in place; the generation is also kept in the file's
 * XATTR_GEN attribute, the audit log's tail in XATTR_TAIL, and store.lock's
 * XATTR_MARK says every record of the store carries its generation. */
#define FORMAT_SLOTS 2
#define SLOT_HDR 512
#define SLOT_META 16           /* generation, ciphertext length, zero */
#define SLOT_ALIGN 512
#define SLOT_MAX ((size_t)STORE_MAX_FILE + 2 * SLOT_ALIGN)
#define REC_MAX (SLOT_HDR + 2 * SLOT_MAX)
#define XATTR_GEN "user.twofactl.gen"
#define XATTR_TAIL "user.twofactl.tail"
#define XATTR_MARK "user.twofactl.generations"
/* How long a read older than its attribute is read again on a shared file
 * system before it is taken for an old copy put back. */
#define STALE_WAIT_MS 3000

extern const char *const ns_dirs[NS_COUNT];
extern const char *const ns_prefix[NS_COUNT];


struct store {
	int dirfd;
	int nsfd[NS_COUNT];
	int lockfd;
	char *path;
	char *pass_env;         /* the opener's passphrase file (store_env), or NULL */
	uint8_t *keys;          /* sodium_malloc: SK_COUNT subkeys */
	char *cfg_key[MAX_CONFIG];
	char *cfg_val[MAX_CONFIG];
	size_t ncfg;
	char *cfg_body;         /* the config file without its seal line */
	size_t cfg_body_len;
	uint8_t *cfg_seal;      /* the seal: nonce || box of the body as sealed */
	size_t cfg_seal_len;
	char *cfg_sealed_body;  /* the body as sealed, once verified */
	int cfg_state;          /* enum store_config_state */
	int lock_timeout;       /* seconds */
	uint8_t check[32];      /* key.check of the key loaded: a rekey changes it */
	int wrapped;            /* the key file is wrapped with a passphrase */
	unsigned epoch;         /* bumped when the key is reloaded: refs made before are stale */
	int all_locked;         /* the whole-store lock is held */
	unsigned iter_depth;    /* nested readers of the whole store (LOCK_EPOCH shared) */
	int open_flags;         /* STORE_OPEN_* */
	int check_mismatch;     /* the last key loaded did not match key.check */
	int readonly;           /* store.lock could only be opened for reading */
	int shared;             /* -1 not yet known; 1 other hosts may write behind a cache (slots.c) */
	int direct;             /* -1 not yet known; 1 records are read with O_DIRECT */
	int xattrs;             /* -1 not yet known; 0 the file system keeps no user attributes */
	int marked;             /* -1 not yet known; 1 store.lock carries XATTR_MARK */
	char ro_err[PATH_MAX + 64];
	char err[512];
};


int st_fail(struct store *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void st_config_free(struct store *s);
int st_config_load(struct store *s);
void st_config_verify(struct store *s);
int st_config_refuse(struct store *s);
char *st_config_sealed_text(const uint8_t *ck, const char *body, size_t len, size_t *outlen);
/* The sealed list of organisations (store/orgs.c). */
int st_orgs_index_ensure(struct store *s);
int st_orgs_check(struct store *s, const char *hex, uint64_t gen);
int st_orgs_listed(struct store *s, const char *hex);
int st_orgs_update(struct store *s, const char *hex, uint64_t gen);
int st_orgs_remove(struct store *s, const char *hex);
int st_orgs_create(int dirfd, const uint8_t *ck, const char *name);
struct st_orgs_rekey;
struct st_orgs_rekey *st_orgs_rekey_begin(struct store *s);
int st_orgs_rekey_one(struct st_orgs_rekey *r, const char *oldhex, const char *newhex);
int st_orgs_rekey_write(struct st_orgs_rekey *r, int dirfd, const uint8_t *newck, const char *name);
void st_orgs_rekey_end(struct st_orgs_rekey *r);
struct index;
struct index *st_orgs_snapshot(struct store *s);
int st_orgs_snapshot_check(struct store *s, struct index *ix, const char *hex, uint64_t gen);
void st_orgs_snapshot_each(struct index *ix, void (*fn)(void *ctx, const char *hex), void *ctx);
void st_orgs_snapshot_free(struct index *ix);
int st_epoch_ok(struct store *s);
int st_rekey_interrupted(struct store *s);
int st_is_hex_name(const char *n, size_t len);
void st_key_check_value(const uint8_t *check_key, uint8_t out[CHECK_LEN]);
int st_key_file_bytes(struct store *s, const uint8_t *key, uint8_t out[WRAP_LEN], size_t *len);
int st_lock_range(struct store *s, off_t off, off_t len, short type);
void st_make_ad(uint8_t ad[HDR_LEN + 64], const uint8_t hdr[HDR_LEN], const char *hex);
void st_make_header(uint8_t hdr[HDR_LEN], uint64_t gen);
int st_ns_fd(struct store *s, enum ns ns);
int st_open_dir_at(int dirfd, const char *name);
int st_audit_ready(struct store *s);
/* The audit log (audit.c, rotate.c): one chain over the closed files of
 * audit/ (oldest first) and audit.log. */
struct st_chain {
	uint64_t expect;   /* the next line's sequence; 0 before the first line */
	uint8_t prev[32];  /* chain hash of the line before */
	uint64_t first, last;
	int stopped;       /* the callback asked to stop */
};
typedef int (*st_line_fn)(void *ctx, uint64_t seq, const uint8_t prev[32], const char *event);
struct st_audit_files {
	size_t n;          /* the closed files, then audit.log (when present) */
	int *fd;
	off_t *size;       /* as long as they were under the audit lock */
	char (*label)[40]; /* "audit/<seq>.log", "audit.log" */
	int unheld;        /* opened without the audit byte: a writer held it */
};
int st_audit_files_open(struct store *s, struct st_audit_files *af);
void st_audit_files_close(struct st_audit_files *af);
int st_audit_walk_fd(struct store *s, int fd, off_t size, const char *label, struct st_chain *c,
                     st_line_fn fn, void *ctx, uint64_t *bad_line, int torn_ok);
int st_audit_walk(struct store *s, st_line_fn fn, void *ctx, struct store_audit_span *span,
                  uint64_t *bad_line, int torn_ok);
char *st_audit_line(const uint8_t *key, uint64_t seq, const char prevhex[65], const char *event,
                    size_t *len, uint8_t hash[32]);
int st_audit_append_fd(struct store *s, int fd, const char *event_json, uint64_t *seq_out,
                       uint8_t hash_out[32]);
int st_audit_tail(struct store *s, int fd, uint64_t *seq, char prevhex[65]);
int st_audit_missing(struct store *s, const char *suffix);
int st_audit_finish_rotation(struct store *s, int *finished);
int st_audit_cut_torn(struct store *s, int cut, int qfd, int64_t now, off_t *torn,
                      char *qname, size_t qcap);
int st_lock_byte(struct store *s, off_t off, short type);
void st_unlock_byte(struct store *s, off_t off);
int st_read_begin(struct store *s);
void st_read_end(struct store *s);
int st_reload_key(struct store *s);
int st_read_file_at(int dirfd, const char *name, uint8_t **out, size_t *outlen,
                        size_t maxlen, struct stat *st_out);
int st_record_name(enum ns ns, const uint8_t *pt, size_t len, char name[RECORD_NAME_MAX]);
int st_rekey_recover(struct store *s);
int st_subdir(struct store *s, enum ns ns, const char *hex, int create);
void st_unlock_range(struct store *s, off_t off, off_t len);
int st_unseal(struct store *s, enum ns ns, const char *hex, const uint8_t *buf, size_t len,
                  uint8_t **pt, size_t *ptlen, uint64_t *gen);
int st_write_all(int fd, const void *buf, size_t n);
int st_write_atomic_at(struct store *s, int dirfd, const char *what, const char *name,
                           const void *data, size_t len);
int64_t st_mono_ms(void);
void st_pause(unsigned *pause_us);

/* ---- record files (store/slots.c) ---- */
/* Why a record could not be taken (struct st_rec.why). */
enum rec_why { REC_OK = 0, REC_UNREADABLE, REC_AUTH, REC_OLDER, REC_NOATTR, REC_BADATTR, REC_LINKS };
struct st_rec {
	uint8_t *raw;           /* the file as read (aligned for O_DIRECT) */
	size_t rawlen, rawcap;
	uint8_t *pt;            /* the record: sodium_malloc'd, reused, NUL-terminated */
	size_t ptlen, ptcap;
	uint64_t gen;           /* of the record opened */
	uint64_t xgen;          /* the file's generation attribute (has_xgen 1) */
	int has_xgen;
	int version;            /* FORMAT_VERSION or FORMAT_SLOTS */
	unsigned slot;          /* format 2: the slot the record came from */
	uint32_t slotsize;      /* format 2: bytes per slot */
	int other_bad;          /* format 2: the other slot holds something that does not open */
	uint64_t ino;
	unsigned long nlink;
	mode_t mode;
	enum rec_why why;       /* what stopped it (the store's message says more) */
};
void st_rec_free(struct st_rec *r);
int st_rec_decode(struct store *s, enum ns ns, const char *hex, struct st_rec *r, int check_other);
int st_rec_load(struct store *s, enum ns ns, int dirfd, const char *hex, struct st_rec *r, int check_other);
int st_rec_save(struct store *s, struct acct_ref *ref, int dirfd, const uint8_t *pt, size_t ptlen);
int st_rec_seal_new(const uint8_t *aead_key, const char *hex, uint64_t gen, const uint8_t *pt, size_t ptlen,
                    uint8_t **out, size_t *outlen);
int st_rec_clear_slot(struct store *s, int dirfd, const char *hex, const struct st_rec *r);
int st_rec_mark(struct store *s, int dirfd, const char *hex, uint64_t gen);
int st_shared(struct store *s);
int st_gen_get(struct store *s, int fd, uint64_t *gen);
int st_gen_set(struct store *s, int fd, uint64_t gen);
int st_marked(struct store *s);
int st_mark_store(struct store *s);
int st_set_mark_at(int fd);
int st_audit_tail_set(struct store *s, int fd, uint64_t seq, const uint8_t hash[32]);

#endif
