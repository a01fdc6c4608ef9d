#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# twofactl serve: the JSON-lines protocol, its robustness, and roles by the
# caller's uid through systemd's real socket activation.
load helper

setup() {
	setup_store
	enrolled alice
}

# serve_lines: the lines of stdin through `twofactl serve` (the caller is
# this process's real uid: the store's owner, an administrator).
serve_lines() { "$TWOFACTL" serve; }

@test "serve answers one JSON line per request, with output objects and exit codes" {
	local code t=$((T0 + 30))
	code=$(tf --at "$t" code alice)
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["verify", "alice", "--at", "$t"], "stdin": "$code\n", "id": 1}
	{"argv": ["verify", "alice", "$code", "--at", "$t"], "id": "two"}
	{"argv": ["user", "show", "nobody"]}
	{"argv": ["check", "alice"]}
	{"argv": ["--at", "$T0", "check", "alice"]}
	EOF
	assert_equal "${#lines[@]}" 5
	run -0 jq -e '.id == 1 and .exit == 0 and .error == null and .output[0].result == "accepted"' <<<"${lines[0]}"
	run -0 jq -e '.id == "two" and .exit == 1 and .error.code == "rejected"' <<<"${lines[1]}"
	run -0 jq -e '.exit == 3 and .error.code == "not_found" and (.error.message | test("no such account"))' <<<"${lines[2]}"
	run -0 jq -e '.exit == 10 and .error == null and (.output[0].methods | index("totp"))' <<<"${lines[3]}"
	run -0 jq -e '.exit == 2 and (.error.message | test("starts with the command"))' <<<"${lines[4]}"
}

@test "a command that fails with exit 11 (send by a channel the account lacks) says why in error" {
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["send", "alice", "--via", "email"]}
	{"argv": ["check", "alice"]}
	EOF
	run -0 jq -e '.exit == 11 and .error.code == "enrolment_needed" and (.error.message | test("not an enrolled method"))' <<<"${lines[0]}"
	# check's answers 10 and 11 are answers, not errors
	run -0 jq -e '.exit == 10 and .error == null' <<<"${lines[1]}"
}

@test "12 kinds of bad line each get an error object and the session goes on" {
	{
		echo 'garbage'
		echo '{"argv": ["user", "list"]'
		echo '["user", "list"]'
		echo '{"stdin": "123456"}'
		echo '{"argv": []}'
		echo '{"argv": "user list"}'
		echo '{"argv": ["user", 5]}'
		echo '{"argv": ["user", "show", "al\u0000ice"]}'
		echo '{"argv": ["verify", "alice"], "stdin": 123456}'
		printf '{"argv": ["user", "show", "\xff\xfe"]}\n'
		printf '{"argv": ["user",\0 "list"]}\n'
		printf '{"argv": ["user", "list"], "pad": "%s"}\n' "$(head -c 70000 /dev/zero | tr '\0' a)"
		echo '{"argv": ["user", "list"]} trailing'
		echo ''
		echo '{"argv": ["user", "show", "alice"]}'
	} >"$BATS_TEST_TMPDIR/req"
	run -0 --separate-stderr serve_lines <"$BATS_TEST_TMPDIR/req"
	assert_equal "${#lines[@]}" 14
	for i in $(seq 0 12); do
		run -0 jq -e '.exit == 2 and (.error.code == "bad_request" or .error.code == "too_large") and .output == []' <<<"${lines[$i]}"
	done
	run -0 jq -e '.exit == 0 and .output[0].name == "alice"' <<<"${lines[13]}"
}

@test "a request over 64 KiB is refused as too_large without ending the session" {
	{
		printf '{"argv": ["verify", "alice", "%s"]}\n' "$(head -c 66000 /dev/zero | tr '\0' 1)"
		echo '{"argv": ["user", "show", "alice"]}'
	} | serve_lines >"$BATS_TEST_TMPDIR/out"
	run -0 jq -se 'length == 2 and .[0].error.code == "too_large" and .[1].exit == 0' "$BATS_TEST_TMPDIR/out"
}

