/* SPDX-License-Identifier: ISC */
#include "core/webauthn.h"

#include <dlfcn.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int wa_alg_parse(const char *s, int *cose)
{
	if (!strcasecmp(s, "ES256"))
		*cose = WA_ES256;
	else if (!strcasecmp(s, "EdDSA"))
		*cose = WA_EDDSA;
	else if (!strcasecmp(s, "RS256"))
		*cose = WA_RS256;
	else
		return CORE_EINVAL;
	return CORE_OK;
}

const char *wa_alg_name(int cose)
{
	return cose == WA_ES256 ? "ES256" : cose == WA_EDDSA ? "EdDSA" : cose == WA_RS256 ? "RS256" : "unknown";
}

int wa_pubkey_valid(int cose, const uint8_t *pub, size_t len)
{
	switch (cose) {
	case WA_ES256: return len == 64 || (len == 65 && pub[0] == 4);
	case WA_EDDSA: return len == 32;
	case WA_RS256: return len == 259;
	default: return 0;
	}
}

/* libfido2 pulls in OpenSSL, libcbor and libudev: loaded only here, as a
 * verify by code never needs them. */
static struct {
	void *h;
	void (*init)(int);
	fido_assert_t *(*a_new)(void);
	void (*a_free)(fido_assert_t **);
	int (*set_rp)(fido_assert_t *, const char *);
	int (*set_count)(fido_assert_t *, size_t);
	int (*set_authdata_raw)(fido_assert_t *, size_t, const unsigned char *, size_t);
	int (*set_cdh)(fido_assert_t *, const unsigned char *, size_t);
	int (*set_sig)(fido_assert_t *, size_t, const unsigned char *, size_t);
	int (*set_up)(fido_assert_t *, fido_opt_t);
	int (*verify)(const fido_assert_t *, size_t, int, const void *);
	uint32_t (*sigcount)(const fido_assert_t *, size_t);
	const char *(*strerr)(int);
	es256_pk_t *(*es_new)(void);
	void (*es_free)(es256_pk_t **);
	int (*es_from)(es256_pk_t *, const void *, size_t);
	eddsa_pk_t *(*ed_new)(void);
	void (*ed_free)(eddsa_pk_t **);
	int (*ed_from)(eddsa_pk_t *, const void *, size_t);
	rs256_pk_t *(*rs_new)(void);
	void (*rs_free)(rs256_pk_t **);
	int (*rs_from)(rs256_pk_t *, const void *, size_t);
} fl;

static int load(char *err, size_t errlen)
{
	if (fl.h)
		return CORE_OK;
	fl.h = dlopen("libfido2.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!fl.h) {
		snprintf(err, errlen, "cannot load libfido2: %s", dlerror());
		return CORE_ECRYPTO;
	}
#define SYM(f, n) *(void **)(&fl.f) = dlsym(fl.h, n)
	SYM(init, "fido_init");
	SYM(a_new, "fido_assert_new");
	SYM(a_free, "fido_assert_free");
	SYM(set_rp, "fido_assert_set_rp");
	SYM(set_count, "fido_assert_set_count");
	SYM(set_authdata_raw, "fido_assert_set_authdata_raw");
	SYM(set_cdh, "fido_assert_set_clientdata_hash");
	SYM(set_sig, "fido_assert_set_sig");
	SYM(set_up, "fido_assert_set_up");
	SYM(verify, "fido_assert_verify");
	SYM(sigcount, "fido_assert_sigcount");
	SYM(strerr, "fido_strerr");
	SYM(es_new, "es256_pk_new");
	SYM(es_free, "es256_pk_free");
	SYM(es_from, "es256_pk_from_ptr");
	SYM(ed_new, "eddsa_pk_new");
	SYM(ed_free, "eddsa_pk_free");
	SYM(ed_from, "eddsa_pk_from_ptr");
	SYM(rs_new, "rs256_pk_new");
	SYM(rs_free, "rs256_pk_free");
	SYM(rs_from, "rs256_pk_from_ptr");
#undef SYM
	if (!fl.init || !fl.a_new || !fl.a_free || !fl.set_rp || !fl.set_count || !fl.set_authdata_raw ||
	    !fl.set_cdh || !fl.set_sig || !fl.set_up || !fl.verify || !fl.sigcount || !fl.strerr ||
	    !fl.es_new || !fl.es_free || !fl.es_from || !fl.ed_new || !fl.ed_free || !fl.ed_from ||
	    !fl.rs_new || !fl.rs_free || !fl.rs_from) {
		snprintf(err, errlen, "libfido2 lacks a function twofactl needs");
		dlclose(fl.h);
		fl.h = NULL;
		return CORE_ECRYPTO;
	}
	fl.init(0);
	return CORE_OK;
}

int wa_verify(int cose, const uint8_t *pub, size_t publen, const char *rp_id,
              const uint8_t *authdata, size_t authlen, const uint8_t cdh[32],
              const uint8_t *sig, size_t siglen, uint32_t *count, char *err, size_t errlen)
{
	fido_assert_t *a = NULL;
	es256_pk_t *es = NULL;
	eddsa_pk_t *ed = NULL;
	rs256_pk_t *rs = NULL;
	const void *pk = NULL;
	int r, ret = CORE_ECRYPTO;

	if (load(err, errlen))
		return CORE_ECRYPTO;
	if (!wa_pubkey_valid(cose, pub, publen)) {
		snprintf(err, errlen, "the stored public key does not fit its algorithm");
		return CORE_EINVAL;
	}
	if (cose == WA_ES256 && (es = fl.es_new()) && fl.es_from(es, pub, publen) == FIDO_OK)
		pk = es;
	else if (cose == WA_EDDSA && (ed = fl.ed_new()) && fl.ed_from(ed, pub, publen) == FIDO_OK)
		pk = ed;
	else if (cose == WA_RS256 && (rs = fl.rs_new()) && fl.rs_from(rs, pub, publen) == FIDO_OK)
		pk = rs;
	if (!pk) {
		snprintf(err, errlen, "libfido2 refused the stored public key");
		goto out;
	}
	a = fl.a_new();
	if (!a || (r = fl.set_rp(a, rp_id)) != FIDO_OK || (r = fl.set_count(a, 1)) != FIDO_OK ||
	    (r = fl.set_cdh(a, cdh, 32)) != FIDO_OK ||
	    (r = fl.set_authdata_raw(a, 0, authdata, authlen)) != FIDO_OK ||
	    (r = fl.set_sig(a, 0, sig, siglen)) != FIDO_OK || (r = fl.set_up(a, FIDO_OPT_TRUE)) != FIDO_OK) {
		snprintf(err, errlen, "malformed assertion");
		ret = CORE_EINVAL;
		goto out;
	}
	r = fl.verify(a, 0, cose, pk);
	if (r != FIDO_OK) {
		snprintf(err, errlen, "%s", fl.strerr(r));
		ret = CORE_EFORMAT;
		goto out;
	}
	*count = fl.sigcount(a, 0);
	ret = CORE_OK;
out:
	if (a)
		fl.a_free(&a);
	if (es)
		fl.es_free(&es);
	if (ed)
		fl.ed_free(&ed);
	if (rs)
		fl.rs_free(&rs);
	return ret;
}
