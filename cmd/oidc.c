/* SPDX-License-Identifier: ISC */
/* twofactl oidc link|unlink|lookup: OpenID Connect identities (MojeID) */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct oidc_args {
	const char *name, *issuer, *subject;
	int nargs;
};

enum { OPT_ISSUER = 0x1100, OPT_SUBJECT };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct oidc_args *a = state->input;

	switch (key) {
	case OPT_ISSUER:
		if (strlen(arg) > OIDC_ISSUER_MAX)
			USAGE(state, "--issuer: at most %d characters", OIDC_ISSUER_MAX);
		a->issuer = arg;
		break;
	case OPT_SUBJECT:
		if (strlen(arg) > OIDC_SUBJECT_MAX)
			USAGE(state, "--subject: at most %d characters", OIDC_SUBJECT_MAX);
		a->subject = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->name = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option options[] = {
	{ "issuer", OPT_ISSUER, "URL", 0, "The identity provider (https://...)", 0 },
	{ "subject", OPT_SUBJECT, "SUB", 0, "The user's subject at that provider", 0 },
	{ 0 }
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static const struct argp link_argp = {
	options, parse, "NAME --issuer URL --subject SUB",
	"Link an OpenID Connect identity to an account (seed 000: log in with "
	"MojeID). One identity belongs to one account at most, also when two links "
	"are made at once; 'user set NAME --password-login off' then leaves only "
	"this way in.", common_children, NULL, NULL
};

static void render_link(json_object *o)
{
	if (!g.quiet)
		fprintf(g.out, "linked %s %s to '%s'\n", printable(jstr(o, "issuer")), printable(jstr(o, "subject")),
		       jstr(o, "name"));
}

static int oidc_link_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&link_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("oidc link %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_oidc_link(h, &(struct tf_oidc_link_args){ .name = a.name, .issuer = a.issuer,
		                   .subject = a.subject }, CLI_SINK(render_link));
	cli_close(h);
	return ret;
}

static const struct argp unlink_argp = {
	options, parse, "NAME [--issuer URL --subject SUB]",
	"Unlink the account's OpenID Connect identities, or the one given.",
	common_children, NULL, NULL
};

static void render_unlink(json_object *o)
{
	json_object *n;
	int64_t removed;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "unlinked", &n);
	removed = json_object_get_int64(n);
	fprintf(g.out, "unlinked %lld identit%s of '%s'\n", (long long)removed, removed == 1 ? "y" : "ies", jstr(o, "name"));
}

static int oidc_unlink_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&unlink_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("oidc unlink %s", safe(a.name));
	if (!(ret = cli_open(&h)))
		ret = tf_oidc_unlink(h, &(struct tf_oidc_unlink_args){ .name = a.name, .issuer = a.issuer,
		                     .subject = a.subject }, CLI_SINK(render_unlink));
	cli_close(h);
	return ret;
}

static const struct argp lookup_argp = {
	options, parse, "--issuer URL --subject SUB",
	"Print the account an OpenID Connect identity is linked to (exit 3: none).",
	common_children, NULL, NULL
};

static void render_lookup(json_object *o)
{
	fprintf(g.out, "%s\n", jstr(o, "name"));
}

static int oidc_lookup_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&lookup_argp, argc, argv, &a);
	if (a.name)
		return fail(EXIT_USAGE, "unexpected argument '%s'", safe(a.name));
	if (!(ret = cli_open(&h)))
		ret = tf_oidc_lookup(h, &(struct tf_oidc_lookup_args){ .issuer = a.issuer, .subject = a.subject },
		                     CLI_SINK(render_lookup));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "link", oidc_link_cmd, "link an identity to an account" },
	{ "unlink", oidc_unlink_cmd, "unlink an account's identities" },
	{ "lookup", oidc_lookup_cmd, "which account an identity belongs to" },
	{ NULL, NULL, NULL }
};

int cmd_oidc(int argc, char **argv)
{
	return run_verbs("oidc", verbs, argc, argv);
}
