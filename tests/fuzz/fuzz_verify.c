/* SPDX-License-Identifier: ISC */
/* The library's login entry point on a real store: any name and any code
 * give a status of DESIGN.md's, an empty or malformed code is never
 * accepted, and a code accepted once is refused the second time. */
#include "fuzz.h"
#include "include/twofactl.h"

#include <stdio.h>
#include <unistd.h>

static tf *h;
static char dir[] = "/tmp/twofactl-fuzz-verify.XXXXXX";

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1800000000;
}

static void cleanup(void)
{
	char cmd[128];

	tf_close(&h);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
		/* nothing more to do */
	}
}

static void setup(void)
{
	char store[128];
	struct tf_options o = { .clock = fixed_clock };

	if (!mkdtemp(dir))
		abort();
	snprintf(store, sizeof store, "%s/store", dir);
	o.dir = store;
	if (tf_create(&h, &o, NULL, NULL) ||
	    tf_import(h, &(struct tf_import_args){ .text =
	              "otpauth://totp/x:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=x\n"
	              "otpauth://hotp/x:carol?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=x&counter=0\n" },
	              NULL) ||
	    tf_user_add(h, &(struct tf_user_add_args){ .name = "bob" }, NULL))
		abort();
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "alice", "bob", "carol", "nobody", "", "../alice", "al ice",
	                                     "-alice" };
	char code[260];
	const char *name;
	tf_status st;

	if (!h)
		setup();
	if (size < 1 || size > 257)
		return 0;
	name = names[data[0] % (sizeof names / sizeof names[0])];
	memcpy(code, data + 1, size - 1);
	code[size - 1] = '\0';
	st = tf_verify(h, &(struct tf_verify_args){ .name = name, .code = code }, NULL);
	if (st != TF_OK && st != TF_REJECTED && st != TF_USAGE && st != TF_NOENT && st != TF_LOCKED &&
	    st != TF_STORE && st != TF_NEED_ENROL)
		abort();
	if (st == TF_OK) {
		if (!code[0] || strlen(code) < 6)
			abort();
		/* one code, one login */
		if (tf_verify(h, &(struct tf_verify_args){ .name = name, .code = code }, NULL) == TF_OK)
			abort();
	}
	if (tf_error_message(h) == NULL)
		abort();
	return 0;
}
