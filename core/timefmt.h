/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_TIMEFMT_H
#define TWOFACTL_TIMEFMT_H

#include "core/core.h"

/* "90", "30s", "5m", "12h", "30d", "2w", and compounds such as "1h30m" or
 * "1d 12h" (each unit once, largest first) -> seconds; at most 10 years. */
#define DURATION_MAX ((int64_t)3650 * 86400)
int duration_parse(const char *s, int64_t *secs) WUR;
/* Decimal integer within [lo, hi], nothing else on the line. */
int int_parse(const char *s, int64_t lo, int64_t hi, int64_t *out) WUR;
/* A size in bytes: digits and an optional K, M or G (powers of 1024);
 * at most 1 TiB. */
int size_parse(const char *s, uint64_t *bytes) WUR;
/* UTC ISO 8601, e.g. 2026-11-23T07:51:26Z (gmtime_r: pure arithmetic). */
void time_iso(int64_t t, char out[32]);

/* A moment, with now the reference (never read from the clock here):
 * seconds since 1970; a date 2026-11-23 (midnight), a date and time
 * 2026-11-23 07:51, 2026-11-23T07:51:26Z (UTC unless +HH:MM or -HH:MM
 * follows); now, today, yesterday (midnight, UTC); a duration before now:
 * -2h, 2h ago, 1h30m ago, or a bare duration (24h). */
int time_parse(const char *s, int64_t now, int64_t *out) WUR;

#endif
