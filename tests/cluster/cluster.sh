#!/bin/bash
# SPDX-License-Identifier: ISC
# A GlusterFS replica-3 volume on this machine, mounted twice with FUSE (two
# mount points standing for two front-end hosts), for tests/cluster/*.bats.
#
#   cluster.sh up STATE [--strict]   start glusterd, create, start and mount
#   cluster.sh down STATE            unmount, stop and delete, end what we started
#
# STATE is an empty directory (the caller makes it, e.g. with mktemp -d): it
# holds glusterd's working and run directories, the bricks, the mount points,
# the logs, and STATE/env, the variables the tests read. It installs nothing
# (make deps-cluster does). Processes are ended by the pids recorded in STATE,
# and only when their command line names STATE, never by name.
#
# --strict sets performance.open-behind, performance.stat-prefetch and
# performance.quick-read off and mounts with entry, attribute and negative
# timeouts of 0; without it the volume keeps GlusterFS's default options.
#
# Exit status of up: 0 ready, 77 FUSE unavailable here (one line on stderr
# says why), anything else a failure (down cleans up after either).
set -u -o pipefail

die() { echo "cluster: $*" >&2; exit 1; }
say() { echo "cluster: $*" >&2; }

# gluster's CLI, talking to our glusterd through its own socket.
gl() { timeout 120 gluster --glusterd-sock="$STATE/run/glusterd.socket" --mode=script "$@"; }

# The machine's own non-loopback IPv4 address; a dummy interface if none.
address() {
	local a
	a=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, p, "/"); print p[1]; exit }')
	if [ -z "$a" ]; then
		# TEST-NET-1 on a dummy link: traffic to it never leaves the machine
		ip link add tfcluster0 type dummy || return 1
		echo tfcluster0 >"$STATE/dummy"
		ip addr add 192.0.2.254/32 dev tfcluster0 && ip link set tfcluster0 up || return 1
		a=192.0.2.254
	fi
	echo "$a"
}

# record PIDFILE KIND: keep the pid a pid file names (it may vanish later).
record() {
	local pid
	[ -s "$1" ] || return 0
	pid=$(tr -dc 0-9 <"$1")
	[ -n "$pid" ] && echo "$pid $2" >>"$STATE/pids"
}

record_running() {
	local f p
	for f in "$STATE"/run/vols/*/*.pid; do [ -e "$f" ] && record "$f" brick; done
	for f in "$STATE"/run/shd/*/*.pid; do [ -e "$f" ] && record "$f" shd; done
	# their sockets in /var/run/gluster (-S PATH), removed by down
	for p in $(awk '$2 == "brick" || $2 == "shd" { print $1 }' "$STATE/pids" | sort -u); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -A1 -x -- -S | grep '\.socket$' >>"$STATE/sockets"
	done
	for f in /proc/[0-9]*/cmdline; do
		# the FUSE clients: their command line ends in our mount points
		tr '\0' ' ' 2>/dev/null <"$f" | grep -q -e " $STATE/mnt/a \?\$" -e " $STATE/mnt/b \?\$" &&
			echo "$(basename "$(dirname "$f")") fuse" >>"$STATE/pids"
	done
	return 0
}

# ours PID: a live process whose command line names STATE (guards against
# a recorded pid that was reused since).
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$STATE"; }

# end PID...: TERM, up to 10 s, then KILL.
end() {
	local p left i
	for p in "$@"; do ours "$p" && kill "$p" 2>/dev/null; done
	for i in $(seq 100); do
		left=""
		for p in "$@"; do ours "$p" && left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	for p in $left; do ours "$p" && kill -9 "$p" 2>/dev/null; done
	return 0
}

