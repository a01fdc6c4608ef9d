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

int cmd_init(int argc, char **argv)
{
	struct init_args a = { 0 };
	const char *dir;
	char err[512];
	int st;

	cmd_parse(&argp, argc, argv, &a);
	dir = store_dir();
	st = store_create(dir, a.key_file, a.pass_file, err, sizeof err);
	if (st)
		return fail(exit_for_store(st), "%s", err);
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(dir));
		json_object_object_add(o, "key_file", a.key_file ? json_object_new_string(a.key_file) : NULL);
		emit_json(o);
	} else if (!g.quiet) {
		printf("created store '%s'\n", dir);
	}
	{
		struct store *s;

		if (open_store(&s))
			return EXIT_STORE;
		st = tf_audit(g.h, "init", NULL, "ok", NULL, NULL);
		close_store(s);
		return st;
	}
}
