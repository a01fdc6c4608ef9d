/* SPDX-License-Identifier: ISC */
/* twofactl batch: one command per line of standard input, in one process */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

static error_t parse(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		USAGE(state, "unexpected argument '%s' (commands are read from standard input)", safe(arg));
	return ARGP_ERR_UNKNOWN;
}

static const struct argp argp = {
	NULL, parse, NULL,
	"Read one command per line from standard input, as it would follow "
	"'twofactl' on a command line (words split at blanks; 'single' and "
	"\"double\" quotes and backslashes as in a shell; blank lines and # comments "
	"skipped), and run them all in this one process: provisioning thousands of "
	"accounts without a process each. Prints one result line per command: "
	"LINE<TAB>EXIT<TAB>first line of its output or error; with --json, an object "
	"{line, exit, output, error} where output holds the command's own JSON "
	"results and error is null or {code, message} as in twofactl-json(7). "
	"--help is not available inside a batch.\v"
	"Exit status: 0 when every command succeeded, else the exit status of the "
	"last one that failed.", common_children, NULL, NULL
};

/* Split a line into words; returns the count, or -1 on an unclosed quote. */
static int split(char *line, char **argv, int max)
{
	int n = 0;
	char *r = line, *w = line;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			break;
		if (n >= max)
			return -1;
		argv[n++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t'))) {
			if (quote) {
				if (*r == quote) {
					quote = 0;
					r++;
					continue;
				}
				if (quote == '"' && *r == '\\' && r[1])
					r++;
			} else if (*r == '\'' || *r == '"') {
				quote = *r++;
				continue;
			} else if (*r == '\\' && r[1]) {
				r++;
			}
			*w++ = *r++;
		}
		if (quote)
			return -1;
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

static int helpish(char **argv, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-?") || !strcmp(argv[i], "--usage") ||
		    !strcmp(argv[i], "-V") || !strcmp(argv[i], "--version") || !strcmp(argv[i], "batch"))
			return 1;
	return 0;
}

static void first_line(const char *s, char *out, size_t cap)
{
	size_t n = strcspn(s, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Run one command with stdout and stderr captured, and in (len bytes) as
 * its standard input: never the caller's own fd 0. */
int run_captured(char **argv, int n, const char *in, size_t inlen,
                 char **out, size_t *outlen, char **err, size_t *errlen)
{
	FILE *saved_out = g.out, *saved_err = g.err, *mo, *me;
	int rc;

	mo = open_memstream(out, outlen);
	me = open_memstream(err, errlen);
	if (!mo || !me) {
		if (mo)
			fclose(mo);
		if (me)
			fclose(me);
		return EXIT_STORE;
	}
	g.out = mo;
	g.err = me;
	g.ctx[0] = '\0';
	g.err_word = NULL;
	g.err_msg[0] = '\0';
	g.in_mem = 1;
	g.in_buf = in ? in : "";
	g.in_len = in ? inlen : 0;
	g.in_pos = 0;
	rc = run_command(n, argv);
	batch_line_done();
	g.in_mem = 0;
	g.in_buf = NULL;
	fflush(mo);
	fflush(me);
	g.out = saved_out;
	g.err = saved_err;
	fclose(mo);
	fclose(me);
	return rc;
}

int cmd_batch(int argc, char **argv)
{
	char *line = NULL, *args[MAX_ARGS];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, ok = 0, failed = 0;
	int last_fail = EXIT_OK, json, quiet, at_set;
	int64_t at;
	const char *dir, *via_service, *rhost;

	CMD_PARSE(&argp, argc, argv, NULL);
	json = g.json;
	quiet = g.quiet;
	at_set = g.at_set;
	at = g.now;
	dir = g.dir;
	via_service = g.via_service;
	rhost = g.rhost;
	g.batch = 1;
	g.envelope = 1;   /* each line's object carries its error */
	while ((len = getline(&line, &cap, stdin)) > 0) {
		char *out = NULL, *err = NULL, first[512];
		size_t outlen = 0, errlen = 0;
		int n, rc;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		n = split(line, args, MAX_ARGS);
		if (n == 0)
			continue;
		/* every line starts from the batch's own global options */
		g.json = json;
		g.quiet = quiet;
		g.at_set = at_set;
		g.now = at_set ? at : (int64_t)time(NULL);
		g.dir = dir;
		g.via_service = via_service;
		g.rhost = rhost;
		g.err_word = NULL;
		g.err_msg[0] = '\0';
		if (n < 0) {
			rc = EXIT_USAGE;
			err = strdup("twofactl: batch: unclosed quote or too many words\n");
			set_error("usage", "unclosed quote or too many words");
		} else if (helpish(args, n)) {
			rc = EXIT_USAGE;
			err = strdup("twofactl: batch: --help, --version and batch are not available inside a batch\n");
			set_error("usage", "--help, --version and batch are not available inside a batch");
		} else {
			rc = run_captured(args, n, NULL, 0, &out, &outlen, &err, &errlen);
		}
		if (rc == EXIT_OK)
			ok++;
		else {
			failed++;
			last_fail = rc;
		}
		if (json) {
			json_object *o = json_object_new_object(), *res = json_object_new_array();
			char *save = NULL;

			json_object_object_add(o, "line", json_object_new_int64((int64_t)lineno));
			json_object_object_add(o, "exit", json_object_new_int(rc));
			for (char *l = out ? strtok_r(out, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
				json_object *j = json_tokener_parse(l);

				json_object_array_add(res, j ? j : json_object_new_string(l));
			}
			json_object_object_add(o, "output", res);
			if (!answered(rc)) {   /* as serve's answers: {code, message} */
				json_object *e = json_object_new_object();

				first_line(err && *err ? err : "", first, sizeof first);
				json_object_object_add(e, "code", json_object_new_string(g.err_word ? g.err_word : exit_word(rc)));
				json_object_object_add(e, "message", json_object_new_string(g.err_msg[0] ? g.err_msg :
				                       first[0] ? first : exit_word(rc)));
				json_object_object_add(o, "error", e);
			} else {
				json_object_object_add(o, "error", NULL);
			}
			emit_json(o);
		} else {
			first_line(rc == EXIT_OK ? (out ? out : "") : (err && *err ? err : (out ? out : "")),
			           first, sizeof first);
			fprintf(g.out, "%lu\t%d\t%s\n", lineno, rc, first);
		}
		if (out) {
			sodium_memzero(out, outlen);   /* may hold codes or keys */
			free(out);
		}
		free(err);
	}
	free(line);
	g.batch = 0;
	batch_store_release();
	if (!quiet && !json && out_isatty(g.err))
		fprintf(g.err, "batch: %lu ok, %lu failed\n", ok, failed);
	return last_fail;
}
