/* SPDX-License-Identifier: ISC */
/* twofactl enroll | confirm | show | code | disable */
#include "cmd/cmd.h"
#include "core/b32.h"
#include "core/qr.h"
#include "core/role.h"

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
	tf_method method;
	tf_otp_algo algo;
	unsigned digits, period;
	uint32_t factor;
	enum qr_format qr;
	int qr_set, force, nargs, max_args, by_link, link;
	int qr_stdout;               /* -o -: the QR code alone on stdout */
	int qr_embed;                /* --json: the QR code inside the object */
};

enum { OPT_METHOD = 0x400, OPT_ALGO, OPT_DIGITS, OPT_PERIOD, OPT_ISSUER, OPT_QR, OPT_LABEL,
       OPT_FACTOR, OPT_FORCE, OPT_SMS_CODE, OPT_BYLINK, OPT_LINK };

static int method_parse(const char *s, tf_method *m)
{
	static const char *const names[] = { "totp", "hotp", "email", "sms" };
	static const tf_method methods[] = { TF_METHOD_TOTP, TF_METHOD_HOTP, TF_METHOD_EMAIL, TF_METHOD_SMS };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i])) {
			*m = methods[i];
			return 0;
		}
	return -1;
}

static int algo_parse(const char *s, tf_otp_algo *a)
{
	if (!strcasecmp(s, "sha1"))
		*a = TF_ALGO_SHA1;
	else if (!strcasecmp(s, "sha256"))
		*a = TF_ALGO_SHA256;
	else if (!strcasecmp(s, "sha512"))
		*a = TF_ALGO_SHA512;
	else
		return -1;
	return 0;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct enroll_args *a = state->input;
	int64_t v;

	switch (key) {
	case OPT_METHOD:
		if (method_parse(arg, &a->method))
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
		if (algo_parse(arg, &a->algo))
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
		else if (out_isatty(g.out) && !g.json && !g.quiet)
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
	if (a->qr_stdout && a->qr == QR_PNG && out_isatty(g.out))
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
		fwrite(buf, 1, len, g.out);
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

/* A string field of a result ("" when absent). */
static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static int64_t field_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* What a user needs to add an app's factor: URI, key, QR. The QR code goes
 * to the file prepared, to stdout, or (--json) inside the object. */
struct present_out {
	struct enroll_args *a;
	int fd;
};

static int present(struct present_out *p, json_object *o)
{
	const struct enroll_args *a = p->a;
	const char *uri = field(o, "uri"), *name = field(o, "name");
	int pending = strcmp(field(o, "status"), "active") != 0, ret;

	if (g.json) {
		json_object_object_add(o, "qr_file", a->out_file ? json_object_new_string(a->out_file) : NULL);
		if (a->qr_embed) {
			json_object *q = qr_json(uri, a->qr);

			if (!q)
				return fail(EXIT_STORE, "cannot render the QR code");
			json_object_object_add(o, a->qr == QR_SVG ? "qr_svg" : "qr_png_base64", q);
		}
		emit_json(json_object_get(o));
	} else if (a->qr_stdout) {
		/* the QR code alone: nothing else on stdout */
	} else if (g.quiet) {
		fprintf(g.out, "%s\n", uri);
	} else {
		char grouped[3 * OTP_MAX_KEY];

		if (b32_group(field(o, "secret"), grouped, sizeof grouped) != CORE_OK)
			return fail(EXIT_STORE, "cannot encode the key");
		fprintf(g.out, "account: %s\nfactor:  %lld (%s, %s)\nuri:     %s\nkey:     %s\n",
		       name, (long long)field_int(o, "factor"), field(o, "type"),
		       pending ? "pending until confirmed" : "active", uri, grouped);
		sodium_memzero(grouped, sizeof grouped);
		fprintf(g.out, "         %s, %lld digits", field(o, "algorithm"), (long long)field_int(o, "digits"));
		if (json_object_object_get_ex(o, "period", NULL))
			fprintf(g.out, ", every %lld s\n", (long long)field_int(o, "period"));
		else
			fprintf(g.out, ", counter %llu\n", (unsigned long long)json_object_get_uint64(
			       json_object_object_get(o, "counter")));
	}
	fflush(g.out);
	ret = a->qr_embed ? EXIT_OK : emit_qr(uri, a, &p->fd);
	if (!ret && !g.json && !g.quiet && a->out_file)
		fprintf(g.out, "QR code written to '%s'\n", a->out_file);
	if (!ret && !g.json && !g.quiet && !a->qr_stdout && pending)
		fprintf(g.out, "Scan the QR code or type the key into an authenticator app, then run:\n"
		       "  twofactl confirm %s CODE\n", name);
	return ret;
}

static int present_result(void *ctx, json_object *o)
{
	return present(ctx, o);
}

/* enroll --method email|sms: the session id of the message sent. */
static void render_channel(json_object *o)
{
	if (g.quiet)
		fprintf(g.out, "%s\n", field(o, "session"));
	else
		fprintf(g.out, "sent a confirmation code by %s to %s: session %s\n"
		       "then run: twofactl confirm %s CODE\n", field(o, "type"), field(o, "to"),
		       field(o, "session"), field(o, "name"));
}

static int enroll_channel(const struct enroll_args *a)
{
	char code[STEPUP_MAX];
	tf *h = NULL;
	int ret;

	if (!(ret = check_name(a->name)) && !(ret = read_stepup(code, sizeof code, 0)) && !(ret = cli_open(&h)))
		ret = tf_enroll(h, &(struct tf_enroll_args){ .name = a->name, .method = a->method, .label = a->label,
		                .stepup = code },
		                &(const struct tf_sink){ cli_result_without_to, NULL, &(struct cli_out){ render_channel } });
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}

int cmd_enroll(int argc, char **argv)
{
	struct enroll_args a = { .method = TF_METHOD_TOTP, .digits = 6, .period = 30, .max_args = 1 };
	struct present_out p = { .a = &a, .fd = -1 };
	char code[STEPUP_MAX] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&enroll_argp, argc, argv, &a);
	set_ctx("enroll %s", safe(a.name));
	if (a.method == TF_METHOD_EMAIL || a.method == TF_METHOD_SMS) {
		if (a.out_file || a.qr_set)
			return fail(EXIT_USAGE, "--qr and -o are for authenticator apps, not %s",
			            a.method == TF_METHOD_EMAIL ? "email" : "sms");
		return enroll_channel(&a);
	}
	if ((ret = check_name(a.name)) || (ret = read_stepup(code, sizeof code, 0)) || (ret = prepare_qr(&a, &p.fd)))
		goto out;
	if (!(ret = cli_open(&h)))
		ret = tf_enroll(h, &(struct tf_enroll_args){ .name = a.name, .method = a.method, .algo = a.algo,
		                .digits = a.digits, .period = a.period, .issuer = a.issuer, .label = a.label,
		                .stepup = code }, &(const struct tf_sink){ present_result, NULL, &p });
	cli_close(h);
	abandon_qr(&a, &p.fd);
out:
	sodium_memzero(code, sizeof code);
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

int cmd_show(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 1 };
	struct present_out p = { .a = &a, .fd = -1 };
	char code[CODE_MAX_INPUT + 2] = "";
	/* A front end (serve, not admin) sees a key only with its current code. */
	int need_code = g.serve && g.role != ROLE_ADMIN;
	tf *h = NULL;
	int ret;

	CMD_PARSE(&show_argp, argc, argv, &a);
	set_ctx("show %s", safe(a.name));
	if ((ret = check_name(a.name)) || (need_code && (ret = get_code(NULL, code, sizeof code))) ||
	    (ret = prepare_qr(&a, &p.fd)))
		goto out;
	if (!(ret = cli_open(&h)))
		ret = tf_show(h, &(struct tf_show_args){ .name = a.name, .factor = a.factor, .issuer = a.issuer,
		              .code = need_code ? code : NULL }, &(const struct tf_sink){ present_result, NULL, &p });
	cli_close(h);
out:
	sodium_memzero(code, sizeof code);
	abandon_qr(&a, &p.fd);
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

static void render_code(json_object *o)
{
	fprintf(g.out, "%s\n", field(o, "code"));
}

int cmd_code(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 1 };
	tf *h = NULL;
	int ret;

	CMD_PARSE(&code_argp, argc, argv, &a);
	set_ctx("code %s", safe(a.name));
	if ((ret = check_name(a.name)) || (ret = cli_open(&h)))
		return ret;
	ret = tf_code(h, &(struct tf_code_args){ .name = a.name, .factor = a.factor },
	              &(const struct tf_sink){ cli_result, NULL, &(struct cli_out){ render_code } });
	cli_close(h);
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

/* The factor is active (and the backup codes, when there are new ones), or
 * with --by-link, where the activation link went. */
static void render_confirm(json_object *o)
{
	json_object *codes;
	const char *name = field(o, "name");

	if (json_object_object_get_ex(o, "link_expires", NULL)) {
		if (!g.quiet)
			fprintf(g.out, "code accepted; the activation link was sent to %s\n", field(o, "to"));
		return;
	}
	if (!g.quiet)
		fprintf(g.out, "factor %lld of '%s' is active\n", (long long)field_int(o, "factor"), name);
	if (!json_object_object_get_ex(o, "backup_codes", &codes))
		return;
	if (!g.quiet)
		fprintf(g.out, "backup codes for '%s' (each works once; they are not shown again):\n", name);
	for (size_t i = 0; i < json_object_array_length(codes); i++)
		fprintf(g.out, "%s\n", json_object_get_string(json_object_array_get_idx(codes, i)));
}

#define CONFIRM_SINK (&(const struct tf_sink){ cli_result_without_to, cli_flush, &(struct cli_out){ render_confirm } })

/* The shape of an activation token, "NAME:" and 43 characters: the name,
 * for messages, or -1 when it is not one. */
static int token_name(const char *in, char *name, size_t cap)
{
	const char *colon = strrchr(in, ':');
	size_t n = colon ? (size_t)(colon - in) : 0;

	if (!colon || !n || strlen(colon + 1) != 43 || n >= cap)
		return -1;
	memcpy(name, in, n);
	name[n] = '\0';
	return 0;
}

/* confirm --link: the token from the emailed link activates the factor. */
static int confirm_link(void)
{
	char *in = sodium_malloc(ACCT_NAME_MAX + 80), name[ACCT_NAME_MAX + 80];
	tf *h = NULL;
	int ret;

	set_ctx("confirm --link");
	if (!in)
		return fail(EXIT_STORE, "cannot allocate secure memory");
	if ((ret = read_stdin_line(in, ACCT_NAME_MAX + 80, "activation token")))
		goto done;
	if (token_name(in, name, sizeof name)) {
		ret = fail(EXIT_USAGE, "malformed activation token");
		goto done;
	}
	set_ctx("confirm --link %s", safe(name));
	if ((ret = check_name(name)) || (ret = cli_open(&h)))
		goto done;
	ret = tf_confirm_link(h, &(struct tf_confirm_link_args){ .token = in }, CONFIRM_SINK);
	cli_close(h);
done:
	sodium_free(in);
	return ret;
}

int cmd_confirm(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 2 };
	char code[CODE_MAX_INPUT + 2] = "", sms[CODE_MAX_INPUT + 2] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&confirm_argp, argc, argv, &a);
	if (a.link)
		return confirm_link();
	set_ctx("confirm %s", safe(a.name));
	/* CODE from argv or the first line of stdin; --sms-code - from the next */
	if ((ret = check_name(a.name)) || (ret = get_code(a.code, code, sizeof code)))
		goto out;
	if (a.sms_code && (ret = !strcmp(a.sms_code, "-") ? read_stdin_line(sms, sizeof sms, "SMS code") :
	                          get_code(a.sms_code, sms, sizeof sms)))
		goto out;
	if (!(ret = cli_open(&h)))
		ret = tf_confirm(h, &(struct tf_confirm_args){ .name = a.name, .code = code,
		                 .sms_code = sms[0] ? sms : NULL, .factor = a.factor, .by_link = a.by_link },
		                 CONFIRM_SINK);
	cli_close(h);
out:
	sodium_memzero(code, sizeof code);
	sodium_memzero(sms, sizeof sms);
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

static void render_disable(json_object *o)
{
	int64_t removed = field_int(o, "removed");

	if (!g.quiet)
		fprintf(g.out, "removed %lld factor%s of '%s'; two-factor authentication is %s\n", (long long)removed,
		       removed == 1 ? "" : "s", field(o, "name"),
		       json_object_get_boolean(json_object_object_get(o, "enabled")) ? "still on" : "off");
}

int cmd_disable(int argc, char **argv)
{
	struct enroll_args a = { .max_args = 2 };
	char code[CODE_MAX_INPUT + 2] = "";
	tf *h = NULL;
	int ret;

	CMD_PARSE(&disable_argp, argc, argv, &a);
	set_ctx("disable %s", safe(a.name));
	if ((ret = check_name(a.name)))
		return ret;
	if (a.force && a.code)
		return fail(EXIT_USAGE, "give a CODE or --force, not both");
	if (!a.force && (ret = get_code(a.code, code, sizeof code)))
		return ret;
	if (!(ret = cli_open(&h)))
		ret = tf_disable(h, &(struct tf_disable_args){ .name = a.name, .code = a.force ? NULL : code,
		                 .factor = a.factor, .force = a.force }, CLI_SINK(render_disable));
	cli_close(h);
	sodium_memzero(code, sizeof code);
	return ret;
}
