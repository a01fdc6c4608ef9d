/* SPDX-License-Identifier: ISC */
/* tests/lib: an account for the factors tests to work on. Nothing in the
 * public header makes one yet (user add belongs to the accounts family's
 * conversion), so this one helper reaches the library's internals; once
 * tf_user_add is public, test_factors should call it and this file goes. */
#include "lib/internal.h"

#include <stdio.h>

int factors_fixture_user(tf *h, const char *name);

int factors_fixture_user(tf *h, const char *name)
{
	struct tf_sess ss = { .h = h, .s = h->s, .name = name };
	int ret = -1;

	if (!(ss.a = account_new()))
		return -1;
	if (store_ref(ss.s, name, &ss.ref) || store_lock(ss.s, &ss.ref) || store_exists(ss.s, &ss.ref))
		goto out;
	account_init(ss.a, name, tf_now(h));
	if (tf_sess_save(&ss))
		goto out;
	ret = 0;
out:
	tf_sess_end(&ss);
	return ret;
}
