/* SPDX-License-Identifier: ISC */
/* CIDR: what parses formats to a canonical form that parses to the same. */
#include "fuzz.h"
#include "core/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr c, d;
	char text[64], *s = fuzz_str(data, size);
	uint8_t ip[16];

	if (!s)
		return 0;
	if (cidr_parse(s, &c) == CORE_OK) {
		cidr_format(&c, text);
		if (cidr_parse(text, &d) != CORE_OK || c.prefix != d.prefix || memcmp(c.addr, d.addr, 16) ||
		    !cidr_contains(&c, c.addr))
			abort();
	}
	if (ip_parse(s, ip) == CORE_OK)
		(void)cidr_contains(&c, ip);
	free(s);
	return 0;
}
