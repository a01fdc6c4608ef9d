/* SPDX-License-Identifier: ISC */
/* The config file parser. */
#include "fuzz.h"
#include "core/config.h"

static int check(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	if (!*key || strchr(key, '\n') || strchr(value, '\n'))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	unsigned bad;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_ignore += config_parse(s, size, check, NULL, &bad);
	free(s);
	return 0;
}
