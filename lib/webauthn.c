/* SPDX-License-Identifier: ISC */
/* lib/webauthn.c — WebAuthn: challenge, register, list, del, and the
 * assertion of verify --assertion.
 *
 * A ceremony: tf_webauthn_challenge keeps a single-use challenge (hashed)
 * in the account and hands over the options for navigator.credentials.create
 * or .get; the browser's answer comes back to tf_webauthn_register or
 * tf_verify_assertion, which take the challenge out of the account
 * whatever their verdict, then check client data, authenticator data and
 * signature (libfido2). */
#include "lib/shared.h"
#include "core/lockout.h"
#include "core/webauthn.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WA_CDJ_MAX 8192
#define WA_ATTOBJ_MAX 16384
#define WA_AUTHDATA_MAX 4096
#define WA_SIG_MAX 1024

/* The relying party's settings, read once per command. */
struct wa_conf {
	const char *rp_id;
	char origins[1024];
	enum wa_uv uv;
	int64_t ttl;
};

static tf_status wa_conf_load(tf *h, struct wa_conf *c)
{
	const char *v;
	tf_status ret;

	memset(c, 0, sizeof *c);
	c->rp_id = store_config_get(h->s, "webauthn.rp_id");
	if (!c->rp_id || !*c->rp_id)
		return tf_fail(h, TF_STORE, NULL, "config: webauthn.rp_id is not set (the relying party's domain)");
	if (!wa_rp_id_valid(c->rp_id))
		return tf_fail(h, TF_STORE, NULL, "config: webauthn.rp_id = '%s' is not a domain such as example.org",
		               tf_safe(c->rp_id));
	v = store_config_get(h->s, "webauthn.origins");
	if (v && *v) {
		if (!wa_origins_valid(v) || strlen(v) >= sizeof c->origins)
			return tf_fail(h, TF_STORE, NULL, "config: webauthn.origins = '%s' is not a list of origins",
			               tf_safe(v));
		memcpy(c->origins, v, strlen(v) + 1);
	} else if ((size_t)snprintf(c->origins, sizeof c->origins, "https://%s", c->rp_id) >= sizeof c->origins) {
		return tf_fail(h, TF_STORE, NULL, "config: webauthn.rp_id is too long");
	}
	v = store_config_get(h->s, "webauthn.user_verification");
	c->uv = WA_UV_PREFERRED;
	if (v && *v && wa_uv_parse(v, &c->uv))
		return tf_fail(h, TF_STORE, NULL, "config: webauthn.user_verification = '%s' is not discouraged, "
		               "preferred or required", tf_safe(v));
	if ((ret = tf_config_duration(h, "webauthn.challenge_ttl", 300, &c->ttl)))
		return ret;
	return TF_OK;
}

/* A small JSON object, the browser's answer, from its text. */
static tf_status parse_json(tf *h, const char *text, const char *what, json_object **out)
{
	*out = text ? json_tokener_parse(text) : NULL;
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return tf_fail(h, TF_USAGE, NULL, "the %s is not a JSON object", what);
	}
	return TF_OK;
}

/* A base64url (or standard base64) string. */
static int b64_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	if (sodium_base642bin(out, cap, s, strlen(s), "=", len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
	    sodium_base642bin(out, cap, s, strlen(s), NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL))
		return -1;
	return 0;
}

/* The browser's PublicKeyCredential as JSON (what its toJSON() gives):
 * id and rawId at the top, the rest under "response". A field is looked
 * up in "response" first, then at the top. */
static json_object *cred_field(json_object *root, const char *key)
{
	json_object *resp = NULL, *v = NULL;

	if (json_object_object_get_ex(root, "response", &resp) && json_object_is_type(resp, json_type_object) &&
	    json_object_object_get_ex(resp, key, &v))
		return v;
	return json_object_object_get_ex(root, key, &v) ? v : NULL;
}

static int b64_field(json_object *root, const char *key, uint8_t *out, size_t cap, size_t *len)
{
	json_object *v = cred_field(root, key);

	*len = 0;
	if (!v || !json_object_is_type(v, json_type_string))
		return -1;
	return b64_decode(json_object_get_string(v), out, cap, len);
}

