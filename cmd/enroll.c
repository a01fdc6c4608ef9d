/* SPDX-License-Identifier: ISC */
/* twofactl enroll | confirm | show | code | disable */
#include "cmd/cmd.h"
#include "core/role.h"
#include "lib/shared.h"
#include "cmd/cmd.h"
#include "lib/shared.h"
#include "core/b32.h"
#include "core/qr.h"
#include "core/timefmt.h"
#include "core/uri.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct enroll_args {
	const char *name, *code, *issuer, *label, *out_file, *sms_code;
	enum factor_type method;
	enum otp_algo algo;
	unsigned digits, period;
	uint32_t factor;
	enum qr_format qr;
	int qr_set, force, nargs, max_args, by_link, link;
	int qr_stdout;               /* -o -: the QR code alone on stdout */
	int qr_embed;                /* --json: the QR code inside the object */
};

enum { OPT_METHOD = 0x400, OPT_ALGO, OPT_DIGITS, OPT_PERIOD, OPT_ISSUER, OPT_QR, OPT_LABEL,
       OPT_FACTOR, OPT_FORCE, OPT_SMS_CODE, OPT_BYLINK, OPT_LINK };

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct enroll_args *a = state->input;
	int64_t v;

	switch (key) {
	case OPT_METHOD:
		if (factor_type_parse(arg, &a->method) || a->method == F_WEBAUTHN)
			USAGE(state, "--method: '%s' is not one of totp, hotp, email, sms", safe(arg));
		break;
	case OPT_SMS_CODE:
		a->sms_code = arg;
		break;
	case OPT_BYLINK:
		a->by_link = 1;
		break;
	case OPT_LINK:
		a->link = 1;
		break;
	case OPT_ALGO:
		if (otp_algo_parse(arg, &a->algo))
			USAGE(state, "--algo: '%s' is not one of sha1, sha256, sha512", safe(arg));
		break;
	case OPT_DIGITS:
		if (int_parse(arg, 6, 8, &v) || v == 7)
			USAGE(state, "--digits: '%s' is not 6 or 8", safe(arg));
		a->digits = (unsigned)v;
		break;
	case OPT_PERIOD:
		if (int_parse(arg, 10, 300, &v))
			USAGE(state, "--period: '%s' is not a number of seconds from 10 to 300", safe(arg));
		a->period = (unsigned)v;
		break;
	case OPT_ISSUER:
		if (!*arg || strlen(arg) > 100 || strchr(arg, ':') || !text_line_ok(arg))
			USAGE(state, "--issuer: give 1 to 100 characters, no ':' and no control characters");
		a->issuer = arg;
		break;
	case OPT_LABEL:
		if (strlen(arg) > LABEL_MAX || !text_line_ok(arg))
			USAGE(state, "--label: one line of at most %d characters, no control characters", LABEL_MAX);
		a->label = arg;
		break;
	case OPT_QR:
		if (qr_format_parse(arg, &a->qr))
			USAGE(state, "--qr: '%s' is not one of ansi, utf8, png, svg, none", safe(arg));
		a->qr_set = 1;
		break;
	case 'o':
		a->out_file = arg;
		break;
	case OPT_FACTOR:
		if (int_parse(arg, 1, UINT32_MAX, &v))
			USAGE(state, "--factor: '%s' is not a factor id", safe(arg));
		a->factor = (uint32_t)v;
		break;
	case OPT_FORCE:
		a->force = 1;
		break;
	case ARGP_KEY_ARG:
		if (a->nargs >= a->max_args)
			USAGE(state, "unexpected argument '%s'", safe(arg));
		if (a->nargs++ == 0)
			a->name = arg;
		else
			a->code = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name && !a->link)
			USAGE(state, "missing account NAME");
		if (a->name && a->link)
			USAGE(state, "--link takes no NAME: the token names the account");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

#define QR_OPTIONS \
	{ "qr", OPT_QR, "FORMAT", 0, "QR code as ansi, utf8 (terminal), png, svg (file, -o -, or " \
	  "inside --json) or none; default on a terminal ansi (utf8 with NO_COLOR or TERM=dumb), " \
	  "or from -o's extension", 0 }, \
	{ "output", 'o', "FILE", 0, "Write the QR code to FILE (created 0600; never overwritten); " \
	  "'-': the QR code alone on standard output", 0 }

static const struct argp_option enroll_options[] = {
	{ "method", OPT_METHOD, "METHOD", 0, "totp (default), hotp, or email / sms (a code is sent to confirm)", 0 },
	{ "algo", OPT_ALGO, "ALGO", 0, "sha1 (default), sha256 or sha512", 0 },
	{ "digits", OPT_DIGITS, "N", 0, "6 (default) or 8", 0 },
	{ "period", OPT_PERIOD, "SECONDS", 0, "TOTP time step (default 30)", 0 },
	{ "issuer", OPT_ISSUER, "TEXT", 0, "Issuer shown in the app (default: config issuer)", 0 },
	{ "label", OPT_LABEL, "TEXT", 0, "Name of this device, e.g. 'phone'", 0 },
	QR_OPTIONS,
	{ 0 }
};

