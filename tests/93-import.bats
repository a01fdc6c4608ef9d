#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Imports from files made by the real tools: pam_oath (through pamtester),
# the google-authenticator command, oathtool, and twofactl's own export.
load helper

setup() { setup_store; }

teardown() { rm -f "/etc/pam.d/twofactl-test-$BATS_TEST_NUMBER"; }

KEY=3132333435363738393031323334353637383930

# pam_oath rewrites its usersfile after each success: let it, then import.
pam_login() {  # USER CODE
	echo "auth requisite pam_oath.so usersfile=$BATS_TEST_TMPDIR/users window=10" >"/etc/pam.d/twofactl-test-$BATS_TEST_NUMBER"
	echo "$2" | pamtester "twofactl-test-$BATS_TEST_NUMBER" "$1" authenticate
}

@test "a pam_oath usersfile, after pam_oath used it, imports with its replay state" {
	now=$(date +%s)
	printf 'HOTP/T30\talice\t-\t%s\nHOTP\tbob\t-\t%s\t0\nHOTP/T30/8\tcarol\t-\t%s\n' $KEY $KEY $KEY >"$BATS_TEST_TMPDIR/users"
	chmod 600 "$BATS_TEST_TMPDIR/users"
	run -0 pam_login alice "$(oathtool --totp -N "@$now" $KEY)"
	run -0 pam_login bob "$(oathtool --hotp -c 3 $KEY)"
	run -0 cat "$BATS_TEST_TMPDIR/users"
	assert_line --regexp "^HOTP	bob	-	$KEY	3	"
	run -0 tf --at "$now" import "$BATS_TEST_TMPDIR/users"
	assert_output "imported from usersfile: 3 new accounts, 0 updated, 0 skipped"
	# alice's code that pam_oath accepted is refused: the replay state came along
	run -1 tf --at "$now" verify alice "$(oathtool --totp -N "@$now" $KEY)"
	run -0 tf --at $((now + 30)) verify alice "$(oathtool --totp -N "@$((now + 30))" $KEY)"
	run -1 tf verify bob "$(oathtool --hotp -c 3 $KEY)"
	run -0 tf verify bob "$(oathtool --hotp -c 4 $KEY)"
	run -0 tf --at $T0 verify carol "$(oathtool --totp --digits=8 -N "@$T0" $KEY)"
}

@test "a usersfile line with a PIN imports, and says the PIN is not carried over" {
	printf 'HOTP/T60/6\tdave\t1234\t%s\n' $KEY >"$BATS_TEST_TMPDIR/users"
	run -0 tf import --format usersfile "$BATS_TEST_TMPDIR/users"
	assert_line "note: 1 usersfile PIN was not carried over (twofactl checks codes, not PINs)"
	run -0 tf --at $T0 verify dave "$(oathtool --totp --time-step-size=60s -N "@$T0" $KEY)"
}

@test "a malformed usersfile names the line and imports nothing" {
	printf 'HOTP/T30\talice\t-\t%s\nHOTP/T30\tbob\t-\tnothex\n' $KEY >"$BATS_TEST_TMPDIR/users"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/users"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/users: line 2: not a valid usersfile entry"
}

