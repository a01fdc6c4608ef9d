/* SPDX-License-Identifier: ISC */
/* C unit tests for core/: RFC 4226 and RFC 6238 vectors, base32, codes,
 * lockout, durations, records, code checks. TAP output. */
#include "core/auth.h"
#include "core/b32.h"
#include "core/cidr.h"
#include "core/codes.h"
#include "core/contact.h"
#include "core/lockout.h"
#include "core/message.h"
#include "core/otp.h"
#include "core/policy.h"
#include "core/qr.h"
#include "core/record.h"
#include "core/timefmt.h"
#include "core/uri.h"
#include "core/url.h"
#include "core/webauthn.h"
#include "store/store.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_run, n_fail;

#define CHECK(cond, ...) check_((cond), __FILE__, __LINE__, __VA_ARGS__)

static void check_(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void check_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	printf("%s %d - ", ok ? "ok" : "not ok", n_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		n_fail++;
		printf("#   failed at %s:%d\n", file, line);
	}
}

static void test_hotp_rfc4226(void)
{
	static const char *const want[10] = { "755224", "287082", "359152", "969429", "338314",
	                                      "254676", "287922", "162583", "399871", "520489" };
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	char out[OTP_MAX_DIGITS + 1];

	for (uint64_t c = 0; c < 10; c++) {
		int r = otp_hotp(key, 20, OTP_SHA1, c, 6, out);
		CHECK(r == CORE_OK && !strcmp(out, want[c]), "RFC 4226 HOTP counter %llu = %s (got %s)",
		      (unsigned long long)c, want[c], out);
	}
}

static void test_totp_rfc6238(void)
{
	static const struct {
		int64_t t;
		const char *sha1, *sha256, *sha512;
	} v[] = {
		{ 59, "94287082", "46119246", "90693936" },
		{ 1111111109, "07081804", "68084774", "25091201" },
		{ 1111111111, "14050471", "67062674", "99943326" },
		{ 1234567890, "89005924", "91819424", "93441116" },
		{ 2000000000, "69279037", "90698825", "38618901" },
		{ 20000000000LL, "65353130", "77737706", "47863826" },
	};
	const uint8_t *k1 = (const uint8_t *)"12345678901234567890";
	const uint8_t *k256 = (const uint8_t *)"12345678901234567890123456789012";
	const uint8_t *k512 = (const uint8_t *)"1234567890123456789012345678901234567890123456789012345678901234";
	char out[OTP_MAX_DIGITS + 1];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int r = otp_totp(k1, 20, OTP_SHA1, v[i].t, 30, 8, out);
		CHECK(r == CORE_OK && !strcmp(out, v[i].sha1), "RFC 6238 TOTP SHA1 t=%lld = %s (got %s)",
		      (long long)v[i].t, v[i].sha1, out);
		r = otp_totp(k256, 32, OTP_SHA256, v[i].t, 30, 8, out);
		CHECK(r == CORE_OK && !strcmp(out, v[i].sha256), "RFC 6238 TOTP SHA256 t=%lld = %s (got %s)",
		      (long long)v[i].t, v[i].sha256, out);
		r = otp_totp(k512, 64, OTP_SHA512, v[i].t, 30, 8, out);
		CHECK(r == CORE_OK && !strcmp(out, v[i].sha512), "RFC 6238 TOTP SHA512 t=%lld = %s (got %s)",
		      (long long)v[i].t, v[i].sha512, out);
	}
	CHECK(otp_totp(k1, 20, OTP_SHA1, -1, 30, 6, out) == CORE_ERANGE, "TOTP refuses negative time");
	CHECK(otp_hotp(k1, 20, OTP_SHA1, 0, 7, out) == CORE_OK, "HOTP computes 7 digits");
	CHECK(otp_hotp(k1, 20, OTP_SHA1, 0, 9, out) == CORE_ERANGE, "HOTP refuses 9 digits");
	CHECK(otp_hotp(k1, 0, OTP_SHA1, 0, 6, out) == CORE_ERANGE, "HOTP refuses an empty key");
}

