#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The JSON contract: every command under --json prints objects with
# "schema": 1, a failure ends with an error object, and every field printed
# is documented in twofactl-json(7) under its command.
load helper

MAN7="$BATS_TEST_DIRNAME/../man/twofactl-json.7"

bad() { echo "$*" >>"$BATS_TEST_TMPDIR/bad"; }

# j SECTION RC ARGS...: run twofactl --json ARGS, expect exit RC; every line
# must be a JSON object with "schema": 1; a success prints at least one
# object, a failure ends with an error object ({"schema", "error"}; batch
# and serve: their own object with its error). Each object is kept, with the
# section of twofactl-json(7) that documents it, in $SEEN.
j() {
	local section=$1 rc=$2 line n=0
	shift 2
	run "-$rc" --separate-stderr tf --json "$@"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		n=$((n + 1))
		jq -e 'type=="object" and .schema==1' >/dev/null 2>&1 <<<"$line" || {
			bad "$*: not an object with schema 1: ${line:0:60}"
			continue
		}
		if jq -e 'keys==["error","schema"]' >/dev/null <<<"$line"; then
			printf 'error\t%s\n' "$line" >>"$SEEN"
		else
			printf '%s\t%s\n' "$section" "$line" >>"$SEEN"
		fi
	done <<<"$output"
	if [ "$rc" = 0 ] || { [ "$section" = check ] && [ "$rc" -ge 10 ]; }; then
		[ "$n" -gt 0 ] || { bad "$*: printed no object"; return 0; }
		jq -e 'keys!=["error","schema"]' >/dev/null 2>&1 <<<"${lines[-1]}" || bad "$*: error object on success"
	else
		[ "$n" -gt 0 ] || { bad "$*: printed no error object"; return 0; }
		jq -e '(.error.code|type)=="string" and (.error.message|type)=="string" and (.error.message|length)>0' \
			>/dev/null 2>&1 <<<"${lines[-1]}" || bad "$*: no error object with a code and message last"
	fi
}

# The field paths of one object: name, factors[].id, error.code; the
# output of batch and serve holds other commands' objects and is not
# descended into; "schema", in every object, is documented once.
paths() {
	jq -r '[paths | select(.[-1]|type=="string") | select(.[0]!="output" or length==1) | select(.!=["schema"])
	        | map(if type=="number" then "[]" else "." + . end) | join("") | ltrimstr(".")
	        | gsub("\\.\\[\\]"; "[]")] | unique | .[]'
}