@test "a google-authenticator state file: codes, scratch codes, window, rate limit, reuse" {
	google-authenticator -t -d -f -r 3 -R 30 -w 5 -e 5 -s "$BATS_TEST_TMPDIR/ga" -q -Q NONE
	secret=$(head -1 "$BATS_TEST_TMPDIR/ga")
	mapfile -t scratch < <(grep -E '^[0-9]{8}$' "$BATS_TEST_TMPDIR/ga")
	run -2 tf import "$BATS_TEST_TMPDIR/ga"
	assert_output --partial "give --user NAME"
	run -0 tf import "$BATS_TEST_TMPDIR/ga" --user alice
	assert_output "imported from google-authenticator: 1 new account, 0 updated, 0 skipped"
	run -0 tf --json user show alice
	run -0 jq -e '.backup_left==5 and .enabled==true' <<<"$output"
	# WINDOW_SIZE 5: two steps either side
	run -0 tf --at $T0 verify alice "$(oathtool --totp -b -N "@$((T0 + 60))" "$secret")"
	run -0 tf --at $T0 verify alice "${scratch[0]}"
	run -1 tf --at $T0 verify alice "${scratch[0]}"
	# RATE_LIMIT 3 30: the fourth attempt within 30 s is refused
	run -4 --separate-stderr tf --at $((T0 + 1)) verify alice 000000
	assert_equal "$stderr" "twofactl: verify alice: rate limited: at most 3 attempts per 30 s"
	run -0 tf --at $((T0 + 40)) verify alice "${scratch[1]}"
}

@test "a google-authenticator HOTP state file" {
	google-authenticator -c -f -w 3 -e 1 -s "$BATS_TEST_TMPDIR/ga" -q -Q NONE -u
	secret=$(head -1 "$BATS_TEST_TMPDIR/ga")
	tf -q user add bob --email bob@example.org
	run -0 tf import --format google-authenticator --user bob "$BATS_TEST_TMPDIR/ga"
	assert_output "imported from google-authenticator: 0 new accounts, 1 updated, 0 skipped"
	run -0 tf verify bob "$(oathtool --hotp -b -c 1 "$secret")"
	run -1 tf verify bob "$(oathtool --hotp -b -c 1 "$secret")"
	run -0 tf --json user show bob
	run -0 jq -e '.email=="bob@example.org"' <<<"$output"
}

@test "otpauth URIs, one per line" {
	s1=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	cat >"$BATS_TEST_TMPDIR/uris" <<-EOF2
	# exported from somewhere
	otpauth://totp/Example%20Hosting:alice?secret=$s1&issuer=Example%20Hosting&algorithm=SHA256&digits=8&period=60
	otpauth://hotp/bob?secret=$s1&counter=5
	EOF2
	run -0 tf import "$BATS_TEST_TMPDIR/uris"
	assert_output "imported from uri: 2 new accounts, 0 updated, 0 skipped"
	run -0 tf --at $T0 verify alice "$(oathtool --totp=sha256 --digits=8 --time-step-size=60s -b -N "@$T0" $s1)"
	run -0 tf verify bob "$(oathtool --hotp -b -c 5 $s1)"
	echo "otpauth://totp/x?secret=$s1&digits=7" >"$BATS_TEST_TMPDIR/bad"
	run -2 tf import "$BATS_TEST_TMPDIR/bad"
	assert_output --partial "line 1: not a valid uri entry"
}

@test "an export with secrets moves accounts to another store, codes intact" {
	enrolled alice
	tf -q user set alice --email alice@example.org
	tf -q whitelist add alice 10.0.0.0/8 --note office
	tf -q --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice)"
	run -0 --separate-stderr tf export --include-secrets
	assert_equal "$stderr" "twofactl: export: warning: the output holds authenticator keys: keep it as safe as the master key, and delete it after use"
	echo "$output" >"$BATS_TEST_TMPDIR/export.json"
	run -0 jq -e '.format=="twofactl-export" and .accounts[0].factors[0].secret!=null' "$BATS_TEST_TMPDIR/export.json"
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/other"
	tf -q init
	run -0 tf import "$BATS_TEST_TMPDIR/export.json"
	assert_output "imported from twofactl: 1 new account, 0 updated, 0 skipped"
	run -1 tf --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice)"   # replay state kept
	run -0 tf --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice)"
	run -0 tf whitelist list alice
	assert_output --partial "10.0.0.0/8"
	run -0 --separate-stderr tf import "$BATS_TEST_TMPDIR/export.json"
	assert_output "imported from twofactl: 0 new accounts, 0 updated, 1 skipped"
	assert_equal "$stderr" "twofactl: import: 'alice' exists already: skipped"
}