up() {
	local strict=0 addr vol i m o mopts="" err
	[ "${1:-}" = --strict ] && strict=1
	[ -d "$STATE" ] || die "no state directory '$STATE'"
	[ -c "$FUSE_DEV" ] || { echo "$FUSE_DEV is missing: FUSE is unavailable here" >&2; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "not root: glusterd and FUSE mounts of GlusterFS need root" >&2; exit 77; }
	command -v glusterd >/dev/null && command -v gluster >/dev/null && command -v mount.glusterfs >/dev/null ||
		die "GlusterFS is not installed: run make deps-cluster"
	# glusterd and its bricks only work on port 24007 (bricks fetch their
	# volume files there): one cluster per machine at a time.
	if ss -Hltn 'sport = :24007' 2>/dev/null | grep -q .; then
		die "port 24007 is taken: another glusterd runs on this machine"
	fi
	mkdir -p "$STATE"/wd "$STATE"/run "$STATE"/log "$STATE"/bricks "$STATE"/mnt/a "$STATE"/mnt/b
	cat >"$STATE/glusterd.vol" <<-EOF
	volume management
	    type mgmt/glusterd
	    option working-directory $STATE/wd
	    option run-directory $STATE/run
	    option glusterd-sockfile $STATE/run/glusterd.socket
	    option transport-type socket
	    option transport.socket.listen-port 24007
	    option transport.socket.keepalive-time 10
	    option transport.socket.keepalive-interval 2
	    option ping-timeout 0
	    option event-threads 1
	end-volume
	EOF
	: >"$STATE/pids"
	addr=$(address) || die "no non-loopback IPv4 address, and no dummy interface could be made"
	vol="tfc$$"
	echo "$vol" >"$STATE/volume"
	/usr/sbin/glusterd -f "$STATE/glusterd.vol" -p "$STATE/glusterd.pid" -l "$STATE/log/glusterd.log" ||
		die "glusterd did not start (see $STATE/log/glusterd.log)"
	for i in $(seq 100); do
		[ -s "$STATE/glusterd.pid" ] && [ -S "$STATE/run/glusterd.socket" ] && break
		sleep 0.1
	done
	record "$STATE/glusterd.pid" glusterd
	[ -S "$STATE/run/glusterd.socket" ] || die "glusterd did not open its socket within 10 s"
	for _ in $(seq 50); do gl volume list >/dev/null 2>&1 && break; sleep 0.2; done
	gl volume create "$vol" replica 3 \
		"$addr:$STATE/bricks/b1" "$addr:$STATE/bricks/b2" "$addr:$STATE/bricks/b3" force >/dev/null ||
		die "volume create failed"
	if [ $strict = 1 ]; then
		for o in performance.open-behind performance.stat-prefetch performance.quick-read; do
			gl volume set "$vol" "$o" off >/dev/null || die "volume set $o off failed"
		done
		mopts=",entry-timeout=0,attribute-timeout=0,negative-timeout=0"
	fi
	gl volume start "$vol" >/dev/null || die "volume start failed (see /var/log/glusterfs/bricks/)"
	record_running
	for m in a b; do
		if ! err=$(mount -t glusterfs -o "log-file=$STATE/log/mount-$m.log$mopts" "$addr:/$vol" "$STATE/mnt/$m" 2>&1) ||
			! mountpoint -q "$STATE/mnt/$m"; then
			if grep -qiE 'permission|not permitted|fusermount' <<<"$err$(tail -5 "$STATE/log/mount-$m.log" 2>/dev/null)"; then
				echo "FUSE mount not permitted here: $(head -1 <<<"$err")" >&2
				exit 77
			fi
			die "mount of $addr:/$vol on $STATE/mnt/$m failed: $err"
		fi
	done
	record_running
	# the two "hosts" see one volume
	echo "$vol" >"$STATE/mnt/a/.probe" && [ "$(cat "$STATE/mnt/b/.probe" 2>/dev/null)" = "$vol" ] ||
		die "the two mounts do not share the volume"
	rm -f "$STATE/mnt/a/.probe"
	cat >"$STATE/env" <<-EOF
	export TWOFACTL_MNT_A='$STATE/mnt/a'
	export TWOFACTL_MNT_B='$STATE/mnt/b'
	export TWOFACTL_CLUSTER_STATE='$STATE'
	export TWOFACTL_CLUSTER_VOL='$vol'
	export TWOFACTL_CLUSTER_STRICT='$strict'
	export TWOFACTL_GLUSTERD_SOCK='$STATE/run/glusterd.socket'
	export TWOFACTL_GLFSHEAL='$(ls /usr/lib/*/glusterfs/glfsheal 2>/dev/null | head -1)'
	EOF
	say "volume $vol (replica 3, $addr, $([ $strict = 1 ] && echo strict || echo default) options) on $STATE/mnt/a and $STATE/mnt/b"
}

