/* SPDX-License-Identifier: ISC */
/* twofactl webauthn register|list|del, and verify --assertion */
#include "cmd/cmd.h"
#include "cmd/attempt.h"
#include "core/auth.h"
#include "core/lockout.h"
#include "core/policy.h"
#include "core/timefmt.h"
#include "core/webauthn.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small JSON object from FILE or stdin ("-"). */
static json_object *read_json(const char *file)
{
	char *buf = read_input(file ? file : "-", 65536);
	json_object *o;

	if (!buf)
		return NULL;
	o = json_tokener_parse(buf);
	sodium_memzero(buf, strlen(buf));
	free(buf);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A base64url (or standard base64) field. */
static int b64_field(json_object *o, const char *key, uint8_t *out, size_t cap, size_t *len)
{
	json_object *v = NULL;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (sodium_base642bin(out, cap, s, strlen(s), "=", len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
	    sodium_base642bin(out, cap, s, strlen(s), NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL))
		return -1;
	return 0;
}

struct wa_args {
	const char *name, *id, *file, *label;
	int nargs;
};

enum { OPT_FILE = 0x1200, OPT_LABEL };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct wa_args *a = state->input;

	switch (key) {
	case OPT_FILE:
		a->file = arg;
		break;
	case OPT_LABEL:
		if (strlen(arg) > LABEL_MAX)
			USAGE(state, "--label: at most %d characters", LABEL_MAX);
		a->label = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++ > 1)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (a->nargs == 1)
			a->name = arg;
		else
			a->id = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing account NAME");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option reg_options[] = {
	{ "file", OPT_FILE, "FILE", 0, "Read the registration from FILE (default: standard input)", 0 },
	{ "label", OPT_LABEL, "TEXT", 0, "What the key is, e.g. 'YubiKey 5' or 'laptop fingerprint'", 0 },
	{ 0 }
};

static const struct argp reg_argp = {
	reg_options, parse, "NAME",
	"Register a FIDO2/WebAuthn credential (seed 004: a security key or a "
	"fingerprint) that the relying party's registration ceremony produced: a "
	"JSON object {\"credential_id\", \"alg\": \"ES256\"|\"EdDSA\"|\"RS256\", "
	"\"public_key\", \"label\"} with base64url values; the public key is the "
	"uncompressed P-256 point, the 32-byte Ed25519 key, or the RSA modulus and "
	"exponent. Assertions are then checked by 'verify NAME --assertion FILE' "
	"against config webauthn.rp_id.", common_children, NULL, NULL
};

static int wa_register(int argc, char **argv)
{
	struct wa_args a = { 0 };
	struct session ss = { 0 };
	json_object *o, *v;
	struct factor *f;
	uint8_t cred[WA_CRED_MAX], pub[WA_PUB_MAX];
	size_t credlen = 0, publen = 0;
	int cose, ret;

	cmd_parse(&reg_argp, argc, argv, &a);
	set_ctx("webauthn register %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	o = read_json(a.file);
	if (!o)
		return fail(EXIT_USAGE, "the registration is not a JSON object");
	if (b64_field(o, "credential_id", cred, sizeof cred, &credlen) || !credlen ||
	    b64_field(o, "public_key", pub, sizeof pub, &publen) ||
	    !json_object_object_get_ex(o, "alg", &v) || wa_alg_parse(json_object_get_string(v), &cose) ||
	    !wa_pubkey_valid(cose, pub, publen)) {
		json_object_put(o);
		return fail(EXIT_USAGE, "malformed registration: credential_id, alg (ES256, EdDSA, RS256) "
		            "and a public key of that algorithm are needed");
	}
	if (!a.label && json_object_object_get_ex(o, "label", &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) <= LABEL_MAX)
		a.label = json_object_get_string(v);
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	for (unsigned i = 0; i < ss.a->nf; i++)
		if (ss.a->f[i].type == F_WEBAUTHN && ss.a->f[i].credlen == credlen &&
		    !memcmp(ss.a->f[i].cred, cred, credlen)) {
			ret = fail(EXIT_USAGE, "that credential is registered already (factor %u)", ss.a->f[i].id);
			goto out;
		}
	f = account_factor_add(ss.a, g.now);
	if (!f) {
		ret = fail(EXIT_USAGE, "account has %d factors already", ACCT_MAX_FACTORS);
		goto out;
	}
	f->type = F_WEBAUTHN;
	f->status = FS_ACTIVE;
	f->confirmed = g.now;
	memcpy(f->cred, cred, credlen);
	f->credlen = credlen;
	memcpy(f->pub, pub, publen);
	f->publen = publen;
	f->cose = cose;
	if (a.label && core_strlcpy(f->label, a.label, sizeof f->label)) {
		ret = fail(EXIT_USAGE, "label too long");
		goto out;
	}
	if ((ret = sess_save(&ss)) || (ret = audit(ss.s, "webauthn.register", a.name, "ok", NULL, wa_alg_name(cose))))
		goto out;
	if (g.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(a.name));
		json_object_object_add(j, "factor", json_object_new_int64(f->id));
		json_object_object_add(j, "alg", json_object_new_string(wa_alg_name(cose)));
		emit_json(j);
	} else if (!g.quiet) {
		printf("registered %s key as factor %u of '%s'\n", wa_alg_name(cose), f->id, a.name);
	}
out:
	json_object_put(o);
	sess_end(&ss);
	return ret;
}

static const struct argp list_argp = {
	NULL, parse, "NAME", "List an account's WebAuthn credentials.", common_children, NULL, NULL
};

static int wa_list(int argc, char **argv)
{
	struct wa_args a = { 0 };
	struct session ss;
	int ret;

	cmd_parse(&list_argp, argc, argv, &a);
	set_ctx("webauthn list %s", safe(a.name));
	if (!(ret = sess_begin(&ss, a.name)))
		for (unsigned i = 0; i < ss.a->nf; i++) {
			const struct factor *f = &ss.a->f[i];
			char id[2 * WA_CRED_MAX], t[32] = "never";

			if (f->type != F_WEBAUTHN)
				continue;
			sodium_bin2base64(id, sizeof id, f->cred, f->credlen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			if (g.json) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "id", json_object_new_int64(f->id));
				json_object_object_add(o, "credential_id", json_object_new_string(id));
				json_object_object_add(o, "alg", json_object_new_string(wa_alg_name(f->cose)));
				json_object_object_add(o, "label", json_object_new_string(f->label));
				json_object_object_add(o, "sign_count", json_object_new_int64(f->sign_count));
				json_object_object_add(o, "last_used", f->last_used ? json_object_new_int64(f->last_used) : NULL);
				emit_json(o);
				continue;
			}
			if (f->last_used)
				time_iso(f->last_used, t);
			printf("%-4u %-6s %-24s counter %u, last used %s\n", f->id, wa_alg_name(f->cose),
			       f->label[0] ? f->label : "-", f->sign_count, t);
		}
	sess_end(&ss);
	return ret;
}

