/* SPDX-License-Identifier: ISC */
/* twofactl config get|set|list|diff|accept */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *config_key_name(size_t i)
{
	return tf_config_key_name(i);
}

struct cfg_args {
	const char *argv[2];
	int n, want;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cfg_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->n >= a->want)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->argv[a->n++] = arg;
		break;
	case ARGP_KEY_END:
		if (a->n < a->want)
			USAGE(state, "missing %s", a->n == 0 ? "KEY" : "VALUE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp get_argp = {
	NULL, parse, "KEY", "Print a configuration value (or its default).", common_children, NULL, NULL
};
static const struct argp set_argp = {
	NULL, parse, "KEY VALUE", "Set a configuration value; an empty VALUE restores the default.",
	common_children, NULL, NULL
};
static const struct argp list_argp = {
	NULL, parse, NULL, "List every configuration key with its value and meaning.",
	common_children, NULL, NULL
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* A warning is not a failure: one line on stderr, nothing recorded. */
static void warn(void *ctx, const char *word, const char *message)
{
	(void)ctx;
	if (g.quiet && !strcmp(word, "bad_seal"))
		return;
	fprintf(g.err, "twofactl: %s: %s\n", g.ctx, terminal_text(message));
}

/* config get prints the value; without one there is nothing to print */
static int got_value;

static void render_get(json_object *o)
{
	const char *v = jstr(o, "value");

	got_value = v != NULL;
	if (v)
		fprintf(g.out, "%s\n", printable(v));
}

static int config_get(int argc, char **argv)
{
	struct cfg_args a = { .want = 1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&get_argp, argc, argv, &a);
	got_value = 0;
	if (!(ret = cli_open_flags(&h, TF_OPEN_ANY_CONFIG)))
		ret = tf_config_get(h, &(struct tf_config_get_args){ .key = a.argv[0] }, CLI_SINK(render_get));
	cli_close(h);
	return ret || got_value || g.json ? ret : EXIT_NOENT;
}

static int config_set(int argc, char **argv)
{
	struct cfg_args a = { .want = 2 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&set_argp, argc, argv, &a);
	set_ctx("config set %s", safe(a.argv[0]));
	if (!(ret = cli_open(&h)))   /* the text form says nothing */
		ret = tf_config_set(h, &(struct tf_config_set_args){ .key = a.argv[0], .value = a.argv[1] },
		                    CLI_SINK(NULL));
	cli_close(h);
	return ret;
}

static void render_list(json_object *o)
{
	json_object *def;
	const char *v = jstr(o, "value");

	json_object_object_get_ex(o, "default", &def);
	fprintf(g.out, "%-20s %-28s # %s%s\n", printable(jstr(o, "key")), printable(v), jstr(o, "description"),
	       json_object_get_boolean(def) ? " (default)" : "");
}

static int config_list(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&list_argp, argc, argv, &a);
	if (!(ret = cli_open_flags(&h, TF_OPEN_ANY_CONFIG)))
		ret = tf_config_list(h, &(struct tf_config_list_args){ .warn = warn }, CLI_SINK(render_list));
	cli_close(h);
	return ret;
}

/* ---- diff, accept: hand edits are kept only when an administrator says so ---- */

/* One change ({key, sealed, now}), or the summary of diff or accept. */
static void render_change(json_object *o)
{
	json_object *v;
	const char *key = jstr(o, "key"), *was = jstr(o, "sealed"), *now = jstr(o, "now");

	/* the config file is plain text anyone with write access may have edited:
	 * what it says reaches the terminal escaped */
	key = key ? printable(key) : NULL;
	was = was ? printable(was) : NULL;
	now = now ? printable(now) : NULL;

	if (json_object_object_get_ex(o, "state", &v)) {   /* diff's summary */
		json_object *n;

		json_object_object_get_ex(o, "changes", &n);
		if (g.quiet)
			return;
		if (!strcmp(json_object_get_string(v), "sealed"))
			fprintf(g.out, "config is as sealed\n");
		else if (!json_object_get_int64(n))
			fprintf(g.out, "only comments or blank lines differ from the sealed config (%s)\n",
			       json_object_get_string(v));
	} else if (json_object_object_get_ex(o, "accepted", &v)) {   /* accept's */
		int64_t n;

		json_object_object_get_ex(o, "changes", &v);
		n = json_object_get_int64(v);
		if (!g.quiet)
			fprintf(g.out, "config sealed as it is (%lld change%s kept)\n", (long long)n, n == 1 ? "" : "s");
	} else if (!was) {
		fprintf(g.out, "+ %s = %s\n", key, now);
	} else if (!now) {
		fprintf(g.out, "- %s = %s\n", key, was);
	} else {
		fprintf(g.out, "- %s = %s\n+ %s = %s\n", key, was, key, now);
	}
}

static const struct argp diff_argp = {
	NULL, parse, NULL,
	"Show how the config file differs from the settings twofactl last sealed "
	"('-' as sealed, '+' as it is now). A file changed by hand (or restored, or "
	"written by someone without the key) makes every command refuse to run until "
	"'config accept' keeps the change. On a store made before settings were "
	"sealed, every setting shows as added.", common_children, NULL, NULL
};

static const struct argp accept_argp = {
	NULL, parse, NULL,
	"Keep the config file as it is now: show the changes (as config diff does), "
	"check their values, and seal the file under the store's key (audited with "
	"the keys that changed). Also makes the sealed list of organisations if the "
	"store has none yet. This is the one step that upgrades a store made before "
	"settings were sealed.", common_children, NULL, NULL
};

static int config_diff(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&diff_argp, argc, argv, &a);
	if (!(ret = cli_open_flags(&h, TF_OPEN_ANY_CONFIG)))
		ret = tf_config_diff(h, &(struct tf_config_diff_args){ .warn = warn }, CLI_SINK(render_change));
	cli_close(h);
	return ret;
}

static int config_accept(int argc, char **argv)
{
	struct cfg_args a = { .want = 0 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&accept_argp, argc, argv, &a);
	if (!(ret = cli_open_flags(&h, TF_OPEN_ANY_CONFIG)))
		ret = tf_config_accept(h, &(struct tf_config_accept_args){ .warn = warn }, CLI_SINK(render_change));
	cli_close(h);
	return ret;
}

static const struct verb verbs[] = {
	{ "get", config_get, "print a value" },
	{ "set", config_set, "set a value (empty: default)" },
	{ "list", config_list, "list every key" },
	{ "diff", config_diff, "how the file differs from the sealed settings" },
	{ "accept", config_accept, "keep a hand edit: seal the file as it is" },
	{ NULL, NULL, NULL }
};

int cmd_config(int argc, char **argv)
{
	return run_verbs("config", verbs, argc, argv);
}
