/* SPDX-License-Identifier: ISC */
/* lib/stepup.c — step-up: who adds or re-points a factor of an account
 * that has an active one proves they hold one of its factors first. The
 * one rule every such use case calls (backup issue, enroll, webauthn
 * register, user set --email/--phone, user rename, whitelist add). */
#include "lib/shared.h"

#include <stdio.h>

static int has_active_factor(const struct account *a)
{
	for (unsigned i = 0; i < a->nf; i++)
		if (a->f[i].status == FS_ACTIVE)
			return 1;
	return 0;
}

int stepup_needed(const struct tf_sess *ss)
{
	return ss->h->role != TF_ROLE_ADMIN && has_active_factor(ss->a);
}

tf_status stepup(struct tf_sess *ss, const char *code, const char *what)
{
	/* checked as verify checks a code: the codes' failure budget, replay
	 * state, an imported rate limit, the audit line; a login code sent by
	 * email or SMS and a backup code count, and are spent */
	struct attempt_opts o = { .event = "stepup", .allow_backup = 1, .otc_purposes = 1u << P_LOGIN };
	struct auth_outcome res;
	char detail[160];

	if (!stepup_needed(ss))
		return TF_OK;
	if (!code || !*code) {
		snprintf(detail, sizeof detail, "uid %u, %s", ss->h->caller_uid, what);
		/* the refusal stands even when its audit line cannot be written */
		TF_IGNORE(tf_audit(ss->h, "stepup", ss->name, "missing", NULL, detail));
		return tf_fail(ss->h, TF_USAGE, "code_required", "%s: the account has an active second factor: give "
		               "a current code of it (or a backup code) on standard input", what);
	}
	return attempt(ss, code, &o, &res);
}
