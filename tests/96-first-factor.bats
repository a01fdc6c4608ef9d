#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Passwords, the email reset, OpenID Connect links, renames.
load helper

setup_file() { start_smtp plain; }
teardown_file() { stop_peers; }

setup() {
	setup_store
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	tf -q config set smtp.from "accounts@example.org"
	tf -q config set issuer "Example Hosting"
	tf -q config set reset.url "https://example.org/reset?token={token}"
	MAIL="pw$BATS_TEST_NUMBER@example.org"
}

token_in_mail() { mail_to plain "$MAIL" | sed -n 's#^ *https://example.org/reset?token=##p'; }

@test "a generated password, passwd from stdin, and verify --password with its own lockout" {
	run -0 tf -q user add alice --generate-password
	pw=$output
	[[ $pw =~ ^[A-Za-z0-9]{32}$ ]]
	run -0 tf verify alice --password <<<"$pw"
	run -1 tf verify alice --password <<<"nope-nope"
	run -0 tf passwd alice <<<"correct horse battery staple"
	run -1 tf verify alice --password <<<"$pw"
	run -0 tf verify alice --password <<<"correct horse battery staple"
	run -2 tf passwd alice <<<"short"
	run -2 tf passwd alice "in argv"
	run -1 grep -rlF "correct horse" "$TWOFACTL_DIR"
	tf -q config set lockout.after 3
	for i in 1 2 3; do tf --at $T0 verify alice --password <<<"wrong" 2>/dev/null || true; done
	run -4 --separate-stderr tf --at $T0 verify alice --password <<<"correct horse battery staple"
	assert_equal "$stderr" "twofactl: verify alice: too many password failures: next attempt in 30 s"
	run -0 tf --at $((T0 + 30)) verify alice --password <<<"correct horse battery staple"
}

# pw_fail_until_hard NAME T: 100 wrong passwords, an hour apart from T (each delay runs out)
pw_fail_until_hard() {
	local t=$2
	for i in $(seq 100); do
		"$TWOFACTL" --at $t verify "$1" --password <<<"not the password" 2>/dev/null || true
		t=$((t + 3600))
	done
}

@test "two budgets: 100 wrong passwords by an outsider lock password guesses, never the codes" {
	enrolled alice
	tf passwd alice <<<"the right password" >/dev/null
	t=$((T0 + 600))
	pw_fail_until_hard alice $t
	t=$((t + 100 * 3600))
	run -4 --separate-stderr tf --at $t verify alice --password <<<"the right password"
	assert_equal "$stderr" "twofactl: verify alice: password locked out after 100 failures: an administrator must run 'twofactl user unlock'"
	run -0 tf --json --at $t user show alice
	run -0 jq -e '.failures==0 and .locked=="no" and .password_failures==100 and .password_locked=="hard"' <<<"$output"
	run -0 tf --at $t verify alice "$(tf --at $t code alice)"
	run -0 tf verify alice <"$BATS_TEST_TMPDIR/backup.alice"
	run -0 tf user unlock alice
	run -0 tf --at $t verify alice --password <<<"the right password"
}

@test "two budgets: wrong codes never spend the password's budget" {
	enrolled alice
	tf passwd alice <<<"the right password" >/dev/null
	t=$((T0 + 600))
	for i in $(seq 12); do tf --at $t verify alice 000000 2>/dev/null || true; done
	run -4 tf --at $t verify alice "$(tf --at $t code alice)"
	run -0 tf --at $t verify alice --password <<<"the right password"
	run -0 tf --json --at $t user show alice
	run -0 jq -e '.failures==10 and .password_failures==0' <<<"$output"
}

@test "a password reset never touches the second factor's budget, not even its hard lock" {
	enrolled alice
	tf -q user set alice --email "$MAIL"
	t=$((T0 + 600))
	for i in $(seq 100); do
		tf --at $t verify alice 000000 2>/dev/null || true
		t=$((t + 3600))
	done
	tf passwd alice <<<"the old password" >/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10 11; do tf --at $t verify alice --password <<<"guess $i" 2>/dev/null || true; done
	run -0 tf --at $t reset send alice
	run -0 tf --at $((t + 60)) reset redeem <<<"$(token_in_mail)"$'\n'"a brand new password"
	run -0 tf --json --at $((t + 60)) user show alice
	run -0 jq -e '.failures==100 and .locked=="hard" and .password_failures==0' <<<"$output"
	run -4 tf --at $((t + 60)) verify alice "$(tf --at $((t + 60)) code alice)"
	run -0 tf --at $((t + 60)) verify alice --password <<<"a brand new password"
}

@test "password login can be turned off, leaving the OpenID Connect way" {
	tf -q user add alice
	tf passwd alice <<<"a good long password" >/dev/null
	tf -q oidc link alice --issuer https://mojeid.cz --subject 12345
	run -0 tf user set alice --password-login off
	run -1 --separate-stderr tf verify alice --password <<<"a good long password"
	assert_equal "$stderr" "twofactl: verify alice: password login is turned off for this account: use its OpenID Connect identity"
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 12345
	assert_output alice
	run -0 tf --json user show alice
	run -0 jq -e '.password_login==false and .oidc[0].subject=="12345"' <<<"$output"
}

