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

/* Logins that passed the password and were asked for a code. One attempt
 * is one pending login: a check from the same address (or, without one,
 * again without one) less than `window` (login.warn_after) after a pending
 * login that has not been warned about yet joins it, so it gets one
 * warning, not one per check; another address is another attempt. */
void login_open(struct account *a, int64_t now, const uint8_t *ip, int64_t window);
void login_close_all(struct account *a);

/* Which policy applies to an account, in this order: its own switch
 * (user set --2fa), its organisation's, policy.default. An account may make
 * its organisation's policy stricter or looser, except that nothing loosens
 * a required organisation: there the organisation wins. */
enum policy_source { PSRC_DEFAULT = 0, PSRC_ORG, PSRC_ACCOUNT };

struct policy_in {
	enum acct_switch own;   /* the account's switch */
	int has_org;            /* it belongs to an organisation that exists */
	enum policy org;        /* that organisation's policy (when has_org) */
	enum policy def;        /* policy.default */
};

struct policy_out {
	enum policy pol;        /* the policy that applies */
	enum policy_source src; /* where it comes from */
	int overridden;         /* the account's own optional/off gave way to a required organisation */
};

void policy_resolve(const struct policy_in *in, struct policy_out *out);
/* The same for an account: its switch, its organisation o (NULL when it
 * has none, or the organisation no longer exists), policy.default. */
void account_policy(const struct account *a, const struct org *o, enum policy def, struct policy_out *out);
/* May an account under this organisation (has_org, org) carry the switch
 * own? Not optional or off under a required organisation. */
int policy_switch_allowed(enum acct_switch own, int has_org, enum policy org);
/* An account's own optional or off, which a required organisation overrides. */
int switch_gives_way(enum acct_switch own);
/* Tell this account, when its organisation's policy becomes required, that
 * its next login will ask for enrolment? (No active factor, not a service
 * account.) */
int enrol_notice_due(const struct account *a);
/* "account", "org", "default" */
const char *policy_source_name(enum policy_source src);

/* user list's filters: every one that is set must hold. */
struct list_filter {
	const char *org;        /* members of this organisation, or NULL */
	int enabled;            /* -1 any; 1 with an active factor, 0 without */
	int locked;             /* 1: only accounts locked out or waiting after failures */
	int method;             /* -1 any; else an enum factor_type it has active */
	int policy;             /* -1 any; else the enum policy that applies (po) */
};
/* Locked out or waiting, in either failure budget (codes or password). */
int account_locked(const struct account *a, int64_t now);
int list_filter_match(const struct list_filter *f, const struct account *a, const struct policy_out *po,
                      int64_t now);

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
