#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Store integrity (issue 12): whole-store operations against key changes,
# the audit log never lagging a change, tampering by someone who can write
# the directory but lacks the key, nothing invalid ever written, imports
# all or nothing, init on directories it did not make, read-only stores.
load helper

KEY=3132333435363738393031323334353637383930

setup() { setup_store; }

teardown() {
	local m
	for m in "$BATS_TEST_TMPDIR/ro" "$BATS_TEST_TMPDIR/mnt" "$BATS_TEST_TMPDIR/auditro"; do
		if mountpoint -q "$m" 2>/dev/null; then umount "$m" || true; fi
	done
	if [ -e "$TWOFACTL_DIR/audit.log" ] && mountpoint -q "$TWOFACTL_DIR/audit.log" 2>/dev/null; then
		umount "$TWOFACTL_DIR/audit.log" || true
	fi
}

# N accounts acct1..acctN with one TOTP factor each (the RFC 6238 key).
totp_accounts() {
	for a in $(seq "$1"); do printf 'HOTP/T30\tacct%d\t-\t%s\n' "$a" $KEY; done >"$BATS_TEST_TMPDIR/users"
	tf -q import "$BATS_TEST_TMPDIR/users"
}

code_at() { /usr/bin/python3 "$BATS_TEST_DIRNAME/totp.py" $KEY "$1"; }

# A digest of everything in the store but the lock file (which a waiting
# command may open): what "touching nothing" is checked against.
store_digest() {
	(cd "$TWOFACTL_DIR" && find . -path ./store.lock -prune -o -type f -print0 | sort -z |
		xargs -0 sha256sum)
}

# While a command waits for the store's lock, the store is rekeyed under
# it: the rekeyed copy made beforehand is swapped in, every file but the
# lock file (whose inode holds the locks).
rekeyed_copy() {
	cp -a "$TWOFACTL_DIR" "$BATS_TEST_TMPDIR/rekeyed"
	TWOFACTL_DIR="$BATS_TEST_TMPDIR/rekeyed" tf -q rekey
}
swap_in_rekeyed() {
	local d
	for d in accounts orgs tickets oidc; do
		[ -d "$BATS_TEST_TMPDIR/rekeyed/$d" ] || continue
		mkdir -p "$TWOFACTL_DIR/$d"
		find "$TWOFACTL_DIR/$d" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
		cp -a "$BATS_TEST_TMPDIR/rekeyed/$d/." "$TWOFACTL_DIR/$d/"
	done
	(cd "$BATS_TEST_TMPDIR/rekeyed" && find . -mindepth 1 -maxdepth 1 -type f ! -name store.lock \
		-exec cp -a {} "$TWOFACTL_DIR/" \;)
}

# waited_through_rekey CMD...: CMD starts while the lock is held, the store
# is rekeyed under it, then the lock is let go. Sets $rc, $err and checks
# the store is byte for byte the rekeyed one when the command answered 7.
waited_through_rekey() {
	rekeyed_copy
	holder=$(hold_store_lock)
	"$TWOFACTL" "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null &
	pid=$!
	# until it waits for the lock (the bounded poll sleeps between tries),
	# with the key it opened the store with: however loaded the machine is
	for _ in $(seq 200); do
		grep -q nanosleep "/proc/$pid/wchan" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.1
	swap_in_rekeyed
	before=$(store_digest)
	kill "$holder"
	rc=0
	wait "$pid" || rc=$?
	err=$(cat "$BATS_TEST_TMPDIR/err")
	after=$(store_digest)
	if [ "$rc" = 7 ]; then
		assert_equal "$after" "$before"
	fi
}

@test "200 rounds of rekey against fsck --repair lose no account and quarantine none" {
	totp_accounts 10
	for i in $(seq 200); do rc_to "$BATS_TEST_TMPDIR/rc.r$i" "$TWOFACTL" -q rekey; done &
	r=$!
	for i in $(seq 200); do rc_to "$BATS_TEST_TMPDIR/rc.f$i" "$TWOFACTL" -q fsck --repair; done
	wait $r
	run -0 rc_summary
	refute_output --regexp '^[0-9]+ [^07]$'
	run -0 tf user list
	assert_equal "${#lines[@]}" 10
	assert_not_exist "$TWOFACTL_DIR/quarantine"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf audit verify
	for a in $(seq 10); do
		run -0 tf --at $((T0 + 30)) verify "acct$a" "$(code_at $((T0 + 30)))"
	done
}