@test "the email reset: a link by email, redeemed once, sets the password" {
	tf -q user add alice --email "$MAIL"
	run -0 tf --at $T0 reset send alice
	assert_output "sent a password reset link to $MAIL"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: set a new password"
	assert_line "Your login name is: alice"
	token=$(token_in_mail)
	[[ $token == alice:* ]]
	run -1 grep -rlF -e "${token#alice:}" "$TWOFACTL_DIR"
	run -0 tf --at $((T0 + 60)) reset redeem <<<"$token"$'\n'"my new password 1"
	assert_output alice
	run -0 tf verify alice --password <<<"my new password 1"
	run -1 tf --at $((T0 + 61)) reset redeem <<<"$token"
}

@test "a reset link expires, and a wrong one is refused" {
	tf -q user add alice --email "$MAIL"
	tf -q --at $T0 reset send alice
	token=$(token_in_mail)
	run -1 tf --at $((T0 + 10)) reset redeem <<<"alice:$(printf 'B%.0s' {1..43})"
	run -1 tf --at $((T0 + 3600)) reset redeem <<<"$token"
	run -2 tf reset redeem <<<"garbage"
	run -3 tf reset redeem <<<"nobody:$(printf 'A%.0s' {1..43})"
}

@test "a user who turned the email reset off gets none" {
	tf -q user add alice --email "$MAIL"
	tf -q --at $T0 reset send alice
	token=$(token_in_mail)
	run -0 tf user set alice --email-reset off
	run -4 --separate-stderr tf --at $((T0 + 60)) reset send alice
	assert_equal "$stderr" "twofactl: reset send alice: the email reset is turned off for alice (user set alice --email-reset on)"
	run -4 tf --at $((T0 + 60)) reset redeem <<<"$token"
	tf -q user set alice --email-reset on
	run -1 tf --at $((T0 + 60)) reset redeem <<<"$token"   # the old link died with the switch
	run -0 tf --at $((T0 + 60)) reset send alice
}

@test "one identity links to one account, also when two links race" {
	for i in $(seq 6); do tf -q user add "u$i"; done
	for i in $(seq 6); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" "$TWOFACTL" -q oidc link "u$i" --issuer https://mojeid.cz --subject race &
	done
	wait
	run -0 rc_summary
	assert_line --index 0 "1 0"
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject race
	owner=$output
	n=0
	for i in $(seq 6); do
		c=$(tf --json user show "u$i" | jq '.oidc|length')
		n=$((n + c))
	done
	assert_equal "$n" 1
	run -0 tf oidc unlink "$owner"
	run -3 tf oidc lookup --issuer https://mojeid.cz --subject race
	run -0 tf oidc link u1 --issuer https://mojeid.cz --subject race
	run -2 tf oidc link u1 --issuer http://insecure.example --subject x
	run -2 tf oidc link u1 --issuer https://mojeid.cz
}

@test "a rename keeps the account's codes working under the new name; the old name is free" {
	enrolled alice
	tf -q user set alice --email "$MAIL"
	tf -q whitelist add alice 10.0.0.0/8
	run -0 tf user rename alice alice.novak
	assert_output "renamed 'alice' to 'alice.novak'"
	run -3 tf user show alice
	run -0 tf --at $((T0 + 30)) verify alice.novak "$(tf --at $((T0 + 30)) code alice.novak)"
	run -0 tf verify alice.novak "$(sed -n 1p "$BATS_TEST_TMPDIR/backup.alice")"
	run -0 tf --json user show alice.novak
	run -0 jq -e '.enabled==true and .backup_left==9 and .whitelist==1' <<<"$output"
	run -0 tf user list
	assert_output alice.novak
	run -0 tf -q user add alice
	run -0 tf audit --user alice.novak
	assert_line --partial "user.rename  alice.novak  ok  (alice)"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "a rename onto an existing name is refused and changes nothing" {
	enrolled alice
	tf -q user add bob
	run -2 --separate-stderr tf user rename alice bob
	assert_equal "$stderr" "twofactl: user rename alice: an account 'bob' exists already"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
	run -3 tf user rename nobody carol
	run -2 tf user rename alice "bad name"
}

@test "a rename interrupted after its commit point is finished by the next command" {
	enrolled alice
	tf -q oidc link alice --issuer https://mojeid.cz --subject 77
	secret=$(secret_of alice)
	for round in $(seq 30); do  # not i: bats run uses it
		"$TWOFACTL" -q user rename alice "alice$round" >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 5))"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		run -0 tf oidc lookup --issuer https://mojeid.cz --subject 77
		[[ $output == alice || $output == "alice$round" ]] || fail "lookup gave '$output'"
		run -0 tf --json user show "$output"
		run -0 jq -e '.oidc[0].subject=="77"' <<<"$output"
		name=$(tf user list | head -1)
		tf user show "$name" >/dev/null 2>&1 || true   # finishes a pending rename
		name=$(tf user list)
		[ "$(echo "$name" | wc -l)" = 1 ] || fail "two accounts after a crash: $name"
		if [ "$name" != alice ]; then tf -q user rename "$name" alice; fi
		assert_equal "$(secret_of alice)" "$secret"
		assert_equal "$(tf oidc lookup --issuer https://mojeid.cz --subject 77)" alice
	done
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "an activation confirmed by an emailed link (seed 001): the code first, then the link" {
	tf -q config set activate.url "https://example.org/activate?token={token}"
	tf -q user add alice --email "$MAIL" --lang ca
	tf -q --at $T0 enroll alice --qr none
	run -0 tf --at $T0 confirm alice "$(tf --at $T0 code alice)" --by-link
	assert_output "code accepted; the activation link was sent to $MAIL"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .factors[0].status=="pending"' <<<"$output"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: confirmi l'activació de l'autenticació de dos factors"
	token=$(mail_to plain "$MAIL" | sed -n 's#^ *https://example.org/activate?token=##p')
	run -1 tf --at $((T0 + 10)) confirm --link <<<"alice:$(printf 'C%.0s' {1..43})"
	run -0 tf -q --at $((T0 + 10)) confirm --link <<<"$token"
	assert_equal "${#lines[@]}" 10
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
	run -1 tf --at $((T0 + 20)) confirm --link <<<"$token"
	run -2 tf confirm alice --link
}

