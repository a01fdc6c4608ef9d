/* SPDX-License-Identifier: ISC */
/* WebAuthn input from the browser: attestation objects (the CBOR split),
 * authenticator data, client data JSON, origin lists. What is accepted
 * stays inside the input. */
#include "fuzz.h"
#include "core/webauthn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_attobj ao;
	struct wa_authdata ad;
	struct wa_client_data cd;
	char *s;

	if (wa_attobj_split(data, size, &ao) == CORE_OK) {
		if (ao.attstmt < data || ao.attstmt + ao.attstmt_len > data + size || !ao.attstmt_len ||
		    ao.authdata < data || ao.authdata + ao.authdata_len > data + size || !ao.fmt[0] ||
		    wa_authdata_parse(ao.authdata, ao.authdata_len, &ad) != CORE_OK)
			abort();
		fuzz_ignore = wa_authdata_check(&ad, "example.org", WA_UV_REQUIRED) != NULL;
	}
	if (wa_client_data_parse(data, size, &cd) == CORE_OK) {
		if (cd.challenge_len > sizeof cd.challenge || strlen(cd.type) >= sizeof cd.type)
			abort();
		fuzz_ignore = wa_client_data_check(&cd, "webauthn.get", "https://a.example.org, https://b.example.org") != NULL;
	}
	if ((s = fuzz_str(data, size))) {
		if (wa_origins_valid(s) && !wa_origin_allowed(s, "https://a.example.org"))
			fuzz_ignore = 1;
		free(s);
	}
	return 0;
}