@test "requests never read the server's own input: a missing code is an error of that line" {
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["verify", "alice"]}
	123456
	{"argv": ["user", "show", "alice"]}
	EOF
	assert_equal "${#lines[@]}" 3
	run -0 jq -e '.exit == 2 and (.error.message | test("no code"))' <<<"${lines[0]}"
	run -0 jq -e '.error.code == "bad_request"' <<<"${lines[1]}"
	run -0 jq -e '.exit == 0' <<<"${lines[2]}"
}

@test "a request cannot name another store, and init, batch and serve are refused" {
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["user", "show", "alice", "-d", "/tmp"]}
	{"argv": ["user", "show", "alice", "--dir=/tmp"]}
	{"argv": ["init"]}
	{"argv": ["batch"]}
	{"argv": ["serve"]}
	{"argv": ["enroll", "alice", "-o", "/tmp/x.png"]}
	EOF
	for i in 0 1 2 3 4 5; do
		run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[$i]}"
	done
}

@test "a request may have the QR code inside its answer (-o -), never in a file of the server" {
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["enroll", "alice", "--qr", "png", "-o", "-"]}
	{"argv": ["show", "alice", "--qr", "svg"]}
	{"argv": ["show", "alice", "--qr", "png", "-o", "$BATS_TEST_TMPDIR/x.png"]}
	EOF
	answers=("${lines[@]}")
	run -0 jq -e '.exit == 0 and (.output[0].qr_png_base64 | length) > 100' <<<"${answers[0]}"
	jq -r '.output[0].qr_png_base64' <<<"${answers[0]}" | base64 -d >"$BATS_TEST_TMPDIR/q.png"
	uri=$(jq -r '.output[0].uri' <<<"${answers[0]}")
	run -0 qr_decode "$BATS_TEST_TMPDIR/q.png"
	assert_output "$uri"
	jq -r '.output[0].qr_svg' <<<"${answers[1]}" >"$BATS_TEST_TMPDIR/q.svg"
	rsvg-convert "$BATS_TEST_TMPDIR/q.svg" -o "$BATS_TEST_TMPDIR/q2.png"
	run -0 qr_decode "$BATS_TEST_TMPDIR/q2.png"
	assert_output "$(jq -r '.output[0].uri' <<<"${answers[1]}")"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${answers[2]}"
	assert_file_not_exists "$BATS_TEST_TMPDIR/x.png"
}

@test "batch lines never read the batch's input: 'verify alice' then a code line" {
	run -2 --separate-stderr tf batch <<-EOF
	verify alice
	123456
	EOF
	assert_line --index 0 --regexp $'^1\t2\t.*no code on standard input'
	assert_line --index 1 --regexp $'^2\t2\t.*unknown command'
}

# ---- roles through socket activation ----

serve_socket_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root to run serve and clients as other users"
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	id _twofactl >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin _twofactl
	base=$(mktemp -d /tmp/twofactl-serve.XXXXXX)
	chmod 0755 "$base"
	chown _twofactl "$base"
	export SRV_STORE="$base/store" SRV_SOCK="$base/sock" SRV_BASE="$base"
	install -d -m 0700 -o _twofactl -g _twofactl "$SRV_STORE"   # as tmpfiles.d does
	runuser -u _twofactl -- "$TWOFACTL" -q -d "$SRV_STORE" init
	owner() { runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" "$@"; }
	owner -q config set role.frontend www-data
	owner -q config set role.pam @nogroup
	owner -q user add bob --email bob@example.org
	owner -q --at "$T0" enroll bob --qr none >/dev/null
	owner -q --at "$T0" confirm bob "$(owner --at "$T0" code bob)" >/dev/null
	runuser -u _twofactl -- systemd-socket-activate --inetd --accept -l "$SRV_SOCK" \
		"$TWOFACTL" -d "$SRV_STORE" serve 2>"$base/activate.log" &
	echo $! >"$base/pid"
	for _ in $(seq 100); do [ -S "$SRV_SOCK" ] && break; sleep 0.05; done
	chmod 0666 "$SRV_SOCK"
}

serve_socket_teardown() {
	[ -n "${SRV_BASE:-}" ] || return 0
	kill "$(cat "$SRV_BASE/pid")" 2>/dev/null || true
	rm -rf "$SRV_BASE"
}

