/* SPDX-License-Identifier: ISC */
/* libtwofactl — two-factor accounts in an encrypted flat-file store.
 *
 * The one public header. A front end (the command line, `twofactl serve`,
 * pam_twofactl, or a C program of yours: pkg-config --cflags --libs
 * twofactl) opens a handle on a store and calls one function per use case.
 * The library decides, persists and audits; it never prints, exits, reads
 * argv, calls time() or touches global state, so two threads may each use
 * a handle of their own (one handle is not for two threads at once).
 *
 * Conventions, as libfido2's:
 *   - every use case returns a tf_status, whose values are the exit codes of
 *     the command line (DESIGN.md), and is warn_unused_result;
 *   - on failure, tf_error_word() gives a stable word ("rejected",
 *     "replayed", "locked", "rate_limited", "not_found", "usage", "store",
 *     "delivery", "busy", "forbidden", "code_required", ...) and
 *     tf_error_message() one line a caller may print after its own prefix;
 *   - results that carry a secret (keys, backup codes, tokens, passwords)
 *     are in locked, wiped memory and freed with their _free function, which
 *     takes the address of the pointer and sets it to NULL;
 *   - results meant for display are JSON objects (json-c), exactly the
 *     objects `twofactl --json` prints and twofactl-json(7) documents; the
 *     caller releases them with json_object_put().
 */
#ifndef TWOFACTL_H
#define TWOFACTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TF_WUR __attribute__((warn_unused_result))

typedef enum tf_status {
	TF_OK = 0,            /* success, code accepted, no second factor needed */
	TF_REJECTED = 1,      /* code, password or assertion rejected */
	TF_USAGE = 2,         /* bad argument; also a request a role may not make */
	TF_NOENT = 3,         /* no such account, organisation, ticket, entry */
	TF_LOCKED = 4,        /* locked out or rate limited */
	TF_STORE = 5,         /* store error: key, permissions, corrupt file, I/O */
	TF_DELIVERY = 6,      /* email or SMS delivery failed: nothing recorded as sent */
	TF_BUSY = 7,          /* a lock was not obtained within the lock timeout */
	TF_NEED_CODE = 10,    /* check: a second factor is needed */
	TF_NEED_ENROL = 11,   /* check: enrolment is needed */
} tf_status;

/* The stable word of a status ("ok", "rejected", "usage", ...). */
const char *tf_status_word(tf_status st);

/* Who is calling; the library refuses what a role may not do (serve's
 * table in twofactl(1), SERVE) and audits the refusal. */
typedef enum tf_role {
	TF_ROLE_NONE = 0,
	TF_ROLE_PAM,
	TF_ROLE_FRONTEND,
	TF_ROLE_ADMIN,
} tf_role;

/* Step-up: a caller that is not an administrator who adds or re-points a
 * factor of an account that has an active one (backup issue, enroll,
 * webauthn register, user set of --email or --phone, user rename,
 * whitelist add for an account) gives a current code of one of its active
 * factors in the use case's `stepup` field: a TOTP/HOTP code, a login code
 * sent by email or SMS, or a backup code. It is checked as verify checks
 * it (the same failure budget and lockout, replays refused) and spent.
 * Without one the answer is TF_USAGE with the word "code_required"; an
 * account with no active factor (a first enrolment) needs none. */

/* The clock: seconds since 1970. The command line passes --at or the
 * real time; a long-running caller a function that reads the clock. */
typedef int64_t (*tf_clock_fn)(void *ctx);

/* Told of each failure as it happens (the command line prints it at once,
 * serve keeps the first for its answer); may be NULL. */
typedef void (*tf_error_fn)(void *ctx, tf_status st, const char *word, const char *message);

struct tf_options {
	const char *dir;          /* the store directory (required) */
	tf_clock_fn clock;        /* required */
	void *clock_ctx;
	unsigned lock_timeout;    /* seconds; 0: the store's lock.timeout (15) */
	tf_role role;             /* TF_ROLE_NONE is taken as TF_ROLE_ADMIN */
	uint32_t caller_uid;      /* audited with refusals */
	tf_error_fn on_error;
	void *error_ctx;
	const char *templates_dir; /* message templates; NULL: the store's templates.dir,
	                              else the installed ones */
	unsigned flags;           /* TF_OPEN_* */
	/* What the library never reads from the environment itself: */
	const char *passphrase_file; /* overrides the store's key.passphrase_file, or NULL
	                                (the command line: $TWOFACTL_PASSPHRASE_FILE) */
	enum {
		TF_SHARED_DETECT = 0,     /* tell a shared file system by its type */
		TF_SHARED_NO,
		TF_SHARED_YES,            /* (the command line: $TWOFACTL_SHARED=yes|no) */
	} shared;
};

/* Open the store even when its config is not as sealed (hand-edited, or
 * from before seals): for config diff/accept and fsck, which report it. */
#define TF_OPEN_ANY_CONFIG 1u
/* Every audit line carries the caller's uid and role (fields "uid",
 * "role"): for a front end that serves others (twofactl serve). */
#define TF_OPEN_AUDIT_CALLER 2u

/* Results: every use case hands what it found or made to the caller's
 * sink, one JSON object at a time (lists stream, one object per item).
 * The object is the library's: take a reference (json_object_get) to keep
 * it. A non-zero return means the caller could not take it (say, standard
 * output is full); a use case that shows a secret once, or an answer that
 * spends something, then keeps nothing. A NULL sink drops the results. */
struct json_object;
typedef int (*tf_result_fn)(void *ctx, struct json_object *result);
struct tf_sink {
	tf_result_fn result;
	/* Push what was taken so far out now (a secret shown once, an answer
	 * that spends something): non-zero when it could not be. May be NULL. */
	int (*flush)(void *ctx);
	void *ctx;
};