/* The credential id: rawId, or id; both when given must agree. */
static int cred_id_field(json_object *root, uint8_t *out, size_t *len)
{
	uint8_t other[WA_CRED_MAX];
	size_t olen = 0;
	int has_raw = !b64_field(root, "rawId", out, WA_CRED_MAX, len);

	if (!has_raw)
		return b64_field(root, "id", out, WA_CRED_MAX, len) || !*len ? -1 : 0;
	if (cred_field(root, "id") && (b64_field(root, "id", other, sizeof other, &olen) || olen != *len ||
	                               memcmp(other, out, olen)))
		return -1;
	return *len ? 0 : -1;
}

static void b64u(const uint8_t *p, size_t len, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, p, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static json_object *b64u_obj(const uint8_t *p, size_t len)
{
	char buf[2 * WA_CRED_MAX + 4];

	b64u(p, len, buf, sizeof buf);
	return json_object_new_string(buf);
}

static int has_credential(const struct account *a)
{
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].type == F_WEBAUTHN && a->f[i].status == FS_ACTIVE)
			return 1;
	return 0;
}

/* The account's credentials, as PublicKeyCredentialDescriptorJSON (desc)
 * or as plain ids. */
static json_object *cred_list(const struct account *a, int desc)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < a->nf; i++) {
		const struct factor *f = &a->f[i];
		json_object *d;

		if (f->type != F_WEBAUTHN || f->status != FS_ACTIVE)
			continue;
		if (!desc) {
			json_object_array_add(arr, b64u_obj(f->cred, f->credlen));
			continue;
		}
		d = json_object_new_object();
		json_object_object_add(d, "type", json_object_new_string("public-key"));
		json_object_object_add(d, "id", b64u_obj(f->cred, f->credlen));
		json_object_array_add(arr, d);
	}
	return arr;
}

static json_object *origins_json(const char *list)
{
	json_object *arr = json_object_new_array();
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t n;

		while (*t == ' ')
			t++;
		n = strlen(t);
		while (n && t[n - 1] == ' ')
			t[--n] = '\0';
		json_object_array_add(arr, json_object_new_string(t));
	}
	return arr;
}

/* What a front end passes to navigator.credentials.create() or .get()
 * (through PublicKeyCredential.parseCreationOptionsFromJSON() or
 * parseRequestOptionsFromJSON(), or by decoding the base64url fields). */
static json_object *options_json(tf *h, const struct account *a, const struct wa_conf *c,
                                 enum wa_purpose p, const char *challenge)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "challenge", json_object_new_string(challenge));
	json_object_object_add(o, "timeout", json_object_new_int64(c->ttl * 1000));
	if (p == WA_REGISTER) {
		json_object *rp = json_object_new_object(), *user = json_object_new_object(),
		            *params = json_object_new_array(), *sel = json_object_new_object();
		static const int algs[] = { WA_ES256, WA_EDDSA, WA_RS256 };

		json_object_object_add(rp, "id", json_object_new_string(c->rp_id));
		json_object_object_add(rp, "name", json_object_new_string(tf_config_issuer(h)));
		json_object_object_add(o, "rp", rp);
		json_object_object_add(user, "id", b64u_obj(a->wa_user, sizeof a->wa_user));
		json_object_object_add(user, "name", json_object_new_string(a->name));
		json_object_object_add(user, "displayName", json_object_new_string(a->name));
		json_object_object_add(o, "user", user);
		for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
			json_object *pp = json_object_new_object();

			json_object_object_add(pp, "type", json_object_new_string("public-key"));
			json_object_object_add(pp, "alg", json_object_new_int(algs[i]));
			json_object_array_add(params, pp);
		}
		json_object_object_add(o, "pubKeyCredParams", params);
		json_object_object_add(o, "excludeCredentials", cred_list(a, 1));
		json_object_object_add(sel, "residentKey", json_object_new_string("preferred"));
		json_object_object_add(sel, "userVerification", json_object_new_string(wa_uv_name(c->uv)));
		json_object_object_add(o, "authenticatorSelection", sel);
		json_object_object_add(o, "attestation", json_object_new_string("none"));
	} else {
		json_object_object_add(o, "rpId", json_object_new_string(c->rp_id));
		json_object_object_add(o, "allowCredentials", cred_list(a, 1));
		json_object_object_add(o, "userVerification", json_object_new_string(wa_uv_name(c->uv)));
	}
	return o;
}