static void test_base32(void)
{
	static const struct { const char *plain, *b32; } v[] = {   /* RFC 4648 section 10 */
		{ "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" }, { "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	uint8_t buf[128], raw[64];
	char enc[256];
	size_t len = 0;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int r = b32_encode((const uint8_t *)v[i].plain, strlen(v[i].plain), enc, sizeof enc);
		CHECK(r == CORE_OK && !strcmp(enc, v[i].b32), "base32 encode '%s' = %s", v[i].plain, v[i].b32);
		r = b32_decode(v[i].b32, buf, sizeof buf, &len);
		CHECK(r == CORE_OK && len == strlen(v[i].plain) && !memcmp(buf, v[i].plain, len),
		      "base32 decode %s", v[i].b32);
	}
	CHECK(b32_decode("mzxw6ytboi", buf, sizeof buf, &len) == CORE_OK && len == 6 &&
	      !memcmp(buf, "foobar", 6), "base32 decodes lower case");
	CHECK(b32_decode("MZXW 6YTB OI", buf, sizeof buf, &len) == CORE_OK && len == 6,
	      "base32 decodes with spaces");
	CHECK(b32_decode("MZXW6YTBOI======", buf, sizeof buf, &len) == CORE_OK && len == 6,
	      "base32 decodes with padding");
	CHECK(b32_decode("MZXW6YTB0I", buf, sizeof buf, &len) != CORE_OK, "base32 refuses '0'");
	CHECK(b32_decode("MZX", buf, sizeof buf, &len) != CORE_OK, "base32 refuses 3 characters");
	CHECK(b32_decode("", buf, sizeof buf, &len) != CORE_OK, "base32 refuses empty input");
	CHECK(b32_decode("MY==MY", buf, sizeof buf, &len) != CORE_OK, "base32 refuses data after padding");
	for (int i = 0; i < 50; i++) {
		size_t n = 1 + randombytes_uniform(64);
		randombytes_buf(raw, n);
		int ok = b32_encode(raw, n, enc, sizeof enc) == CORE_OK &&
		         b32_decode(enc, buf, sizeof buf, &len) == CORE_OK && len == n && !memcmp(buf, raw, n);
		for (char *p = enc; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		ok = ok && b32_decode(enc, buf, sizeof buf, &len) == CORE_OK && len == n && !memcmp(buf, raw, n);
		CHECK(ok, "base32 round trip of %zu random bytes (upper and lower case)", n);
	}
	CHECK(b32_group("ABCDEFGHIJ", enc, sizeof enc) == CORE_OK && !strcmp(enc, "ABCD EFGH IJ"),
	      "base32 groups of four");
}

static void test_codes(void)
{
	char norm[CODE_MAX_INPUT + 1], disp[BACKUP_DISPLAY];
	static const char *const bad[] = { "", "12345", "123456789", "+123456", "-123456",
	                                   "12 34 5", "١٢٣٤٥٦", "123456\n", "abc", "12345a",
	                                   "0000-0000-0000-0000", " 123456" };

	CHECK(code_classify("123456", norm, sizeof norm) == CODE_NUMERIC && !strcmp(norm, "123456"),
	      "6 digits are a numeric code");
	CHECK(code_classify("123 456", norm, sizeof norm) == CODE_NUMERIC && !strcmp(norm, "123456"),
	      "'123 456' as apps show it is a numeric code");
	CHECK(code_classify("12345678", norm, sizeof norm) == CODE_NUMERIC, "8 digits are a numeric code");
	CHECK(code_classify("abcd-efgh-ijkl-mnop", norm, sizeof norm) == CODE_BACKUP &&
	      !strcmp(norm, "ABCDEFGHIJKLMNOP"), "a dashed backup code in lower case");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(code_classify(bad[i], norm, sizeof norm) == CODE_BAD, "malformed code %zu refused", i);
	CHECK(backup_generate(norm, disp) == CORE_OK && strlen(norm) == 16 && strlen(disp) == 19 &&
	      disp[4] == '-' && code_classify(disp, norm + 17 - 17, sizeof norm) == CODE_BACKUP,
	      "a generated backup code classifies as one");
	{
		uint8_t k[32] = { 1 }, h1[32], h2[32], h3[32];
		int r = code_hash(k, "a", "X", h1) | code_hash(k, "b", "X", h2) | code_hash(k, "a", "X", h3);
		CHECK(r == 0 && memcmp(h1, h2, 32) && !memcmp(h1, h3, 32), "code hashes are bound to their context");
	}
	{
		char d[8];
		int ok = 1;
		for (int i = 0; i < 100; i++) {
			ok &= digits_generate(d, 6) == CORE_OK && strlen(d) == 6 && strspn(d, "0123456789") == 6;
		}
		CHECK(ok, "digit codes are 6 ASCII digits");
	}
}

static void test_lockout(void)
{
	struct account a;
	int64_t wait;

	account_init(&a, "alice", 0);
	CHECK(lock_delay(9, 10) == 0 && lock_delay(10, 10) == 30 && lock_delay(11, 10) == 60 &&
	      lock_delay(17, 10) == 3600 && lock_delay(99, 10) == 3600, "delays grow from 30 s to 1 h");
	for (int i = 0; i < 9; i++)
		lock_fail(&a, 1000, 10);
	CHECK(lock_check(&a, 1000, &wait) == LOCK_OPEN, "9 failures leave the account open");
	lock_fail(&a, 1000, 10);
	CHECK(lock_check(&a, 1000, &wait) == LOCK_DELAYED && wait == 30, "the 10th failure delays 30 s");
	CHECK(lock_check(&a, 1030, &wait) == LOCK_OPEN, "the delay runs out");
	lock_fail(&a, 1030, 10);
	CHECK(lock_check(&a, 1030, &wait) == LOCK_DELAYED && wait == 60,
	      "one more failure after a delay doubles it: no fresh budget");
	for (int i = 0; i < 200; i++)
		lock_fail(&a, 2000, 10);
	CHECK(a.lk_codes.failures == LOCK_HARD && lock_check(&a, 1000000, &wait) == LOCK_HARDLOCKED,
	      "100 failures lock hard, for good, and the count stops there");
	lock_reset(&a);
	CHECK(lock_check(&a, 2000, &wait) == LOCK_OPEN && a.lk_codes.failures == 0, "an unlock clears it");
	for (int i = 0; i < 200; i++)
		budget_fail(&a.lk_pw, 3000, 10);
	CHECK(budget_check(&a.lk_pw, 3000, &wait) == LOCK_HARDLOCKED && lock_check(&a, 3000, &wait) == LOCK_OPEN &&
	      a.lk_codes.failures == 0, "password failures spend the password's budget, never the codes'");
	lock_fail(&a, 3000, 10);
	lock_reset_all(&a);
	CHECK(a.lk_pw.failures == 0 && a.lk_codes.failures == 0, "user unlock clears both budgets");
}

static void test_broad(void)
{
	static const char *const broad[] = { "::/0", "0.0.0.0/0", "::/80", "::ffff:0:0/96", "0.0.0.0/7",
	                                     "2000::/3", "::ffff:0.0.0.0/103", "fe80::/10" };
	static const char *const fine[] = { "10.0.0.0/8", "2001:db8::/16", "192.0.2.1", "::1", "::/97",
	                                    "::ffff:10.0.0.0/104", "203.0.113.0/24" };
	struct cidr c;
	int ok = 1;

	for (size_t i = 0; i < sizeof broad / sizeof broad[0]; i++)
		ok &= cidr_parse(broad[i], &c) == 0 && cidr_too_broad(&c);
	CHECK(ok, "ranges that cover every IPv4 address, or a /7 or /15 and shorter, are too broad");
	ok = 1;
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		ok &= cidr_parse(fine[i], &c) == 0 && !cidr_too_broad(&c);
	CHECK(ok, "a /8, a /16, single addresses and ::/97 are not");
	CHECK(cidr_parse("::/0", &c) == 0 && cidr_covers_all_v4(&c) && cidr_parse("::/97", &c) == 0 &&
	      !cidr_covers_all_v4(&c), "::/0 holds every IPv4 address, ::/97 none");
}

static void test_time(void)
{
	int64_t s;

	CHECK(duration_parse("90", &s) == 0 && s == 90, "duration 90");
	CHECK(duration_parse("5m", &s) == 0 && s == 300, "duration 5m");
	CHECK(duration_parse("12h", &s) == 0 && s == 43200, "duration 12h");
	CHECK(duration_parse("30d", &s) == 0 && s == 2592000, "duration 30d");
	CHECK(duration_parse("-5m", &s) != 0 && duration_parse("5x", &s) != 0 &&
	      duration_parse("", &s) != 0 && duration_parse("m", &s) != 0 &&
	      duration_parse("99999999999d", &s) != 0, "bad durations refused");
	CHECK(int_parse("42", 0, 100, &s) == 0 && s == 42 && int_parse("101", 0, 100, &s) != 0 &&
	      int_parse("4 2", 0, 100, &s) != 0 && int_parse("", 0, 100, &s) != 0, "integers");
	CHECK(duration_parse("1h30m", &s) == 0 && s == 5400, "duration 1h30m");
	CHECK(duration_parse("1h 30m", &s) == 0 && s == 5400, "duration 1h 30m");
	CHECK(duration_parse("2w3d4h5m6s", &s) == 0 && s == 2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6,
	      "duration 2w3d4h5m6s");
	CHECK(duration_parse("3650d", &s) == 0 && s == 3650 * 86400 && duration_parse("3650d1s", &s) != 0,
	      "durations up to 10 years");
	CHECK(duration_parse("30m1h", &s) != 0 && duration_parse("1h1h", &s) != 0 &&
	      duration_parse("1h30", &s) != 0 && duration_parse("1h ", &s) != 0 &&
	      duration_parse(" 1h", &s) != 0 && duration_parse("1h  30m", &s) != 0 &&
	      duration_parse("1.5h", &s) != 0 && duration_parse("1H", &s) != 0,
	      "compound durations out of order, repeated, with a bare number or stray blanks refused");
}

static void test_contact(void)
{
	char out[255];

	CHECK(phone_normalize("+420 601 234 567", out, sizeof out) == PHONE_OK && !strcmp(out, "+420601234567"),
	      "phone with spaces");
	CHECK(phone_normalize("+1 (555) 010-0199", out, sizeof out) == PHONE_OK && !strcmp(out, "+15550100199"),
	      "phone with parentheses and a dash");
	CHECK(phone_normalize("+31.6.1234.5678", out, sizeof out) == PHONE_OK && !strcmp(out, "+31612345678"),
	      "phone with dots");
	CHECK(phone_normalize("+44 (0)20 7946 0000", out, sizeof out) == PHONE_OK && !strcmp(out, "+442079460000"),
	      "a trunk (0) is dropped");
	CHECK(phone_normalize(" +420601234567", out, sizeof out) == PHONE_OK && !strcmp(out, "+420601234567"),
	      "E.164 stays as it is");
	CHECK(phone_normalize("+12345678", out, sizeof out) == PHONE_OK &&
	      phone_normalize("+123456789012345", out, sizeof out) == PHONE_OK, "8 and 15 digits");
	CHECK(phone_normalize("+1234567", out, sizeof out) == PHONE_LENGTH &&
	      phone_normalize("+1234567890123456", out, sizeof out) == PHONE_LENGTH &&
	      phone_normalize("+0420601234567", out, sizeof out) == PHONE_LENGTH &&
	      phone_normalize("+", out, sizeof out) == PHONE_LENGTH, "too short, too long, +0");
	CHECK(phone_normalize("601 234 567", out, sizeof out) == PHONE_NO_PLUS &&
	      phone_normalize("00420601234567", out, sizeof out) == PHONE_00 &&
	      phone_normalize("+420 601 ABC", out, sizeof out) == PHONE_CHAR &&
	      phone_normalize("+420\n601234567", out, sizeof out) == PHONE_CHAR &&
	      phone_normalize("+420/601234567", out, sizeof out) == PHONE_CHAR &&
	      phone_normalize("tel:+420601234567", out, sizeof out) == PHONE_CHAR, "no +, 00, letters, other signs");
	CHECK(email_normalize("jan@example.org", out, sizeof out) == CORE_OK && !strcmp(out, "jan@example.org"),
	      "an ASCII address stays");
	CHECK(email_normalize("jan@b\xc3\xbc" "cher.example", out, sizeof out) == CORE_OK &&
	      !strcmp(out, "jan@xn--bcher-kva.example"), "an internationalised domain in its ASCII form");
	CHECK(email_normalize("jan@B\xc3\x9c" "CHER.example", out, sizeof out) == CORE_OK &&
	      !strcmp(out, "jan@xn--bcher-kva.example"), "upper case mapped (UTS 46)");
	CHECK(email_normalize("info@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", out, sizeof out) == CORE_OK &&
	      !strcmp(out, "info@xn--r8jz45g.xn--zckzah"), "a Japanese domain");
	CHECK(email_normalize("j\xc3\xa4" "n@example.org", out, sizeof out) != CORE_OK &&
	      email_normalize("jan@", out, sizeof out) != CORE_OK &&
	      email_normalize("jan@b\xc3\xbc" "cher", out, sizeof out) != CORE_OK &&
	      email_normalize("jan@b\xfc" "cher.example", out, sizeof out) != CORE_OK &&
	      email_normalize("jan example.org", out, sizeof out) != CORE_OK,
	      "a non-ASCII mailbox, no domain, no dot, Latin-1 bytes, no @: refused");
	email_display("jan@xn--bcher-kva.example", out, sizeof out);
	CHECK(!strcmp(out, "jan@b\xc3\xbc" "cher.example"), "shown with its Unicode domain");
	email_display("jan@example.org", out, sizeof out);
	CHECK(!strcmp(out, "jan@example.org"), "an ASCII domain shown as it is");
	email_display("jan@xn--zz.example", out, sizeof out);
	CHECK(!strcmp(out, "jan@xn--zz.example"), "an undecodable label shown as stored");
}

static void test_moments(void)
{
	const int64_t now = 1800000000;   /* 2027-01-15T08:00:00Z */
	int64_t t;

	CHECK(time_parse("1767225600", now, &t) == 0 && t == 1767225600, "epoch seconds");
	CHECK(time_parse("2026-01-01", now, &t) == 0 && t == 1767225600, "a date: midnight UTC");
	CHECK(time_parse("2026-01-01 10:00", now, &t) == 0 && t == 1767225600 + 36000, "date and time");
	CHECK(time_parse("2026-01-01T10:00:00Z", now, &t) == 0 && t == 1767225600 + 36000, "ISO 8601 UTC");
	CHECK(time_parse("2026-01-01T10:00:00", now, &t) == 0 && t == 1767225600 + 36000, "ISO 8601 no zone");
	CHECK(time_parse("2026-01-01 10:00:30", now, &t) == 0 && t == 1767225600 + 36030, "with seconds");
	CHECK(time_parse("2026-01-01T12:00+02:00", now, &t) == 0 && t == 1767225600 + 36000, "an offset east");
	CHECK(time_parse("2026-01-01T08:00-02:00", now, &t) == 0 && t == 1767225600 + 36000, "an offset west");
	CHECK(time_parse("2024-02-29", now, &t) == 0 && t == 1709164800, "a leap day");
	CHECK(time_parse("today", now, &t) == 0 && t == 1799971200, "today: midnight UTC");
	CHECK(time_parse("yesterday", now, &t) == 0 && t == 1799971200 - 86400, "yesterday");
	CHECK(time_parse("now", now, &t) == 0 && t == now, "now");
	CHECK(time_parse("-2h", now, &t) == 0 && t == now - 7200, "-2h");
	CHECK(time_parse("2h ago", now, &t) == 0 && t == now - 7200, "2h ago");
	CHECK(time_parse("1h30m ago", now, &t) == 0 && t == now - 5400, "1h30m ago");
	CHECK(time_parse("24h", now, &t) == 0 && t == now - 86400, "a bare duration: before now");
	CHECK(time_parse("2023-02-29", now, &t) != 0 && time_parse("2026-13-01", now, &t) != 0 &&
	      time_parse("2026-04-31", now, &t) != 0 && time_parse("2026-01-01 25:00", now, &t) != 0 &&
	      time_parse("2026-1-1", now, &t) != 0 && time_parse("2026-01-01 10", now, &t) != 0 &&
	      time_parse("2026-01-01Z", now, &t) != 0 && time_parse("2026-01-01T10:00:00+2", now, &t) != 0 &&
	      time_parse("tomorrow", now, &t) != 0 && time_parse("2h later", now, &t) != 0 &&
	      time_parse("ago", now, &t) != 0 && time_parse(" ago", now, &t) != 0 &&
	      time_parse("--2h", now, &t) != 0 && time_parse("", now, &t) != 0 &&
	      time_parse("1969-12-31", now, &t) != 0,
	      "impossible dates and unknown words refused");
}

static void test_record(void)
{
	struct account *a = sodium_malloc(sizeof *a), *b = sodium_malloc(sizeof *b);
	struct factor *f;
	char *json = NULL;
	size_t len = 0;

	account_init(a, "alice@example.org", 1700000000);
	strcpy(a->email, "alice@example.org");
	strcpy(a->phone, "+420601234567");
	f = account_factor_add(a, 1700000000);
	f->type = F_TOTP;
	f->status = FS_ACTIVE;
	f->algo = OTP_SHA256;
	f->digits = 8;
	f->period = 60;
	f->keylen = 32;
	randombytes_buf(f->key, 32);
	f->has_step = 1;
	f->last_step = 123456;
	f->drift = -1;
	a->lk_codes.failures = 3;
	a->lk_pw.failures = 7;
	a->nbackup = 2;
	randombytes_buf(a->backup, sizeof a->backup);
	CHECK(record_to_json(a, &json, &len) == CORE_OK, "record serialises");
	CHECK(record_from_json(json, len, b) == CORE_OK, "record parses back");
	CHECK(!strcmp(b->name, a->name) && !strcmp(b->phone, a->phone) && b->nf == 1 &&
	      b->f[0].keylen == 32 && !memcmp(b->f[0].key, a->f[0].key, 32) &&
	      b->f[0].last_step == 123456 && b->f[0].has_step && b->f[0].drift == -1 &&
	      b->f[0].algo == OTP_SHA256 && b->f[0].digits == 8 && b->f[0].period == 60 &&
	      b->lk_codes.failures == 3 && b->lk_pw.failures == 7 && b->nbackup == 2 && !memcmp(b->backup, a->backup, 2 * 32),
	      "record round trip keeps every field");
	CHECK(record_from_json(json, len - 1, b) != CORE_OK, "a truncated record is refused");
	{
		char *v2 = strdup(json);
		char *p = strstr(v2, "\"v\":1");
		p[4] = '9';
		CHECK(record_from_json(v2, len, b) == CORE_EFORMAT, "a record of a newer version is refused");
		free(v2);
	}
	CHECK(record_from_json("{\"v\":1}", 7, b) != CORE_OK, "a record with no name is refused");
	CHECK(record_from_json("[]", 2, b) != CORE_OK, "a non-object is refused");
	sodium_memzero(json, len);
	free(json);
	CHECK(account_name_valid("alice") && account_name_valid("a.b-c_d@e+f") &&
	      !account_name_valid("") && !account_name_valid(".x") && !account_name_valid("-x") &&
	      !account_name_valid("a b") && !account_name_valid("a/b") && !account_name_valid("\xc3\xa9"),
	      "account names");
	CHECK(email_valid("a@b.cz") && !email_valid("a@b") && !email_valid("@b.cz") &&
	      !email_valid("a b@c.d") && !email_valid("a@@b.c"), "email addresses");
	CHECK(phone_valid("+420601234567") && !phone_valid("420601234567") && !phone_valid("+0123456") && !phone_valid("+1234567") && phone_valid("+12345678") &&
	      !phone_valid("+12") && !phone_valid("+1234567890123456"), "E.164 phone numbers");
	sodium_free(a);
	sodium_free(b);
}

static void test_auth(void)
{
	struct account *a = sodium_malloc(sizeof *a);
	struct factor *f;
	struct auth_params p = { .totp_window = 1, .hotp_window = 5, .context = "ctx", .allow_backup = 1 };
	struct auth_outcome o;
	uint8_t ck[32] = { 7 };
	char code[9], disp[10][BACKUP_DISPLAY], norm[32];
	int64_t T = 1800000000;   /* a step boundary: 1800000000 / 30 = 60000000 */

	p.code_key = ck;
	account_init(a, "bob", 0);
	f = account_factor_add(a, 0);
	f->type = F_TOTP;
	f->status = FS_ACTIVE;
	f->digits = 6;
	f->period = 30;
	f->keylen = 20;
	memcpy(f->key, "12345678901234567890", 20);

	p.now = T;
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T - 60, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "step N-2 refused");
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T + 60, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "step N+2 refused");
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T - 30, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_OK && o.drift == -1,
	      "step N-1 accepted, drift -1");
	CHECK(auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REPLAY,
	      "the same code again is a replay");
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T + 30, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_OK && o.drift == 1,
	      "step N+1 accepted after N-1");
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REPLAY,
	      "step N after N+1 is refused as a replay");
	p.now = T - 3600;   /* the clock set back an hour */
	CHECK(otp_totp(f->key, 20, OTP_SHA1, p.now, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result != AUTH_OK,
	      "a code of an older step is refused after the clock is set back");
	p.now = T + 59;   /* the last second of step N+1: step N+2 is in its window */
	CHECK(otp_totp(f->key, 20, OTP_SHA1, T + 60, 30, 6, code) == 0 &&
	      auth_check(a, code, CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_OK && o.drift == 1,
	      "at t = 30(N+1)+29 the code of step N+2 is accepted");
	/* backup codes */
	CHECK(auth_issue_backup(a, 10, ck, "ctx", disp, 5) == 0 && a->nbackup == 10, "ten backup codes issued");
	code_classify(disp[3], norm, sizeof norm);
	CHECK(auth_check(a, norm, CODE_BACKUP, &p, &o) == 0 && o.result == AUTH_OK && o.backup &&
	      a->nbackup == 9, "a backup code works");
	CHECK(auth_check(a, norm, CODE_BACKUP, &p, &o) == 0 && o.result == AUTH_REPLAY, "and only once: again it is a replay");
	p.context = "other";
	code_classify(disp[4], norm, sizeof norm);
	CHECK(auth_check(a, norm, CODE_BACKUP, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "a backup code hash is bound to its account");
	p.context = "ctx";
	p.allow_backup = 0;
	CHECK(auth_check(a, norm, CODE_BACKUP, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "backup codes are refused where they are not allowed");
	/* HOTP */
	f->type = F_HOTP;
	f->counter = 0;
	CHECK(auth_check(a, "359152", CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_OK && f->counter == 3,
	      "HOTP look-ahead finds counter 2 and moves past it");
	CHECK(auth_check(a, "359152", CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "an HOTP code is used once");
	CHECK(auth_check(a, "520489", CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "an HOTP code past the look-ahead is refused");
	f->status = FS_PENDING;
	CHECK(auth_check(a, "969429", CODE_NUMERIC, &p, &o) == 0 && o.result == AUTH_REJECT,
	      "a pending factor does not verify");
	sodium_free(a);
}

static void test_uri_qr(void)
{
	struct factor f = { .type = F_TOTP, .algo = OTP_SHA1, .digits = 6, .period = 30, .keylen = 10 };
	char *uri = NULL, esc[64];
	uint8_t *png = NULL;
	size_t len = 0;

	memcpy(f.key, "foobarbaz!", 10);
	CHECK(otpauth_uri(&f, "Example Hosting", "alice@example.org", &uri) == 0 &&
	      !strcmp(uri, "otpauth://totp/Example%20Hosting:alice%40example.org?secret=MZXW6YTBOJRGC6RB"
	                   "&issuer=Example%20Hosting&algorithm=SHA1&digits=6&period=30"),
	      "otpauth URI with issuer and label (%s)", uri ? uri : "");
	free(uri);
	CHECK(uri_escape("a b&c=d/é", esc, sizeof esc) == 0 && !strcmp(esc, "a%20b%26c%3Dd%2F%C3%A9"),
	      "URI escaping");
	CHECK(qr_render("otpauth://totp/x?secret=AAAA", QR_PNG, &png, &len) == 0 && len > 8 &&
	      !memcmp(png, "\x89PNG", 4), "QR as PNG");
	free(png);
	CHECK(qr_render("otpauth://totp/x?secret=AAAA", QR_SVG, &png, &len) == 0 &&
	      strstr((char *)png, "<svg") != NULL, "QR as SVG");
	free(png);
}

/* An attestation object {"fmt": fmt, "attStmt": {}, "authData": 37 bytes}. */
static size_t attobj_none(uint8_t *out, const char *fmt)
{
	size_t n = 0, fl = strlen(fmt);

	out[n++] = 0xa3;
	out[n++] = 0x63;
	memcpy(out + n, "fmt", 3), n += 3;
	out[n++] = (uint8_t)(0x60 | fl);
	memcpy(out + n, fmt, fl), n += fl;
	out[n++] = 0x67;
	memcpy(out + n, "attStmt", 7), n += 7;
	out[n++] = 0xa0;
	out[n++] = 0x68;
	memcpy(out + n, "authData", 8), n += 8;
	out[n++] = 0x58;
	out[n++] = 37;
	memset(out + n, 0x11, 37), n += 37;
	return n;
}

static void test_webauthn(void)
{
	struct account *a = sodium_malloc(sizeof *a), *b = sodium_malloc(sizeof *b);
	struct wa_client_data cd;
	struct wa_attobj ao;
	struct wa_authdata ad;
	uint8_t ch[5][WA_CHALLENGE_BYTES], buf[128], deep[64];
	char *json = NULL;
	size_t len = 0, n;
	const char *cdj = "{\"type\":\"webauthn.get\",\"challenge\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\","
	                  "\"origin\":\"https://client.example.org\",\"crossOrigin\":false,\"other\":1}";

	CHECK(wa_client_data_parse((const uint8_t *)cdj, strlen(cdj), &cd) == CORE_OK &&
	      !strcmp(cd.type, "webauthn.get") && !strcmp(cd.origin, "https://client.example.org") &&
	      cd.challenge_len == 32 && cd.challenge[31] == 31 && !cd.cross_origin, "client data parses");
	CHECK(wa_client_data_parse((const uint8_t *)cdj, strlen(cdj) - 1, &cd) != CORE_OK &&
	      wa_client_data_parse((const uint8_t *)"{\"type\":\"webauthn.get\",\"challenge\":\"AA==\",\"origin\":\"x\"}", 53, &cd) != CORE_OK &&
	      wa_client_data_parse((const uint8_t *)"{\"type\":\"webauthn.get\",\"challenge\":\"AA\",\"origin\":\"x\",\"crossOrigin\":\"no\"}", 71, &cd) != CORE_OK &&
	      wa_client_data_parse((const uint8_t *)"{\"type\":\"webauthn.get\",\"origin\":\"x\"}", 36, &cd) != CORE_OK &&
	      wa_client_data_parse((const uint8_t *)"{\"type\":\"a\\u0000b\",\"challenge\":\"AA\",\"origin\":\"x\"}", 48, &cd) != CORE_OK,
	      "client data: truncated, padded challenge, non-boolean crossOrigin, no challenge, NUL: refused");
	CHECK(wa_client_data_check(&(struct wa_client_data){ .type = "webauthn.get", .origin = "https://b.example.org" },
	                           "webauthn.get", "https://a.example.org, https://b.example.org") == NULL &&
	      wa_client_data_check(&(struct wa_client_data){ .type = "webauthn.get", .origin = "https://b.example.org",
	                           .cross_origin = 1 }, "webauthn.get", "https://b.example.org") != NULL &&
	      wa_client_data_check(&(struct wa_client_data){ .type = "webauthn.create", .origin = "https://b.example.org" },
	                           "webauthn.get", "https://b.example.org") != NULL, "client data checks");
	CHECK(wa_origins_valid("https://a.example.org") && wa_origins_valid("https://a.example.org:8443 , http://localhost:3000") &&
	      !wa_origins_valid("") && !wa_origins_valid("https://a.example.org/") && !wa_origins_valid("a.example.org") &&
	      !wa_origins_valid("http://a.example.org") && !wa_origins_valid("https://a,") &&
	      !wa_origins_valid("https://a:123456") && !wa_origins_valid("http://localhost.evil.org"),
	      "origin lists");
	CHECK(wa_rp_id_valid("example.org") && wa_rp_id_valid("localhost") && !wa_rp_id_valid("") &&
	      !wa_rp_id_valid("https://example.org") && !wa_rp_id_valid("example.org:443") &&
	      !wa_rp_id_valid("Example.org") && !wa_rp_id_valid(".example.org") && !wa_rp_id_valid("a..b"),
	      "relying party ids");
	CHECK(wa_origin_allowed("https://a.example.org, https://b.example.org", "https://b.example.org") &&
	      !wa_origin_allowed("https://a.example.org", "https://a.example.org.evil.org") &&
	      !wa_origin_allowed("https://a.example.org", "https://a.example.or") &&
	      !wa_origin_allowed("https://a.example.org", "") && !wa_origin_allowed("https://a.example.org:443", "https://a.example.org"),
	      "origins compare whole");

	account_init(a, "alice", 1700000000);
	for (int i = 0; i < 5; i++)
		wa_challenge_issue(a, i == 4 ? WA_REGISTER : WA_LOGIN, 1700000000 + i, 300, ch[i]);
	CHECK(a->nwa_ch == ACCT_MAX_WA_CHALLENGES, "at most %d challenges are kept", ACCT_MAX_WA_CHALLENGES);
	CHECK(wa_challenge_take(a, ch[0], 32, WA_LOGIN, 1700000010) == WA_CH_UNKNOWN, "the oldest made room");
	CHECK(wa_challenge_take(a, ch[4], 32, WA_LOGIN, 1700000010) == WA_CH_PURPOSE &&
	      wa_challenge_take(a, ch[4], 32, WA_REGISTER, 1700000010) == WA_CH_UNKNOWN,
	      "a challenge of the other purpose is refused and used up");
	CHECK(wa_challenge_take(a, ch[1], 32, WA_LOGIN, 1700000010) == WA_CH_OK &&
	      wa_challenge_take(a, ch[1], 32, WA_LOGIN, 1700000010) == WA_CH_UNKNOWN, "a challenge is used once");
	CHECK(wa_challenge_take(a, ch[2], 32, WA_LOGIN, 1700000400) == WA_CH_EXPIRED && a->nwa_ch == 0,
	      "an expired challenge is refused; expired ones are dropped");
	CHECK(wa_challenge_take(a, ch[3], 31, WA_LOGIN, 1700000010) == WA_CH_UNKNOWN, "a short challenge is unknown");
	wa_challenge_issue(a, WA_LOGIN, 1700000000, 300, ch[0]);
	wa_user_handle(a);
	CHECK(record_to_json(a, &json, &len) == CORE_OK && record_from_json(json, len, b) == CORE_OK &&
	      b->nwa_ch == 1 && b->has_wa_user && !memcmp(b->wa_user, a->wa_user, sizeof a->wa_user) &&
	      !memcmp(b->wa_ch[0].hash, a->wa_ch[0].hash, 32) && b->wa_ch[0].expires == 1700000300 &&
	      b->wa_ch[0].purpose == WA_LOGIN, "challenges and the user handle round-trip through the record");
	{
		char hex[65];

		sodium_bin2hex(hex, sizeof hex, ch[0], 32);
		CHECK(json && !strstr(json, hex), "the record keeps a challenge's hash, not the challenge");
	}
	free(json);
	{
		const char *old = "{\"v\":1,\"name\":\"bob\",\"next_id\":2,\"backup\":[],\"factors\":[{\"id\":1,"
		                  "\"type\":\"webauthn\",\"status\":\"active\",\"cred\":\"0102\",\"pub\":\"" /* 32 bytes */
		                  "0000000000000000000000000000000000000000000000000000000000000000\",\"cose\":-8,"
		                  "\"sign_count\":3,\"seen\":[\"00112233445566778899aabbccddeeff\"]}]}";

		CHECK(record_from_json(old, strlen(old), b) == CORE_OK && b->nf == 1 && b->f[0].credlen == 2 &&
		      b->f[0].sign_count == 3 && b->f[0].cose == WA_EDDSA,
		      "a record with the old list of seen assertions still loads");
	}

	n = attobj_none(buf, "none");
	CHECK(wa_attobj_split(buf, n, &ao) == CORE_OK && !strcmp(ao.fmt, "none") && ao.attstmt_len == 1 &&
	      ao.attstmt[0] == 0xa0 && ao.authdata_len == 37 && ao.authdata == buf + n - 37,
	      "an attestation object splits into fmt, attStmt and authData");
	CHECK(wa_attobj_split(buf, n - 1, &ao) != CORE_OK && wa_attobj_split(buf, n + 1, &ao) != CORE_OK,
	      "a truncated attestation object, or one with bytes after it, is refused");
	buf[0] = 0xbf;
	CHECK(wa_attobj_split(buf, n, &ao) != CORE_OK, "indefinite lengths are refused");
	n = attobj_none(buf, "No");
	CHECK(wa_attobj_split(buf, n, &ao) != CORE_OK, "a fmt outside [a-z0-9-] is refused");
	n = attobj_none(buf, "none");
	memcpy(buf + 10, "\x63" "fmt" "\x64" "none", 9);   /* "attStmt": {} becomes a second "fmt" */
	CHECK(wa_attobj_split(buf, n, &ao) != CORE_OK, "a duplicate key (and a missing one) is refused");
	memset(deep, 0x81, sizeof deep);   /* arrays nested 64 deep */
	memcpy(buf, "\xa1\x67" "attStmt", 9);
	memcpy(buf + 9, deep, sizeof deep);
	buf[9 + sizeof deep] = 0;
	CHECK(wa_attobj_split(buf, 10 + sizeof deep, &ao) != CORE_OK, "nesting is bounded");
	CHECK(wa_authdata_parse(buf, 36, &ad) != CORE_OK, "authenticator data is 37 bytes at least");
	memset(buf, 0, 37);
	crypto_hash_sha256(buf, (const uint8_t *)"example.org", 11);
	buf[32] = WA_FLAG_UP;
	buf[36] = 7;
	CHECK(wa_authdata_parse(buf, 37, &ad) == CORE_OK && ad.count == 7 &&
	      !wa_authdata_check(&ad, "example.org", WA_UV_PREFERRED) &&
	      wa_authdata_check(&ad, "example.org", WA_UV_REQUIRED) && wa_authdata_check(&ad, "example.com", WA_UV_DISCOURAGED),
	      "rpIdHash and the UV policy are checked");
	buf[32] = WA_FLAG_UV;
	CHECK(wa_authdata_parse(buf, 37, &ad) == CORE_OK && wa_authdata_check(&ad, "example.org", WA_UV_DISCOURAGED),
	      "user presence is required");
	sodium_free(a);
	sodium_free(b);
}

/* A record from before uids and per-account code keys, in a real store:
 * its backup codes were hashed under the store's code subkey and bound to
 * its file name. Loading keeps them valid, and so does a rekey, which
 * throws that subkey away. */
static void test_legacy_rekey(void)
{
	char base[] = "/tmp/twofactl-unit-XXXXXX", dir[64], err[256], ctx[80];
	char (*codes)[BACKUP_DISPLAY] = sodium_malloc(2 * sizeof *codes), norm[BACKUP_CHARS + 1];
	struct account *a = account_new(), *b = account_new();
	struct store *s = NULL;
	struct acct_ref ref;
	struct auth_params p = { .now = 1000, .allow_backup = 1 };
	struct auth_outcome out;
	uint8_t oldkey[ACCT_CODE_KEY];
	char oldhex[65];
	size_t n = 0;
	int ok;

	if (!mkdtemp(base) || !codes || !a || !b) {
		CHECK(0, "legacy store: set-up");
		return;
	}
	snprintf(dir, sizeof dir, "%s/store", base);
	ok = store_create(dir, NULL, NULL, err, sizeof err) == ST_OK && store_open(dir, &s, err, sizeof err) == ST_OK &&
	     store_ref(s, "old", &ref) == ST_OK && store_lock(s, &ref) == ST_OK;
	account_init(a, "old", 1);
	a->uid[0] = '\0';
	a->has_code_key = 0;
	memcpy(oldkey, store_subkey(s, SK_CODE), sizeof oldkey);
	memcpy(oldhex, ref.hex, sizeof oldhex);
	ok = ok && auth_issue_backup(a, 2, oldkey, oldhex, codes, 1) == CORE_OK && store_save(s, &ref, a) == ST_OK;
	CHECK(ok, "a record without uid and code key is written");
	ok = ok && store_load(s, &ref, "old", b) == ST_OK;
	CHECK(ok && !strcmp(b->uid, oldhex) && b->has_code_key && !memcmp(b->code_key, oldkey, sizeof oldkey),
	      "loading it fills in its file name as uid and the store's code subkey as its key");
	store_unlock(s, &ref);
	ok = ok && store_rekey(s, NULL, NULL, &n) == ST_OK && n == 1 &&
	     memcmp(store_subkey(s, SK_CODE), oldkey, sizeof oldkey) != 0;
	CHECK(ok, "rekey changes the code subkey");
	ok = ok && store_ref(s, "old", &ref) == ST_OK && store_lock(s, &ref) == ST_OK &&
	     store_load(s, &ref, "old", b) == ST_OK;
	snprintf(ctx, sizeof ctx, "%s", b->uid);
	p.code_key = b->code_key;
	p.context = ctx;
	ok = ok && code_classify(codes[1], norm, sizeof norm) == CODE_BACKUP &&
	     auth_check(b, norm, CODE_BACKUP, &p, &out) == CORE_OK && out.result == AUTH_OK && b->nbackup == 1;
	CHECK(ok && strcmp(ref.hex, oldhex) != 0, "after a rekey the old record's backup code still works");
	store_unlock(s, &ref);
	store_close(s);
	account_free(a);
	account_free(b);
	sodium_free(codes);
	{
		char cmd[160];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
		if (system(cmd) != 0)
			CHECK(0, "legacy store: clean-up");
	}
}

/* The policy that applies: the account's own switch x its organisation's
 * policy (or none) x policy.default, every combination. */
static void test_policy(void)
{
	static const struct {
		enum acct_switch own;
		int has_org;
		enum policy org, def;
		enum policy want;
		enum policy_source src;
		int overridden, allowed;
	} m[] = {
		/* own switch, has org, org policy, policy.default -> policy, from, overridden, allowed */
		{ SW_INHERIT, 0, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_DEFAULT, 0, 1 },
		{ SW_INHERIT, 0, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OPTIONAL, PSRC_DEFAULT, 0, 1 },
		{ SW_INHERIT, 0, POLICY_OPTIONAL, POLICY_OFF, POLICY_OFF, PSRC_DEFAULT, 0, 1 },
		{ SW_INHERIT, 1, POLICY_REQUIRED, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_REQUIRED, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_REQUIRED, POLICY_OFF, POLICY_REQUIRED, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_OPTIONAL, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OPTIONAL, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OPTIONAL, POLICY_OFF, POLICY_OPTIONAL, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OFF, POLICY_REQUIRED, POLICY_OFF, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OFF, POLICY_OPTIONAL, POLICY_OFF, PSRC_ORG, 0, 1 },
		{ SW_INHERIT, 1, POLICY_OFF, POLICY_OFF, POLICY_OFF, PSRC_ORG, 0, 1 },
		{ SW_REQUIRED, 0, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 0, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 0, POLICY_OPTIONAL, POLICY_OFF, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_REQUIRED, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_REQUIRED, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_REQUIRED, POLICY_OFF, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OPTIONAL, POLICY_OFF, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OFF, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OFF, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_REQUIRED, 1, POLICY_OFF, POLICY_OFF, POLICY_REQUIRED, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 0, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 0, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 0, POLICY_OPTIONAL, POLICY_OFF, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_REQUIRED, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OPTIONAL, 1, POLICY_REQUIRED, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OPTIONAL, 1, POLICY_REQUIRED, POLICY_OFF, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OPTIONAL, 1, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_OPTIONAL, POLICY_OFF, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_OFF, POLICY_REQUIRED, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_OFF, POLICY_OPTIONAL, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OPTIONAL, 1, POLICY_OFF, POLICY_OFF, POLICY_OPTIONAL, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 0, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 0, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 0, POLICY_OPTIONAL, POLICY_OFF, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_REQUIRED, POLICY_REQUIRED, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OFF, 1, POLICY_REQUIRED, POLICY_OPTIONAL, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OFF, 1, POLICY_REQUIRED, POLICY_OFF, POLICY_REQUIRED, PSRC_ORG, 1, 0 },
		{ SW_OFF, 1, POLICY_OPTIONAL, POLICY_REQUIRED, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_OPTIONAL, POLICY_OPTIONAL, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_OPTIONAL, POLICY_OFF, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_OFF, POLICY_REQUIRED, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_OFF, POLICY_OPTIONAL, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
		{ SW_OFF, 1, POLICY_OFF, POLICY_OFF, POLICY_OFF, PSRC_ACCOUNT, 0, 1 },
	};
	unsigned bad = 0, badallow = 0;

	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		struct policy_in in = { m[i].own, m[i].has_org, m[i].org, m[i].def };
		struct policy_out out;

		memset(&out, 0xa5, sizeof out);
		policy_resolve(&in, &out);
		if (out.pol != m[i].want || out.src != m[i].src || out.overridden != m[i].overridden) {
			bad++;
			printf("# row %zu: own %s, org %s, default %s: got %s from %s (overridden %d)\n", i,
			       switch_name(m[i].own), m[i].has_org ? policy_name(m[i].org) : "none",
			       policy_name(m[i].def), policy_name(out.pol), policy_source_name(out.src), out.overridden);
		}
		if (policy_switch_allowed(m[i].own, m[i].has_org, m[i].org) != m[i].allowed)
			badallow++;
	}
	CHECK(sizeof m / sizeof m[0] == 48 && !bad, "policy: the 48 combinations of own switch, organisation "
	      "and default resolve as documented (%u wrong)", bad);
	CHECK(!badallow, "policy: optional and off are refused under a required organisation, "
	      "allowed elsewhere (%u wrong)", badallow);
	{
		enum acct_switch sw;

		CHECK(!switch_parse("inherit", &sw) && sw == SW_INHERIT && !switch_parse("off", &sw) &&
		      sw == SW_OFF && switch_parse("on", &sw) && switch_parse("", &sw) &&
		      !strcmp(switch_name(SW_REQUIRED), "required"), "policy: switch names parse both ways");
	}
	{
		/* the decision with the applying policy; a recovery's must_enrol is kept */
		struct account *a = calloc(1, sizeof *a);
		const char *why = NULL;

		if (!a) {
			CHECK(0, "policy: out of memory");
			return;
		}
		account_init(a, "alice", 1000);
		CHECK(policy_decide(a, POLICY_REQUIRED, 0, 0, &why) == DEC_ENROL &&
		      policy_decide(a, POLICY_OPTIONAL, 0, 0, &why) == DEC_PASS &&
		      policy_decide(a, POLICY_OFF, 0, 0, &why) == DEC_PASS,
		      "policy: without a factor, required needs enrolment, optional and off pass");
		a->must_enrol = 1;
		CHECK(policy_decide(a, POLICY_OPTIONAL, 0, 0, &why) == DEC_ENROL &&
		      policy_decide(a, POLICY_REQUIRED, 0, 0, &why) == DEC_ENROL &&
		      policy_decide(a, POLICY_OFF, 0, 0, &why) == DEC_PASS,
		      "policy: after a recovery (must_enrol) enrolment is needed unless the policy is off");
		a->must_enrol = 0;
		{
			struct factor *f = account_factor_add(a, 1000);

			if (f)
				f->status = FS_ACTIVE;
			CHECK(f && policy_decide(a, POLICY_OPTIONAL, 0, 0, &why) == DEC_CODE &&
			      policy_decide(a, POLICY_REQUIRED, 0, 0, &why) == DEC_CODE &&
			      policy_decide(a, POLICY_OFF, 0, 0, &why) == DEC_PASS &&
			      policy_decide(a, POLICY_REQUIRED, 1, 0, &why) == DEC_PASS,
			      "policy: with a factor, a code unless the policy is off or the address whitelisted");
		}
		{
			struct account *b = calloc(1, sizeof *b);
			char *json = NULL, *sw;
			size_t len = 0;

			account_init(a, "bob", 1000);   /* without the factor made above */
			a->twofa = SW_OFF;
			CHECK(b && record_to_json(a, &json, &len) == CORE_OK && strstr(json, "\"2fa\"") &&
			      record_from_json(json, len, b) == CORE_OK && b->twofa == SW_OFF,
			      "policy: the account's switch survives the record round trip");
			sw = json ? strstr(json, "\"off\"") : NULL;
			if (sw)
				memcpy(sw, "\"of!\"", 5);
			CHECK(sw && record_from_json(json, len, b) != CORE_OK,
			      "policy: a record with an unknown switch is refused");
			if (json) {
				sodium_memzero(json, len);
				free(json);
			}
			free(b);
		}
		sodium_memzero(a, sizeof *a);
		free(a);
	}
}

/* Templates: placeholders, and optional lines ({?key} at a line's start). */
static void test_message(void)
{
	static const struct {
		const char *tpl, *ip, *want;
	} m[] = {
		{ "a {name}\n{?ip}from {ip}.\nb\n", "192.0.2.1", "a alice\nfrom 192.0.2.1.\nb\n" },
		{ "a {name}\n{?ip}from {ip}.\nb\n", "", "a alice\nb\n" },
		{ "a {name}\n{?ip}from {ip}.\nb\n", NULL, "a alice\nb\n" },
		{ "a\n{?nokey}never\nb", "x", "a\nb" },
		{ "a\n{?ip}last line without a newline", "", "a\n" },
		{ "{?ip}{ip}", "1", "1" },
		{ "{?ip no close\n{x} {name}{", "", "{?ip no close\n{x} alice{" },
		{ "not at the start {?ip}x\n", "", "not at the start {?ip}x\n" },
		{ "", "", "" },
	};
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		struct msg_var v[] = { { "name", "alice" }, { "ip", m[i].ip } };
		char *out = NULL;

		if (msg_render(m[i].tpl, v, 2, &out) != CORE_OK || strcmp(out, m[i].want)) {
			bad++;
			printf("# template %zu: got '%s'\n", i, out ? out : "(null)");
		}
		free(out);
	}
	CHECK(!bad, "message: placeholders and optional lines render as documented (%u wrong)", bad);
}

/* The resend interval: one slot per channel and purpose, kept in the record;
 * a record with one slot per channel holds it for every purpose. */
static void test_resend(void)
{
	struct account *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	char *json = NULL;
	size_t len = 0;

	if (!a || !b) {
		CHECK(0, "resend: out of memory");
		free(a);
		free(b);
		return;
	}
	account_init(a, "alice", 1000);
	a->last_sent[CH_EMAIL][P_ENROLL] = 1000;
	CHECK(resend_wait(a, CH_EMAIL, P_ENROLL, 1010, 30) == 20 && resend_wait(a, CH_EMAIL, P_LOGIN, 1010, 30) == 0 &&
	      resend_wait(a, CH_SMS, P_ENROLL, 1010, 30) == 0 && resend_wait(a, CH_EMAIL, P_ENROLL, 1030, 30) == 0,
	      "resend: an enrolment code holds back the next enrolment code only, on its channel");
	a->last_sent[CH_EMAIL][P_LOGIN] = 1005;
	CHECK(record_to_json(a, &json, &len) == CORE_OK && record_from_json(json, len, b) == CORE_OK &&
	      b->last_sent[CH_EMAIL][P_ENROLL] == 1000 && b->last_sent[CH_EMAIL][P_LOGIN] == 1005 &&
	      b->last_sent[CH_EMAIL][P_CONFIRM] == 0 && b->last_sent[CH_SMS][P_LOGIN] == 0,
	      "resend: the slots survive the record round trip");
	if (json) {
		char *p = strstr(json, "\"last_sent_by\"");

		/* an older record: only "last_sent" (the newest), for the channel */
		if (p)
			memcpy(p, "\"last_sent_xx\"", 14);
		CHECK(p && record_from_json(json, len, b) == CORE_OK && b->last_sent[CH_EMAIL][P_CONFIRM] == 1005 &&
		      b->last_sent[CH_EMAIL][P_LOGIN] == 1005 && b->last_sent[CH_SMS][P_LOGIN] == 0,
		      "resend: a record with one slot per channel holds it for every purpose");
		sodium_memzero(json, len);
		free(json);
	}
	sodium_memzero(a, sizeof *a);
	sodium_memzero(b, sizeof *b);
	free(a);
	free(b);
}

static void test_url(void)
{
	char out[256];

	CHECK(url_has_userinfo("smtp://mailer:s3cret@127.0.0.1:25"), "userinfo found");
	CHECK(!url_has_userinfo("smtp://127.0.0.1:25/a@b"), "an @ in the path is no userinfo");
	CHECK(!url_has_userinfo("spool:/var/spool/x@y"), "spool: has no userinfo");
	url_redact("smtp://mailer:s3cret@mail.example:587", out, sizeof out);
	CHECK(!strcmp(out, "smtp://mail.example:587"), "credentials redacted (%s)", out);
	url_redact("https://gw.example/send?apikey=XYZ#f", out, sizeof out);
	CHECK(!strcmp(out, "https://gw.example/send"), "query redacted (%s)", out);
	url_redact("https://u@[::1]:8080/p", out, sizeof out);
	CHECK(!strcmp(out, "https://[::1]:8080/p"), "IPv6 host kept (%s)", out);
	url_redact("spool:/tmp/s?x", out, sizeof out);
	CHECK(!strcmp(out, "spool:/tmp/s"), "spool: kept (%s)", out);
	CHECK(url_host_loopback("http://127.0.0.1:8080/sms"), "127.0.0.1 is loopback");
	CHECK(url_host_loopback("http://127.9.9.9/"), "127/8 is loopback");
	CHECK(url_host_loopback("http://[::1]:80/"), "::1 is loopback");
	CHECK(url_host_loopback("http://LocalHost/"), "localhost is loopback");
	CHECK(!url_host_loopback("http://127.0.0.1.evil.example/"), "a name starting with 127. is not");
	CHECK(!url_host_loopback("http://localhost.evil.example/"), "localhost.evil is not");
	CHECK(!url_host_loopback("http://user@10.0.0.1/"), "10.0.0.1 is not");
	CHECK(!url_host_loopback("http://127.0.0.1@evil.example/"), "userinfo 127.0.0.1 is not the host");
}

int main(void)
{
	if (sodium_init() < 0 || oath_init() != OATH_OK)
		return 2;
	printf("# core unit tests\n");
	test_hotp_rfc4226();
	test_totp_rfc6238();
	test_base32();
	test_codes();
	test_lockout();
	test_broad();
	test_time();
	test_moments();
	test_contact();
	test_record();
	test_auth();
	test_uri_qr();
	test_webauthn();
	test_legacy_rekey();
	test_policy();
	test_message();
	test_resend();
	test_url();
	printf("1..%d\n", n_run);
	oath_done();
	return n_fail ? 1 : 0;
}
