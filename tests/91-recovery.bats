#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Lost-device recovery tickets, with the messages read from a real SMTP server.
load helper

setup_file() { start_smtp plain; }
teardown_file() { stop_peers; }

setup() {
	setup_store
	tf -q config set smtp.url "smtp://127.0.0.1:$(port_of plain)"
	tf -q config set smtp.from "support@example.org"
	tf -q config set issuer "Example Hosting"
	MAIL="lost$BATS_TEST_NUMBER@example.org"
	tf -q user add alice --email "$MAIL"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	tf -q --at $T0 trust add alice >/dev/null
}

@test "a ticket through approve: factors, codes and devices go; the user is told at each step" {
	run -0 tf -q --at $((T0 + 100)) recovery file alice --reason "phone stolen" --contact "+420601111222"
	id=$output
	[[ $id =~ ^[A-Z2-7]{8}$ ]]
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: we received your request to reset two-factor authentication ($id)"
	assert_output --partial "Reason given: phone stolen"
	run -0 tf --json recovery show "$id"
	run -0 jq -e '.status=="pending" and .user=="alice" and .contact=="+420601111222"' <<<"$output"
	run -0 tf --at $((T0 + 200)) recovery approve "$id" --by support-jana
	assert_output "ticket $id approved: every second factor of the account was removed; it must enrol again"
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: two-factor authentication was reset ($id)"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .backup_left==0 and .trusted_devices==0 and (.factors|length)==0' <<<"$output"
	tf -q org add strict --policy required
	tf -q user set alice --org strict
	run -11 tf check alice
	run -0 tf --json recovery show "$id"
	run -0 jq -e '.status=="approved" and .by=="support-jana" and .decided==1800000200' <<<"$output"
}

@test "a ticket through deny: nothing changes and the user gets the reason" {
	id=$(tf -q recovery file alice --reason "lost phone")
	run -0 tf recovery deny "$id" --by support-petr --reason "The signature on the form did not match."
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: your request to reset two-factor authentication was declined ($id)"
	assert_output --partial "The signature on the form did not match."
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true and .backup_left==10' <<<"$output"
}

@test "a ticket is decided once" {
	id=$(tf -q recovery file alice --reason "lost phone")
	run -0 tf -q recovery deny "$id" --by a
	run -2 --separate-stderr tf recovery approve "$id" --by b
	assert_equal "$stderr" "twofactl: recovery approve $id: ticket $id was already denied by a"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
}

@test "recovery list filters by status; every step is audited" {
	a=$(tf -q --at $((T0 + 1)) recovery file alice --reason one)
	b=$(tf -q --at $((T0 + 2)) recovery file alice --reason two)
	tf -q recovery deny "$a" --by x
	run -0 tf recovery list --status pending
	assert_output --regexp "^$b  pending "
	run -0 tf --json recovery list
	run -0 jq -se "map(.id)==[\"$a\",\"$b\"]" <<<"$output"
	run -0 tf audit --user alice
	assert_line --partial "recovery.file  alice  pending  ($a)"
	assert_line --partial "recovery.deny  alice  denied  ($a)"
}

@test "bad ticket ids and arguments" {
	run -2 tf recovery show nope
	run -3 tf recovery show AAAAAAAA
	run -3 tf recovery approve AAAAAAAA
	run -2 tf recovery file alice
	run -3 tf recovery file nobody --reason x
	run -2 tf recovery list --status maybe
	run -2 tf recovery file alice --reason x --contact "not a contact"
}

@test "decided tickets go after recovery.retention" {
	id=$(tf -q --at $T0 recovery file alice --reason x)
	tf -q --at $T0 recovery deny "$id" --by x
	pending=$(tf -q --at $T0 recovery file alice --reason y)
	run -0 tf --json --at $((T0 + 89 * 86400)) expire
	run -0 jq -e '.tickets==0' <<<"$output"
	run -0 tf --json --at $((T0 + 90 * 86400)) expire
	run -0 jq -e '.tickets==1' <<<"$output"
	run -3 tf recovery show "$id"
	run -0 tf recovery show "$pending"
}

@test "after an approved recovery the account must enrol again at its next login, even under the optional policy" {
	id=$(tf -q recovery file alice --reason "phone lost")
	run -0 tf -q recovery approve "$id" --by support-jana
	run -0 mail_to plain "$MAIL"
	assert_output --partial "At your next login, after your password, you will be asked to set up"
	run -11 --separate-stderr tf check alice
	assert_line --index 0 "a lost-device recovery removed every second factor: enrolment needed"
	run -0 tf --json user show alice
	run -0 jq -e '.must_enrol==true and .enabled==false' <<<"$output"
	tf -q whitelist add alice 198.51.100.0/24
	run -11 tf check alice --ip 198.51.100.7
	tf -q --at $((T0 + 300)) enroll alice --qr none
	run -11 tf check alice
	tf -q --at $((T0 + 300)) confirm alice "$(tf --at $((T0 + 300)) code alice)" >/dev/null
	run -10 tf check alice
	tf -q disable alice --force
	run -0 tf check alice   # a later disable is the user's choice again under the optional policy
}