@test "an export carries the account's own 2fa switch to another store" {
	tf -q user add bob --2fa off
	tf -q user add carol --2fa required
	tf -q user add dave
	run -0 tf export
	echo "$output" >"$BATS_TEST_TMPDIR/export.json"
	run -0 jq -e '(.accounts|map(select(.name=="bob"))[0]."2fa")=="off" and (.accounts|map(select(.name=="dave"))[0]|has("2fa")|not)' "$BATS_TEST_TMPDIR/export.json"
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/other"
	tf -q init
	run -0 tf import "$BATS_TEST_TMPDIR/export.json"
	for u in bob:off carol:required dave:inherit; do
		run -0 tf --json user show "${u%%:*}"
		run -0 jq -e --arg s "${u#*:}" '."2fa"==$s' <<<"$output"
	done
	jq '.accounts[0]."2fa"="sometimes"' "$BATS_TEST_TMPDIR/export.json" >"$BATS_TEST_TMPDIR/bad.json"
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/third"
	tf -q init
	run -2 tf import "$BATS_TEST_TMPDIR/bad.json"
}

@test "an export without secrets holds no key" {
	enrolled alice
	secret=$(secret_of alice)
	run -0 tf export
	refute_output --partial "$secret"
	run -0 jq -e '.secrets==false and (.accounts[0].factors[0]|has("secret")|not)' <<<"$output"
	run -0 tf export alice
	run -3 tf export nobody
}

@test "import of garbage is a usage error" {
	head -c 3000 /dev/urandom | base64 >"$BATS_TEST_TMPDIR/junk"
	run -2 tf import "$BATS_TEST_TMPDIR/junk"
	run -3 tf import "$BATS_TEST_TMPDIR/missing"
	run -2 tf import --format yaml "$BATS_TEST_TMPDIR/junk"
	printf '{"format":"twofactl-export","version":2,"accounts":[]}' >"$BATS_TEST_TMPDIR/v2"
	run -2 tf import "$BATS_TEST_TMPDIR/v2"
}

@test "a TOTP/HOTP key the account already has is refused: one key, one replay state" {
	s1=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	echo "otpauth://totp/Example:alice?secret=$s1&issuer=Example" >"$BATS_TEST_TMPDIR/uri"
	run -0 tf import "$BATS_TEST_TMPDIR/uri"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/uri"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/uri: 'alice' has that totp key already (factor 1): one key, one replay state"
	echo "otpauth://hotp/Example:alice?secret=$s1&issuer=Example&counter=3" >"$BATS_TEST_TMPDIR/hotp"
	run -2 tf import "$BATS_TEST_TMPDIR/hotp"
	# HMAC pads a short key with zero bytes: the key and the key||00000 are one key
	echo "otpauth://totp/Example:alice?secret=${s1}AAAAAAAA&issuer=Example" >"$BATS_TEST_TMPDIR/padded"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/padded"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/padded: 'alice' has that totp key already (factor 1): one key, one replay state"
	run -0 tf --json user show alice
	run -0 jq -e '(.factors|length)==1' <<<"$output"
	c=$(oathtool --totp -b -N "@$T0" $s1)
	run -0 tf --at $T0 verify alice "$c"
	run -1 tf --at $T0 verify alice "$c"
	printf '%s\n' "$s1" '" TOTP_AUTH' >"$BATS_TEST_TMPDIR/ga"
	run -2 tf import --user alice "$BATS_TEST_TMPDIR/ga"
	printf 'otpauth://totp/Example:bob?secret=%s\notpauth://totp/Example:bob?secret=%s\n' $s1 $s1 >"$BATS_TEST_TMPDIR/twice"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/twice"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/twice: 'bob' would get the same totp key twice: one key, one replay state"
	run -3 tf user show bob   # all or nothing: not even the first line
}
