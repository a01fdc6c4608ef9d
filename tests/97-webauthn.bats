#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# FIDO2/WebAuthn with software-made keys: real signatures, checked by libfido2.
load helper

wa() { /usr/bin/python3 "$BATS_TEST_DIRNAME/webauthn.py" "$@"; }

setup() {
	setup_store
	tf -q config set webauthn.rp_id example.org
	tf -q user add alice
}

@test "ES256, EdDSA and RS256 keys register and their assertions verify" {
	for alg in ES256 EdDSA RS256; do
		wa keygen $alg "$BATS_TEST_TMPDIR/$alg" >"$BATS_TEST_TMPDIR/$alg.reg"
		run -0 tf webauthn register alice --file "$BATS_TEST_TMPDIR/$alg.reg"
		assert_output --regexp "^registered $alg key as factor [0-9]+ of 'alice'$"
		wa assert "$BATS_TEST_TMPDIR/$alg" example.org 1 >"$BATS_TEST_TMPDIR/a1"
		run -0 tf verify alice --assertion "$BATS_TEST_TMPDIR/a1"
		assert_output "accepted (webauthn)"
	done
	run -0 tf --json webauthn list alice
	run -0 jq -se 'map(.alg)==["ES256","EdDSA","RS256"] and all(.sign_count==1)' <<<"$output"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
}

@test "an assertion is accepted once; a counter that goes back is refused" {
	wa keygen ES256 "$BATS_TEST_TMPDIR/k" | tf -q webauthn register alice
	wa assert "$BATS_TEST_TMPDIR/k" example.org 5 >"$BATS_TEST_TMPDIR/a5"
	run -0 tf verify alice --assertion - <"$BATS_TEST_TMPDIR/a5"
	run -1 --separate-stderr tf verify alice --assertion "$BATS_TEST_TMPDIR/a5"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: assertion already used"
	wa assert "$BATS_TEST_TMPDIR/k" example.org 4 >"$BATS_TEST_TMPDIR/a4"
	run -1 --separate-stderr tf verify alice --assertion "$BATS_TEST_TMPDIR/a4"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: signature counter went back: the authenticator may be cloned"
	wa assert "$BATS_TEST_TMPDIR/k" example.org 6 >"$BATS_TEST_TMPDIR/a6"
	run -0 tf --json verify alice --assertion "$BATS_TEST_TMPDIR/a6"
	run -0 jq -e '.method=="webauthn"' <<<"$output"
}

@test "a forged signature, another site, no user presence, an unknown key: refused and counted" {
	wa keygen EdDSA "$BATS_TEST_TMPDIR/k" | tf -q webauthn register alice
	wa assert "$BATS_TEST_TMPDIR/k" example.org 1 --forge >"$BATS_TEST_TMPDIR/f"
	run -1 tf verify alice --assertion "$BATS_TEST_TMPDIR/f"
	assert_output --partial "signature does not verify"
	wa assert "$BATS_TEST_TMPDIR/k" evil.example 2 >"$BATS_TEST_TMPDIR/e"
	run -1 tf verify alice --assertion "$BATS_TEST_TMPDIR/e"
	wa assert "$BATS_TEST_TMPDIR/k" example.org 3 --no-up >"$BATS_TEST_TMPDIR/u"
	run -1 tf verify alice --assertion "$BATS_TEST_TMPDIR/u"
	wa keygen EdDSA "$BATS_TEST_TMPDIR/other" >/dev/null
	wa assert "$BATS_TEST_TMPDIR/other" example.org 1 >"$BATS_TEST_TMPDIR/o"
	run -1 tf verify alice --assertion "$BATS_TEST_TMPDIR/o"
	assert_output --partial "unknown credential"
	run -0 tf --json user show alice
	run -0 jq -e '.failures==4' <<<"$output"
	wa assert "$BATS_TEST_TMPDIR/k" example.org 4 >"$BATS_TEST_TMPDIR/ok"
	run -0 tf verify alice --assertion "$BATS_TEST_TMPDIR/ok"
}

@test "malformed registrations and assertions are usage errors" {
	run -2 tf webauthn register alice <<<'{"credential_id":"AAAA","alg":"ES256","public_key":"AAAA"}'
	run -2 tf webauthn register alice <<<'{"credential_id":"AAAA","alg":"MD5","public_key":"AAAA"}'
	run -2 tf webauthn register alice <<<'not json'
	wa keygen ES256 "$BATS_TEST_TMPDIR/k" >"$BATS_TEST_TMPDIR/reg"
	tf -q webauthn register alice --file "$BATS_TEST_TMPDIR/reg"
	run -2 tf webauthn register alice --file "$BATS_TEST_TMPDIR/reg"
	assert_output --partial "registered already"
	run -2 tf verify alice --assertion - <<<'{"credential_id":"AAAA"}'
	run -2 tf verify alice 123456 --assertion - </dev/null
}

@test "webauthn del removes a key; without an rp_id nothing verifies" {
	wa keygen ES256 "$BATS_TEST_TMPDIR/k" | tf -q webauthn register alice
	id=$(tf --json webauthn list alice | jq .id)
	tf -q config set webauthn.rp_id ""
	wa assert "$BATS_TEST_TMPDIR/k" example.org 1 >"$BATS_TEST_TMPDIR/a"
	run -5 tf verify alice --assertion "$BATS_TEST_TMPDIR/a"
	assert_output --partial "webauthn.rp_id is not set"
	run -0 tf webauthn del alice "$id"
	run -3 tf webauthn del alice "$id"
	run -0 tf webauthn list alice
	assert_output ""
}