@test "fsck --repair that waited while the store was rekeyed answers 7 and quarantines nothing" {
	totp_accounts 3
	waited_through_rekey fsck --repair
	assert_equal "$rc" 7
	assert_equal "$err" "twofactl: fsck: store busy: it was rekeyed meanwhile, run the command again"
	assert_not_exist "$TWOFACTL_DIR/quarantine"
	run -0 tf user list
	assert_equal "${#lines[@]}" 3
}

@test "rekey, import, rename, org del, user set and verify that waited through a rekey answer 7 and change nothing" {
	totp_accounts 2
	tf -q org add acme --policy optional
	printf 'HOTP/T30\tnewbie\t-\t%s\n' $KEY >"$BATS_TEST_TMPDIR/more"
	for cmd in "rekey" "import $BATS_TEST_TMPDIR/more" "user rename acct1 acct9" "org del acme" \
		"user set acct2 --email x@example.org" "--at $((T0 + 30)) verify acct1 $(code_at $((T0 + 30)))"; do
		rm -rf "$BATS_TEST_TMPDIR/rekeyed"
		waited_through_rekey $cmd
		echo "# $cmd: $rc" >&3
		assert_equal "$rc" 7
		[[ $err == *"store busy: it was rekeyed meanwhile, run the command again" ]]
	done
	run -0 tf user list
	assert_output $'acct1\nacct2'
	run -0 tf org list
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "a reader that waited through a rekey loads the new key and goes on" {
	totp_accounts 3
	waited_through_rekey user list
	assert_equal "$rc" 0
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_output $'acct1\nacct2\nacct3'
	waited_through_rekey --at $((T0 + 60)) expire
	assert_equal "$rc" 0
}

@test "6 loops of rekey, fsck --repair, user set, verify, rename and expire against each other: 40 rounds each, nothing lost" {
	totp_accounts 6
	tf -q user add mover
	t0=$((T0 + 30))
	for i in $(seq 40); do rc_to "$BATS_TEST_TMPDIR/rc.rekey$i" "$TWOFACTL" -q rekey; done &
	p1=$!
	for i in $(seq 40); do rc_to "$BATS_TEST_TMPDIR/rc.fsck$i" "$TWOFACTL" -q fsck --repair; done &
	p2=$!
	for i in $(seq 40); do
		rc_to "$BATS_TEST_TMPDIR/rc.set$i" "$TWOFACTL" -q user set acct2 --email "u$i@example.org"
	done &
	p3=$!
	for i in $(seq 40); do
		t=$((t0 + 30 * i))
		rc_to "$BATS_TEST_TMPDIR/rc.verify$i" "$TWOFACTL" -q --at $t verify acct1 "$(code_at $t)"
	done &
	p4=$!
	for i in $(seq 20); do
		rc_to "$BATS_TEST_TMPDIR/rc.ren$i" "$TWOFACTL" -q user rename mover moved
		rc_to "$BATS_TEST_TMPDIR/rc.back$i" "$TWOFACTL" -q user rename moved mover
	done &
	p5=$!
	for i in $(seq 40); do rc_to "$BATS_TEST_TMPDIR/rc.exp$i" "$TWOFACTL" -q --at $((t0 + 30 * i)) expire; done
	wait $p1 $p2 $p3 $p4 $p5
	rc_summary >&3
	# renames may find the name gone (3) or taken (2) after a concurrent one
	# answered 7; nothing else than 0 and 7 anywhere else
	run -0 sh -c "cd '$BATS_TEST_TMPDIR' && cat rc.rekey* rc.fsck* rc.set* rc.verify* rc.exp* | grep -cvx -e 0 -e 7 || true"
	assert_output 0
	run -0 tf user list
	assert_equal "${#lines[@]}" 7
	assert_line --regexp '^move[rd]$'
	assert_not_exist "$TWOFACTL_DIR/quarantine"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf audit verify
	t=$((t0 + 30 * 50))
	for a in $(seq 6); do run -0 tf --at $t verify "acct$a" "$(code_at $t)"; done
}

@test "fsck, audit verify and user list work on a read-only file system; writers are refused with exit 5" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t tmpfs -o size=4m,mode=0700 tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	totp_accounts 2
	tf -q org add acme --policy required
	mount -o remount,ro "$mnt"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf audit verify
	assert_output --regexp '^audit.log intact: [0-9]+ lines$'
	run -0 tf user list
	assert_output $'acct1\nacct2'
	run -5 --separate-stderr tf user set acct1 --email a@example.org
	assert_equal "$stderr" "twofactl: user set acct1: cannot open '$TWOFACTL_DIR/store.lock': Read-only file system"
	run -5 tf fsck --repair
	mount -o remount,rw "$mnt"
	umount "$mnt"
}

