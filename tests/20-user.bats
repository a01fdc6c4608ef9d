#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() { setup_store; }

@test "user add, list and show" {
	run -3 --separate-stderr tf user add alice --org acme
	assert_equal "$stderr" "twofactl: user add alice: no such organisation 'acme'"
	tf -q org add acme --policy optional
	run -0 tf user add alice --email alice@example.org --phone +420601234567 --org acme --lang cs
	assert_output "added account 'alice'"
	tf -q user add bob
	run -0 tf user list
	assert_output $'alice\nbob'
	run -0 tf user show alice
	assert_line "email:      alice@example.org"
	assert_line "phone:      +420601234567"
	assert_line "org:        acme"
	assert_line "lang:       cs"
	assert_line "2fa:        off"
}

@test "user list --json gives one object per account" {
	tf -q user add carol
	tf -q user add alice
	run -0 tf --json user list
	assert_equal "$(jq -r .name <<<"$output" | paste -sd,)" "alice,carol"
	run -0 jq -se 'all(has("methods") and has("enabled") and has("backup_left"))' <<<"$output"
}

@test "user show --json has the documented fields" {
	tf -q user add alice --email a@example.org
	run -0 tf --json user show alice
	run -0 jq -e '.name=="alice" and .email=="a@example.org" and .phone==null and .enabled==false
	    and .backup_left==0 and .failures==0 and .locked=="no" and (.factors|length)==0' <<<"$output"
}

@test "a second user add of one name is refused and changes nothing" {
	tf -q user add alice --email a@example.org
	run -2 --separate-stderr tf user add alice --email b@example.org
	assert_equal "$stderr" "twofactl: user add alice: account already exists"
	run -0 tf --json user show alice
	assert_equal "$(jq -r .email <<<"$output")" "a@example.org"
}

@test "invalid names are usage errors" {
	run -2 tf user add ""
	run -2 tf user add "-alice"
	run -2 tf user add "a/b"
	run -2 tf user add "$(printf 'caf\xc3\xa9')"
	run -2 --separate-stderr tf user add "$(printf 'x\xff\x01y')"
	assert_equal "$stderr" "twofactl: user add x\\xff\\x01y: invalid account name 'x\\xff\\x01y': use 1 to 64 of A-Z a-z 0-9 . _ @ + -, not starting with . or -"
	run -2 tf user add "$(printf 'a%.0s' {1..65})"
	run -0 tf user list
	assert_output ""
}

@test "phone numbers as people write them are stored in E.164" {
	tf -q user add a1 --phone "+420 601 234 567"
	tf -q user add a2 --phone "+1 (555) 010-0199"
	tf -q user add a3 --phone "+31.6.1234.5678"
	tf -q user add a4 --phone "+44 (0)20 7946 0000"
	tf -q user add a5
	tf -q user set a5 --phone " +49 30-1234 5678 "
	run -0 tf --json user list
	for u in a1:+420601234567 a2:+15550100199 a3:+31612345678 a4:+442079460000 a5:+493012345678; do
		run -0 tf --json user show "${u%%:*}"
		assert_equal "$(jq -r .phone <<<"$output")" "${u#*:}"
	done
}

@test "a phone number without + is refused and told how to write it" {
	run -2 --separate-stderr tf user add alice --phone "601 234 567"
	assert_equal "$stderr" "twofactl user add: --phone: '601 234 567' has no country code: write it in international form, starting with +, e.g. +420 601 234 567"
	run -2 --separate-stderr tf user add alice --phone 00420601234567
	assert_equal "$stderr" "twofactl user add: --phone: '00420601234567': write the international number with + instead of 00, e.g. +420 601 234 567"
	run -2 --separate-stderr tf user add alice --phone "+420 601 2"
	assert_equal "$stderr" "twofactl user add: --phone: '+420 601 2' is not an international number: + and the country code, then 8 to 15 digits in all"
	run -2 tf user add alice --phone "+420 601 234 567 890 12"
	run -2 tf user add alice --phone "+420/601234567"
	run -2 tf user add alice --phone "+420 601 234 567 ext 12"
	run -2 tf recovery file nobody --reason lost --contact "601 234 567"
	run -0 tf user list
	assert_output ""
}

