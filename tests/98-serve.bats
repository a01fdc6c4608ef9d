#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# twofactl serve: the JSON-lines protocol, its robustness, and roles by the
# caller's uid through systemd's real socket activation.
load helper

setup() {
	setup_store
	enrolled alice
}

# a socket server a failed test left behind is ended with it
teardown() { [ -z "${SRV_BASE:-}" ] || [ ! -d "$SRV_BASE" ] || serve_socket_teardown; }

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
	ans=("${lines[@]}")   # run below replaces lines
	assert_equal "${#ans[@]}" 5
	run -0 jq -e '.id == 1 and .exit == 0 and .error == null and .output[0].result == "accepted"' <<<"${ans[0]}"
	run -0 jq -e '.id == "two" and .exit == 1 and .error.code == "replayed"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 3 and .error.code == "not_found" and (.error.message | test("no such account"))' <<<"${ans[2]}"
	run -0 jq -e '.exit == 10 and .error == null and (.output[0].methods | index("totp"))' <<<"${ans[3]}"
	run -0 jq -e '.exit == 2 and (.error.message | test("starts with the command"))' <<<"${ans[4]}"
}

@test "a command that fails with exit 11 (send by a channel the account lacks) says why in error" {
	run -0 --separate-stderr serve_lines <<-EOF
	{"argv": ["send", "alice", "--via", "email"]}
	{"argv": ["check", "alice"]}
	EOF
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 11 and .error.code == "enrolment_needed" and (.error.message | test("not an enrolled method"))' <<<"${ans[0]}"
	# check's answers 10 and 11 are answers, not errors
	run -0 jq -e '.exit == 10 and .error == null' <<<"${ans[1]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	assert_equal "${#ans[@]}" 14
	for i in $(seq 0 12); do
		run -0 jq -e '.exit == 2 and (.error.code == "bad_request" or .error.code == "too_large") and .output == []' <<<"${ans[$i]}"
	done
	run -0 jq -e '.exit == 0 and .output[0].name == "alice"' <<<"${ans[13]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	assert_equal "${#ans[@]}" 3
	run -0 jq -e '.exit == 2 and (.error.message | test("no code"))' <<<"${ans[0]}"
	run -0 jq -e '.error.code == "bad_request"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 0' <<<"${ans[2]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	for i in 0 1 2 3 4 5; do
		run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[$i]}"
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
	# two minutes ago: serve runs a frontend's requests at the real time,
	# and bob's codes of now must be new to him
	PAST=$(( $(date +%s) - 120 ))
	owner -q --at "$PAST" enroll bob --qr none >/dev/null
	owner -q --at "$PAST" confirm bob "$(owner --at "$PAST" code bob)" >/dev/null
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
	ans=("${lines[@]}")   # run below replaces lines
	assert_equal "${#ans[@]}" 12
	run -0 jq -e '.exit == 10' <<<"${ans[0]}"
	run -0 jq -e '.exit == 0' <<<"${ans[1]}"
	run -0 jq -e '.exit == 0 and (.output[0].secret | length) >= 16' <<<"${ans[2]}"
	for i in 3 4 5 6 7 8 9 10; do
		run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[$i]}"
	done
	# show without a current code on stdin: refused, no key in the answer
	run -0 jq -e '.exit == 2 and .output == [] and (.error.message | test("no code"))' <<<"${ans[11]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 1 and .output == []' <<<"${ans[0]}"
	run -0 jq -e --arg s "$secret" '.exit == 0 and .output[0].secret == $s' <<<"${ans[1]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 10' <<<"${ans[0]}"
	run -0 jq -e '.exit == 1 and .error.code == "rejected"' <<<"${ans[1]}"
	run -0 jq -e '.error.code == "forbidden"' <<<"${ans[2]}"
	run -0 jq -e '.error.code == "forbidden"' <<<"${ans[3]}"
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
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 2 and .error.code == "forbidden" and .error.message == "--2fa is for administrators"' <<<"${ans[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[2]}"
	run -0 jq -e '.exit == 0' <<<"${ans[3]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[4]}"
	run -0 jq -e '.exit == 0 and .output[0]."2fa" == "required" and .output[0].policy_source == "account"' <<<"${ans[5]}"
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
	{"argv": ["user", "set", "bob", "--email", "bob@example.net"], "stdin": "$(now_code)\n"}
	{"argv": ["check", "bob"]}
	EOF
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 2 and .error.code == "forbidden" and .error.message == "--org is for administrators"' <<<"${ans[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[2]}"
	run -0 jq -e '.exit == 0' <<<"${ans[3]}"
	run -0 jq -e '.exit == 10 and .output[0].policy_source == "org acme"' <<<"${ans[4]}"
	run -3 owner user show carl
	serve_socket_teardown
}

