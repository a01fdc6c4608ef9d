/* SPDX-License-Identifier: ISC */
/* C tests of libtwofactl through its public header alone, on temporary
 * stores: no process is started. TAP output. */
#include "include/twofactl.h"

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

int main(void)
{
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_open_close();
	rm_rf(base);
	printf("1..%d\n", n_run);
	return n_fail != 0;
}
