/* SPDX-License-Identifier: ISC */
/* twofactl send: one-time codes by email and SMS */
#include "cmd/deliver.h"
#include "core/auth.h"
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
static int send_still_good(const struct session *ss, const struct send_job *j)
{
	const char *dest = j->ch == CH_EMAIL ? ss->a->email : ss->a->phone;

	if (strcmp(dest, j->dest) || ss->a->sent_epoch != j->epoch)
		return 0;
	return j->p == P_ENROLL || account_channel_factor(ss->a, j->ch, FS_ACTIVE) != NULL;
}

int send_code(struct session *ss, enum channel ch, enum purpose p, char session[4],
              send_commit_fn commit, void *ctx)
{
	struct send_job j = { .ch = ch, .p = p };
	struct account *snap = NULL;
	char minutes[24];
	int64_t resend, wait;
	int ret, sent;

	/* 1. under the lock: the checks, and a reservation of the resend slot */
	if (lock_check(ss->a, g.now, &wait) != LOCK_OPEN)
		return fail(EXIT_LOCKED, "locked out after too many failures: no code sent");
	if (!destination(ss->a, ch))
		return EXIT_NEED_ENROL;
	if ((ret = config_duration(ss->s, "code.ttl", 300, &j.ttl)) ||
	    (ret = config_duration(ss->s, "code.resend", 30, &resend)))
		return ret;
	if (j.ttl > OTC_MAX_TTL || j.ttl < 30)
		return fail(EXIT_STORE, "config: code.ttl must be from 30s to 10m (NIST 800-63B)");
	/* one slot per channel and purpose: the enrolment's confirmation code
	 * never holds back the first login code */
	if ((wait = resend_wait(ss->a, ch, p, g.now, resend)) > 0)
		return failw(EXIT_LOCKED, "rate_limited", "%s %s code was sent %lld s ago: wait %lld s before another",
		             p == P_ENROLL ? "an" : "a", purpose_name(p),
		             (long long)(g.now - ss->a->last_sent[ch][p]), (long long)wait);
	if (digits_generate(j.code, OTC_DIGITS) || digits_generate(session, 3))
		return fail(EXIT_STORE, "cannot make a code");
	snap = account_new();
	if (!snap) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	j.prev_sent = ss->a->last_sent[ch][p];
	j.epoch = ss->a->sent_epoch;
	memcpy(j.dest, destination(ss->a, ch), strlen(destination(ss->a, ch)) + 1);
	ss->a->last_sent[ch][p] = g.now;   /* a concurrent send waits for its slot */
	if ((ret = sess_save(ss)))
		goto out;
	memcpy(snap, ss->a, sizeof *snap);
	/* 2. without it: a slow or hung server never holds the account */
	sess_release(ss);
	snprintf(minutes, sizeof minutes, "%lld", (long long)(j.ttl + 59) / 60);
	{
		struct msg_var v[] = {
			{ "code", j.code }, { "session", session }, { "name", snap->name },
			{ "issuer", config_issuer(ss->s) }, { "minutes", minutes },
		};

		sent = deliver(ss->s, snap, ch, purpose_name(p), v, sizeof v / sizeof v[0]);
	}
	/* 3. under it again: the code is recorded, or the reservation undone */
	if ((ret = sess_retake(ss)))
		goto out;
	if (!sent && !send_still_good(ss, &j)) {
		sent = fail(EXIT_DELIVERY, "the %s changed while the message was sent: nothing recorded, "
		            "send again", ch == CH_EMAIL ? "address" : "number");
	}
	if (!sent && commit)
		sent = commit(ss, ctx);
	if (!sent && auth_store_otc(ss->a, ch, p, j.code, session, ss->a->code_key, acct_ctx(ss),
	                            g.now, j.ttl) != CORE_OK)
		sent = fail(EXIT_STORE, "cannot record the code");
	if (sent) {   /* nothing recorded as sent: the slot is free again, if still ours */
		if (ss->a->last_sent[ch][p] == g.now)
			ss->a->last_sent[ch][p] = j.prev_sent;
		(void)sess_save(ss);
	}
	ret = sent;
out:
	account_free(snap);
	sodium_memzero(&j, sizeof j);
	return ret;
}

