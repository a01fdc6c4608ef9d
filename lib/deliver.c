/* SPDX-License-Identifier: ISC */
/* lib/deliver.c — messages: templates from share/templates/<lang>/,
 * delivered through core/transport (SMTP, HTTP gateway, or a spool
 * directory). */
#include "lib/shared.h"
#include "core/timefmt.h"
#include "core/transport.h"
#include "core/url.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TWOFACTL_DATADIR
#define TWOFACTL_DATADIR "/usr/local/share/twofactl"
#endif

const char *destination(tf *h, const struct account *a, enum channel ch)
{
	if (ch == CH_EMAIL && a->email[0])
		return a->email;
	if (ch == CH_SMS && a->phone[0])
		return a->phone;
	if (ch == CH_SMS)
		tf_fail(h, TF_NEED_ENROL, NULL, "no mobile number known for %s: set one with user set --phone", a->name);
	else
		tf_fail(h, TF_NEED_ENROL, NULL, "no email address known for %s: set one with user set --email", a->name);
	return NULL;
}

/* Read a small text file whole (templates, the password and header files). */
static char *slurp(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf) {
		n = read(fd, buf, (size_t)st.st_size);
		if (n < 0) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	close(fd);
	return buf;
}

/* Where templates are looked for, in this order: config templates.dir; the
 * share directory next to the binary (BINDIR/../share/twofactl/templates,
 * so an install under another PREFIX than the build's still finds them);
 * the source tree when the binary was built there (./twofactl, which an
 * older install at DATADIR must not shadow); the compiled-in DATADIR. */
#define TEMPLATE_DIRS 4

