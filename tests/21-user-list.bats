#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# user list for a support desk: "who in company X has no 2FA yet" in one
# command. Each filter, their combination, and --json.
load helper

# A store with: alice (acme, totp), bob (acme, nothing), carol (beta, email
# code method, own switch required), dave (no organisation, locked out),
# erin (acme, pending totp only), frank (beta, service account).
setup() {
	setup_store
	tf -q config set smtp.url "spool:$BATS_TEST_TMPDIR/spool"
	mkdir "$BATS_TEST_TMPDIR/spool"
	tf -q org add acme --policy required
	tf -q org add beta --policy optional
	tf -q user add alice --org acme
	tf -q --at $T0 enroll alice --qr none >/dev/null
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	tf -q user add bob --org acme
	tf -q user add carol --org beta --email carol@example.org --2fa required
	tf -q --at $T0 enroll carol --method email >/dev/null
	code=$(sed -n 's/^    \([0-9]\{6\}\)\r\{0,1\}$/\1/p' "$BATS_TEST_TMPDIR"/spool/*.eml | head -1)
	tf -q --at $((T0 + 1)) confirm carol "$code" >/dev/null
	enrolled dave
	for i in $(seq 10); do tf --at $((T0 + 60)) verify dave 000000 >/dev/null 2>&1 || true; done
	tf -q user add erin --org acme
	tf -q --at $T0 enroll erin --qr none >/dev/null
	tf -q user add frank --org beta --service >/dev/null
}

names() { run -0 tf --at $((T0 + 61)) user list "$@"; }

@test "user list without filters: every account, sorted" {
	names
	assert_output $'alice\nbob\ncarol\ndave\nerin\nfrank'
}

@test "user list --org: the members of one organisation; an unknown one is exit 3" {
	names --org acme
	assert_output $'alice\nbob\nerin'
	names --org beta
	assert_output $'carol\nfrank'
	run -3 --separate-stderr tf user list --org nosuch
	assert_equal "$stderr" "twofactl: user list: no such organisation 'nosuch'"
	run -2 tf user list --org 'bad name'
}

@test "user list --enabled / --disabled: with or without an active factor" {
	names --enabled
	assert_output $'alice\ncarol\ndave'
	names --disabled
	assert_output $'bob\nerin\nfrank'
	run -2 tf user list --enabled --disabled
}

@test "user list --locked: locked out or waiting after failures" {
	names --locked
	assert_output "dave"
	tf -q user unlock dave
	names --locked
	assert_output ""
}

@test "user list --method: who uses a method" {
	names --method totp
	assert_output $'alice\ndave'
	names --method email
	assert_output "carol"
	names --method sms
	assert_output ""
	run -2 --separate-stderr tf user list --method pigeon
	assert_equal "$stderr" "twofactl user list: --method: 'pigeon' is not totp, hotp, email, sms or webauthn"
}

@test "user list --policy: by the policy that applies (account, organisation, default)" {
	names --policy required
	assert_output $'alice\nbob\ncarol\nerin'
	names --policy optional
	assert_output $'dave\nfrank'
	tf -q user set dave --2fa off
	names --policy off
	assert_output "dave"
	run -2 tf user list --policy sometimes
}

@test "filters combine: who in company acme has no 2FA yet" {
	names --org acme --disabled
	assert_output $'bob\nerin'
	names --org acme --disabled --policy required --method totp
	assert_output ""
	names --org beta --enabled --policy required --method email
	assert_output "carol"
}

@test "user list --json with filters: one object per account, with the policy and where it comes from" {
	run -0 tf --json --at $((T0 + 61)) user list --org acme --disabled
	run -0 jq -se 'map(.name)==["bob","erin"] and all(.policy=="required" and .policy_source=="org acme" and .enabled==false and ."2fa"=="inherit")' <<<"$output"
	run -0 tf --json --at $((T0 + 61)) user list --locked
	run -0 jq -se 'length==1 and .[0].name=="dave" and .[0].locked==true and .[0].policy_source=="default" and .[0].methods==["totp"]' <<<"$output"
	run -0 tf --json --at $((T0 + 61)) user list --method email
	run -0 jq -se 'length==1 and .[0].name=="carol" and .[0]."2fa"=="required" and .[0].policy_source=="account"' <<<"$output"
	run -0 tf --json --at $((T0 + 61)) user list --org beta --method hotp
	assert_output ""
}
