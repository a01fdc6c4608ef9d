/* SPDX-License-Identifier: ISC */
#include "core/webauthn.h"

#include <pthread.h>
#include <dlfcn.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <json-c/json.h>
#include <sodium.h>
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

static const char *const uv_names[] = { "discouraged", "preferred", "required" };

int wa_uv_parse(const char *s, enum wa_uv *uv)
{
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, uv_names[i])) {
			*uv = (enum wa_uv)i;
			return CORE_OK;
		}
	return CORE_EINVAL;
}

const char *wa_uv_name(enum wa_uv uv)
{
	return (unsigned)uv < 3 ? uv_names[uv] : "unknown";
}

/* ---- challenges ---- */

static void ch_del(struct account *a, unsigned i)
{
	memmove(&a->wa_ch[i], &a->wa_ch[i + 1], (a->nwa_ch - i - 1) * sizeof a->wa_ch[0]);
	a->nwa_ch--;
	memset(&a->wa_ch[a->nwa_ch], 0, sizeof a->wa_ch[0]);
}

static void ch_prune(struct account *a, int64_t now)
{
	for (unsigned i = a->nwa_ch; i-- > 0;)
		if (a->wa_ch[i].expires <= now)
			ch_del(a, i);
}

void wa_challenge_issue(struct account *a, enum wa_purpose p, int64_t now, int64_t ttl,
                        uint8_t out[WA_CHALLENGE_BYTES])
{
	struct wa_challenge *c;

	ch_prune(a, now);
	if (a->nwa_ch == ACCT_MAX_WA_CHALLENGES) {
		unsigned old = 0;

		for (unsigned i = 1; i < a->nwa_ch; i++)
			if (a->wa_ch[i].expires < a->wa_ch[old].expires)
				old = i;
		ch_del(a, old);
	}
	randombytes_buf(out, WA_CHALLENGE_BYTES);
	c = &a->wa_ch[a->nwa_ch++];
	c->purpose = p;
	c->expires = now + ttl;
	crypto_hash_sha256(c->hash, out, WA_CHALLENGE_BYTES);
}

enum wa_ch_result wa_challenge_take(struct account *a, const uint8_t *ch, size_t len,
                                    enum wa_purpose want, int64_t now)
{
	enum wa_ch_result r = WA_CH_UNKNOWN;
	uint8_t h[32];

	crypto_hash_sha256(h, ch, len);
	for (unsigned i = 0; i < a->nwa_ch; i++) {
		if (sodium_memcmp(a->wa_ch[i].hash, h, sizeof h))
			continue;
		r = a->wa_ch[i].expires <= now ? WA_CH_EXPIRED :
		    a->wa_ch[i].purpose != want ? WA_CH_PURPOSE : WA_CH_OK;
		ch_del(a, i);
		break;
	}
	ch_prune(a, now);
	return len == WA_CHALLENGE_BYTES ? r : WA_CH_UNKNOWN;
}

const char *wa_ch_result_text(enum wa_ch_result r)
{
	switch (r) {
	case WA_CH_OK: return "challenge accepted";
	case WA_CH_EXPIRED: return "the challenge expired";
	case WA_CH_PURPOSE: return "the challenge was issued for another purpose";
	default: return "the challenge is unknown or was used already";
	}
}

void wa_user_handle(struct account *a)
{
	if (!a->has_wa_user) {
		randombytes_buf(a->wa_user, sizeof a->wa_user);
		a->has_wa_user = 1;
	}
}

/* ---- client data ---- */

static int json_str(json_object *o, const char *k, char *dst, size_t cap)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= cap)
		return CORE_EINVAL;
	memcpy(dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return strlen(dst) == (size_t)json_object_get_string_len(v) ? CORE_OK : CORE_EINVAL;
}

int wa_client_data_parse(const uint8_t *json, size_t len, struct wa_client_data *cd)
{
	json_tokener *tok;
	json_object *o = NULL, *v = NULL;
	char ch[128];
	const char *end = NULL;
	int ret = CORE_EINVAL;

	memset(cd, 0, sizeof *cd);
	if (len == 0 || len > 8192 || memchr(json, 0, len) || !(tok = json_tokener_new()))
		return CORE_EINVAL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, (const char *)json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object))
		goto out;
	if (json_str(o, "type", cd->type, sizeof cd->type) || json_str(o, "origin", cd->origin, sizeof cd->origin) ||
	    json_str(o, "challenge", ch, sizeof ch) ||
	    sodium_base642bin(cd->challenge, sizeof cd->challenge, ch, strlen(ch), NULL, &cd->challenge_len,
	                      &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) || !end || *end)
		goto out;
	if (json_object_object_get_ex(o, "crossOrigin", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			goto out;
		cd->cross_origin = json_object_get_boolean(v);
	}
	ret = CORE_OK;
out:
	json_object_put(o);
	json_tokener_free(tok);
	if (ret)
		memset(cd, 0, sizeof *cd);
	return ret;
}

