/* SPDX-License-Identifier: ISC */
/* lib/sendcode.c — a one-time code by email or SMS: reserved under the
 * account's lock, delivered without it, recorded under it again. */
#include "lib/shared.h"
#include "core/lockout.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* What a send keeps between its three steps. */
struct send_job {
	enum channel ch;
	enum purpose p;
	char code[OTC_DIGITS + 1];
	int64_t ttl, prev_sent;
	uint32_t epoch;
	char dest[255];
};

/* Under the lock again: is the destination the code went to still the
 * account's, through the method it was sent for? */
static int send_still_good(const struct tf_sess *ss, const struct send_job *j)
{
	const char *dest = j->ch == CH_EMAIL ? ss->a->email : ss->a->phone;

	if (strcmp(dest, j->dest) || ss->a->sent_epoch != j->epoch)
		return 0;
	return j->p == P_ENROLL || account_channel_factor(ss->a, j->ch, FS_ACTIVE) != NULL;
}

int send_code(struct tf_sess *ss, enum channel ch, enum purpose p, char session[4],
              send_commit_fn commit, void *ctx)
{
	struct send_job j = { .ch = ch, .p = p };
	struct account *snap = NULL;
	char minutes[24];
	int64_t resend, wait;
	int ret, sent;

	/* 1. under the lock: the checks, and a reservation of the resend slot */
	if (lock_check(ss->a, tf_now(ss->h), &wait) != LOCK_OPEN)
		return tf_fail(ss->h, TF_LOCKED, NULL, "locked out after too many failures: no code sent");
	if (!destination(ss->h, ss->a, ch))
		return TF_NEED_ENROL;
	if ((ret = tf_config_duration(ss->h, "code.ttl", 300, &j.ttl)) ||
	    (ret = tf_config_duration(ss->h, "code.resend", 30, &resend)))
		return ret;
	if (j.ttl > OTC_MAX_TTL || j.ttl < 30)
		return tf_fail(ss->h, TF_STORE, NULL, "config: code.ttl must be from 30s to 10m (NIST 800-63B)");
	/* one slot per channel and purpose: the enrolment's confirmation code
	 * never holds back the first login code */
	if ((wait = resend_wait(ss->a, ch, p, tf_now(ss->h), resend)) > 0)
		return tf_fail(ss->h, TF_LOCKED, "rate_limited", "%s %s code was sent %lld s ago: wait %lld s before another",
		             p == P_ENROLL ? "an" : "a", purpose_name(p),
		             (long long)(tf_now(ss->h) - ss->a->last_sent[ch][p]), (long long)wait);
	if (digits_generate(j.code, OTC_DIGITS) || digits_generate(session, 3))
		return tf_fail(ss->h, TF_STORE, NULL, "cannot make a code");
	snap = account_new();
	if (!snap) {
		ret = tf_fail(ss->h, TF_STORE, NULL, "cannot allocate secure memory");
		goto out;
	}
	j.prev_sent = ss->a->last_sent[ch][p];
	j.epoch = ss->a->sent_epoch;
	memcpy(j.dest, destination(ss->h, ss->a, ch), strlen(destination(ss->h, ss->a, ch)) + 1);
	ss->a->last_sent[ch][p] = tf_now(ss->h);   /* a concurrent send waits for its slot */
	if ((ret = tf_sess_save(ss)))
		goto out;
	memcpy(snap, ss->a, sizeof *snap);
	/* 2. without it: a slow or hung server never holds the account */
	tf_sess_release(ss);
	snprintf(minutes, sizeof minutes, "%lld", (long long)(j.ttl + 59) / 60);
	{
		struct msg_var v[] = {
			{ "code", j.code }, { "session", session }, { "name", snap->name },
			{ "issuer", tf_config_issuer(ss->h) }, { "minutes", minutes },
		};

		sent = deliver(ss->h, snap, ch, purpose_name(p), v, sizeof v / sizeof v[0]);
	}
	/* 3. under it again: the code is recorded, or the reservation undone */
	if ((ret = tf_sess_retake(ss)))
		goto out;
	if (!sent && !send_still_good(ss, &j)) {
		sent = tf_fail(ss->h, TF_DELIVERY, NULL, "the %s changed while the message was sent: nothing recorded, "
		            "send again", ch == CH_EMAIL ? "address" : "number");
	}
	if (!sent && commit)
		sent = commit(ss, ctx);
	if (!sent && auth_store_otc(ss->a, ch, p, j.code, session, ss->a->code_key, tf_acct_ctx(ss),
	                            tf_now(ss->h), j.ttl) != CORE_OK)
		sent = tf_fail(ss->h, TF_STORE, NULL, "cannot record the code");
	if (sent) {   /* nothing recorded as sent: the slot is free again, if still ours */
		if (ss->a->last_sent[ch][p] == tf_now(ss->h))
			ss->a->last_sent[ch][p] = j.prev_sent;
		TF_IGNORE(tf_sess_save(ss));
	}
	ret = sent;
out:
	account_free(snap);
	sodium_memzero(&j, sizeof j);
	return ret;
}