/* Decide the QR format and create -o FILE before anything is changed, so
 * a bad name or an existing file leaves the store as it was. -o - sends
 * the QR code alone to stdout (allowed inside serve: nothing of the
 * server's is written); with --json a PNG or SVG goes inside the object. */
static int prepare_qr(struct enroll_args *a, int *fd)
{
	*fd = -1;
	if (a->out_file && !strcmp(a->out_file, "-")) {
		if (!a->qr_set)
			return fail(EXIT_USAGE, "-o -: name the format with --qr png|svg|utf8|ansi");
		a->out_file = NULL;
		a->qr_stdout = !g.json;
		a->qr_embed = g.json;
		if (a->qr == QR_NONE)
			return fail(EXIT_USAGE, "-o needs a QR format other than none");
	}
	if (!a->qr_set) {
		const char *dot = a->out_file ? strrchr(a->out_file, '.') : NULL;

		if (dot && !strcasecmp(dot, ".png"))
			a->qr = QR_PNG;
		else if (dot && !strcasecmp(dot, ".svg"))
			a->qr = QR_SVG;
		else if (a->out_file)
			return fail(EXIT_USAGE, "-o '%s': name the format with --qr png|svg|utf8|ansi",
			            safe(a->out_file));
		else if (isatty(STDOUT_FILENO) && !g.json && !g.quiet)
			a->qr = plain_terminal() ? QR_UTF8 : QR_ANSI;
		else
			a->qr = QR_NONE;
	}
	if (a->qr == QR_NONE && a->out_file)
		return fail(EXIT_USAGE, "-o needs a QR format other than none");
	if (g.json && !a->out_file && (a->qr == QR_PNG || a->qr == QR_SVG))
		a->qr_embed = 1;
	if (g.json && !a->out_file && (a->qr == QR_ANSI || a->qr == QR_UTF8))
		return fail(EXIT_USAGE, "--qr %s cannot go inside --json: use svg or png",
		            a->qr == QR_ANSI ? "ansi" : "utf8");
	if (!a->out_file && !a->qr_stdout && !a->qr_embed && (a->qr == QR_PNG || a->qr == QR_SVG))
		return fail(EXIT_USAGE, "--qr %s needs -o FILE, -o - or --json", a->qr == QR_PNG ? "png" : "svg");
	if (a->qr_stdout && a->qr == QR_PNG && isatty(STDOUT_FILENO))
		return fail(EXIT_USAGE, "-o -: will not write a PNG image to a terminal");
	if (a->out_file && g.serve)
		return failw(EXIT_USAGE, "forbidden", "-o: a request cannot write files of the server");
	if (a->out_file) {
		*fd = open(a->out_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (*fd < 0)
			return fail(errno == EEXIST || errno == ELOOP ? EXIT_USAGE : EXIT_STORE,
			            "cannot create '%s': %s", safe(a->out_file),
			            errno == EEXIST ? "file exists, not overwritten" : strerror(errno));
	}
	return EXIT_OK;
}

/* The QR code as a JSON string: SVG text or base64 PNG. NULL on failure. */
static json_object *qr_json(const char *uri, enum qr_format fmt)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	json_object *j = NULL;

	if (qr_render(uri, fmt, &buf, &len) != CORE_OK)
		return NULL;
	if (fmt == QR_SVG) {
		j = json_object_new_string_len((const char *)buf, (int)len);
	} else {
		size_t blen = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(blen);

		if (b64) {
			sodium_bin2base64(b64, blen, buf, len, sodium_base64_VARIANT_ORIGINAL);
			j = json_object_new_string(b64);
			sodium_memzero(b64, blen);   /* it encodes the key */
			free(b64);
		}
	}
	sodium_memzero(buf, len);
	free(buf);
	return j;
}

/* Undo prepare_qr after a failure. */
static void abandon_qr(const struct enroll_args *a, int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		unlink(a->out_file);
	}
	*fd = -1;
}

