/* SPDX-License-Identifier: ISC */
#include "core/input.h"

#include <string.h>

enum code_kind code_classify(const char *in, char *norm, size_t normcap)
{
	size_t n = strlen(in), j = 0, digits = 0, letters = 0, not_b32 = 0;

	if (n == 0 || n > CODE_MAX_INPUT || normcap < BACKUP_CHARS + 1)
		return CODE_BAD;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];

		if (c == ' ' || c == '-') {
			if (i == 0 || i == n - 1)
				return CODE_BAD;
			continue;
		}
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c >= '0' && c <= '9')
			digits++;
		else if (c >= 'A' && c <= 'Z')
			letters++;
		else
			return CODE_BAD;
		if (c == '0' || c == '1' || c == '8' || c == '9')
			not_b32++;   /* not in the base32 alphabet */
		if (j + 1 >= normcap)
			return CODE_BAD;
		norm[j++] = (char)c;
	}
	norm[j] = '\0';
	if (letters == 0 && digits >= 6 && digits <= 8)
		return CODE_NUMERIC;
	if (j == BACKUP_CHARS && not_b32 == 0)
		return CODE_BACKUP;
	explicit_bzero(norm, normcap);
	return CODE_BAD;
}

/* Every byte of s is in set, and 1 to max of them. */
static int only_of(const char *s, size_t max, const char *set)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && strspn(s, set) == n;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

int service_name_valid(const char *s)
{
	return only_of(s, SERVICE_NAME_MAX, ALNUM "._@+-");
}

int rhost_valid(const char *s)
{
	return only_of(s, RHOST_MAX, ALNUM ".-:_%");
}
