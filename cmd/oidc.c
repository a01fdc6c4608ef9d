/* SPDX-License-Identifier: ISC */
/* twofactl oidc link|unlink|lookup: OpenID Connect identities (MojeID) */
#include "cmd/cmd.h"

#include <sodium.h>
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

static int want_id(const struct oidc_args *a, struct oidc_id *id)
{
	memset(id, 0, sizeof *id);
	if (!a->issuer || !a->subject)
		return fail(EXIT_USAGE, "give --issuer URL and --subject SUB");
	memcpy(id->issuer, a->issuer, strlen(a->issuer) + 1);
	memcpy(id->subject, a->subject, strlen(a->subject) + 1);
	if (!oidc_valid(id))
		return fail(EXIT_USAGE, "the issuer must be an https:// URL and the subject printable");
	oidc_normalize(id);   /* https://id.example/ is https://id.example */
	return EXIT_OK;
}

static const struct argp link_argp = {
	options, parse, "NAME --issuer URL --subject SUB",
	"Link an OpenID Connect identity to an account (seed 000: log in with "
	"MojeID). One identity belongs to one account at most, also when two links "
	"are made at once; 'user set NAME --password-login off' then leaves only "
	"this way in.", common_children, NULL, NULL
};

static int oidc_link_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	struct oidc_id id;
	struct oidc_link l;
	struct acct_ref lref = { 0 };
	struct tf_sess ss = { 0 };
	char *json = NULL;
	size_t len = 0;
	int ret, st, exists, moving;

	cmd_parse(&link_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("oidc link %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = want_id(&a, &id)))
		return ret;
	/* the account's lock, then the identity's: the order a rename takes
	 * them in; the identity's lock is what keeps it unique */
	if ((ret = sess_begin(&ss, a.name)) || (ret = oidc_link_get(g.h, &id, &lref, 1, &l, &exists)))
		goto out;
	if (exists && !oidc_link_is(&l, ss.a) && oidc_link_live(g.h, &l, &moving)) {
		ret = fail(EXIT_USAGE, "that identity is linked to another account already");
		goto out;
	}
	if (!oidc_has_id(ss.a, &id)) {
		if (ss.a->noidc >= ACCT_MAX_OIDC) {
			ret = fail(EXIT_USAGE, "the account has %d identities already", ACCT_MAX_OIDC);
			goto out;
		}
		ss.a->oidc[ss.a->noidc++] = id;
		if ((ret = tf_sess_save(&ss)))
			goto out;
	}
	memset(&l, 0, sizeof l);
	l.id = id;
	memcpy(l.user, ss.a->name, sizeof l.user);
	memcpy(l.uid, ss.a->uid, sizeof l.uid);
	l.created = g.now;
	if (oidc_link_to_json(&l, &json, &len)) {
		ret = fail(EXIT_STORE, "out of memory");
		goto out;
	}
	if ((st = store_blob_save(ss.s, &lref, (const uint8_t *)json, len))) {
		ret = fail_store(ss.s, st);
		goto out;
	}
	if ((ret = tf_audit(g.h, "oidc.link", a.name, "ok", NULL, id.issuer)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "issuer", json_object_new_string(id.issuer));
		json_object_object_add(o, "subject", json_object_new_string(id.subject));
		emit_json(o);
	} else if (!g.quiet) {
		printf("linked %s %s to '%s'\n", printable(id.issuer), printable(id.subject), a.name);
	}
out:
	free(json);
	if (ss.s)
		store_unlock(ss.s, &lref);
	sess_end(&ss);
	return ret;
}

static const struct argp unlink_argp = {
	options, parse, "NAME [--issuer URL --subject SUB]",
	"Unlink the account's OpenID Connect identities, or the one given.",
	common_children, NULL, NULL
};

static int oidc_unlink_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	struct oidc_id only, ids[ACCT_MAX_OIDC];
	struct store *s = NULL;
	char uid[ACCT_UID_MAX + 1] = "";
	unsigned n = 0, removed = 0;
	int ret;

	cmd_parse(&unlink_argp, argc, argv, &a);
	if (!a.name)
		return fail(EXIT_USAGE, "missing account NAME");
	set_ctx("oidc unlink %s", safe(a.name));
	if ((a.issuer || a.subject) && (ret = want_id(&a, &only)))
		return ret;
	{
		struct tf_sess ss;

		if ((ret = sess_begin(&ss, a.name))) {
			sess_end(&ss);
			return ret;
		}
		for (unsigned i = 0; i < ss.a->noidc; i++)
			if (!a.issuer || oidc_same(&ss.a->oidc[i], &only))
				ids[n++] = ss.a->oidc[i];
		for (unsigned i = ss.a->noidc; i-- > 0;)
			if (!a.issuer || oidc_same(&ss.a->oidc[i], &only)) {
				memmove(&ss.a->oidc[i], &ss.a->oidc[i + 1], (ss.a->noidc - i - 1) * sizeof ss.a->oidc[0]);
				ss.a->noidc--;
				removed++;
			}
		memcpy(uid, ss.a->uid, sizeof uid);
		if (!removed)
			ret = fail(EXIT_NOENT, "no such linked identity");
		else if (ss.a->password_off && ss.a->noidc == 0)
			ret = fail(EXIT_USAGE, "password login is off for this account: unlinking its last identity "
			           "would leave no way in (turn it on first: user set %s --password-login on)", a.name);
		else
			ret = tf_sess_save(&ss);
		sess_end(&ss);
		if (ret)
			return ret;
	}
	/* then the link records, each under its own lock (a stale one would be
	 * ignored by lookup anyway: the account no longer carries it) */
	if ((ret = open_store(&s)))
		return ret;
	for (unsigned i = 0; i < n && !ret; i++) {
		struct acct_ref lref = { 0 };
		struct oidc_link l;
		int st, exists;

		oidc_normalize(&ids[i]);
		if (!(ret = oidc_link_get(g.h, &ids[i], &lref, 1, &l, &exists)) && exists && !strcmp(l.user, a.name) &&
		    (!l.uid[0] || !strcmp(l.uid, uid)) && (st = store_delete(s, &lref)) && st != ST_ENOENT)
			ret = fail_store(s, st);
		store_unlock(s, &lref);
	}
	if (!ret)
		ret = tf_audit(g.h, "oidc.unlink", a.name, "ok", NULL, NULL);
	close_store(s);
	if (!ret && !g.quiet && !g.json)
		printf("unlinked %u identit%s of '%s'\n", removed, removed == 1 ? "y" : "ies", a.name);
	if (!ret && g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "unlinked", json_object_new_int64(removed));
		emit_json(o);
	}
	return ret;
}

