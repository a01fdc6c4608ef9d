/* SPDX-License-Identifier: ISC */
/* The import parsers (usersfile, google-authenticator, URIs, twofactl
 * export), chosen by the first byte. */
#include "fuzz.h"
#include "core/import.h"

#include <liboath/oath.h>
#include <sodium.h>

static int count(void *ctx, struct import_item *it)
{
	(void)it;
	(*(int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct account a;
	struct import_item it = { .a = &a };
	unsigned bad = 0;
	int n = 0;
	char *s;

	if (size < 1 || sodium_init() < 0)
		return 0;
	oath_init();
	s = fuzz_str(data + 1, size - 1);
	if (!s)
		return 0;
	(void)import_detect(s);
	fuzz_ignore += import_parse((enum import_format)(1 + data[0] % 4), s, "fuzzuser", 1800000000, &it, count, &n, &bad);
	free(s);
	return 0;
}
