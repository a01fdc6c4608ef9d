/* SPDX-License-Identifier: ISC */
/* twofactl __complete WORD... CURRENT: what may stand at CURRENT, for the
 * bash, zsh and fish completions. Everything comes from the binary's own
 * tables: the command table, each verb table, each command's argp options
 * and its argument line ("NAME CIDR"), so the completions cannot drift from
 * the program. One candidate per line, "WORD<TAB>description"; "@files" or
 * "@dirs" asks the shell for its own file or directory completion. Nothing
 * is run: the command is entered only until its argp parser is known. */
#include "cmd/cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_MAX 64

struct comp {
	const char *cur;             /* the word being completed */
	const char *cmd;             /* the command: "send", "webauthn" */
	const char *dir;             /* -d DIR on the line */
	int org_flag;                /* --org given: NAME is an organisation */
	int new_name;                /* user add NAME: a name that does not exist yet */
};

static void cand(const struct comp *c, const char *word, const char *desc)
{
	if (strncmp(word, c->cur, strlen(c->cur)))
		return;
	if (desc && *desc) {
		size_t n = strcspn(desc, "\n;(");   /* the first phrase of the help */

		while (n && desc[n - 1] == ' ')
			n--;
		fprintf(g.out, "%s\t%.*s\n", word, (int)n, desc);
	} else {
		fprintf(g.out, "%s\n", word);
	}
}

/* ---- option tables ---- */

struct opt {
	const char *name;            /* long name, or NULL */
	int key;                     /* short option when printable */
	int arg;                     /* takes a value (not an optional one) */
	const char *doc;
};

static size_t collect(const struct argp *argp, struct opt *out, size_t n, size_t max)
{
	const struct argp_option *prev = NULL;

	if (!argp)
		return n;
	for (const struct argp_option *o = argp->options; o && (o->name || o->key || o->doc); o++) {
		const struct argp_option *base = (o->flags & OPTION_ALIAS) && prev ? prev : o;

		if (!(o->flags & OPTION_ALIAS))
			prev = o;
		if ((o->flags & (OPTION_HIDDEN | OPTION_DOC)) || (!o->name && !o->key) || n >= max)
			continue;
		out[n].name = o->name;
		out[n].key = o->key > 0 && o->key < 128 && isalnum(o->key) ? o->key : 0;
		out[n].arg = base->arg && !(base->flags & OPTION_ARG_OPTIONAL);
		out[n].doc = base->doc;
		n++;
	}
	for (const struct argp_child *ch = argp->children; ch && ch->argp; ch++)
		n = collect(ch->argp, out, n, max);
	return n;
}

/* argp's own options of every command */
static const struct opt argp_own[] = {
	{ "help", '?', 0, "Give this help list" },
	{ "usage", 0, 0, "Give a short usage message" },
	{ "version", 'V', 0, "Print program version" },
};

static const struct opt *find_long(const struct opt *v, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name && strlen(v[i].name) == len && !strncmp(v[i].name, name, len))
			return &v[i];
	return NULL;
}

static const struct opt *find_short(const struct opt *v, size_t n, int key)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].key == key)
			return &v[i];
	return NULL;
}

/* ---- what goes where ---- */

/* Each account or organisation the library lists: its name. */
static int offer_name(void *ctx, struct json_object *o)
{
	json_object *v;

	if (json_object_object_get_ex(o, "name", &v))
		cand(ctx, json_object_get_string(v), NULL);
	return 0;
}

static void names(const struct comp *c, int orgs)
{
	struct tf_sink sink = { offer_name, NULL, (void *)c };
	tf *h = NULL;
	int st;

	g.dir = c->dir;
	g.quiet = 1;
	if (cli_open(&h))
		return;   /* no store, or not ours: no names (the message goes to stderr) */
	if (orgs)
		st = tf_org_list(h, &sink);
	else
		st = tf_user_list(h, &(struct tf_user_list_args){ 0 }, &sink);
	(void)st;   /* what was listed before a bad file is still worth offering */
	cli_close(h);
}

static void words(const struct comp *c, const char *list)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%s", list);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		cand(c, w, NULL);
}