@test "an internationalised email domain is stored in its ASCII form and shown both ways" {
	run -0 tf user add jan --email "jan@bücher.example"
	run -0 tf --json user show jan
	run -0 jq -e '.email=="jan@xn--bcher-kva.example" and .email_unicode=="jan@bücher.example"' <<<"$output"
	run -0 tf user show jan
	assert_line "email:      jan@bücher.example (jan@xn--bcher-kva.example)"
	run -0 tf user set jan --email "info@例え.テスト"
	run -0 tf --json user show jan
	run -0 jq -e '.email=="info@xn--r8jz45g.xn--zckzah" and .email_unicode=="info@例え.テスト"' <<<"$output"
	run -0 tf --json user set jan --email "jan@example.org"
	run -0 tf --json user show jan
	run -0 jq -e '.email=="jan@example.org" and .email_unicode=="jan@example.org"' <<<"$output"
	run -2 --separate-stderr tf user add jana --email "jäna@example.org"
	assert_equal "$stderr" "twofactl user add: --email: 'j\\xc3\\xa4na@example.org' is not an email address (the part before @ in ASCII)"
	run -2 tf user add jana --email "jan@bü cher.example"
	run -0 --separate-stderr tf --json recovery file jan --reason lost --contact "jan@bücher.example"
	run -0 jq -e '.contact=="jan@xn--bcher-kva.example"' <<<"$output"
}

@test "bad contact details are usage errors" {
	run -2 tf user add alice --email not-an-address
	run -2 tf user add alice --phone 601234567
	run -2 tf user add alice --phone "+42 060"
	run -2 tf user add alice --lang english
	run -2 tf user add alice --org "a b"
}

@test "user set changes and clears fields" {
	tf -q user add alice --email a@example.org --phone +420601234567
	run -0 tf user set alice --email new@example.org --phone ""
	run -0 tf --json user show alice
	run -0 jq -e '.email=="new@example.org" and .phone==null' <<<"$output"
	run -2 tf user set alice
}

@test "unknown accounts are exit 3" {
	run -3 --separate-stderr tf user show nobody
	assert_equal "$stderr" "twofactl: user show nobody: no such account"
	run -3 tf user set nobody --lang en
	run -3 tf user del nobody
	run -3 tf user unlock nobody
}

@test "user del removes the account and its file" {
	tf -q user add alice
	run -0 tf user del alice
	run -3 tf user show alice
	run -0 account_files
	assert_output ""
	run -0 tf -q user add alice
}

@test "no account name, email, phone or key appears in clear in the store" {
	tf -q user add alice.secretname --email hidden-addr@example.org --phone +420777123456
	tf -q --at $T0 enroll alice.secretname --qr none >/dev/null
	key=$(secret_of alice.secretname)
	tf -q --at $T0 confirm alice.secretname "$(tf --at $T0 code alice.secretname)" >"$BATS_TEST_TMPDIR/codes"
	run -1 grep -ralF -e alice.secretname -e hidden-addr -e 420777123456 -e "$key" "$TWOFACTL_DIR"
	while read -r c; do
		run -1 grep -ralF -e "$c" -e "${c//-/}" "$TWOFACTL_DIR"
	done <"$BATS_TEST_TMPDIR/codes"
	run -0 sh -c "ls -R '$TWOFACTL_DIR' | grep -c secretname || true"
	assert_output 0
}

@test "account files are named by a keyed hash" {
	tf -q user add alice
	run -0 account_files
	assert_output --regexp '/accounts/([0-9a-f]{2})/\1[0-9a-f]{62}$'
	first=$(basename "$(account_files)")
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/other"
	tf -q init
	tf -q user add alice
	second=$(basename "$(account_files)")
	[ "$first" != "$second" ]
}