/* Write the QR code (and nothing else) to the prepared file or stdout. */
static int emit_qr(const char *uri, const struct enroll_args *a, int *fd)
{
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	int ret = EXIT_OK;

	if (a->qr == QR_NONE)
		return EXIT_OK;
	if (qr_render(uri, a->qr, &buf, &len) != CORE_OK)
		return fail(EXIT_STORE, "cannot render the QR code");
	if (*fd < 0) {
		fwrite(buf, 1, len, stdout);
		goto out;
	}
	while (off < len) {
		ssize_t w = write(*fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < len || fsync(*fd) < 0) {
		ret = fail(EXIT_STORE, "cannot write '%s': %s", safe(a->out_file), strerror(errno));
		abandon_qr(a, fd);
		goto out;
	}
	if (close(*fd) < 0) {
		*fd = -1;
		ret = fail(EXIT_STORE, "cannot write '%s': %s", safe(a->out_file), strerror(errno));
		unlink(a->out_file);
		goto out;
	}
	*fd = -1;
out:
	sodium_memzero(buf, len);
	free(buf);
	return ret;
}

/* Print what a user needs to add the factor to an app: URI, key, QR. */
static int present(const struct tf_sess *ss, const struct factor *f, const struct enroll_args *a,
                   const char *issuer, int *fd)
{
	char *uri = NULL, b32[2 * OTP_MAX_KEY], grouped[3 * OTP_MAX_KEY];
	int ret;

	if (otpauth_uri(f, issuer, ss->a->name, &uri) != CORE_OK ||
	    b32_encode(f->key, f->keylen, b32, sizeof b32) != CORE_OK ||
	    b32_group(b32, grouped, sizeof grouped) != CORE_OK) {
		ret = fail(EXIT_STORE, "cannot encode the key");
		goto out;
	}
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(ss->a->name));
		json_object_object_add(o, "factor", json_object_new_int64(f->id));
		json_object_object_add(o, "type", json_object_new_string(factor_type_name(f->type)));
		json_object_object_add(o, "status", json_object_new_string(f->status == FS_ACTIVE ? "active" : "pending"));
		json_object_object_add(o, "uri", json_object_new_string(uri));
		json_object_object_add(o, "secret", json_object_new_string(b32));
		json_object_object_add(o, "algorithm", json_object_new_string(otp_algo_name(f->algo)));
		json_object_object_add(o, "digits", json_object_new_int64(f->digits));
		if (f->type == F_TOTP)
			json_object_object_add(o, "period", json_object_new_int64(f->period));
		else
			json_object_object_add(o, "counter", json_object_new_uint64(f->counter));
		json_object_object_add(o, "qr_file", a->out_file ? json_object_new_string(a->out_file) : NULL);
		if (a->qr_embed) {
			json_object *q = qr_json(uri, a->qr);

			if (!q) {
				json_object_put(o);
				ret = fail(EXIT_STORE, "cannot render the QR code");
				goto out;
			}
			json_object_object_add(o, a->qr == QR_SVG ? "qr_svg" : "qr_png_base64", q);
		}
		emit_json(o);
	} else if (a->qr_stdout) {
		/* the QR code alone: nothing else on stdout */
	} else if (g.quiet) {
		printf("%s\n", uri);
	} else {
		printf("account: %s\nfactor:  %u (%s, %s)\nuri:     %s\nkey:     %s\n",
		       ss->a->name, f->id, factor_type_name(f->type),
		       f->status == FS_ACTIVE ? "active" : "pending until confirmed", uri, grouped);
		printf("         %s, %u digits", otp_algo_name(f->algo), f->digits);
		if (f->type == F_TOTP)
			printf(", every %u s\n", f->period);
		else
			printf(", counter %llu\n", (unsigned long long)f->counter);
	}
	fflush(stdout);
	ret = a->qr_embed ? EXIT_OK : emit_qr(uri, a, fd);
	if (!ret && !g.json && !g.quiet && a->out_file)
		printf("QR code written to '%s'\n", a->out_file);
	if (!ret && !g.json && !g.quiet && !a->qr_stdout && f->status == FS_PENDING)
		printf("Scan the QR code or type the key into an authenticator app, then run:\n"
		       "  twofactl confirm %s CODE\n", ss->a->name);
out:
	if (uri) {
		sodium_memzero(uri, strlen(uri));
		free(uri);
	}
	sodium_memzero(b32, sizeof b32);
	sodium_memzero(grouped, sizeof grouped);
	return ret;
}

static const struct argp enroll_argp = {
	enroll_options, parse, "NAME",
	"Enrol an authenticator app: make a random key, print the otpauth:// URI, "
	"the key in groups for manual entry and a QR code. The factor stays pending "
	"until 'twofactl confirm NAME CODE'; enrolling again replaces a pending one. "
	"With --method email or sms a confirmation code is sent to the account's "
	"address or mobile number instead (exit 11 when there is none), and the "
	"session id is printed.",
	common_children, NULL, NULL
};

/* Email or SMS as a method: a pending factor, confirmed by a code sent now. */
struct channel_enrol {
	const struct enroll_args *a;
	enum channel ch;
	uint32_t fid;
};

/* Under the lock, once the code went out: the pending factor (replacing
 * one of the same kind), unless the method became active meanwhile. */