static void template_dirs(tf *h, const char *dirs[TEMPLATE_DIRS], char exe[2][PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", exe[0], PATH_MAX - 32);
	int k = 0;

	for (int i = 0; i < TEMPLATE_DIRS; i++)
		dirs[i] = NULL;
	if (store_config_get(h->s, "templates.dir"))
		dirs[k++] = store_config_get(h->s, "templates.dir");
	if (n > 0) {
		char *slash;

		exe[0][n] = '\0';
		slash = strrchr(exe[0], '/');
		if (slash) {
			size_t len = (size_t)(slash - exe[0]);

			memcpy(exe[1], exe[0], len);
			strcpy(exe[1] + len, "/share/templates");
			strcpy(slash, "/../share/twofactl/templates");
			dirs[k++] = exe[0];
			dirs[k++] = exe[1];
		}
	}
	dirs[k] = TWOFACTL_DATADIR "/templates";
}

static char *load_template(tf *h, const char *lang, const char *name)
{
	const char *dirs[TEMPLATE_DIRS], *langs[2] = { lang, "en" };
	char exe[2][PATH_MAX], path[PATH_MAX + 64];

	template_dirs(h, dirs, exe);
	for (int l = 0; l < 2; l++)
		for (int d = 0; d < TEMPLATE_DIRS && dirs[d]; d++) {
			char *t;

			if (!langs[l] || !langs[l][0])
				continue;
			snprintf(path, sizeof path, "%s/%s/%s", dirs[d], langs[l], name);
			if ((t = slurp(path, 16384)))
				return t;
		}
	return NULL;
}

/* First line of a secret file, in sodium_malloc'd memory. */
static char *secret_line(const char *path)
{
	char *raw = slurp(path, 4096), *nl, *sec;
	size_t n;

	if (!raw)
		return NULL;
	nl = strpbrk(raw, "\r\n");
	if (nl)
		*nl = '\0';
	n = strlen(raw);
	sec = sodium_malloc(n + 1);
	if (sec)
		memcpy(sec, raw, n + 1);
	sodium_memzero(raw, n);
	free(raw);
	return sec;
}

static int timeout_ms(tf *h, long *ms)
{
	int64_t t;
	int ret = tf_config_duration(h, "delivery.timeout", 10, &t);

	*ms = (long)t * 1000;
	return ret;
}

/* STARTTLS on smtp://: "try" (the default) uses it when the server offers
 * it, but credentials never cross the network in clear: with smtp.user set
 * it is required, unless the administrator set smtp.tls none explicitly. */
static enum tp_tls smtp_tls_mode(const char *tls, int credentials)
{
	if (tls && !strcmp(tls, "none"))
		return TP_TLS_NONE;
	if ((tls && !strcmp(tls, "starttls")) || credentials)
		return TP_TLS_REQUIRE;
	return TP_TLS_TRY;
}

static int deliver_email(tf *h, const struct account *a, char *text)
{
	const char *url = store_config_get(h->s, "smtp.url"), *from = store_config_get(h->s, "smtp.from");
	const char *pwfile = store_config_get(h->s, "smtp.password_file"), *tls = store_config_get(h->s, "smtp.tls");
	const char *subject, *body;
	char *msg = NULL, *pw = NULL, err[512] = "", shown[256];
	size_t len = 0;
	int ret;

	if (!url)
		return tf_fail(h, TF_DELIVERY, NULL, "no email transport: set smtp.url (smtp://, smtps:// or spool:/DIR)");
	if (!from)
		from = "twofactl@localhost";
	if (msg_split(text, &subject, &body) != CORE_OK)
		return tf_fail(h, TF_STORE, NULL, "email template has no 'Subject:' line");
	if (msg_email(from, a->email, subject, body, tf_now(h), strchr(from, '@') ? strchr(from, '@') + 1 : "localhost",
	              &msg, &len) != CORE_OK)
		return tf_fail(h, TF_STORE, NULL, "cannot build the email");
	if (!strncmp(url, "spool:", 6)) {
		ret = tp_spool(url + 6, ".eml", msg, len, err, sizeof err)
		      ? tf_fail(h, TF_DELIVERY, NULL, "delivery failed: %s", err) : TF_OK;
		goto out;
	}
	if (pwfile && !(pw = secret_line(pwfile))) {
		ret = tf_fail(h, TF_DELIVERY, NULL, "cannot read smtp.password_file '%s': %s", pwfile, strerror(errno));
		goto out;
	}
	{
		const char *user = store_config_get(h->s, "smtp.user");
		struct tp_smtp c = {
			.url = url, .from = from, .user = user, .password = pw,
			/* credentials in the URL are credentials too: never in clear */
			.tls = smtp_tls_mode(tls, user != NULL || url_has_userinfo(url)),
			.ca_file = store_config_get(h->s, "smtp.ca_file"),
		};

		if ((ret = timeout_ms(h, &c.timeout_ms)))
			goto out;
		url_redact(url, shown, sizeof shown);
		ret = tp_mail(&c, a->email, msg, len, err, sizeof err)
		      ? tf_fail(h, TF_DELIVERY, NULL, "delivery failed: %s: %s", shown, err) : TF_OK;
	}
out:
	if (pw)
		sodium_free(pw);
	if (msg) {
		sodium_memzero(msg, len);
		free(msg);
	}
	return ret;
}

static int deliver_sms(tf *h, const struct account *a, const char *text)
{
	const char *url = store_config_get(h->s, "sms.url"), *hfile = store_config_get(h->s, "sms.header_file");
	const char *method = store_config_get(h->s, "sms.method");
	const char *tpl = store_config_get(h->s, "sms.body");
	char *to = NULL, *txt = NULL, *body = NULL, *hdr = NULL, err[512] = "", shown[256];
	int ret;

	if (!url)
		return tf_fail(h, TF_DELIVERY, NULL, "no SMS gateway: set sms.url (http://, https:// or spool:/DIR)");
	if (!strncmp(url, "spool:", 6)) {
		size_t n = strlen(a->phone) + strlen(text) + 16;
		char *m = malloc(n);

		if (!m)
			return tf_fail(h, TF_STORE, NULL, "out of memory");
		snprintf(m, n, "To: %s\n\n%s\n", a->phone, text);
		ret = tp_spool(url + 6, ".sms", m, strlen(m), err, sizeof err)
		      ? tf_fail(h, TF_DELIVERY, NULL, "delivery failed: %s", err) : TF_OK;
		sodium_memzero(m, n);
		free(m);
		return ret;
	}
	to = tp_escape(a->phone);
	txt = tp_escape(text);
	{
		struct msg_var v[] = { { "to", to }, { "text", txt } };

		if (!to || !txt || msg_render(tpl ? tpl : "to={to}&text={text}", v, 2, &body) != CORE_OK) {
			ret = tf_fail(h, TF_STORE, NULL, "out of memory");
			goto out;
		}
	}
	/* a gateway's token (its header, or credentials in the URL) crosses a
	 * network only under TLS */
	if ((hfile || url_has_userinfo(url)) && !strncmp(url, "http://", 7) && !url_host_loopback(url)) {
		url_redact(url, shown, sizeof shown);
		ret = tf_fail(h, TF_DELIVERY, NULL, "refusing to send the gateway's credentials in clear to %s: "
		              "use https://", shown);
		goto out;
	}
	if (hfile && !(hdr = secret_line(hfile))) {
		ret = tf_fail(h, TF_DELIVERY, NULL, "cannot read sms.header_file '%s': %s", hfile, strerror(errno));
		goto out;
	}
	{
		struct tp_http c = { .url = url, .method = method ? method : "POST", .header = hdr,
		                     .content_type = store_config_get(h->s, "sms.content_type") };

		if ((ret = timeout_ms(h, &c.timeout_ms)))
			goto out;
		url_redact(url, shown, sizeof shown);
		ret = tp_http_send(&c, body, err, sizeof err)
		      ? tf_fail(h, TF_DELIVERY, NULL, "delivery failed: %s: %s", shown, err) : TF_OK;
	}
out:
	if (hdr)
		sodium_free(hdr);
	if (body) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	if (txt) {
		sodium_memzero(txt, strlen(txt));
		free(txt);
	}
	free(to);
	return ret;
}

int deliver(tf *h, const struct account *a, enum channel ch, const char *purpose,
            const struct msg_var *vars, size_t nvars)
{
	char name[64], *tpl, *text = NULL;
	int ret;

	if (!destination(h, a, ch))
		return TF_NEED_ENROL;
	snprintf(name, sizeof name, "%s.%s", purpose, ch == CH_EMAIL ? "txt" : "sms");
	tpl = load_template(h, a->lang, name);
	if (!tpl)
		return tf_fail(h, TF_STORE, NULL, "no message template '%s' (set templates.dir)", name);
	if (msg_render(tpl, vars, nvars, &text) != CORE_OK) {
		free(tpl);
		return tf_fail(h, TF_STORE, NULL, "out of memory");
	}
	free(tpl);
	ret = ch == CH_EMAIL ? deliver_email(h, a, text) : deliver_sms(h, a, text);
	sodium_memzero(text, strlen(text));
	free(text);
	return ret;
}

/* The user is told by email (else SMS) that 2FA was turned off (method
 * NULL) or a factor removed, whoever did it: if it was not them, someone
 * else may be in the account. The account is not held meanwhile; a
 * message not delivered is a warning, never an undo. */
void tf_tell_removed(tf *h, struct tf_sess *ss, const char *method)
{
	char when[32];
	struct msg_var v[] = { { "name", ss->name }, { "issuer", tf_config_issuer(h) }, { "time", when },
	                       { "method", method ? method : "" } };
	enum channel ch = ss->a->email[0] ? CH_EMAIL : CH_SMS;

	if (!ss->a->email[0] && !ss->a->phone[0])
		return;   /* nowhere to tell */
	if (!store_config_get(h->s, ch == CH_EMAIL ? "smtp.url" : "sms.url"))
		return;   /* no way to: a store that sends nothing */
	time_iso(tf_now(h), when);
	tf_sess_release(ss);
	if (deliver(h, ss->a, ch, method ? "factor-removed" : "2fa-off", v, sizeof v / sizeof v[0]))
		tf_fail(h, TF_OK, "warning", "warning: %s, but the message telling the user was not delivered",
		        method ? "the factor was removed" : "two-factor authentication is off");
}