down() {
	local vol m f pids p
	[ -d "$STATE" ] || return 0
	# up stopped before it started anything: only the empty directory is left
	[ -f "$STATE/pids" ] && [ -f "$STATE/glusterd.vol" ] || { rmdir "$STATE" 2>/dev/null; return 0; }
	vol=$(cat "$STATE/volume" 2>/dev/null)
	record_running          # bricks a test restarted have new pids
	for m in a b; do
		mountpoint -q "$STATE/mnt/$m" 2>/dev/null || continue
		umount "$STATE/mnt/$m" 2>/dev/null || umount -l "$STATE/mnt/$m" 2>/dev/null ||
			say "cannot unmount $STATE/mnt/$m"
	done
	if [ -n "$vol" ] && [ -S "$STATE/run/glusterd.socket" ] && ours "$(head -1 "$STATE/pids" | cut -d' ' -f1)"; then
		gl volume stop "$vol" force >/dev/null 2>&1
		gl volume delete "$vol" >/dev/null 2>&1
	fi
	# what volume stop left, then glusterd last
	pids=$(awk '$2 != "glusterd" { print $1 }' "$STATE/pids" | sort -u)
	# shellcheck disable=SC2086
	end $pids
	pids=$(awk '$2 == "glusterd" { print $1 }' "$STATE/pids" | sort -u)
	# shellcheck disable=SC2086
	end $pids
	for p in $(awk '{ print $1 }' "$STATE/pids" | sort -u); do
		ours "$p" && say "process $p is still running"
	done
	# brick sockets and logs glusterd put in the default places, named after STATE
	for f in /var/run/gluster/*.socket; do
		[ -S "$f" ] || continue
		grep -qF -- "$f" "$STATE/sockets" 2>/dev/null && rm -f "$f"
	done
	f=$(echo "$STATE/bricks" | sed 's|^/||; s|/|-|g')
	if [ -n "${CLUSTER_LOGS:-}" ]; then
		mkdir -p "$CLUSTER_LOGS" && cp -r "$STATE/log/." "$CLUSTER_LOGS/" &&
			cp /var/log/glusterfs/bricks/"$f"-b[123].log "$CLUSTER_LOGS/" 2>/dev/null
	fi
	rm -f /var/log/glusterfs/bricks/"$f"-b[123].log
	[ -n "$vol" ] && rm -f "/var/log/glusterfs/glfsheal-$vol.log"
	if [ -s "$STATE/dummy" ]; then ip link del "$(cat "$STATE/dummy")" 2>/dev/null; fi
	for m in a b; do mountpoint -q "$STATE/mnt/$m" 2>/dev/null && return 1; done
	rm -rf "$STATE"
}

# CLUSTER_FUSE_DEV: another device path, to try the skip without FUSE
FUSE_DEV=${CLUSTER_FUSE_DEV:-/dev/fuse}
cmd=${1:-}
STATE=${2:-}
[ -n "$STATE" ] || { echo "usage: cluster.sh up|down STATE [--strict]" >&2; exit 2; }
STATE=$(realpath -m "$STATE")
[ "$STATE" != / ] || { echo "cluster: refusing / as the state directory" >&2; exit 2; }
case $cmd in
up) up "${3:-}" ;;
down) down ;;
*) echo "usage: cluster.sh up|down STATE [--strict]" >&2; exit 2 ;;
esac
