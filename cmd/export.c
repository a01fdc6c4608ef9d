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

enum { OPT_SECRETS = 0xf00, OPT_FORMAT, OPT_USER, OPT_RESUME };

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
	struct store *s;
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
	json_object *o;

	if (a->moved_to[0]) {   /* a rename cut short: the account has its new name */
		struct acct_ref nref;

		if (!store_ref(e->s, a->moved_to, &nref) && store_exists(e->s, &nref))
			return 0;   /* its file under the new name is exported */
		o = account_export(a, e->secrets);
		json_object_object_add(o, "name", json_object_new_string(a->moved_to));
	} else {
		o = account_export(a, e->secrets);
	}
	json_object_array_add(e->arr, o);
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
	e.s = s;
	if (a.secrets)
		fprintf(stderr, "twofactl: export: warning: the output holds authenticator keys: "
		        "keep it as safe as the master key, and delete it after use\n");
	if (a.nnames) {
		for (int i = 0; i < a.nnames && !ret; i++) {
			struct tf_sess ss;

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
		ret = skipped_end(&k, tf_audit(g.h, "export", NULL, "ok", NULL, a.secrets ? "with secrets" : NULL));
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
	int resume;
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
	case OPT_RESUME:
		a->resume = 1;
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
	{ "resume", OPT_RESUME, NULL, 0, "Finish an import a crash cut short: an entry whose every key "
	  "its account has already is skipped instead of refused", 0 },
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
	"factors added (a twofactl export skips existing accounts). All or nothing: "
	"every entry is checked before any is written, and a key an account has "
	"already (or one key twice) is refused; after a crash, the same import with "
	"--resume completes it.",
	common_children, NULL, NULL
};

/* ---- all or nothing ----
 * The input is parsed twice under the whole-store lock: a first pass
 * checks every item against the store and against the items before it
 * (each record must read back, limits hold, an organisation exists) and
 * writes nothing; only when all of it is good does the second pass write.
 * An authenticator key is never added to an account that has it already
 * (one key, one replay state), nor twice by one input: such an input is
 * refused. A crash during the writes leaves the accounts written so far;
 * the same import again with --resume completes it: an entry whose every
 * key its account has already (imported before the crash) is skipped, and
 * an export's existing accounts are skipped anyway. */

struct seen {   /* the names met in the first pass, with what they would get */
	char name[ACCT_NAME_MAX + 1];
	unsigned nf, nbackup;
	int exists;
};

/* A set of 16-byte digests (open addressing; all zero is empty). */
struct keyset {
	uint8_t (*v)[16];
	size_t n, cap;
	uint8_t salt[crypto_generichash_KEYBYTES];
};

/* 1 if (name, f's key) was in the set, 0 if it is now, -1 out of memory. */
static int keyset_add(struct keyset *ks, const char *name, const struct factor *f)
{
	uint8_t d[16];
	size_t i;

	if (ks->n * 2 >= ks->cap) {
		size_t nc = ks->cap ? 2 * ks->cap : 256;
		uint8_t (*nv)[16] = calloc(nc, sizeof *nv);

		if (!nv)
			return -1;
		if (!ks->cap)
			randombytes_buf(ks->salt, sizeof ks->salt);
		for (size_t j = 0; j < ks->cap; j++) {
			if (sodium_is_zero(ks->v[j], 16))
				continue;
			for (i = (size_t)ks->v[j][0] << 8 | ks->v[j][1]; !sodium_is_zero(nv[i & (nc - 1)], 16); i++)
				;
			memcpy(nv[i & (nc - 1)], ks->v[j], 16);
		}
		free(ks->v);
		ks->v = nv;
		ks->cap = nc;
	}
	{
		crypto_generichash_state st;

		crypto_generichash_init(&st, ks->salt, sizeof ks->salt, sizeof d);
		crypto_generichash_update(&st, (const uint8_t *)name, strlen(name) + 1);
		crypto_generichash_update(&st, f->key, f->keylen);
		crypto_generichash_final(&st, d, sizeof d);
	}
	for (i = (size_t)d[0] << 8 | d[1];; i++) {
		uint8_t *e = ks->v[i & (ks->cap - 1)];

		if (sodium_is_zero(e, 16)) {
			memcpy(e, d, 16);
			ks->n++;
			return 0;
		}
		if (!memcmp(e, d, 16))
			return 1;
	}
}

struct imp {
	struct store *s;
	enum import_format format;
	int check;                   /* first pass: check, write nothing */
	int resume;                  /* --resume: entries imported before are skipped */
	struct keyset keys;          /* first pass: (account, key) pairs met so far */
	int err;                     /* the exit code an item stopped the parse with */
	unsigned added, updated, skipped, dupfactors, pins, done, items;
	int progress;
	struct seen *seen;
	size_t nseen, capseen;
	struct account *cur;         /* scratch: the record an item would make */
};

static struct seen *seen_find(struct imp *im, const char *name, int add)
{
	/* a sorted array: an import's names are looked up once per item */
	size_t lo = 0, hi = im->nseen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(im->seen[mid].name, name);

		if (!c)
			return &im->seen[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!add)
		return NULL;
	if (im->nseen == im->capseen) {
		size_t nc = im->capseen ? 2 * im->capseen : 64;
		struct seen *nv = realloc(im->seen, nc * sizeof *nv);

		if (!nv)
			return NULL;
		im->seen = nv;
		im->capseen = nc;
	}
	memmove(&im->seen[lo + 1], &im->seen[lo], (im->nseen - lo) * sizeof *im->seen);
	memset(&im->seen[lo], 0, sizeof *im->seen);
	memcpy(im->seen[lo].name, name, strlen(name) + 1);
	im->nseen++;
	return &im->seen[lo];
}

/* The item merged into the account a (loaded): new factors (not those it
 * has), the rate limit; *fresh counts the factors added. */
static int merge_item(struct account *a, const struct import_item *it, unsigned *fresh)
{
	*fresh = 0;
	for (unsigned i = 0; i < it->a->nf; i++) {
		struct factor *f;
		uint32_t id;

		if (account_otp_key_factor(a, &it->a->f[i]))
			continue;   /* (only with --resume: refused otherwise) */
		if (!(f = account_factor_add(a, g.now)))
			return fail(EXIT_USAGE, "'%s' would have more than %d factors", it->a->name, ACCT_MAX_FACTORS);
		id = f->id;
		*f = it->a->f[i];
		f->id = id;
		(*fresh)++;
	}
	if (it->a->rate_n && (*fresh || !it->a->nf)) {
		a->rate_n = it->a->rate_n;
		a->rate_secs = it->a->rate_secs;
	}
	return EXIT_OK;
}

/* EXIT_OK or EXIT_NOENT, quietly: an export's organisation that is not
 * here is dropped from the account, not an error. */
static int org_exists(struct store *s, const char *org)
{
	struct acct_ref oref;

	if (store_ref_ns(s, NS_ORGS, org, &oref))
		return EXIT_NOENT;
	return store_exists(s, &oref) ? EXIT_OK : EXIT_NOENT;
}

/* An entry whose keys its account has: refused, or with --resume (all of
 * them there: imported before a crash) skipped. 1 skip, 0 go on, or an
 * exit code. */
static int already(const struct imp *im, const struct account *a, const struct import_item *it)
{
	const struct factor *dup = NULL, *first = NULL;
	unsigned have = 0;

	for (unsigned i = 0; i < it->a->nf; i++)
		if ((dup = account_otp_key_factor(a, &it->a->f[i]))) {
			have++;
			if (!first)
				first = &it->a->f[i];
		}
	if (!have)
		return 0;
	if (im->resume && have == it->a->nf)
		return 1;
	dup = account_otp_key_factor(a, first);
	return fail(EXIT_USAGE, "'%s' has that %s key already (factor %u): one key, one replay state",
	            it->a->name, factor_type_name(first->type), dup->id);
}

/* First pass: would this item be written, and would what is written read
 * back? Writes nothing. */
static int check_one(struct imp *im, struct import_item *it)
{
	struct seen *sn = seen_find(im, it->a->name, 0);
	int first = !sn, st, ret;

	if (record_check(it->a) != CORE_OK)
		return fail(EXIT_USAGE, "'%s': a time or number is out of the range the record format holds: "
		            "nothing was imported", it->a->name);
	if (first && !(sn = seen_find(im, it->a->name, 1)))
		return fail(EXIT_STORE, "out of memory");
	if (first) {
		struct acct_ref ref;

		if ((st = store_ref(im->s, it->a->name, &ref)))
			return fail_store(im->s, st);
		sn->exists = store_exists(im->s, &ref);
	}
	if (im->format == IMP_TWOFACTL && (sn->exists || !first))
		return EXIT_OK;   /* an existing name, or one met before, is skipped */
	if (sn->exists) {   /* factors are added to it: never a key it has */
		struct acct_ref ref;

		if ((st = store_ref(im->s, it->a->name, &ref)) || (st = store_load(im->s, &ref, it->a->name, im->cur)))
			return fail_store(im->s, st);
		if (first) {
			sn->nf = im->cur->nf;
			sn->nbackup = im->cur->nbackup;
		}
		ret = already(im, im->cur, it);
		sodium_memzero(im->cur, sizeof *im->cur);
		if (ret == 1)
			return EXIT_OK;   /* imported before: skipped */
		if (ret)
			return ret;
	}
	if (im->format == IMP_TWOFACTL && it->a->org[0] && (ret = org_exists(im->s, it->a->org)) &&
	    ret != EXIT_NOENT)
		return ret;
	for (unsigned i = 0; i < it->a->nf; i++) {   /* nor one key twice from this input */
		int r = it->a->f[i].type == F_TOTP || it->a->f[i].type == F_HOTP ?
		        keyset_add(&im->keys, it->a->name, &it->a->f[i]) : 0;

		if (r < 0)
			return fail(EXIT_STORE, "out of memory");
		if (r)
			return fail(EXIT_USAGE, "'%s' would get the same %s key twice: one key, one replay state",
			            it->a->name, factor_type_name(it->a->f[i].type));
	}
	if (sn->nf + it->a->nf > ACCT_MAX_FACTORS)
		return fail(EXIT_USAGE, "'%s' would have more than %d factors: nothing was imported",
		            it->a->name, ACCT_MAX_FACTORS);
	if (sn->nbackup + it->nscratch > ACCT_MAX_BACKUP)
		return fail(EXIT_USAGE, "'%s' would have more than %d backup codes: nothing was imported",
		            it->a->name, ACCT_MAX_BACKUP);
	sn->nf += it->a->nf;
	sn->nbackup += it->nscratch;
	return EXIT_OK;
}

/* Second pass: write it. */
static int write_one(struct imp *im, struct import_item *it)
{
	struct tf_sess ss = { .s = im->s, .name = it->a->name, .a = im->cur };
	char hashctx[80];
	unsigned fresh = 0;
	int ret, st, exists;

	if ((st = store_ref(ss.s, it->a->name, &ss.ref)) || (st = store_lock(ss.s, &ss.ref)))
		return fail_store(ss.s, st);
	exists = store_exists(ss.s, &ss.ref);
	if (exists && im->format == IMP_TWOFACTL) {
		im->skipped++;
		fprintf(stderr, "twofactl: import: '%s' exists already: skipped\n", it->a->name);
		ret = EXIT_OK;
		goto out;
	}
	if (exists) {
		if ((st = store_load(ss.s, &ss.ref, it->a->name, ss.a))) {
			ret = fail_store(ss.s, st);
			goto out;
		}
		if ((ret = already(im, ss.a, it)) == 1) {   /* imported before the crash */
			im->skipped++;
			im->dupfactors += it->a->nf;
			ret = EXIT_OK;
			goto out;
		}
		if (ret || (ret = merge_item(ss.a, it, &fresh)))
			goto out;
		im->updated++;
	} else {
		memcpy(ss.a, it->a, sizeof *ss.a);
		if (ss.a->org[0] && org_exists(ss.s, ss.a->org) == EXIT_NOENT)
			ss.a->org[0] = '\0';   /* the organisation does not exist here */
		im->added++;
	}
	snprintf(hashctx, sizeof hashctx, "%s", tf_acct_ctx(&ss));
	for (unsigned i = 0; i < it->nscratch; i++)
		if (auth_store_backup(ss.a, it->scratch[i], ss.a->code_key, hashctx)) {
			ret = fail(EXIT_STORE, "cannot store the scratch codes");
			goto out;
		}
	if (it->nscratch && !ss.a->backup_issued)
		ss.a->backup_issued = g.now;
	im->pins += (unsigned)it->skipped_pin;
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "import", it->a->name, exists ? "updated" : "added", NULL, import_format_name(im->format))))
		goto out;
	if (im->progress && ++im->done % 100 == 0)
		fprintf(stderr, "\rimport: %u", im->done);