@test "fsck and audit verify work through a read-only bind mount of the store" {
	totp_accounts 2
	ro="$BATS_TEST_TMPDIR/ro"
	mkdir -m 700 "$ro"
	mount --bind "$TWOFACTL_DIR" "$ro" 2>/dev/null || skip "cannot bind-mount here"
	mount -o remount,bind,ro "$ro" || { umount "$ro"; skip "cannot remount read-only"; }
	TWOFACTL_DIR="$ro" run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	TWOFACTL_DIR="$ro" run -0 tf audit verify
	TWOFACTL_DIR="$ro" run -5 tf --at $((T0 + 30)) verify acct1 "$(code_at $((T0 + 30)))"
	umount "$ro"
	run -0 tf --at $((T0 + 30)) verify acct1 "$(code_at $((T0 + 30)))"
}

@test "a torn last audit line: disable --force changes nothing and says so; fsck --repair cuts it, sealed, and writes work again" {
	enrolled alice
	printf '{"seq":99,"prev":"ab' >>"$TWOFACTL_DIR/audit.log"
	before=$(store_digest)
	run -5 --separate-stderr tf disable alice --force
	assert_equal "$stderr" "twofactl: disable alice: 'audit.log' ends in a torn line (a write was cut short): nothing was changed; run twofactl fsck --repair"
	assert_equal "$(store_digest)" "$before"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled == true' <<<"$output"
	run -5 tf user add bob
	assert_equal "$(store_digest)" "$before"
	run -5 tf fsck
	assert_line "audit.log: ends in a torn line of 20 bytes (a write was cut short)"
	run -0 tf fsck --repair
	assert_line --regexp '^audit.log: ends in a torn line of 20 bytes \(a write was cut short\): cut, the bytes kept in quarantine/audit.log.torn.[0-9]+$'
	assert_line "1 problem found, 1 repaired"
	run -0 cat "$TWOFACTL_DIR"/quarantine/audit.log.torn.*
	assert_output '{"seq":99,"prev":"ab'
	run -0 tf audit verify
	run -0 tf --json audit
	run -0 jq -se '.[-1].event == "fsck.audit_cut" and (.[-1].detail | test("cut 20 bytes"))' <<<"$output"
	run -0 tf disable alice --force
	run -0 tf --json audit
	run -0 jq -se '.[-1].event == "disable.force"' <<<"$output"
}

@test "a read-only audit.log: user set, verify and disable --force change nothing and say so" {
	enrolled alice
	c=$(tf --at $((T0 + 30)) code alice)
	log="$TWOFACTL_DIR/audit.log"
	mount --bind "$log" "$log" 2>/dev/null || skip "cannot bind-mount here"
	mount -o remount,bind,ro "$log"
	before=$(store_digest)
	run -5 --separate-stderr tf user set alice --email a@example.org
	assert_equal "$stderr" "twofactl: user set alice: cannot open 'audit.log' to append: Read-only file system: nothing was changed"
	run -5 tf --at $((T0 + 30)) verify alice "$c"
	run -5 tf disable alice --force
	assert_equal "$(store_digest)" "$before"
	umount "$log"
	run -0 tf --at $((T0 + 30)) verify alice "$c"   # the code was not spent
	run -0 tf --json user show alice
	run -0 jq -e '.email == null and .enabled == true' <<<"$output"
	run -0 tf audit verify
}

@test "an audit line that cannot grow the log (file size limit, EFBIG): disable --force changes nothing" {
	enrolled alice
	for i in $(seq 30); do tf -q user add "filler$i"; done
	[ "$(stat -c %s "$TWOFACTL_DIR/audit.log")" -gt 8192 ]
	before=$(store_digest)
	# records are far below 4 KiB; the audit log is past it
	run -5 --separate-stderr bash -c "trap '' XFSZ; ulimit -f 4; exec '$TWOFACTL' disable alice --force"
	assert_regex "$stderr" "audit.log.*File too large: nothing was changed"
	assert_equal "$(store_digest)" "$before"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled == true' <<<"$output"
	run -0 tf audit verify
}