/* ---- webauthn challenge ---- */

tf_status tf_webauthn_challenge(tf *h, const struct tf_webauthn_challenge_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct wa_conf c;
	enum wa_purpose p;
	uint8_t ch[WA_CHALLENGE_BYTES];
	char chs[2 * WA_CHALLENGE_BYTES];
	json_object *j;
	tf_status ret;

	switch (a->purpose) {
	case TF_WEBAUTHN_LOGIN: p = WA_LOGIN; break;
	case TF_WEBAUTHN_REGISTER: p = WA_REGISTER; break;
	default: return tf_fail(h, TF_USAGE, NULL, "--purpose: not register or login");
	}
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = wa_conf_load(h, &c)))
		goto out;
	if (p == WA_LOGIN && !has_credential(ss.a)) {
		ret = tf_fail(h, TF_NOENT, NULL, "no WebAuthn credential is registered: issue a register challenge first");
		goto out;
	}
	if (p == WA_REGISTER)
		wa_user_handle(ss.a);
	wa_challenge_issue(ss.a, p, now, c.ttl, ch);
	b64u(ch, sizeof ch, chs, sizeof chs);
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "webauthn.challenge", a->name, "ok", NULL, wa_purpose_name(p))))
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "purpose", json_object_new_string(wa_purpose_name(p)));
	json_object_object_add(j, "challenge", json_object_new_string(chs));
	json_object_object_add(j, "expires", json_object_new_int64(now + c.ttl));
	json_object_object_add(j, "timeout", json_object_new_int64(c.ttl * 1000));
	json_object_object_add(j, "rp_id", json_object_new_string(c.rp_id));
	json_object_object_add(j, "origins", origins_json(c.origins));
	json_object_object_add(j, "user_verification", json_object_new_string(wa_uv_name(c.uv)));
	if (p == WA_REGISTER)
		json_object_object_add(j, "user_handle", b64u_obj(ss.a->wa_user, sizeof ss.a->wa_user));
	json_object_object_add(j, "credential_ids", cred_list(ss.a, 0));
	json_object_object_add(j, "publicKey", options_json(h, ss.a, &c, p, chs));
	ret = tf_emit(h, out, j);
out:
	sodium_memzero(ch, sizeof ch);
	sodium_memzero(chs, sizeof chs);
	tf_sess_end(&ss);
	return ret;
}

/* ---- webauthn register ---- */

/* A registration as the browser sends it, decoded. */
struct wa_reg_in {
	uint8_t id[WA_CRED_MAX];
	size_t idlen;
	uint8_t cdj[WA_CDJ_MAX];
	size_t cdjlen;
	uint8_t *attobj;
	size_t attobjlen;
	char label[LABEL_MAX + 1];
	struct wa_client_data cd;
	struct wa_attobj ao;
	struct wa_authdata ad;
};

static tf_status reg_parse(tf *h, const char *text, struct wa_reg_in *in)
{
	json_object *o, *v = NULL;
	tf_status ret;

	if ((ret = parse_json(h, text, "registration", &o)))
		return ret;
	ret = TF_USAGE;
	in->attobj = malloc(WA_ATTOBJ_MAX);
	if (!in->attobj) {
		ret = tf_fail(h, TF_STORE, NULL, "out of memory");
	} else if (cred_id_field(o, in->id, &in->idlen)) {
		tf_fail(h, TF_USAGE, NULL, "malformed registration: rawId (or id), base64url, is needed");
	} else if (b64_field(o, "clientDataJSON", in->cdj, sizeof in->cdj, &in->cdjlen) ||
	           wa_client_data_parse(in->cdj, in->cdjlen, &in->cd)) {
		tf_fail(h, TF_USAGE, NULL, "malformed registration: response.clientDataJSON is not base64url client data");
	} else if (b64_field(o, "attestationObject", in->attobj, WA_ATTOBJ_MAX, &in->attobjlen) ||
	           wa_attobj_split(in->attobj, in->attobjlen, &in->ao) ||
	           wa_authdata_parse(in->ao.authdata, in->ao.authdata_len, &in->ad)) {
		tf_fail(h, TF_USAGE, NULL, "malformed registration: response.attestationObject is not a base64url CBOR "
		        "attestation object (fmt, attStmt, authData)");
	} else {
		ret = TF_OK;
	}
	if (!ret && json_object_object_get_ex(o, "label", &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) <= LABEL_MAX)
		snprintf(in->label, sizeof in->label, "%s", json_object_get_string(v));
	json_object_put(o);
	return ret;
}

