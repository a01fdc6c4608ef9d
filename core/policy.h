/* SPDX-License-Identifier: ISC */
/* Login decisions: organisation policy, IP whitelists, trusted devices,
 * pending (incomplete) logins. Pure: time and keys come in as arguments. */
#ifndef TWOFACTL_POLICY_H
#define TWOFACTL_POLICY_H

#include "core/record.h"

#define TRUST_TOKEN_BYTES 32
#define TRUST_TOKEN_CHARS 43     /* base64url, no padding */

/* Whitelists (an account's or an organisation's). */
int wl_match(const struct wl_entry *wl, unsigned n, const uint8_t ip[16], int64_t now);
int wl_add(struct wl_entry *wl, unsigned *n, const struct cidr *net, int64_t now, int64_t ttl,
           const char *note) WUR;
int wl_del(struct wl_entry *wl, unsigned *n, const struct cidr *net);
unsigned wl_expire(struct wl_entry *wl, unsigned *n, int64_t now);

/* Trusted devices: a 256-bit random token, shown once; its keyed hash kept. */
int trust_add(struct account *a, const uint8_t *key, const char *context, int64_t now,
              int64_t lifetime, const char *label, char token[TRUST_TOKEN_CHARS + 1],
              uint32_t *id) WUR;
int trust_match(struct account *a, const uint8_t *key, const char *context, const char *token,
                int64_t now);          /* index of the live device, or -1 */
int trust_token_valid(const char *token);
int trust_revoke(struct account *a, uint32_t id);   /* 1 when removed */
unsigned trust_expire(struct account *a, int64_t now);

/* Logins that passed the password and were asked for a code. */
void login_open(struct account *a, int64_t now, const uint8_t *ip);
void login_close_all(struct account *a);

enum decision { DEC_PASS = 0, DEC_CODE, DEC_ENROL };

/* Does this login need a second factor? reason explains the answer. */
enum decision policy_decide(const struct account *a, enum policy pol, int whitelisted,
                            int trusted, const char **reason);

/* The expiry sweep of one account (twofactl expire). */
struct sweep_params {
	int64_t now;
	int64_t enroll_ttl;     /* pending enrolments older than this go */
	int64_t warn_after;     /* pending logins older than this get a warning */
	int64_t login_keep;     /* pending logins older than this are dropped once warned */
};

struct sweep_counts {
	unsigned codes, whitelist, devices, enrolments, logins, warnings;
};

/* A sweep's claim on a warning it is sending lasts this long (a sweep
 * killed while sending leaves it to the next one after that). */
#define WARN_CLAIM_SECS 300

/* Removes what has expired and returns a bit mask of the pending logins
 * (by index, after removal) that are due a warning and not claimed by a
 * sweep sending it now. */
unsigned sweep_account(struct account *a, const struct sweep_params *p, struct sweep_counts *c);

#endif