static int add_pending_channel(struct tf_sess *ss, void *ctx)
{
	struct channel_enrol *ce = ctx;
	struct factor *f;

	if (account_channel_factor(ss->a, ce->ch, FS_ACTIVE))
		return fail(EXIT_USAGE, "%s became an active method meanwhile", channel_name(ce->ch));
	for (unsigned i = ss->a->nf; i-- > 0;)
		if (ss->a->f[i].status == FS_PENDING && ss->a->f[i].type == ce->a->method)
			account_factor_del(ss->a, ss->a->f[i].id);
	f = account_factor_add(ss->a, g.now);
	if (!f)
		return fail(EXIT_USAGE, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
	f->type = ce->a->method;
	f->status = FS_PENDING;
	f->digits = OTC_DIGITS;
	if (ce->a->label && core_strlcpy(f->label, ce->a->label, sizeof f->label))
		return fail(EXIT_USAGE, "label too long");
	ce->fid = f->id;
	return EXIT_OK;
}

static int enroll_channel(const struct enroll_args *a)
{
	struct channel_enrol ce = { .a = a, .ch = a->method == F_EMAIL ? CH_EMAIL : CH_SMS };
	struct tf_sess ss;
	char session[4], detail[32];
	unsigned pending = 0;
	int ret;

	if ((ret = sess_begin(&ss, a->name)))
		goto out;
	if (account_channel_factor(ss.a, ce.ch, FS_ACTIVE)) {
		ret = fail(EXIT_USAGE, "%s is already an active method", channel_name(ce.ch));
		goto out;
	}
	if (!destination(g.h, ss.a, ce.ch)) {
		ret = EXIT_NEED_ENROL;
		goto out;
	}
	for (unsigned i = 0; i < ss.a->nf; i++)
		pending += ss.a->f[i].status == FS_PENDING && ss.a->f[i].type == a->method;
	if (ss.a->nf - pending >= ACCT_MAX_FACTORS) {
		ret = fail(EXIT_USAGE, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
		goto out;
	}
	if (a->label && strlen(a->label) > LABEL_MAX) {
		ret = fail(EXIT_USAGE, "label too long");
		goto out;
	}
	/* nothing is saved but the resend slot unless the code reached the server */
	if ((ret = send_code(&ss, ce.ch, P_ENROLL, session, add_pending_channel, &ce)))
		goto out;
	snprintf(detail, sizeof detail, "%s factor %u", channel_name(ce.ch), ce.fid);
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "enroll", a->name, "pending", NULL, detail)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "factor", json_object_new_int64(ce.fid));
		json_object_object_add(o, "type", json_object_new_string(factor_type_name(a->method)));
		json_object_object_add(o, "status", json_object_new_string("pending"));
		json_object_object_add(o, "session", json_object_new_string(session));
		emit_json(o);
	} else if (g.quiet) {
		printf("%s\n", session);
	} else {
		printf("sent a confirmation code by %s to %s: session %s\n"
		       "then run: twofactl confirm %s CODE\n", channel_name(ce.ch),
		       ce.ch == CH_EMAIL ? ss.a->email : ss.a->phone, session, a->name);
	}
out:
	sess_end(&ss);
	return ret;
}

int cmd_enroll(int argc, char **argv)
{
	struct enroll_args a = { .method = F_TOTP, .digits = 6, .period = 30, .max_args = 1 };
	struct tf_sess ss = { 0 };
	struct factor *f;
	int ret, fd = -1;
	char detail[32];

	cmd_parse(&enroll_argp, argc, argv, &a);
	set_ctx("enroll %s", safe(a.name));
	if (a.method == F_EMAIL || a.method == F_SMS) {
		if (a.out_file || a.qr_set)
			return fail(EXIT_USAGE, "--qr and -o are for authenticator apps, not %s",
			            factor_type_name(a.method));
		return enroll_channel(&a);
	}
	if ((ret = check_name(a.name)) || (ret = prepare_qr(&a, &fd)))
		return ret;
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	/* A new enrolment of the same kind replaces one still pending. */
	for (unsigned i = ss.a->nf; i-- > 0;)
		if (ss.a->f[i].status == FS_PENDING && ss.a->f[i].type == a.method)
			account_factor_del(ss.a, ss.a->f[i].id);
	f = account_factor_add(ss.a, g.now);
	if (!f) {
		ret = fail(EXIT_USAGE, "account has %d factors already: disable one first", ACCT_MAX_FACTORS);
		goto out;
	}
	f->type = a.method;
	f->status = FS_PENDING;
	f->algo = a.algo;
	f->digits = a.digits;
	f->period = a.method == F_TOTP ? a.period : 0;
	f->keylen = otp_algo_keylen(a.algo);
	randombytes_buf(f->key, f->keylen);
	if (a.label && core_strlcpy(f->label, a.label, sizeof f->label)) {
		ret = fail(EXIT_USAGE, "label too long");
		goto out;
	}
	snprintf(detail, sizeof detail, "%s factor %u", factor_type_name(f->type), f->id);
	if ((ret = tf_sess_save(&ss)) || (ret = tf_audit(g.h, "enroll", a.name, "pending", NULL, detail)))
		goto out;
	ret = present(&ss, f, &a, a.issuer ? a.issuer : tf_config_issuer(g.h), &fd);
out:
	abandon_qr(&a, &fd);
	sess_end(&ss);
	return ret;
}

/* ---- show ---- */

static const struct argp_option show_options[] = {
	{ "factor", OPT_FACTOR, "ID", 0, "Which factor (default: the newest TOTP/HOTP one)", 0 },
	{ "issuer", OPT_ISSUER, "TEXT", 0, "Issuer shown in the app (default: config issuer)", 0 },
	QR_OPTIONS,
	{ 0 }
};

static const struct argp show_argp = {
	show_options, parse, "NAME",
	"Re-show an account's key, otpauth:// URI and QR code, to add the same "
	"factor to another device or restore an app.", common_children, NULL, NULL
};