/* The verdict on a registration for account a at time now: NULL and
 * *cred filled when it is accepted, else why not. The challenge it names
 * is taken out of the account either way. *st is TF_REJECTED, or
 * TF_USAGE for a credential the account has already, or TF_STORE when
 * libfido2 cannot be loaded. */
static const char *reg_check(struct account *a, const struct wa_conf *c, const struct wa_reg_in *in,
                             int64_t now, struct wa_cred *cred, tf_status *st, char *err, size_t errlen)
{
	enum wa_ch_result r = wa_challenge_take(a, in->cd.challenge, in->cd.challenge_len, WA_REGISTER, now);
	uint8_t cdh[32];
	const char *why;
	int ps;

	*st = TF_REJECTED;
	if (r != WA_CH_OK)
		return wa_ch_result_text(r);
	if ((why = wa_client_data_check(&in->cd, "webauthn.create", c->origins)) ||
	    (why = wa_authdata_check(&in->ad, c->rp_id, c->uv)))
		return why;
	if (!(in->ad.flags & WA_FLAG_AT))
		return "the authenticator data holds no credential (AT flag missing)";
	crypto_hash_sha256(cdh, in->cdj, in->cdjlen);
	ps = wa_cred_parse(&in->ao, cdh, c->rp_id, c->uv == WA_UV_REQUIRED, cred, err, errlen);
	if (ps == CORE_ECRYPTO) {
		*st = TF_STORE;
		return err;
	}
	if (ps)
		return err;
	if (cred->idlen != in->idlen || sodium_memcmp(cred->id, in->id, in->idlen))
		return "the credential id is not the one in the attestation";
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].type == F_WEBAUTHN && a->f[i].credlen == cred->idlen &&
		    !memcmp(a->f[i].cred, cred->id, cred->idlen)) {
			*st = TF_USAGE;
			snprintf(err, errlen, "that credential is registered already (factor %u)", a->f[i].id);
			return err;
		}
	return NULL;
}

/* ---- one credential id, one account (WebAuthn 7.1, step 22) ----
 * Registration looks for the id on every account, under one store-wide
 * registration lock taken before the account's own, so that two
 * registrations of one id cannot both find it free. Measured: the scan
 * reads every record, about 0.3 s at 10 000 accounts (as 'user list');
 * registrations are rare. A rename moves the factor with the account: an
 * id on a record cut short mid-rename is found under either file. */
struct cred_seek {
	const uint8_t *id;
	size_t len;
	int found;
};

static int cred_held(void *ctx, const struct account *a)
{
	struct cred_seek *k = ctx;

	for (unsigned i = 0; i < a->nf && i < ACCT_MAX_FACTORS; i++) {
		const struct factor *f = &a->f[i];

		if (f->type == F_WEBAUTHN && f->credlen == k->len && !memcmp(f->cred, k->id, k->len)) {
			k->found = 1;
			return 1;
		}
	}
	return 0;
}

/* A record it cannot read is fsck's to report: the scan goes on. */
static void cred_skip(void *ctx, const char *why)
{
	(void)ctx;
	(void)why;
}

static tf_status cred_taken(tf *h, const uint8_t *id, size_t len, int *taken)
{
	struct cred_seek k = { id, len, 0 };
	int st = store_scan(h->s, cred_held, &k, cred_skip, NULL);

	*taken = k.found;
	return st ? tf_fail_store(h, st) : TF_OK;
}