@test "a full disk: a new account changes nothing, a change written in place still works and is audited; once there is room all works" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs here"
	export TWOFACTL_DIR="$mnt/store"
	tf -q init
	enrolled alice
	head -c 2M /dev/zero >"$mnt/filler" 2>/dev/null || true
	before=$(store_digest)
	run -5 tf user add bob                               # a new file: no room for it
	assert_equal "$(store_digest)" "$before"
	run -0 tf audit verify
	# a change written in place needs no new room (the audit log keeps its own)
	run -0 tf disable alice --force
	run -0 tf audit verify
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	rm "$mnt/filler"
	run -0 tf user add bob
	run -0 tf --json audit
	run -0 jq -se '[.[].event] | index("disable.force") != null and .[-1] == "user.add"' <<<"$output"
	umount "$mnt"
}

@test "--at past what the record format holds is refused at parse time; trust add at the last --at still works and user del after it" {
	enrolled alice
	run -2 --separate-stderr tf --at 1099511627776 trust add alice --days 365
	assert_equal "$stderr" "twofactl: --at: '1099511627776' is not a time in seconds since 1970 from 0 to 1099196267776"
	run -2 tf --at -1 user show alice
	last=1099196267776
	run -0 tf -q --at $last trust add alice --days 365
	run -0 tf -q --at $last whitelist add alice 192.0.2.0/24 --ttl 3650d
	run -0 tf -q --at $last send alice --via email 2>/dev/null || true
	run -0 tf user list
	run -0 tf --at $last expire
	run -0 tf export
	run -0 tf user del alice
}

