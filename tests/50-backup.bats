#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() {
	setup_store
	enrolled alice
	mapfile -t CODES <"$BATS_TEST_TMPDIR/backup.alice"
}

@test "enrolment gave ten backup codes of 80 bits" {
	assert_equal "${#CODES[@]}" 10
	[[ "${CODES[0]}" =~ ^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$ ]]
}

@test "a backup code works once, in any case and with or without dashes" {
	run -0 tf verify alice "${CODES[0]}"
	assert_output "accepted (backup code; 9 left)"
	run -1 tf verify alice "${CODES[0]}"
	upper=$(tr a-z A-Z <<<"${CODES[1]}")
	run -0 tf verify alice "${upper//-/}"
	run -0 tf --json verify alice <<<"${CODES[2]}"
	run -0 jq -e '.method=="backup" and .backup_left==7' <<<"$output"
}

@test "backup list says how many are left, never the codes" {
	tf -q verify alice "${CODES[0]}"
	run -0 tf backup list alice
	assert_output --regexp '^9 backup codes left \(issued 20'
	for c in "${CODES[@]}"; do refute_output --partial "$c"; done
	run -0 tf --json backup list alice
	run -0 jq -e '.left==9 and .issued==1800000000' <<<"$output"
}

@test "backup issue replaces the set and keeps the authenticator key" {
	secret=$(secret_of alice)
	run -0 tf -q backup issue alice --count 5
	assert_equal "${#lines[@]}" 5
	new="${lines[0]}"
	run -1 tf verify alice "${CODES[0]}"
	run -0 tf verify alice "$new"
	assert_equal "$(secret_of alice)" "$secret"
	run -0 tf --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice)"
	run -2 tf backup issue alice --count 0
	run -2 tf backup issue alice --count 21
}

@test "backup revoke takes one code from stdin, or --all" {
	run -0 tf backup revoke alice <<<"${CODES[0]}"
	assert_output "revoked 1 backup code; 9 left"
	run -1 tf verify alice "${CODES[0]}"
	run -3 tf backup revoke alice <<<"${CODES[0]}"
	run -2 tf backup revoke alice "${CODES[1]}"
	run -0 tf --json backup revoke alice --all
	run -0 jq -e '.revoked==9 and .left==0' <<<"$output"
	run -1 tf verify alice "${CODES[1]}"
}

@test "20 concurrent uses of one backup code: one success, 19 replays, nothing locked" {
	for i in $(seq 20); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf -q verify alice "${CODES[5]}" &
	done
	wait
	run -0 rc_summary
	assert_output $'1 0\n19 1'
	run -0 tf --json user show alice
	run -0 jq -e '.failures==0 and .locked=="no" and .backup_left==9' <<<"$output"
	run -0 tf --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice)"
}

@test "a used backup code presented again is a replay: refused, exit 1, not counted" {
	run -0 tf verify alice "${CODES[0]}"
	for i in $(seq 15); do
		run -1 --separate-stderr tf verify alice "${CODES[0]}"
		assert_equal "$stderr" "twofactl: verify alice: code rejected: already used"
	done
	run -0 tf --json user show alice
	run -0 jq -e '.failures==0' <<<"$output"
	run -1 tf verify alice aaaa-bbbb-cccc-dddd
	run -0 tf --json user show alice
	run -0 jq -e '.failures==1' <<<"$output"
}

@test "a wrong backup code counts as a failure" {
	run -1 tf verify alice aaaa-bbbb-cccc-dddd
	run -0 tf --json user show alice
	run -0 jq -e '.failures==1' <<<"$output"
}

@test "disable needs a valid code" {
	run -1 tf --at $((T0 + 30)) disable alice 000000
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true' <<<"$output"
	run -0 tf --at $((T0 + 30)) disable alice "$(tf --at $((T0 + 30)) code alice)"
	assert_output "removed 1 factor of 'alice'; two-factor authentication is off"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .backup_left==0 and (.factors|length)==0' <<<"$output"
	run -3 tf disable alice --force
}

@test "disable accepts a backup code from stdin" {
	run -0 tf disable alice <<<"${CODES[3]}"
}

@test "disable --force is the audited administrator override" {
	run -0 tf --json disable alice --force
	run -0 jq -e '.forced==true and .enabled==false' <<<"$output"
	run -2 tf disable alice --force 123456
}

@test "disable of one factor keeps the others and the backup codes" {
	tf -q --at $T0 enroll alice --label laptop --qr none
	tf -q --at $((T0 + 30)) confirm alice "$(tf --at $((T0 + 30)) code alice --factor 2)"
	run -0 tf disable alice --force --factor 1
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true and .backup_left==10 and (.factors|length)==1' <<<"$output"
}

@test "backup issue >/dev/full keeps the old set: new codes nobody saw are never kept" {
	run -5 --separate-stderr sh -c "'$TWOFACTL' backup issue alice >/dev/full"
	assert_equal "$stderr" "twofactl: backup issue alice: cannot write standard output: No space left on device: nothing was changed"
	run -5 sh -c "'$TWOFACTL' --json backup issue alice >/dev/full"
	run -0 tf --json backup list alice
	run -0 jq -e '.left==10 and .issued==1800000000' <<<"$output"
	run -0 tf verify alice "${CODES[0]}"
	run -0 tf -q backup issue alice
	assert_equal "${#lines[@]}" 10
	run -0 tf verify alice "${lines[0]}"
}
