/* SPDX-License-Identifier: ISC */
/* Each harness defines LLVMFuzzerTestOneInput: built with libFuzzer by
 * make fuzz, and with standalone.c by make check, which runs it over the
 * seed corpus (every crash found becomes a file there). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Results a harness does not look at (warn_unused_result wants them used). */
static volatile int fuzz_ignore;

/* A NUL-terminated copy of the input. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
