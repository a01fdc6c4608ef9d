/* SPDX-License-Identifier: ISC */
/* C tests of libtwofactl through its public header alone, on temporary
 * stores: no process is started. TAP output. */
#include "include/twofactl.h"

#include <json-c/json.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int n_run, n_fail;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	printf("%s %d - ", ok ? "ok" : "not ok", n_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		n_fail++;
}

static int64_t fixed_clock(void *ctx)
{
	return *(int64_t *)ctx;
}

static char base[] = "/tmp/twofactl-lib.XXXXXX";

static void rm_rf(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", path);
}

static void test_open_close(void)
{
	int64_t now = 1800000000;
	char dir[600];
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &now };
	struct stat st;
	tf *h = NULL;

	tf_status r;

	snprintf(dir, sizeof dir, "%s/none", base);
	r = tf_open(&h, &o);
	check(r == TF_STORE && h && strstr(tf_error_message(h), "no store"),
	      "tf_open of a missing store is a store error that says so (%s)", tf_error_message(h));
	check(!strcmp(tf_error_word(h), "store"), "its error word is 'store'");
	tf_close(&h);
	check(h == NULL, "tf_close sets the handle to NULL");
	tf_close(&h);   /* and takes NULL */

	snprintf(dir, sizeof dir, "%s/s1", base);
	check(tf_create(&h, &o, NULL, NULL) == TF_OK, "tf_create makes and opens a store");
	check(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the store is 0700");
	check(tf_now(h) == now, "tf_now is the handle's clock");
	tf_close(&h);
	r = tf_create(&h, &o, NULL, NULL);
	check(r == TF_USAGE || r == TF_STORE, "tf_create refuses an existing store (%s)", tf_error_message(h));
	tf_close(&h);
	check(tf_open(&h, &o) == TF_OK, "tf_open opens it again");
	tf_close(&h);

	o.clock = NULL;
	check(tf_open(&h, &o) == TF_USAGE, "tf_open without a clock is a usage error");
	tf_close(&h);
}

/* ---- administration: recovery, expire, audit, fsck, rekey, export, import ---- */

/* A sink that keeps every result (or refuses them all). */
struct keep {
	json_object *all;
	int refuse;
	unsigned notices;
	char last_notice[256];
};

static int keep_result(void *ctx, json_object *o)
{
	struct keep *k = ctx;

	if (k->refuse)
		return -1;
	json_object_array_add(k->all, json_object_get(o));
	return 0;
}

static void keep_notice(void *ctx, const char *text)
{
	struct keep *k = ctx;

	k->notices++;
	snprintf(k->last_notice, sizeof k->last_notice, "%s", text);
}

static void keep_reset(struct keep *k)
{
	json_object_put(k->all);
	k->all = json_object_new_array();
	k->refuse = 0;
	k->notices = 0;
	k->last_notice[0] = '\0';
}

static size_t kept(const struct keep *k)
{
	return json_object_array_length(k->all);
}

/* Field key of the i'th result (NULL when there is none). */
static json_object *field(const struct keep *k, size_t i, const char *key)
{
	json_object *v = NULL;

	if (i >= kept(k) || !json_object_object_get_ex(json_object_array_get_idx(k->all, i), key, &v))
		return NULL;
	return v;
}

static const char *str(const struct keep *k, size_t i, const char *key)
{
	json_object *v = field(k, i, key);

	return v ? json_object_get_string(v) : "";
}

static int64_t num(const struct keep *k, size_t i, const char *key)
{
	json_object *v = field(k, i, key);

	return v ? json_object_get_int64(v) : -1;
}

/* The number of factors of the first account of an export. */
static size_t export_factors(const struct keep *k, int *has_secret)
{
	json_object *accs = field(k, 0, "accounts"), *fs = NULL, *sec = NULL;

	*has_secret = 0;
	if (!accs || !json_object_array_length(accs) ||
	    !json_object_object_get_ex(json_object_array_get_idx(accs, 0), "factors", &fs))
		return 0;
	if (json_object_array_length(fs))
		*has_secret = json_object_object_get_ex(json_object_array_get_idx(fs, 0), "secret", &sec);
	return json_object_array_length(fs);
}

