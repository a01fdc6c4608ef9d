#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# FIDO2/WebAuthn through whole ceremonies: 'webauthn challenge', a software
# authenticator and browser (webauthn.py, python3-cryptography) that builds
# real attestation objects and assertions, 'webauthn register' and
# 'verify --assertion', whose signatures libfido2 checks.
load helper

wa() { /usr/bin/python3 "$BATS_TEST_DIRNAME/webauthn.py" "$@"; }

# at [OFFSET] CMD...: twofactl at T0 + OFFSET seconds.
at() { local t=$((T0 + $1)); shift; tf --at "$t" "$@"; }

# options NAME PURPOSE [OFFSET]: a challenge of NAME, its --json options in
# $BATS_TEST_TMPDIR/NAME.PURPOSE (printed path).
options() {
	local f="$BATS_TEST_TMPDIR/$1.$2"
	at "${3:-0}" --json webauthn challenge "$1" --purpose "$2" >"$f"
	echo "$f"
}

# registered NAME KEYDIR ALG [FMT]: a new key registered through a ceremony.
registered() {
	wa new "$2" "$3"
	wa create "$2" "$(options "$1" register)" --fmt "${4:-none}" >"$2.reg"
	at 0 -q webauthn register "$1" --file "$2.reg"
}

# assertion NAME KEYDIR [ARGS...]: a login challenge of NAME signed by KEYDIR.
assertion() {
	local name=$1 dir=$2
	shift 2
	wa get "$dir" "$(options "$name" login)" "$@"
}

failures() { tf --json user show "$1" | jq .failures; }

setup() {
	setup_store
	tf -q config set webauthn.rp_id example.org
	tf -q config set webauthn.origins "https://client.example.org, https://login.example.org:8443"
	tf -q user add alice
	K=$BATS_TEST_TMPDIR/key
}

@test "a full registration and login: ES256, EdDSA, RS256 keys; attestation none, packed self, packed x5c" {
	n=0
	for fmt in none packed packed-x5c; do
		for alg in ES256 EdDSA RS256; do
			n=$((n + 1))
			wa new "$K$n" $alg
			wa create "$K$n" "$(options alice register)" --fmt $fmt >"$K$n.reg"
			run -0 --separate-stderr at 0 webauthn register alice --file "$K$n.reg" --label "$alg $fmt"
			assert_output "registered $alg key as factor $n of 'alice'"
			assertion alice "$K$n" --counter 1 >"$K$n.get"
			run -0 --separate-stderr at 1 verify alice --assertion "$K$n.get"
			assert_output "accepted (webauthn)"
		done
	done
	run -0 tf --json webauthn list alice
	run -0 jq -se 'length==9 and map(.alg)==(["ES256","EdDSA","RS256"]|.+.+.) and all(.sign_count==1)
	               and .[4].label=="EdDSA packed"' <<<"$output"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true and .failures==0' <<<"$output"
}

@test "the registration JSON may come on stdin, and --json reports the credential" {
	wa new "$K" EdDSA
	wa create "$K" "$(options alice register)" --fmt packed >"$K.reg"
	run -0 --separate-stderr at 0 --json webauthn register alice <"$K.reg"
	run -0 jq -e --arg id "$(jq -r .rawId "$K.reg")" \
		'.factor==1 and .alg=="EdDSA" and .fmt=="packed" and .credential_id==$id and .sign_count==0' <<<"$output"
	assertion alice "$K" >"$K.get"
	run -0 --separate-stderr at 1 --json verify alice --assertion - <"$K.get"
	run -0 jq -e '.result=="accepted" and .method=="webauthn" and .factor==1' <<<"$output"
}