static struct factor *pick_otp(struct account *acct, uint32_t id)
{
	struct factor *best = NULL;

	if (id) {
		best = account_factor(acct, id);
		return best && (best->type == F_TOTP || best->type == F_HOTP) ? best : NULL;
	}
	for (unsigned i = 0; i < acct->nf; i++) {
		struct factor *f = &acct->f[i];

		if (f->type != F_TOTP && f->type != F_HOTP)
			continue;
		/* active ones first, then the newest */
		if (!best || (f->status == FS_ACTIVE && best->status != FS_ACTIVE) ||
		    (f->status == best->status && f->id > best->id))
			best = f;
	}
	return best;
}

int cmd_show(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 1 };
	struct tf_sess ss = { 0 };
	struct factor *f;
	char code[CODE_MAX_INPUT + 2];
	/* A front end (serve, not admin) sees a key only with its current code. */
	int need_code = g.serve && g.role != ROLE_ADMIN;
	int ret, fd = -1;

	cmd_parse(&show_argp, argc, argv, &a);
	set_ctx("show %s", safe(a.name));
	if ((ret = check_name(a.name)) || (need_code && (ret = get_code(NULL, code, sizeof code))) ||
	    (ret = prepare_qr(&a, &fd)))
		goto out;
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	f = pick_otp(ss.a, a.factor);
	if (!f) {
		ret = fail(EXIT_NOENT, a.factor ? "no such TOTP/HOTP factor" : "no authenticator app enrolled");
		goto out;
	}
	if (need_code) {
		struct attempt_opts o = { .event = "show", .only_factor = f->id };
		struct auth_outcome res;

		if ((ret = attempt(&ss, code, &o, &res)))
			goto out;
	}
	if ((ret = tf_audit(g.h, "show", a.name, "ok", NULL, NULL)))
		goto out;
	ret = present(&ss, f, &a, a.issuer ? a.issuer : tf_config_issuer(g.h), &fd);
out:
	sodium_memzero(code, sizeof code);
	abandon_qr(&a, &fd);
	sess_end(&ss);
	return ret;
}

/* ---- code ---- */

static const struct argp_option code_options[] = {
	{ "factor", OPT_FACTOR, "ID", 0, "Which factor (default: the newest TOTP/HOTP one)", 0 },
	{ 0 }
};

static const struct argp code_argp = {
	code_options, parse, "NAME",
	"Print the current code of an account's authenticator (for an admin testing "
	"a setup, like oathtool). HOTP: the next code, without using it up.",
	common_children, NULL, NULL
};

int cmd_code(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 1 };
	struct tf_sess ss;
	struct factor *f;
	char code[OTP_MAX_DIGITS + 1];
	int ret, r;

	cmd_parse(&code_argp, argc, argv, &a);
	set_ctx("code %s", safe(a.name));
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	f = pick_otp(ss.a, a.factor);
	if (!f) {
		ret = fail(EXIT_NOENT, a.factor ? "no such TOTP/HOTP factor" : "no authenticator app enrolled");
		goto out;
	}
	if (f->type == F_TOTP)
		r = otp_totp(f->key, f->keylen, f->algo, g.now, f->period, f->digits, code);
	else
		r = otp_hotp(f->key, f->keylen, f->algo, f->counter, f->digits, code);
	if (r != CORE_OK) {
		ret = fail(EXIT_STORE, "cannot compute the code");
		goto out;
	}
	if ((ret = tf_audit(g.h, "code", a.name, "ok", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(a.name));
		json_object_object_add(o, "factor", json_object_new_int64(f->id));
		json_object_object_add(o, "code", json_object_new_string(code));
		if (f->type == F_TOTP)
			json_object_object_add(o, "valid_for", json_object_new_int64(
				(int64_t)f->period - g.now % (int64_t)f->period));
		emit_json(o);
	} else {
		printf("%s\n", code);
	}
	sodium_memzero(code, sizeof code);
out:
	sess_end(&ss);
	return ret;
}

/* ---- confirm ---- */

static const struct argp_option confirm_options[] = {
	{ "factor", OPT_FACTOR, "ID", 0, "Which pending factor (default: the newest)", 0 },
	{ "sms-code", OPT_SMS_CODE, "CODE", 0, "The code sent by SMS ('send NAME --via sms "
	  "--purpose confirm'): needed to link an app to an account whose active method is SMS; "
	  "'-' reads it from standard input (after CODE, when that comes from there too)", 0 },
	{ "by-link", OPT_BYLINK, NULL, 0, "Check the code, then email a link (activate.url with "
	  "{token}) that completes the activation (seed 001); the factor stays pending until then", 0 },
	{ "link", OPT_LINK, NULL, 0, "Complete an activation with the link's token, read from "
	  "standard input", 0 },
	{ 0 }
};

