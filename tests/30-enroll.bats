#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() {
	setup_store
	tf -q user add alice
}

@test "enroll prints the URI, the grouped key and leaves the factor pending" {
	run -0 tf --at $T0 enroll alice --qr none --issuer "Example Hosting"
	assert_line --regexp '^uri:     otpauth://totp/Example%20Hosting:alice\?secret=[A-Z2-7]{32}&issuer=Example%20Hosting&algorithm=SHA1&digits=6&period=30$'
	assert_line --regexp '^key:     ([A-Z2-7]{4} ){7}[A-Z2-7]{4}$'
	assert_line "  twofactl confirm alice CODE"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .factors[0].status=="pending"' <<<"$output"
}

@test "enroll --json has the documented fields" {
	run -0 tf --json --at $T0 enroll alice --algo sha256 --digits 8 --period 60
	run -0 jq -e '.name=="alice" and .factor==1 and .type=="totp" and .status=="pending"
	    and (.uri|startswith("otpauth://totp/")) and (.secret|test("^[A-Z2-7]{52}$"))
	    and .algorithm=="SHA256" and .digits==8 and .period==60 and .qr_file==null' <<<"$output"
}

@test "keys are 20 bytes for SHA1, 32 for SHA256, 64 for SHA512" {
	tf -q user add bob
	tf -q user add carol
	s1=$(tf --json enroll alice --algo sha1 | jq -r .secret)
	s2=$(tf --json enroll bob --algo sha256 | jq -r .secret)
	s3=$(tf --json enroll carol --algo sha512 | jq -r .secret)
	assert_equal "${#s1}" 32   # 160 bits
	assert_equal "${#s2}" 52   # 256 bits
	assert_equal "${#s3}" 103  # 512 bits
}

@test "twofactl code agrees with oathtool for random keys and parameters" {
	i=0
	for algo in sha1 sha256 sha512; do
		for digits in 6 8; do
			for period in 30 60; do
				i=$((i + 1))
				tf -q user add "u$i"
				secret=$(tf --json enroll "u$i" --algo $algo --digits $digits --period $period | jq -r .secret)
				for t in $T0 1111111109 $((T0 + RANDOM * 1000)); do
					ours=$(tf --at "$t" code "u$i")
					theirs=$(oathtool --totp=$algo --digits=$digits --time-step-size=${period}s -b -N "@$t" "$secret")
					assert_equal "$ours" "$theirs"
				done
			done
		done
	done
}

@test "HOTP enrolment agrees with oathtool and counts up" {
	secret=$(tf --json enroll alice --method hotp | jq -r .secret)
	run -0 tf code alice
	assert_output "$(oathtool --hotp -b -c 0 "$secret")"
	run -0 tf confirm alice "$(oathtool --hotp -b -c 0 "$secret")"
	run -0 tf verify alice "$(oathtool --hotp -b -c 1 "$secret")"
	run -1 tf verify alice "$(oathtool --hotp -b -c 1 "$secret")"
	run -0 tf verify alice "$(oathtool --hotp -b -c 5 "$secret")"
	run -0 tf code alice
	assert_output "$(oathtool --hotp -b -c 6 "$secret")"
}

@test "the PNG QR code decodes to the exact URI" {
	run -0 tf --json enroll alice -o "$BATS_TEST_TMPDIR/qr.png"
	uri=$(jq -r .uri <<<"$output")
	run -0 qr_decode "$BATS_TEST_TMPDIR/qr.png"
	assert_output "$uri"
	run -0 stat -c %a "$BATS_TEST_TMPDIR/qr.png"
	assert_output 600
}

@test "the SVG QR code decodes to the exact URI" {
	run -0 tf --json enroll alice --qr svg -o "$BATS_TEST_TMPDIR/qr.svg"
	uri=$(jq -r .uri <<<"$output")
	rsvg-convert "$BATS_TEST_TMPDIR/qr.svg" -o "$BATS_TEST_TMPDIR/qr.png"
	run -0 qr_decode "$BATS_TEST_TMPDIR/qr.png"
	assert_output "$uri"
}

@test "the terminal QR codes are drawn" {
	run -0 tf enroll alice --qr utf8
	assert_output --partial "█"
	run -0 tf enroll alice --qr ansi
	assert_output --partial $'\e[40m'
}

