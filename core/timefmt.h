/* SPDX-License-Identifier: ISC */
#ifndef TWOFACTL_TIMEFMT_H
#define TWOFACTL_TIMEFMT_H

#include "core/core.h"

/* "90", "30s", "5m", "12h", "30d", "2w" -> seconds; at most 10 years. */
int duration_parse(const char *s, int64_t *secs) WUR;
/* Decimal integer within [lo, hi], nothing else on the line. */
int int_parse(const char *s, int64_t lo, int64_t hi, int64_t *out) WUR;
/* UTC ISO 8601, e.g. 2026-11-23T07:51:26Z (gmtime_r: pure arithmetic). */
void time_iso(int64_t t, char out[32]);

/* A moment: seconds since 1970, a UTC date (2026-11-23) or date and time
 * (2026-11-23T07:51:26Z), or a duration before now (24h, 7d). */
int time_parse(const char *s, int64_t now, int64_t *out) WUR;

#endif
