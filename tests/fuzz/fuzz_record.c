/* SPDX-License-Identifier: ISC */
/* The account record parser: whatever parses must serialise and parse back
 * to the same record. */
#include "fuzz.h"
#include "core/record.h"

#include <sodium.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct account a, b;
	char *json = NULL;
	size_t len = 0;

	if (sodium_init() < 0)
		abort();
	{
		struct org o;
		struct ticket t;

		fuzz_ignore += org_from_json((const char *)data, size, &o);
		fuzz_ignore += ticket_from_json((const char *)data, size, &t);
	}
	if (record_from_json((const char *)data, size, &a) != CORE_OK)
		return 0;
	if (record_to_json(&a, &json, &len) != CORE_OK)
		abort();
	if (record_from_json(json, len, &b) != CORE_OK || strcmp(a.name, b.name) || a.nf != b.nf ||
	    a.nbackup != b.nbackup || a.lk_codes.failures != b.lk_codes.failures ||
	    a.lk_pw.failures != b.lk_pw.failures || a.nbackup_used != b.nbackup_used)
		abort();
	free(json);
	return 0;
}