/* The values of an option, by its long name. */
static void option_value(const struct comp *c, const struct opt *o)
{
	static const struct { const char *name, *values; } fixed[] = {
		{ "qr", "ansi utf8 png svg none" }, { "method", "totp hotp email sms" },
		{ "algo", "sha1 sha256 sha512" }, { "digits", "6 8" },
		{ "policy", "required optional off" }, { "via", "email sms" },
		{ "purpose", "login enroll confirm" },
		{ "format", "twofactl usersfile google-authenticator uri" },
		{ "status", "pending approved denied" }, { "password-login", "on off" },
		{ "email-reset", "on off" }, { "must-enrol", "on off" },
		{ "2fa", "required optional off inherit" },
	};
	const char *n = o->name ? o->name : "";

	if (!strcmp(n, "purpose") && c->cmd && !strcmp(c->cmd, "webauthn")) {
		words(c, "register login");
		return;
	}
	if (!strcmp(n, "method") && c->cmd && !strcmp(c->cmd, "user")) {   /* user list --method */
		words(c, "totp hotp email sms webauthn");
		return;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (!strcmp(n, fixed[i].name)) {
			words(c, fixed[i].values);
			return;
		}
	if (!strcmp(n, "dir"))
		fprintf(g.out, "@dirs\n");
	else if (!strcmp(n, "output") || !strcmp(n, "file") || !strcmp(n, "assertion") ||
	         !strcmp(n, "key-file") || !strcmp(n, "passphrase-file"))
		fprintf(g.out, "@files\n");
	else if (!strcmp(n, "org"))
		names(c, 1);
	else if (!strcmp(n, "user"))
		names(c, 0);
}

/* The kind of the pos'th positional argument (0-based) from the argp's
 * argument line: "NAME CIDR", "NAME [CODE]", "[NAME...]", "ORG --policy
 * POLICY", "NAME ID|--all", "[verify]". */
static void positional(const struct comp *c, const struct argp *argp, int pos)
{
	char buf[160], kind[32] = "", spread[32] = "";
	int i = 0;

	snprintf(buf, sizeof buf, "%s", argp->args_doc ? argp->args_doc : "");
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (w[0] == '-' || (w[0] == '[' && w[1] == '-')) {   /* an option and its value */
			if (!strchr(w, ']'))
				(void)strtok_r(NULL, " ", &save);
			continue;
		}
		w += strspn(w, "[");
		if (i++ == pos) {
			snprintf(kind, sizeof kind, "%.*s", (int)strcspn(w, "]|."), w);
			break;
		}
		if (strstr(w, "..."))   /* [NAME...]: every further argument */
			snprintf(spread, sizeof spread, "%.*s", (int)strcspn(w, "]|."), w);
	}
	if (!kind[0])
		memcpy(kind, spread, sizeof kind);
	if ((!strcmp(kind, "NAME") && !c->new_name) || !strcmp(kind, "OLD"))
		names(c, c->org_flag);
	else if (!strcmp(kind, "ORG"))
		names(c, 1);
	else if (!strcmp(kind, "FILE"))
		fprintf(g.out, "@files\n");
	else if (!strcmp(kind, "KEY"))
		for (size_t k = 0; config_key_name(k); k++)
			cand(c, config_key_name(k), NULL);
	else if (kind[0] && islower((unsigned char)kind[0]))
		cand(c, kind, NULL);
}

static void options(const struct comp *c, const struct opt *v, size_t n)
{
	char word[64];

	for (size_t i = 0; i < n; i++) {
		if (v[i].name) {
			snprintf(word, sizeof word, "--%s", v[i].name);
			cand(c, word, v[i].doc);
		}
		if (v[i].key && c->cur[0] == '-' && c->cur[1] != '-') {
			snprintf(word, sizeof word, "-%c", v[i].key);
			cand(c, word, v[i].doc);
		}
	}
}

