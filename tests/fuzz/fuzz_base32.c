/* SPDX-License-Identifier: ISC */
/* base32: what decodes must encode and decode back to the same bytes. */
#include "fuzz.h"
#include "core/b32.h"

#include <liboath/oath.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[1024], again[1024];
	char enc[2048], grouped[4096], *s = fuzz_str(data, size);
	size_t n = 0, m = 0;

	oath_init();
	if (!s)
		return 0;
	if (b32_decode(s, out, sizeof out, &n) == CORE_OK && n > 0) {
		if (b32_encode(out, n, enc, sizeof enc) != CORE_OK ||
		    b32_decode(enc, again, sizeof again, &m) != CORE_OK || m != n || memcmp(out, again, n))
			abort();
		/* grouped for reading, spaces included it must stay within the
		 * decoder's 1024-character limit to decode */
		if (b32_group(enc, grouped, sizeof grouped) != CORE_OK ||
		    (strlen(grouped) <= 1024 &&
		     (b32_decode(grouped, again, sizeof again, &m) != CORE_OK || m != n)))
			abort();
	}
	free(s);
	return 0;
}
