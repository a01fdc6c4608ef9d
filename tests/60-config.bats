#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
load helper

setup() { setup_store; }

@test "config set, get and list" {
	run -0 tf config get totp.window
	assert_output 1
	run -0 tf config set issuer "Example Hosting"
	run -0 tf config get issuer
	assert_output "Example Hosting"
	run -0 tf config list
	assert_line --regexp '^issuer +Example Hosting +# issuer'
	run -0 tf --json config list
	run -0 jq -se 'map(select(.key=="issuer"))[0] | .value=="Example Hosting" and .default==false' <<<"$output"
}

@test "the issuer from config goes into the URI" {
	tf -q config set issuer "Example Hosting"
	tf -q user add alice
	run -0 tf --json enroll alice
	run -0 jq -e '.uri|startswith("otpauth://totp/Example%20Hosting:alice?")' <<<"$output"
}

@test "an empty value restores the default" {
	tf -q config set totp.window 3
	tf -q config set totp.window ""
	run -0 tf --json config get totp.window
	run -0 jq -e '.value=="1" and .default==true' <<<"$output"
}

@test "bad keys and values are usage errors and change nothing" {
	cp "$TWOFACTL_DIR/config" "$BATS_TEST_TMPDIR/before"
	run -2 --separate-stderr tf config set no.such.key 1
	assert_equal "$stderr" "twofactl: config set no.such.key: unknown key 'no.such.key': see twofactl config list"
	run -2 tf config set totp.window 11
	run -2 tf config set lockout.after 101
	run -2 tf config set code.ttl 11m
	run -2 tf config set enroll.ttl soon
	run -2 tf config set smtp.url ftp://x
	run -2 tf config set smtp.password_file relative
	run -2 tf config set issuer "$(printf 'a\nb')"
	run -0 cmp "$TWOFACTL_DIR/config" "$BATS_TEST_TMPDIR/before"
}

@test "a broken config file is a store error" {
	echo "this is not a setting" >>"$TWOFACTL_DIR/config"
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: 'config' line 3: expected key = value"
}

@test "concurrent config set of different keys loses none" {
	for k in totp.window hotp.window lockout.after lock.timeout trust.days; do
		tf -q config set $k 5 &
	done
	wait
	for k in totp.window hotp.window lockout.after lock.timeout trust.days; do
		run -0 tf config get $k
		assert_output 5
	done
}

@test "config and whitelist durations take compound forms" {
	run -0 tf --json config set code.ttl 4m30s
	run -0 tf config get code.ttl
	assert_output "4m30s"
	tf -q user add alice
	run -0 tf --json --at "$T0" whitelist add alice 192.0.2.0/24 --ttl "1d 12h"
	run -0 jq -e ".expires == $((T0 + 36 * 3600))" <<<"$output"
	run -2 --separate-stderr tf whitelist add alice 192.0.2.0/24 --ttl 12h1d
	assert_equal "$stderr" "twofactl whitelist add: --ttl: '12h1d' is not a duration such as 12h, 1h30m or 30d"
}

@test "config diff, list and get escape control characters a tampered config carries" {
	# someone who can write the directory, without the key, appends lines
	# that would move the cursor, clear lines and set the clipboard (OSC 52)
	printf 'policy.default = off\x1b[1A\x1b[2K\r\nissuer = Example\x1b]52;c;ZWNobyBwd25lZA==\x07\n' >>"$TWOFACTL_DIR/config"
	run tf config diff
	refute_output --partial $'\x1b'
	refute_output --partial $'\x07'
	refute_output --partial $'\r'
	assert_line '+ policy.default = off\x1b[1A\x1b[2K'
	run tf config list
	refute_output --partial $'\x1b'
	refute_output --partial $'\x07'
	run tf config get issuer
	refute_output --partial $'\x1b'
	refute_output --partial $'\x07'
}