/* After the command (and verb): options, their values, positionals. */
static void arguments(struct comp *c, const struct argp *argp, char **w, int n)
{
	struct opt v[96];
	size_t nv = collect(argp, v, 0, sizeof v / sizeof v[0] - 3);
	const struct opt *pending = NULL;
	int pos = 0, dashdash = 0;

	memcpy(v + nv, argp_own, sizeof argp_own);
	nv += 3;
	for (int i = 0; i < n; i++) {
		const char *a = w[i];

		if (pending) {   /* the value of the option before */
			if (pending->name && !strcmp(pending->name, "dir"))
				c->dir = a;
			pending = NULL;
			continue;
		}
		if (dashdash || a[0] != '-' || !a[1]) {
			pos++;
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = 1;
			continue;
		}
		if (a[1] == '-') {
			size_t len = strcspn(a + 2, "=");
			const struct opt *o = find_long(v, nv, a + 2, len);

			if (o && o->name && !strcmp(o->name, "org") && !o->arg)
				c->org_flag = 1;
			if (o && o->arg && !a[2 + len])
				pending = o;
			else if (o && o->name && !strcmp(o->name, "dir") && a[2 + len])
				c->dir = a + 3 + len;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {   /* -q, -qd DIR, -dDIR */
			const struct opt *o = find_short(v, nv, *p);

			if (o && o->arg) {
				if (p[1] && o->key == 'd')
					c->dir = p + 1;
				else if (!p[1])
					pending = o;
				break;
			}
		}
	}
	if (pending)
		option_value(c, pending);
	else if (c->cur[0] == '-' && !dashdash)
		options(c, v, nv);
	else
		positional(c, argp, pos);
}

int cmd_complete(int argc, char **argv)
{
	char *w[WORDS_MAX + 1];
	struct comp c = { "", NULL, NULL, 0, 0 };
	struct opt global[24];
	size_t nglobal;
	int n = argc - 1, r;
	int i = 0;

	if (n < 1 || n > WORDS_MAX)
		return EXIT_OK;
	c.cur = argv[n];
	for (int k = 0; k < n; k++)
		w[k] = argv[1 + k];
	/* global options before the command, by the table every command shares */
	nglobal = collect(&common_argp, global, 0, sizeof global / sizeof global[0] - 3);
	memcpy(global + nglobal, argp_own, sizeof argp_own);
	nglobal += 3;
	while (i < n - 1 && w[i][0] == '-' && w[i][1]) {
		const struct opt *o = NULL;
		const char *val = NULL;

		if (w[i][1] == '-') {
			size_t len = strcspn(w[i] + 2, "=");

			o = find_long(global, nglobal, w[i] + 2, len);
			if (o && o->arg && w[i][2 + len])
				val = w[i] + 3 + len;
		} else {
			o = find_short(global, nglobal, w[i][1]);
			if (o && o->arg && w[i][2])
				val = w[i] + 2;
		}
		if (o && o->arg && !val) {
			if (i + 1 == n - 1) {   /* completing its value */
				option_value(&c, o);
				return EXIT_OK;
			}
			val = w[++i];
		}
		if (o && o->key == 'd' && val)
			c.dir = val;
		i++;
	}
	if (i >= n - 1) {   /* the command itself */
		if (c.cur[0] == '-') {
			options(&c, global, nglobal);
			return EXIT_OK;
		}
		for (size_t k = 0; command_name(k, NULL); k++) {
			const char *summary;
			const char *name = command_name(k, &summary);

			cand(&c, name, summary);
		}
		return EXIT_OK;
	}
	/* run_command renames w[i] and w[i + 1]: look at them first */
	c.new_name = i + 1 < n - 1 && !strcmp(w[i], "user") && !strcmp(w[i + 1], "add");
	c.cmd = w[i];   /* the caller's string: run_command replaces the pointer in w, not the text */
	/* enter the command until it names its parser (or its verbs) */
	g.complete = 1;
	g.complete_argp = NULL;
	g.complete_verbs = NULL;
	g.complete_depth = 0;
	w[n - 1] = NULL;
	(void)run_command(n - 1 - i, w + i);   /* returns at its parser (or its verbs) */
	g.complete = 0;
	r = g.complete_argp ? 1 : g.complete_verbs ? 2 : 0;
	if (r == 2) {   /* a noun: its verbs, or options when a dash is typed */
		if (c.cur[0] == '-') {
			options(&c, global, nglobal);
			return EXIT_OK;
		}
		for (const struct verb *v = g.complete_verbs; v && v->name; v++)
			cand(&c, v->name, v->summary);
		return EXIT_OK;
	}
	if (r == 1 && g.complete_argp) {
		int first = i + 1 + g.complete_depth;   /* after the command and its verb */


		arguments(&c, g.complete_argp, w + first, n - 1 - first);
	}
	return EXIT_OK;
}
