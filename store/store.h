/* SPDX-License-Identifier: ISC */
/* store/ — the only code that touches the store directory.
 *
 *   DIR/ 0700          master.key 0600 (32 bytes), key.check, config, store.lock,
 *                      accounts/ab/<hash>, tickets/, audit.log
 *
 * Every account file is XChaCha20-Poly1305 sealed under a subkey of the
 * master key; its header (magic, format version, generation) and its own
 * file name are the associated data. File names are a keyed BLAKE2b of the
 * account name. Writes go to a temp file (O_EXCL|O_NOFOLLOW), fsync, rename,
 * fsync of the directory. Locks are OFD byte-range locks on store.lock,
 * which is never unlinked.
 *
 * The code is split along its seams: file.c (reads, atomic writes), lock.c,
 * config.c, key.c (open, create, master key), record.c (seal, load, save,
 * iterate), audit.c, fsck.c, rekey.c; internal.h is theirs alone. */
#ifndef TWOFACTL_STORE_H
#define TWOFACTL_STORE_H

#include "core/record.h"

#define SWUR __attribute__((warn_unused_result))

enum st_err {
	ST_OK = 0,
	ST_ENOENT,   /* no such account or entry */
	ST_EXIST,    /* already exists */
	ST_BUSY,     /* lock not obtained in time */
	ST_BAD,      /* store error: key, permissions, corrupt or tampered file, I/O */
	ST_INVAL,    /* bad argument */
};

enum subkey { SK_NAME = 1, SK_AEAD, SK_CODE, SK_AUDIT, SK_CHECK, SK_CONFIG, SK_COUNT };

struct store;

/* What a sealed file holds; each has its directory and its name hashing. */
enum ns { NS_ACCOUNTS = 0, NS_ORGS, NS_TICKETS, NS_OIDC, NS_COUNT };

struct acct_ref {
	enum ns ns;
	char hex[65];        /* file name: keyed hash of the account name */
	uint64_t lockoff;    /* byte of store.lock that guards it */
	int locked;
	uint64_t gen;        /* generation of the loaded file, 0 if none */
	unsigned epoch;      /* the key it was made with (see store_lock) */
	int format;          /* of the file loaded: 2 is written in place (store/slots.c) */
	unsigned slot;       /* format 2: the slot holding generation gen */
	uint32_t slotsize;   /* format 2: bytes per slot */
	uint64_t ino;        /* format 2: the inode read (written in place only if it is still the one) */
};

#define STORE_DEFAULT_DIR "/var/lib/twofactl"
#define STORE_MAX_FILE (1 << 20)

/* Create a new store; key_file, if set, is where the master key goes (kept
 * outside DIR); pass_file, if set, names a file whose passphrase wraps the
 * key (Argon2id + secretbox). Refuses to overwrite an existing key. */
int store_create(const char *dir, const char *key_file, const char *pass_file,
                 char *err, size_t errlen) SWUR;

int store_open(const char *dir, struct store **out, char *err, size_t errlen) SWUR;
/* With STORE_OPEN_ANY_CONFIG the store opens even when its config is not
 * as sealed (for config diff/accept/get/list and fsck); every other open
 * refuses such a store (exit 5). */
#define STORE_OPEN_ANY_CONFIG 1
int store_open_flags(const char *dir, int flags, struct store **out, char *err, size_t errlen) SWUR;
/* What the opener knows of its environment, where the store must not read
 * it (a library in a host process): a passphrase file that overrides
 * key.passphrase_file, and whether the file system is shared (-1: tell
 * from the file system; 0 or 1: say so). */
struct store_env {
	const char *passphrase_file;
	int shared;
};
int store_open_env(const char *dir, int flags, const struct store_env *env, struct store **out, char *err,
                   size_t errlen) SWUR;
void store_close(struct store *s);
const char *store_error(const struct store *s);   /* detail of the last failure */
const char *store_path(const struct store *s);

/* Subkey for code hashing (read-only memory). */
const uint8_t *store_subkey(const struct store *s, enum subkey k);

/* Configuration (plain key = value, sealed: see store/config.c). get
 * returns NULL when unset. */
enum store_config_state { STORE_CONFIG_SEALED = 0, STORE_CONFIG_EDITED, STORE_CONFIG_UNSEALED,
                          STORE_CONFIG_BADSEAL };
int store_config_state(const struct store *s);
const char *store_config_text(const struct store *s);     /* the settings as they are */
const char *store_config_sealed(const struct store *s);   /* as last sealed, NULL if unknown */
/* Seal the settings as they are now (an administrator keeps a hand edit,
 * or seals a store made before sealing); makes the sealed list of
 * organisations if there is none yet. */
int store_config_accept(struct store *s) SWUR;
const char *store_config_get(const struct store *s, const char *key);
int store_config_set(struct store *s, const char *key, const char *value) SWUR;  /* value NULL: unset */
size_t store_config_count(const struct store *s);
int store_config_entry(const struct store *s, size_t i, const char **key, const char **value);

/* Accounts. Every read-modify-write: ref, lock, load, save, unlock. */
int store_ref(struct store *s, const char *name, struct acct_ref *ref) SWUR;
int store_lock(struct store *s, struct acct_ref *ref) SWUR;
void store_unlock(struct store *s, struct acct_ref *ref);
int store_load(struct store *s, struct acct_ref *ref, const char *name, struct account *a) SWUR;
int store_exists(struct store *s, const struct acct_ref *ref);
int store_save(struct store *s, struct acct_ref *ref, const struct account *a) SWUR;
int store_delete(struct store *s, struct acct_ref *ref) SWUR;

