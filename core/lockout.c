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

enum lock_state lock_check(const struct account *a, int64_t now, int64_t *wait)
{
	*wait = 0;
	if (a->failures >= LOCK_HARD)
		return LOCK_HARDLOCKED;
	if (a->locked_until > now) {
		*wait = a->locked_until - now;
		return LOCK_DELAYED;
	}
	return LOCK_OPEN;
}

void lock_fail(struct account *a, int64_t now, uint32_t after)
{
	if (a->failures < LOCK_HARD)
		a->failures++;
	a->last_failure = now;
	a->locked_until = now + lock_delay(a->failures, after);
}

void lock_success(struct account *a)
{
	a->failures = 0;
	a->locked_until = 0;
}

void lock_reset(struct account *a)
{
	lock_success(a);
	a->last_failure = 0;
}
