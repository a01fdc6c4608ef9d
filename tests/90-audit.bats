#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() {
	setup_store
	enrolled alice
	tf -q user add bob
	tf --at $((T0 + 30)) verify alice 000000 --ip 192.0.2.1 2>/dev/null || true
	tf -q --at $((T0 + 60)) verify alice "$(tf --at $((T0 + 60)) code alice)" --ip 192.0.2.1
}

@test "audit shows every change and verification, never a secret" {
	run -0 tf audit
	assert_line --regexp '^20[0-9-]+T[0-9:]+Z  init  -  ok$'
	assert_line --regexp '^2027-01-15T08:00:30Z  verify  alice  rejected  ip=192\.0\.2\.1$'
	assert_line --regexp '^2027-01-15T08:01:00Z  verify  alice  ok  ip=192\.0\.2\.1$'
	assert_line --partial "  user.add  bob  ok"
	secret=$(secret_of alice)
	refute_output --partial "$secret"
	while read -r c; do refute_output --partial "$c"; done <"$BATS_TEST_TMPDIR/backup.alice"
}

@test "audit --json, --user and --since filter" {
	run -0 tf --json audit --user alice --since 2027-01-15T08:00:45Z
	out=$output
	run -0 jq -se 'all(.t >= 1800000045 and .user=="alice")' <<<"$out"
	run -0 jq -se 'map(select(.event=="verify")) | length==1 and .[0].result=="ok" and .[0].ip=="192.0.2.1" and (.[0].seq|type)=="number"' <<<"$out"
	run -0 tf --json audit --user bob
	run -0 jq -se 'map(.event)==["user.add"]' <<<"$output"
	run -2 tf audit --since tomorrowish
}

@test "audit --since and --until take the dates people write" {
	verifies() { run -0 tf --json "$@" --user alice; jq -sc 'map(select(.event=="verify") | .t - 1800000000)' <<<"$output"; }
	assert_equal "$(verifies --at $((T0 + 90)) audit --since "2027-01-15 08:00:45")" "[60]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since 2027-01-15T10:00:45+02:00)" "[60]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --until 2027-01-15T08:00:45Z)" "[30]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since "1m ago")" "[30,60]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since -45s)" "[60]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since=-1m --until=-45s)" "[30]"
	assert_equal "$(verifies audit --since -45s --at $((T0 + 90)))" "[60]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since today)" "[30,60]"
	assert_equal "$(verifies --at $((T0 + 86400)) audit --since yesterday --until today)" "[30,60]"
	assert_equal "$(verifies --at $((T0 + 86400)) audit --since today)" "[]"
	assert_equal "$(verifies --at $((T0 + 90)) audit --since 1800000045)" "[60]"
	run -2 --separate-stderr tf audit --since "2027-02-30"
	assert_equal "$stderr" "twofactl audit: --since: '2027-02-30' is not a time such as 2026-11-23, '2026-11-23 08:00', yesterday or '2h ago'"
	run -2 tf audit --until "2h later"
}

@test "the audit log names nobody in clear" {
	# as JSON strings: quotes never occur inside the base64 of a sealed line
	run -1 grep -c -e '"alice"' -e '"bob"' -e 192.0.2.1 "$TWOFACTL_DIR/audit.log"
}

@test "audit verify passes an intact log" {
	run -0 tf audit verify
	assert_output --regexp '^audit.log intact: [0-9]+ lines$'
	run -0 tf --json audit verify
	run -0 jq -e '.intact==true and .bad_line==null' <<<"$output"
}

@test "audit verify finds an edited line" {
	log="$TWOFACTL_DIR/audit.log"
	# flip one character inside the sealed box of line 3
	line=$(sed -n 3p "$log")
	c=${line:100:1}; [ "$c" = A ] && r=B || r=A
	sed -i "3s/^\(.\{100\}\)./\1$r/" "$log"
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: audit.log line 3: edited (its seal does not verify)"
	run -5 --separate-stderr tf --json audit verify
	# its result, then the error object every failure under --json ends with
	run -0 jq -se 'length==2 and .[0].intact==false and .[0].bad_line==3 and .[1].error.code=="store"
	    and (.[1].error.message|test("line 3: edited"))' <<<"$output"
}

@test "audit verify finds a removed line" {
	sed -i 2d "$TWOFACTL_DIR/audit.log"
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: audit.log line 2: 1 line(s) removed before it (sequence 3, expected 2)"
}

@test "audit verify finds an inserted line" {
	sed -i '3{h;p}' "$TWOFACTL_DIR/audit.log"   # line 3 twice
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: audit.log line 4: inserted or moved (sequence 3, expected 4)"
}

@test "audit verify finds reordered lines" {
	sed -i '2{h;d};3{G}' "$TWOFACTL_DIR/audit.log"   # swap lines 2 and 3
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: audit.log line 2: 1 line(s) removed before it (sequence 3, expected 2)"
}