/* One origin of the list: https://HOST[:PORT] or http://localhost[:PORT]. */
static int origin_valid(const char *s, size_t n)
{
	const char *host, *end = s + n;
	int local = 0;

	if (n > WA_ORIGIN_MAX)
		return 0;
	if (n > 8 && !strncmp(s, "https://", 8)) {
		host = s + 8;
	} else if (n >= 16 && !strncmp(s, "http://localhost", 16)) {
		host = s + 7;
		local = 1;
	} else {
		return 0;
	}
	if (host == end || *host == '.' || *host == '-')
		return 0;
	for (; host < end && *host != ':'; host++)
		if (!((*host >= 'a' && *host <= 'z') || (*host >= 'A' && *host <= 'Z') ||
		      (*host >= '0' && *host <= '9') || *host == '.' || *host == '-'))
			return 0;
	if (local && host != s + 16)   /* http://localhost only */
		return 0;
	if (host < end) {
		size_t digits = (size_t)(end - host - 1);

		if (digits < 1 || digits > 5 || strspn(host + 1, "0123456789") < digits)
			return 0;
	}
	return 1;
}

/* Calls fn(origin, length, arg) for each entry of the list; stops when it
 * returns non-zero and returns that; -1 for an empty entry. */
static int origins_each(const char *list, int (*fn)(const char *, size_t, const void *), const void *arg)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int r;

		while (n && *p == ' ')
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (!n)
			return -1;
		if ((r = fn(p, n, arg)))
			return r;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int invalid_one(const char *s, size_t n, const void *arg)
{
	(void)arg;
	return !origin_valid(s, n);
}

int wa_origins_valid(const char *origins)
{
	return origins && origins[0] && origins_each(origins, invalid_one, NULL) == 0;
}

