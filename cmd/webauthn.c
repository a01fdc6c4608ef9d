/* SPDX-License-Identifier: ISC */
/* twofactl webauthn challenge|register|list|del (lib/webauthn.c, which
 * also checks verify --assertion) */
#include "cmd/cmd.h"
#include "core/timefmt.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wa_args {
	const char *name, *id, *file, *label, *purpose;
	int nargs;
};

enum { OPT_FILE = 0x1200, OPT_LABEL, OPT_PURPOSE };

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
	case OPT_PURPOSE:
		a->purpose = arg;
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

/* ---- webauthn challenge ---- */

static const struct argp_option ch_options[] = {
	{ "purpose", OPT_PURPOSE, "register|login", 0, "What the challenge is for (default: login)", 0 },
	{ 0 }
};

static const struct argp ch_argp = {
	ch_options, parse, "NAME",
	"Issue a single-use WebAuthn challenge for a registration or a login: 32 random "
	"bytes, base64url, valid webauthn.challenge_ttl (5m); only its hash is kept. Prints "
	"the challenge; with --json also the relying party, the allowed origins, the "
	"timeout, the user handle (register) or the credential ids (login), and under "
	"\"publicKey\" the options for navigator.credentials.create() or .get().\v"
	"The browser's answer goes to 'webauthn register NAME' or 'verify NAME "
	"--assertion FILE', which use the challenge up, accepted or not.", common_children, NULL, NULL
};

static void render_challenge(json_object *o)
{
	json_object *v;

	json_object_object_get_ex(o, "challenge", &v);
	fprintf(g.out, "%s\n", json_object_get_string(v));
}

static int wa_challenge(int argc, char **argv)
{
	struct wa_args a = { 0 };
	tf_webauthn_purpose p = TF_WEBAUTHN_LOGIN;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&ch_argp, argc, argv, &a);
	set_ctx("webauthn challenge %s", safe(a.name));
	if (a.purpose && !strcmp(a.purpose, "register"))
		p = TF_WEBAUTHN_REGISTER;
	else if (a.purpose && strcmp(a.purpose, "login"))
		return fail(EXIT_USAGE, "--purpose: '%s' is not register or login", safe(a.purpose));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_webauthn_challenge(h, &(struct tf_webauthn_challenge_args){ .name = a.name, .purpose = p },
	                            CLI_SINK(render_challenge));
	cli_close(h);
	return ret;
}

/* ---- webauthn register ---- */

static const struct argp_option reg_options[] = {
	{ "file", OPT_FILE, "FILE", 0, "Read the registration from FILE (default: standard input)", 0 },
	{ "label", OPT_LABEL, "TEXT", 0, "What the key is, e.g. 'YubiKey 5' or 'laptop fingerprint'", 0 },
	{ 0 }
};

static const struct argp reg_argp = {
	reg_options, parse, "NAME",
	"Register a FIDO2/WebAuthn credential (seed 004: a security key or a "
	"fingerprint) from the browser's answer to navigator.credentials.create(): "
	"the PublicKeyCredential as JSON, {\"rawId\", \"response\": "
	"{\"clientDataJSON\", \"attestationObject\"}} in base64url (what its toJSON() "
	"gives), with an optional \"label\". The client data must name a register "
	"challenge of NAME (see 'webauthn challenge') and an origin of "
	"webauthn.origins; attestation \"none\" and \"packed\" (self or x5c) are "
	"accepted, ES256, EdDSA and RS256 keys.\v"
	"Exit status: 0 registered, 1 refused (the challenge is used up), 2 malformed "
	"or registered already, 3 no such account, 5 store error or no webauthn.rp_id.",
	common_children, NULL, NULL
};

static void render_register(json_object *o)
{
	json_object *alg, *factor, *name;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "alg", &alg);
	json_object_object_get_ex(o, "factor", &factor);
	json_object_object_get_ex(o, "name", &name);
	fprintf(g.out, "registered %s key as factor %lld of '%s'\n", json_object_get_string(alg),
	       (long long)json_object_get_int64(factor), json_object_get_string(name));
}

static int wa_register(int argc, char **argv)
{
	struct wa_args a = { 0 };
	const char *file;
	char *text, code[STEPUP_MAX];
	tf *h = NULL;
	int ret;

	CMD_PARSE(&reg_argp, argc, argv, &a);
	set_ctx("webauthn register %s", safe(a.name));
	/* the step-up code, if any, is the line before the registration */
	if ((ret = check_name(a.name)) || (ret = read_stepup(code, sizeof code, !a.file)))
		return ret;
	file = a.file ? a.file : "-";
	if (!(text = read_input(file, 65536))) {
		sodium_memzero(code, sizeof code);
		return fail(EXIT_USAGE, "cannot read the registration from '%s': %s", a.file ? safe(a.file) : "-",
		            strerror(errno));
	}
	if (!(ret = cli_open(&h)))
		ret = tf_webauthn_register(h, &(struct tf_webauthn_register_args){ .name = a.name,
		                           .registration = text, .label = a.label, .stepup = code },
		                           CLI_SINK(render_register));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	sodium_memzero(text, strlen(text));
	free(text);
	return ret;
}

/* ---- webauthn list, del ---- */

static const struct argp list_argp = {
	NULL, parse, "NAME", "List an account's WebAuthn credentials.", common_children, NULL, NULL
};

static void render_list(json_object *o)
{
	json_object *id, *alg, *label, *count, *last;
	char t[32] = "never";

	json_object_object_get_ex(o, "id", &id);
	json_object_object_get_ex(o, "alg", &alg);
	json_object_object_get_ex(o, "label", &label);
	json_object_object_get_ex(o, "sign_count", &count);
	if (json_object_object_get_ex(o, "last_used", &last) && last)
		time_iso(json_object_get_int64(last), t);
	fprintf(g.out, "%-4lld %-6s %-24s counter %lld, last used %s\n", (long long)json_object_get_int64(id),
	       json_object_get_string(alg), json_object_get_string_len(label) ? safe(json_object_get_string(label)) : "-",
	       (long long)json_object_get_int64(count), t);
}

static int wa_list(int argc, char **argv)
{
	struct wa_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	set_ctx("webauthn list %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_webauthn_list(h, &(struct tf_webauthn_list_args){ .name = a.name }, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

static const struct argp del_argp = {
	NULL, parse, "NAME ID", "Remove a WebAuthn credential (its factor id, see list).",
	common_children, NULL, NULL
};

static void render_del(json_object *o)
{
	json_object *factor, *name;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "factor", &factor);
	json_object_object_get_ex(o, "name", &name);
	fprintf(g.out, "removed WebAuthn credential %lld of '%s'\n", (long long)json_object_get_int64(factor),
	       json_object_get_string(name));
}

static int wa_del(int argc, char **argv)
{
	struct wa_args a = { 0 };
	int64_t id;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&del_argp, argc, argv, &a);
	set_ctx("webauthn del %s", safe(a.name));
	if (!a.id || int_parse(a.id, 1, UINT32_MAX, &id))
		return fail(EXIT_USAGE, "give the credential's factor ID");
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_webauthn_del(h, &(struct tf_webauthn_del_args){ .name = a.name, .id = (uint32_t)id },
	                      CLI_SINK(render_del));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "challenge", wa_challenge, "a single-use challenge for a registration or login" },
	{ "register", wa_register, "store a credential from a registration" },
	{ "list", wa_list, "list credentials" },
	{ "del", wa_del, "remove a credential" },
	{ NULL, NULL, NULL }
};

int cmd_webauthn(int argc, char **argv)
{
	return run_verbs("webauthn", verbs, argc, argv);
}