@test "audit verify finds an edited chain hash" {
	c=$(sed -n '4s/.*"prev":"\(.\).*/\1/p' "$TWOFACTL_DIR/audit.log")
	[ "$c" = 0 ] && r=1 || r=0   # a different hex digit, whatever it was
	sed -i "4s/\"prev\":\"./\"prev\":\"$r/" "$TWOFACTL_DIR/audit.log"
	run -5 --separate-stderr tf audit verify
	assert_regex "$stderr" 'line 4: (does not follow|edited)'
}

@test "a torn last line is reported and a new append refuses to chain onto it" {
	printf '{"seq":99,"prev":"ab' >>"$TWOFACTL_DIR/audit.log"
	run -5 tf audit verify
	assert_output --partial "torn"
	run -5 tf user add carol
	assert_output --partial "torn line"
}

@test "--via-service and --rhost name the front end and the remote host in the audit log" {
	run -10 tf --json check alice --ip 198.51.100.7 --via-service sshd
	run -1 tf --at $((T0 + 90)) verify alice 000000 --via-service sudo --rhost host-1.example.org
	run -0 tf --json audit --user alice
	local log=$output
	run -0 jq -se 'map(select(.event == "check"))[-1] | .service == "sshd" and .ip == "198.51.100.7" and (has("rhost") | not)' <<<"$log"
	run -0 jq -se 'map(select(.event == "verify"))[-1] | .service == "sudo" and .rhost == "host-1.example.org" and .result == "rejected"' <<<"$log"
	run -0 tf audit --user alice
	assert_line --regexp '  check  alice  code  ip=198\.51\.100\.7  service=sshd'
	assert_line --regexp '  verify  alice  rejected  service=sudo  rhost=host-1\.example\.org$'
}

@test "--via-service and --rhost refuse what would garble an audit line" {
	run -2 --separate-stderr tf check alice --via-service 'ssh d'
	assert_equal "$stderr" "twofactl check: --via-service: 'ssh d' is not a service name (1 to 64 of A-Z a-z 0-9 . _ @ + -)"
	run -2 --separate-stderr tf check alice --via-service ''
	run -2 --separate-stderr tf check alice --via-service "$(printf 'a%.0s' $(seq 65))"
	run -2 --separate-stderr tf check alice --rhost $'host\nforged'
	assert_equal "$stderr" "twofactl check: --rhost: 'host\\x0aforged' is not a host name or address (1 to 255 of A-Z a-z 0-9 . - : _ %)"
	run -2 --separate-stderr tf check alice --rhost 'a b'
	run -10 --separate-stderr tf check alice --rhost 'fe80::1%eth0' --via-service sshd-test_1
}

@test "each serve request and batch line has its own --via-service: it does not carry over" {
	run -0 --separate-stderr "$TWOFACTL" serve <<-EOF
	{"argv": ["check", "alice", "--via-service", "sshd", "--rhost", "a.example"]}
	{"argv": ["check", "alice"]}
	EOF
	run -0 --separate-stderr tf batch <<-EOF
	check bob --via-service su
	check bob
	EOF
	run -0 tf --json audit
	run -0 jq -se '[.[] | select(.event == "check")] | map([.user, .service, .rhost]) == [["alice", "sshd", "a.example"], ["alice", null, null], ["bob", "su", null], ["bob", null, null]]' <<<"$output"
}

lines_of() { wc -l <"$1" | tr -d ' '; }

@test "audit rotate closes the log with a sealed line and verify checks across the files" {
	n=$(lines_of "$TWOFACTL_DIR/audit.log")
	run -0 --separate-stderr tf --at $((T0 + 100)) audit rotate
	closed=$(printf 'audit/%020d.log' $((n + 1)))
	assert_equal "$output" "audit.log closed as $closed (lines 1 to $((n + 1))); audit.log goes on from line $((n + 2))"
	assert_file_exists "$TWOFACTL_DIR/$closed"
	assert_equal "$(lines_of "$TWOFACTL_DIR/audit.log")" 1
	assert_equal "$(stat -c %a "$TWOFACTL_DIR/$closed")" 600
	tf -q user add carol
	run -0 tf audit verify
	assert_output "audit log intact: lines 1 to $((n + 3)) in 2 files"
	run -0 tf --json audit verify
	run -0 jq -e ".intact and .lines==$((n + 3)) and .first_seq==1 and .last_seq==$((n + 3)) and .files==2" <<<"$output"
	# show reads every file, oldest first: nothing is lost from view
	run -0 tf --json audit
	run -0 jq -se "map(.seq)==[range(1; $((n + 4)))] and (map(.event) | index(\"audit.closed\")) == $n
	    and .[$((n + 1))].event==\"audit.opened\" and .[$((n + 1))].closed==\"$closed\" and .[-1].event==\"user.add\"" <<<"$output"
	run -0 tf audit --user alice
	assert_line --partial "  verify  alice  ok"
	# the --json object of the rotation
	run -0 tf --json audit rotate
	run -0 jq -e '.schema==1 and .rotated==true and (.closed|test("^audit/[0-9]{20}\\.log$")) and .removed==0' <<<"$output"
	run -0 tf audit verify
	assert_output --partial "in 3 files"
}

