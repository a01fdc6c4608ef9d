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

int duration_parse(const char *s, int64_t *secs)
{
	int64_t v = 0, mul = 1;
	size_t i = 0;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return CORE_EINVAL;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > 1000000000)
			return CORE_ERANGE;
		v = v * 10 + (s[i] - '0');
	}
	switch (s[i]) {
	case '\0': break;
	case 's': mul = 1; i++; break;
	case 'm': mul = 60; i++; break;
	case 'h': mul = 3600; i++; break;
	case 'd': mul = 86400; i++; break;
	case 'w': mul = 7 * 86400; i++; break;
	default: return CORE_EINVAL;
	}
	if (s[i])
		return CORE_EINVAL;
	if (v * mul > (int64_t)3650 * 86400)
		return CORE_ERANGE;
	*secs = v * mul;
	return CORE_OK;
}

void time_iso(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

int time_parse(const char *s, int64_t now, int64_t *out)
{
	struct tm tm;
	const char *end;
	int64_t d;

	if (int_parse(s, 0, (int64_t)1 << 40, out) == CORE_OK)
		return CORE_OK;
	if (duration_parse(s, &d) == CORE_OK) {
		*out = now - d;
		return CORE_OK;
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (!strcmp(end, "Z") || !*end)) {
		*out = (int64_t)timegm(&tm);
		return CORE_OK;
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && !*end) {
		*out = (int64_t)timegm(&tm);
		return CORE_OK;
	}
	return CORE_EINVAL;
}