static void test_admin(void)
{
	int64_t now = 1800000000;
	char dir[600], id[16] = "", id2[16] = "";
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &now };
	struct keep k = { .all = json_object_new_array() };
	struct tf_sink sink = { keep_result, NULL, &k };
	const char *users = "HOTP/T30\talice\t-\t3132333435363738393031323334353637383930\n"
	                    "HOTP/T30\tbob\t-\t3132333435363738393031323334353637383931\n";
	const char *alice[] = { "alice" }, *nobody[] = { "nobody" };
	unsigned pins = 7;
	int secret;
	tf *h = NULL;
	tf_status r;

	snprintf(dir, sizeof dir, "%s/admin", base);
	check(tf_create(&h, &o, NULL, NULL) == TF_OK, "admin: a store to administer");

	/* import: all or nothing, one key one replay state, --resume */
	r = tf_import(h, &(struct tf_import_args){ .text = users, .pins_dropped = &pins }, &sink);
	check(r == TF_OK && kept(&k) == 1 && !strcmp(str(&k, 0, "format"), "usersfile") &&
	      num(&k, 0, "added") == 2 && pins == 0,
	      "tf_import detects a usersfile and adds its 2 accounts (%s)", tf_error_message(h));
	keep_reset(&k);
	r = tf_import(h, &(struct tf_import_args){ .text = users }, &sink);
	check(r == TF_USAGE && kept(&k) == 0 && strstr(tf_error_message(h), "has that totp key already"),
	      "tf_import refuses a key an account has already, and writes nothing (%s)", tf_error_message(h));
	r = tf_import(h, &(struct tf_import_args){ .text = users, .resume = 1 }, &sink);
	check(r == TF_OK && num(&k, 0, "skipped") == 2 && num(&k, 0, "duplicate_factors") == 2,
	      "tf_import with resume skips what was imported before");
	keep_reset(&k);
	r = tf_import(h, &(struct tf_import_args){ .text = "no such format\n" }, &sink);
	check(r == TF_USAGE && !strcmp(tf_error_word(h), "usage") && kept(&k) == 0,
	      "tf_import of what it cannot tell is a usage error (%s)", tf_error_message(h));
	r = tf_import(h, &(struct tf_import_args){ .text = "\" RATE_LIMIT 3 30\nABCDEFGHIJKLMNOP\n",
	              .format = TF_IMPORT_GOOGLE_AUTHENTICATOR }, &sink);
	check(r == TF_USAGE && strstr(tf_error_message(h), "give --user"),
	      "tf_import of a google-authenticator file needs a user");

	/* export */
	keep_reset(&k);
	r = tf_export(h, &(struct tf_export_args){ 0 }, &sink);
	check(r == TF_OK && kept(&k) == 1 && !strcmp(str(&k, 0, "format"), "twofactl-export") &&
	      json_object_array_length(field(&k, 0, "accounts")) == 2 && export_factors(&k, &secret) == 1 && !secret,
	      "tf_export hands back one document with both accounts, and no key without include_secrets");
	keep_reset(&k);
	r = tf_export(h, &(struct tf_export_args){ .names = alice, .nnames = 1, .include_secrets = 1 }, &sink);
	check(r == TF_OK && json_object_array_length(field(&k, 0, "accounts")) == 1 &&
	      export_factors(&k, &secret) == 1 && secret, "tf_export of one name with include_secrets has its key");
	keep_reset(&k);
	r = tf_export(h, &(struct tf_export_args){ .names = nobody, .nnames = 1 }, &sink);
	check(r == TF_NOENT && kept(&k) == 0, "tf_export of a missing name is TF_NOENT and hands back nothing");
	k.refuse = 1;
	r = tf_export(h, &(struct tf_export_args){ .include_secrets = 1 }, &sink);
	check(r == TF_STORE, "tf_export to a sink that cannot take it is TF_STORE");

	/* recovery */
	keep_reset(&k);
	r = tf_recovery_file(h, &(struct tf_recovery_file_args){ .name = "alice", .reason = "phone stolen",
	                     .notice = keep_notice, .notice_ctx = &k }, &sink);
	check(r == TF_OK && kept(&k) == 1 && !strcmp(str(&k, 0, "status"), "pending") &&
	      strlen(str(&k, 0, "id")) == 8 && k.notices == 0,
	      "tf_recovery_file files a pending ticket (no address: nobody to tell, no notice)");
	snprintf(id, sizeof id, "%s", str(&k, 0, "id"));
	r = tf_recovery_file(h, &(struct tf_recovery_file_args){ .name = "nobody", .reason = "x" }, &sink);
	check(r == TF_NOENT, "tf_recovery_file for a missing account is TF_NOENT");
	r = tf_recovery_file(h, &(struct tf_recovery_file_args){ .name = "alice", .reason = "two\nlines" }, &sink);
	check(r == TF_USAGE, "tf_recovery_file refuses a reason of two lines");
	keep_reset(&k);
	now += 10;
	r = tf_recovery_file(h, &(struct tf_recovery_file_args){ .name = "bob", .reason = "lost",
	                     .contact = "bob@example.org", .notice = keep_notice, .notice_ctx = &k }, &sink);
	check(r == TF_OK && k.notices == 1 && strstr(k.last_notice, "not delivered") &&
	      !strcmp(str(&k, 0, "contact"), "bob@example.org"),
	      "a message that cannot go out (no smtp.url) is a notice, not a failure (%s)", k.last_notice);
	snprintf(id2, sizeof id2, "%s", str(&k, 0, "id"));
	keep_reset(&k);
	r = tf_recovery_list(h, &(struct tf_recovery_list_args){ .status = TF_TICKET_PENDING }, &sink);
	check(r == TF_OK && kept(&k) == 2 && !strcmp(str(&k, 0, "id"), id) && !strcmp(str(&k, 1, "id"), id2),
	      "tf_recovery_list streams the pending tickets, oldest first");
	keep_reset(&k);
	r = tf_recovery_deny(h, &(struct tf_recovery_deny_args){ .id = id2, .by = "support", .reason = "no" }, &sink);
	check(r == TF_OK && !strcmp(str(&k, 0, "status"), "denied") && !strcmp(str(&k, 0, "by"), "support") &&
	      !strcmp(str(&k, 0, "answer"), "no"), "tf_recovery_deny decides a ticket");
	r = tf_recovery_approve(h, &(struct tf_recovery_approve_args){ .id = id2 }, &sink);
	check(r == TF_USAGE && strstr(tf_error_message(h), "already denied by support"),
	      "a ticket is decided once (%s)", tf_error_message(h));
	keep_reset(&k);
	r = tf_recovery_approve(h, &(struct tf_recovery_approve_args){ .id = id }, &sink);
	check(r == TF_OK && !strcmp(str(&k, 0, "status"), "approved") && !strcmp(str(&k, 0, "by"), "admin"),
	      "tf_recovery_approve decides the other (by \"admin\" when nobody is named)");
	keep_reset(&k);
	r = tf_export(h, &(struct tf_export_args){ .names = alice, .nnames = 1 }, &sink);
	check(r == TF_OK && export_factors(&k, &secret) == 0, "approved: the account has no factor left");
	keep_reset(&k);
	r = tf_recovery_show(h, &(struct tf_recovery_show_args){ .id = "nope" }, &sink);
	check(r == TF_USAGE && kept(&k) == 0, "tf_recovery_show refuses what is not a ticket id");
	r = tf_recovery_show(h, &(struct tf_recovery_show_args){ .id = "AAAAAAAA" }, &sink);
	check(r == TF_NOENT, "tf_recovery_show of no ticket is TF_NOENT");
	r = tf_recovery_show(h, &(struct tf_recovery_show_args){ .id = id }, &sink);
	check(r == TF_OK && num(&k, 0, "decided") == now, "tf_recovery_show reads the ticket back");

	/* expire: decided tickets go after recovery.retention (90 days) */
	keep_reset(&k);
	now += 89 * 86400;
	r = tf_expire(h, &(struct tf_expire_args){ .dry_run = 1 }, &sink);
	check(r == TF_OK && kept(&k) == 1 && num(&k, 0, "tickets") == 0 && num(&k, 0, "accounts") == 2,
	      "tf_expire keeps tickets decided 89 days ago");
	keep_reset(&k);
	now += 86400;
	r = tf_expire(h, &(struct tf_expire_args){ .dry_run = 1 }, &sink);
	check(r == TF_OK && num(&k, 0, "tickets") == 2 && json_object_get_boolean(field(&k, 0, "dry_run")),
	      "a dry run counts the 2 tickets 90 days old");
	keep_reset(&k);
	r = tf_expire(h, &(struct tf_expire_args){ 0 }, &sink);
	check(r == TF_OK && num(&k, 0, "tickets") == 2, "tf_expire removes them");
	r = tf_recovery_show(h, &(struct tf_recovery_show_args){ .id = id }, &sink);
	check(r == TF_NOENT, "and they are gone");

	/* audit */
	keep_reset(&k);
	r = tf_audit_show(h, &(struct tf_audit_show_args){ .user = "bob" }, &sink);
	check(r == TF_OK && kept(&k) == 3 && !strcmp(str(&k, 0, "event"), "import") &&
	      !strcmp(str(&k, 1, "event"), "recovery.file") && !strcmp(str(&k, 2, "event"), "recovery.deny") &&
	      num(&k, 0, "seq") > 0, "tf_audit_show streams one account's lines with their seq");
	keep_reset(&k);
	r = tf_audit_show(h, &(struct tf_audit_show_args){ .since = now }, &sink);
	check(r == TF_OK && kept(&k) == 0, "and --since filters (nothing was audited by expire's sweep)");
	keep_reset(&k);
	r = tf_audit_verify(h, &sink);
	check(r == TF_OK && kept(&k) == 1 && json_object_get_boolean(field(&k, 0, "intact")) &&
	      num(&k, 0, "lines") >= 10, "tf_audit_verify finds the log intact (%lld lines)",
	      (long long)num(&k, 0, "lines"));

	/* fsck, rekey */
	keep_reset(&k);
	r = tf_fsck(h, &(struct tf_fsck_args){ .notice = keep_notice, .notice_ctx = &k }, &sink);
	check(r == TF_OK && kept(&k) == 1 && json_object_get_boolean(field(&k, 0, "clean")) && k.notices == 0,
	      "tf_fsck finds a clean store");
	keep_reset(&k);
	r = tf_rekey(h, &(struct tf_rekey_args){ 0 }, &sink);
	check(r == TF_OK && num(&k, 0, "files") == 2 && json_object_get_boolean(field(&k, 0, "rekeyed")),
	      "tf_rekey seals the 2 accounts again");
	keep_reset(&k);
	r = tf_export(h, &(struct tf_export_args){ .names = alice, .nnames = 1 }, &sink);
	check(r == TF_OK && kept(&k) == 1, "the same handle reads the rekeyed store");
	keep_reset(&k);
	r = tf_audit_verify(h, &sink);
	check(r == TF_OK && json_object_get_boolean(field(&k, 0, "intact")), "and its resealed log verifies");
	tf_close(&h);

	json_object_put(k.all);
}

