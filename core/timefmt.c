/* SPDX-License-Identifier: ISC */
#include "core/timefmt.h"

#include <string.h>
#include <time.h>

int int_parse(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v = 0;
	int neg = 0;
	size_t i = 0;

	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (!s[i])
		return CORE_EINVAL;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CORE_EINVAL;
		if (v > (INT64_MAX - 9) / 10)
			return CORE_ERANGE;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return CORE_ERANGE;
	*out = v;
	return CORE_OK;
}

static int unit_secs(char u, int64_t *mul)
{
	switch (u) {
	case 's': *mul = 1; return 1;
	case 'm': *mul = 60; return 1;
	case 'h': *mul = 3600; return 1;
	case 'd': *mul = 86400; return 1;
	case 'w': *mul = 7 * 86400; return 1;
	default: return 0;
	}
}

/* "90" alone, or one or more NUMBER UNIT parts ("1h30m", "1h 30m", "2d12h"),
 * each unit at most once and from the largest down. */
int duration_parse(const char *s, int64_t *secs)
{
	int64_t total = 0, last = INT64_MAX;
	size_t i = 0;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return CORE_EINVAL;
	while (s[i]) {
		int64_t v = 0, mul;

		if (s[i] < '0' || s[i] > '9')
			return CORE_EINVAL;
		for (; s[i] >= '0' && s[i] <= '9'; i++) {
			if (v > 1000000000)
				return CORE_ERANGE;
			v = v * 10 + (s[i] - '0');
		}
		if (!s[i] && i == strspn(s, "0123456789")) {   /* a bare number: seconds */
			mul = 1;
		} else if (!unit_secs(s[i], &mul)) {
			return CORE_EINVAL;
		} else {
			i++;
		}
		if (mul >= last)   /* "30m1h", "1h1h" */
			return CORE_EINVAL;
		last = mul;
		total += v * mul;   /* v <= 1e9 and mul <= 604800: no overflow */
		if (total > DURATION_MAX)
			return CORE_ERANGE;
		if (s[i] == ' ' && s[i + 1] >= '0' && s[i + 1] <= '9')
			i++;
	}
	*secs = total;
	return CORE_OK;
}

void time_iso(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

/* n digits exactly, within [lo, hi]. */
static const char *digits(const char *s, int n, int lo, int hi, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return NULL;
	*out = v;
	return s + n;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* YYYY-MM-DD, then optionally [T or blank]HH:MM[:SS], then optionally Z or
 * +HH:MM / -HH:MM; UTC unless an offset is given. */
static int date_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;

	if (!(p = digits(p, 4, 1970, 9999, &y)) || *p++ != '-' || !(p = digits(p, 2, 1, 12, &mo)) ||
	    *p++ != '-' || !(p = digits(p, 2, 1, 31, &d)))
		return CORE_EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return CORE_EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!(p = digits(p, 2, 0, 23, &h)) || *p++ != ':' || !(p = digits(p, 2, 0, 59, &mi)))
			return CORE_EINVAL;
		if (*p == ':' && !(p = digits(p + 1, 2, 0, 60, &se)))
			return CORE_EINVAL;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (!(p = digits(p + 1, 2, 0, 14, &oh)) || *p++ != ':' || !(p = digits(p, 2, 0, 59, &om)))
				return CORE_EINVAL;
		}
	}
	if (*p)
		return CORE_EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
	return CORE_OK;
}

int time_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t d, midnight = now - ((now % 86400) + 86400) % 86400;
	size_t len = strlen(s);
	char buf[64];

	if (int_parse(s, 0, (int64_t)1 << 40, out) == CORE_OK)
		return CORE_OK;
	if (!strcmp(s, "now")) {
		*out = now;
		return CORE_OK;
	}
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		*out = midnight - (s[0] == 'y' ? 86400 : 0);
		return CORE_OK;
	}
	if (s[0] == '-' && duration_parse(s + 1, &d) == CORE_OK) {   /* -2h */
		*out = now - d;
		return CORE_OK;
	}
	if (len > 4 && len < sizeof buf && !strcmp(s + len - 4, " ago")) {   /* 2h ago */
		memcpy(buf, s, len - 4);
		buf[len - 4] = '\0';
		if (duration_parse(buf, &d) == CORE_OK) {
			*out = now - d;
			return CORE_OK;
		}
		return CORE_EINVAL;
	}
	if (duration_parse(s, &d) == CORE_OK) {   /* 24h: as before, a duration ago */
		*out = now - d;
		return CORE_OK;
	}
	return date_parse(s, out);
}

int size_parse(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMG";
	size_t n = strlen(s);
	unsigned shift = 0;
	char digits[24];
	int64_t v;

	if (n && strchr(units, s[n - 1])) {
		shift = 10u * (unsigned)(strchr(units, s[n - 1]) - units + 1);
		n--;
	}
	if (n == 0 || n >= sizeof digits)
		return CORE_EINVAL;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (int_parse(digits, 0, (INT64_C(1) << 40) >> shift, &v))
		return CORE_EINVAL;
	*bytes = (uint64_t)v << shift;
	return CORE_OK;
}