# The fields twofactl-json(7) documents for SECTION: the .TP items of every
# .SS heading that names it (a heading may name several, comma-separated).
documented() {
	awk -v want="$1" '
		/^\.SS / { sub(/^\.SS /, ""); gsub(/"/, ""); n = split($0, h, /, */); on = 0
		           for (i = 1; i <= n; i++) if (h[i] == want) on = 1; next }
		/^\.SH / { on = 0 }
		on && /^\.TP/ { tp = 1; next }
		on && tp { tp = 0; if ($1 == ".B" || $1 == ".BR") { gsub(/\\/, "", $2); print $2 } }
	' "$MAN7" | sort -u
}

setup() {
	setup_store
	SEEN="$BATS_TEST_TMPDIR/seen"
	: >"$SEEN"
	: >"$BATS_TEST_TMPDIR/bad"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	mkdir -m 700 "$SPOOL"
	tf -q config set smtp.url "spool:$SPOOL"
	tf -q config set sms.url "spool:$SPOOL"
	tf -q config set reset.url "https://example.org/reset?token={token}"
	tf -q config set activate.url "https://example.org/activate?token={token}"
	tf -q config set webauthn.rp_id example.org
	tf -q config set webauthn.origins https://client.example.org
}

# The newest spooled message's six-digit code / reset token.
spooled_code() { cat "$(ls -t "$SPOOL"/* | head -1)" | grep -o '\b[0-9]\{6\}\b' | head -1; }
spooled_token() { spooled_link reset; }
spooled_link() { cat "$(ls -t "$SPOOL"/* | head -1)" | sed -n "s#^ *https://example.org/$1?token=##p"; }

run_every_command() {
	local t=$T0
	j init 0 -d "$BATS_TEST_TMPDIR/other" init
	j "config set" 0 config set issuer "Example Hosting"
	j "config get" 0 config get issuer
	j "config get" 0 config get lockout.after
	j "config list" 0 config list
	j "config diff" 0 config diff
	echo "totp.window = 2" >>"$TWOFACTL_DIR/config"   # a hand edit: refused until accepted
	j error 5 user list
	j "config diff" 0 config diff
	j "config accept" 0 config accept
	j "org add" 0 org add acme --policy optional
	j "user add" 0 user add alice --email alice@example.org --phone +420601234567 --org acme --lang cs
	j "user add" 0 user add svc --service
	j "user add" 0 user add pat --generate-password
	pw=$(jq -r .password <<<"$output")
	j "user add" 2 user add alice
	j "user set" 0 user set alice --lang en
	j "user list" 0 user list
	j enroll 0 --at $t enroll alice --qr none
	j show 0 --at $t show alice --qr none
	j show 0 --at $t show alice --qr svg
	j show 0 --at $t show alice --qr png -o -
	j confirm 0 --at $t confirm alice "$(tf --at $t code alice)"
	j code 0 --at $((t + 30)) code alice
	j enroll 0 --at $t enroll alice --method hotp --label token --qr none
	hid=$(jq -r .factor <<<"$output")
	j show 0 --at $t show alice --factor "$hid" --qr none
	j export 0 export alice
	j export 0 export --include-secrets
	j verify 0 --at $((t + 30)) verify alice "$(tf --at $((t + 30)) code alice)" --ip 192.0.2.7
	j verify 1 --at $((t + 60)) verify alice 000000
	j verify 2 verify alice not-a-code
	j verify 0 verify pat --password <<<"$pw"
	j "user show" 0 user show alice
	j "user unlock" 0 user unlock alice
	j confirm 0 --at $t confirm alice "$(tf --at $t code alice --factor "$hid")" --factor "$hid" --by-link
	j confirm 0 --at $t confirm --link <<<"$(spooled_link activate)"
	j "backup list" 0 backup list alice
	j "backup issue" 0 backup issue alice --count 3
	j "backup revoke" 0 backup revoke alice <<<"$(jq -r '.backup_codes[0]' <<<"$output")"
	j "backup revoke" 0 backup revoke alice --all
	tf -q user add bob --email bob@example.org
	j enroll 0 --at $t enroll bob --method email
	j confirm 0 --at $t confirm bob "$(spooled_code)"
	j send 0 --at $((t + 100)) send bob --via email
	j send 4 --at $((t + 101)) send bob --via email
	j check 10 --at $((t + 200)) check alice
	j check 0 check svc
	j "org list" 0 org list
	j "org show" 0 org show acme
	j "org set" 0 org set acme --policy required
	j "org simulate" 0 org simulate acme --policy required
	tf -q user add dave --org acme
	j check 11 check dave
	j "org add" 0 org add empty --policy off
	j "org del" 0 org del empty
	j "whitelist add" 0 whitelist add alice 10.0.0.0/8 --ttl 1h30m --note office
	j "whitelist add" 0 whitelist add acme 192.0.2.0/24 --org
	j "whitelist list" 0 whitelist list alice
	j "whitelist list" 0 whitelist list acme --org
	j "whitelist del" 0 whitelist del alice 10.0.0.0/8
	j "trust add" 0 trust add alice --label laptop
	j "trust list" 0 trust list alice
	j check 0 --at $((t + 300)) check alice --device-token - <<<"$(tf --json --at $t trust add alice | jq -r .token)"
	j "trust list" 0 --at $((t + 300)) trust list alice
	j "trust revoke" 0 trust revoke alice --all
	j "recovery file" 0 recovery file alice --reason "phone lost" --contact alice@example.org
	id=$(jq -r .id <<<"$output")
	j "recovery list" 0 recovery list
	j "recovery show" 0 recovery show "$id"
	j "recovery deny" 0 recovery deny "$id" --reason "not you"
	j "recovery file" 0 recovery file bob --reason "phone lost"
	j "recovery approve" 0 recovery approve "$(jq -r .id <<<"$output")"
	j passwd 0 passwd alice <<<"correct horse battery"
	j "reset send" 0 reset send alice
	j "reset redeem" 0 reset redeem <<<"$(spooled_token)"$'\n'"a new password here"
	wa=$BATS_TEST_TMPDIR/wa
	/usr/bin/python3 "$BATS_TEST_DIRNAME/webauthn.py" new "$wa" ES256
	j "webauthn challenge" 0 --at $((t + 400)) webauthn challenge alice --purpose register
	/usr/bin/python3 "$BATS_TEST_DIRNAME/webauthn.py" create "$wa" - <<<"$output" >"$wa.reg"
	j "webauthn register" 0 --at $((t + 400)) webauthn register alice --file "$wa.reg" --label key
	wid=$(jq -r .factor <<<"$output")
	j "webauthn challenge" 0 --at $((t + 400)) webauthn challenge alice --purpose login
	/usr/bin/python3 "$BATS_TEST_DIRNAME/webauthn.py" get "$wa" - <<<"$output" >"$wa.get"
	j verify 0 --at $((t + 400)) verify alice --assertion "$wa.get"
	j "user show" 0 --at $((t + 400)) user show alice
	j "webauthn list" 0 webauthn list alice
	j "webauthn del" 0 webauthn del alice "$wid"
	j "oidc link" 0 oidc link alice --issuer https://mojeid.cz --subject 42
	j "oidc lookup" 0 oidc lookup --issuer https://mojeid.cz --subject 42
	j "user show" 0 --at $((t + 300)) user show alice
	j "oidc unlink" 0 oidc unlink alice
	j "oidc lookup" 3 oidc lookup --issuer https://mojeid.cz --subject 42
	j disable 0 disable alice --force
	j "user rename" 0 user rename pat pat3
	j "user del" 0 user del pat3
	j "user show" 3 user show nobody
	j expire 0 --at $((t + 86400 * 40)) expire --dry-run
	j expire 0 --at $((t + 86400 * 40)) expire
	j audit 0 audit --user alice
	j "audit verify" 0 audit verify
	j "audit rotate" 0 audit rotate --if-larger 1G
	j "audit rotate" 0 audit rotate --keep 5
	j audit 0 audit
	j "audit verify" 0 audit verify
	j fsck 0 fsck
	j health 0 health
	j export 0 export
	tf export >"$BATS_TEST_TMPDIR/export.json"
	j import 0 import "$BATS_TEST_TMPDIR/export.json"
	j rekey 0 rekey
	j help 0 help
	j batch 2 batch <<<$'user add carol\nuser add carol'
	j serve 0 serve <<<$'{"argv": ["user", "show", "carol"], "id": 7}\n{"argv": ["user", "show", "nobody"]}'
	j serve 0 serve <<<'{"argv": ["user", "set", "carol", "--lang", "cs"]}'
	j audit 0 audit --user carol        # its lines through serve say who asked: uid, role
	j usage 2 verify --bogus
	j usage 2 enroll
	j usage 2 frobnicate
	run cat "$BATS_TEST_TMPDIR/bad"
	assert_output ""
}

@test "every command prints schema 1 objects, and an error object when it fails" {
	run_every_command
}

@test "every field every command prints is documented in twofactl-json(7) for that command" {
	run_every_command
	while IFS=$'\t' read -r section obj; do
		for p in $(paths <<<"$obj"); do
			documented "$section" | grep -qxF -- "$p" || echo "$section: $p"
		done
	done <"$SEEN" | sort -u >"$BATS_TEST_TMPDIR/missing"
	run cat "$BATS_TEST_TMPDIR/missing"
	assert_output ""
}

@test "twofactl-json(7) documents no field that never appears" {
	run_every_command
	# per heading: a field of "enroll, show" must appear in one of them
	awk '/^\.SS / { sub(/^\.SS /, ""); gsub(/"/, ""); print }' "$MAN7" | while IFS= read -r heading; do
		IFS=, read -ra names <<<"$heading"
		for section in "${names[@]}"; do
			section=${section# }
			awk -F'\t' -v s="$section" '$1 == s' "$SEEN" | cut -f2- | while read -r obj; do paths <<<"$obj"; done
		done | sort -u >"$BATS_TEST_TMPDIR/got"
		documented "${names[0]}" | while read -r f; do
			grep -qxF -- "$f" "$BATS_TEST_TMPDIR/got" || echo "$heading: $f"
		done
	done >"$BATS_TEST_TMPDIR/unseen"
	run cat "$BATS_TEST_TMPDIR/unseen"
	assert_output ""
}

@test "usage errors under --json print the error object; --help and --version print text" {
	run -2 --separate-stderr tf --json
	assert_output '{"schema":1,"error":{"code":"usage","message":"no command: see twofactl help"}}'
	run -2 --separate-stderr tf verify --json --bogus alice
	assert_output '{"schema":1,"error":{"code":"usage","message":"unrecognized option '"'"'--bogus'"'"'"}}'
	assert_equal "${stderr%%$'\n'*}" "twofactl verify: unrecognized option '--bogus'"
	run -2 --separate-stderr tf --json enroll alice --digits 7
	assert_output '{"schema":1,"error":{"code":"usage","message":"--digits: '"'"'7'"'"' is not 6 or 8"}}'
	run -0 tf --json verify --help
	assert_output --partial "Usage: twofactl verify"
	refute_output --partial '"schema"'
	run -0 tf --json --version
	refute_output --partial '"schema"'
	run -2 --separate-stderr tf verify --bogus
	assert_output ""
}
