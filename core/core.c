/* SPDX-License-Identifier: ISC */
#include "core/core.h"

#include <string.h>

const char *core_strerror(enum core_err e)
{
	switch (e) {
	case CORE_OK: return "success";
	case CORE_EINVAL: return "malformed input";
	case CORE_ERANGE: return "value out of range";
	case CORE_ENOMEM: return "out of memory";
	case CORE_ECRYPTO: return "cryptographic primitive failed";
	case CORE_EFORMAT: return "record has an unknown format";
	case CORE_EFULL: return "table full";
	}
	return "unknown error";
}

int core_text_line_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;   /* C1 */
		if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0xa8 && p[2] <= 0xae)))
			return 0;   /* U+2028, U+2029, U+202A-202E */
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return 0;   /* U+2066-2069 */
	}
	return 1;
}

int core_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (n >= size)
		return CORE_ERANGE;
	memcpy(dst, src, n + 1);
	return CORE_OK;
}
