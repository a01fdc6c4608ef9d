/* SPDX-License-Identifier: ISC */
/* lib/attempt.c — one attempt at the second factor: the failure budgets'
 * gates, the code check with replay state and rate limit, and its audit
 * line (verify, confirm, disable, show). */
#include "lib/internal.h"
#include "lib/shared.h"
#include "core/lockout.h"
#include "core/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Audit and refuse an attempt while budget b is locked out or delayed;
 * TF_OK when it may be checked. what names the budget in messages. */
static int budget_gate(struct tf_sess *ss, const struct lock_budget *b, const char *what,
                       const char *event, const char *ip, const char *detail)
{
	int64_t wait;
	enum lock_state ls = budget_check(b, tf_now(ss->h), &wait);
	int ret;

	if (ls == LOCK_OPEN)
		return TF_OK;
	if ((ret = tf_audit(ss->h, event, ss->name, "locked", ip, detail)))
		return ret;
	if (ls == LOCK_HARDLOCKED)
		return tf_fail(ss->h, TF_LOCKED, NULL, "%slocked out after %u failures: an administrator must run "
		            "'twofactl user unlock'", what, b->failures);
	return tf_fail(ss->h, TF_LOCKED, NULL, "too many %sfailures: next attempt in %lld s", what, (long long)wait);
}

int lockout_gate(struct tf_sess *ss, const char *event, const char *ip, const char *detail)
{
	return budget_gate(ss, &ss->a->lk_codes, "", event, ip, detail);
}

int password_gate(struct tf_sess *ss, const char *event, const char *ip)
{
	return budget_gate(ss, &ss->a->lk_pw, "password ", event, ip, NULL);
}

static const char *outcome_word(const struct auth_outcome *out)
{
	if (out->result == AUTH_OK)
		return out->backup ? "ok-backup" : out->channel == CH_EMAIL ? "ok-email" :
		       out->channel == CH_SMS ? "ok-sms" : "ok";
	return out->result == AUTH_REPLAY ? "replay" : "rejected";
}

int attempt_audit(struct tf_sess *ss, const struct attempt_opts *o, const struct auth_outcome *out)
{
	return tf_audit(ss->h, o->event, ss->name, outcome_word(out), o->ip, NULL);
}

int attempt(struct tf_sess *ss, const char *code, const struct attempt_opts *o,
            struct auth_outcome *out)
{
	char norm[CODE_MAX_INPUT + 1], ctx[80];
	enum code_kind kind = code_classify(code, norm, sizeof norm);
	struct auth_params p = { 0 };
	unsigned after, tw, hw;
	int ret;

	memset(out, 0, sizeof *out);
	if (kind == CODE_BAD)
		return tf_fail(ss->h, TF_USAGE, NULL, "malformed code: expected 6 to 8 digits or a backup code");
	if ((ret = tf_config_uint(ss->h, "lockout.after", LOCK_DEFAULT_AFTER, 1, LOCK_HARD, &after)) ||
	    (ret = tf_config_uint(ss->h, "totp.window", 1, 0, 10, &tw)) ||
	    (ret = tf_config_uint(ss->h, "hotp.window", 10, 0, 100, &hw)))
		goto out;
	if ((ret = lockout_gate(ss, o->event, o->ip, NULL)))
		goto out;
	if (auth_rate_check(ss->a, tf_now(ss->h))) {
		ret = tf_fail(ss->h, TF_LOCKED, "rate_limited", "rate limited: at most %u attempts per %u s", ss->a->rate_n, ss->a->rate_secs);
		goto out;
	}
	snprintf(ctx, sizeof ctx, "%s", tf_acct_ctx(ss));
	p.now = tf_now(ss->h);
	p.totp_window = tw;
	p.hotp_window = hw;
	p.code_key = ss->a->code_key;
	p.context = ctx;
	p.only_factor = o->only_factor;
	p.allow_backup = o->allow_backup;
	p.otc_purposes = o->otc_purposes;
	p.otc_channels = o->otc_channels;
	if (auth_check(ss->a, norm, kind, &p, out) != CORE_OK) {
		ret = tf_fail(ss->h, TF_STORE, NULL, "code check failed");
		goto out;
	}
	if (out->result == AUTH_OK) {
		lock_success(ss->a);
		ss->a->verified++;
		login_close_all(ss->a);   /* the login that check opened is complete */
	} else if (out->result == AUTH_REJECT) {
		lock_fail(ss->a, tf_now(ss->h), after);
	}
	if (out->result == AUTH_OK && o->defer) {   /* the caller answers first, then commits */
		ret = TF_OK;
		goto out;
	}
	/* The new replay and failure state is on disk before anything is
	 * reported: a verify that cannot record it fails closed. */
	/* (a replay changes nothing, except an imported RATE_LIMIT, which
	 * counts every attempt; the lockout never counts replays) */
	if ((out->result != AUTH_REPLAY || ss->a->rate_n) && (ret = tf_sess_save(ss)))
		goto out;
	ret = tf_audit(ss->h, o->event, ss->name, outcome_word(out), o->ip, NULL);
	if (ret)
		goto out;
	if (out->result == AUTH_OK)
		ret = TF_OK;
	else if (out->result == AUTH_REPLAY)
		ret = tf_fail(ss->h, TF_REJECTED, "replayed", "code rejected: already used");
	else if (out->expired)
		ret = tf_fail(ss->h, TF_REJECTED, NULL, "code rejected: it expired, send a new one");
	else if (out->other_purpose)
		ret = tf_fail(ss->h, TF_REJECTED, NULL, "code rejected: it was sent for %s, not for this",
		           out->other_purpose - 1 == P_LOGIN ? "a login" :
		           out->other_purpose - 1 == P_CONFIRM ? "confirming a change" : "an enrolment");
	else
		ret = tf_fail(ss->h, TF_REJECTED, NULL, "code rejected");
out:
	sodium_memzero(norm, sizeof norm);
	return ret;
}