@test "webauthn challenge prints what navigator.credentials.create and get need" {
	run -0 --separate-stderr at 0 webauthn challenge alice --purpose register
	assert_output --regexp '^[A-Za-z0-9_-]{43}$'
	run -0 --separate-stderr at 0 --json webauthn challenge alice --purpose register
	run -0 jq -e '.purpose=="register" and (.challenge|test("^[A-Za-z0-9_-]{43}$")) and .rp_id=="example.org"
	              and .origins==["https://client.example.org","https://login.example.org:8443"]
	              and .timeout==300000 and .expires=='$((T0 + 300))' and .user_verification=="preferred"
	              and (.user_handle|test("^[A-Za-z0-9_-]{43}$")) and .credential_ids==[]
	              and .publicKey.challenge==.challenge and .publicKey.rp.id=="example.org"
	              and .publicKey.user.id==.user_handle and .publicKey.user.name=="alice"
	              and (.publicKey.pubKeyCredParams|map(.alg))==[-7,-8,-257]
	              and .publicKey.attestation=="none" and .publicKey.excludeCredentials==[]' <<<"$output"
	handle=$(at 0 --json webauthn challenge alice --purpose register | jq -r .user_handle)
	registered alice "$K" ES256
	id=$(jq -r .rawId "$K.reg")
	run -0 --separate-stderr at 0 --json webauthn challenge alice --purpose register
	run -0 jq -e --arg h "$handle" --arg id "$id" '.user_handle==$h and .publicKey.excludeCredentials==[{"type":"public-key","id":$id}]' <<<"$output"
	run -0 --separate-stderr at 0 --json webauthn challenge alice
	run -0 jq -e --arg id "$id" '.purpose=="login" and .credential_ids==[$id] and .publicKey.rpId=="example.org"
	              and .publicKey.allowCredentials==[{"type":"public-key","id":$id}] and (has("user_handle")|not)' <<<"$output"
}

@test "webauthn challenge: bad purpose, no credential to log in with, no rp_id, no account" {
	run -2 --separate-stderr tf webauthn challenge alice --purpose enroll
	assert_equal "$stderr" "twofactl: webauthn challenge alice: --purpose: 'enroll' is not register or login"
	run -3 --separate-stderr tf webauthn challenge alice --purpose login
	assert_equal "$stderr" "twofactl: webauthn challenge alice: no WebAuthn credential is registered: issue a register challenge first"
	run -3 tf webauthn challenge nobody --purpose register
	tf -q config set webauthn.rp_id ""
	run -5 --separate-stderr tf webauthn challenge alice --purpose register
	assert_equal "$stderr" "twofactl: webauthn challenge alice: config: webauthn.rp_id is not set (the relying party's domain)"
}

@test "an assertion from another origin with a valid challenge is refused, counted, and uses the challenge up" {
	registered alice "$K" ES256
	opts=$(options alice login)
	wa get "$K" "$opts" --origin https://evil.example.org --counter 1 >"$K.evil"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.evil"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: origin 'https://evil.example.org' is not in webauthn.origins"
	assert_equal "$(failures alice)" 1
	wa get "$K" "$opts" --counter 2 >"$K.good"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.good"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	# the second configured origin, with its port, is good
	assertion alice "$K" --origin https://login.example.org:8443 --counter 3 >"$K.port"
	run -0 at 1 verify alice --assertion "$K.port"
}

@test "an assertion with a challenge twofactl never issued is refused" {
	registered alice "$K" EdDSA
	options alice login >/dev/null
	wa get "$K" "$BATS_TEST_TMPDIR/alice.login" --challenge "$(head -c 32 /dev/urandom | basenc --base64url | tr -d =)" >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	assert_equal "$(failures alice)" 1
}

@test "a challenge is used once: a second assertion over it, or the same one again, is refused" {
	registered alice "$K" ES256
	opts=$(options alice login)
	wa get "$K" "$opts" --counter 1 >"$K.1"
	wa get "$K" "$opts" --counter 2 >"$K.2"
	run -0 at 1 verify alice --assertion "$K.1"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.2"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.1"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
}

@test "8 concurrent verifies of one assertion accept it exactly once" {
	registered alice "$K" EdDSA
	assertion alice "$K" --counter 1 >"$K.get"
	for i in $(seq 8); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf --at $((T0 + 1)) verify alice --assertion "$K.get" &
	done
	wait
	run -0 rc_summary
	assert_output $'1 0\n7 1'
}

@test "4 concurrent registrations of one answer store one credential" {
	wa new "$K" ES256
	wa create "$K" "$(options alice register)" --fmt packed >"$K.reg"
	for i in $(seq 4); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf --at $((T0 + 1)) webauthn register alice --file "$K.reg" &
	done
	wait
	run -0 rc_summary
	assert_output $'1 0\n3 1'
	run -0 tf --json webauthn list alice
	run -0 jq -se 'length==1' <<<"$output"
}

