/* SPDX-License-Identifier: ISC */
/* Checking a code against an account's factors: pure, the caller persists
 * the changed record (replay state, HOTP counter, consumed backup code) and
 * the lockout accounting (core/lockout.h) before it reports success. */
#ifndef TWOFACTL_AUTH_H
#define TWOFACTL_AUTH_H

#include "core/record.h"

enum auth_result {
	AUTH_REJECT = 0,
	AUTH_OK,
	AUTH_REPLAY,    /* the code of an already used time step */
};

struct auth_params {
	int64_t now;
	unsigned totp_window;   /* steps either side */
	unsigned hotp_window;   /* look-ahead */
	const uint8_t *code_key;/* subkey for code hashes */
	const char *context;    /* the account's file name */
	uint32_t only_factor;   /* 0: every active factor; else this one, active or pending */
	int allow_backup;
	unsigned otc_purposes;  /* bit (1 << purpose): pending email/SMS codes accepted */
	unsigned otc_channels;  /* bit (1 << channel); 0 means every channel */
};

struct auth_outcome {
	enum auth_result result;
	uint32_t factor;        /* the factor that matched, 0 for a backup code */
	int backup;             /* a backup code was used */
	int channel;            /* the email/SMS code of this channel was used, else -1 */
	int expired;            /* the code matched a pending email/SMS code past its lifetime */
	int other_purpose;      /* 1 + the purpose of a pending code it matched that is not accepted here */
	int64_t drift;
};

int auth_check(struct account *a, const char *norm, enum code_kind kind,
               const struct auth_params *p, struct auth_outcome *out) WUR;

/* Replace the backup codes with n fresh ones; display gets n codes of
 * BACKUP_DISPLAY bytes each (the caller wipes it). */
int auth_issue_backup(struct account *a, unsigned n, const uint8_t *code_key,
                      const char *context, char (*display)[BACKUP_DISPLAY], int64_t now) WUR;

/* Remember a one-time code that was delivered: its keyed hash, lifetime,
 * session id. Replaces the channel's previous code; never touches the
 * account's failure count. */
int auth_store_otc(struct account *a, enum channel ch, enum purpose purpose, const char *code,
                   const char *session, const uint8_t *code_key, const char *context,
                   int64_t now, int64_t ttl) WUR;
/* Seconds before another code of this purpose may be sent over ch (0: now).
 * Each purpose has its own slot: an enrolment's confirmation code never
 * holds back the first login code. */
int64_t resend_wait(const struct account *a, enum channel ch, enum purpose p, int64_t now, int64_t resend);

/* Add one backup code (an imported scratch code), hashed. */
int auth_store_backup(struct account *a, const char *norm, const uint8_t *code_key,
                      const char *context) WUR;

/* An imported RATE_LIMIT: 1 when this attempt is one too many (not recorded),
 * else 0 and the attempt is recorded. */
int auth_rate_check(struct account *a, int64_t now);

/* The context the hash of a credential sent to dest (a code by email or
 * SMS, a reset or activation link) is bound to: what it is (kind), the
 * account's uid, the address or number, and the account's sent_epoch. */
#define SENT_CTX_MAX 400
void auth_sent_context(const struct account *a, const char *kind, const char *dest,
                       char buf[SENT_CTX_MAX]);
/* Every code and link sent so far stops working (a password change, a
 * factor removed): the epoch moves on and the pending ones are dropped. */
void auth_revoke_sent(struct account *a);
/* Drop what was sent to the account's email address (codes, reset and
 * activation links) or to its number, after the address or number changed. */
void auth_drop_sent(struct account *a, enum channel ch);

/* Drop expired one-time codes; returns how many. */
unsigned auth_expire_otc(struct account *a, int64_t now);

#endif
