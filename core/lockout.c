/* SPDX-License-Identifier: ISC */
#include "core/lockout.h"

int64_t lock_delay(uint32_t failures, uint32_t after)
{
	int64_t d = LOCK_BASE_DELAY;

	if (after == 0 || failures < after)
		return 0;
	for (uint32_t i = after; i < failures && d < LOCK_MAX_DELAY; i++)
		d *= 2;
	return d > LOCK_MAX_DELAY ? LOCK_MAX_DELAY : d;
}

enum lock_state budget_check(const struct lock_budget *b, int64_t now, int64_t *wait)
{
	*wait = 0;
	if (b->failures >= LOCK_HARD)
		return LOCK_HARDLOCKED;
	if (b->locked_until > now) {
		*wait = b->locked_until - now;
		return LOCK_DELAYED;
	}
	return LOCK_OPEN;
}

void budget_fail(struct lock_budget *b, int64_t now, uint32_t after)
{
	int64_t d;

	if (b->failures < LOCK_HARD)
		b->failures++;
	d = lock_delay(b->failures, after);
	b->last_failure = now;
	b->locked_until = d ? now + d : 0;   /* below the limit: no wait, also for a clock set back */
}

void budget_success(struct lock_budget *b)
{
	b->failures = 0;
	b->locked_until = 0;
}

void budget_reset(struct lock_budget *b)
{
	budget_success(b);
	b->last_failure = 0;
}

enum lock_state lock_check(const struct account *a, int64_t now, int64_t *wait)
{
	return budget_check(&a->lk_codes, now, wait);
}

void lock_fail(struct account *a, int64_t now, uint32_t after)
{
	budget_fail(&a->lk_codes, now, after);
}

void lock_success(struct account *a)
{
	budget_success(&a->lk_codes);
}

void lock_reset(struct account *a)
{
	budget_reset(&a->lk_codes);
}

void lock_reset_all(struct account *a)
{
	budget_reset(&a->lk_codes);
	budget_reset(&a->lk_pw);
}