tf_status tf_webauthn_register(tf *h, const struct tf_webauthn_register_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct acct_ref regref = { 0 };
	int taken = 0, st;
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct wa_reg_in *in = calloc(1, sizeof *in);
	struct wa_cred cred;
	struct wa_conf c;
	struct factor *f = NULL;
	char err[256] = "", label[LABEL_MAX + 1] = "";
	const char *why;
	json_object *j;
	tf_status ret, code = TF_REJECTED;

	if (!in)
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	if ((ret = tf_check_name(h, a->name)))
		goto out;
	if (a->label && (strlen(a->label) > LABEL_MAX || !core_text_line_ok(a->label))) {
		ret = tf_fail(h, TF_USAGE, NULL, "--label: one line of at most %d characters, no control characters",
		              LABEL_MAX);
		goto out;
	}
	/* the registration lock first, the account's after it (never the other way) */
	if ((st = store_ref_ns(h->s, NS_OIDC, "webauthn:registration", &regref)) ||
	    (st = store_lock(h->s, &regref))) {
		ret = tf_fail_store(h, st);
		goto out;
	}
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = stepup(&ss, a->stepup, "webauthn register")) ||
	    (ret = reg_parse(h, a->registration, in)) || (ret = wa_conf_load(h, &c)))
		goto out;
	snprintf(label, sizeof label, "%s", a->label ? a->label : in->label);
	why = reg_check(ss.a, &c, in, now, &cred, &code, err, sizeof err);
	if (!why) {
		if ((ret = cred_taken(h, cred.id, cred.idlen, &taken)))
			goto out;
		if (taken) {   /* which account holds it is not the caller's to learn */
			why = "the credential id is registered already";
			code = TF_USAGE;   /* as for one on this account (reg_check) */
		}
	}
	if (!why) {
		f = account_factor_add(ss.a, now);
		if (!f) {
			why = "the account has as many factors as it may";
			code = TF_USAGE;
		} else {
			f->type = F_WEBAUTHN;
			f->status = FS_ACTIVE;
			f->confirmed = now;
			memcpy(f->cred, cred.id, cred.idlen);
			f->credlen = cred.idlen;
			memcpy(f->pub, cred.pub, cred.publen);
			f->publen = cred.publen;
			f->cose = cred.cose;
			f->sign_count = cred.count;
			memcpy(f->label, label, sizeof f->label);
		}
	}
	if (why && code == TF_STORE) {
		ret = tf_fail(h, TF_STORE, NULL, "%s", why);
		goto out;
	}
	/* the challenge is used up whatever the verdict */
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "webauthn.register", a->name, why ? "rejected" : "ok", NULL,
	                    why ? why : wa_alg_name(cred.cose))))
		goto out;
	if (why) {
		if (!strcmp(why, "origin not allowed"))
			ret = tf_fail(h, code, NULL, "registration refused: origin '%s' is not in webauthn.origins",
			              tf_safe(in->cd.origin));
		else
			ret = tf_fail(h, code, NULL, "registration refused: %s", why);
		goto out;
	}
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "factor", json_object_new_int64(f->id));
	json_object_object_add(j, "alg", json_object_new_string(wa_alg_name(cred.cose)));
	json_object_object_add(j, "credential_id", b64u_obj(cred.id, cred.idlen));
	json_object_object_add(j, "sign_count", json_object_new_int64(cred.count));
	json_object_object_add(j, "fmt", json_object_new_string(in->ao.fmt));
	tf_sess_end(&ss);
	ret = tf_emit(h, out, j);
out:
	tf_sess_end(&ss);
	store_unlock(h->s, &regref);
	if (in) {
		free(in->attobj);
		sodium_memzero(in, sizeof *in);
		free(in);
	}
	return ret;
}

/* ---- webauthn list, del ---- */