int wa_rp_id_valid(const char *rp_id)
{
	size_t n = strlen(rp_id);

	if (!n || n > 253 || rp_id[0] == '.' || rp_id[0] == '-' || rp_id[n - 1] == '.' || strstr(rp_id, ".."))
		return 0;
	return strspn(rp_id, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

static int same_origin(const char *s, size_t n, const void *arg)
{
	const char *origin = arg;

	return strlen(origin) == n && !strncasecmp(s, origin, n);
}

int wa_origin_allowed(const char *origins, const char *origin)
{
	return origins && origin[0] && origins_each(origins, same_origin, origin) == 1;
}

const char *wa_client_data_check(const struct wa_client_data *cd, const char *want, const char *origins)
{
	if (strcmp(cd->type, want))
		return !strcmp(want, "webauthn.get") ? "the client data is not of a login (type is not webauthn.get)" :
		       "the client data is not of a registration (type is not webauthn.create)";
	if (!wa_origin_allowed(origins, cd->origin))
		return "origin not allowed";
	if (cd->cross_origin)
		return "made inside a cross-origin frame";
	return NULL;
}

/* ---- authenticator data ---- */

int wa_authdata_parse(const uint8_t *p, size_t len, struct wa_authdata *ad)
{
	memset(ad, 0, sizeof *ad);
	if (len < 37)
		return CORE_EINVAL;
	memcpy(ad->rp_hash, p, 32);
	ad->flags = p[32];
	ad->count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
	return CORE_OK;
}

const char *wa_authdata_check(const struct wa_authdata *ad, const char *rp_id, enum wa_uv uv)
{
	uint8_t h[32];

	crypto_hash_sha256(h, (const uint8_t *)rp_id, strlen(rp_id));
	if (sodium_memcmp(h, ad->rp_hash, sizeof h))
		return "made for another relying party (rpIdHash)";
	if (!(ad->flags & WA_FLAG_UP))
		return "the user was not present (UP flag missing)";
	if (uv == WA_UV_REQUIRED && !(ad->flags & WA_FLAG_UV))
		return "the user was not verified (UV flag missing) and webauthn.user_verification is required";
	return NULL;
}

/* ---- attestation objects: split the outer CBOR map ---- */

/* One CBOR head at p[*pos]: major type and argument; definite lengths only. */
static int cbor_head(const uint8_t *p, size_t len, size_t *pos, unsigned *major, uint64_t *arg)
{
	unsigned ai;
	size_t n;

	if (*pos >= len)
		return -1;
	*major = p[*pos] >> 5;
	ai = p[*pos] & 31;
	(*pos)++;
	if (ai < 24) {
		*arg = ai;
		return 0;
	}
	if (ai > 27)           /* reserved, or an indefinite length */
		return -1;
	n = (size_t)1 << (ai - 24);
	if (len - *pos < n)
		return -1;
	*arg = 0;
	while (n--)
		*arg = *arg << 8 | p[(*pos)++];
	return 0;
}

/* Move *pos past one whole item, at most depth levels deep. */
static int cbor_skip(const uint8_t *p, size_t len, size_t *pos, unsigned depth)
{
	unsigned major;
	uint64_t n;

	if (!depth || cbor_head(p, len, pos, &major, &n))
		return -1;
	switch (major) {
	case 0: case 1: case 7:
		return 0;
	case 2: case 3:
		if (n > len - *pos)
			return -1;
		*pos += n;
		return 0;
	case 4: case 5:
		if (n > len - *pos)   /* every item takes a byte at least */
			return -1;
		if (major == 5)
			n *= 2;
		while (n--)
			if (cbor_skip(p, len, pos, depth - 1))
				return -1;
		return 0;
	default:   /* 6: a tag, then its item */
		return cbor_skip(p, len, pos, depth - 1);
	}
}

int wa_attobj_split(const uint8_t *p, size_t len, struct wa_attobj *ao)
{
	size_t pos = 0;
	unsigned major;
	uint64_t n;
	int have = 0;

	memset(ao, 0, sizeof *ao);
	if (cbor_head(p, len, &pos, &major, &n) || major != 5 || n > 8)
		return CORE_EINVAL;
	while (n--) {
		char key[16];
		uint64_t kl, vl;
		size_t vstart, vp;
		unsigned vm;

		if (cbor_head(p, len, &pos, &major, &kl) || major != 3 || kl > len - pos)
			return CORE_EINVAL;
		if (kl >= sizeof key) {   /* a key of no interest */
			pos += kl;
			key[0] = '\0';
		} else {
			memcpy(key, p + pos, kl);
			key[kl] = '\0';
			pos += kl;
		}
		vstart = vp = pos;
		if (cbor_skip(p, len, &pos, 16) || cbor_head(p, len, &vp, &vm, &vl))
			return CORE_EINVAL;
		if (!strcmp(key, "fmt")) {
			if (have & 1 || vm != 3 || vl == 0 || vl >= sizeof ao->fmt)
				return CORE_EINVAL;
			for (size_t i = 0; i < vl; i++)
				if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", p[vp + i]) || !p[vp + i])
					return CORE_EINVAL;
			memcpy(ao->fmt, p + vp, vl);
			have |= 1;
		} else if (!strcmp(key, "attStmt")) {
			if (have & 2 || vm != 5)
				return CORE_EINVAL;
			ao->attstmt = p + vstart;
			ao->attstmt_len = pos - vstart;
			have |= 2;
		} else if (!strcmp(key, "authData")) {
			if (have & 4 || vm != 2 || vl < 37)
				return CORE_EINVAL;
			ao->authdata = p + vp;
			ao->authdata_len = vl;
			have |= 4;
		}
	}
	if (pos != len || have != 7) {
		memset(ao, 0, sizeof *ao);
		return CORE_EINVAL;
	}
	return CORE_OK;
}

/* libfido2 pulls in OpenSSL, libcbor and libudev: loaded only here, as a
 * verify by code never needs them. */
static struct {
	void *h;
	void (*init)(int);
	const char *(*strerr)(int);
	fido_assert_t *(*a_new)(void);
	void (*a_free)(fido_assert_t **);
	int (*set_rp)(fido_assert_t *, const char *);
	int (*set_count)(fido_assert_t *, size_t);
	int (*set_authdata_raw)(fido_assert_t *, size_t, const unsigned char *, size_t);
	int (*set_cdh)(fido_assert_t *, const unsigned char *, size_t);
	int (*set_sig)(fido_assert_t *, size_t, const unsigned char *, size_t);
	int (*set_up)(fido_assert_t *, fido_opt_t);
	int (*set_uv)(fido_assert_t *, fido_opt_t);
	int (*verify)(const fido_assert_t *, size_t, int, const void *);
	uint32_t (*sigcount)(const fido_assert_t *, size_t);
	es256_pk_t *(*es_new)(void);
	void (*es_free)(es256_pk_t **);
	int (*es_from)(es256_pk_t *, const void *, size_t);
	eddsa_pk_t *(*ed_new)(void);
	void (*ed_free)(eddsa_pk_t **);
	int (*ed_from)(eddsa_pk_t *, const void *, size_t);
	rs256_pk_t *(*rs_new)(void);
	void (*rs_free)(rs256_pk_t **);
	int (*rs_from)(rs256_pk_t *, const void *, size_t);
	fido_cred_t *(*c_new)(void);
	void (*c_free)(fido_cred_t **);
	int (*c_type)(fido_cred_t *, int);
	int (*c_rp)(fido_cred_t *, const char *, const char *);
	int (*c_cdh)(fido_cred_t *, const unsigned char *, size_t);
	int (*c_authdata_raw)(fido_cred_t *, const unsigned char *, size_t);
	int (*c_fmt)(fido_cred_t *, const char *);
	int (*c_attstmt)(fido_cred_t *, const unsigned char *, size_t);
	int (*c_uv)(fido_cred_t *, fido_opt_t);
	int (*c_verify)(const fido_cred_t *);
	int (*c_verify_self)(const fido_cred_t *);
	const unsigned char *(*c_x5c)(const fido_cred_t *);
	const unsigned char *(*c_pub)(const fido_cred_t *);
	size_t (*c_publen)(const fido_cred_t *);
	const unsigned char *(*c_id)(const fido_cred_t *);
	size_t (*c_idlen)(const fido_cred_t *);
	uint32_t (*c_sigcount)(const fido_cred_t *);
} fl;

static int load_locked(char *err, size_t errlen)
{
	void *h;

	if (fl.h)
		return CORE_OK;
	h = dlopen("libfido2.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "cannot load libfido2: %s", dlerror());
		return CORE_ECRYPTO;
	}
#define SYM(f, n) if (!(*(void **)(&fl.f) = dlsym(h, n))) goto missing
	SYM(init, "fido_init");
	SYM(strerr, "fido_strerr");
	SYM(a_new, "fido_assert_new");
	SYM(a_free, "fido_assert_free");
	SYM(set_rp, "fido_assert_set_rp");
	SYM(set_count, "fido_assert_set_count");
	SYM(set_authdata_raw, "fido_assert_set_authdata_raw");
	SYM(set_cdh, "fido_assert_set_clientdata_hash");
	SYM(set_sig, "fido_assert_set_sig");
	SYM(set_up, "fido_assert_set_up");
	SYM(set_uv, "fido_assert_set_uv");
	SYM(verify, "fido_assert_verify");
	SYM(sigcount, "fido_assert_sigcount");
	SYM(es_new, "es256_pk_new");
	SYM(es_free, "es256_pk_free");
	SYM(es_from, "es256_pk_from_ptr");
	SYM(ed_new, "eddsa_pk_new");
	SYM(ed_free, "eddsa_pk_free");
	SYM(ed_from, "eddsa_pk_from_ptr");
	SYM(rs_new, "rs256_pk_new");
	SYM(rs_free, "rs256_pk_free");
	SYM(rs_from, "rs256_pk_from_ptr");
	SYM(c_new, "fido_cred_new");
	SYM(c_free, "fido_cred_free");
	SYM(c_type, "fido_cred_set_type");
	SYM(c_rp, "fido_cred_set_rp");
	SYM(c_cdh, "fido_cred_set_clientdata_hash");
	SYM(c_authdata_raw, "fido_cred_set_authdata_raw");
	SYM(c_fmt, "fido_cred_set_fmt");
	SYM(c_attstmt, "fido_cred_set_attstmt");
	SYM(c_uv, "fido_cred_set_uv");
	SYM(c_verify, "fido_cred_verify");
	SYM(c_verify_self, "fido_cred_verify_self");
	SYM(c_x5c, "fido_cred_x5c_ptr");
	SYM(c_pub, "fido_cred_pubkey_ptr");
	SYM(c_publen, "fido_cred_pubkey_len");
	SYM(c_id, "fido_cred_id_ptr");
	SYM(c_idlen, "fido_cred_id_len");
	SYM(c_sigcount, "fido_cred_sigcount");
#undef SYM
	fl.init(0);
	fl.h = h;
	return CORE_OK;
missing:
	snprintf(err, errlen, "libfido2 lacks a function twofactl needs");
	dlclose(h);
	memset(&fl, 0, sizeof fl);
	return CORE_ECRYPTO;
}

/* Loaded once, whichever thread asks first (a handle per thread is allowed). */
static int load(char *err, size_t errlen)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int rc;

	pthread_mutex_lock(&mu);
	rc = load_locked(err, errlen);
	pthread_mutex_unlock(&mu);
	return rc;
}

int wa_cred_parse(const struct wa_attobj *ao, const uint8_t cdh[32], const char *rp_id, int uv_required,
                  struct wa_cred *out, char *err, size_t errlen)
{
	static const int algs[] = { WA_ES256, WA_EDDSA, WA_RS256 };
	fido_cred_t *c = NULL;
	int r, ret = CORE_EINVAL, none = !strcmp(ao->fmt, "none");

	memset(out, 0, sizeof *out);
	if (!none && strcmp(ao->fmt, "packed")) {
		snprintf(err, errlen, "attestation format '%s' is not supported: ask for attestation \"none\"", ao->fmt);
		return CORE_EINVAL;
	}
	if (none && (ao->attstmt_len != 1 || ao->attstmt[0] != 0xa0)) {
		snprintf(err, errlen, "attestation \"none\" with a statement");
		return CORE_EINVAL;
	}
	if (load(err, errlen))
		return CORE_ECRYPTO;
	/* libfido2 wants the algorithm before it reads the key: the credential
	 * is of the first that its authenticator data parses with */
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		if (!(c = fl.c_new()))
			break;
		if (fl.c_type(c, algs[i]) == FIDO_OK && fl.c_rp(c, rp_id, NULL) == FIDO_OK &&
		    fl.c_cdh(c, cdh, 32) == FIDO_OK &&
		    fl.c_uv(c, uv_required ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) == FIDO_OK &&
		    fl.c_authdata_raw(c, ao->authdata, ao->authdata_len) == FIDO_OK) {
			out->cose = algs[i];
			break;
		}
		fl.c_free(&c);
	}
	if (!c) {
		snprintf(err, errlen, "the authenticator data holds no ES256, EdDSA or RS256 credential");
		goto out;
	}
	if ((r = fl.c_fmt(c, ao->fmt)) != FIDO_OK || (r = fl.c_attstmt(c, ao->attstmt, ao->attstmt_len)) != FIDO_OK) {
		snprintf(err, errlen, "malformed attestation statement: %s", fl.strerr(r));
		goto out;
	}
	if (!none) {
		r = fl.c_x5c(c) ? fl.c_verify(c) : fl.c_verify_self(c);
		if (r != FIDO_OK) {
			snprintf(err, errlen, "the attestation does not verify: %s", fl.strerr(r));
			goto out;
		}
	}
	if (!fl.c_id(c) || !fl.c_idlen(c) || fl.c_idlen(c) > sizeof out->id ||
	    !fl.c_pub(c) || fl.c_publen(c) > sizeof out->pub || !wa_pubkey_valid(out->cose, fl.c_pub(c), fl.c_publen(c))) {
		snprintf(err, errlen, "credential id or public key out of range");
		goto out;
	}
	out->idlen = fl.c_idlen(c);
	memcpy(out->id, fl.c_id(c), out->idlen);
	out->publen = fl.c_publen(c);
	memcpy(out->pub, fl.c_pub(c), out->publen);
	out->count = fl.c_sigcount(c);
	ret = CORE_OK;
out:
	if (c)
		fl.c_free(&c);
	if (ret)
		memset(out, 0, sizeof *out);
	return ret;
}

int wa_verify(int cose, const uint8_t *pub, size_t publen, const char *rp_id,
              const uint8_t *authdata, size_t authlen, const uint8_t cdh[32],
              const uint8_t *sig, size_t siglen, int uv_required, uint32_t *count,
              char *err, size_t errlen)
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
	    (r = fl.set_sig(a, 0, sig, siglen)) != FIDO_OK || (r = fl.set_up(a, FIDO_OPT_TRUE)) != FIDO_OK ||
	    (r = fl.set_uv(a, uv_required ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK) {
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