@test "an expired challenge is refused, at the default 5 minutes and at webauthn.challenge_ttl" {
	registered alice "$K" ES256
	assertion alice "$K" --counter 1 >"$K.get"
	run -1 --separate-stderr at 301 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge expired"
	tf -q config set webauthn.challenge_ttl 30s
	wa get "$K" "$(options alice login 400)" --counter 2 >"$K.get"
	run -1 --separate-stderr at 430 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge expired"
	wa get "$K" "$(options alice login 430)" --counter 3 >"$K.get"
	run -0 at 459 verify alice --assertion "$K.get"
	# a registration too
	wa new "$K.2" EdDSA
	wa create "$K.2" "$(options alice register 460)" >"$K.2.reg"
	run -1 --separate-stderr at 490 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the challenge expired"
}

@test "a challenge of the other purpose is refused, and used up" {
	registered alice "$K" ES256
	reg=$(options alice register)
	wa get "$K" "$reg" --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge was issued for another purpose"
	wa new "$K.2" EdDSA
	wa create "$K.2" "$reg" >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the challenge is unknown or was used already"
	wa create "$K.2" "$(options alice login)" >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the challenge was issued for another purpose"
}

@test "an ES256 signature rewritten from s to n-s is refused, even with the counter at 0" {
	registered alice "$K" ES256
	assertion alice "$K" --counter 0 --malleated-to "$K.mall" >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.mall"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	# the other way round: the malleated twin is a valid signature, but only one of the pair counts
	assertion alice "$K" --counter 0 --malleated-to "$K.mall" >"$K.get"
	run -0 at 1 verify alice --assertion "$K.mall"
	run -1 at 1 verify alice --assertion "$K.get"
	run -0 tf --json webauthn list alice
	run -0 jq -e '.sign_count==0' <<<"$output"
}

@test "an assertion or registration for another relying party (rpIdHash) is refused" {
	registered alice "$K" ES256
	assertion alice "$K" --rp evil.example --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: made for another relying party (rpIdHash)"
	wa new "$K.2" EdDSA
	wa create "$K.2" "$(options alice register)" --rp example.org.evil.example >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: made for another relying party (rpIdHash)"
}

@test "without the user-present flag an assertion or registration is refused" {
	registered alice "$K" EdDSA
	assertion alice "$K" --no-up --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the user was not present (UP flag missing)"
	wa new "$K.2" ES256
	wa create "$K.2" "$(options alice register)" --fmt packed --no-up >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the user was not present (UP flag missing)"
}

@test "webauthn.user_verification required: no UV flag, refused; with it, accepted" {
	registered alice "$K" ES256
	tf -q config set webauthn.user_verification required
	run -0 --separate-stderr at 0 --json webauthn challenge alice
	run -0 jq -e '.user_verification=="required" and .publicKey.userVerification=="required"' <<<"$output"
	assertion alice "$K" --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the user was not verified (UV flag missing) and webauthn.user_verification is required"
	assertion alice "$K" --uv --counter 2 >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	wa new "$K.2" EdDSA
	wa create "$K.2" "$(options alice register)" --fmt packed >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the user was not verified (UV flag missing) and webauthn.user_verification is required"
	wa create "$K.2" "$(options alice register)" --fmt packed --uv >"$K.2.reg"
	run -0 at 1 webauthn register alice --file "$K.2.reg"
	run -2 tf config set webauthn.user_verification always
}

@test "a signature counter that goes back or stands still is refused" {
	registered alice "$K" ES256
	assertion alice "$K" --counter 5 >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	for c in 4 5 0; do
		assertion alice "$K" --counter $c >"$K.get"
		run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
		assert_equal "$stderr" "twofactl: verify alice: assertion rejected: signature counter went back: the authenticator may be cloned"
	done
	assertion alice "$K" --counter 6 >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	run -0 tf --json webauthn list alice
	run -0 jq -e '.sign_count==6' <<<"$output"
	assert_equal "$(failures alice)" 0
}

@test "an assertion with another account's credential, challenge or user handle is refused" {
	tf -q user add bob
	registered alice "$K" ES256
	registered bob "$K.bob" ES256
	bob_handle=$(at 0 --json webauthn challenge bob --purpose register | jq -r .user_handle)
	# bob's key over alice's challenge
	wa get "$K.bob" "$(options alice login)" --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: unknown credential"
	# bob's own, valid assertion sent as alice's
	assertion bob "$K.bob" --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	# alice's key claiming bob's user handle
	assertion alice "$K" --counter 1 --user-handle "$bob_handle" >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the user handle is not this account's"
	alice_handle=$(at 0 --json webauthn challenge alice --purpose register | jq -r .user_handle)
	assertion alice "$K" --counter 2 --user-handle "$alice_handle" >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	assert_equal "$(failures bob)" 0
}

