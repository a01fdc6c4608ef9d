#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# What a login costs on the cluster against local disk, in the same run.
load cluster

setup() { cluster_setup; }
teardown() { cluster_teardown; }

# run_verifies DIR: 200 sequential verifies of one account, a step apart;
# prints the milliseconds they took and how many were accepted.
run_verifies() {
	local d=$1 i=0 ok=0 start end
	start=$(date +%s%N)
	for t in "${steps[@]}"; do
		"$TWOFACTL" -q -d "$d" --at "$t" verify lat "${codes[$i]}" >/dev/null 2>&1 && ok=$((ok + 1))
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo "$(((end - start) / 1000000)) $ok"
}

@test "200 sequential verifies on the cluster and on local disk: all accepted, latency measured" {
	ldir="$BATS_TEST_TMPDIR/local"
	"$TWOFACTL" -q -d "$ldir" init
	printf 'HOTP/T30\tlat\t-\t%s\n' "$KEY" >"$BATS_TEST_TMPDIR/users"
	"$TWOFACTL" -q -d "$ldir" import "$BATS_TEST_TMPDIR/users" >/dev/null
	accounts lat
	mapfile -t steps < <(seq $((T0 + 30)) 30 $((T0 + 30 * 200)))
	mapfile -t codes < <(totp "${steps[@]}")
	read -r ms_local ok_local < <(run_verifies "$ldir")
	read -r ms_cluster ok_cluster < <(run_verifies "$A")
	# the floor: starting a process the same way
	start=$(date +%s%N)
	for t in "${steps[@]}"; do /bin/true "$t"; done
	ms_true=$((($(date +%s%N) - start) / 1000000))
	note "200 verifies: local disk $ms_local ms ($((ms_local * 5)) µs each), cluster $ms_cluster ms" \
		"($((ms_cluster * 5)) µs each), cluster/local $(awk -v a="$ms_cluster" -v b="$ms_local" 'BEGIN { printf "%.1f", a / b }')×;" \
		"/bin/true $((ms_true * 5)) µs each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	assert_equal "$ok_local/$ok_cluster" "200/200"
}
