/* SPDX-License-Identifier: ISC */
/* What a user types as a code: the canonical form is short and clean. */
#include "fuzz.h"
#include "core/codes.h"
#include "core/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char norm[CODE_MAX_INPUT + 1], *s = fuzz_str(data, size);
	int64_t v;

	if (!s)
		return 0;
	switch (code_classify(s, norm, sizeof norm)) {
	case CODE_NUMERIC:
		if (strlen(norm) < 6 || strlen(norm) > 8 || strspn(norm, "0123456789") != strlen(norm))
			abort();
		break;
	case CODE_BACKUP:
		if (strlen(norm) != 16)
			abort();
		break;
	default:
		break;
	}
	fuzz_ignore += duration_parse(s, &v);
	fuzz_ignore += time_parse(s, 1800000000, &v);
	free(s);
	return 0;
}