static const struct argp del_argp = {
	NULL, parse, "NAME ID", "Remove a WebAuthn credential (its factor id, see list).",
	common_children, NULL, NULL
};

static int wa_del(int argc, char **argv)
{
	struct wa_args a = { 0 };
	struct session ss;
	struct factor *f;
	int64_t id;
	int ret;

	cmd_parse(&del_argp, argc, argv, &a);
	set_ctx("webauthn del %s", safe(a.name));
	if (!a.id || int_parse(a.id, 1, UINT32_MAX, &id))
		return fail(EXIT_USAGE, "give the credential's factor ID");
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	f = account_factor(ss.a, (uint32_t)id);
	if (!f || f->type != F_WEBAUTHN) {
		ret = fail(EXIT_NOENT, "no WebAuthn credential %lld", (long long)id);
		goto out;
	}
	account_factor_del(ss.a, (uint32_t)id);
	if (!(ret = sess_save(&ss)))
		ret = audit(ss.s, "webauthn.del", a.name, "ok", NULL, NULL);
	if (!ret && !g.quiet && !g.json)
		printf("removed WebAuthn credential %lld of '%s'\n", (long long)id, a.name);
out:
	sess_end(&ss);
	return ret;
}

/* verify NAME --assertion FILE */
int verify_assertion(struct session *ss, const char *file, const char *ip, uint32_t *factor)
{
	json_object *o = read_json(file), *v;
	uint8_t cred[WA_CRED_MAX], *auth = malloc(4096), *sig = malloc(1024), cdh[32], h[16];
	size_t credlen = 0, authlen = 0, siglen = 0, cdhlen = 0;
	const char *rp = store_config_get(ss->s, "webauthn.rp_id"), *why = NULL;
	struct factor *f = NULL;
	unsigned after;
	uint32_t count = 0;
	char err[256] = "";
	int ret;

	*factor = 0;
	if (!auth || !sig) {
		ret = fail(EXIT_STORE, "out of memory");
		goto out;
	}
	if (!o || b64_field(o, "credential_id", cred, sizeof cred, &credlen) ||
	    b64_field(o, "authenticator_data", auth, 4096, &authlen) || authlen < 37 ||
	    b64_field(o, "signature", sig, 1024, &siglen)) {
		ret = fail(EXIT_USAGE, "malformed assertion: credential_id, authenticator_data and signature are needed");
		goto out;
	}
	if (!b64_field(o, "client_data_hash", cdh, sizeof cdh, &cdhlen)) {
		if (cdhlen != 32) {
			ret = fail(EXIT_USAGE, "malformed assertion: client_data_hash is not 32 bytes");
			goto out;
		}
	} else if (json_object_object_get_ex(o, "client_data_json", &v)) {
		uint8_t cd[8192];
		size_t cdlen = 0;

		if (b64_field(o, "client_data_json", cd, sizeof cd, &cdlen)) {
			ret = fail(EXIT_USAGE, "malformed assertion: client_data_json");
			goto out;
		}
		crypto_hash_sha256(cdh, cd, cdlen);
	} else {
		ret = fail(EXIT_USAGE, "malformed assertion: client_data_hash or client_data_json is needed");
		goto out;
	}
	if (!rp) {
		ret = fail(EXIT_STORE, "config: webauthn.rp_id is not set (the relying party's domain)");
		goto out;
	}
	if ((ret = config_uint(ss->s, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = lockout_gate(ss, "verify", ip, "webauthn")))
		goto out;
	for (unsigned i = 0; i < ss->a->nf; i++)
		if (ss->a->f[i].type == F_WEBAUTHN && ss->a->f[i].status == FS_ACTIVE && ss->a->f[i].credlen == credlen &&
		    sodium_memcmp(ss->a->f[i].cred, cred, credlen) == 0)
			f = &ss->a->f[i];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, auth, authlen);
	crypto_generichash_update(&st, cdh, sizeof cdh);
	crypto_generichash_update(&st, sig, siglen);
	crypto_generichash_final(&st, h, sizeof h);
	if (!f) {
		why = "unknown credential";
	} else {
		int r = wa_verify(f->cose, f->pub, f->publen, rp, auth, authlen, cdh, sig, siglen, 0, &count, err,
		                  sizeof err);

		if (r == CORE_ECRYPTO && !strncmp(err, "cannot load", 11)) {
			ret = fail(EXIT_STORE, "%s", err);
			goto out;
		}
		if (r)
			why = "signature does not verify";
		else {
			for (unsigned i = 0; i < f->nseen; i++)
				if (!memcmp(f->seen[i], h, sizeof h))
					why = "assertion already used";
			if (!why && (count || f->sign_count) && count <= f->sign_count)
				why = "signature counter went back: the authenticator may be cloned";
		}
	}
	if (why && strcmp(why, "assertion already used")) {
		lock_fail(ss->a, g.now, after);
	} else if (!why) {
		f->sign_count = count;
		if (f->nseen == WA_SEEN) {
			memmove(f->seen[0], f->seen[1], (WA_SEEN - 1) * sizeof f->seen[0]);
			f->nseen--;
		}
		memcpy(f->seen[f->nseen++], h, sizeof h);
		f->last_used = g.now;
		lock_success(ss->a);
		ss->a->verified++;
		login_close_all(ss->a);
		*factor = f->id;
	}
	if ((!why || strcmp(why, "assertion already used")) && (ret = sess_save(ss)))
		goto out;
	if ((ret = audit(ss->s, "verify", ss->name, why ? "rejected" : "ok-webauthn", ip, why)))
		goto out;
	ret = why ? fail(EXIT_REJECTED, "assertion rejected: %s", why) : EXIT_OK;
out:
	json_object_put(o);
	free(auth);
	free(sig);
	return ret;
}

static const struct verb verbs[] = {
	{ "register", wa_register, "store a credential from a registration" },
	{ "list", wa_list, "list credentials" },
	{ "del", wa_del, "remove a credential" },
	{ NULL, NULL, NULL }
};

int cmd_webauthn(int argc, char **argv)
{
	return run_verbs("webauthn", verbs, argc, argv);
}