/* Progress of long sweeps (expire, import, rekey). */
typedef void (*tf_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct tf tf;

/* Where a store is when nobody says (-d, $TWOFACTL_DIR). */
#define TF_DEFAULT_DIR "/var/lib/twofactl"

/* Open a store. On failure *h is still set when it could be allocated,
 * so tf_error_message(*h) says why; tf_close() it either way. */
tf_status tf_open(tf **h, const struct tf_options *o) TF_WUR;
void tf_close(tf **h);

/* Create a store (directory 0700, a random master key 0600, or kept in
 * key_file outside it, or wrapped with the passphrase in pass_file) and
 * open it. Refuses a directory that is not new and empty. */
tf_status tf_create(tf **h, const struct tf_options *o, const char *key_file,
                    const char *pass_file) TF_WUR;

/* Who is told of each failure from now on (NULL: nobody). */
void tf_set_error_hook(tf *h, tf_error_fn fn, void *ctx);

/* A status a caller may let go (already said, or a best effort):
 * warn_unused_result is not silenced by a cast to void. */
#define TF_IGNORE(call) do { if (call) { /* already said */ } } while (0)

/* The last failure of a call on this handle. */
const char *tf_error_word(const tf *h);
const char *tf_error_message(const tf *h);

/* The time the handle's clock gives now (what the use cases see). */
int64_t tf_now(const tf *h);

/* Where the requests come from, recorded with every audit line from now
 * on: the PAM service (sshd, sudo) and the remote host; NULL clears.
 * Refused (TF_USAGE, word "forbidden", audited) for TF_ROLE_FRONTEND:
 * a web application does not speak in sshd's name. */
tf_status tf_set_origin(tf *h, const char *service, const char *rhost) TF_WUR;

/* serve: who the caller is, by the store's role.* keys (the store's owner
 * is an administrator, and root too unless role.admin is set; role.admin,
 * role.frontend and role.pam name users, uids and @groups). The handle
 * takes the role and the uid: from then on the library refuses what the
 * role may not do, audits the refusal with the uid, and every audit line
 * carries the uid and the role (as TF_OPEN_AUDIT_CALLER). */
tf_status tf_identify(tf *h, uint32_t uid, const uint32_t *gids, size_t ngids, tf_role *role) TF_WUR;

/* serve: may the handle's role run this request (argv[0] the command,
 * argv[1] its verb)? TF_OK, or TF_USAGE with the word "forbidden", the
 * refusal audited with the caller's uid and role. */
tf_status tf_serve_allows(tf *h, int argc, char *const argv[]) TF_WUR;
/* A refusal the front end found itself (an option the role may not
 * use), audited the same way. */
void tf_serve_refused(tf *h, const char *command);

/* The store directory the handle opened. */
const char *tf_dir(const tf *h);

/* Secrets (a TOTP key and its URI, backup codes, a device token, a reset
 * token) reach the caller inside a result; the library wipes the result's
 * strings once the sink returns. A caller that keeps one copies it out
 * with tf_secret_take: NUL-terminated text in sodium_malloc'd (guarded,
 * never swapped) memory, wiped and freed by tf_secret_free. NULL when the
 * result has no such string field (or memory is short). */
typedef struct tf_secret {
	char *text;
	size_t len;
} tf_secret;
tf_secret *tf_secret_take(struct json_object *result, const char *field);
void tf_secret_free(tf_secret **s);

/* ==== login: check, verify (code, password, WebAuthn assertion), send, passwd, reset, webauthn (lib/check.c, lib/verify.c, lib/send.c, lib/password.c, lib/webauthn.c) ==== */

/* verify NAME CODE: a TOTP or HOTP code, a backup code, or a login code
 * sent by email or SMS, accepted once. TF_OK, TF_REJECTED (word
 * "replayed" for a code used already), TF_LOCKED (word "rate_limited"
 * under an imported RATE_LIMIT), TF_USAGE for a malformed code. The code
 * is spent on disk before the answer, {name, result, method, factor,
 * drift, backup_left} (twofactl-json(7), verify), is handed over and
 * flushed; when the sink cannot take it the code is given back unused
 * and the result is TF_STORE. A successful verify closes the logins
 * check opened. */
struct tf_verify_args {
	const char *name;
	const char *code;           /* a secret: the caller wipes it */
	const char *ip;             /* the login's address (audited), or NULL */
};
tf_status tf_verify(tf *h, const struct tf_verify_args *a, const struct tf_sink *out) TF_WUR;

/* verify NAME --password: the account's password (Argon2id), with the
 * first factor's own failure budget (never the codes'). TF_OK,
 * TF_REJECTED (wrong, or password login turned off), TF_NOENT (no
 * password set), TF_LOCKED. One result: {name, result, method}. */
struct tf_verify_password_args {
	const char *name;
	const char *password;       /* a secret: the caller wipes it */
	const char *ip;             /* audited, or NULL */
};
tf_status tf_verify_password(tf *h, const struct tf_verify_password_args *a,
                             const struct tf_sink *out) TF_WUR;

/* verify NAME --assertion: a WebAuthn assertion over a login challenge of
 * tf_webauthn_challenge (lib/webauthn.c). The challenge is used up and a
 * failure counted in the codes' budget whatever the verdict. TF_OK,
 * TF_REJECTED, TF_USAGE (malformed), TF_LOCKED, TF_STORE (no
 * webauthn.rp_id, libfido2 missing). One result: {name, result, method,
 * factor}. */
struct tf_verify_assertion_args {
	const char *name;
	const char *assertion;      /* the browser's PublicKeyCredential as JSON text */
	const char *ip;             /* audited, or NULL */
};
tf_status tf_verify_assertion(tf *h, const struct tf_verify_assertion_args *a,
                              const struct tf_sink *out) TF_WUR;

/* send NAME --via email|sms --purpose login|enroll|confirm: a one-time
 * code (6 digits, code.ttl, once, hashed) with a 3-digit session id.
 * TF_OK, TF_NOENT (no such account, or no pending enrolment of the
 * channel), TF_NEED_ENROL (the channel is not an enrolled method, or no
 * address), TF_LOCKED (locked out, or word "rate_limited": code.resend),
 * TF_DELIVERY (nothing recorded). One result: {name, via, purpose,
 * session, expires, to}; "to", the address or number the code went to,
 * is for the caller's own message (the command line's --json leaves it
 * out). */
typedef enum tf_channel {
	TF_CHANNEL_EMAIL = 0,
	TF_CHANNEL_SMS,
} tf_channel;
typedef enum tf_code_purpose {
	TF_CODE_LOGIN = 0,
	TF_CODE_ENROLL,             /* resend the code of a pending enrolment */
	TF_CODE_CONFIRM,
} tf_code_purpose;
struct tf_send_args {
	const char *name;
	tf_channel via;
	tf_code_purpose purpose;
};
tf_status tf_send(tf *h, const struct tf_send_args *a, const struct tf_sink *out) TF_WUR;

/* check NAME, after the password was accepted: may this login skip the
 * second factor? TF_OK (policy off, optional and not enrolled, a
 * whitelisted address, a remembered device, a service account),
 * TF_NEED_CODE (a pending login is opened that a successful verify
 * closes), TF_NEED_ENROL, TF_LOCKED. One result: {name, result, reason,
 * policy, policy_source, methods, digits?, missing?} (twofactl-json(7)). */
/* A remembered device's token (trust add): 43 characters of base64url. */
#define TF_DEVICE_TOKEN_CHARS 43
struct tf_check_args {
	const char *name;
	const char *ip;             /* the login's address, or NULL */
	const char *device_token;   /* a remembered device's token, or NULL (the caller wipes it) */
};
tf_status tf_check(tf *h, const struct tf_check_args *a, const struct tf_sink *out) TF_WUR;

/* passwd NAME: set the account's password (at least 8 characters,
 * Argon2id). Clears the password's failure budget and ends the codes and
 * links sent so far. TF_OK, TF_USAGE (too short), TF_NOENT. One result:
 * {name, password}. */
struct tf_passwd_args {
	const char *name;
	const char *password;       /* a secret: the caller wipes it */
};
tf_status tf_passwd(tf *h, const struct tf_passwd_args *a, const struct tf_sink *out) TF_WUR;

/* reset send NAME: email a single-use password reset link (reset.url with
 * {token}, valid reset.ttl). TF_OK, TF_LOCKED (the user turned the email
 * reset off, or sent moments ago), TF_NEED_ENROL (no email address),
 * TF_DELIVERY (nothing recorded). One result: {name, expires, to}; "to"
 * is the address (the command line's --json leaves it out). */
struct tf_reset_send_args {
	const char *name;
};
tf_status tf_reset_send(tf *h, const struct tf_reset_send_args *a, const struct tf_sink *out) TF_WUR;

/* reset redeem: check a reset token ("NAME:SECRET") once; with a
 * password, set it. TF_OK, TF_REJECTED (wrong, used or expired), TF_USAGE
 * (malformed), TF_LOCKED (email reset turned off). One result: {name,
 * password_set}. */
struct tf_reset_redeem_args {
	const char *token;          /* a secret: the caller wipes it */
	const char *password;       /* the new password, or NULL; a secret */
};
tf_status tf_reset_redeem(tf *h, const struct tf_reset_redeem_args *a, const struct tf_sink *out) TF_WUR;

/* webauthn challenge NAME: a single-use challenge (32 random bytes,
 * webauthn.challenge_ttl) for a registration or a login; only its hash is
 * kept. TF_OK, TF_NOENT (a login challenge for an account without a
 * credential), TF_STORE (webauthn.rp_id not set). One result: {name,
 * purpose, challenge, expires, timeout, rp_id, origins, user_verification,
 * user_handle?, credential_ids, publicKey}. */
typedef enum tf_webauthn_purpose {
	TF_WEBAUTHN_LOGIN = 0,
	TF_WEBAUTHN_REGISTER,
} tf_webauthn_purpose;
struct tf_webauthn_challenge_args {
	const char *name;
	tf_webauthn_purpose purpose;
};
tf_status tf_webauthn_challenge(tf *h, const struct tf_webauthn_challenge_args *a,
                                const struct tf_sink *out) TF_WUR;

/* webauthn register NAME: store a credential from the browser's answer to
 * navigator.credentials.create() over a register challenge, which is used
 * up whatever the verdict. TF_OK, TF_REJECTED, TF_USAGE (malformed, or
 * registered already), TF_STORE. One result: {name, factor, alg,
 * credential_id, sign_count, fmt}. */
struct tf_webauthn_register_args {
	const char *name;
	const char *registration;   /* the PublicKeyCredential as JSON text */
	const char *label;          /* NULL: the registration's "label", if any */
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_webauthn_register(tf *h, const struct tf_webauthn_register_args *a,
                               const struct tf_sink *out) TF_WUR;

/* webauthn list NAME: one result per credential: {id, credential_id, alg,
 * label, sign_count, last_used}. */
struct tf_webauthn_list_args {
	const char *name;
};
tf_status tf_webauthn_list(tf *h, const struct tf_webauthn_list_args *a, const struct tf_sink *out) TF_WUR;

/* webauthn del NAME ID: remove a credential. TF_OK, TF_NOENT. One result:
 * {name, factor, result}. */
struct tf_webauthn_del_args {
	const char *name;
	uint32_t id;                /* its factor number */
};
tf_status tf_webauthn_del(tf *h, const struct tf_webauthn_del_args *a, const struct tf_sink *out) TF_WUR;

/* ==== end of login ==== */

/* ==== accounts and organisations: init, user, org, config, oidc, health (lib/user.c, lib/org.c, lib/config.c, lib/oidc.c, lib/health.c) ==== */

/* Words the command line takes, as values a caller passes. Each has a
 * _NONE of 0: not given (user set: unchanged; user list: any). */
typedef enum tf_policy {        /* an organisation's policy, policy.default */
	TF_POLICY_NONE = 0,
	TF_POLICY_REQUIRED,
	TF_POLICY_OPTIONAL,
	TF_POLICY_OFF,
} tf_policy;
typedef enum tf_switch {        /* an account's own 2FA switch (user set --2fa) */
	TF_SWITCH_NONE = 0,
	TF_SWITCH_INHERIT,
	TF_SWITCH_REQUIRED,
	TF_SWITCH_OPTIONAL,
	TF_SWITCH_OFF,
} tf_switch;
typedef enum tf_toggle {        /* a setting that is on or off */
	TF_TOGGLE_NONE = 0,
	TF_TOGGLE_ON,
	TF_TOGGLE_OFF,
} tf_toggle;

/* init: create a store with the options' directory and clock (tf_create),
 * record its creation in the audit log, and leave *h open on it (closed
 * with tf_close either way, as after tf_open). One result: {dir, key_file}. */
struct tf_init_args {
	const char *key_file;       /* keep the master key there (absolute), or NULL */
	const char *pass_file;      /* wrap it with the passphrase in that file, or NULL */
};
tf_status tf_init(tf **h, const struct tf_options *o, const struct tf_init_args *a,
                  const struct tf_sink *out) TF_WUR;

/* user add NAME: a new account. An own 2FA switch other than required, and
 * an organisation, are for administrators. With service or
 * generate_password a random password of 32 characters is made: the one
 * result, {name, created, service, password?}, carries it, shown once
 * before the account is written (nothing is kept when the sink refuses it). */
struct tf_user_add_args {
	const char *name;
	const char *email;          /* as typed (a domain in Unicode is stored in ASCII), or NULL */
	const char *phone;          /* with its country code: +420 601 234 567, or NULL */
	const char *org;            /* an organisation that exists, or NULL */
	const char *lang;           /* two letters, or NULL: en */
	tf_switch twofa;            /* NONE: inherit */
	int service;                /* a service account: exempt from the second factor */
	int generate_password;
};
tf_status tf_user_add(tf *h, const struct tf_user_add_args *a, const struct tf_sink *out) TF_WUR;

/* user list: one result per account the filters let through, sorted by
 * name: {name, org, methods, enabled, backup_left, locked, 2fa, policy,
 * policy_source}. Records that cannot be read are skipped, each said, and
 * the answer is then TF_STORE after the list. */
struct tf_user_list_args {
	const char *org;            /* members of this organisation only, or NULL */
	int enabled;                /* 1: with an active factor only; -1: without; 0: any */
	int locked;                 /* only accounts locked out or waiting after failures */
	const char *method;         /* with an active factor of this type (totp, hotp, email,
	                               sms, webauthn) only, or NULL */
	tf_policy policy;           /* under this policy only, or NONE */
};
tf_status tf_user_list(tf *h, const struct tf_user_list_args *a, const struct tf_sink *out) TF_WUR;

/* user show NAME. One result: the account as twofactl-json(7) shows it
 * (contact details, switch and policy, factors, failures and lockouts). */
struct tf_user_show_args {
	const char *name;
};
tf_status tf_user_show(tf *h, const struct tf_user_show_args *a, const struct tf_sink *out) TF_WUR;

/* user set NAME: change what is given (at least one). NULL strings and
 * NONE values are left as they are; an empty string clears. --2fa other
 * than required, --org and --must-enrol are for administrators; nothing
 * loosens a required organisation. One result: {name, updated}. */
struct tf_user_set_args {
	const char *name;
	const char *email, *phone, *org, *lang;
	tf_switch twofa;
	tf_toggle password_login;   /* off: only a linked OpenID Connect identity logs in */
	tf_toggle email_reset;      /* off: reset send refuses; a link already sent dies */
	tf_toggle must_enrol;
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_user_set(tf *h, const struct tf_user_set_args *a, const struct tf_sink *out) TF_WUR;

/* user del NAME (for administrators: serve's table), and everything it
 * holds. One result: {name, deleted}. */
struct tf_user_del_args {
	const char *name;
};
tf_status tf_user_del(tf *h, const struct tf_user_del_args *a, const struct tf_sink *out) TF_WUR;

/* user unlock NAME: clear both failure budgets. One result: {name, unlocked}. */
struct tf_user_unlock_args {
	const char *name;
};
tf_status tf_user_unlock(tf *h, const struct tf_user_unlock_args *a, const struct tf_sink *out) TF_WUR;

/* user rename OLD NEW, in one crash-safe step; NEW must be free. One
 * result: {name, old}. */
struct tf_user_rename_args {
	const char *name;
	const char *new_name;
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_user_rename(tf *h, const struct tf_user_rename_args *a, const struct tf_sink *out) TF_WUR;

/* org add ORG --policy P. One result: {name, policy, created, whitelist}. */
struct tf_org_add_args {
	const char *name;
	tf_policy policy;           /* required */
};
tf_status tf_org_add(tf *h, const struct tf_org_add_args *a, const struct tf_sink *out) TF_WUR;

/* org list: one result per organisation, sorted by name, as org add's. */
tf_status tf_org_list(tf *h, const struct tf_sink *out) TF_WUR;

/* org show ORG. One result, as org add's; with notes, also "notes": each
 * whitelist entry's note ("" for none), in the same order (the text form
 * shows them; --json does not ask). */
struct tf_org_show_args {
	const char *name;
	int notes;
};
tf_status tf_org_show(tf *h, const struct tf_org_show_args *a, const struct tf_sink *out) TF_WUR;

/* org set ORG --policy P. When the policy becomes required, each member
 * without an active factor (service accounts aside) is told once, by email
 * or else SMS, unless no_notify; a message that cannot be delivered is said
 * (through the error hook) and listed, never undoing the change. One
 * result: org add's and {overridden, notified, not_notified}. */
struct tf_org_set_args {
	const char *name;
	tf_policy policy;           /* required */
	int no_notify;
};
tf_status tf_org_set(tf *h, const struct tf_org_set_args *a, const struct tf_sink *out) TF_WUR;

/* org del ORG, when no account belongs to it. One result: {name, result}. */
struct tf_org_del_args {
	const char *name;
};
tf_status tf_org_del(tf *h, const struct tf_org_del_args *a, const struct tf_sink *out) TF_WUR;

/* org simulate ORG --policy P: changes nothing. One result per member that
 * would be stopped at its next login, or whose own switch decides or would
 * be overridden: {name, stopped, reasons, 2fa, policy, policy_source,
 * backup_left}. The counts go to sum, if set. */
struct tf_org_simulate_args {
	const char *name;
	tf_policy policy;           /* required */
};
struct tf_org_simulation {
	size_t members;             /* of the organisation */
	size_t stopped;             /* would be stopped */
	size_t own;                 /* decide by their own switch */
	tf_policy now;              /* the organisation's policy today */
};
tf_status tf_org_simulate(tf *h, const struct tf_org_simulate_args *a, const struct tf_sink *out,
                          struct tf_org_simulation *sum) TF_WUR;

/* oidc link NAME: an OpenID Connect identity (an https:// issuer and a
 * subject) to an account; one identity belongs to one account at most.
 * One result: {name, issuer, subject} (the issuer without a trailing /). */
struct tf_oidc_link_args {
	const char *name;
	const char *issuer;
	const char *subject;
};
tf_status tf_oidc_link(tf *h, const struct tf_oidc_link_args *a, const struct tf_sink *out) TF_WUR;

/* oidc unlink NAME: its identities, or only the one given (issuer and
 * subject both set); refused when it would leave an account whose password
 * login is off without a way in. One result: {name, unlinked}. */
struct tf_oidc_unlink_args {
	const char *name;
	const char *issuer;         /* NULL (and subject NULL): every identity */
	const char *subject;
};
tf_status tf_oidc_unlink(tf *h, const struct tf_oidc_unlink_args *a, const struct tf_sink *out) TF_WUR;

/* oidc lookup: the account an identity is linked to, or TF_NOENT. One
 * result: {name, issuer, subject}. */
struct tf_oidc_lookup_args {
	const char *issuer;
	const char *subject;
};
tf_status tf_oidc_lookup(tf *h, const struct tf_oidc_lookup_args *a, const struct tf_sink *out) TF_WUR;

/* health: the store checked for monitoring, in the Nagios convention. h may
 * be a handle whose tf_open failed (or NULL): the state is then CRITICAL,
 * with the reason. The lock of the whole store is waited for 2 s at most.
 * One result: {status, problems, accounts, enabled, backup_low, drift,
 * tickets_waiting, audit_intact, lock_busy}; the state and the counts
 * (backup_low and drift list 100 names at most) go to rep. TF_OK when the
 * report was made, whatever it says. */
typedef enum tf_health_state {
	TF_HEALTH_OK = 0,
	TF_HEALTH_WARNING = 1,
	TF_HEALTH_CRITICAL = 2,
	TF_HEALTH_UNKNOWN = 3,
} tf_health_state;
struct tf_health_report {
	tf_health_state state;
	size_t accounts, enabled, backup_low, drift, tickets_waiting;
};
tf_status tf_health(tf *h, const struct tf_sink *out, struct tf_health_report *rep) TF_WUR;

/* A warning of the config commands that is not a failure: word is stable
 * ("unsealed", "bad_seal", "unknown_key"), message one line a caller may
 * print after its own prefix. */
typedef void (*tf_config_warn_fn)(void *ctx, const char *word, const char *message);

/* config get KEY: one result, {key, value, default}; value is the default
 * (or null) when the key is not set. An unknown key is TF_USAGE. */
struct tf_config_get_args {
	const char *key;
};
tf_status tf_config_get(tf *h, const struct tf_config_get_args *a, const struct tf_sink *out) TF_WUR;

/* config set KEY VALUE, checked; an empty or NULL value restores the
 * default. One result: {key, value}. */
struct tf_config_set_args {
	const char *key;
	const char *value;
};
tf_status tf_config_set(tf *h, const struct tf_config_set_args *a, const struct tf_sink *out) TF_WUR;

/* config list: one result per key, {key, value, default, description}. A
 * config file that is not as sealed is warned of ("unsealed") first. */
struct tf_config_list_args {
	tf_config_warn_fn warn;     /* may be NULL */
	void *warn_ctx;
};
tf_status tf_config_list(tf *h, const struct tf_config_list_args *a, const struct tf_sink *out) TF_WUR;

/* config diff: the settings as sealed against the config file as it is:
 * one result per key changed, {key, sealed, now}, then {state, changes}.
 * Warned of: a seal that does not verify ("bad_seal"), keys twofactl does
 * not know ("unknown_key"); a value a hand edit got wrong is TF_USAGE. */
struct tf_config_diff_args {
	tf_config_warn_fn warn;     /* may be NULL */
	void *warn_ctx;
};
tf_status tf_config_diff(tf *h, const struct tf_config_diff_args *a, const struct tf_sink *out) TF_WUR;

/* config accept: the changes as config diff shows them, checked, then the
 * file sealed as it is (audited with the keys changed); then one result,
 * {accepted, changes}. Open the handle with TF_OPEN_ANY_CONFIG. */
struct tf_config_accept_args {
	tf_config_warn_fn warn;     /* may be NULL */
	void *warn_ctx;
};
tf_status tf_config_accept(tf *h, const struct tf_config_accept_args *a, const struct tf_sink *out) TF_WUR;

/* The i'th configuration key (for completion and help); NULL past the end. */
const char *tf_config_key_name(size_t i);

/* ==== end of accounts ==== */

/* ==== factors: enroll, confirm, show, disable, code, backup, trust, whitelist (lib/enroll.c, lib/backup.c, lib/trust.c, lib/whitelist.c) ==== */

/* How a second factor is enrolled (enroll --method). */
typedef enum tf_method {
	TF_METHOD_TOTP = 0,       /* an authenticator app, time-based */
	TF_METHOD_HOTP,           /* an authenticator app, counter-based */
	TF_METHOD_EMAIL,          /* a code by email to the account's address */
	TF_METHOD_SMS,            /* a code by SMS to the account's mobile number */
} tf_method;

/* An authenticator app's hash (enroll --algo). */
typedef enum tf_otp_algo {
	TF_ALGO_SHA1 = 0,
	TF_ALGO_SHA256,
	TF_ALGO_SHA512,
} tf_otp_algo;

/* enroll NAME: a pending factor, replacing a pending one of the same
 * method. An app: a random key, and one result carrying it (a secret):
 * {name, factor, type, status, uri, secret, algorithm, digits, period |
 * counter}. Email or SMS: a confirmation code is sent first (TF_NEED_ENROL
 * when the account has no address or number, TF_DELIVERY when it did not
 * go out: nothing is kept), and one result {name, factor, type, status,
 * session, to}, where to is the address or number it went to (the
 * command line's text shows it; its --json leaves it out). */
struct tf_enroll_args {
	const char *name;
	tf_method method;
	tf_otp_algo algo;           /* apps */
	unsigned digits;            /* apps: 6 or 8; 0: 6 */
	unsigned period;            /* TOTP: 10 to 300 seconds; 0: 30 */
	const char *issuer;         /* apps: shown in the app; NULL: config issuer */
	const char *label;          /* NULL: none; one line of at most 64 bytes */
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_enroll(tf *h, const struct tf_enroll_args *a, const struct tf_sink *out) TF_WUR;

/* confirm NAME CODE: activate a pending factor with a code it shows (or
 * the code sent for a pending email/SMS method, which is then told of its
 * success; a failed notice is said through the error hook with status
 * TF_OK and word "warning"). An app on an account whose active method is
 * SMS needs the SMS code too (send --purpose confirm). One result {name,
 * factor, type, status, backup_codes?}: when the account had no backup
 * codes, ten fresh ones, shown this once (a secret): the sink must take
 * them (and flush) before anything is kept. With by_link, the code is
 * spent and a link that activates is emailed instead: {name, factor,
 * status, link_expires, to} (to: the address, which --json leaves out). */
struct tf_confirm_args {
	const char *name;
	const char *code;           /* a secret: the caller wipes it */
	const char *sms_code;       /* NULL: none; a secret */
	uint32_t factor;            /* 0: the newest pending one */
	int by_link;
};
tf_status tf_confirm(tf *h, const struct tf_confirm_args *a, const struct tf_sink *out) TF_WUR;

/* confirm --link: the token of an emailed activation link ("NAME:" and 43
 * characters) activates its factor: TF_REJECTED when it is wrong, used
 * or expired. The result is confirm's. */
struct tf_confirm_link_args {
	const char *token;          /* a secret: the caller wipes it */
};
tf_status tf_confirm_link(tf *h, const struct tf_confirm_link_args *a, const struct tf_sink *out) TF_WUR;

/* show NAME: an app's key again, to add it to another device: enroll's
 * result for the factor (a secret). Anyone but an administrator must give
 * the factor's current code. */
struct tf_show_args {
	const char *name;
	uint32_t factor;            /* 0: the newest app, active ones first */
	const char *issuer;         /* NULL: config issuer */
	const char *code;           /* needed unless the handle is an administrator's; a secret */
};
tf_status tf_show(tf *h, const struct tf_show_args *a, const struct tf_sink *out) TF_WUR;

/* disable NAME: remove the account's factors (or one), and its backup
 * codes when no active factor is left. Needs a valid code, or force (an
 * administrator's, audited). One result {name, removed, enabled, forced}. */
struct tf_disable_args {
	const char *name;
	const char *code;           /* a secret; NULL with force */
	uint32_t factor;            /* 0: every factor */
	int force;
};
tf_status tf_disable(tf *h, const struct tf_disable_args *a, const struct tf_sink *out) TF_WUR;

/* code NAME: an app's current code (HOTP: the next, not used up), for an
 * administrator testing a setup. One result (a secret): {name, factor,
 * code, valid_for?} (valid_for: TOTP). An administrator's handle only. */
struct tf_code_args {
	const char *name;
	uint32_t factor;            /* 0: as show */
};
tf_status tf_code(tf *h, const struct tf_code_args *a, const struct tf_sink *out) TF_WUR;

/* backup issue NAME: a fresh set of backup codes replaces the old one,
 * which stays when the sink cannot take the new (shown once, a secret):
 * {name, backup_codes}. */
struct tf_backup_issue_args {
	const char *name;
	unsigned count;             /* 1 to 20; 0: 10 */
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_backup_issue(tf *h, const struct tf_backup_issue_args *a, const struct tf_sink *out) TF_WUR;

/* backup list NAME: how many are left (never the codes): {name, left, issued}. */
struct tf_backup_list_args {
	const char *name;
};
tf_status tf_backup_list(tf *h, const struct tf_backup_list_args *a, const struct tf_sink *out) TF_WUR;

/* backup revoke NAME: every code, or the one given (TF_NOENT when it is
 * not one of the account's unused codes): {name, revoked, left}. */
struct tf_backup_revoke_args {
	const char *name;
	const char *code;           /* a secret; NULL with all */
	int all;
};
tf_status tf_backup_revoke(tf *h, const struct tf_backup_revoke_args *a, const struct tf_sink *out) TF_WUR;

/* trust add NAME: remember a device; its random token is shown once (a
 * secret; only its keyed hash is kept, and nothing when the sink cannot
 * take it): {name, id, token, expires}. */
struct tf_trust_add_args {
	const char *name;
	unsigned days;              /* 1 to 365; 0: config trust.days (30) */
	const char *label;          /* NULL: none */
};
tf_status tf_trust_add(tf *h, const struct tf_trust_add_args *a, const struct tf_sink *out) TF_WUR;

/* trust list NAME: one result per device: {id, label, created, expires,
 * expired, last_used}. */
struct tf_trust_list_args {
	const char *name;
};
tf_status tf_trust_list(tf *h, const struct tf_trust_list_args *a, const struct tf_sink *out) TF_WUR;

/* trust revoke NAME: one device (TF_NOENT when there is none of that id)
 * or all: {name, revoked}. */
struct tf_trust_revoke_args {
	const char *name;
	uint32_t id;                /* 0 with all */
	int all;
};
tf_status tf_trust_revoke(tf *h, const struct tf_trust_revoke_args *a, const struct tf_sink *out) TF_WUR;

/* whitelist add NAME CIDR: logins of the account (or, with org, of every
 * account of the organisation NAME) from the address or range skip the
 * second factor; adding it again updates its TTL and note. A range that
 * covers every IPv4 address or a large part of the Internet needs
 * allow_broad (an administrator's). One result: {name | org, net, expires}. */
struct tf_whitelist_add_args {
	const char *name;
	const char *cidr;
	int64_t ttl;                /* seconds; 0: never expires */
	const char *note;           /* NULL: none */
	int org;
	int allow_broad;
	const char *stepup;         /* a step-up code (above), or NULL; a secret */
};
tf_status tf_whitelist_add(tf *h, const struct tf_whitelist_add_args *a, const struct tf_sink *out) TF_WUR;

/* whitelist list NAME: one result per entry: {net, created, expires,
 * expired, note}. */
struct tf_whitelist_list_args {
	const char *name;
	int org;
};
tf_status tf_whitelist_list(tf *h, const struct tf_whitelist_list_args *a, const struct tf_sink *out) TF_WUR;

/* whitelist del NAME CIDR: TF_NOENT when it is not there: {name, net, result}. */
struct tf_whitelist_del_args {
	const char *name;
	const char *cidr;
	int org;
};
tf_status tf_whitelist_del(tf *h, const struct tf_whitelist_del_args *a, const struct tf_sink *out) TF_WUR;

/* ==== end of factors ==== */

/* ==== administration: recovery, expire, audit, fsck, rekey, export, import (lib/recovery.c, lib/expire.c, lib/audit.c, lib/fsck.c, lib/rekey.c, lib/export.c) ==== */

/* Told of something a person should know that is neither a result nor a
 * failure (a message to the user that was not delivered, an account an
 * import skipped, a lock held now): one line of text, without the
 * caller's prefix. */
typedef void (*tf_notice_fn)(void *ctx, const char *text);

/* expire: the cron job, one sweep over the store: expired email/SMS
 * codes, whitelist entries past their TTL (accounts' and organisations'),
 * trusted devices past their days, enrolments never confirmed
 * (enroll.ttl), old pending logins, decided recovery tickets past
 * recovery.retention, and an email warning about each login that passed
 * the password but never completed the second step (login.warn_after),
 * once. Each account is changed under its lock, decided again on what is
 * on disk; one that fails is named and skipped, and the sweep answers its
 * first failure at the end. One result: {accounts, codes, whitelist,
 * devices, enrolments, logins, tickets, warnings, warnings_failed,
 * dry_run}; then TF_DELIVERY when some warnings could not be delivered
 * (they are tried again next time), TF_STORE when unreadable records were
 * skipped. */
struct tf_expire_args {
	int dry_run;                /* count what would go; change and send nothing */
	/* (read, 0) while reading the accounts, (swept, total) while
	 * sweeping; done == total when the sweep is over. May be NULL. */
	tf_progress_fn progress;
	void *progress_ctx;
};
tf_status tf_expire(tf *h, const struct tf_expire_args *a, const struct tf_sink *out) TF_WUR;

/* audit: the audit log, oldest first: one result per line, the line's
 * fields {t, event, user?, result?, ip?, service?, rhost?, detail?} and
 * its seq. TF_STORE when the log cannot be read. */
struct tf_audit_show_args {
	const char *user;           /* only this account's events, or NULL */
	int64_t since, until;       /* bounds (seconds since 1970), 0: none */
};
tf_status tf_audit_show(tf *h, const struct tf_audit_show_args *a, const struct tf_sink *out) TF_WUR;

/* audit verify: every line's seal and its place in the chain. One result
 * whatever the outcome, {intact, lines, bad_line, problem}; then TF_STORE,
 * naming the first bad line, when the log is not intact. */
tf_status tf_audit_verify(tf *h, const struct tf_sink *out) TF_WUR;

/* audit rotate: close audit.log with a sealed line and go on in a new file
 * whose first line carries the chain (the closed one goes to DIR/audit/).
 * Nothing is done under min_size bytes; keep > 0 keeps only that many
 * closed files. One result: {rotated, closed, last_seq, removed, size}. */
struct tf_audit_rotate_args {
	uint64_t min_size;
	unsigned keep;
};
tf_status tf_audit_rotate(tf *h, const struct tf_audit_rotate_args *a, const struct tf_sink *out) TF_WUR;

/* recovery: lost-device tickets. A ticket's result is {id, user, status,
 * reason, contact, created, decided, by, answer} (twofactl-json(7)). */
typedef enum tf_ticket_status {
	TF_TICKET_ANY = 0,          /* (a filter: every ticket) */
	TF_TICKET_PENDING,
	TF_TICKET_APPROVED,
	TF_TICKET_DENIED,
} tf_ticket_status;

/* recovery file NAME: a lost-device request, after the requester's
 * identity was checked. The user is told (the account's address, else the
 * contact); a message that could not be delivered is a notice, not a
 * failure. One result: the new ticket. */
struct tf_recovery_file_args {
	const char *name;
	const char *reason;         /* one line of text (required) */
	const char *contact;        /* an email address or an E.164 number, or NULL */
	tf_notice_fn notice;        /* may be NULL */
	void *notice_ctx;
};
tf_status tf_recovery_file(tf *h, const struct tf_recovery_file_args *a, const struct tf_sink *out) TF_WUR;

/* recovery list: tickets, oldest first, one result each. */
struct tf_recovery_list_args {
	tf_ticket_status status;    /* TF_TICKET_ANY: all of them */
};
tf_status tf_recovery_list(tf *h, const struct tf_recovery_list_args *a, const struct tf_sink *out) TF_WUR;

/* recovery show ID: one result, the ticket; TF_NOENT when there is none. */
struct tf_recovery_show_args {
	const char *id;
};
tf_status tf_recovery_show(tf *h, const struct tf_recovery_show_args *a, const struct tf_sink *out) TF_WUR;

/* recovery approve ID: every second factor of the account the ticket was
 * filed for goes (whatever its name now; never a newcomer's under its old
 * name), with its backup codes, remembered devices, pending codes and
 * lockout; the account must enrol again. recovery deny ID: nothing
 * changes. A ticket is decided once (TF_USAGE after); the user is told
 * (an undelivered message is a notice). One result: the decided ticket. */
struct tf_recovery_approve_args {
	const char *id;
	const char *by;             /* who decides (an account name), NULL: "admin" */
	tf_notice_fn notice;        /* may be NULL */
	void *notice_ctx;
};
tf_status tf_recovery_approve(tf *h, const struct tf_recovery_approve_args *a, const struct tf_sink *out) TF_WUR;
struct tf_recovery_deny_args {
	const char *id;
	const char *by;             /* who decides (an account name), NULL: "admin" */
	const char *reason;         /* why, for the user; or NULL */
	tf_notice_fn notice;        /* may be NULL */
	void *notice_ctx;
};
tf_status tf_recovery_deny(tf *h, const struct tf_recovery_deny_args *a, const struct tf_sink *out) TF_WUR;

/* export [NAME...]: accounts (all, or the named ones) and organisations as
 * one document, one result: {format: "twofactl-export", version: 1,
 * exported, secrets, orgs, accounts}. With include_secrets the
 * authenticator keys and password hashes are in it (handed over as a
 * secret: wiped after the sink returns). Backup codes, remembered devices
 * and pending codes are never exported. TF_STORE, after the result, when
 * unreadable records were skipped. */
struct tf_export_args {
	const char *const *names;   /* NULL (or nnames 0): every account */
	size_t nnames;
	int include_secrets;
	/* told each named account's name before it is read (a front end
	 * names it in what it says next); may be NULL */
	tf_notice_fn reading;
	void *reading_ctx;
};
tf_status tf_export(tf *h, const struct tf_export_args *a, const struct tf_sink *out) TF_WUR;

/* import: accounts and their authenticators from another tool's files. All
 * or nothing: every entry is checked under the whole-store lock before any
 * is written; a key an account has already, or one key twice, is refused
 * (TF_USAGE). One result: {format, added, updated, skipped,
 * duplicate_factors}, also after a write that failed midway (then the
 * failure's status; the same import again completes it). */
typedef enum tf_import_format {
	TF_IMPORT_DETECT = 0,       /* from the content */
	TF_IMPORT_TWOFACTL,         /* a twofactl export */
	TF_IMPORT_USERSFILE,        /* pam_oath */
	TF_IMPORT_GOOGLE_AUTHENTICATOR,  /* ~/.google_authenticator: names no user */
	TF_IMPORT_URI,              /* otpauth:// lines */
} tf_import_format;
struct tf_import_args {
	const char *text;           /* the input, NUL-terminated (it holds keys: the caller wipes it) */
	tf_import_format format;
	const char *user;           /* the account, where the input names none; or NULL */
	int resume;                 /* entries whose every key their account has are skipped, not refused */
	tf_progress_fn progress;    /* (written, 0) as it goes; done == total when over. May be NULL. */
	void *progress_ctx;
	tf_notice_fn notice;        /* an existing account a twofactl export skips; may be NULL */
	void *notice_ctx;
	unsigned *pins_dropped;     /* if set: usersfile PINs not carried over */
};
tf_status tf_import(tf *h, const struct tf_import_args *a, const struct tf_sink *out) TF_WUR;

/* rekey: a new master key, every file sealed again under it, under the
 * whole store's lock (TF_BUSY when it is not obtained); crash-safe. One
 * result: {files, rekeyed}. */
struct tf_rekey_args {
	tf_progress_fn progress;    /* (sealed, total); done == total when over. May be NULL. */
	void *progress_ctx;
};
tf_status tf_rekey(tf *h, const struct tf_rekey_args *a, const struct tf_sink *out) TF_WUR;

/* fsck: check every file of the store (open the handle with
 * TF_OPEN_ANY_CONFIG to check a store whose config is not as sealed). One
 * result per problem, {path, problem, action}, then {problems, repaired,
 * clean}; TF_STORE when problems remain. With repair, under the whole
 * store's lock (TF_BUSY if the store was rekeyed while it waited). */
struct tf_fsck_args {
	int repair;                 /* quarantine bad files, remove leftovers, fix modes */
	tf_notice_fn notice;        /* a lock held now by another process; may be NULL */
	void *notice_ctx;
};
tf_status tf_fsck(tf *h, const struct tf_fsck_args *a, const struct tf_sink *out) TF_WUR;

/* ==== end of admin ==== */

#ifdef __cplusplus
}
#endif

#endif