/* ---- factors: enroll, confirm, show, disable, code, backup, trust, whitelist ---- */

/* tests/lib/fixture_factors.c: an account (no public use case makes one yet) */
int factors_fixture_user(tf *h, const char *name);

/* Keeps a copy of the results (the library wipes a secret's strings once
 * the sink returns); fails every result when refuse is set. */
struct factors_sink {
	json_object *last;
	int n, refuse;
};

static int factors_take(void *ctx, json_object *o)
{
	struct factors_sink *k = ctx;

	if (k->refuse)
		return -1;
	json_object_put(k->last);
	k->last = json_tokener_parse(json_object_to_json_string(o));
	k->n++;
	return 0;
}

static const char *factors_str(const struct factors_sink *k, const char *key)
{
	json_object *v;

	return k->last && json_object_object_get_ex(k->last, key, &v) && v ? json_object_get_string(v) : "";
}

static int64_t factors_int(const struct factors_sink *k, const char *key)
{
	json_object *v;

	return k->last && json_object_object_get_ex(k->last, key, &v) ? json_object_get_int64(v) : -1;
}

static void factors_reset(struct factors_sink *k)
{
	json_object_put(k->last);
	memset(k, 0, sizeof *k);
}

static void test_factors(void)
{
	int64_t now = 1800000000;
	char dir[600], code[16] = "", backup[40] = "", token[80] = "";
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &now };
	struct factors_sink k = { 0 };
	const struct tf_sink out = { factors_take, NULL, &k };
	json_object *arr;
	tf *h = NULL, *fe = NULL;
	tf_status r;

	snprintf(dir, sizeof dir, "%s/factors", base);
	if (tf_create(&h, &o, NULL, NULL) != TF_OK || factors_fixture_user(h, "alice")) {
		check(0, "factors: a store with an account (%s)", h ? tf_error_message(h) : "no handle");
		tf_close(&h);
		return;
	}

	/* refusals before anything is looked at */
	r = tf_enroll(h, &(struct tf_enroll_args){ .name = "nobody", .method = TF_METHOD_TOTP }, &out);
	check(r == TF_NOENT && k.n == 0, "tf_enroll of a missing account is TF_NOENT, no result (%s)",
	      tf_error_message(h));
	r = tf_whitelist_add(h, &(struct tf_whitelist_add_args){ .name = "alice", .cidr = "10.0.0.300" }, &out);
	check(r == TF_USAGE && strstr(tf_error_message(h), "not an IPv4 or IPv6"),
	      "tf_whitelist_add refuses a bad address (%s)", tf_error_message(h));
	r = tf_trust_add(h, &(struct tf_trust_add_args){ .name = "alice", .days = 366 }, &out);
	check(r == TF_USAGE, "tf_trust_add refuses 366 days");
	r = tf_backup_revoke(h, &(struct tf_backup_revoke_args){ .name = "alice" }, &out);
	check(r == TF_USAGE && strstr(tf_error_message(h), "--all"), "tf_backup_revoke needs a code or all");

	/* enroll, code, confirm: the factor is active, with ten backup codes */
	r = tf_enroll(h, &(struct tf_enroll_args){ .name = "alice", .method = TF_METHOD_TOTP }, &out);
	check(r == TF_OK && !strcmp(factors_str(&k, "status"), "pending") && strlen(factors_str(&k, "secret")) >= 32 &&
	      !strncmp(factors_str(&k, "uri"), "otpauth://totp/", 15), "tf_enroll TOTP: a pending factor and its key");
	r = tf_code(h, &(struct tf_code_args){ .name = "alice" }, &out);
	check(r == TF_OK && strlen(factors_str(&k, "code")) == 6 && factors_int(&k, "valid_for") > 0,
	      "tf_code: the current code of the pending factor");
	snprintf(code, sizeof code, "%s", factors_str(&k, "code"));
	r = tf_confirm(h, &(struct tf_confirm_args){ .name = "alice", .code = code }, &out);
	arr = NULL;
	if (k.last)
		json_object_object_get_ex(k.last, "backup_codes", &arr);
	check(r == TF_OK && !strcmp(factors_str(&k, "status"), "active") && json_object_array_length(arr) == 10,
	      "tf_confirm activates it and hands ten backup codes");
	if (arr && json_object_array_length(arr))
		snprintf(backup, sizeof backup, "%s", json_object_get_string(json_object_array_get_idx(arr, 0)));
	r = tf_confirm(h, &(struct tf_confirm_args){ .name = "alice", .code = code }, &out);
	check(r != TF_OK, "the same confirm again is refused (%d: %s)", r, tf_error_message(h));

	/* backup: a new set the sink cannot take leaves the old one */
	k.refuse = 1;
	r = tf_backup_issue(h, &(struct tf_backup_issue_args){ .name = "alice" }, &out);
	k.refuse = 0;
	check(r == TF_STORE, "tf_backup_issue whose codes cannot be taken is TF_STORE");
	r = tf_backup_revoke(h, &(struct tf_backup_revoke_args){ .name = "alice", .code = backup }, &out);
	check(r == TF_OK && factors_int(&k, "revoked") == 1 && factors_int(&k, "left") == 9,
	      "an old backup code still works after it: revoked 1, 9 left");
	r = tf_backup_revoke(h, &(struct tf_backup_revoke_args){ .name = "alice", .code = backup }, &out);
	check(r == TF_NOENT, "a revoked backup code is gone (TF_NOENT)");
	r = tf_backup_list(h, &(struct tf_backup_list_args){ .name = "alice" }, &out);
	check(r == TF_OK && factors_int(&k, "left") == 9 && factors_int(&k, "issued") == now,
	      "tf_backup_list: 9 left, issued now");

	/* trust: nothing kept when the token cannot be taken */
	k.refuse = 1;
	r = tf_trust_add(h, &(struct tf_trust_add_args){ .name = "alice", .label = "lab" }, &out);
	k.refuse = 0;
	check(r == TF_STORE, "tf_trust_add whose token cannot be taken is TF_STORE");
	k.n = 0;
	r = tf_trust_list(h, &(struct tf_trust_list_args){ .name = "alice" }, &out);
	check(r == TF_OK && k.n == 0, "and no device is remembered");
	r = tf_trust_add(h, &(struct tf_trust_add_args){ .name = "alice", .days = 2, .label = "lab" }, &out);
	check(r == TF_OK && strlen(factors_str(&k, "token")) > 20 && factors_int(&k, "expires") == now + 2 * 86400,
	      "tf_trust_add: a token, expiring in 2 days");
	snprintf(token, sizeof token, "%s", factors_str(&k, "token"));
	r = tf_check(h, &(struct tf_check_args){ .name = "alice", .device_token = token }, &out);
	check(r == TF_OK, "tf_check with that token skips the code (%s)", factors_str(&k, "reason"));
	r = tf_trust_revoke(h, &(struct tf_trust_revoke_args){ .name = "alice", .all = 1 }, &out);
	check(r == TF_OK && factors_int(&k, "revoked") == 1, "tf_trust_revoke all: 1");
	r = tf_check(h, &(struct tf_check_args){ .name = "alice", .device_token = token }, &out);
	check(r == TF_NEED_CODE, "after it the token no longer skips the code");

	/* whitelist */
	r = tf_whitelist_add(h, &(struct tf_whitelist_add_args){ .name = "alice", .cidr = "0.0.0.0/0" }, &out);
	check(r == TF_USAGE && strstr(tf_error_message(h), "too broad"), "0.0.0.0/0 is too broad");
	r = tf_whitelist_add(h, &(struct tf_whitelist_add_args){ .name = "alice", .cidr = "10.1.2.3/8",
	                     .ttl = 3600 }, &out);
	check(r == TF_OK && !strcmp(factors_str(&k, "net"), "10.0.0.0/8") && factors_int(&k, "expires") == now + 3600,
	      "tf_whitelist_add clears the host bits, expires in an hour");
	k.n = 0;
	r = tf_whitelist_list(h, &(struct tf_whitelist_list_args){ .name = "alice" }, &out);
	check(r == TF_OK && k.n == 1 && !strcmp(factors_str(&k, "net"), "10.0.0.0/8"), "tf_whitelist_list: one entry");
	r = tf_check(h, &(struct tf_check_args){ .name = "alice", .ip = "10.9.9.9" }, &out);
	check(r == TF_OK, "tf_check from inside it skips the code");
	r = tf_whitelist_del(h, &(struct tf_whitelist_del_args){ .name = "alice", .cidr = "10.0.0.0/8" }, &out);
	check(r == TF_OK && !strcmp(factors_str(&k, "result"), "deleted"), "tf_whitelist_del");
	r = tf_whitelist_del(h, &(struct tf_whitelist_del_args){ .name = "alice", .cidr = "10.0.0.0/8" }, &out);
	check(r == TF_NOENT, "deleting it again is TF_NOENT");

	/* a front end's handle: the key again only with a code; no --force, no broad ranges */
	o.role = TF_ROLE_FRONTEND;
	if (tf_open(&fe, &o) == TF_OK) {
		r = tf_show(fe, &(struct tf_show_args){ .name = "alice" }, &out);
		check(r == TF_USAGE, "a front end's tf_show without a code is refused");
		r = tf_disable(fe, &(struct tf_disable_args){ .name = "alice", .force = 1 }, &out);
		check(r == TF_USAGE && !strcmp(tf_error_word(fe), "forbidden"), "a front end's tf_disable force is forbidden");
		r = tf_whitelist_add(fe, &(struct tf_whitelist_add_args){ .name = "alice", .cidr = "::/0",
		                     .allow_broad = 1 }, &out);
		check(r == TF_USAGE && !strcmp(tf_error_word(fe), "forbidden"), "and so is its allow_broad");
		r = tf_code(fe, &(struct tf_code_args){ .name = "alice" }, &out);
		check(r == TF_USAGE && !strcmp(tf_error_word(fe), "forbidden"), "and its tf_code");
		o.role = TF_ROLE_PAM;
		tf_close(&fe);
		if (tf_open(&fe, &o) == TF_OK) {
			r = tf_code(fe, &(struct tf_code_args){ .name = "alice" }, &out);
			check(r == TF_USAGE && !strcmp(tf_error_word(fe), "forbidden"), "and a PAM handle's tf_code");
		}
	} else {
		check(0, "a front end's handle opens (%s)", tf_error_message(fe));
	}
	tf_close(&fe);
	o.role = TF_ROLE_NONE;

	/* an administrator's show and disable */
	r = tf_show(h, &(struct tf_show_args){ .name = "alice" }, &out);
	check(r == TF_OK && !strcmp(factors_str(&k, "status"), "active"), "an administrator's tf_show needs no code");
	r = tf_disable(h, &(struct tf_disable_args){ .name = "alice", .force = 1 }, &out);
	check(r == TF_OK && factors_int(&k, "removed") == 1, "tf_disable force removes the factor");
	r = tf_code(h, &(struct tf_code_args){ .name = "alice" }, &out);
	check(r == TF_NOENT, "and no code is left to show");

	memset(code, 0, sizeof code);
	memset(backup, 0, sizeof backup);
	memset(token, 0, sizeof token);
	factors_reset(&k);
	tf_close(&h);
}

