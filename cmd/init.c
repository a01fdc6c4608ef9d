/* SPDX-License-Identifier: ISC */
/* twofactl init */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>

struct init_args {
	const char *key_file, *pass_file;
};

static const struct argp_option options[] = {
	{ "key-file", 'k', "PATH", 0, "Keep the master key at PATH (absolute), outside the store", 0 },
	{ "owner", 'o', "USER", 0, "As root: make the store USER's, in the directory USER owns already "
	  "(needed when USER is not a system user, uid 1000 and up)", 0 },
	{ "passphrase-file", 'p', "PATH", 0, "Wrap the master key with the passphrase in PATH (absolute, "
	  "0600; Argon2id): every command then reads it from there or from $TWOFACTL_PASSPHRASE_FILE", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct init_args *a = state->input;

	switch (key) {
	case 'k':
		if (arg[0] != '/')
			USAGE(state, "--key-file must be an absolute path");
		a->key_file = arg;
		break;
	case 'o':
		g.init_owner = arg;   /* act_as_store_owner checks it before anything opens */
		break;
	case 'p':
		if (arg[0] != '/')
			USAGE(state, "--passphrase-file must be an absolute path");
		a->pass_file = arg;
		break;
	case ARGP_KEY_ARG:
		USAGE(state, "unexpected argument '%s'", safe(arg));
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, NULL,
	"Create a store: the directory (0700), a random 32-byte master key (0600), "
	"an empty config, the lock file and the audit log. Refuses to overwrite an "
	"existing store, and to take over a directory it did not make unless that is "
	"empty, the caller's and writable by nobody else.", common_children, NULL, NULL
};

static void render(json_object *o)
{
	json_object *dir;

	if (g.quiet)
		return;
	json_object_object_get_ex(o, "dir", &dir);
	fprintf(g.out, "created store '%s'\n", printable(json_object_get_string(dir)));
}

int cmd_init(int argc, char **argv)
{
	struct init_args a = { 0 };
	struct tf_options o;
	tf *h = NULL;
	int ret;

	g.init = 1;   /* act_as_store_owner, inside the parse, checks whom init may serve */
	g.init_owner = NULL;
	ret = cmd_parse(&argp, argc, argv, &a);
	g.init = 0;
	if (ret)
		return ret == CMD_PARSED ? EXIT_OK : ret;
	cli_options(&o);
	ret = tf_init(&h, &o, &(struct tf_init_args){ .key_file = a.key_file, .pass_file = a.pass_file },
	              CLI_SINK(render));
	tf_close(&h);
	return ret;
}
