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

int core_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (n >= size)
		return CORE_ERANGE;
	memcpy(dst, src, n + 1);
	return CORE_OK;
}