/* The login family's use cases on a store without accounts: each says
 * what the command line says, through the handle and its error hook, and
 * nothing reaches the sink. */
struct login_seen {
	int results, errors;
	tf_status last;
	char word[32];
};

static int login_sink(void *ctx, struct json_object *o)
{
	(void)o;
	((struct login_seen *)ctx)->results++;
	return 0;
}

static void login_error(void *ctx, tf_status st, const char *word, const char *message)
{
	struct login_seen *s = ctx;

	(void)message;
	s->errors++;
	s->last = st;
	snprintf(s->word, sizeof s->word, "%s", word ? word : "");
}

static void test_login(void)
{
	int64_t now = 1800000000;
	char dir[600];
	struct login_seen seen = { 0 };
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &now,
	                        .on_error = login_error, .error_ctx = &seen };
	const struct tf_sink out = { login_sink, NULL, &seen };
	char token[128];
	tf *h = NULL;
	tf_status r;

	snprintf(dir, sizeof dir, "%s/login", base);
	if (tf_create(&h, &o, NULL, NULL) != TF_OK) {
		check(0, "tf_create for the login tests (%s)", h ? tf_error_message(h) : "no handle");
		tf_close(&h);
		return;
	}
	seen = (struct login_seen){ 0 };

	r = tf_verify(h, &(struct tf_verify_args){ .name = "alice", .code = "123456" }, &out);
	check(r == TF_NOENT && !strcmp(tf_error_message(h), "no such account"),
	      "tf_verify of a missing account: TF_NOENT, 'no such account' (%s)", tf_error_message(h));
	check(seen.errors == 1 && seen.last == TF_NOENT, "the error hook is told once, with the status");
	r = tf_verify(h, &(struct tf_verify_args){ .name = "../etc", .code = "123456" }, &out);
	check(r == TF_USAGE, "tf_verify refuses a malformed name with TF_USAGE (%s)", tf_error_message(h));
	r = tf_verify(h, &(struct tf_verify_args){ .name = "alice", .code = NULL }, NULL);
	check(r == TF_NOENT, "tf_verify takes a NULL code and a NULL sink");

	r = tf_verify_password(h, &(struct tf_verify_password_args){ .name = "alice", .password = "hunter22" }, &out);
	check(r == TF_NOENT, "tf_verify_password of a missing account: TF_NOENT");
	r = tf_verify_assertion(h, &(struct tf_verify_assertion_args){ .name = "alice", .assertion = "{}" }, &out);
	check(r == TF_NOENT, "tf_verify_assertion of a missing account: TF_NOENT (%s)", tf_status_word(r));

	r = tf_send(h, &(struct tf_send_args){ .name = "alice", .via = TF_CHANNEL_EMAIL, .purpose = TF_CODE_LOGIN }, &out);
	check(r == TF_NOENT, "tf_send to a missing account: TF_NOENT (%s)", tf_error_message(h));

	r = tf_passwd(h, &(struct tf_passwd_args){ .name = "alice", .password = "long enough" }, &out);
	check(r == TF_NOENT, "tf_passwd of a missing account: TF_NOENT");
	r = tf_reset_send(h, &(struct tf_reset_send_args){ .name = "alice" }, &out);
	check(r == TF_NOENT, "tf_reset_send to a missing account: TF_NOENT");

	r = tf_reset_redeem(h, &(struct tf_reset_redeem_args){ .token = "alice:short" }, &out);
	check(r == TF_USAGE && !strcmp(tf_error_message(h), "malformed reset token"),
	      "tf_reset_redeem of a malformed token: TF_USAGE (%s)", tf_error_message(h));
	r = tf_reset_redeem(h, &(struct tf_reset_redeem_args){ .token = NULL }, &out);
	check(r == TF_USAGE, "tf_reset_redeem takes a NULL token as malformed");
	snprintf(token, sizeof token, "alice:%.43s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	r = tf_reset_redeem(h, &(struct tf_reset_redeem_args){ .token = token, .password = "long enough" }, &out);
	check(r == TF_NOENT, "tf_reset_redeem of a well-formed token of a missing account: TF_NOENT (%s)",
	      tf_error_message(h));

	r = tf_webauthn_challenge(h, &(struct tf_webauthn_challenge_args){ .name = "alice",
	                          .purpose = TF_WEBAUTHN_REGISTER }, &out);
	check(r == TF_NOENT, "tf_webauthn_challenge for a missing account: TF_NOENT (%s)", tf_status_word(r));
	r = tf_webauthn_challenge(h, &(struct tf_webauthn_challenge_args){ .name = "alice",
	                          .purpose = (tf_webauthn_purpose)7 }, &out);
	check(r == TF_USAGE, "tf_webauthn_challenge refuses a purpose it does not know: TF_USAGE");
	r = tf_webauthn_list(h, &(struct tf_webauthn_list_args){ .name = "alice" }, &out);
	check(r == TF_NOENT, "tf_webauthn_list of a missing account: TF_NOENT");
	r = tf_webauthn_del(h, &(struct tf_webauthn_del_args){ .name = "alice", .id = 1 }, &out);
	check(r == TF_NOENT, "tf_webauthn_del of a missing account: TF_NOENT");

	check(seen.results == 0, "no failure handed a result to the sink (%d)", seen.results);
	check(seen.errors >= 15, "every failure was told to the error hook (%d)", seen.errors);
	tf_close(&h);
}