@test "client data of the wrong type, or from a cross-origin frame, is refused" {
	registered alice "$K" EdDSA
	assertion alice "$K" --type webauthn.create --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the client data is not of a login (type is not webauthn.get)"
	assertion alice "$K" --cross-origin --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: made inside a cross-origin frame"
	wa new "$K.2" ES256
	wa create "$K.2" "$(options alice register)" --type webauthn.get >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the client data is not of a registration (type is not webauthn.create)"
	wa create "$K.2" "$(options alice register)" --origin https://evil.example.org >"$K.2.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.2.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: origin 'https://evil.example.org' is not in webauthn.origins"
}

@test "a forged signature or attestation is refused" {
	registered alice "$K" RS256
	assertion alice "$K" --forge --counter 1 >"$K.get"
	run -1 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: signature does not verify"
	for fmt in packed packed-x5c; do
		wa new "$K.$fmt" ES256
		wa create "$K.$fmt" "$(options alice register)" --fmt $fmt --forge >"$K.reg"
		run -1 --separate-stderr at 1 webauthn register alice --file "$K.reg"
		assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the attestation does not verify: FIDO_ERR_INVALID_SIG"
	done
	# a registration whose rawId is not the attested credential's
	wa create "$K.packed" "$(options alice register)" --id AAAAAAAAAAAAAAAAAAAAAA >"$K.reg"
	run -1 --separate-stderr at 1 webauthn register alice --file "$K.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: the credential id is not the one in the attestation"
	run -0 tf --json webauthn list alice
	run -0 jq -se 'length==1' <<<"$output"
}

@test "failed assertions count toward the account's lockout" {
	tf -q config set lockout.after 3
	registered alice "$K" ES256
	for i in 1 2 3; do
		assertion alice "$K" --origin https://evil.example.org --counter $i >"$K.get"
		run -1 at 1 verify alice --assertion "$K.get"
	done
	assert_equal "$(failures alice)" 3
	assertion alice "$K" --counter 4 >"$K.get"
	run -4 --separate-stderr at 2 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: too many failures: next attempt in 29 s"
	run -0 at 31 verify alice --assertion "$K.get"
	assert_equal "$(failures alice)" 0
	run -0 tf audit --user alice
	assert_output --partial "verify  alice  locked"
}

@test "malformed input is a usage error that uses no challenge up" {
	registered alice "$K" ES256
	opts=$(options alice login)
	wa get "$K" "$opts" --counter 1 >"$K.get"
	run -2 tf verify alice --assertion - <<<'not json'
	run -2 --separate-stderr tf verify alice --assertion - <<<'{"rawId":"AAAA"}'
	assert_equal "$stderr" "twofactl: verify alice: malformed assertion: response.clientDataJSON is not base64url client data"
	run -2 tf verify alice --assertion - < <(jq '.response.clientDataJSON="bm90IGpzb24"' "$K.get")
	run -2 tf verify alice --assertion - < <(jq '.response.authenticatorData="AAAA"' "$K.get")
	run -2 tf verify alice --assertion - < <(jq 'del(.response.signature)' "$K.get")
	run -2 tf verify alice --assertion - < <(jq '.id="AAAA"' "$K.get")
	run -2 --separate-stderr tf verify alice --assertion "$BATS_TEST_TMPDIR/missing"
	assert_equal "$stderr" "twofactl: verify alice: cannot read the assertion from '$BATS_TEST_TMPDIR/missing': No such file or directory"
	run -2 tf verify alice 123456 --assertion "$K.get"
	assert_equal "$(failures alice)" 0
	run -0 at 1 verify alice --assertion "$K.get"
	wa new "$K.2" EdDSA
	wa create "$K.2" "$(options alice register)" >"$K.2.reg"
	run -2 tf webauthn register alice <<<'{"credential_id":"AAAA","alg":"ES256","public_key":"AAAA"}'
	run -2 tf webauthn register alice < <(jq '.response.attestationObject="oWNmbXRkbm9uZQ"' "$K.2.reg")
	run -2 tf webauthn register alice < <(jq '.response.attestationObject="AAAA"' "$K.2.reg")
	run -2 tf webauthn register alice < <(jq 'del(.rawId, .id)' "$K.2.reg")
	run -0 at 1 webauthn register alice --file "$K.2.reg"
}