@test "audit verify finds a closed file edited, removed from the middle, or swapped" {
	tf -q audit rotate; tf -q user add carol; tf -q audit rotate; tf -q user add dave
	mapfile -t closed < <(cd "$TWOFACTL_DIR" && ls audit/*.log)
	assert_equal "${#closed[@]}" 2
	cp -a "$TWOFACTL_DIR" "$BATS_TEST_TMPDIR/orig"
	# an edited line in the first closed file
	sed -i "2s/^\(.\{100\}\)./\1Q/" "$TWOFACTL_DIR/${closed[0]}"
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: ${closed[0]} line 2: edited (its seal does not verify)"
	# the second closed file removed: the chain breaks where it was
	rm -rf "$TWOFACTL_DIR"; cp -a "$BATS_TEST_TMPDIR/orig" "$TWOFACTL_DIR"
	rm "$TWOFACTL_DIR/${closed[1]}"
	run -5 --separate-stderr tf audit verify
	assert_regex "$stderr" "^twofactl: audit verify: audit.log line 1: [0-9]+ line\(s\) removed before it"
	# the current log renamed to look older than a closed file
	rm -rf "$TWOFACTL_DIR"; cp -a "$BATS_TEST_TMPDIR/orig" "$TWOFACTL_DIR"
	mv "$TWOFACTL_DIR/${closed[1]}" "$TWOFACTL_DIR/audit/00000000000000000000.log"
	run -5 tf audit verify
	# an opening line cannot be made up: the current log cut to start later
	rm -rf "$TWOFACTL_DIR"; cp -a "$BATS_TEST_TMPDIR/orig" "$TWOFACTL_DIR"
	rm "$TWOFACTL_DIR"/audit/*.log
	sed -i 1d "$TWOFACTL_DIR/audit.log"
	run -5 --separate-stderr tf audit verify
	assert_regex "$stderr" "audit.log line 1: [0-9]+ line\(s\) removed before it \(sequence [0-9]+, expected 1\)"
}

@test "older closed files may be archived away: the chain starts at the oldest kept, and says so" {
	tf -q audit rotate; tf -q user add carol; tf -q audit rotate; tf -q user add dave
	first=$(cd "$TWOFACTL_DIR" && ls audit/*.log | head -1)
	rm "$TWOFACTL_DIR/$first"
	run -0 tf audit verify
	assert_output --regexp '^audit log intact: lines [0-9]+ to [0-9]+ in 2 files \(the lines before [0-9]+ were rotated out\)$'
	run -0 tf --json audit verify
	run -0 jq -e '.intact and .first_seq > 1' <<<"$output"
}

@test "audit rotate --keep removes the oldest closed files and records it; --if-larger skips a small log" {
	run -0 tf audit rotate --if-larger 1M
	assert_output --regexp '^audit.log is [0-9]+ bytes, under 1048576: not rotated$'
	run -0 tf --json audit rotate --if-larger 1M
	run -0 jq -e '.rotated==false and .size > 0' <<<"$output"
	[ ! -e "$TWOFACTL_DIR/audit" ]
	for u in c1 c2 c3; do tf -q user add $u; tf -q audit rotate --keep 2; done
	run -0 bash -c "ls '$TWOFACTL_DIR'/audit/*.log | wc -l"
	assert_output 2
	run -0 tf --json audit
	run -0 jq -se 'map(select(.event=="audit.pruned")) | length==1 and (.[0].detail|test("removed 1 closed file"))' <<<"$output"
	run -0 tf audit verify
	run -2 tf audit rotate --keep -1
	run -2 tf audit rotate --keep x
	run -2 tf audit rotate --if-larger 12Q
	run -2 tf audit rotate extra
}

@test "a rotation cut short is finished by the next rotate, or by fsck --repair" {
	n=$(lines_of "$TWOFACTL_DIR/audit.log")
	tf -q audit rotate
	closed=$(printf 'audit/%020d.log' $((n + 1)))
	# cut short after the new file was written: both files beside each other
	mv "$TWOFACTL_DIR/audit.log" "$TWOFACTL_DIR/audit.log.new"
	mv "$TWOFACTL_DIR/$closed" "$TWOFACTL_DIR/audit.log"
	run -5 tf fsck
	assert_output --partial "audit.log.new: an audit rotation was cut short"
	run -0 tf audit rotate --if-larger 1G
	assert_file_exists "$TWOFACTL_DIR/$closed"
	assert_file_not_exists "$TWOFACTL_DIR/audit.log.new"
	run -0 tf audit verify
	# cut short after the old log was moved: writers refuse and say why
	mv "$TWOFACTL_DIR/audit.log" "$TWOFACTL_DIR/audit.log.new"
	run -5 --separate-stderr tf user add carol
	assert_equal "$stderr" "twofactl: user add carol: 'audit.log' is missing: nothing was changed: an audit rotation was cut short (run twofactl audit rotate, or fsck --repair, to finish it)"
	run -0 tf fsck --repair
	assert_output --partial "audit.log.new: an audit rotation was cut short: finished"
	tf -q user add carol
	run -0 tf audit verify
	# a new file that does not follow is stale: removed, the log kept
	tf --json audit | head -1 >/dev/null
	printf '{"seq":1,"prev":"%064d","box":"AAAA"}\n' 0 >"$TWOFACTL_DIR/audit.log.new"
	run -0 tf audit rotate --if-larger 1G
	assert_file_not_exists "$TWOFACTL_DIR/audit.log.new"
	run -0 tf audit verify
}

@test "rekey seals the closed files again: the chain still verifies across them" {
	tf -q audit rotate; tf -q user add carol; tf -q audit rotate
	first=$(cd "$TWOFACTL_DIR" && ls audit/*.log | head -1)
	before=$(sha256sum <"$TWOFACTL_DIR/$first")
	run -0 tf rekey
	assert_not_equal "$(sha256sum <"$TWOFACTL_DIR/$first")" "$before"
	run -0 tf audit verify
	assert_output --regexp '^audit log intact: lines 1 to [0-9]+ in 3 files$'
	run -0 tf --json audit --user carol
	run -0 jq -se 'map(.event)==["user.add"]' <<<"$output"
	# with the oldest archived away before the rekey, the anchor is kept
	rm "$TWOFACTL_DIR/$first"
	run -0 tf rekey
	run -0 tf audit verify
	assert_output --partial "were rotated out"
	run -1 bash -c "ls -a '$TWOFACTL_DIR' '$TWOFACTL_DIR/audit' | grep '\.rk$'"
}

@test "rotations racing writers lose no line and never fork the chain" {
	for i in $(seq 1 12); do
		tf -q user add "r$i" &
		tf -q audit rotate &
	done
	wait
	run -0 tf audit verify
	run -0 tf --json audit
	run -0 jq -se '(map(select(.event=="user.add" and (.user|startswith("r")))) | length)==12
	    and (map(.seq) | . == [range(1; length + 1)])' <<<"$output"
}

@test "audit.syslog copies every event to a syslog socket, without a secret" {
	sock="$BATS_TEST_TMPDIR/log.sock"
	python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(20)
with open(sys.argv[2], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
    except socket.timeout:
        pass
' "$sock" "$BATS_TEST_TMPDIR/syslog" 3>&- &
	pid=$!
	for _ in $(seq 100); do [ -e "$sock.ready" ] && break; sleep 0.1; done
	run -0 tf config set audit.syslog "$sock"
	tf -q user add zed
	tf -q --at $((T0 + 120)) verify alice 000000 --ip 192.0.2.9 || true
	tf -q --at $((T0 + 150)) verify alice "$(tf --at $((T0 + 150)) code alice)"
	for _ in $(seq 50); do [ "$(grep -c 'verify' "$BATS_TEST_TMPDIR/syslog" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
	kill $pid 2>/dev/null || true
	run -0 cat "$BATS_TEST_TMPDIR/syslog"
	# RFC 3164 over the local socket: authpriv.info, tag twofactl[pid]
	assert_line --regexp '^<86>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} twofactl\[[0-9]+\]: \{.*"event":"verify".*"user":"alice".*"result":"rejected".*"ip":"192\.0\.2\.9"'
	assert_line --regexp '"event":"user\.add".*"user":"zed"'
	refute_output --partial "$(secret_of alice)"
	# a dead socket never stops a login: the sealed log has the event
	run -0 tf --at $((T0 + 180)) verify alice "$(tf --at $((T0 + 180)) code alice)"
	run -0 tf config set audit.syslog off
	run -2 tf config set audit.syslog relative/path
}

@test "a missing audit.log is not an empty one: verify, show and health say so" {
	rm "$TWOFACTL_DIR/audit.log"
	run -5 --separate-stderr tf audit verify
	assert_equal "$stderr" "twofactl: audit verify: 'audit.log' is missing (restore it; an empty one starts a new chain)"
	run -5 tf audit
	run -2 tf health
	assert_output --partial "'audit.log' is missing"
}