as_client() { # USER: the lines of stdin to the socket as USER
	runuser -u "$1" -- /usr/bin/python3 "$BATS_TEST_DIRNAME/serve_client.py" "$SRV_SOCK"
}

@test "over the socket, www-data is a frontend: login and enrolment work, 9 admin requests are forbidden and audited" {
	serve_socket_setup
	run -0 --separate-stderr as_client www-data <<-EOF
	{"argv": ["check", "bob"]}
	{"argv": ["user", "add", "carol", "--email", "carol@example.org"]}
	{"argv": ["enroll", "carol", "--qr", "none"]}
	{"argv": ["export"]}
	{"argv": ["code", "bob"]}
	{"argv": ["user", "list"]}
	{"argv": ["config", "set", "policy.default", "off"]}
	{"argv": ["disable", "bob", "--force"]}
	{"argv": ["disable", "bob", "--fo"]}
	{"argv": ["verify", "bob", "123456", "--at", "1"]}
	{"argv": ["rekey"]}
	{"argv": ["show", "bob", "--qr", "none"]}
	EOF
	assert_equal "${#lines[@]}" 12
	run -0 jq -e '.exit == 10' <<<"${lines[0]}"
	run -0 jq -e '.exit == 0' <<<"${lines[1]}"
	run -0 jq -e '.exit == 0 and (.output[0].secret | length) >= 16' <<<"${lines[2]}"
	for i in 3 4 5 6 7 8 9 10; do
		run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[$i]}"
	done
	# show without a current code on stdin: refused, no key in the answer
	run -0 jq -e '.exit == 2 and .output == [] and (.error.message | test("no code"))' <<<"${lines[11]}"
	run -0 runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" --json audit
	run -0 jq -se '[.[] | select(.event == "serve.forbidden" and (.detail | test("uid 33, role frontend")))] | length == 8' <<<"$output"
	serve_socket_teardown
}