@test "at the last --at allowed, the longest duration any command adds still makes readable records" {
	enrolled alice
	# every path adds at most 10 years to --at; check the longest at the limit
	tf -q config set recovery.retention 3650d
	id=$(tf -q --at 1099196267776 recovery file alice --reason "lost phone")
	run -0 tf -q --at 1099196267776 recovery deny "$id" --reason no
	run -0 tf --at 1099196267776 expire
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "one unreadable record of 5: expire, user list and export report it, go on for the other 4, and exit 5" {
	totp_accounts 5
	for a in 1 2 3 4 5; do tf -q --at $T0 whitelist add "acct$a" 192.0.2.0/24 --ttl 1h; done
	f=$(find "$TWOFACTL_DIR/accounts" -type f | head -1)
	printf 'x' | dd of="$f" bs=1 seek=60 conv=notrunc status=none
	run -5 --separate-stderr tf user list
	assert_equal "${#lines[@]}" 4
	assert_regex "$stderr" "twofactl: user list: account file 'accounts/../[0-9a-f]{64}' fails authentication: tampered, swapped or a wrong master key: skipped"
	assert_regex "$stderr" "1 unreadable record skipped: see twofactl fsck"
	run -5 --separate-stderr tf --at $((T0 + 7200)) expire
	assert_output --regexp '^4 accounts: 0 expired codes, 4 whitelist entries'
	assert_regex "$stderr" "skipped"
	run -5 --separate-stderr tf export
	run -0 jq -e '(.accounts | length == 4) and all(.accounts[]; .whitelist == [])' <<<"$output"
}

# An export of one account whose JSON path FIELD is set to VALUE.
export_with() {
	jq -n --argjson v "$2" '{format:"twofactl-export", version:1, orgs:[], accounts:[
		{name:"good1", created:1800000000, factors:[]},
		{name:"odd", created:1800000000, factors:[{type:"totp", status:"active", created:1800000000,
		 algorithm:"sha1", digits:6, period:30, secret:"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}],
		 whitelist:[{net:"192.0.2.0/24", created:1800000000, expires:0}]},
		{name:"good2", created:1800000000, factors:[]}]} | '"$1"' = $v'
}

@test "an export with out-of-range numbers is refused with exit 2 before anything is written: 7 cases" {
	tf -q user add keeper
	before=$(store_digest)
	n=0
	for c in '.accounts[1].created -5' '.accounts[1].created 1099511627777' \
		'.accounts[1].factors[0].created -1' '.accounts[1].factors[0].last_step 2199023255552' \
		'.accounts[1].factors[0].counter -3' '.accounts[1].whitelist[0].expires 1099511627777' \
		'.accounts[1].factors[0].period 1e30'; do
		set -- $c
		export_with "$1" "$2" >"$BATS_TEST_TMPDIR/exp.json"
		run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/exp.json"
		assert_regex "$stderr" "account 2: (a time or number out of the range|not a valid twofactl entry)"
		assert_equal "$(store_digest)" "$before"
		n=$((n + 1))
	done
	assert_equal $n 7
	run -0 tf user list
	assert_output keeper
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "a usersfile with one bad line of 5 adds no account" {
	for a in 1 2 3 4; do printf 'HOTP/T30\tu%d\t-\t%s\n' $a $KEY; done >"$BATS_TEST_TMPDIR/users"
	printf 'HOTP/T30\tu5\t-\tnot-hex\n' >>"$BATS_TEST_TMPDIR/users"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/users"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/users: line 5: not a valid usersfile entry"
	run -0 tf user list
	assert_output ""
	run -0 tf audit verify
	assert_output "audit.log intact: 1 lines"
}

@test "an import that would give an account a 17th factor adds nothing at all" {
	for i in $(seq 10 25); do printf 'HOTP/T30\tfull\t-\t%s%s\n' "${KEY:0:38}" $i; done >"$BATS_TEST_TMPDIR/sixteen"
	tf -q import "$BATS_TEST_TMPDIR/sixteen"
	run -0 tf --json user show full
	run -0 jq -e '.factors | length == 16' <<<"$output"
	printf 'HOTP/T30\tnewbie\t-\t%s\nHOTP/T30\tfull\t-\t%s\n' $KEY $KEY >"$BATS_TEST_TMPDIR/users"
	before=$(store_digest)
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/users"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/users: 'full' would have more than 16 factors: nothing was imported"
	assert_equal "$(store_digest)" "$before"
}

@test "an import cut short is refused again as it is, and completed with --resume, duplicating nothing: usersfile, export, google-authenticator" {
	for a in $(seq 6); do printf 'HOTP/T30\tu%d\t-\t%s\n' $a $KEY; done >"$BATS_TEST_TMPDIR/users"
	head -3 "$BATS_TEST_TMPDIR/users" >"$BATS_TEST_TMPDIR/half"
	tf -q import "$BATS_TEST_TMPDIR/half"
	run -2 --separate-stderr tf import "$BATS_TEST_TMPDIR/users"
	assert_equal "$stderr" "twofactl: import $BATS_TEST_TMPDIR/users: 'u1' has that totp key already (factor 1): one key, one replay state"
	run -0 tf user list
	assert_equal "${#lines[@]}" 3
	run -0 tf import --resume "$BATS_TEST_TMPDIR/users"
	assert_line -n 0 "imported from usersfile: 3 new accounts, 0 updated, 3 skipped"
	assert_line -n 1 "note: 3 authenticator keys were imported before: skipped"
	for a in $(seq 6); do
		run -0 tf --json user show "u$a"
		run -0 jq -e '.factors | length == 1' <<<"$output"
	done
	# an export: existing accounts are skipped
	tf export --include-secrets 2>/dev/null >"$BATS_TEST_TMPDIR/all.json"
	export TWOFACTL_DIR="$BATS_TEST_TMPDIR/other"
	tf -q init
	jq '.accounts |= .[0:2]' "$BATS_TEST_TMPDIR/all.json" >"$BATS_TEST_TMPDIR/part.json"
	tf -q import "$BATS_TEST_TMPDIR/part.json"
	run -0 --separate-stderr tf import "$BATS_TEST_TMPDIR/all.json"
	assert_output "imported from twofactl: 4 new accounts, 0 updated, 2 skipped"
	# a google-authenticator file twice: its scratch codes are added once
	printf '%s\n" RATE_LIMIT 3 30\n" TOTP_AUTH\n11111111\n22222222\n' JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP >"$BATS_TEST_TMPDIR/ga"
	tf -q import --user u1 "$BATS_TEST_TMPDIR/ga"
	run -2 tf import --user u1 "$BATS_TEST_TMPDIR/ga"
	run -0 tf import --resume --user u1 "$BATS_TEST_TMPDIR/ga"
	assert_line -n 0 "imported from google-authenticator: 0 new accounts, 0 updated, 1 skipped"
	run -0 tf --json user show u1
	run -0 jq -e '(.factors | length == 2) and .backup_left == 2' <<<"$output"
}

@test "import killed with -9 at 10 moments, then run with --resume: every account once, one factor each" {
	for a in $(seq 120); do printf 'HOTP/T30\tk%d\t-\t%s\n' $a $KEY; done >"$BATS_TEST_TMPDIR/users"
	for i in $(seq 10); do
		"$TWOFACTL" -q import "$BATS_TEST_TMPDIR/users" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		run -0 tf fsck
		assert_output "0 problems found, 0 repaired"
	done
	run -0 tf -q import --resume "$BATS_TEST_TMPDIR/users"
	run -0 tf user list
	assert_equal "${#lines[@]}" 120
	run -0 sh -c "'$TWOFACTL' --json export | jq -c '[.accounts[].factors | length] | unique'"
	assert_output '[1]'
}


@test "appending policy.default = off to config turns nobody's 2FA off: exit 5 until config accept, which shows and audits it" {
	tf -q config set policy.default required
	tf -q user add bob
	run -11 tf check bob
	echo "policy.default = off" >>"$TWOFACTL_DIR/config"
	run -5 --separate-stderr tf check bob
	assert_equal "$stderr" "twofactl: check bob: 'config' was changed since twofactl sealed it (by hand?): see 'twofactl config diff', and keep the change with 'twofactl config accept'"
	run -5 tf user add carol
	run -5 tf config set issuer X
	run -0 tf config diff
	assert_output $'- policy.default = required\n+ policy.default = off'
	run -0 tf config get policy.default
	assert_output off
	run -5 tf fsck
	assert_line --partial "config: 'config' was changed since twofactl sealed it"
	run -0 tf config accept
	assert_line "+ policy.default = off"
	assert_line "config sealed as it is (1 change kept)"
	run -0 tf check bob
	run -0 tf --json audit
	run -0 jq -se '[.[] | select(.event == "config.accept")] | length == 1 and .[0].detail == "edited: policy.default"' <<<"$output"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "a config without its seal, with a garbled seal, or from another store is refused; a bad value is not accepted" {
	tf -q user add bob
	cp "$TWOFACTL_DIR/config" "$BATS_TEST_TMPDIR/good"
	sed -i '/^# sealed: /d' "$TWOFACTL_DIR/config"
	run -5 --separate-stderr tf user list
	assert_regex "$stderr" "'config' is not sealed"
	sed 's/^# sealed: ..../# sealed: AAAA/' "$BATS_TEST_TMPDIR/good" >"$TWOFACTL_DIR/config"
	run -5 --separate-stderr tf user list
	assert_regex "$stderr" "has a seal that does not verify"
	TWOFACTL_DIR="$BATS_TEST_TMPDIR/other" tf -q init
	TWOFACTL_DIR="$BATS_TEST_TMPDIR/other" tf -q config set policy.default off
	cp "$BATS_TEST_TMPDIR/other/config" "$TWOFACTL_DIR/config"
	run -5 --separate-stderr tf user list
	assert_regex "$stderr" "has a seal that does not verify"
	cp "$BATS_TEST_TMPDIR/good" "$TWOFACTL_DIR/config"
	echo "totp.window = 999" >>"$TWOFACTL_DIR/config"
	run -2 tf config accept
	run -5 tf user list
	cp "$BATS_TEST_TMPDIR/good" "$TWOFACTL_DIR/config"
	run -0 tf user list
}

@test "a store made before settings were sealed: refused until one config accept, which also lists its organisations" {
	tf -q org add acme --policy required
	tf -q user add bob --org acme
	sed -i '/^# sealed: /d' "$TWOFACTL_DIR/config"
	rm "$TWOFACTL_DIR/orgs.index"
	run -5 tf check bob
	run -0 tf config diff
	run -0 tf config accept
	run -11 tf check bob
	run -0 tf org list
	assert_output --regexp '^acme +required$'
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "deleting an organisation's file sends no member to the default policy: exit 5" {
	tf -q config set policy.default off
	tf -q org add acme --policy required
	tf -q user add bob --org acme
	run -11 tf check bob
	rm "$(find "$TWOFACTL_DIR/orgs" -type f)"
	run -5 --separate-stderr tf check bob
	assert_regex "$stderr" "missing but the sealed list of organisations names it"
	run -5 tf fsck
	assert_line --regexp "^orgs/../[0-9a-f]{64}: is named by the sealed list of organisations but missing \(removed\?\); 1 account belongs to it: restore the file, or move its members with user set --org$"
	run -5 tf fsck --repair
	tf -q user set bob --org ""
	run -0 tf fsck --repair
	assert_line --partial "no account belongs to it: dropped from the list"
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 tf check bob   # now under the default, as the administrator chose
}

@test "an old copy of an organisation's file put back is refused; so is an edited or missing orgs.index" {
	tf -q org add acme --policy off
	tf -q user add bob --org acme
	f=$(find "$TWOFACTL_DIR/orgs" -type f)
	cp "$f" "$BATS_TEST_TMPDIR/old"
	tf -q org set acme --policy required
	run -11 tf check bob
	cp "$BATS_TEST_TMPDIR/old" "$f"
	run -5 --separate-stderr tf check bob
	assert_regex "$stderr" "organisation file 'orgs/.*' is older \(generation 1\) than the last one written \(2\): an old copy was put back"
	run -5 tf org show acme
	run -5 tf fsck --repair
	assert_line --partial "is older (generation 1) than the last one written (2): an old copy put back: moved to quarantine"
	assert_line --partial "is named by the sealed list of organisations but missing (removed?); 1 account belongs to it"
	run -5 tf check bob
	cp "$BATS_TEST_TMPDIR/old" "$f"
	run -5 --separate-stderr tf check bob
	assert_regex "$stderr" "has no generation attribute, which every record of this store carries"
	rm "$f"
	printf 'x' | dd of="$TWOFACTL_DIR/orgs.index" bs=1 seek=30 conv=notrunc status=none
	run -5 --separate-stderr tf check bob
	assert_regex "$stderr" "'orgs.index', the sealed list of organisations, fails authentication"
	rm "$TWOFACTL_DIR/orgs.index"
	run -5 --separate-stderr tf check bob
	assert_regex "$stderr" "'orgs.index', the sealed list of organisations, is missing"
}

@test "30 tries of org del against user set --org leave no account in a deleted organisation" {
	for i in $(seq 30); do echo "org add o$i --policy required"; echo "user add u$i"; done | tf -q batch >/dev/null
	for i in $(seq 30); do
		if [ $((RANDOM % 2)) = 0 ]; then
			"$TWOFACTL" -q user set "u$i" --org "o$i" >/dev/null 2>&1 &
			"$TWOFACTL" -q org del "o$i" >/dev/null 2>&1 &
		else
			"$TWOFACTL" -q org del "o$i" >/dev/null 2>&1 &
			"$TWOFACTL" -q user set "u$i" --org "o$i" >/dev/null 2>&1 &
		fi
		wait
	done
	orphans=0 deleted=0
	for i in $(seq 30); do
		org=$(tf --json user show "u$i" | jq -r '.org // ""')
		if ! tf -q org show "o$i" >/dev/null 2>&1; then
			deleted=$((deleted + 1))
			[ "$org" = "o$i" ] && orphans=$((orphans + 1))
		fi
	done
	echo "# $deleted of 30 organisations deleted, $orphans accounts left in one" >&3
	assert_equal "$orphans" 0
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

@test "organisations and their policies survive a rekey; an organisation file not in the list is none" {
	tf -q org add acme --policy required
	tf -q user add bob --org acme
	tf -q rekey
	run -11 tf check bob
	run -0 tf org list
	assert_output --regexp '^acme +required$'
	# org add cut short between its two writes: the file is there, the list
	# does not name it (made here by putting the list back as it was)
	cp "$TWOFACTL_DIR/orgs.index" "$BATS_TEST_TMPDIR/index"
	tf -q org add beta --policy off
	cp "$BATS_TEST_TMPDIR/index" "$TWOFACTL_DIR/orgs.index"
	run -3 tf org show beta
	run -3 tf user set bob --org beta
	run -0 tf org list
	assert_output --regexp '^acme +required$'
	run -5 tf fsck
	assert_line --regexp '^orgs/../[0-9a-f]{64}: is not in the sealed list of organisations'
	run -0 tf org add beta --policy optional
	run -0 tf org list
	assert_line --regexp '^beta +optional$'
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
}

# chaos NAME N CMD...: N runs of CMD, each killed with -9 at a random
# moment of its first 40 ms (or not at all, when it is done by then);
# every exit status goes to rc.NAME.I. CMD may name {i} (the run).
chaos() {
	local name=$1 n=$2 i pid rc
	shift 2
	for i in $(seq "$n"); do
		{ "$TWOFACTL" -q "${@//\{i\}/$i}" >/dev/null 2>&1 & } 2>/dev/null
		pid=$!
		sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
		kill -9 $pid 2>/dev/null || true
		rc=0
		wait $pid 2>/dev/null || rc=$?
		echo $rc >"$BATS_TEST_TMPDIR/rc.$name.$i"
	done
}

@test "stress: rekey, fsck --repair, rename, user set, verify and expire at once, killed with -9 at random moments: nothing lost, nothing replayed" {
	totp_accounts 4
	enrolled bk
	mapfile -t backup <"$BATS_TEST_TMPDIR/backup.bk"
	[ "${#backup[@]}" -ge 10 ]
	tf -q user add mover
	# do backup codes outlive a rekey in this build? (the per-account code
	# key of issue 12's rekey bullet; without it a rekey voids them all)
	(
		export TWOFACTL_DIR="$BATS_TEST_TMPDIR/probe"
		tf -q init && enrolled probe && tf -q rekey &&
			tf -q verify probe "$(head -1 "$BATS_TEST_TMPDIR/backup.probe")"
	) >/dev/null 2>&1 && backup_survives=1 || backup_survives=0
	t0=$((T0 + 30))
	mapfile -t codes < <(/usr/bin/python3 "$BATS_TEST_DIRNAME/totp.py" $KEY $(seq $t0 30 $((t0 + 30 * 79))))
	: >"$BATS_TEST_TMPDIR/acked"
	: >"$BATS_TEST_TMPDIR/acked.backup"
	start=$SECONDS
	chaos rekey 30 rekey &
	p1=$!
	chaos fsck 40 fsck --repair &
	p2=$!
	(for i in $(seq 20); do
		chaos "ren$i" 1 user rename mover moved
		chaos "back$i" 1 user rename moved mover
	done) &
	p3=$!
	chaos set 40 user set acct2 --email 'u{i}@example.org' &
	p4=$!
	chaos expire 30 --at $((t0 + 600)) expire &
	p5=$!
	(for i in $(seq 0 4); do
		chaos "bk$i" 1 verify bk "${backup[$i]}"
		if [ "$(cat "$BATS_TEST_TMPDIR/rc.bk$i.1")" = 0 ]; then echo "${backup[$i]}" >>"$BATS_TEST_TMPDIR/acked.backup"; fi
	done) &
	p6=$!
	for i in $(seq 0 79); do
		t=$((t0 + 30 * i))
		chaos "v$i" 1 --at $t verify acct1 "${codes[$i]}"
		if [ "$(cat "$BATS_TEST_TMPDIR/rc.v$i.1")" = 0 ]; then echo "$t ${codes[$i]}" >>"$BATS_TEST_TMPDIR/acked"; fi
	done
	wait $p1 $p2 $p3 $p4 $p5 $p6
	echo "# $((SECONDS - start)) s; $(wc -l <"$BATS_TEST_TMPDIR/acked") codes and $(wc -l <"$BATS_TEST_TMPDIR/acked.backup") backup codes acknowledged; statuses: $(cat "$BATS_TEST_TMPDIR"/rc.* | sort | uniq -c | tr -s ' \n' ' ')" >&3
	# nothing but success, busy, a rename that found its name moved, or a
	# kill; no code refused (backup codes: once they outlive a rekey)
	run -0 sh -c "cd '$BATS_TEST_TMPDIR' && cat rc.rekey.* rc.fsck.* rc.set.* rc.expire.* rc.v* | grep -cvx -e 0 -e 7 -e 137 || true"
	assert_output 0
	run -0 sh -c "cd '$BATS_TEST_TMPDIR' && cat rc.ren* rc.back* | grep -cvx -e 0 -e 7 -e 137 -e 2 -e 3 || true"
	assert_output 0
	refused=-e137
	[ "$backup_survives" = 1 ] || refused=-e1
	run -0 sh -c "cd '$BATS_TEST_TMPDIR' && cat rc.bk* | grep -cvx -e 0 -e 7 -e 137 $refused || true"
	assert_output 0
	# a rename cut short is finished by the next command that names it
	tf -q user show mover >/dev/null 2>&1 || true
	tf -q user show moved >/dev/null 2>&1 || true
	run -0 tf user list
	assert_equal "${#lines[@]}" 6
	assert_line acct1
	assert_line bk
	assert_line --regexp '^move[rd]$'
	# an audit line torn by a kill is the one thing fsck --repair may cut
	if ! tf -q fsck >/dev/null 2>&1; then
		run -0 tf fsck --repair
		assert_line --regexp '^audit.log: ends in a torn line'
	fi
	run -0 tf fsck
	assert_output "0 problems found, 0 repaired"
	run -0 sh -c "ls '$TWOFACTL_DIR/quarantine' 2>/dev/null | grep -cv '^audit.log.torn.' || true"
	assert_output 0
	run -0 tf audit verify
	while read -r t c; do run -1 tf --at "$t" verify acct1 "$c"; done <"$BATS_TEST_TMPDIR/acked"
	while read -r c; do run -1 tf verify bk "$c"; done <"$BATS_TEST_TMPDIR/acked.backup"
	if [ "$backup_survives" = 1 ]; then
		for i in $(seq 5 9); do run -0 tf verify bk "${backup[$i]}"; done
	else
		echo "# backup codes do not outlive a rekey in this build: their check waits for the per-account code key" >&3
	fi
	t=$((t0 + 30 * 100))
	for a in 1 2 3 4; do run -0 tf --at $t verify "acct$a" "$(code_at $t)"; done
}