@test "a credential registered twice is refused (exit 2)" {
	registered alice "$K" ES256
	wa create "$K" "$(options alice register)" >"$K.reg"
	run -2 --separate-stderr at 1 webauthn register alice --file "$K.reg"
	assert_equal "$stderr" "twofactl: webauthn register alice: registration refused: that credential is registered already (factor 1)"
}

@test "at most 4 challenges are open: the oldest makes room" {
	registered alice "$K" ES256
	opts=$(options alice login)
	wa get "$K" "$opts" --counter 1 >"$K.old"
	for i in 1 2 3 4; do options alice login >/dev/null; done
	run -1 --separate-stderr at 1 verify alice --assertion "$K.old"
	assert_equal "$stderr" "twofactl: verify alice: assertion rejected: the challenge is unknown or was used already"
	wa get "$K" "$BATS_TEST_TMPDIR/alice.login" --counter 2 >"$K.new"
	run -0 at 1 verify alice --assertion "$K.new"
}

@test "webauthn.rp_id and webauthn.origins are checked when set; without origins https://RP_ID is the one" {
	run -2 --separate-stderr tf config set webauthn.rp_id https://example.org
	assert_equal "$stderr" "twofactl: config set webauthn.rp_id: webauthn.rp_id: 'https://example.org' is not a domain such as example.org (lower case, no scheme, port or path)"
	run -2 tf config set webauthn.rp_id example.org:443
	run -2 tf config set webauthn.rp_id Example.org
	run -0 tf config get webauthn.rp_id
	assert_output "example.org"
	run -2 tf config set webauthn.origins "client.example.org"
	run -2 tf config set webauthn.origins "https://client.example.org/"
	run -2 tf config set webauthn.origins "https://a.example.org,,https://b.example.org"
	run -2 tf config set webauthn.origins "http://client.example.org"
	run -0 tf config set webauthn.origins "http://localhost:8080"
	tf -q config set webauthn.origins ""
	registered alice "$K" EdDSA
	assertion alice "$K" --origin https://client.example.org --counter 1 >"$K.get"
	run -1 at 1 verify alice --assertion "$K.get"
	assertion alice "$K" --origin https://example.org --counter 2 >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
}

@test "webauthn del removes a key; without an rp_id nothing verifies" {
	registered alice "$K" ES256
	assertion alice "$K" --counter 1 >"$K.get"
	id=$(tf --json webauthn list alice | jq .id)
	tf -q config set webauthn.rp_id ""
	run -5 --separate-stderr at 1 verify alice --assertion "$K.get"
	assert_equal "$stderr" "twofactl: verify alice: config: webauthn.rp_id is not set (the relying party's domain)"
	run -0 tf webauthn del alice "$id"
	run -3 tf webauthn del alice "$id"
	run -0 tf webauthn list alice
	assert_output ""
}

# serve_one ARGV_JSON [STDIN_FILE]: one request through `twofactl serve`.
serve_one() {
	jq -nc --argjson argv "$1" --rawfile in "${2:-/dev/null}" '{argv: $argv, stdin: $in}' | "$TWOFACTL" serve
}

@test "a front end that does not own the store runs the whole flow through serve" {
	wa new "$K" ES256
	run -0 --separate-stderr serve_one '["webauthn", "challenge", "alice", "--purpose", "register"]'
	jq -c '.output[0]' <<<"$output" >"$K.opts"
	run -0 jq -e '.exit == 0 and .output[0].purpose == "register"' <<<"$output"
	wa create "$K" "$K.opts" --fmt packed >"$K.reg"
	run -0 --separate-stderr serve_one '["webauthn", "register", "alice", "--file", "'"$K.reg"'"]'
	run -0 jq -e '.exit == 2 and .error.message == "cannot read the registration from '"'$K.reg'"': Operation not permitted"' <<<"$output"
	run -0 --separate-stderr serve_one '["webauthn", "register", "alice"]' "$K.reg"
	run -0 jq -e '.exit == 0 and .output[0].alg == "ES256"' <<<"$output"
	run -0 --separate-stderr serve_one '["webauthn", "challenge", "alice"]'
	jq -c '.output[0]' <<<"$output" >"$K.opts"
	wa get "$K" "$K.opts" --counter 1 >"$K.get"
	run -0 --separate-stderr serve_one '["verify", "alice", "--assertion", "-"]' "$K.get"
	run -0 jq -e '.exit == 0 and .output[0].method == "webauthn"' <<<"$output"
	run -0 --separate-stderr serve_one '["verify", "alice", "--assertion", "-"]' "$K.get"
	run -0 jq -e '.exit == 1 and .error.code == "rejected" and (.error.message | test("challenge is unknown"))' <<<"$output"
}