@test "over the socket, a frontend sees a key again only with a current code" {
	serve_socket_setup
	local secret code
	secret=$(runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" --json show bob --qr none | jq -r .secret)
	code=$(oathtool --totp -b "$secret")
	run -0 as_client www-data <<-EOF
	{"argv": ["show", "bob", "--qr", "none"], "stdin": "000000\n"}
	{"argv": ["show", "bob", "--qr", "none"], "stdin": "$code\n"}
	EOF
	run -0 jq -e '.exit == 1 and .output == []' <<<"${lines[0]}"
	run -0 jq -e --arg s "$secret" '.exit == 0 and .output[0].secret == $s' <<<"${lines[1]}"
	serve_socket_teardown
}

@test "over the socket, pam may check, verify and send only; strangers may do nothing" {
	serve_socket_setup
	run -0 as_client nobody <<-EOF
	{"argv": ["check", "bob"]}
	{"argv": ["verify", "bob", "000000"]}
	{"argv": ["user", "show", "bob"]}
	{"argv": ["enroll", "bob"]}
	EOF
	run -0 jq -e '.exit == 10' <<<"${lines[0]}"
	run -0 jq -e '.exit == 1 and .error.code == "rejected"' <<<"${lines[1]}"
	run -0 jq -e '.error.code == "forbidden"' <<<"${lines[2]}"
	run -0 jq -e '.error.code == "forbidden"' <<<"${lines[3]}"
	id twofactl-stranger >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin twofactl-stranger
	run -0 as_client twofactl-stranger <<<'{"argv": ["check", "bob"]}'
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"$output"
	serve_socket_teardown
}

@test "www-data cannot read any file of a store that serve runs on" {
	serve_socket_setup
	local readable
	readable=$(runuser -u www-data -- find "$SRV_STORE" -readable 2>/dev/null | wc -l)
	assert_equal "$readable" 0
	run ! runuser -u www-data -- cat "$SRV_STORE/master.key"
	serve_socket_teardown
}

@test "two clients at once, and a client that hangs up mid-request, leave the store consistent" {
	serve_socket_setup
	for i in $(seq 8); do echo "{\"argv\": [\"user\", \"add\", \"u$i\"]}"; done >"$SRV_BASE/a"
	for i in $(seq 9 16); do echo "{\"argv\": [\"user\", \"add\", \"u$i\"]}"; done >"$SRV_BASE/b"
	as_client www-data <"$SRV_BASE/a" >"$SRV_BASE/a.out" &
	local p1=$!
	as_client www-data <"$SRV_BASE/b" >"$SRV_BASE/b.out" &
	local p2=$!
	wait "$p1" "$p2"
	run -0 jq -se 'length == 8 and all(.exit == 0)' "$SRV_BASE/a.out"
	run -0 jq -se 'length == 8 and all(.exit == 0)' "$SRV_BASE/b.out"
	for i in $(seq 5); do
		runuser -u www-data -- /usr/bin/python3 "$BATS_TEST_DIRNAME/serve_client.py" "$SRV_SOCK" \
			--close-after 1 <<<"{\"argv\": [\"user\", \"add\", \"late$i\"]}"
	done
	sleep 0.5
	run -0 runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" fsck
	run -0 runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" audit verify
	run -0 runuser -u _twofactl -- "$TWOFACTL" -d "$SRV_STORE" --json user list
	run -0 jq -se '[.[] | select(.name | test("^u[0-9]+$"))] | length == 16' <<<"$output"
	serve_socket_teardown
}

@test "over the socket, a frontend may turn its account's own 2fa switch to required, never loosen it" {
	serve_socket_setup
	run -0 as_client www-data <<-EOF
	{"argv": ["user", "set", "bob", "--2fa", "off"]}
	{"argv": ["user", "set", "bob", "--2fa", "optional"]}
	{"argv": ["user", "add", "carl", "--2fa", "off"]}
	{"argv": ["user", "set", "bob", "--2fa", "required"]}
	{"argv": ["user", "set", "bob", "--2fa", "inherit"]}
	{"argv": ["user", "show", "bob"]}
	EOF
	run -0 jq -e '.exit == 2 and .error.code == "forbidden" and .error.message == "--2fa is for administrators"' <<<"${lines[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[1]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[2]}"
	run -0 jq -e '.exit == 0' <<<"${lines[3]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[4]}"
	run -0 jq -e '.exit == 0 and .output[0]."2fa" == "required" and .output[0].policy_source == "account"' <<<"${lines[5]}"
	run -3 owner user show carl
	serve_socket_teardown
}

@test "over the socket, a frontend may not choose an account's organisation: it decides the policy and lends its whitelist" {
	serve_socket_setup
	owner -q org add acme --policy required
	owner -q org add open --policy off
	owner -q whitelist add open 0.0.0.0/1 --org --allow-broad
	owner -q user set bob --org acme
	run -0 as_client www-data <<-EOF
	{"argv": ["user", "set", "bob", "--org", ""]}
	{"argv": ["user", "set", "bob", "--org", "open"]}
	{"argv": ["user", "add", "carl", "--org", "open"]}
	{"argv": ["user", "set", "bob", "--email", "bob@example.net"]}
	{"argv": ["check", "bob"]}
	EOF
	run -0 jq -e '.exit == 2 and .error.code == "forbidden" and .error.message == "--org is for administrators"' <<<"${lines[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[1]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[2]}"
	run -0 jq -e '.exit == 0' <<<"${lines[3]}"
	run -0 jq -e '.exit == 10 and .output[0].policy_source == "org acme"' <<<"${lines[4]}"
	run -3 owner user show carl
	serve_socket_teardown
}

@test "over the socket, a frontend may not clear a recovery's enrolment nor whitelist everything" {
	serve_socket_setup
	run -0 as_client www-data <<-EOF
	{"argv": ["user", "set", "bob", "--must-enrol", "off"]}
	{"argv": ["whitelist", "add", "bob", "::/0", "--allow-broad"]}
	{"argv": ["whitelist", "add", "bob", "::/0"]}
	{"argv": ["whitelist", "add", "bob", "198.51.100.0/24"]}
	EOF
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${lines[1]}"
	run -0 jq -e '.exit == 2 and .error.code != "forbidden" and (.error.message | test("too broad"))' <<<"${lines[2]}"
	run -0 jq -e '.exit == 0' <<<"${lines[3]}"
	serve_socket_teardown
}