@test "over the socket, a frontend may not clear a recovery's enrolment nor whitelist everything" {
	serve_socket_setup
	run -0 as_client www-data <<-EOF
	{"argv": ["user", "set", "bob", "--must-enrol", "off"]}
	{"argv": ["whitelist", "add", "bob", "::/0", "--allow-broad"]}
	{"argv": ["whitelist", "add", "bob", "::/0"]}
	{"argv": ["whitelist", "add", "bob", "198.51.100.0/24"], "stdin": "$(now_code)\n"}
	EOF
	ans=("${lines[@]}")   # run below replaces lines
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 2 and .error.code != "forbidden" and (.error.message | test("too broad"))' <<<"${ans[2]}"
	run -0 jq -e '.exit == 0' <<<"${ans[3]}"
	serve_socket_teardown
}

# ---- step-up: a frontend proves it holds a factor before it adds one ----

# now_code: bob's TOTP code of now (serve runs at the real time for a frontend)
now_code() { oathtool --totp -b "$(owner --json show bob --qr none | jq -r .secret)"; }

@test "over the socket, a frontend adds or re-points nothing on an account with an active factor without its code" {
	serve_socket_setup
	local before
	before=$(owner --json backup list bob | jq -c .)
	run -0 as_client www-data <<-EOF
	{"argv": ["backup", "issue", "bob"]}
	{"argv": ["enroll", "bob", "--qr", "none"]}
	{"argv": ["enroll", "bob", "--method", "email"]}
	{"argv": ["user", "set", "bob", "--email", "mallory@example.org"]}
	{"argv": ["user", "set", "bob", "--phone", "+420777123456"]}
	{"argv": ["user", "rename", "bob", "bob-old"]}
	{"argv": ["whitelist", "add", "bob", "198.51.100.0/24"]}
	{"argv": ["webauthn", "register", "bob"], "stdin": "{}"}
	{"argv": ["user", "set", "bob", "--lang", "cs"]}
	EOF
	ans=("${lines[@]}")
	assert_equal "${#ans[@]}" 9
	for i in 0 1 2 3 4 5 6 7; do
		run -0 jq -e '.exit == 2 and .error.code == "code_required" and .output == []
			and (.error.message | test("current code"))' <<<"${ans[$i]}"
	done
	run -0 jq -e '.exit == 0' <<<"${ans[8]}"        # not a factor's: no code asked
	run -0 owner --json user show bob
	run -0 jq -e '.email == "bob@example.org" and (.phone // "") == "" and ([.factors[]] | length == 1)
		and .failures == 0' <<<"$output"
	run -0 owner --json whitelist list bob
	assert_output ''
	assert_equal "$(owner --json backup list bob | jq -c .)" "$before"
	run -0 owner --json audit --user bob
	run -0 jq -se '[.[] | select(.event == "stepup" and .result == "missing" and .uid == 33 and .role == "frontend")]
		| length == 8' <<<"$output"
	serve_socket_teardown
}

@test "over the socket, a step-up code is checked as verify checks it: a wrong one counts, a replay is refused" {
	serve_socket_setup
	local code
	code=$(now_code)
	run -0 as_client www-data <<-EOF
	{"argv": ["backup", "issue", "bob"], "stdin": "000000\n"}
	{"argv": ["backup", "issue", "bob"], "stdin": "$code\n"}
	{"argv": ["enroll", "bob", "--qr", "none"], "stdin": "$code\n"}
	{"argv": ["user", "show", "bob"]}
	EOF
	ans=("${lines[@]}")
	run -0 jq -e '.exit == 1 and .error.code == "rejected" and .output == []' <<<"${ans[0]}"
	run -0 jq -e '.exit == 0 and (.output[0].backup_codes | length) == 10' <<<"${ans[1]}"
	run -0 jq -e '.exit == 1 and .error.code == "replayed" and .output == []' <<<"${ans[2]}"
	# the wrong code was a failure; the good one cleared the count
	run -0 jq -e '.output[0].failures == 0 and ([.output[0].factors[]] | length == 1)' <<<"${ans[3]}"
	run -0 owner --json audit --user bob
	run -0 jq -se '[.[] | select(.event == "stepup") | .result] == ["rejected", "ok", "replay"]' <<<"$output"
	serve_socket_teardown
}

@test "over the socket, a backup code proves the factor too, and the lockout stops step-up guesses" {
	serve_socket_setup
	local backup
	owner -q config set lockout.after 3
	backup=$(owner --json backup issue bob | jq -r '.backup_codes[0]')
	run -0 as_client www-data <<-EOF
	{"argv": ["whitelist", "add", "bob", "198.51.100.0/24"], "stdin": "$backup\n"}
	{"argv": ["whitelist", "add", "bob", "198.51.101.0/24"], "stdin": "$backup\n"}
	{"argv": ["user", "rename", "bob", "robert"], "stdin": "111111\n"}
	{"argv": ["user", "rename", "bob", "robert"], "stdin": "222222\n"}
	{"argv": ["user", "rename", "bob", "robert"], "stdin": "333333\n"}
	{"argv": ["user", "rename", "bob", "robert"], "stdin": "444444\n"}
	EOF
	ans=("${lines[@]}")
	run -0 jq -e '.exit == 0 and .output[0].net == "198.51.100.0/24"' <<<"${ans[0]}"
	run -0 jq -e '.exit == 1 and .error.code == "replayed"' <<<"${ans[1]}"
	for i in 2 3 4; do run -0 jq -e '.exit == 1' <<<"${ans[$i]}"; done
	run -0 jq -e '.exit == 4 and .error.code == "locked"' <<<"${ans[5]}"
	run -0 owner user show bob
	run -3 owner user show robert
	serve_socket_teardown
}