static const struct argp lookup_argp = {
	options, parse, "--issuer URL --subject SUB",
	"Print the account an OpenID Connect identity is linked to (exit 3: none).",
	common_children, NULL, NULL
};

static int oidc_lookup_cmd(int argc, char **argv)
{
	struct oidc_args a = { 0 };
	struct oidc_id id;
	struct oidc_link l;
	struct store *s = NULL;
	struct acct_ref lref = { 0 };
	int ret, exists = 0, live = 0;

	cmd_parse(&lookup_argp, argc, argv, &a);
	if (a.name)
		return fail(EXIT_USAGE, "unexpected argument '%s'", safe(a.name));
	if ((ret = want_id(&a, &id)) || (ret = open_store(&s)))
		return ret;
	for (int round = 0; round < 2 && !live; round++) {
		int moving = 0;

		if ((ret = oidc_link_get(g.h, &id, &lref, 0, &l, &exists)))
			goto out;
		if (!exists && strlen(id.issuer) < OIDC_ISSUER_MAX) {
			/* a link made before issuers were normalised */
			struct oidc_id slash = id;

			strcat(slash.issuer, "/");
			if ((ret = oidc_link_get(g.h, &slash, &lref, 0, &l, &exists)))
				goto out;
		}
		if (!exists)
			break;
		live = oidc_link_live(g.h, &l, &moving);
		/* a rename a crash interrupted: finish it (that updates the
		 * link), then read the link again */
		if (moving) {
			live = 0;
			if ((ret = rename_resume(g.h, l.user)))
				goto out;
		}
	}
	if (!live) {
		ret = fail(EXIT_NOENT, "no account is linked to that identity");
		goto out;
	}
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(l.user));
		json_object_object_add(o, "issuer", json_object_new_string(id.issuer));
		json_object_object_add(o, "subject", json_object_new_string(id.subject));
		emit_json(o);
	} else {
		printf("%s\n", l.user);
	}
out:
	close_store(s);
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