@test "-o - writes the QR code alone to stdout: a PNG and an SVG that decode to the URI" {
	tf enroll alice --qr png -o - >"$BATS_TEST_TMPDIR/out.png"
	uri=$(tf --json show alice --qr none | jq -r .uri)
	run -0 qr_decode "$BATS_TEST_TMPDIR/out.png"
	assert_output "$uri"
	tf show alice --qr svg -o - >"$BATS_TEST_TMPDIR/out.svg"
	run -0 head -c 5 "$BATS_TEST_TMPDIR/out.svg"
	assert_output "<?xml"
	rsvg-convert "$BATS_TEST_TMPDIR/out.svg" -o "$BATS_TEST_TMPDIR/svg.png"
	run -0 qr_decode "$BATS_TEST_TMPDIR/svg.png"
	assert_output "$uri"
	run -0 tf show alice --qr utf8 -o -
	assert_output --partial "█"
	refute_output --partial "otpauth://"
}

@test "--json carries the QR code as SVG text or a base64 PNG: no temp file" {
	run -0 tf --json enroll alice --qr png
	uri=$(jq -r .uri <<<"$output")
	jq -r .qr_png_base64 <<<"$output" | base64 -d >"$BATS_TEST_TMPDIR/b64.png"
	run -0 qr_decode "$BATS_TEST_TMPDIR/b64.png"
	assert_output "$uri"
	run -0 tf --json show alice --qr svg -o -
	json=$output
	run -0 jq -e '.qr_file==null and (.qr_svg|startswith("<?xml"))' <<<"$json"
	jq -r .qr_svg <<<"$json" >"$BATS_TEST_TMPDIR/j.svg"
	rsvg-convert "$BATS_TEST_TMPDIR/j.svg" -o "$BATS_TEST_TMPDIR/j.png"
	run -0 qr_decode "$BATS_TEST_TMPDIR/j.png"
	assert_output "$uri"
}

@test "-o - and the QR formats: what is refused" {
	run -2 --separate-stderr tf enroll alice -o -
	assert_equal "$stderr" "twofactl: enroll alice: -o -: name the format with --qr png|svg|utf8|ansi"
	run -2 tf enroll alice --qr none -o -
	run -2 --separate-stderr tf --json enroll alice --qr ansi
	assert_equal "$stderr" "twofactl: enroll alice: --qr ansi cannot go inside --json: use svg or png"
	run -2 --separate-stderr tf enroll alice --qr png
	assert_equal "$stderr" "twofactl: enroll alice: --qr png needs -o FILE, -o - or --json"
	run -0 tf --json user show alice
	run -0 jq -e '.factors==[]' <<<"$output"
}

@test "the terminal QR honours NO_COLOR and TERM=dumb" {
	tty() { script -qec "$*" /dev/null; }
	TERM=xterm run -0 tty "$TWOFACTL" enroll alice
	assert_output --partial $'\e[40m'
	NO_COLOR=1 TERM=xterm run -0 tty "$TWOFACTL" enroll alice
	assert_output --partial "█"
	refute_output --partial $'\e['
	TERM=dumb run -0 tty "$TWOFACTL" enroll alice
	assert_output --partial "█"
	refute_output --partial $'\e['
	NO_COLOR= TERM=xterm run -0 tty "$TWOFACTL" enroll alice
	assert_output --partial $'\e[40m'
}

@test "-o never overwrites a file" {
	echo precious >"$BATS_TEST_TMPDIR/qr.png"
	run -2 --separate-stderr tf enroll alice -o "$BATS_TEST_TMPDIR/qr.png"
	assert_equal "$stderr" "twofactl: enroll alice: cannot create '$BATS_TEST_TMPDIR/qr.png': file exists, not overwritten"
	run -0 cat "$BATS_TEST_TMPDIR/qr.png"
	assert_output precious
}

@test "-o through a symbolic link is refused" {
	ln -s "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/link.png"
	echo victim >"$BATS_TEST_TMPDIR/victim"
	run -2 tf enroll alice -o "$BATS_TEST_TMPDIR/link.png"
	run -0 cat "$BATS_TEST_TMPDIR/victim"
	assert_output victim
}

@test "bad enrol options are usage errors" {
	run -2 tf enroll alice --algo md5
	run -2 tf enroll alice --digits 7
	run -2 tf enroll alice --digits 10
	run -2 tf enroll alice --period 0
	run -2 tf enroll alice --method carrier-pigeon
	run -2 tf enroll alice --qr jpeg
	run -2 tf enroll alice -o "$BATS_TEST_TMPDIR/qr.gif"
	run -3 tf enroll nobody
}