static const struct argp confirm_argp = {
	confirm_options, parse, "NAME [CODE]",
	"Activate a pending factor with a code it shows (read from standard input "
	"when CODE is absent or '-'), or the code sent by email or SMS for a pending "
	"email/SMS method, which then gets a success message. When the account has "
	"no backup codes, ten fresh ones are printed, once: keep them offline.",
	common_children, NULL, NULL
};

static int print_backup(const char *name, char (*codes)[BACKUP_DISPLAY], unsigned n,
                        json_object *o)
{
	if (g.json) {
		json_object *arr = json_object_new_array();

		for (unsigned i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(codes[i]));
		json_object_object_add(o, "backup_codes", arr);
		return 0;
	}
	if (!g.quiet)
		printf("backup codes for '%s' (each works once; they are not shown again):\n", name);
	for (unsigned i = 0; i < n; i++)
		printf("%s\n", codes[i]);
	return 0;
}

/* confirm --by-link: the code was right (and its use saved); email the link
 * that activates, without holding the account's lock while it goes out. */
static int send_activation(struct tf_sess *ss, uint32_t fid)
{
	struct account *snap = NULL;
	struct factor *f;
	char token[ACCT_NAME_MAX + 64], *url = NULL;
	uint8_t hash[CODE_HASH_BYTES];
	uint32_t epoch = ss->a->sent_epoch;
	int64_t ttl;
	int ret;

	if (!destination(g.h, ss->a, CH_EMAIL))
		return EXIT_NEED_ENROL;
	if ((ret = tf_config_duration(g.h, "enroll.ttl", 86400, &ttl)) ||
	    (ret = link_token_make(ss, "activate", token, sizeof token, hash)) ||
	    (ret = link_token_url(g.h, "activate.url", token, &url)))
		goto out;
	if (!(snap = account_new())) {
		ret = fail(EXIT_STORE, "cannot allocate secure memory");
		goto out;
	}
	memcpy(snap, ss->a, sizeof *snap);
	tf_sess_release(ss);
	{
		struct msg_var v[] = { { "name", snap->name }, { "issuer", tf_config_issuer(g.h) }, { "url", url } };

		if ((ret = deliver(g.h, snap, CH_EMAIL, "activate", v, 3)))
			goto out;
	}
	if ((ret = tf_sess_retake(ss)))
		goto out;
	f = account_factor(ss->a, fid);
	if (!f || f->status != FS_PENDING || strcmp(ss->a->email, snap->email) || ss->a->sent_epoch != epoch) {
		ret = fail(EXIT_DELIVERY, "the enrolment or the address changed while the message was sent: "
		           "nothing recorded, confirm again");
		goto out;
	}
	memcpy(ss->a->act_hash, hash, sizeof hash);
	ss->a->act_expires = g.now + ttl;
	ss->a->act_factor = fid;
	if ((ret = tf_sess_save(ss)) || (ret = tf_audit(g.h, "confirm.link-sent", ss->name, "pending", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(ss->a->name));
		json_object_object_add(o, "factor", json_object_new_int64(fid));
		json_object_object_add(o, "status", json_object_new_string("pending"));
		json_object_object_add(o, "link_expires", json_object_new_int64(ss->a->act_expires));
		emit_json(o);
	} else if (!g.quiet) {
		printf("code accepted; the activation link was sent to %s\n", ss->a->email);
	}
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(hash, sizeof hash);
	if (url) {
		sodium_memzero(url, strlen(url));
		free(url);
	}
	account_free(snap);
	return ret;
}

/* confirm --link: the token from the emailed link activates the factor. */
static int confirm_link(void)
{
	struct tf_sess ss = { 0 };
	struct factor *f;
	char *in = sodium_malloc(ACCT_NAME_MAX + 80), *secret, (*codes)[BACKUP_DISPLAY] = NULL;
	unsigned nb = 0;
	int ret;

	set_ctx("confirm --link");
	if (!in)
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if ((ret = read_stdin_line(in, ACCT_NAME_MAX + 80, "activation token")))
		goto done;
	if (!(secret = link_token_split(in))) {
		ret = fail(EXIT_USAGE, "malformed activation token");
		goto done;
	}
	set_ctx("confirm --link %s", safe(in));
	if ((ret = sess_begin(&ss, in)))
		goto done;
	if (!ss.a->act_expires || g.now >= ss.a->act_expires ||
	    !link_token_matches(&ss, "activate", secret, ss.a->act_hash) ||
	    !(f = account_factor(ss.a, ss.a->act_factor)) || f->status != FS_PENDING) {
		if (!(ret = tf_audit(g.h, "confirm.link", ss.a->name, "rejected", NULL, NULL)))
			ret = fail(EXIT_REJECTED, "the activation link is not valid (wrong, used or expired)");
		goto done;
	}
	f->status = FS_ACTIVE;
	f->confirmed = g.now;
	ss.a->must_enrol = 0;   /* enrolled again after a recovery */
	ss.a->act_expires = 0;
	ss.a->act_factor = 0;
	sodium_memzero(ss.a->act_hash, sizeof ss.a->act_hash);
	if (ss.a->nbackup == 0) {
		nb = ACCT_BACKUP_DEFAULT;
		codes = sodium_malloc(sizeof *codes * nb);
		if (!codes || auth_issue_backup(ss.a, nb, ss.a->code_key, tf_acct_ctx(&ss), codes, g.now)) {
			ret = fail(EXIT_STORE, "cannot make backup codes");
			goto done;
		}
	}
	/* the backup codes are shown once: written out before anything is kept */
	if (g.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(ss.a->name));
		json_object_object_add(j, "factor", json_object_new_int64(f->id));
		json_object_object_add(j, "type", json_object_new_string(factor_type_name(f->type)));
		json_object_object_add(j, "status", json_object_new_string("active"));
		if (nb)
			print_backup(ss.a->name, codes, nb, j);
		emit_json(j);
	} else {
		if (!g.quiet)
			printf("factor %u of '%s' is active\n", f->id, ss.a->name);
		if (nb)
			print_backup(ss.a->name, codes, nb, NULL);
	}
	if ((ret = out_flush()) || (ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, "confirm", ss.a->name, "active", NULL, "by link")))
		goto done;
