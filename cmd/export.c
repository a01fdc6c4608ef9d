/* SPDX-License-Identifier: ISC */
/* twofactl export | import */
#include "cmd/cmd.h"
#include "core/auth.h"
#include "core/b32.h"
#include "core/import.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- export ---- */

struct export_args {
	char **names;
	int nnames, secrets;
};

enum { OPT_SECRETS = 0xf00, OPT_FORMAT, OPT_USER };

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	(void)arg;
	switch (key) {
	case OPT_SECRETS:
		a->secrets = 1;
		break;
	case ARGP_KEY_ARG:
		a->names = &state->argv[state->next - 1];
		a->nnames = state->argc - state->next + 1;
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option export_options[] = {
	{ "include-secrets", OPT_SECRETS, NULL, 0, "Include the authenticator keys and password hashes "
	  "(then the output must be kept like the master key)", 0 },
	{ 0 }
};

static const struct argp export_argp = {
	export_options, export_parse, "[NAME...]",
	"Write accounts (all, or the NAMEs) and organisations as one JSON document "
	"(format twofactl-export, version 1) on standard output, for a migration or "
	"a readable backup. Without --include-secrets the authenticator keys are "
	"left out (such factors are not imported). Backup codes, remembered devices "
	"and pending codes are never exported: their hashes are keyed to this store.",
	common_children, NULL, NULL
};

struct exp {
	json_object *arr;
	int secrets;
};

static json_object *account_export(const struct account *a, int secrets)
{
	json_object *o = json_object_new_object(), *fs = json_object_new_array(), *wl = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(a->name));
	if (a->email[0])
		json_object_object_add(o, "email", json_object_new_string(a->email));
	if (a->phone[0])
		json_object_object_add(o, "phone", json_object_new_string(a->phone));
	if (a->org[0])
		json_object_object_add(o, "org", json_object_new_string(a->org));
	if (a->lang[0])
		json_object_object_add(o, "lang", json_object_new_string(a->lang));
	json_object_object_add(o, "service", json_object_new_boolean(a->service));
	if (a->twofa != SW_INHERIT)
		json_object_object_add(o, "2fa", json_object_new_string(switch_name(a->twofa)));
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	if (secrets && a->pwhash[0])
		json_object_object_add(o, "password", json_object_new_string(a->pwhash));
	for (unsigned i = 0; i < a->nf; i++) {
		const struct factor *f = &a->f[i];
		json_object *fo = json_object_new_object();

		json_object_object_add(fo, "type", json_object_new_string(factor_type_name(f->type)));
		json_object_object_add(fo, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
		if (f->label[0])
			json_object_object_add(fo, "label", json_object_new_string(f->label));
		json_object_object_add(fo, "created", json_object_new_int64(f->created));
		if (f->type == F_TOTP || f->type == F_HOTP) {
			json_object_object_add(fo, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
			json_object_object_add(fo, "digits", json_object_new_int64(f->digits));
			if (f->type == F_TOTP)
				json_object_object_add(fo, "period", json_object_new_int64(f->period));
			else
				json_object_object_add(fo, "counter", json_object_new_uint64(f->counter));
			if (f->has_step)
				json_object_object_add(fo, "last_step", json_object_new_uint64(f->last_step));
			if (f->window >= 0)
				json_object_object_add(fo, "window", json_object_new_int64(f->window));
			if (secrets) {
				char b32[2 * OTP_MAX_KEY];

				if (b32_encode(f->key, f->keylen, b32, sizeof b32) == CORE_OK)
					json_object_object_add(fo, "secret", json_object_new_string(b32));
				sodium_memzero(b32, sizeof b32);
			}
		}
		json_object_array_add(fs, fo);
	}
	json_object_object_add(o, "factors", fs);
	for (unsigned i = 0; i < a->nwl; i++) {
		json_object *e = json_object_new_object();
		char net[64];

		cidr_format(&a->wl[i].net, net);
		json_object_object_add(e, "net", json_object_new_string(net));
		json_object_object_add(e, "created", json_object_new_int64(a->wl[i].created));
		json_object_object_add(e, "expires", json_object_new_int64(a->wl[i].expires));
		if (a->wl[i].note[0])
			json_object_object_add(e, "note", json_object_new_string(a->wl[i].note));
		json_object_array_add(wl, e);
	}
	json_object_object_add(o, "whitelist", wl);
	return o;
}

static int export_one(void *ctx, const struct account *a)
{
	struct exp *e = ctx;

	json_object_array_add(e->arr, account_export(a, e->secrets));
	return 0;
}

static int export_org(void *ctx, const uint8_t *json, size_t len)
{
	struct org o;
	json_object *j;

	if (org_from_json((const char *)json, len, &o))
		return -2;   /* named by the walk */
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(o.name));
	json_object_object_add(j, "policy", json_object_new_string(policy_name(o.policy)));
	json_object_array_add(ctx, j);
	return 0;
}

static void wipe_secrets(json_object *accs)
{
	for (size_t i = 0; i < json_object_array_length(accs); i++) {
		json_object *fs = NULL;

		if (!json_object_object_get_ex(json_object_array_get_idx(accs, i), "factors", &fs))
			continue;
		for (size_t j = 0; j < json_object_array_length(fs); j++) {
			json_object *sec = NULL;

			if (json_object_object_get_ex(json_object_array_get_idx(fs, j), "secret", &sec))
				sodium_memzero((char *)json_object_get_string(sec), (size_t)json_object_get_string_len(sec));
		}
	}
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = { 0 };
	struct skipped k = { 0 };
	struct exp e = { 0 };
	struct store *s = NULL;
	json_object *root, *orgs;
	int ret = EXIT_OK, st;

	cmd_parse(&export_argp, argc, argv, &a);   /* before any allocation (batch, completion) */
	root = json_object_new_object();
	orgs = json_object_new_array();
	e.arr = json_object_new_array();
	e.secrets = a.secrets;
	if ((ret = open_store(&s)))
		goto out;
	if (a.secrets)
		fprintf(stderr, "twofactl: export: warning: the output holds authenticator keys: "
		        "keep it as safe as the master key, and delete it after use\n");
	if (a.nnames) {
		for (int i = 0; i < a.nnames && !ret; i++) {
			struct session ss;

			set_ctx("export %s", safe(a.names[i]));
			if (!(ret = sess_begin(&ss, a.names[i])))
				json_object_array_add(e.arr, account_export(ss.a, a.secrets));
			sess_end(&ss);
		}
	} else if ((st = store_scan(s, export_one, &e, skipped_record, &k)) ||
	           (st = store_scan_ns(s, NS_ORGS, export_org, orgs, skipped_record, &k))) {
		ret = fail_store(s, st);
	}
	if (!ret) {
		json_object_object_add(root, "format", json_object_new_string("twofactl-export"));
		json_object_object_add(root, "version", json_object_new_int(1));
		json_object_object_add(root, "exported", json_object_new_int64(g.now));
		json_object_object_add(root, "secrets", json_object_new_boolean(a.secrets));
		json_object_object_add(root, "orgs", json_object_get(orgs));
		json_object_object_add(root, "accounts", json_object_get(e.arr));
		if (g.json)   /* one line, with "schema", like every --json object */
			emit_json(json_object_get(root));
		else
			puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		ret = skipped_end(&k, audit(s, "export", NULL, "ok", NULL, a.secrets ? "with secrets" : NULL));
	}
out:
	wipe_secrets(e.arr);
	json_object_put(root);
	json_object_put(e.arr);
	json_object_put(orgs);
	close_store(s);
	return ret;
}

/* ---- import ---- */

struct import_args {
	const char *file, *user;
	enum import_format format;
};

static error_t import_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct import_args *a = state->input;

	switch (key) {
	case OPT_FORMAT:
		if (import_format_parse(arg, &a->format))
			USAGE(state, "--format: '%s' is not twofactl, usersfile, "
			             "google-authenticator or uri", safe(arg));
		break;
	case OPT_USER:
		if (!account_name_valid(arg))
			USAGE(state, "--user: invalid account name '%s'", safe(arg));
		a->user = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->file)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->file = arg;
		break;
	case ARGP_KEY_END:
		if (!a->file)
			USAGE(state, "missing FILE ('-' for standard input)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option import_options[] = {
	{ "format", OPT_FORMAT, "FORMAT", 0, "twofactl, usersfile (pam_oath), google-authenticator, "
	  "or uri (otpauth:// lines); detected from the content when not given", 0 },
	{ "user", OPT_USER, "NAME", 0, "The account (a google-authenticator file names none; for URIs "
	  "it replaces the name in the label)", 0 },
	{ 0 }
};

static const struct argp import_argp = {
	import_options, import_parse_opt, "FILE",
	"Import accounts and their authenticators from FILE ('-': standard input): a "
	"twofactl export (made with --include-secrets), a pam_oath usersfile, a "
	"google-authenticator-libpam state file (~/.google_authenticator: its scratch "
	"codes become backup codes, RATE_LIMIT, WINDOW_SIZE and DISALLOW_REUSE carry "
	"over), or otpauth:// URIs, one per line. Users keep the codes their apps "
	"already show. A new name makes a new account; an existing one gets the "
	"factors added (a twofactl export skips existing accounts).", common_children, NULL, NULL
};

struct imp {
	enum import_format format;
	unsigned added, updated, skipped, pins, done;
	int progress;
	int failed;     /* the exit code import_one stopped with (its message printed) */
};

static int import_one(void *ctx, struct import_item *it)
{
	struct imp *im = ctx;
	struct session ss = { 0 };
	char hashctx[80];
	int ret, st, exists;

	if ((ret = open_store(&ss.s)))
		return ret;
	ss.name = it->a->name;
	ss.a = account_new();
	if (!ss.a) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	if ((st = store_ref(ss.s, it->a->name, &ss.ref)) || (st = store_lock(ss.s, &ss.ref))) {
		ret = fail_store(ss.s, st);
		goto out;
	}
	exists = store_exists(ss.s, &ss.ref);
	if (exists && im->format == IMP_TWOFACTL) {
		im->skipped++;
		fprintf(stderr, "twofactl: import: '%s' exists already: skipped\n", it->a->name);
		goto out;
	}
	if (exists) {
		if ((st = store_load(ss.s, &ss.ref, it->a->name, ss.a))) {
			ret = fail_store(ss.s, st);
			goto out;
		}
		for (unsigned i = 0; i < it->a->nf; i++) {
			const struct factor *dup = account_otp_key_factor(ss.a, &it->a->f[i]);
			struct factor *f;
			uint32_t id;

			if (dup) {
				ret = fail(EXIT_USAGE, "'%s' has that %s key already (factor %u): one key, one replay "
				           "state", it->a->name, factor_type_name(it->a->f[i].type), dup->id);
				goto out;
			}
			f = account_factor_add(ss.a, g.now);
			if (!f) {
				ret = fail(EXIT_USAGE, "'%s' has %d factors already", it->a->name, ACCT_MAX_FACTORS);
				goto out;
			}
			id = f->id;
			*f = it->a->f[i];
			f->id = id;
		}
		if (it->a->rate_n) {
			ss.a->rate_n = it->a->rate_n;
			ss.a->rate_secs = it->a->rate_secs;
		}
		im->updated++;
	} else {
		for (unsigned i = 0; i < it->a->nf; i++)
			for (unsigned j = 0; j < i; j++)
				if (factor_same_otp_key(&it->a->f[i], &it->a->f[j])) {
					ret = fail(EXIT_USAGE, "'%s' would get the same %s key twice: one key, one "
					           "replay state", it->a->name, factor_type_name(it->a->f[i].type));
					goto out;
				}
		memcpy(ss.a, it->a, sizeof *ss.a);
		if (ss.a->org[0]) {
			struct acct_ref oref = { 0 };
			struct org o;

			if (org_read(ss.s, ss.a->org, &oref, &o) == EXIT_NOENT)
				ss.a->org[0] = '\0';   /* the organisation does not exist here */
		}
		im->added++;
	}
	snprintf(hashctx, sizeof hashctx, "%s", acct_ctx(&ss));
	for (unsigned i = 0; i < it->nscratch; i++)
		if (auth_store_backup(ss.a, it->scratch[i], ss.a->code_key, hashctx)) {
			ret = fail(EXIT_STORE, "cannot store the scratch codes");
			goto out;
		}
	if (it->nscratch && !ss.a->backup_issued)
		ss.a->backup_issued = g.now;
	im->pins += (unsigned)it->skipped_pin;
	if ((ret = sess_save(&ss)) ||
	    (ret = audit(ss.s, "import", it->a->name, exists ? "updated" : "added", NULL, import_format_name(im->format))))
		goto out;
	if (im->progress && ++im->done % 100 == 0)
		fprintf(stderr, "\rimport: %u", im->done);
out:
	sess_end(&ss);
	if (ret)
		im->failed = ret;
	return ret;
}

int cmd_import(int argc, char **argv)
{
	struct import_args a = { 0 };
	struct imp im = { 0 };
	struct import_item it = { 0 };
	char *text;
	unsigned bad = 0;
	int ret, r;

	cmd_parse(&import_argp, argc, argv, &a);
	set_ctx("import %s", safe(a.file));
	text = read_input(a.file, 64u << 20);
	if (!text)
		return fail(errno == ENOENT ? EXIT_NOENT : EXIT_USAGE, "cannot read '%s': %s", safe(a.file), strerror(errno));
	im.format = a.format ? a.format : import_detect(text);
	if (im.format == IMP_UNKNOWN) {
		ret = fail(EXIT_USAGE, "cannot tell the format: give --format");
		goto out;
	}
	if (im.format == IMP_GA && !a.user) {
		ret = fail(EXIT_USAGE, "a google-authenticator file names no user: give --user NAME");
		goto out;
	}
	{
		struct store *probe;

		if ((ret = open_store(&probe)))   /* a missing store fails before anything is read */
			goto out;
		close_store(probe);
	}
	im.progress = show_progress();
	it.a = account_new();
	if (!it.a) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	r = import_parse(im.format, text, a.user, g.now, &it, import_one, &im, &bad);
	if (im.progress)
		fprintf(stderr, "\r\033[K");
	if (im.failed) {   /* import_one said why; its exit codes overlap the parser's errors */
		ret = im.failed;
		goto summary;
	}
	if (r == CORE_EFORMAT || r == CORE_EINVAL || r == CORE_ERANGE) {
		if (bad)
			ret = fail(EXIT_USAGE, "%s %u: not a valid %s entry%s",
			           im.format == IMP_TWOFACTL ? "account" : "line", bad, import_format_name(im.format),
			           r == CORE_EINVAL ? " (or not a valid account name)" : "");
		else
			ret = fail(EXIT_USAGE, "not a valid %s file", import_format_name(im.format));
		goto summary;
	}
	ret = r;   /* an exit code from import_one, or 0 */
summary:
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "format", json_object_new_string(import_format_name(im.format)));
		json_object_object_add(o, "added", json_object_new_int64(im.added));
		json_object_object_add(o, "updated", json_object_new_int64(im.updated));
		json_object_object_add(o, "skipped", json_object_new_int64(im.skipped));
		emit_json(o);
	} else if (!g.quiet) {
		printf("imported from %s: %u new account%s, %u updated, %u skipped\n", import_format_name(im.format),
		       im.added, im.added == 1 ? "" : "s", im.updated, im.skipped);
		if (im.pins)
			printf("note: %u usersfile PIN%s not carried over (twofactl checks codes, not PINs)\n",
			       im.pins, im.pins == 1 ? " was" : "s were");
	}
out:
	if (it.a)
		account_free(it.a);
	sodium_memzero(&it, sizeof it);
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	return ret;
}