struct send_args {
	const char *name;
	enum channel via;
	enum purpose purpose;
	int via_set, nargs;
};

enum { OPT_VIA = 0x600, OPT_PURPOSE };

static const struct argp_option options[] = {
	{ "via", OPT_VIA, "CHANNEL", 0, "email or sms (required)", 0 },
	{ "purpose", OPT_PURPOSE, "PURPOSE", 0, "login (default), enroll or confirm", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct send_args *a = state->input;

	switch (key) {
	case OPT_VIA:
		if (channel_parse(arg, &a->via))
			USAGE(state, "--via: '%s' is not email or sms", safe(arg));
		a->via_set = 1;
		break;
	case OPT_PURPOSE:
		if (purpose_parse(arg, &a->purpose))
			USAGE(state, "--purpose: '%s' is not login, enroll or confirm", safe(arg));
		break;
	case ARGP_KEY_ARG:
		if (a->nargs++)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		a->name = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			USAGE(state, "missing account NAME");
		if (!a->via_set)
			USAGE(state, "missing --via email|sms");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "NAME",
	"Send a one-time code by email or SMS and print the 3-digit session id "
	"shown to the user next to the login form; the message carries the same id "
	"and the code. The code is 6 digits, valid for code.ttl (5 minutes, at most "
	"10), works once, and is used up after 5 wrong tries; only its hash is kept. "
	"A new code may be sent once per code.resend (30 s), channel and purpose (so "
	"an enrolment's code never holds back the first login code), and never "
	"resets the account's failure count. 'login' and 'confirm' codes need the "
	"channel enrolled as a method; 'enroll' resends the code of a pending one.\v"
	"Exit status: 0 sent, 2 usage, 3 no such account, 4 locked out or too soon, "
	"5 store error, 6 delivery failed (nothing recorded), 11 no address or the "
	"method is not enrolled.", common_children, NULL, NULL
};

/* send --purpose enroll: the pending enrolment is still there after the delivery */
static int still_pending(struct session *ss, void *ctx)
{
	const struct send_args *a = ctx;

	if (!account_channel_factor(ss->a, a->via, FS_PENDING))
		return fail(EXIT_NOENT, "the pending %s enrolment went away while the message was sent",
		            channel_name(a->via));
	return EXIT_OK;
}

int cmd_send(int argc, char **argv)
{
	struct send_args a = { .purpose = P_LOGIN };
	struct session ss;
	char session[4], detail[48];
	int ret;

	cmd_parse(&argp, argc, argv, &a);
	set_ctx("send %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if (a.purpose == P_ENROLL) {
		if (!account_channel_factor(ss.a, a.via, FS_PENDING)) {
			ret = fail(EXIT_NOENT, "no pending %s enrolment: run twofactl enroll %s --method %s",
			           channel_name(a.via), a.name, channel_name(a.via));
			goto out;
		}
	} else if (!account_channel_factor(ss.a, a.via, FS_ACTIVE)) {
		ret = fail(EXIT_NEED_ENROL, "%s is not an enrolled method of %s: run twofactl enroll %s --method %s",
		           channel_name(a.via), a.name, a.name, channel_name(a.via));
		goto out;
	}
	if ((ret = send_code(&ss, a.via, a.purpose, session, a.purpose == P_ENROLL ? still_pending : NULL, &a)))
		goto out;
	snprintf(detail, sizeof detail, "%s %s", channel_name(a.via), purpose_name(a.purpose));
	if ((ret = sess_save(&ss)) || (ret = audit(ss.s, "send", a.name, "sent", NULL, detail)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "via", json_object_new_string(channel_name(a.via)));
		json_object_object_add(o, "purpose", json_object_new_string(purpose_name(a.purpose)));
		json_object_object_add(o, "session", json_object_new_string(session));
		json_object_object_add(o, "expires", json_object_new_int64(ss.a->otc[a.via].expires));
		emit_json(o);
	} else if (g.quiet) {
		printf("%s\n", session);
	} else {
		printf("sent a %s code by %s to %s: session %s\n", purpose_name(a.purpose),
		       channel_name(a.via), a.via == CH_EMAIL ? ss.a->email : ss.a->phone, session);
	}
out:
	sess_end(&ss);
	return ret;
}
