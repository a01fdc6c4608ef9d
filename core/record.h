/* SPDX-License-Identifier: ISC */
/* The account record: what one encrypted account file holds, and its JSON
 * form (json-c). The JSON carries "v", the record format version. */
#ifndef TWOFACTL_RECORD_H
#define TWOFACTL_RECORD_H

#include "core/core.h"
#include "core/cidr.h"
#include "core/codes.h"
#include "core/otp.h"
#include "core/timefmt.h"

#define RECORD_VERSION 1
/* Times a record holds: 0 to 2^40 seconds since 1970. The longest span
 * any command adds to the time it runs at is DURATION_MAX (10 years, see
 * duration_parse), so --at is refused past TIME_AT_MAX: every time a
 * command computes from it fits. */
#define RECORD_TIME_MAX ((int64_t)1 << 40)
#define TIME_AT_MAX (RECORD_TIME_MAX - DURATION_MAX)
#define ACCT_NAME_MAX 64
#define ACCT_UID_CHARS 32      /* a new account's uid: 128 random bits in hex */
#define ACCT_UID_MAX 64        /* a record from before uids: its file name then */
#define ACCT_MAX_FACTORS 16
#define ACCT_MAX_BACKUP 20
#define ACCT_BACKUP_DEFAULT 10
#define LABEL_MAX 64

enum factor_type { F_TOTP = 0, F_HOTP, F_EMAIL, F_SMS, F_WEBAUTHN };
enum factor_status { FS_PENDING = 0, FS_ACTIVE };

/* WebAuthn: credential ids up to 255 bytes (the standard allows 1023;
 * authenticators use 16 to 128), public keys as libfido2 holds them */
#define WA_CRED_MAX 255
#define WA_PUB_MAX 300

struct factor {
	uint32_t id;
	enum factor_type type;
	enum factor_status status;
	char label[LABEL_MAX + 1];
	enum otp_algo algo;
	unsigned digits;
	unsigned period;
	uint8_t key[OTP_MAX_KEY];
	size_t keylen;
	uint64_t counter;      /* HOTP: next counter expected */
	int has_step;          /* TOTP: a code was accepted once */
	uint64_t last_step;    /* TOTP: last accepted time step */
	int64_t drift;         /* steps between the clock and the last accepted code */
	int window;            /* its own drift window / look-ahead, or -1: the store's */
	/* WebAuthn: the credential, its public key (COSE algorithm cose) and
	 * signature counter; replays are refused by single-use challenges */
	uint8_t cred[WA_CRED_MAX];
	size_t credlen;
	uint8_t pub[WA_PUB_MAX];
	size_t publen;
	int cose;
	uint32_t sign_count;
	int64_t created;
	int64_t confirmed;
	int64_t last_used;
};

/* Channels of one-time codes sent by email or SMS. */
enum channel { CH_EMAIL = 0, CH_SMS, CH_COUNT };
enum purpose { P_LOGIN = 0, P_ENROLL, P_CONFIRM, P_COUNT };

#define OTC_DIGITS 6
#define OTC_MAX_ATTEMPTS 5
#define OTC_MAX_TTL 600

/* A pending email/SMS code: only its keyed hash is kept. */
struct otc {
	int active;
	enum purpose purpose;
	uint8_t hash[CODE_HASH_BYTES];
	char session[4];        /* 3 digits shown next to the login, and in the message */
	int64_t created;
	int64_t expires;
	unsigned attempts;      /* wrong codes tried against it */
};

#define ACCT_MAX_WHITELIST 32
#define ACCT_MAX_TRUST 20
#define ACCT_MAX_LOGINS 8
#define PWHASH_MAX 128

/* An address range whose logins skip the second factor. */
struct wl_entry {
	struct cidr net;
	int64_t created;
	int64_t expires;        /* 0: never */
	char note[LABEL_MAX + 1];
};

/* A remembered device: the keyed hash of the token its browser keeps. */
struct trusted {
	uint32_t id;
	uint8_t hash[CODE_HASH_BYTES];
	char label[LABEL_MAX + 1];
	int64_t created;
	int64_t expires;
	int64_t last_used;
};

/* A login that passed the password and was asked for a code. */
struct pending_login {
	int64_t opened;
	int has_ip;
	uint8_t ip[16];
	int warned;
	int64_t claimed;        /* a sweep is sending its warning (since then): others leave it */
};

enum policy { POLICY_OPTIONAL = 0, POLICY_REQUIRED, POLICY_OFF };

/* An account's own 2FA switch (user set --2fa): inherit follows its
 * organisation, else policy.default; the others are the account's own
 * policy (core/policy.h: policy_resolve says which one applies). */
enum acct_switch { SW_INHERIT = 0, SW_REQUIRED, SW_OPTIONAL, SW_OFF };

struct org {
	char name[ACCT_NAME_MAX + 1];
	enum policy policy;
	int64_t created;
	struct wl_entry wl[ACCT_MAX_WHITELIST];
	unsigned nwl;
};