@test "a rename keeps the credentials and the user handle; the old name has none" {
	registered alice "$K" EdDSA
	handle=$(at 0 --json webauthn challenge alice --purpose register | jq -r .user_handle)
	tf -q user rename alice alicia
	run -0 --separate-stderr at 0 --json webauthn challenge alicia --purpose register
	run -0 jq -e --arg h "$handle" '.user_handle == $h and (.credential_ids | length) == 1' <<<"$output"
	assertion alicia "$K" --counter 1 --user-handle "$handle" >"$K.get"
	run -0 at 1 verify alicia --assertion "$K.get"
	tf -q user add alice
	run -3 tf webauthn challenge alice
}

@test "check names webauthn among the methods; an accepted assertion completes the login" {
	tf -q config set policy.default required
	tf -q user set alice --email alice@example.org
	registered alice "$K" ES256
	run -10 --separate-stderr at 0 --json check alice
	run -0 jq -e '.result == "code" and .methods == ["webauthn"]' <<<"$output"
	run -0 --separate-stderr at 3600 --json expire --dry-run
	run -0 jq -e '.warnings == 1' <<<"$output"
	run -10 --separate-stderr at 0 --json check alice
	run -0 jq -e '.result == "code" and .methods == ["webauthn"]' <<<"$output"
	assertion alice "$K" --counter 1 >"$K.get"
	run -0 at 1 verify alice --assertion "$K.get"
	run -0 --separate-stderr at 3600 --json expire --dry-run
	run -0 jq -e '.warnings == 0' <<<"$output"
}

@test "a credential id another account holds is refused at registration (WebAuthn 7.1 step 22), and on the same account twice" {
	tf -q user add bob
	registered alice "$K.a" ES256
	# another authenticator that reuses alice's credential id (it is public: allowCredentials)
	wa new "$K.b" ES256
	jq --arg c "$(jq -r .cred "$K.a/meta.json")" '.cred = $c' "$K.b/meta.json" >"$K.m" && mv "$K.m" "$K.b/meta.json"
	wa create "$K.b" "$(options bob register)" >"$K.rb"
	run -2 --separate-stderr at 0 webauthn register bob --file "$K.rb"
	# says nothing of the account that holds it
	assert_equal "$stderr" "twofactl: webauthn register bob: registration refused: the credential id is registered already"
	run -0 tf --json user show bob
	run -0 jq -e '.factors == []' <<<"$output"
	run -0 tf --json audit --user bob
	assert_output --partial 'registered already'
	# the same credential once more on alice
	wa create "$K.a" "$(options alice register)" >"$K.ra2"
	run -2 at 0 webauthn register alice --file "$K.ra2"
	run -0 tf --json webauthn list alice
	assert_equal "$(wc -l <<<"$output")" 1
	# once alice's credential is removed, the id is free again
	tf -q webauthn del alice 1
	wa create "$K.b" "$(options bob register)" >"$K.rb2"
	run -0 at 0 webauthn register bob --file "$K.rb2"
	# and a rename keeps the credential held
	tf -q user rename bob carol
	wa create "$K.a" "$(options alice register)" >"$K.ra3"
	run -2 at 0 webauthn register alice --file "$K.ra3"
}

@test "two accounts registering one credential id at once: at most one gets it (10 rounds)" {
	local r i
	for r in $(seq 10); do
		tf -q user add "x$r"
		tf -q user add "y$r"
		wa new "$K.x$r" ES256
		wa new "$K.y$r" ES256
		jq --arg c "$(jq -r .cred "$K.x$r/meta.json")" '.cred = $c' "$K.y$r/meta.json" >"$K.m" && mv "$K.m" "$K.y$r/meta.json"
		wa create "$K.x$r" "$(options "x$r" register)" >"$K.rx"
		wa create "$K.y$r" "$(options "y$r" register)" >"$K.ry"
		rc_to "$BATS_TEST_TMPDIR/rc.x" at 0 webauthn register "x$r" --file "$K.rx" &
		rc_to "$BATS_TEST_TMPDIR/rc.y" at 0 webauthn register "y$r" --file "$K.ry" &
		wait
		run -0 rc_summary
		assert_output $'1 0\n1 2'
	done
}
