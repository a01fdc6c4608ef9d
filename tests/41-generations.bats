#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Records updated in place, and the generation kept outside them (issue 17):
# an old copy of a record put back, or a stale one served by a network file
# system's cache, is never acted on; the audit chain cannot fork.
load helper

KEY=3132333435363738393031323334353637383930

setup() {
	setup_store
	enrolled alice
}

teardown() {
	local m
	for m in "$BATS_TEST_TMPDIR/mnt"; do
		if mountpoint -q "$m" 2>/dev/null; then umount "$m" || true; fi
	done
}

code_at() { tf --at "$1" code alice; }

# slots FILE: "SLOTSIZE GEN0 GEN1" of a record file in format 2.
slots() {
	/usr/bin/python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:5] == b"TFA\0\2", "not format 2"
ss = struct.unpack(">I", b[8:12])[0]
g = [struct.unpack(">Q", b[512 + i * ss:520 + i * ss])[0] for i in (0, 1)]
print(ss, g[0], g[1])' "$1"
}

# flip FILE OFFSET: one byte of FILE changed in place (the inode stays).
flip() { printf '\377' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

@test "a record is written in place: the same file (inode) before and after, no temp file, one generation more" {
	f=$(account_files)
	ino=$(stat -c %i "$f")
	g=$(gen_of "$f")
	[ "$g" -ge 3 ]
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	assert_equal "$(stat -c %i "$f")" "$ino"
	assert_equal "$(gen_of "$f")" $((g + 1))
	run -0 slots "$f"
	read -r ss g0 g1 <<<"$output"
	# the two slots hold the last two generations
	assert_equal "$(( g0 > g1 ? g0 : g1 ))/$(( g0 > g1 ? g1 : g0 ))" "$((g + 1))/$g"
	assert_equal "$(stat -c %s "$f")" $((512 + 2 * ss))
	run -0 find "$TWOFACTL_DIR" -name '.tmp-*'
	assert_output ""
}

@test "an old copy of an account file put back over it: exit 5, no used backup code or zeroed failure count comes back; fsck reports it" {
	f=$(account_files)
	mapfile -t codes <"$BATS_TEST_TMPDIR/backup.alice"
	cp "$f" "$BATS_TEST_TMPDIR/old"
	old=$(gen_of "$f")
	run -1 tf --at $((T0 + 30)) verify alice 000000
	run -0 tf verify alice "${codes[0]}"
	now=$(gen_of "$f")
	cp "$BATS_TEST_TMPDIR/old" "$f"                      # a restore from last night's backup
	run -5 --separate-stderr tf verify alice "${codes[0]}"
	assert_equal "$stderr" "twofactl: verify alice: account file 'accounts/${f: -67}' is older (generation $old) than the last one written ($now): an old copy was put back (or a network file system serves a stale one)"
	run -5 tf --at $((T0 + 60)) verify alice "$(code_at $((T0 + 60)))"
	run -5 tf user show alice
	run -5 --separate-stderr tf user list
	assert_output ""
	assert_regex "$stderr" "is older \(generation $old\) than the last one written \($now\).*: skipped"
	run -5 tf fsck
	assert_line "accounts/${f: -67}: is older (generation $old) than the last one written ($now): an old copy put back"
	run -0 tf fsck --repair
	assert_line --regexp "^accounts/${f: -67}: is older .*: moved to quarantine/accounts-"
	run -3 tf user show alice
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "an old copy put back by rename (rsync, mv: no attribute) is refused as well" {
	f=$(account_files)
	cp "$f" "$BATS_TEST_TMPDIR/old"
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	mv "$BATS_TEST_TMPDIR/old" "$f.new" && mv "$f.new" "$f"
	assert_equal "$(gen_of "$f")" ""
	run -5 --separate-stderr tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	assert_regex "$stderr" "account file 'accounts/.*' has no generation attribute, which every record of this store carries: an old copy put back by rename\?"
	run -5 tf fsck
	assert_line "accounts/${f: -67}: has no generation attribute: an old copy put back by rename"
}

@test "an old copy kept on purpose: its generation attribute set to 0 accepts it, and the next write records one again" {
	f=$(account_files)
	mapfile -t codes <"$BATS_TEST_TMPDIR/backup.alice"
	cp "$f" "$BATS_TEST_TMPDIR/old"
	run -0 tf verify alice "${codes[0]}"
	cp "$BATS_TEST_TMPDIR/old" "$f"
	run -5 tf verify alice "${codes[1]}"
	xattr_set "$f" user.twofactl.gen 0
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf verify alice "${codes[0]}"       # the administrator chose the old copy
	[ "$(gen_of "$f")" -gt 0 ]
	run -1 tf verify alice "${codes[0]}"
}

@test "an attribute that is not a generation is a store error, not a pass" {
	f=$(account_files)
	xattr_set "$f" user.twofactl.gen "12x"
	run -5 --separate-stderr tf user show alice
	assert_regex "$stderr" "generation attribute .* is not a number"
}

@test "a stale copy is read again by name until it catches up (a shared file system's cache, simulated)" {
	f=$(account_files)
	cp "$f" "$BATS_TEST_TMPDIR/old"
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	cp "$f" "$BATS_TEST_TMPDIR/current"
	c=$(code_at $((T0 + 60)))
	cp "$BATS_TEST_TMPDIR/old" "$f"                      # what a stale cache serves
	(sleep 0.6; cp "$BATS_TEST_TMPDIR/current" "$f") &
	start=$(date +%s%N)
	TWOFACTL_SHARED=yes run -0 tf --at $((T0 + 60)) verify alice "$c"
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	wait
	[ "$took" -ge 500 ]
	# the code of the step written before is still refused: nothing was lost
	run -1 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
}

@test "a stale copy that never catches up is refused with exit 5 after a bounded wait" {
	f=$(account_files)
	cp "$f" "$BATS_TEST_TMPDIR/old"
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	c=$(code_at $((T0 + 60)))
	cp "$BATS_TEST_TMPDIR/old" "$f"
	start=$SECONDS
	TWOFACTL_SHARED=yes run -5 --separate-stderr tf --at $((T0 + 60)) verify alice "$c"
	assert_regex "$stderr" "is older \(generation [0-9]+\) than the last one written"
	[ $((SECONDS - start)) -le 10 ]
}

@test "the current slot tampered with: exit 5; the older slot is never taken in its place" {
	f=$(account_files)
	read -r ss g0 g1 < <(slots "$f")
	cur=0
	[ "$g1" -gt "$g0" ] && cur=1
	flip "$f" $((512 + cur * ss + 60))
	run -5 --separate-stderr tf --at $((T0 + 30)) verify alice 123456
	assert_equal "$stderr" "twofactl: verify alice: account file 'accounts/${f: -67}' fails authentication: tampered, swapped or a wrong master key"
	run -5 tf fsck
	assert_line "accounts/${f: -67}: fails authentication: damaged, tampered or swapped"
}

@test "the older slot damaged (a write cut short by a power loss): the record is intact; fsck reports it and --repair clears that slot" {
	f=$(account_files)
	tf -q user set alice --email a@example.org         # both slots hold a record
	read -r ss g0 g1 < <(slots "$f")
	old=1
	[ "$g1" -gt "$g0" ] && old=0
	flip "$f" $((512 + old * ss + 60))
	run -0 tf user show alice
	run -5 tf fsck
	assert_line "accounts/${f: -67}: the older of its two slots fails authentication (a write cut short, or tampered): the current record is intact"
	run -0 tf fsck --repair
	assert_line "accounts/${f: -67}: the older of its two slots fails authentication (a write cut short, or tampered): the current record is intact: the older slot cleared"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf --at $((T0 + 30)) verify alice "$(code_at $((T0 + 30)))"
	# an empty slot (after a whole write) that is not all zeros is found too
	tf -q whitelist add alice 192.0.2.1/32 --note "$(printf 'n%.0s' $(seq 60))"
	for i in $(seq 20); do
		read -r ss g0 g1 < <(slots "$f")
		[ "$g0" = 0 ] || [ "$g1" = 0 ] && break
		tf -q whitelist add alice "192.0.2.$((i + 1))/32" --note "$(printf 'n%.0s' $(seq 60))"
	done
	[ "$g0" = 0 ] || [ "$g1" = 0 ]
	empty=0
	[ "$g1" = 0 ] && empty=1
	flip "$f" $((512 + empty * ss + 100))
	run -5 tf fsck
	assert_line "accounts/${f: -67}: the older of its two slots fails authentication (a write cut short, or tampered): the current record is intact"
}

@test "a record that outgrows its slots is written whole, as a new file with the next generation; the old one is refused if put back" {
	f=$(account_files)
	read -r ss _ < <(slots "$f")
	ino=$(stat -c %i "$f")
	cp "$f" "$BATS_TEST_TMPDIR/old"
	exec {held}<"$f"                  # what a host whose cache still names the old inode reads
	note=$(printf 'n%.0s' $(seq 60))
	for i in $(seq 80); do
		tf -q --at $T0 whitelist add alice "192.0.2.$i/32" --note "$note $i"
		[ "$(stat -c %i "$f")" = "$ino" ] || break
	done
	n=$i
	[ "$(stat -c %i "$f")" != "$ino" ]
	read -r ss2 _ < <(slots "$f")
	[ "$ss2" -gt "$ss" ]
	g=$(gen_of "$f")
	# the inode replaced carries the new generation: read through a stale
	# name it is older than its own attribute, and is read again by name
	[ "$(gen_of "/proc/$BASHPID/fd/$held")" -ge $((g - n)) ]
	[ "$(gen_of "/proc/$BASHPID/fd/$held")" -gt "$(slots "/proc/$BASHPID/fd/$held" | awk '{ print ($2 > $3 ? $2 : $3) }')" ]
	exec {held}<&-
	run -0 tf --json whitelist list alice
	run -0 jq -s 'length' <<<"$output"
	assert_output "$n"
	cp "$BATS_TEST_TMPDIR/old" "$f"
	run -5 tf whitelist list alice
	run -0 find "$TWOFACTL_DIR" -name '.tmp-*'
	assert_output ""
	[ "$g" -gt 3 ]
}

@test "a store of record format 1 keeps working: read as before, each record converted on its next write" {
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/v1"
	cp -r "$BATS_TEST_DIRNAME/fixtures/store-v1" "$TWOFACTL_DIR"
	find "$TWOFACTL_DIR" -type d -exec chmod 0700 {} + && find "$TWOFACTL_DIR" -type f -exec chmod 0600 {} +
	mapfile -t codes <"$BATS_TEST_DIRNAME/fixtures/store-v1.backup"
	ticket=$(cat "$BATS_TEST_DIRNAME/fixtures/store-v1.ticket")
	run -0 tf user list
	assert_output $'alice\nbob'
	run -0 tf audit verify
	run -0 tf --json backup list alice
	run -0 jq -e '.left == 10' <<<"$output"
	run -0 tf recovery show "$ticket"
	run -0 tf oidc lookup --issuer https://mojeid.cz --subject 42
	assert_output bob
	run -11 tf check bob                                 # acme's policy: required
	# a write converts alice's file (and only hers) to format 2
	run -0 tf verify alice "${codes[0]}"
	run -1 tf verify alice "${codes[0]}"
	n=0
	for f in $(account_files); do
		if [ "$(head -c 5 "$f" | od -An -tx1 | tr -d ' ')" = 5446410002 ]; then n=$((n + 1)); fi
	done
	assert_equal "$n" 1
	run -0 tf --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice)"
	# made before generations were kept: fsck says so, --repair marks every record
	run -5 tf fsck
	assert_line --partial "store.lock: records carry no generation marker"
	run -1 tf health
	assert_output --partial "records from before generations are not all marked: a rolled-back one may pass; run twofactl fsck --repair once every host runs this version"
	run -0 tf fsck --repair
	assert_line --partial "every record marked with its generation"
	run -0 tf health
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	for f in $(find "$TWOFACTL_DIR/accounts" "$TWOFACTL_DIR/orgs" "$TWOFACTL_DIR/tickets" "$TWOFACTL_DIR/oidc" -type f); do
		[ -n "$(gen_of "$f")" ]
	done
	run -0 tf verify alice "${codes[1]}"
	run -0 tf rekey
	run -0 tf verify alice "${codes[2]}"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "a file system without user attributes or O_DIRECT (ramfs): the store works as before, fsck is clean" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t ramfs -o mode=0700 ramfs "$mnt" 2>/dev/null || skip "cannot mount a ramfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	enrolled bob
	for shared in no yes; do
		t=$((T0 + 30 * (1 + ${#shared})))
		TWOFACTL_SHARED=$shared run -0 tf --at $t verify bob "$(tf --at $t code bob)"
		TWOFACTL_SHARED=$shared run -1 tf --at $t verify bob "$(tf --at $t code bob)"
	done
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf audit verify
	umount "$mnt"
}

@test "audit.log put back to an old copy: every writer refuses with nothing changed; audit verify and fsck name it" {
	c=$(code_at $((T0 + 30)))                        # code audits its showing: before the copy
	cp "$TWOFACTL_DIR/audit.log" "$BATS_TEST_TMPDIR/old"
	n0=$(wc -l <"$BATS_TEST_TMPDIR/old")
	tf -q user set alice --email a@example.org
	tf -q user set alice --email b@example.org
	cp "$BATS_TEST_TMPDIR/old" "$TWOFACTL_DIR/audit.log"
	before=$(find "$TWOFACTL_DIR" -type f ! -name store.lock -exec sha256sum {} + | sort)
	run -5 --separate-stderr tf user set alice --email c@example.org
	assert_equal "$stderr" "twofactl: user set alice: 'audit.log' ends at sequence $n0, but sequence $((n0 + 2)) was written: lines were cut off its end, or an old copy was put back: nothing was changed"
	run -5 tf --at $((T0 + 30)) verify alice "$c"
	assert_equal "$(find "$TWOFACTL_DIR" -type f ! -name store.lock -exec sha256sum {} + | sort)" "$before"
	run -5 --separate-stderr tf audit verify
	assert_regex "$stderr" "ends at sequence $n0, but sequence $((n0 + 2)) was written"
	run -5 tf fsck
	assert_line --partial "audit.log: 'audit.log' ends at sequence $n0, but sequence $((n0 + 2)) was written"
}

@test "lines cut off the end of audit.log are found; an edited last line is no longer the one written" {
	tf -q user set alice --email a@example.org
	n=$(wc -l <"$TWOFACTL_DIR/audit.log")
	head -n $((n - 1)) "$TWOFACTL_DIR/audit.log" >"$BATS_TEST_TMPDIR/cut"
	cp "$TWOFACTL_DIR/audit.log" "$BATS_TEST_TMPDIR/full"
	cat "$BATS_TEST_TMPDIR/cut" >"$TWOFACTL_DIR/audit.log"
	run -5 --separate-stderr tf audit verify
	assert_regex "$stderr" "ends at sequence $((n - 1)), but sequence $n was written"
	# another last line under the same sequence number: a forked chain
	cp "$BATS_TEST_TMPDIR/full" "$TWOFACTL_DIR/audit.log"
	xattr_set "$TWOFACTL_DIR/audit.log" user.twofactl.tail "$n 0123456789abcdef0123456789abcdef"
	run -5 --separate-stderr tf user set alice --email b@example.org
	assert_regex "$stderr" "'audit.log' ends in a line other than the one last written \(sequence $n\): a forked chain, or an edit: nothing was changed"
}

@test "an audit tail read stale is read again until it agrees (a shared file system's cache, simulated)" {
	cp "$TWOFACTL_DIR/audit.log" "$BATS_TEST_TMPDIR/old"
	tf -q user set alice --email a@example.org
	cp "$TWOFACTL_DIR/audit.log" "$BATS_TEST_TMPDIR/current"
	cp "$BATS_TEST_TMPDIR/old" "$TWOFACTL_DIR/audit.log"
	(sleep 0.6; cp "$BATS_TEST_TMPDIR/current" "$TWOFACTL_DIR/audit.log") &
	start=$(date +%s%N)
	TWOFACTL_SHARED=yes run -0 tf user set alice --email b@example.org
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	wait
	[ "$took" -ge 500 ]
	# appended after the tail it had to wait for, not after the old one
	assert_equal "$(wc -l <"$TWOFACTL_DIR/audit.log")" $(($(wc -l <"$BATS_TEST_TMPDIR/current") + 1))
	run -0 tf audit verify
	run -0 sh -c "jq -r .seq '$TWOFACTL_DIR/audit.log' | sort | uniq -d | wc -l"
	assert_output 0
}

@test "in place under O_DIRECT reads (TWOFACTL_SHARED=yes): 64 concurrent verifies of one code, one acceptance; kill -9 of 40 writers leaves a clean store" {
	export TWOFACTL_SHARED=yes
	t=$((T0 + 900))
	c=$(code_at $t)
	for i in $(seq 64); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" tf -q --at $t verify alice "$c" &
	done
	wait
	run -0 rc_summary
	assert_output $'1 0\n63 1'
	for i in $(seq 40); do
		t=$((T0 + 900 + 30 * i))
		c=$(code_at $t)
		"$TWOFACTL" -q --at $t verify alice "$c" >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 6))"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		run -0 tf user show alice
		run -0 tf fsck
		assert_output "0 problems found, 0 repaired"
	done
	run -0 tf audit verify
}

@test "health warns of a shared file system the store cannot vouch for: stale records undetectable" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t ramfs -o mode=0700 ramfs "$mnt" 2>/dev/null || skip "cannot mount a ramfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	run -1 tf health
	assert_output --partial "the store's file system keeps no user attributes: an old copy of a record put back cannot be told from the current one"
	# taken as shared (as a FUSE or NFS mount is found to be)
	export TWOFACTL_SHARED=yes
	run -1 tf health
	assert_output --partial "the store is on a shared file system without user attributes: a stale or rolled-back record cannot be told from the current one"
	run -1 tf --json health
	run -0 jq -se '.[0].status == "WARNING"' <<<"$output"
	unset TWOFACTL_SHARED
	umount "$mnt"
}