done:
	if (codes)
		sodium_free(codes);
	sess_end(&ss);
	sodium_free(in);
	return ret;
}

int cmd_confirm(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 2 };
	struct attempt_opts o = { .event = "confirm", .defer = 1 };
	struct attempt_opts so = { .event = "confirm.sms", .only_factor = UINT32_MAX, .defer = 1,
	                           .otc_purposes = 1u << P_CONFIRM, .otc_channels = 1u << CH_SMS };
	struct auth_outcome out, sout;
	struct tf_sess ss = { 0 };
	struct factor *f = NULL;
	char code[CODE_MAX_INPUT + 2], sms[CODE_MAX_INPUT + 2] = "", ctx[80];
	char (*codes)[BACKUP_DISPLAY] = NULL;
	unsigned nb = 0;
	uint32_t fid;
	int64_t ttl;
	int ret, with_sms = 0;

	cmd_parse(&confirm_argp, argc, argv, &a);
	if (a.link)
		return confirm_link();
	set_ctx("confirm %s", safe(a.name));
	/* CODE from argv or the first line of stdin; --sms-code - from the next */
	if ((ret = check_name(a.name)) || (ret = get_code(a.code, code, sizeof code)))
		goto out;
	if (a.sms_code && (ret = !strcmp(a.sms_code, "-") ? read_stdin_line(sms, sizeof sms, "SMS code") :
	                          get_code(a.sms_code, sms, sizeof sms)))
		goto out;
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	for (unsigned i = 0; i < ss.a->nf; i++) {
		struct factor *c = &ss.a->f[i];

		if (c->status == FS_PENDING && (a.factor ? c->id == a.factor : (!f || c->id > f->id)))
			f = c;
	}
	if (!f) {
		ret = fail(EXIT_NOENT, "no pending enrolment: run twofactl enroll first");
		goto out;
	}
	if ((ret = tf_config_duration(g.h, "enroll.ttl", 86400, &ttl)))
		goto out;
	if (g.now - f->created > ttl) {
		ret = fail(EXIT_NOENT, "the pending enrolment expired: run twofactl enroll again");
		goto out;
	}
	if ((f->type == F_TOTP || f->type == F_HOTP) && account_channel_factor(ss.a, CH_SMS, FS_ACTIVE)) {
		/* seed 002: linking an app to an SMS account needs the SMS code too */
		if (!sms[0]) {
			ret = fail(EXIT_USAGE, "the account's active method is SMS: give --sms-code "
			           "(send one with: twofactl send %s --via sms --purpose confirm)", a.name);
			goto out;
		}
		if ((ret = attempt(&ss, sms, &so, &sout)))
			goto out;
		with_sms = 1;
	}
	if (f->type == F_EMAIL || f->type == F_SMS) {
		o.otc_purposes = 1u << P_ENROLL;
		o.otc_channels = 1u << (f->type == F_EMAIL ? CH_EMAIL : CH_SMS);
	}
	fid = f->id;
	o.only_factor = fid;
	if ((ret = attempt(&ss, code, &o, &out)))
		goto out;
	if (a.by_link) {   /* the codes are spent; the link finishes the activation */
		if ((ret = tf_sess_save(&ss)) || (with_sms && (ret = attempt_audit(&ss, &so, &sout))) ||
		    (ret = attempt_audit(&ss, &o, &out)))
			goto out;
		ret = send_activation(&ss, fid);
		goto out;
	}
	f = account_factor(ss.a, fid);
	f->status = FS_ACTIVE;
	f->confirmed = g.now;
	ss.a->must_enrol = 0;   /* enrolled again after a recovery */
	if (ss.a->nbackup == 0) {
		nb = ACCT_BACKUP_DEFAULT;
		codes = sodium_malloc(sizeof *codes * nb);
		snprintf(ctx, sizeof ctx, "%s", tf_acct_ctx(&ss));
		if (!codes || auth_issue_backup(ss.a, nb, ss.a->code_key, ctx, codes, g.now)) {
			ret = fail(EXIT_STORE, "cannot make backup codes");
			goto out;
		}
	}
	/* the backup codes are shown once: written out before the activation
	 * (and the codes it spends) is kept */
	if (g.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(a.name));
		json_object_object_add(j, "factor", json_object_new_int64(f->id));
		json_object_object_add(j, "type", json_object_new_string(factor_type_name(f->type)));
		json_object_object_add(j, "status", json_object_new_string("active"));
		if (nb)
			print_backup(a.name, codes, nb, j);
		emit_json(j);
	} else {
		if (!g.quiet)
			printf("factor %u of '%s' is active\n", f->id, a.name);
		if (nb)
			print_backup(a.name, codes, nb, NULL);
	}
	if ((ret = out_flush()) || (ret = tf_sess_save(&ss)) ||
	    (with_sms && (ret = attempt_audit(&ss, &so, &sout))) || (ret = attempt_audit(&ss, &o, &out)) ||
	    (ret = tf_audit(g.h, "confirm", a.name, "active", NULL, NULL)))
		goto out;
	if (f->type == F_EMAIL || f->type == F_SMS) {
		/* seed 003: the user is told the method is on; a failed notice does
		 * not undo the activation, and the account is not held meanwhile */
		struct msg_var v[] = { { "name", a.name }, { "issuer", tf_config_issuer(g.h) },
		                       { "method", factor_type_name(f->type) } };

		tf_sess_release(&ss);
		if (deliver(g.h, ss.a, f->type == F_EMAIL ? CH_EMAIL : CH_SMS, "success", v, 3))
			fprintf(stderr, "twofactl: %s: warning: the method is active, but the success "
			        "message was not delivered\n", g.ctx);
	}