out:
	store_unlock(ss.s, &ss.ref);
	sodium_memzero(ss.a, sizeof *ss.a);
	return ret;
}

/* The parser returns what this returns: an exit code would be taken for
 * one of its own codes, so it is kept in im->err and -1 stops the parse. */
static int import_one(void *ctx, struct import_item *it)
{
	struct imp *im = ctx;

	im->items++;
	im->err = im->check ? check_one(im, it) : write_one(im, it);
	return im->err ? -1 : 0;
}

static int parse_failed(const struct imp *im, int r, unsigned bad)
{
	if (!bad)
		return fail(EXIT_USAGE, "not a valid %s file", import_format_name(im->format));
	if (r == CORE_ERANGE)
		return fail(EXIT_USAGE, "%s %u: a time or number out of the range the record format holds; "
		            "nothing was imported", im->format == IMP_TWOFACTL ? "account" : "line", bad);
	return fail(EXIT_USAGE, "%s %u: not a valid %s entry%s", im->format == IMP_TWOFACTL ? "account" : "line",
	            bad, import_format_name(im->format), r == CORE_EINVAL ? " (or not a valid account name)" : "");
}

int cmd_import(int argc, char **argv)
{
	struct import_args a = { 0 };
	struct imp im = { 0 };
	struct import_item it = { 0 };
	char *text;
	unsigned bad = 0;
	int ret, r, st, locked = 0;

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
	if ((ret = open_store(&im.s)))   /* a missing store fails before anything is read */
		goto out;
	im.resume = a.resume;
	im.progress = show_progress();
	it.a = account_new();
	im.cur = account_new();
	if (!it.a || !im.cur) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	/* the whole store, for both passes: what the first pass checked is
	 * still so when the second writes (7 if a rekey ran while we waited) */
	if ((st = store_lock_all(im.s))) {
		ret = fail_store(im.s, st);
		goto out;
	}
	locked = 1;
	im.check = 1;
	r = import_parse(im.format, text, a.user, g.now, &it, import_one, &im, &bad);
	if (im.err) {   /* check_one's message is out */
		ret = im.err;
		goto out;
	}
	if (r) {
		ret = r == CORE_ENOMEM ? fail(EXIT_STORE, "out of memory") : parse_failed(&im, r, bad);
		goto out;
	}
	im.check = 0;
	im.items = 0;
	r = import_parse(im.format, text, a.user, g.now, &it, import_one, &im, &bad);
	if (im.progress)
		fprintf(stderr, "\r\033[K");
	if (r) {   /* a write failed (I/O): what was written stays; a re-run completes it */
		ret = im.err ? im.err : EXIT_STORE;
		fail(ret, "stopped after %u of the accounts: a re-run imports the rest "
		     "(what is there already is skipped)", im.added + im.updated + im.skipped);
		goto summary;
	}
	ret = EXIT_OK;
summary:
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "format", json_object_new_string(import_format_name(im.format)));
		json_object_object_add(o, "added", json_object_new_int64(im.added));
		json_object_object_add(o, "updated", json_object_new_int64(im.updated));
		json_object_object_add(o, "skipped", json_object_new_int64(im.skipped));
		json_object_object_add(o, "duplicate_factors", json_object_new_int64(im.dupfactors));
		emit_json(o);
	} else if (!g.quiet) {
		printf("imported from %s: %u new account%s, %u updated, %u skipped\n", import_format_name(im.format),
		       im.added, im.added == 1 ? "" : "s", im.updated, im.skipped);
		if (im.dupfactors)
			printf("note: %u authenticator key%s imported before: skipped\n", im.dupfactors,
			       im.dupfactors == 1 ? " was" : "s were");
		if (im.pins)
			printf("note: %u usersfile PIN%s not carried over (twofactl checks codes, not PINs)\n",
			       im.pins, im.pins == 1 ? " was" : "s were");
	}
out:
	if (locked)
		store_unlock_all(im.s);
	close_store(im.s);
	free(im.seen);
	free(im.keys.v);
	if (it.a)
		account_free(it.a);
	account_free(im.cur);
	sodium_memzero(&it, sizeof it);
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	return ret;
}