@test "an administrator clears the enrolment requirement of a recovery with user set --must-enrol off" {
	id=$(tf -q recovery file alice --reason "phone lost")
	tf -q recovery approve "$id"
	run -11 tf check alice
	run -0 tf user set alice --must-enrol off
	run -0 tf check alice
	run -0 tf audit --user alice
	assert_line --partial "user.set  alice  ok  (must-enrol off)"
	run -0 tf user set alice --must-enrol on
	run -11 tf check alice
	tf -q org add open --policy off
	tf -q user set alice --org open
	run -0 tf check alice   # 2FA off by policy: nothing to enrol
}

@test "a ticket filed before a rename is decided for the renamed account, never for a newcomer under the old name" {
	id=$(tf -q recovery file alice --reason "phone lost")
	tf -q user rename alice alicia
	tf -q user add alice --email "newcomer$BATS_TEST_NUMBER@example.org"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	run -0 tf --at $((T0 + 200)) recovery approve "$id"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true and .backup_left==10' <<<"$output"
	run -0 tf --json user show alicia
	run -0 jq -e '.enabled==false and (.factors|length)==0 and .must_enrol==true' <<<"$output"
	run -0 mail_count plain "newcomer$BATS_TEST_NUMBER@example.org"
	assert_output 0
	run -0 mail_to plain "$MAIL"
	assert_line "Subject: Example Hosting: two-factor authentication was reset ($id)"
	assert_line --partial "Hello alicia,"
	run -0 tf --json recovery show "$id"
	run -0 jq -e '.user=="alicia" and .status=="approved"' <<<"$output"
}

@test "a ticket whose account is gone is never decided for a newcomer under its name" {
	id=$(tf -q recovery file alice --reason "phone lost")
	tf -q user del alice
	tf -q user add alice --email "newcomer$BATS_TEST_NUMBER@example.org"
	tf -q --at $T0 enroll alice --qr none
	tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)" >/dev/null
	run -3 --separate-stderr tf recovery approve "$id"
	assert_equal "$stderr" "twofactl: recovery approve $id: the account ticket $id was filed for no longer exists (deny the ticket)"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
	run -0 tf recovery deny "$id" --reason "account deleted"
	run -0 mail_count plain "newcomer$BATS_TEST_NUMBER@example.org"
	assert_output 0
}

@test "bidirectional overrides and line separators are refused in new text and escaped where shown" {
	local c
	# U+202E RIGHT-TO-LEFT OVERRIDE would show 'laptopexe.jpg' for 'laptop<RLO>gpj.exe'
	for c in $'\xe2\x80\xaa' $'\xe2\x80\xae' $'\xe2\x81\xa6' $'\xe2\x81\xa9' $'\xe2\x80\xa8' $'\xe2\x80\xa9'; do
		run -2 --separate-stderr tf trust add alice --label "laptop${c}gpj.exe"
		run -2 --separate-stderr tf recovery file alice --reason "lost phone$c"
		run -2 --separate-stderr tf whitelist add alice 192.0.2.0/24 --note "office$c"
		run -2 --separate-stderr tf enroll alice --qr none --label "phone$c"
	done
	run -0 tf trust list alice
	refute_output --partial gpj
	run -0 tf recovery list
	assert_output ''
	# other non-ASCII text is kept as it is
	run -0 tf -q trust add alice --label 'Jänas Telefon'
	run -0 tf trust list alice
	assert_output --partial 'Jänas Telefon'
	# what a record holds anyway (an import carries text exactly) is shown
	# escaped, not obeyed; and so are the names of files in the directory
	tf export --include-secrets alice 2>/dev/null >"$BATS_TEST_TMPDIR/e.json"
	jq '.accounts[0].name = "bob" | .accounts[0].factors[0].label = "exe\u202egpj.\u2028x"' "$BATS_TEST_TMPDIR/e.json" >"$BATS_TEST_TMPDIR/f.json"
	run -0 tf import "$BATS_TEST_TMPDIR/f.json"
	run -0 tf user show bob
	assert_output --partial 'exe\u202egpj.\u2028x'
	refute_output --partial $'\xe2\x80\xae'
	refute_output --partial $'\xe2\x80\xa8'
	run -0 tf --json user show bob
	run -0 jq -e '.factors[0].label == "exe\u202egpj.\u2028x"' <<<"$output"
	touch "$TWOFACTL_DIR/accounts/x"$'\xe2\x80\xae'"gpj.exe"
	run -5 tf fsck
	assert_line --partial 'x\u202egpj.exe'
	refute_output --partial $'\xe2\x80\xae'
}
