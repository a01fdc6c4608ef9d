#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root at the command line on a store owned by another user (the _twofactl
# system user of the socket-activated serve) acts as that user: it drops to
# the store directory's owner before it opens anything, so `sudo twofactl`
# and the cron job work and every file keeps its owner.
load helper

setup() {
	need_root
	system_user _twofactl
	BASE=$(shared_tmpdir)
	export TWOFACTL_DIR="$BASE/store"
	OWNER_UID=$(id -u _twofactl)
	OWNER_GID=$(id -g _twofactl)
}

teardown() {
	userdel twofactl-test-user 2>/dev/null || true
	[ -n "${BASE:-}" ] && rm -rf "$BASE"
	return 0
}

# not_owners DIR: the files under DIR that are not _twofactl's (user or group).
not_owners() { find "$1" \( ! -user _twofactl -o ! -group "$OWNER_GID" \) -print; }

@test "root works on the store of _twofactl as _twofactl: every file stays the owner's" {
	owned_store "$TWOFACTL_DIR" _twofactl
	run -0 --separate-stderr tf -q user add alice --email alice@example.org
	run -0 tf -q --at "$T0" enroll alice --qr none
	run -0 tf -q --at "$T0" confirm alice "$(tf --at "$T0" code alice)"
	run -0 tf -q --at $((T0 + 30)) verify alice "$(tf --at $((T0 + 30)) code alice)"
	run -0 tf -q whitelist add alice 198.51.100.0/24 --ttl 1h
	run -0 tf -q rekey
	run -0 tf -q expire
	run -0 tf fsck
	run -0 tf audit verify
	run -0 tf user list
	assert_output alice
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
	# and the owner itself still reads everything root wrote
	run -0 as_user _twofactl user list
	assert_output alice
}

@test "after the drop, the process has the owner's uids, gids and groups, and root's are gone" {
	owned_store "$TWOFACTL_DIR" _twofactl
	mkfifo "$BASE/in"
	"$TWOFACTL" serve --idle-timeout 20 <"$BASE/in" >"$BASE/out" 2>&1 3>&- &
	local pid=$!
	exec 5>"$BASE/in"   # holds serve's input open until the test is done
	for _ in $(seq 100); do
		grep -q "^Uid:	$OWNER_UID	" "/proc/$pid/status" 2>/dev/null && break
		sleep 0.05
	done
	run -0 grep -E '^(Uid|Gid|Groups):' "/proc/$pid/status"
	exec 5>&-
	wait "$pid"
	local groups
	groups=$(id -G _twofactl | tr ' ' '\n' | sort -n | tr '\n' ' ')
	assert_line --index 0 "Uid:	$OWNER_UID	$OWNER_UID	$OWNER_UID	$OWNER_UID"
	assert_line --index 1 "Gid:	$OWNER_GID	$OWNER_GID	$OWNER_GID	$OWNER_GID"
	assert_line --index 2 "Groups:	$groups"
}

@test "root without the capability to change its uid refuses instead of running as root" {
	owned_store "$TWOFACTL_DIR" _twofactl
	as_user _twofactl -q user add alice
	run -5 --separate-stderr setpriv --bounding-set -setuid,-setgid --inh-caps -setuid,-setgid \
		-- "$TWOFACTL" user list
	assert_output ""
	assert_regex "$stderr" "^twofactl: user list: cannot act as _twofactl \(uid $OWNER_UID\), the owner of '$TWOFACTL_DIR': Operation not permitted$"
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
}

@test "a store its owner cannot reach (a parent only root may cross) is a clear error" {
	mkdir -m 0700 "$BASE/private"
	install -d -m 0700 -o _twofactl -g _twofactl "$BASE/private/store"
	run -5 --separate-stderr tf -d "$BASE/private/store" user list
	assert_equal "$stderr" "twofactl: user list: cannot open store '$BASE/private/store' as its owner _twofactl (uid $OWNER_UID): Permission denied"
}

@test "init as root: a new directory is root's, as before" {
	run -0 tf -q init
	run -0 stat -c '%U %a' "$TWOFACTL_DIR" "$TWOFACTL_DIR/master.key"
	assert_output $'root 700\nroot 600'
	run -0 tf -q user add alice
	run -0 stat -c '%U' "$TWOFACTL_DIR/audit.log"
	assert_output root
}

@test "init as root in a directory tmpfiles.d made for _twofactl makes the store _twofactl's" {
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR"
	run -0 --separate-stderr tf init
	assert_output "created store '$TWOFACTL_DIR'"
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
	run -0 stat -c '%a' "$TWOFACTL_DIR/master.key"
	assert_output 600
	run -0 as_user _twofactl -q user add alice
	run -0 tf user list
	assert_output alice
}

@test "init --key-file as root on _twofactl's directory: the key is created and read as _twofactl" {
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR" "$BASE/keys"
	run -0 tf -q init --key-file "$BASE/keys/master.key"
	run -0 stat -c '%U %a %s' "$BASE/keys/master.key"
	assert_output "_twofactl 600 32"
	run -0 tf -q user add alice
	run -0 as_user _twofactl user list
	assert_output alice
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
}

@test "init --key-file where the owner may not write fails before anything is made" {
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR"
	mkdir -m 0700 "$BASE/rootkeys"
	run -5 --separate-stderr tf init --key-file "$BASE/rootkeys/master.key"
	assert_equal "$stderr" "twofactl: init: cannot create key file '$BASE/rootkeys/master.key': Permission denied"
	assert_file_not_exists "$BASE/rootkeys/master.key"
	run -0 find "$TWOFACTL_DIR" -mindepth 1
	assert_output ""
}