/* accounts: the results a sink is handed, kept as one array */
struct acc_kept {
	json_object *all;
	int refuse;     /* the sink says it could not take them */
	size_t pwlen;   /* of a password seen (the library wipes it on return) */
	char pw[64];
};

static int acc_keep(void *ctx, struct json_object *o)
{
	struct acc_kept *k = ctx;
	json_object *v;

	if (k->refuse)
		return -1;
	if (json_object_object_get_ex(o, "password", &v) && v)
		snprintf(k->pw, sizeof k->pw, "%s", json_object_get_string(v)), k->pwlen = strlen(k->pw);
	json_object_array_add(k->all, json_object_get(o));
	return 0;
}

static const char *acc_field(struct acc_kept *k, size_t i, const char *key)
{
	json_object *o = json_object_array_get_idx(k->all, i), *v;

	return o && json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void acc_reset(struct acc_kept *k)
{
	json_object_put(k->all);
	k->all = json_object_new_array();
	k->refuse = 0;
	k->pwlen = 0;
	memset(k->pw, 0, sizeof k->pw);
}

static int acc_same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void test_accounts(void)
{
	int64_t now = 1800000000;
	char dir[600];
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &now };
	struct acc_kept k = { .all = json_object_new_array() };
	struct tf_sink out = { .result = acc_keep, .ctx = &k };
	struct tf_health_report rep;
	tf *h = NULL, *fe = NULL;
	tf_status r;

	snprintf(dir, sizeof dir, "%s/accounts", base);
	r = tf_init(&h, &o, &(struct tf_init_args){ 0 }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "dir"), dir), "tf_init makes a store and says where (%s)",
	      tf_error_message(h));
	acc_reset(&k);

	r = tf_org_add(h, &(struct tf_org_add_args){ .name = "acme", .policy = TF_POLICY_REQUIRED }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "policy"), "required"), "tf_org_add: acme, required");
	r = tf_org_add(h, &(struct tf_org_add_args){ .name = "acme", .policy = TF_POLICY_OFF }, NULL);
	check(r != TF_OK, "tf_org_add refuses a second acme (%s)", tf_error_message(h));
	acc_reset(&k);

	r = tf_user_add(h, &(struct tf_user_add_args){ .name = "alice", .email = "alice@example.org",
	                .org = "acme" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "name"), "alice") && !acc_field(&k, 0, "password"),
	      "tf_user_add: alice in acme, no password made");
	r = tf_user_add(h, &(struct tf_user_add_args){ .name = "alice" }, NULL);
	check(r != TF_OK, "tf_user_add refuses a second alice (%s: %s)", tf_error_word(h), tf_error_message(h));
	r = tf_user_add(h, &(struct tf_user_add_args){ .name = "bob", .generate_password = 1 }, &out);
	check(r == TF_OK && k.pwlen == 32 && json_object_array_length(k.all) == 2,
	      "tf_user_add with generate_password hands the password of 32 characters over");
	check(acc_field(&k, 1, "password") && strcmp(acc_field(&k, 1, "password"), k.pw) != 0,
	      "and wipes it once the sink has returned (a reference kept holds no password)");
	acc_reset(&k);

	/* a sink that cannot take a shown-once password: nothing is kept */
	k.refuse = 1;
	r = tf_user_add(h, &(struct tf_user_add_args){ .name = "carol", .service = 1 }, &out);
	check(r == TF_STORE, "tf_user_add whose password the sink refuses is a store error (%s)",
	      tf_error_message(h));
	acc_reset(&k);
	r = tf_user_show(h, &(struct tf_user_show_args){ .name = "carol" }, &out);
	check(r == TF_NOENT && json_object_array_length(k.all) == 0, "and carol was not kept");
	acc_reset(&k);

	r = tf_user_list(h, &(struct tf_user_list_args){ 0 }, &out);
	check(r == TF_OK && json_object_array_length(k.all) == 2 && acc_same(acc_field(&k, 0, "name"), "alice") &&
	      acc_same(acc_field(&k, 1, "name"), "bob"), "tf_user_list streams one result per account, sorted");
	acc_reset(&k);
	r = tf_user_list(h, &(struct tf_user_list_args){ .org = "acme" }, &out);
	check(r == TF_OK && json_object_array_length(k.all) == 1 && acc_same(acc_field(&k, 0, "name"), "alice"),
	      "tf_user_list filters by organisation");
	acc_reset(&k);

	r = tf_user_set(h, &(struct tf_user_set_args){ .name = "bob", .lang = "cs" }, &out);
	check(r == TF_OK, "tf_user_set changes bob's language (%s)", tf_error_message(h));
	acc_reset(&k);
	r = tf_user_show(h, &(struct tf_user_show_args){ .name = "bob" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "lang"), "cs") && acc_same(acc_field(&k, 0, "name"), "bob"),
	      "tf_user_show shows it");
	acc_reset(&k);

	/* a front end may not exempt an account from the second factor */
	o.role = TF_ROLE_FRONTEND;
	r = tf_open(&fe, &o);
	check(r == TF_OK, "a front end's handle opens the store");
	r = tf_user_add(fe, &(struct tf_user_add_args){ .name = "dave", .twofa = TF_SWITCH_OFF }, NULL);
	check(r == TF_USAGE && acc_same(tf_error_word(fe), "forbidden"),
	      "tf_user_add --2fa off is refused to a front end (%s)", tf_error_message(fe));
	r = tf_user_set(fe, &(struct tf_user_set_args){ .name = "bob", .must_enrol = TF_TOGGLE_ON }, NULL);
	check(r == TF_USAGE && acc_same(tf_error_word(fe), "forbidden"), "so is --must-enrol");
	tf_close(&fe);
	o.role = TF_ROLE_NONE;
	r = tf_user_show(h, &(struct tf_user_show_args){ .name = "dave" }, NULL);
	check(r == TF_NOENT, "dave was not added");

	r = tf_user_rename(h, &(struct tf_user_rename_args){ .name = "bob", .new_name = "robert" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "old"), "bob") && acc_same(acc_field(&k, 0, "name"), "robert"),
	      "tf_user_rename: bob is robert (%s)", tf_error_message(h));
	r = tf_user_rename(h, &(struct tf_user_rename_args){ .name = "robert", .new_name = "alice" }, NULL);
	check(r != TF_OK, "tf_user_rename onto an account that exists is refused (%s)", tf_error_message(h));
	acc_reset(&k);

	r = tf_oidc_link(h, &(struct tf_oidc_link_args){ .name = "alice", .issuer = "https://id.example.org/",
	                 .subject = "s-1" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "issuer"), "https://id.example.org"),
	      "tf_oidc_link: the issuer without its trailing / (%s)", tf_error_message(h));
	r = tf_oidc_link(h, &(struct tf_oidc_link_args){ .name = "robert", .issuer = "https://id.example.org",
	                 .subject = "s-1" }, NULL);
	check(r != TF_OK, "one identity belongs to one account (%s)", tf_error_message(h));
	acc_reset(&k);
	r = tf_oidc_lookup(h, &(struct tf_oidc_lookup_args){ .issuer = "https://id.example.org",
	                   .subject = "s-1" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "name"), "alice"), "tf_oidc_lookup finds alice");
	r = tf_oidc_unlink(h, &(struct tf_oidc_unlink_args){ .name = "alice" }, NULL);
	check(r == TF_OK, "tf_oidc_unlink drops it");
	r = tf_oidc_lookup(h, &(struct tf_oidc_lookup_args){ .issuer = "https://id.example.org",
	                   .subject = "s-1" }, NULL);
	check(r == TF_NOENT, "and lookup then finds nothing");
	acc_reset(&k);

	r = tf_config_set(h, &(struct tf_config_set_args){ .key = "lockout.after", .value = "7" }, NULL);
	check(r == TF_OK, "tf_config_set lockout.after 7 (%s)", tf_error_message(h));
	r = tf_config_get(h, &(struct tf_config_get_args){ .key = "lockout.after" }, &out);
	check(r == TF_OK && acc_same(acc_field(&k, 0, "value"), "7"), "tf_config_get reads it back");
	r = tf_config_set(h, &(struct tf_config_set_args){ .key = "no.such.key", .value = "1" }, NULL);
	check(r == TF_USAGE, "tf_config_set of an unknown key is a usage error (%s)", tf_error_message(h));
	check(tf_config_key_name(0) != NULL && tf_config_key_name(100000) == NULL,
	      "tf_config_key_name walks the keys and ends");
	acc_reset(&k);

	r = tf_org_del(h, &(struct tf_org_del_args){ .name = "acme" }, NULL);
	check(r != TF_OK, "tf_org_del refuses an organisation with members (%s)", tf_error_message(h));
	r = tf_user_del(h, &(struct tf_user_del_args){ .name = "alice" }, NULL);
	check(r == TF_OK, "tf_user_del alice");
	r = tf_org_del(h, &(struct tf_org_del_args){ .name = "acme" }, NULL);
	check(r == TF_OK, "then tf_org_del acme (%s)", tf_error_message(h));
	r = tf_org_list(h, &out);
	check(r == TF_OK && json_object_array_length(k.all) == 0, "and tf_org_list lists nothing");
	acc_reset(&k);

	memset(&rep, 0, sizeof rep);
	r = tf_health(h, &out, &rep);
	check(r == TF_OK && rep.state == TF_HEALTH_OK && rep.accounts == 1 && acc_same(acc_field(&k, 0, "status"), "OK"),
	      "tf_health: OK, one account (state %d, %zu accounts, %s)", (int)rep.state, rep.accounts,
	      acc_field(&k, 0, "status") ? acc_field(&k, 0, "status") : "no status");
	tf_close(&h);
	json_object_put(k.all);
}