@test "confirm with a wrong code is refused and leaves the factor pending" {
	tf -q --at $T0 enroll alice --qr none
	good=$(tf --at $T0 code alice)
	bad=$(printf '%06d' $(( (10#$good + 1) % 1000000 )))
	run -1 --separate-stderr tf --at $T0 confirm alice "$bad"
	assert_equal "$stderr" "twofactl: confirm alice: code rejected"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .failures==1' <<<"$output"
}

@test "confirm activates the factor and prints ten backup codes once" {
	tf -q --at $T0 enroll alice --qr none
	run -0 tf -q --at $T0 confirm alice "$(tf --at $T0 code alice)"
	assert_equal "${#lines[@]}" 10
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$ ]]
	done
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==true and .backup_left==10 and .factors[0].status=="active"' <<<"$output"
}

@test "confirm reads the code from stdin" {
	tf -q --at $T0 enroll alice --qr none
	run -0 --separate-stderr tf --json --at $T0 confirm alice <<<"$(tf --at $T0 code alice)"
	run -0 jq -e '.status=="active" and (.backup_codes|length)==10' <<<"$output"
}

@test "a pending factor does not verify" {
	tf -q --at $T0 enroll alice --qr none
	run -1 tf --at $T0 verify alice "$(tf --at $T0 code alice)"
}

@test "confirm without a pending enrolment is exit 3" {
	run -3 tf confirm alice 123456
}

@test "an enrolment left unconfirmed past enroll.ttl expires" {
	tf -q --at $T0 enroll alice --qr none
	at=$((T0 + 86400 + 30))
	run -3 --separate-stderr tf --at $at confirm alice "$(tf --at $at code alice)"
	assert_equal "$stderr" "twofactl: confirm alice: the pending enrolment expired: run twofactl enroll again"
}

@test "enrolling again replaces a pending factor" {
	s1=$(tf --json enroll alice | jq -r .secret)
	s2=$(tf --json enroll alice | jq -r .secret)
	[ "$s1" != "$s2" ]
	run -0 tf --json user show alice
	run -0 jq -e '(.factors|length)==1' <<<"$output"
	run -0 tf --json show alice
	assert_equal "$(jq -r .secret <<<"$output")" "$s2"
}

@test "show re-shows the active key to sync a new device" {
	enrolled bob
	secret=$(secret_of bob)
	run -0 tf --json show bob -o "$BATS_TEST_TMPDIR/again.png"
	assert_equal "$(jq -r .secret <<<"$output")" "$secret"
	run -0 qr_decode "$BATS_TEST_TMPDIR/again.png"
	assert_output --partial "secret=$secret"
	run -3 tf show alice
}

@test "a second app can be added next to the first, each with a label" {
	enrolled bob
	tf -q --at $T0 enroll bob --label laptop --qr none
	run -0 tf -q --at $((T0 + 30)) confirm bob "$(tf --at $((T0 + 30)) code bob --factor 2)"
	assert_output ""   # the backup codes already issued are kept
	run -0 tf --json user show bob
	run -0 jq -e '(.factors|map(select(.status=="active"))|length)==2 and .factors[1].label=="laptop"' <<<"$output"
	run -0 tf --at $((T0 + 60)) verify bob "$(tf --at $((T0 + 60)) code bob --factor 1)"
	run -0 tf --at $((T0 + 90)) verify bob "$(tf --at $((T0 + 90)) code bob --factor 2)"
}

@test "confirm >/dev/full activates nothing: the backup codes nobody saw are never kept" {
	tf -q --at $T0 enroll alice --qr none
	c=$(tf --at $T0 code alice)
	run -5 --separate-stderr sh -c "'$TWOFACTL' --at $T0 confirm alice $c >/dev/full"
	assert_equal "$stderr" "twofactl: confirm alice: cannot write standard output: No space left on device: nothing was changed"
	run -0 tf --json user show alice
	run -0 jq -e '.enabled==false and .backup_left==0 and .factors[0].status=="pending"' <<<"$output"
	run -0 tf -q --at $T0 confirm alice "$c"   # the code was not spent either
	assert_equal "${#lines[@]}" 10
	run -0 tf verify alice "${lines[0]}"
}

@test "enroll --method webauthn is a usage error of the option: keys are registered with webauthn register" {
	run -2 --separate-stderr tf enroll alice --method webauthn --qr none
	assert_equal "$stderr" "twofactl enroll: --method: 'webauthn' is not one of totp, hotp, email, sms"
	run -0 tf --json user show alice
	run -0 jq -e '.factors==[]' <<<"$output"
}
