/* SPDX-License-Identifier: ISC */
/* Rate limiting (NIST 800-63B), in two budgets per account: the first
 * factor's (the password) and the second factor's (codes, backup codes,
 * WebAuthn assertions). Failures of one never spend the other, so whoever
 * merely knows a user name can delay password guesses but never touch the
 * user's codes. In each budget, after `after` consecutive failures each
 * further attempt waits: 30 s after the limit is reached, doubling with each
 * further failure, at most 1 hour. A wait that runs out allows one more
 * attempt, never a fresh budget; at LOCK_HARD failures only an
 * administrator's unlock helps. */
#ifndef TWOFACTL_LOCKOUT_H
#define TWOFACTL_LOCKOUT_H

#include "core/record.h"

#define LOCK_HARD 100
#define LOCK_DEFAULT_AFTER 10
#define LOCK_BASE_DELAY 30
#define LOCK_MAX_DELAY 3600

enum lock_state { LOCK_OPEN = 0, LOCK_DELAYED, LOCK_HARDLOCKED };

/* May an attempt be checked now? *wait gets the seconds left when delayed. */
enum lock_state budget_check(const struct lock_budget *b, int64_t now, int64_t *wait);
/* Delay imposed after the nth consecutive failure (0 below the limit). */
int64_t lock_delay(uint32_t failures, uint32_t after);
void budget_fail(struct lock_budget *b, int64_t now, uint32_t after);
void budget_success(struct lock_budget *b);
void budget_reset(struct lock_budget *b);

/* The second factor's budget of an account (codes, backup codes, WebAuthn). */
enum lock_state lock_check(const struct account *a, int64_t now, int64_t *wait);
void lock_fail(struct account *a, int64_t now, uint32_t after);
void lock_success(struct account *a);
void lock_reset(struct account *a);
/* Both budgets (user unlock). */
void lock_reset_all(struct account *a);

#endif