#define TICKET_ID_CHARS 8
#define TEXT_MAX 500

enum tstatus { T_PENDING = 0, T_APPROVED, T_DENIED };

/* A lost-device recovery ticket. */
struct ticket {
	char id[TICKET_ID_CHARS + 1];
	char user[ACCT_NAME_MAX + 1];    /* the account's name when filed (or last decided) */
	char uid[ACCT_UID_MAX + 1];      /* the account's uid: a rename keeps it, a newcomer has another */
	char reason[TEXT_MAX + 1];
	char contact[255];
	enum tstatus status;
	int64_t created;
	int64_t decided;
	char by[ACCT_NAME_MAX + 1];
	char answer[TEXT_MAX + 1];      /* the reason given with a denial */
};

#define OIDC_ISSUER_MAX 255
#define OIDC_SUBJECT_MAX 255
#define ACCT_MAX_OIDC 8

/* An OpenID Connect identity (MojeID and the like). */
struct oidc_id {
	char issuer[OIDC_ISSUER_MAX + 1];
	char subject[OIDC_SUBJECT_MAX + 1];
};

/* The store's record of who an identity belongs to (one account at most):
 * the account's name, kept current by a rename, and its uid, which tells
 * the account from a newcomer under an old name. */
struct oidc_link {
	struct oidc_id id;
	char user[ACCT_NAME_MAX + 1];
	char uid[ACCT_UID_MAX + 1];      /* empty in links made before uids were kept */
	int64_t created;
};

#define ACCT_CODE_KEY 32

/* WebAuthn challenges: what one ceremony (a registration or a login) must
 * sign. Only the SHA-256 of the challenge is kept; it is used once. */
#define WA_CHALLENGE_BYTES 32
#define WA_USER_HANDLE_BYTES 32
#define ACCT_MAX_WA_CHALLENGES 4

enum wa_purpose { WA_REGISTER = 0, WA_LOGIN, WA_PURPOSE_COUNT };

struct wa_challenge {
	enum wa_purpose purpose;
	uint8_t hash[32];
	int64_t expires;
};

/* One failure budget (core/lockout.h). */
struct lock_budget {
	uint32_t failures;         /* consecutive failed attempts */
	int64_t last_failure;
	int64_t locked_until;      /* delay after the limit is reached */
};

struct account {
	int version;
	char uid[ACCT_UID_MAX + 1];      /* random, for life: what code hashes, links and tickets are
	                                    bound to (a rename keeps it) */
	/* The key of the account's code hashes (backup codes, device tokens,
	 * email/SMS codes, reset and activation links): random, sealed inside
	 * the record, so a rekey (which seals it again) keeps them all valid. */
	uint8_t code_key[ACCT_CODE_KEY];
	int has_code_key;
	char name[ACCT_NAME_MAX + 1];
	char email[255];
	char phone[33];
	char org[ACCT_NAME_MAX + 1];
	char lang[9];
	int service;
	int64_t created;
	uint32_t next_id;
	/* rate limiting: two budgets, so password guesses never spend the codes' */
	struct lock_budget lk_codes;     /* second factor: codes, backup codes, WebAuthn */
	struct lock_budget lk_pw;        /* first factor: the password */
	uint64_t verified;         /* successful verifications, for statistics */
	struct factor f[ACCT_MAX_FACTORS];
	unsigned nf;
	uint8_t backup[ACCT_MAX_BACKUP][CODE_HASH_BYTES];
	unsigned nbackup;
	/* hashes of the codes of this set already used: presented again they are
	 * replays (refused, never counted as failures) */
	uint8_t backup_used[ACCT_MAX_BACKUP][CODE_HASH_BYTES];
	unsigned nbackup_used;
	int64_t backup_issued;
	struct otc otc[CH_COUNT];        /* one pending code per channel */
	/* Bumped when the password changes or a factor is removed: the hashes
	 * of codes and links sent by email or SMS are bound to it and to the
	 * address or number they went to, so a change of either kills them. */
	uint32_t sent_epoch;
	int64_t last_sent[CH_COUNT][P_COUNT];   /* for the resend interval, per channel and purpose */
	struct wl_entry wl[ACCT_MAX_WHITELIST];
	unsigned nwl;
	struct trusted tr[ACCT_MAX_TRUST];
	unsigned ntr;
	uint32_t next_trust_id;
	struct pending_login pl[ACCT_MAX_LOGINS];
	unsigned npl;
	char pwhash[PWHASH_MAX];         /* Argon2id (crypto_pwhash_str), or empty */
	int password_off;                /* OIDC only: no password login */
	int must_enrol;                  /* after a recovery: enrolment needed at the next login,
	                                    whatever the policy, until a factor is active again */
	int email_reset_off;             /* the user turned the email reset off */
	enum acct_switch twofa;          /* its own 2FA switch; SW_INHERIT: the organisation's */
	uint8_t reset_hash[CODE_HASH_BYTES];
	int64_t reset_expires;           /* 0: no reset link pending */
	int64_t reset_sent;              /* when the last link was sent (or is being sent) */
	struct oidc_id oidc[ACCT_MAX_OIDC];
	unsigned noidc;
	char moved_to[ACCT_NAME_MAX + 1];/* a rename in progress (see cmd/user.c) */
	uint8_t act_hash[CODE_HASH_BYTES];/* confirm --by-link: the emailed link's hash */
	int64_t act_expires;
	uint32_t act_factor;
	/* an imported RATE_LIMIT: at most rate_n attempts per rate_secs */
	unsigned rate_n, rate_secs;
	int64_t rate_times[16];
	unsigned nrate;
	/* WebAuthn: the user handle given to authenticators (random, made at
	 * the first registration, kept across renames) and open challenges */
	uint8_t wa_user[WA_USER_HANDLE_BYTES];
	int has_wa_user;
	struct wa_challenge wa_ch[ACCT_MAX_WA_CHALLENGES];
	unsigned nwa_ch;
};

