#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() { setup_store; }

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/mnt" 2>/dev/null; then umount "$BATS_TEST_TMPDIR/mnt"; fi
}

@test "health is OK on a healthy store, with perfdata" {
	enrolled alice
	run -0 tf health
	assert_output "TWOFACTL OK - 1 accounts, 1 with 2FA | accounts=1 enabled=1 backup_low=0 drift=0 tickets_waiting=0"
	run -0 tf --json health
	run -0 jq -e '.status=="OK" and .audit_intact==true and .problems==[]' <<<"$output"
}

@test "health warns of few backup codes, drift, waiting tickets and lockouts" {
	enrolled alice
	tf -q backup issue alice --count 2 >/dev/null
	enrolled bob
	tf -q config set health.drift 1
	tf -q --at $((T0 + 300)) verify bob "$(tf --at $((T0 + 330)) code bob)"
	tf -q --at $T0 recovery file alice --reason lost >/dev/null
	run -1 tf --at $((T0 + 86400 + 1)) health
	assert_output --partial "TWOFACTL WARNING - 1 account with fewer than 3 backup codes; 1 account with a clock drift of 1 steps or more; 1 recovery ticket waiting"
	run -1 tf --json --at $((T0 + 86400 + 1)) health
	# the report, then the error object of a non-OK state
	run -0 jq -se '.[0].backup_low==["alice"] and .[0].drift==["bob"] and .[0].tickets_waiting==1
	    and .[1].error.code=="warning" and (.[1].error.message|test("backup codes"))' <<<"$output"
}

@test "health is CRITICAL when the key is loose or the audit chain broken" {
	tf -q user add alice
	tf -q user add bob
	sed -i 2d "$TWOFACTL_DIR/audit.log"
	run -2 tf health
	assert_output --partial "TWOFACTL CRITICAL - audit.log line 2"
	chmod 644 "$TWOFACTL_DIR/master.key"
	run -2 tf health
	assert_output --partial "TWOFACTL CRITICAL - store: 'master.key' is accessible by group or others"
	run -2 tf --json health
	run -0 jq -se '.[0].status=="CRITICAL" and .[1].error.code=="critical"' <<<"$output"
}

@test "health warns when the store's lock is held" {
	tf -q user add alice
	pid=$(hold_store_lock)
	run -1 tf health
	assert_output --partial "store lock held for more than 2 s"
	kill -9 "$pid"
}

@test "health is CRITICAL when no login can be recorded (read-only store), WARNING when no new record fits (full disk)" {
	need_root
	local m="$BATS_TEST_TMPDIR/mnt" c
	mkdir "$m"
	mount -t tmpfs -o size=2m tmpfs "$m"
	export TWOFACTL_DIR="$m/store"
	tf -q init
	enrolled alice
	run -0 tf health
	dd if=/dev/zero of="$m/fill" bs=4k 2>/dev/null || true
	# records are written in place and the audit log's room is reserved:
	# logins go on, a new account cannot be made
	c=$(tf --at $((T0 + 60)) code alice)
	run -0 tf --at $((T0 + 60)) verify alice "$c"
	run -5 tf user add bob
	run -1 tf health
	assert_output --regexp '^TWOFACTL WARNING - no room for new records: .*No space left on device'
	run -1 tf --json health
	run -0 jq -se '.[0] | .status=="WARNING" and .writable==true and .accounts==1' <<<"$output"
	rm "$m/fill"
	run -0 tf health
	mount -o remount,ro "$m"
	run -5 tf --at $((T0 + 90)) verify alice "$(tf --at $((T0 + 90)) code alice)"   # every login fails now
	run -2 tf health
	assert_output --regexp '^TWOFACTL CRITICAL - no login can be recorded: .*Read-only file system'
	refute_output --partial 'lock held'
	assert_output --partial 'accounts=1 enabled=1'
	run -2 tf --json health
	run -0 jq -se '.[0] | .status=="CRITICAL" and .writable==false' <<<"$output"
	umount "$m"
}

@test "batch runs one command per line, with one result line each" {
	run -2 tf batch <<-'EOF2'
	user add alice --email alice@example.org
	# a comment, then a blank line

	user add alice
	user add "bob" --org 'no such org'
	user show alice
	verify alice --frobnicate
	user add "unclosed
	user add carol --help
	EOF2
	assert_line --index 0 $'1\t0\tadded account \'alice\''
	assert_line --index 1 $'4\t2\ttwofactl: user add alice: account already exists'
	assert_line --index 2 $'5\t2\ttwofactl user add: --org: \'no such org\' is not a valid organisation name'
	assert_line --index 3 $'6\t0\tname:       alice'
	assert_line --index 4 $'7\t2\ttwofactl verify: unrecognized option \'--frobnicate\''
	assert_line --index 5 $'8\t2\ttwofactl: batch: unclosed quote or too many words'
	assert_line --index 6 $'9\t2\ttwofactl: batch: --help, --version and batch are not available inside a batch'
	run -0 tf user list
	assert_output alice
}

@test "batch --json gives each command's JSON output" {
	run -0 tf --json batch <<-'EOF2'
	user add alice
	enroll alice --qr none
	user show alice
	EOF2
	assert_equal "${#lines[@]}" 3
	run -0 jq -se '.[0].exit==0 and .[0].output[0].name=="alice" and (.[1].output[0].uri|startswith("otpauth://"))
	    and .[2].output[0].factors[0].status=="pending" and all(.error==null) and all(.schema==1)' <<<"$output"
}

@test "batch --json reports a failed line's error as {code, message}, with no error object of its own" {
	run -3 tf --json batch <<-'EOF2'
	user add alice
	user show bob
	EOF2
	assert_equal "${#lines[@]}" 2
	run -0 jq -e '.line==2 and .exit==3 and .error.code=="not_found" and .error.message=="no such account"' <<<"${lines[1]}"
}

@test "batch provisions many accounts in one process" {
	for i in $(seq 500); do echo "user add u$i --email u$i@example.org"; done >"$BATS_TEST_TMPDIR/in"
	run -0 tf -q batch <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 500
	run -0 tf user list
	assert_equal "${#lines[@]}" 500
	run -0 tf audit verify
}
