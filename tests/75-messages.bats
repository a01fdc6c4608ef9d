#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Customer messages: the code stays out of the email Subject (lock screens
# show it).
load helper

TPL="$BATS_TEST_DIRNAME/../share/templates"

@test "no email template puts the code in its Subject" {
	for f in "$TPL"/*/*.txt; do
		run -0 sed -n 1p "$f"
		[[ $output =~ ^Subject:\ [^\ ] ]] || fail "$f: the first line is not 'Subject: ...'"
		[[ $output != *"{code}"* ]] || fail "$f puts the code in the Subject"
	done
}

@test "an emailed code shows once, in the body, not in the Subject" {
	setup_store
	mkdir -m 700 "$BATS_TEST_TMPDIR/spool"
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	tf -q user add alice --email alice@example.org
	run -0 tf -q --at $T0 enroll alice --method email
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/spool/*.eml"
	code=$(sed -n 's/^    \([0-9]\{6\}\)\r$/\1/p' <<<"$output")
	[[ $code =~ ^[0-9]{6}$ ]] || fail "no code on a line of its own in: $output"
	run -0 grep -c -e "$code" "$BATS_TEST_TMPDIR"/spool/*.eml
	assert_output 1
}