tf_status tf_webauthn_list(tf *h, const struct tf_webauthn_list_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	tf_status ret;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	for (unsigned i = 0; i < ss.a->nf && !ret; i++) {
		const struct factor *f = &ss.a->f[i];
		json_object *o;

		if (f->type != F_WEBAUTHN)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(f->id));
		json_object_object_add(o, "credential_id", b64u_obj(f->cred, f->credlen));
		json_object_object_add(o, "alg", json_object_new_string(wa_alg_name(f->cose)));
		json_object_object_add(o, "label", json_object_new_string(f->label));
		json_object_object_add(o, "sign_count", json_object_new_int64(f->sign_count));
		json_object_object_add(o, "last_used", f->last_used ? json_object_new_int64(f->last_used) : NULL);
		ret = tf_emit(h, out, o);
	}
out:
	tf_sess_end(&ss);
	return ret;
}

tf_status tf_webauthn_del(tf *h, const struct tf_webauthn_del_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	struct tf_sess ss = { 0 };
	struct factor *f;
	json_object *o;
	tf_status ret;

	if ((ret = tf_sess_begin(h, &ss, a->name)))
		goto out;
	f = account_factor(ss.a, a->id);
	if (!a->id || !f || f->type != F_WEBAUTHN) {
		ret = tf_fail(h, TF_NOENT, NULL, "no WebAuthn credential %lld", (long long)a->id);
		goto out;
	}
	account_factor_del(ss.a, a->id);
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(h, "webauthn.del", a->name, "ok", NULL, NULL)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "factor", json_object_new_int64(a->id));
	json_object_object_add(o, "result", json_object_new_string("deleted"));
	if ((ret = tf_emit(h, out, o)))
		goto out;
	tf_tell_removed(h, &ss, account_active_count(ss.a) ? "webauthn" : NULL);
out:
	tf_sess_end(&ss);
	return ret;
}

/* ---- verify NAME --assertion ---- */

/* An assertion as the browser sends it, decoded. */
struct wa_login_in {
	uint8_t id[WA_CRED_MAX];
	size_t idlen;
	uint8_t cdj[WA_CDJ_MAX];
	size_t cdjlen;
	uint8_t auth[WA_AUTHDATA_MAX];
	size_t authlen;
	uint8_t sig[WA_SIG_MAX];
	size_t siglen;
	uint8_t user[64];
	size_t userlen;
	struct wa_client_data cd;
	struct wa_authdata ad;
};

static tf_status login_parse(tf *h, const char *text, struct wa_login_in *in)
{
	json_object *o, *v;
	tf_status ret;

	if ((ret = parse_json(h, text, "assertion", &o)))
		return ret;
	ret = TF_USAGE;
	if (cred_id_field(o, in->id, &in->idlen))
		tf_fail(h, TF_USAGE, NULL, "malformed assertion: rawId (or id), base64url, is needed");
	else if (b64_field(o, "clientDataJSON", in->cdj, sizeof in->cdj, &in->cdjlen) ||
	         wa_client_data_parse(in->cdj, in->cdjlen, &in->cd))
		tf_fail(h, TF_USAGE, NULL, "malformed assertion: response.clientDataJSON is not base64url client data");
	else if (b64_field(o, "authenticatorData", in->auth, sizeof in->auth, &in->authlen) ||
	         wa_authdata_parse(in->auth, in->authlen, &in->ad))
		tf_fail(h, TF_USAGE, NULL, "malformed assertion: response.authenticatorData is not base64url "
		        "authenticator data");
	else if (b64_field(o, "signature", in->sig, sizeof in->sig, &in->siglen) || !in->siglen)
		tf_fail(h, TF_USAGE, NULL, "malformed assertion: response.signature, base64url, is needed");
	else if ((v = cred_field(o, "userHandle")) && !json_object_is_type(v, json_type_null) &&
	         b64_field(o, "userHandle", in->user, sizeof in->user, &in->userlen))
		tf_fail(h, TF_USAGE, NULL, "malformed assertion: response.userHandle is not base64url");
	else
		ret = TF_OK;
	json_object_put(o);
	return ret;
}

/* The verdict on an assertion for account a at time now: NULL when it is
 * accepted (*fp is the credential, *count its new counter), else why not.
 * The challenge it names is taken out of the account either way. *st is
 * TF_STORE when libfido2 cannot be loaded. */
