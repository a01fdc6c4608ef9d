/* SPDX-License-Identifier: ISC */
/* twofactl check: does this login need a second factor? */
#include "cmd/cmd.h"
#include "core/lockout.h"
#include "core/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct check_args {
	const char *name, *ip, *token;
	int nargs;
};

enum { OPT_IP = 0xa00, OPT_TOKEN };

static const struct argp_option options[] = {
	{ "ip", OPT_IP, "ADDR", 0, "Address the login comes from (whitelists)", 0 },
	{ "device-token", OPT_TOKEN, "TOKEN", 0, "The token of a remembered device; '-' reads it "
	  "from standard input (keeps it out of the process list)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct check_args *a = state->input;

	switch (key) {
	case OPT_IP:
		a->ip = arg;
		break;
	case OPT_TOKEN:
		a->token = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->name = arg;
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

static const struct argp argp = {
	options, parse, "NAME",
	"Ask, after the password was accepted, whether this login needs a second "
	"factor. Exit 0: no code needed (policy off, optional and not enabled, a "
	"whitelisted address, a remembered device, a service account); 10: a code "
	"is needed, the methods are printed, and a pending login is opened that a "
	"successful verify closes (expire warns the user of ones left open); 11: "
	"the policy requires a second factor and the account has none; 4: locked out. "
	"The policy is the account's own 2fa switch (user set --2fa), else its "
	"organisation's, else policy.default; a required organisation wins over an "
	"account's optional or off. The answer names it and where it comes from.",
	common_children, NULL, NULL
};

static void add_unique(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
			return;
	json_object_array_add(arr, json_object_new_string(s));
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = { 0 };
	struct tf_sess ss;
	uint8_t ip[16];
	char token[TRUST_TOKEN_CHARS + 8] = "", polwhy[96];
	struct policy_out po;
	enum policy pol;
	enum decision d;
	const char *reason = "";
	int64_t wait, warn_after;
	unsigned digits = 0;
	int ret, wl = 0, trusted = -1, changed = 0;
	json_object *methods, *missing;

	cmd_parse(&argp, argc, argv, &a);   /* before any allocation: a usage error longjmps in a batch */
	methods = json_object_new_array();
	missing = json_object_new_array();
	set_ctx("check %s", safe(a.name));
	if ((ret = check_name(a.name)))
		goto done;
	if (a.ip && ip_parse(a.ip, ip)) {
		ret = fail(EXIT_USAGE, "--ip: '%s' is not an IPv4 or IPv6 address", safe(a.ip));
		goto done;
	}
	if (a.token) {
		if (!strcmp(a.token, "-")) {
			if ((ret = read_stdin_line(token, sizeof token, "device token")))
				goto done;
		} else if (strlen(a.token) < sizeof token) {
			memcpy(token, a.token, strlen(a.token) + 1);
		}
		if (!trust_token_valid(token)) {
			ret = fail(EXIT_USAGE, "malformed device token");
			goto done;
		}
	}
	if ((ret = sess_begin(&ss, a.name)) ||
	    (ret = tf_config_duration(g.h, "login.warn_after", 900, &warn_after)))
		goto out;
	/* the second factor's budget; for a service account, whose password is
	 * its only factor, the password's too */
	if (lock_check(ss.a, g.now, &wait) != LOCK_OPEN ||
	    (ss.a->service && budget_check(&ss.a->lk_pw, g.now, &wait) != LOCK_OPEN)) {
		ret = fail(EXIT_LOCKED, "locked out after too many failures%s",
		           ss.a->lk_codes.failures >= LOCK_HARD || (ss.a->service && ss.a->lk_pw.failures >= LOCK_HARD) ?
		           ": an administrator must run 'twofactl user unlock'" : "");
		goto out;
	}
	if ((ret = effective_policy(g.h, ss.a, &po, polwhy, sizeof polwhy)))
		goto out;
	pol = po.pol;
	if (a.ip) {
		wl = wl_match(ss.a->wl, ss.a->nwl, ip, g.now) >= 0;
		if (!wl && ss.a->org[0]) {
			struct acct_ref oref = { 0 };
			struct org o;
			int r = org_read(g.h, ss.a->org, &oref, &o);

			if (r && r != EXIT_NOENT) {
				ret = r;
				goto out;
			}
			wl = !r && wl_match(o.wl, o.nwl, ip, g.now) >= 0;
		}
	}
	if (token[0]) {
		trusted = trust_match(ss.a, ss.a->code_key, tf_acct_ctx(&ss), token, g.now);
		if (trusted >= 0) {
			ss.a->tr[trusted].last_used = g.now;
			changed = 1;
		}
	}
	d = policy_decide(ss.a, pol, wl, trusted >= 0, &reason);
	if (d == DEC_CODE) {
		for (unsigned i = 0; i < ss.a->nf; i++) {
			const struct factor *f = &ss.a->f[i];

			if (f->status != FS_ACTIVE)
				continue;
			add_unique(methods, factor_type_name(f->type));
			if (!digits && (f->type == F_TOTP || f->type == F_HOTP))
				digits = f->digits;   /* the first app's: forward_pass splits by it */
		}
		if (ss.a->nbackup)
			add_unique(methods, "backup");
		login_open(ss.a, g.now, a.ip ? ip : NULL, warn_after);
		changed = 1;
	} else if (d == DEC_ENROL) {
		add_unique(methods, "totp");
		if (ss.a->email[0])
			add_unique(methods, "email");
		else
			add_unique(missing, "email");
		if (ss.a->phone[0])
			add_unique(methods, "sms");
		else
			add_unique(missing, "phone");
	}
	if (changed && (ret = tf_sess_save(&ss)))
		goto out;
	if ((ret = tf_audit(g.h, "check", a.name, d == DEC_PASS ? "pass" : d == DEC_CODE ? "code" : "enroll",
	                 a.ip, reason)))
		goto out;
	ret = d == DEC_PASS ? EXIT_OK : d == DEC_CODE ? EXIT_NEED_CODE : EXIT_NEED_ENROL;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "result", json_object_new_string(
			d == DEC_PASS ? "pass" : d == DEC_CODE ? "code" : "enroll"));
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(o, "policy", json_object_new_string(policy_name(pol)));
		json_object_object_add(o, "policy_source", json_object_new_string(polwhy));
		json_object_object_add(o, "methods", json_object_get(methods));
		if (d == DEC_CODE)
			json_object_object_add(o, "digits", json_object_new_int(digits ? (int)digits : OTC_DIGITS));
		if (d == DEC_ENROL)
			json_object_object_add(o, "missing", json_object_get(missing));
		emit_json(o);
	} else if (!g.quiet) {
		printf("%s\n", reason);
		printf("policy: %s (%s)\n", policy_name(pol), printable(polwhy));
		if (d == DEC_CODE || d == DEC_ENROL) {
			printf("%s:", d == DEC_CODE ? "methods" : "may enrol");
			for (size_t i = 0; i < json_object_array_length(methods); i++)
				printf(" %s", json_object_get_string(json_object_array_get_idx(methods, i)));
			printf("\n");
		}
		if (d == DEC_ENROL && json_object_array_length(missing)) {
			for (size_t i = 0; i < json_object_array_length(missing); i++) {
				const char *m = json_object_get_string(json_object_array_get_idx(missing, i));

				printf(!strcmp(m, "phone") ? "no mobile number known: SMS needs one (user set --phone)\n"
				                           : "no email address known: email codes need one (user set --email)\n");
			}
		}
	}
out:
	sess_end(&ss);
done:
	sodium_memzero(token, sizeof token);
	json_object_put(methods);
	json_object_put(missing);
	return ret;
}