@test "users' text never reaches an admin's terminal raw: control characters are refused, and escaped in text output" {
	enrolled alice
	forged=$'phone\nfactor 9:   totp active, sha1, 6 digits'
	run -2 tf enroll alice --qr none --label "$forged"
	run -2 tf trust add alice --label $'laptop\e[2J'
	run -2 tf whitelist add alice 192.0.2.1 --note $'office\rX'
	run -2 tf recovery file alice --reason $'lost \e]0;pwned\a phone'
	run -2 tf enroll alice --qr none --issuer $'Example\x7fHosting'
	# a record that holds one anyway (an old version, an import) is shown escaped
	run -0 --separate-stderr tf export --include-secrets
	jq --arg l "$forged" '.accounts[0].factors[0].label=$l | .accounts[0].name="mallory"' <<<"$output" >"$BATS_TEST_TMPDIR/x.json"
	run -0 tf import "$BATS_TEST_TMPDIR/x.json"
	run -0 tf user show mallory
	assert_line --index 15 --partial "factor 1:   totp active 'phone\\x0afactor 9:   totp active, sha1, 6 digits', "
	refute_line --regexp '^factor 9'
	run -0 tf --json user show mallory
	run -0 jq -e --arg l "$forged" '.factors[0].label==$l' <<<"$output"   # JSON carries it exactly
	tf -q user add bob
	tf -q --at $T0 enroll bob --qr none --label 'Telefon Jiřího \ 2'
	run -0 tf user show bob
	assert_line --partial "'Telefon Jiřího \\\\ 2'"
}

# rename_killed_at SYSCALL N OLD NEW: user rename OLD NEW, killed with -9 as
# it enters its N-th SYSCALL (strace's fault injection: the very instant).
rename_killed_at() {
	strace -f -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
		"$TWOFACTL" -q user rename "$3" "$4" 2>/dev/null || true
}

@test "a rename killed with -9 between its writes: fsck reports it, --repair or user list finishes it" {
	command -v strace >/dev/null || skip "strace is not installed"
	enrolled alice
	# 1. killed before the record is written under the new name (the old
	#    file says 'moved to dave'), 2. before the old file is removed
	for cut in "renameat 1" "unlinkat 1"; do
		for finisher in "fsck --repair" "user list"; do
			tf -q user rename "$(tf user list)" alice 2>/dev/null || true
			rename_killed_at $cut alice dave
			run -5 tf fsck
			assert_line "account 'alice': rename of 'alice' to 'dave' cut short"
			run -0 tf $finisher
			if [ "$finisher" = "user list" ]; then
				assert_output dave
			else
				assert_line "account 'alice': rename of 'alice' to 'dave' cut short: finished"
			fi
			run -0 tf fsck
			[ "$(account_files | wc -l)" -eq 1 ]
			run -0 tf user list
			assert_output dave
			run -3 tf user show alice
			run -0 tf user show dave
		done
	done
	run -0 tf --at $((T0 + 60)) verify dave "$(tf --at $((T0 + 60)) code dave)"
}

@test "after renames killed with -9 at random moments, user list shows one name (40 tries)" {
	enrolled alice
	local cur=alice nxt names n p i
	for i in $(seq 40); do
		nxt=$([ "$cur" = alice ] && echo dave || echo alice)
		"$TWOFACTL" -q user rename "$cur" "$nxt" 2>/dev/null &
		p=$!
		sleep "0.00$((RANDOM % 9))"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		names=$(tf --json user list | jq -r .name)
		n=$(wc -l <<<"$names")
		[ "$n" -eq 1 ] || { echo "try $i: user list shows $(tr '\n' ' ' <<<"$names")"; false; }
		tf -q fsck --repair >/dev/null
		cur=$names
	done
	run -0 tf fsck
	run -0 tf --at $((T0 + 60)) verify "$cur" "$(tf --at $((T0 + 60)) code "$cur")"
}