@test "a reset link dies when the address changes or the password is changed" {
	tf -q user add alice --email "$MAIL"
	tf -q --at $T0 reset send alice
	token=$(token_in_mail)
	tf -q user set alice --email "other$BATS_TEST_NUMBER@example.org"
	run -1 tf --at $((T0 + 10)) reset redeem <<<"$token"
	tf -q user set alice --email "$MAIL"
	run -1 tf --at $((T0 + 11)) reset redeem <<<"$token"
	tf -q --at $((T0 + 60)) reset send alice
	token=$(token_in_mail)
	tf passwd alice <<<"changed meanwhile" >/dev/null
	run -1 tf --at $((T0 + 70)) reset redeem <<<"$token"
	tf -q --at $((T0 + 120)) reset send alice
	run -0 tf --at $((T0 + 130)) reset redeem <<<"$(token_in_mail)"
}

@test "an activation link dies when the address changes or a factor is removed" {
	tf -q config set activate.url "https://example.org/activate?token={token}"
	tf -q user add alice --email "$MAIL"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" --by-link
	token=$(mail_to plain "$MAIL" | sed -n 's#^ *https://example.org/activate?token=##p')
	tf -q user set alice --email "other$BATS_TEST_NUMBER@example.org"
	run -1 tf --at $((T0 + 10)) confirm --link <<<"$token"
	tf -q user set alice --email "$MAIL"
	tf -q --at $((T0 + 30)) confirm alice "$(tf --at $((T0 + 30)) code alice)" --by-link
	token=$(mail_to plain "$MAIL" | sed -n 's#^ *https://example.org/activate?token=##p')
	tf -q --at $((T0 + 30)) enroll alice --qr none --method hotp
	run -0 tf disable alice --force --factor 2
	run -1 tf --at $((T0 + 40)) confirm --link <<<"$token"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false' <<<"$output"
}

@test "a rename keeps the OpenID Connect link: lookups find the new name, nobody else can link it" {
	tf -q user add alice
	tf -q oidc link alice --issuer https://mojeid.cz/ --subject 4242
	run -0 tf user rename alice alicia
	run -0 tf oidc lookup --issuer https://mojeid.cz/ --subject 4242
	assert_output alicia
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 4242   # a trailing slash is the same issuer
	assert_output alicia
	tf -q user add bob
	run -2 --separate-stderr tf oidc link bob --issuer https://mojeid.cz --subject 4242
	assert_equal "$stderr" "twofactl: oidc link bob: that identity is linked to another account already"
	tf -q user add alice   # a newcomer under the old name
	run -2 tf oidc link alice --issuer https://mojeid.cz// --subject 4242
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 4242
	assert_output alicia
	run -0 tf oidc link alicia --issuer https://mojeid.cz --subject 4242   # the same identity again: no second copy
	run -0 tf --json user show alicia
	run -0 jq -e '(.oidc|length)==1' <<<"$output"
	run -0 tf user rename alicia alice2
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 4242
	assert_output alice2
}

@test "oidc unlink is refused while password login is off: it would leave no way in" {
	tf -q user add alice
	tf -q oidc link alice --issuer https://mojeid.cz --subject 1
	tf -q oidc link alice --issuer https://accounts.example.org --subject 2
	tf -q user set alice --password-login off
	run -0 tf oidc unlink alice --issuer https://accounts.example.org/ --subject 2
	run -2 --separate-stderr tf oidc unlink alice
	assert_equal "$stderr" "twofactl: oidc unlink alice: password login is off for this account: unlinking its last identity would leave no way in (turn it on first: user set alice --password-login on)"
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 1
	assert_output alice
	tf -q user set alice --password-login on
	run -0 tf oidc unlink alice
	run -3 tf oidc lookup --issuer https://mojeid.cz --subject 1
}