/* Any record by namespace: the plaintext (JSON) is sodium_malloc'd; the
 * caller sodium_free()s it. */
int store_ref_ns(struct store *s, enum ns ns, const char *name, struct acct_ref *ref) SWUR;
int store_blob_load(struct store *s, struct acct_ref *ref, uint8_t **pt, size_t *len) SWUR;
int store_blob_save(struct store *s, struct acct_ref *ref, const uint8_t *pt, size_t len) SWUR;
typedef int (*store_blob_fn)(void *ctx, const uint8_t *json, size_t len);
/* fn returns 0 to go on, 1 to stop, -1 on error, -2 for a record it cannot
 * parse (named by the walk). */
int store_iterate_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx) SWUR;

/* Visit every account, unlocked (each file is read whole: a rename never
 * shows a torn record). The callback returns non-zero to stop. */
typedef int (*store_visit_fn)(void *ctx, const struct account *a);
int store_iterate(struct store *s, store_visit_fn fn, void *ctx) SWUR;

/* The same, going on past a record that cannot be read (damaged,
 * tampered, unreadable): bad gets the store's message about it and the
 * walk goes on, so one bad file does not stop a sweep, a list or an export
 * for everyone. A blob callback returns -2 for a record it cannot parse. */
typedef void (*store_bad_fn)(void *ctx, const char *why);
int store_scan(struct store *s, store_visit_fn fn, void *ctx, store_bad_fn bad, void *bctx) SWUR;
int store_scan_ns(struct store *s, enum ns ns, store_blob_fn fn, void *ctx, store_bad_fn bad,
                  void *bctx) SWUR;

/* Audit log: one line per event, sealed and hash-chained. */
int store_audit(struct store *s, const char *event_json) SWUR;
/* Read it back, checking every line's sequence, chain hash and seal. */
typedef int (*store_audit_fn)(void *ctx, uint64_t seq, const char *event_json);
int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line) SWUR;
/* The same, telling which lines and files the chain spans: it starts at
 * sequence 1, or (when older files were rotated out and removed) at the
 * opening line of the oldest file kept, whose seal binds where it goes on. */
struct store_audit_span {
	uint64_t first_seq, last_seq;
	unsigned files;          /* files read: closed ones in audit/, then audit.log */
	char first_file[40];     /* the oldest file read */
	char file[40];           /* the file read last (the bad one, on a failure) */
};
int store_audit_span(struct store *s, store_audit_fn fn, void *ctx, uint64_t *bad_line,
                     struct store_audit_span *span) SWUR;

/* Close audit.log with a sealed line and go on in a new one whose first
 * line carries the chain (store/rotate.c). Nothing is done when the log
 * is smaller than min_size bytes (rotated is then 0); with keep > 0, only
 * the keep newest closed files are kept, the older removed (and that said
 * in a sealed line). */
struct store_rotation {
	int rotated;
	char closed[40];         /* "audit/<last seq>.log" */
	uint64_t last_seq;       /* the closed file's last line */
	unsigned removed;        /* closed files removed (keep) */
	uint64_t size;           /* audit.log's size before */
};
int store_audit_rotate(struct store *s, int64_t now, uint64_t min_size, unsigned keep,
                       struct store_rotation *out) SWUR;

/* 0 when the store can record a login now: store.lock opens for writing
 * (a read-only mount refuses it) and the audit log can reserve the room for
 * its next line (st_audit_ready; a full disk refuses it unless the room is
 * reserved already). Records are written in place, into their slots, so
 * a login needs no more. Changes nothing (health). ST_BUSY when the audit
 * log's lock was not obtained: not known then. */
int store_writable(struct store *s) SWUR;
/* 0 when the store directory takes a new file of a record's size (16 KiB):
 * what a new account, or a record that outgrows its slots, needs. */
int store_has_room(struct store *s) SWUR;

/* The whole store (every account): rekey and fsck --repair. */
int store_lock_all(struct store *s) SWUR;
void store_set_lock_timeout(struct store *s, int seconds);
void store_unlock_all(struct store *s);
/* 1 when some lock of the store is held now, 0 when none, -1 on error. */
int store_lock_probe(struct store *s);

/* Check every file; with repair, move bad ones to quarantine/, remove
 * leftovers, fix modes and cut a torn last audit line (under the
 * whole-store lock; now is the time its sealed record of the cut carries). report gets one
 * call per finding; action is NULL when nothing was done. */
typedef void (*store_fsck_fn)(void *ctx, const char *path, const char *problem, const char *action);
int store_fsck(struct store *s, int repair, int64_t now, store_fsck_fn report, void *ctx,
               unsigned *problems, unsigned *fixed) SWUR;

/* A new master key: every file sealed again under it (and renamed, since
 * names are keyed), the audit log resealed; crash-safe (see store/rekey.c). */
typedef void (*store_progress_fn)(void *ctx, size_t done, size_t total);
int store_rekey(struct store *s, store_progress_fn progress, void *ctx, size_t *count) SWUR;

/* What the store's file system allows, for health: shared (other hosts
 * may write behind a cache: FUSE, NFS, SMB, ...), xattrs (user attributes
 * kept: the generation of every record is checked), marked (store.lock
 * says every record carries one), direct (O_DIRECT reads allowed: tried
 * on store.lock when no record was read yet), type (statfs f_type). On a
 * shared file system without xattrs or O_DIRECT a rolled-back or stale
 * record cannot be told from the current one. */
struct store_fs {
	int shared, xattrs, marked, direct;
	unsigned long type;
};
int store_fs_info(struct store *s, struct store_fs *fs);

/* Secure buffers for accounts (sodium_malloc, wiped on free). */
struct account *account_new(void);
void account_free(struct account *a);

#endif