/* ---- threads: two handles, one code ---- */

struct racer {
	const char *dir;
	int64_t now;
	const char *code;
	pthread_barrier_t *go;
	tf_status st;
};

static int64_t racer_clock(void *ctx)
{
	return ((struct racer *)ctx)->now;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct tf_options o = { .dir = r->dir, .clock = racer_clock, .clock_ctx = r };
	tf *h = NULL;

	r->st = tf_open(&h, &o);
	pthread_barrier_wait(r->go);
	if (r->st == TF_OK)
		r->st = tf_verify(h, &(struct tf_verify_args){ .name = "alice", .code = r->code }, NULL);
	tf_close(&h);
	return NULL;
}

static int take_token(void *ctx, struct json_object *o)
{
	*(tf_secret **)ctx = tf_secret_take(o, "token");
	return 0;
}

/* Two threads, each with its own handle on one store, present the same
 * code at once, round after round: exactly one is accepted, the other is
 * a replay. Nothing in the library is unsafe on two handles. */
static void test_threads(void)
{
	char dir[300];
	int64_t start = 1800000000;
	struct tf_options o = { .dir = dir, .clock = fixed_clock, .clock_ctx = &start };
	tf *h = NULL;
	int once = 0, replays = 0, rounds = 20;

	snprintf(dir, sizeof dir, "%s/threads", base);
	check(tf_create(&h, &o, NULL, NULL) == TF_OK &&
	      tf_import(h, &(struct tf_import_args){ .text =
	                "otpauth://totp/x:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=x\n" }, NULL) == TF_OK,
	      "threads: a store with alice's app (%s)", h ? tf_error_message(h) : "no handle");
	tf_close(&h);
	for (int k = 1; k <= rounds; k++) {
		char code[16];
		pthread_barrier_t go;
		pthread_t t[2];
		struct racer r[2];
		int64_t now = 1800000000 + 30 * k;

		if (oath_totp_generate("12345678901234567890", 20, (time_t)now, 30, 0, 6, code) != OATH_OK)
			break;
		pthread_barrier_init(&go, NULL, 2);
		for (int i = 0; i < 2; i++) {
			r[i] = (struct racer){ .dir = dir, .now = now, .code = code, .go = &go };
			pthread_create(&t[i], NULL, race, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&go);
		once += (r[0].st == TF_OK) + (r[1].st == TF_OK) == 1;
		replays += (r[0].st == TF_REJECTED) + (r[1].st == TF_REJECTED) == 1;
	}
	check(once == rounds, "two threads, one code: accepted exactly once in %d of %d rounds", once, rounds);
	check(replays == rounds, "and refused as a replay by the other in %d of %d rounds", replays, rounds);

	/* NULL where a daemon's JSON lacked a field: a usage error, never a crash */
	{
		tf_status r1, r2, r3, r4, r5, r6, r7;

		check(tf_open(&h, &o) == TF_OK, "a handle for NULL arguments");
		r1 = tf_verify(NULL, &(struct tf_verify_args){ .name = "alice", .code = "123456" }, NULL);
		r2 = tf_verify(h, NULL, NULL);
		r3 = tf_verify(h, &(struct tf_verify_args){ .code = "123456" }, NULL);
		r4 = tf_check(h, &(struct tf_check_args){ 0 }, NULL);
		r5 = tf_enroll(h, &(struct tf_enroll_args){ 0 }, NULL);
		r6 = tf_backup_issue(h, &(struct tf_backup_issue_args){ 0 }, NULL);
		r7 = tf_send(h, &(struct tf_send_args){ 0 }, NULL);
		check(r1 == TF_USAGE && r2 == TF_USAGE && r3 == TF_USAGE && r4 == TF_USAGE && r5 == TF_USAGE &&
		      r6 == TF_USAGE && r7 == TF_USAGE,
		      "NULL handle, arguments or name: TF_USAGE (%d %d %d %d %d %d %d)", r1, r2, r3, r4, r5, r6, r7);
		check(tf_org_list(NULL, NULL) == TF_USAGE && tf_audit_verify(NULL, NULL) == TF_USAGE,
		      "and for the use cases without arguments");
		tf_close(&h);
	}

	/* a secret kept past its result: tf_secret_take, tf_secret_free */
	{
		tf_secret *tok = NULL;
		struct tf_sink keep = { take_token, NULL, &tok };
		tf_status r;

		check(tf_open(&h, &o) == TF_OK && tf_trust_add(h, &(struct tf_trust_add_args){ .name = "alice" },
		      &keep) == TF_OK, "a device token for alice");
		check(tok && tok->len == TF_DEVICE_TOKEN_CHARS && strlen(tok->text) == tok->len,
		      "tf_secret_take keeps it past the result (%zu characters)", tok ? tok->len : 0);
		r = tok ? tf_check(h, &(struct tf_check_args){ .name = "alice", .device_token = tok->text }, NULL)
		        : TF_STORE;
		check(r == TF_OK, "and it is the token: check passes the remembered device (%d)", r);
		tf_secret_free(&tok);
		check(tok == NULL, "tf_secret_free wipes, frees and clears it");
		check(tf_secret_take(NULL, "token") == NULL, "nothing to take: NULL");
		tf_close(&h);
	}
}

int main(void)
{
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_open_close();
	test_admin();
	test_factors();
	test_login();
	test_accounts();
	test_threads();
	rm_rf(base);
	printf("1..%d\n", n_run);
	return n_fail != 0;
}
