#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The deployment files of the web front end's socket (README, "Web front
# end"): make install puts the units, the sysusers.d and the tmpfiles.d file
# where systemd looks, with the installed paths in them; systemd's own tools
# accept them offline.
load helper

SRC="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"

# make without the MAKEFLAGS of a make check that runs these tests.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make "$@"; }

setup_file() {
	# A copy of the built tree, so installing under other paths never
	# touches the files the other suites run.
	export TREE="$BATS_FILE_TMPDIR/tree" DEST="$BATS_FILE_TMPDIR/dest"
	mkdir -p "$TREE"
	tar -C "$SRC" --exclude=./.git --exclude=./demo --exclude=./bench/out -cf - . | tar -C "$TREE" -xf -
	mk -s -C "$TREE" install DESTDIR="$DEST" PREFIX=/usr >"$BATS_FILE_TMPDIR/install.log" 2>&1
}

unitdir() { pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system; }
sysusersdir() { pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d; }
tmpfilesdir() { pkg-config --variable=tmpfilesdir systemd 2>/dev/null || echo /usr/lib/tmpfiles.d; }

# A root for systemd-analyze: the installed tree plus the host's targets and
# slices the units refer to (sockets.target, sysinit.target, ...).
analyze_root() {
	local r="$BATS_TEST_TMPDIR/root"
	cp -a "$DEST" "$r"
	mkdir -p "$r/usr/lib/systemd/system"
	cp /lib/systemd/system/*.target /lib/systemd/system/*.slice "$r/usr/lib/systemd/system/" 2>/dev/null || true
	echo "$r"
}

need_analyze() { command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (package systemd)"; }

@test "make install puts the units, sysusers.d and tmpfiles.d files where systemd looks" {
	local u
	u="$DEST$(unitdir)"
	for f in twofactl.socket twofactl@.service twofactl-expire.service twofactl-expire.timer; do
		assert_file_exists "$u/$f"
	done
	assert_file_exists "$DEST$(sysusersdir)/twofactl.conf"
	assert_file_exists "$DEST$(tmpfilesdir)/twofactl.conf"
	assert_file_exists "$DEST/etc/cron.d/twofactl"
	assert_file_exists "$DEST/usr/share/twofactl/examples/twofactl_client.php"
	assert_file_exists "$DEST/usr/share/twofactl/examples/twofactl_client.py"
	# no placeholder left anywhere
	run -1 grep -rE '@[A-Z_]+@' "$u" "$DEST$(sysusersdir)" "$DEST$(tmpfilesdir)" "$DEST/etc/cron.d/twofactl"
}

@test "the installed units name the installed binary, the store, the socket and _twofactl" {
	local u
	u="$DEST$(unitdir)"
	run -0 grep -E '^(ListenStream|Accept|SocketUser|SocketGroup|SocketMode)=' "$u/twofactl.socket"
	assert_output - <<-EOF
		ListenStream=/run/twofactl/twofactl.sock
		Accept=yes
		SocketUser=root
		SocketGroup=www-data
		SocketMode=0660
	EOF
	run -0 grep -E '^(User|ExecStart|StandardInput|StandardOutput|StandardError|ReadWritePaths)=' "$u/twofactl@.service"
	assert_output - <<-EOF
		User=_twofactl
		ExecStart=/usr/bin/twofactl -d /var/lib/twofactl serve
		StandardInput=socket
		StandardOutput=socket
		StandardError=journal
		ReadWritePaths=/var/lib/twofactl -/var/spool/twofactl
	EOF
	run -0 grep -E '^(User|ExecStart|Environment)=' "$u/twofactl-expire.service"
	assert_output - <<-EOF
		User=_twofactl
		Environment=TWOFACTL_DIR=/var/lib/twofactl
		ExecStart=/usr/bin/twofactl -q expire
		ExecStart=/usr/bin/twofactl -q audit rotate --if-larger 16M --keep 52
	EOF
	run -0 grep -v '^#' "$DEST$(sysusersdir)/twofactl.conf"
	assert_output 'u _twofactl - "twofactl store owner" /var/lib/twofactl -'
	run -0 grep -v '^#' "$DEST$(tmpfilesdir)/twofactl.conf"
	assert_output 'd /var/lib/twofactl 0700 _twofactl _twofactl -'
	run -0 grep -v '^#' "$DEST/etc/cron.d/twofactl"
	assert_line --index 0 '*/5 * * * * _twofactl [ -d /run/systemd/system ] || [ ! -x /usr/bin/twofactl ] || TWOFACTL_DIR=/var/lib/twofactl /usr/bin/twofactl -q expire'
	assert_line --index 1 '17 3 * * * _twofactl [ -d /run/systemd/system ] || [ ! -x /usr/bin/twofactl ] || TWOFACTL_DIR=/var/lib/twofactl /usr/bin/twofactl -q audit rotate --if-larger 16M --keep 52'
}

