#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pam_twofactl behind a real OpenSSH server: Debian's sshd started by the
# test on 127.0.0.1 and a free port, with its own configuration, host key
# and PAM service (sshd names its service after the name it runs under: a
# symlink), and paramiko as a real keyboard-interactive client. Users are
# made by the test and removed after it. Needs root.
load helper

MODULE="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/pam/test/pam_twofactl.so"
USERS="tfssh1 tfssh2 tfssh3 tfssh4 tfssh5 tfssh6 tfssh7 tfssh8 tfssh9 tfsshga tfsshoath"

setup_file() {
	[ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && /usr/bin/python3 -c 'import paramiko' 2>/dev/null ||
		return 0
	local base svc
	base=$(mktemp -d /tmp/twofactl-ssh.XXXXXX)
	svc="sshd-twofactl-test-$BATS_ROOT_PID"
	export SSH_BASE=$base SSH_SVC=$svc SSH_STORE="$base/store"
	export SSH_PORT
	SSH_PORT=$(free_port)
	TWOFACTL_DIR=$SSH_STORE "$TWOFACTL" -q init
	for u in $USERS; do
		id "$u" >/dev/null 2>&1 || useradd -m -s /bin/sh "$u"
	done
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$base/hostkey"
	ln -s /usr/sbin/sshd "$base/$svc"
	cat >"/etc/pam.d/$svc" <<-EOF
	auth required $MODULE dir=$SSH_STORE
	account required pam_permit.so
	session required pam_permit.so
	password required pam_deny.so
	EOF
	cat >"$base/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $SSH_PORT
	HostKey $base/hostkey
	PidFile $base/sshd.pid
	UsePAM yes
	KbdInteractiveAuthentication yes
	PasswordAuthentication no
	PubkeyAuthentication no
	AuthenticationMethods keyboard-interactive
	AuthorizedKeysFile none
	PermitRootLogin no
	MaxStartups 64
	LogLevel VERBOSE
	EOF
	"$base/$svc" -D -f "$base/sshd_config" -E "$base/sshd.log" &
	echo $! >"$base/sshd.pid.bg"
	for _ in $(seq 100); do
		/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
			"$SSH_PORT" 2>/dev/null && break
		sleep 0.1
	done
}

teardown_file() {
	[ -n "${SSH_BASE:-}" ] || return 0
	kill "$(cat "$SSH_BASE/sshd.pid.bg")" 2>/dev/null || true
	rm -f "/etc/pam.d/$SSH_SVC"
	for u in $USERS; do userdel -r "$u" 2>/dev/null || true; done
	rm -rf "$SSH_BASE"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root to run sshd and add users"
	[ -x /usr/sbin/sshd ] || skip "openssh-server is not installed"
	/usr/bin/python3 -c 'import paramiko' 2>/dev/null || skip "python3-paramiko is not installed"
	export TWOFACTL_DIR=$SSH_STORE
	PAST=$(( $(date +%s) - 120 ))
}

ssh_login() { /usr/bin/python3 "$BATS_TEST_DIRNAME/ssh_login.py" "$SSH_PORT" "$@"; }

@test "sshd: the right code logs in and runs a command; the same code again and a wrong code are refused" {
	local code
	enrolled tfssh1 "$PAST"
	code=$(tf code tfssh1)
	run -0 ssh_login tfssh1 "$code" 'echo "hello from $(id -un)"'
	assert_line "prompt: Verification code: "
	assert_line "hello from tfssh1"
	run -1 ssh_login tfssh1 "$code"
	refute_line "tfssh1"
	run -1 ssh_login tfssh1 "${code:0:5}$(( (${code:5:1} + 3) % 10 ))"
	run -0 tf --json audit --user tfssh1
	run -0 jq -se --arg s "$SSH_SVC" '[.[] | select(.event == "verify" and .service == $s and .ip == "127.0.0.1") | .result] == ["ok", "replay", "rejected"]' <<<"$output"
}

@test "sshd: 8 users logging in at once all get in" {
	local pids=() i
	for i in $(seq 2 9); do enrolled "tfssh$i" "$PAST"; done
	for i in $(seq 2 9); do
		rc_to "$BATS_TEST_TMPDIR/rc.$i" ssh_login "tfssh$i" "$(tf code "tfssh$i")" &
		pids+=($!)
	done
	wait "${pids[@]}"
	run -0 rc_summary
	assert_output "8 0"
}

@test "sshd: users imported from google-authenticator and pam_oath log in with codes of their original secrets" {
	local ga="$BATS_TEST_TMPDIR/google_authenticator" secret hex=3132333435363738393031323334353637383931
	google-authenticator -t -d -f -r 3 -R 30 -w 3 -e 5 -s "$ga" -q -Q NONE
	secret=$(head -1 "$ga")
	run -0 tf import "$ga" --user tfsshga
	printf 'HOTP/T30\ttfsshoath\t-\t%s\n' "$hex" >"$BATS_TEST_TMPDIR/users.oath"
	run -0 tf import "$BATS_TEST_TMPDIR/users.oath"
	run -0 ssh_login tfsshga "$(oathtool --totp -b "$secret")"
	assert_line "tfsshga"
	run -0 ssh_login tfsshoath "$(oathtool --totp "$hex")"
	assert_line "tfsshoath"
	# the scratch codes of google-authenticator are backup codes now
	run -0 ssh_login tfsshga "$(sed -n 's/^\([0-9]\{8\}\)$/\1/p' "$ga" | head -1)"
	assert_line "tfsshga"
}
