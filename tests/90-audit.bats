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