@test "a key file outside the store that only root may read is refused, not read as root" {
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR" "$BASE/keys"
	tf -q init --key-file "$BASE/keys/master.key"
	tf -q user add alice
	chown root:root "$BASE/keys/master.key"
	run -5 --separate-stderr tf user list
	assert_output ""
	assert_equal "$stderr" "twofactl: user list: cannot open master key '$BASE/keys/master.key': Permission denied"
}

@test "a passphrase-wrapped key: the passphrase file is read as the owner" {
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR"
	printf 'correct horse battery staple\n' >"$BASE/pass"
	chown _twofactl:_twofactl "$BASE/pass"
	chmod 600 "$BASE/pass"
	run -0 tf -q init --passphrase-file "$BASE/pass"
	run -0 tf -q user add alice
	run -0 as_user _twofactl user list
	assert_output alice
	chown root:root "$BASE/pass"
	run -5 --separate-stderr tf user list
	assert_equal "$stderr" "twofactl: user list: cannot read the passphrase file '$BASE/pass': Permission denied"
}

@test "files a command names are written as the owner too" {
	owned_store "$TWOFACTL_DIR" _twofactl
	mkdir -m 0777 "$BASE/out"
	tf -q user add alice
	run -0 tf -q --at "$T0" enroll alice --qr png -o "$BASE/out/alice.png"
	run -0 stat -c '%U' "$BASE/out/alice.png"
	assert_output _twofactl
}

@test "any other user still gets today's error, for stores of root and of _twofactl" {
	owned_store "$TWOFACTL_DIR" _twofactl
	run -5 --separate-stderr as_user www-data user list
	assert_equal "$stderr" "twofactl: user list: cannot open store '$TWOFACTL_DIR': Permission denied"
	tf -q -d "$BASE/rootstore" init
	run -5 --separate-stderr as_user www-data -d "$BASE/rootstore" user list
	assert_equal "$stderr" "twofactl: user list: cannot open store '$BASE/rootstore': Permission denied"
	# a non-root user never changes identity, even on a store it could read
	chmod 0755 "$TWOFACTL_DIR"
	run -5 --separate-stderr as_user www-data user list
	assert_equal "$stderr" "twofactl: user list: '$TWOFACTL_DIR' is owned by uid $OWNER_UID, not by uid 33 running twofactl"
}

@test "root and the owner at once: 16 writers, every account made, every file the owner's" {
	owned_store "$TWOFACTL_DIR" _twofactl
	local pids=()
	for i in $(seq 8); do
		rc_to "$BATS_TEST_TMPDIR/rc.r$i" tf -q user add "r$i" &
		pids+=($!)
		rc_to "$BATS_TEST_TMPDIR/rc.o$i" as_user _twofactl -q user add "o$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	run -0 rc_summary
	assert_output "16 0"
	run -0 --separate-stderr tf user list
	assert_equal "${#lines[@]}" 16
	run -0 tf fsck
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
}

@test "a batch and the cron job's expire run as root act as the owner" {
	owned_store "$TWOFACTL_DIR" _twofactl
	run -0 tf batch <<-EOF
	user add alice
	user add bob
	EOF
	run -0 env -i PATH=/usr/bin:/bin TWOFACTL_DIR="$TWOFACTL_DIR" "$TWOFACTL" -q expire
	run -0 not_owners "$TWOFACTL_DIR"
	assert_output ""
}

@test "init as root never hands a new store to whoever made the directory in a world-writable parent" {
	chmod 1777 "$BASE"                                       # like /tmp
	runuser -u nobody -- mkdir -m 0700 "$TWOFACTL_DIR"       # planted by an unprivileged user
	run -2 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' belongs to nobody (uid $(id -u nobody)), not a system user, and '$BASE' is writable by others: make the store's directory with its owner yourself (install -d -m 0700 -o USER DIR in a directory only root may write to), or chown it to root"
	run -0 find "$TWOFACTL_DIR" -mindepth 1
	assert_output ""
	# a system user's directory in a parent others may write to is refused too
	rmdir "$TWOFACTL_DIR"
	install -d -m 0700 -o _twofactl -g _twofactl "$TWOFACTL_DIR"
	run -2 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' is in '$BASE', which others may write to: someone else may have made it; make the store in a directory only root may write to"
	run -0 find "$TWOFACTL_DIR" -mindepth 1
	assert_output ""
}

@test "init as root gives a store to an ordinary user only when --owner names that user" {
	useradd -M -u 1234 -s /usr/sbin/nologin twofactl-test-user 2>/dev/null || true
	install -d -m 0700 -o twofactl-test-user "$TWOFACTL_DIR"
	run -2 --separate-stderr tf init
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' belongs to twofactl-test-user (uid 1234), not a system user: to make the store that user's, name it with --owner twofactl-test-user; else chown the directory to root"
	run -2 --separate-stderr tf init --owner _twofactl
	assert_equal "$stderr" "twofactl: init: '$TWOFACTL_DIR' belongs to twofactl-test-user (uid 1234), not to _twofactl: chown -R _twofactl '$TWOFACTL_DIR' first"
	run -0 find "$TWOFACTL_DIR" -mindepth 1
	assert_output ""
	run -0 tf -q init --owner twofactl-test-user
	run -0 stat -c '%U' "$TWOFACTL_DIR/master.key"
	assert_output twofactl-test-user
	userdel twofactl-test-user
}
