/* SPDX-License-Identifier: ISC */
/* otpauth:// URIs: a parsed factor makes a URI that parses to the same key. */
#include "fuzz.h"
#include "core/import.h"
#include "core/uri.h"

#include <liboath/oath.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct factor f, g;
	char label[256], issuer[256], l2[256], i2[256], *uri = NULL, *s = fuzz_str(data, size);

	oath_init();
	if (!s)
		return 0;
	if (otpauth_parse(s, &f, label, sizeof label, issuer, sizeof issuer) == CORE_OK &&
	    otpauth_uri(&f, issuer, label, &uri) == CORE_OK) {
		if (otpauth_parse(uri, &g, l2, sizeof l2, i2, sizeof i2) != CORE_OK || g.keylen != f.keylen ||
		    memcmp(g.key, f.key, f.keylen) || g.digits != f.digits || g.type != f.type)
			abort();
		free(uri);
	}
	free(s);
	return 0;
}