/* Names: 1..64 bytes of [A-Za-z0-9._@+-], not starting with '.' or '-'. */
int account_name_valid(const char *name);


/* Contact details, checked before they are stored. */
int email_valid(const char *s);     /* local@domain, printable ASCII, <= 254 */
int phone_valid(const char *s);     /* E.164: + and 8 to 15 digits */
int lang_valid(const char *s);      /* two lower-case letters */

void account_init(struct account *a, const char *name, int64_t now);
/* Complete a record written before uids and per-account code keys, without
 * changing what its hashes were made with: the uid becomes legacy_ctx (the
 * file name its hashes are bound to) and the code key legacy_key (the
 * store's code subkey). 1 when something was filled in. */
int account_upgrade(struct account *a, const char *legacy_ctx, const uint8_t legacy_key[ACCT_CODE_KEY]);
struct factor *account_factor(struct account *a, uint32_t id);
struct factor *account_factor_add(struct account *a, int64_t now);   /* NULL when full */
void account_factor_del(struct account *a, uint32_t id);
unsigned account_active_count(const struct account *a);
/* Two TOTP/HOTP factors with the same key. One key must have one replay
 * state, so an account never holds it twice. */
int factor_same_otp_key(const struct factor *x, const struct factor *y);
/* The account's TOTP/HOTP factor (active or pending) with the key of f, or NULL. */
const struct factor *account_otp_key_factor(const struct account *a, const struct factor *f);
const char *factor_type_name(enum factor_type t);
const char *channel_name(enum channel c);
int channel_parse(const char *s, enum channel *c) WUR;
const char *purpose_name(enum purpose p);
int purpose_parse(const char *s, enum purpose *p) WUR;
/* The active (or, with pending, the pending) email/SMS factor of a channel. */
struct factor *account_channel_factor(struct account *a, enum channel c, enum factor_status st);
int factor_type_parse(const char *s, enum factor_type *t) WUR;
const char *wa_purpose_name(enum wa_purpose p);
int wa_purpose_parse(const char *s, enum wa_purpose *p) WUR;

const char *policy_name(enum policy p);
int policy_parse(const char *s, enum policy *p) WUR;
const char *switch_name(enum acct_switch sw);
int switch_parse(const char *s, enum acct_switch *sw) WUR;   /* required|optional|off|inherit */
int oidc_link_to_json(const struct oidc_link *l, char **out, size_t *outlen) WUR;
int oidc_link_from_json(const char *json, size_t len, struct oidc_link *l) WUR;
/* "issuer\nsubject": the name under which the store keeps a link. */
void oidc_key(const struct oidc_id *id, char *out, size_t cap);
int oidc_valid(const struct oidc_id *id);
/* Issuer URLs compare without trailing slashes: https://id.example/ is
 * https://id.example. oidc_normalize drops them in place. */
void oidc_normalize(struct oidc_id *id);
int oidc_same(const struct oidc_id *x, const struct oidc_id *y);

const char *tstatus_name(enum tstatus t);
int tstatus_parse(const char *s, enum tstatus *t) WUR;
int ticket_id_valid(const char *id);   /* 8 base32 characters, upper case */
int ticket_to_json(const struct ticket *t, char **out, size_t *outlen) WUR;
int ticket_from_json(const char *json, size_t len, struct ticket *t) WUR;
int org_to_json(const struct org *o, char **out, size_t *outlen) WUR;
int org_from_json(const char *json, size_t len, struct org *o) WUR;

/* JSON form. record_to_json returns a malloc'd NUL-terminated string the
 * caller wipes and frees; json-c's own copy is wiped before it is freed. */
int record_to_json(const struct account *a, char **out, size_t *outlen) WUR;
int record_from_json(const char *json, size_t len, struct account *a) WUR;
/* Would a reads back as written? CORE_ERANGE when a value is out of the
 * range the format holds (the store refuses to write such a record). */
int record_check(const struct account *a) WUR;

#endif