out:
	sodium_memzero(code, sizeof code);
	sodium_memzero(sms, sizeof sms);
	if (codes)
		sodium_free(codes);
	sess_end(&ss);
	return ret;
}

/* ---- disable ---- */

static const struct argp_option disable_options[] = {
	{ "factor", OPT_FACTOR, "ID", 0, "Remove only this factor", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Administrator override: no code needed (audited)", 0 },
	{ 0 }
};

static const struct argp disable_argp = {
	disable_options, parse, "NAME [CODE]",
	"Turn two-factor authentication off for an account: remove its factors and "
	"backup codes. Needs a valid code (from standard input when CODE is absent "
	"or '-') unless --force, the administrator's override, which is audited.",
	common_children, NULL, NULL
};

int cmd_disable(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 2 };
	struct attempt_opts o = { .event = "disable.verify", .allow_backup = 1,
	                          .otc_purposes = 1u << P_CONFIRM };
	struct auth_outcome out;
	struct tf_sess ss;
	char code[CODE_MAX_INPUT + 2];
	unsigned removed = 0;
	int ret;

	cmd_parse(&disable_argp, argc, argv, &a);
	set_ctx("disable %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (a.force && a.code)
		return fail(EXIT_USAGE, "give a CODE or --force, not both");
	if (a.force && (ret = allow_force()))
		return ret;
	if (!a.force && (ret = get_code(a.code, code, sizeof code)))
		return ret;
	if ((ret = sess_begin(&ss, a.name)))
		goto out;
	if (a.factor && !account_factor(ss.a, a.factor)) {
		ret = fail(EXIT_NOENT, "no such factor %u", a.factor);
		goto out;
	}
	if (!a.factor && ss.a->nf == 0 && ss.a->nbackup == 0) {
		ret = fail(EXIT_NOENT, "two-factor authentication is not enabled");
		goto out;
	}
	if (!a.force && (ret = attempt(&ss, code, &o, &out)))
		goto out;
	if (a.factor) {
		account_factor_del(ss.a, a.factor);
		removed = 1;
	} else {
		removed = ss.a->nf;
		while (ss.a->nf)
			account_factor_del(ss.a, ss.a->f[0].id);
	}
	auth_revoke_sent(ss.a);   /* codes and links sent so far die with the factor */
	if (account_active_count(ss.a) == 0) {
		sodium_memzero(ss.a->backup, sizeof ss.a->backup);
		ss.a->nbackup = 0;
		sodium_memzero(ss.a->backup_used, sizeof ss.a->backup_used);
		ss.a->nbackup_used = 0;
	}
	if ((ret = tf_sess_save(&ss)) ||
	    (ret = tf_audit(g.h, a.force ? "disable.force" : "disable", a.name, "ok", NULL, NULL)))
		goto out;
	if (g.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(a.name));
		json_object_object_add(j, "removed", json_object_new_int64(removed));
		json_object_object_add(j, "enabled", json_object_new_boolean(account_active_count(ss.a) > 0));
		json_object_object_add(j, "forced", json_object_new_boolean(a.force));
		emit_json(j);
	} else if (!g.quiet) {
		printf("removed %u factor%s of '%s'; two-factor authentication is %s\n", removed,
		       removed == 1 ? "" : "s", a.name, account_active_count(ss.a) ? "still on" : "off");
	}
out:
	sodium_memzero(code, sizeof code);
	sess_end(&ss);
	return ret;
}