static const char *login_check(struct account *a, const struct wa_conf *c, const struct wa_login_in *in,
                               int64_t now, struct factor **fp, uint32_t *count, tf_status *st,
                               char *err, size_t errlen)
{
	enum wa_ch_result r = wa_challenge_take(a, in->cd.challenge, in->cd.challenge_len, WA_LOGIN, now);
	struct factor *f = NULL;
	uint8_t cdh[32];
	const char *why;
	int vs;

	*fp = NULL;
	*st = TF_REJECTED;
	if (r != WA_CH_OK)
		return wa_ch_result_text(r);
	if ((why = wa_client_data_check(&in->cd, "webauthn.get", c->origins)))
		return why;
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].type == F_WEBAUTHN && a->f[i].status == FS_ACTIVE && a->f[i].credlen == in->idlen &&
		    sodium_memcmp(a->f[i].cred, in->id, in->idlen) == 0)
			f = &a->f[i];
	if (!f)
		return "unknown credential";
	if (in->userlen && (!a->has_wa_user || in->userlen != sizeof a->wa_user ||
	                    sodium_memcmp(in->user, a->wa_user, sizeof a->wa_user)))
		return "the user handle is not this account's";
	if ((why = wa_authdata_check(&in->ad, c->rp_id, c->uv)))
		return why;
	crypto_hash_sha256(cdh, in->cdj, in->cdjlen);
	vs = wa_verify(f->cose, f->pub, f->publen, c->rp_id, in->auth, in->authlen, cdh, in->sig, in->siglen,
	               c->uv == WA_UV_REQUIRED, count, err, errlen);
	if (vs == CORE_ECRYPTO && !strncmp(err, "cannot load", 11)) {
		*st = TF_STORE;
		return err;
	}
	if (vs)
		return "signature does not verify";
	if ((*count || f->sign_count) && *count <= f->sign_count)
		return "signature counter went back: the authenticator may be cloned";
	*fp = f;
	return NULL;
}

tf_status tf_verify_assertion(tf *h, const struct tf_verify_assertion_args *a, const struct tf_sink *out)
{
	TF_ENTRY(h, a);
	int64_t now = tf_now(h);
	struct tf_sess ss = { 0 };
	struct wa_login_in *in = calloc(1, sizeof *in);
	struct wa_conf c;
	struct factor *f = NULL;
	const char *why;
	char err[256] = "";
	unsigned after;
	uint32_t count = 0, fid = 0;
	json_object *j;
	tf_status ret, code = TF_REJECTED;

	if (!in)
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	if ((ret = tf_sess_begin(h, &ss, a->name)) || (ret = login_parse(h, a->assertion, in)) ||
	    (ret = wa_conf_load(h, &c)))
		goto out;
	if ((ret = tf_config_uint(h, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = lockout_gate(&ss, "verify", a->ip, "webauthn")))
		goto out;
	why = login_check(ss.a, &c, in, now, &f, &count, &code, err, sizeof err);
	if (why && code == TF_STORE) {
		ret = tf_fail(h, TF_STORE, NULL, "%s", why);
		goto out;
	}
	if (why) {
		lock_fail(ss.a, now, after);
	} else {
		f->sign_count = count;
		f->last_used = now;
		lock_success(ss.a);
		ss.a->verified++;
		login_close_all(ss.a);
		fid = f->id;
	}
	/* the challenge is used up and the failure counted before the answer */
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(h, "verify", ss.name, why ? "rejected" : "ok-webauthn", a->ip, why)))
		goto out;
	if (why) {
		if (!strcmp(why, "origin not allowed"))
			ret = tf_fail(h, TF_REJECTED, NULL, "assertion rejected: origin '%s' is not in webauthn.origins",
			              tf_safe(in->cd.origin));
		else
			ret = tf_fail(h, TF_REJECTED, NULL, "assertion rejected: %s", why);
		goto out;
	}
	tf_sess_end(&ss);
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "result", json_object_new_string("accepted"));
	json_object_object_add(j, "method", json_object_new_string("webauthn"));
	json_object_object_add(j, "factor", json_object_new_int64(fid));
	ret = tf_emit(h, out, j);
out:
	tf_sess_end(&ss);
	sodium_memzero(in, sizeof *in);
	free(in);
	return ret;
}
