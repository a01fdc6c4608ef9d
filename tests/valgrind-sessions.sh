#!/bin/sh
# SPDX-License-Identifier: ISC
# make valgrind: a batch and a serve session (many commands in one process,
# their error paths too) under valgrind, on a store of their own.
set -eu
vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
dir=$(mktemp -d /tmp/twofactl-vg.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export TWOFACTL_DIR="$dir/store"
./twofactl -q init
$vg ./twofactl batch >/dev/null <<-'LINES' || [ $? -ne 99 ]
	user add alice --email alice@example.org
	enroll alice --qr none
	user show alice
	user show nobody
	verify alice
	user list
	whitelist add 192.0.2.0/24 --note office
	check alice --ip 192.0.2.7
	audit verify
	frobnicate
LINES
$vg ./twofactl serve >/dev/null <<-'REQUESTS'
	{"argv": ["user", "add", "bob"]}
	{"argv": ["enroll", "bob", "--qr", "none"]}
	{"argv": ["verify", "bob"], "stdin": "000000\n"}
	{"argv": ["user", "show", "nobody"]}
	not json
	{"argv": ["user", "list"], "id": 7}
	{"argv": ["audit", "verify"]}
REQUESTS
echo "valgrind: batch and serve sessions ran clean"