@test "systemd-analyze verify accepts every installed unit, offline, without a warning" {
	need_analyze
	local r
	r=$(analyze_root)
	run -0 --separate-stderr systemd-analyze verify --man=no --root="$r" \
		twofactl.socket twofactl@1.service twofactl-expire.service twofactl-expire.timer
	assert_equal "$stderr" ""
	# and it would notice a unit that names a binary that is not installed
	rm "$r/usr/bin/twofactl"
	run -1 --separate-stderr systemd-analyze verify --man=no --root="$r" twofactl@1.service
	assert_regex "$stderr" "/usr/bin/twofactl is not executable"
}

@test "systemd-analyze security: twofactl@.service and the expiry sweep are exposed 2.0 or less" {
	need_analyze
	local r level
	r=$(analyze_root)
	for unit in twofactl@1.service twofactl-expire.service; do
		run -0 --separate-stderr systemd-analyze security --offline=true --root="$r" "$unit"
		level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$output")
		[ -n "$level" ]
		run -0 awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
	done
}

@test "systemd-sysusers and systemd-tmpfiles make the user and a private store directory" {
	command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null ||
		skip "systemd-sysusers and systemd-tmpfiles are not installed"
	local r="$BATS_TEST_TMPDIR/root" uid
	cp -a "$DEST" "$r"
	mkdir -p "$r/etc"
	run -0 systemd-sysusers --root="$r" "$r$(sysusersdir)/twofactl.conf"
	run -0 grep '^_twofactl:' "$r/etc/passwd"
	assert_regex "$output" '^_twofactl:x:[0-9]+:[0-9]+:twofactl store owner:/var/lib/twofactl:/(usr/)?s?bin/nologin$'
	uid=$(cut -d: -f3 <<<"$output")
	run -0 grep '^_twofactl:' "$r/etc/group"
	run -0 systemd-tmpfiles --create --root="$r" "$r$(tmpfilesdir)/twofactl.conf"
	run -0 stat -c '%a %u' "$r/var/lib/twofactl"
	assert_output "700 $uid"
}

@test "make variables choose the front end's group, the user, the store and the socket" {
	local d="$BATS_TEST_TMPDIR/dest2" u
	run -0 mk -s -C "$TREE" install DESTDIR="$d" PREFIX=/opt/tf FRONTEND_GROUP=nginx \
		SERVICE_USER=_2fa STOREDIR=/srv/2fa SOCKET=/run/2fa/serve.sock
	u="$d$(unitdir)"
	run -0 grep -hE '^(ListenStream|SocketGroup|User|ExecStart)=' "$u/twofactl.socket" "$u/twofactl@.service"
	assert_output - <<-EOF
		ListenStream=/run/2fa/serve.sock
		SocketGroup=nginx
		User=_2fa
		ExecStart=/opt/tf/bin/twofactl -d /srv/2fa serve
	EOF
	run -0 grep -v '^#' "$d$(tmpfilesdir)/twofactl.conf"
	assert_output 'd /srv/2fa 0700 _2fa _2fa -'
	# and back to the defaults: nothing stale is left from the other build
	run -0 mk -s -C "$TREE" install DESTDIR="$BATS_TEST_TMPDIR/dest3" PREFIX=/usr
	run -0 grep -h '^ExecStart=' "$BATS_TEST_TMPDIR/dest3$(unitdir)/twofactl@.service"
	assert_output 'ExecStart=/usr/bin/twofactl -d /var/lib/twofactl serve'
}