@test "over the socket, a frontend with the account's code may add a factor; a first enrolment needs none" {
	serve_socket_setup
	local code
	code=$(now_code)
	run -0 as_client www-data <<-EOF
	{"argv": ["enroll", "bob", "--qr", "none", "--label", "second phone"], "stdin": "$code\n"}
	{"argv": ["user", "add", "carol"]}
	{"argv": ["enroll", "carol", "--qr", "none"]}
	{"argv": ["backup", "issue", "carol"]}
	{"argv": ["user", "set", "carol", "--email", "carol@example.org"]}
	{"argv": ["whitelist", "add", "carol", "198.51.100.0/24"]}
	{"argv": ["user", "rename", "carol", "caroline"]}
	EOF
	ans=("${lines[@]}")
	run -0 jq -e '.exit == 0 and .output[0].status == "pending" and (.output[0].secret | length) >= 16' <<<"${ans[0]}"
	for i in 1 2 3 4 5 6; do run -0 jq -e '.exit == 0' <<<"${ans[$i]}"; done
	serve_socket_teardown
}

@test "over the socket, a frontend cannot rename a member of an organisation, nor shed its whitelist or a must-enrol" {
	serve_socket_setup
	owner -q org add acme --policy required
	owner -q user set bob --org acme
	owner -q user add dave
	owner -q user set dave --must-enrol on
	run -0 as_client www-data <<-EOF
	{"argv": ["user", "rename", "bob", "bob-old"], "stdin": "$(now_code)\n"}
	{"argv": ["user", "add", "bob"]}
	{"argv": ["user", "rename", "dave", "dave-old"]}
	{"argv": ["whitelist", "add", "acme", "198.51.100.0/24", "--org"]}
	{"argv": ["whitelist", "del", "acme", "198.51.100.0/24", "--org"]}
	{"argv": ["whitelist", "list", "acme", "--org"]}
	EOF
	ans=("${lines[@]}")
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"
		and .error.message == "renaming a member of an organisation is for administrators"' <<<"${ans[0]}"
	run -0 jq -e '.exit == 2' <<<"${ans[1]}"         # bob exists still
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[2]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[3]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[4]}"
	run -0 jq -e '.exit == 0' <<<"${ans[5]}"
	run -10 owner check bob
	run -11 owner check dave
	# an administrator may
	run -0 owner -q user rename bob bob-old
	serve_socket_teardown
}

@test "over the socket, a frontend cannot speak in sshd's name, and its audit lines carry its uid and role" {
	serve_socket_setup
	run -0 as_client www-data <<-EOF
	{"argv": ["verify", "bob", "--via-service", "sshd"], "stdin": "000000\n"}
	{"argv": ["verify", "bob", "--rhost", "10.9.8.7"], "stdin": "000000\n"}
	{"argv": ["verify", "bob"], "stdin": "000000\n"}
	EOF
	ans=("${lines[@]}")
	run -0 jq -e '.exit == 2 and .error.code == "forbidden" and (.error.message | test("--via-service"))' <<<"${ans[0]}"
	run -0 jq -e '.exit == 2 and .error.code == "forbidden"' <<<"${ans[1]}"
	run -0 jq -e '.exit == 1' <<<"${ans[2]}"
	local audit
	audit=$(owner --json audit)
	run -0 jq -se '[.[] | select(.service == "sshd" or .rhost == "10.9.8.7")] | length == 0' <<<"$audit"
	run -0 jq -se '[.[] | select(.event == "verify")] | length == 1 and .[0].uid == 33 and .[0].role == "frontend"' <<<"$audit"
	run -0 jq -se '[.[] | select(.event == "serve.forbidden" and .uid == 33 and .role == "frontend")] | length >= 2' <<<"$audit"
	# the owner's own command line writes neither
	run -0 jq -se '[.[] | select(.event == "user.add")] | length == 1 and all(has("uid") | not)' <<<"$audit"
	serve_socket_teardown
}

@test "serve's answer to a bad option says what was wrong, as --json does at the command line" {
	run -0 --separate-stderr "$TWOFACTL" serve <<<'{"argv": ["disable", "alice", "--bogus"]}'
	run -0 jq -e '.exit == 2 and .error.code == "usage" and .error.message != "usage"
		and (.error.message | test("bogus"))' <<<"$output"
	run -2 --separate-stderr "$TWOFACTL" --json disable alice --bogus
	local cli
	cli=$(jq -r .error.message <<<"$output")
	run -0 --separate-stderr "$TWOFACTL" serve <<<'{"argv": ["disable", "alice", "--bogus"]}'
	assert_equal "$(jq -r .error.message <<<"$output")" "$cli"
}
