#!/bin/sh
# SPDX-License-Identifier: ISC
# Where a verify's time goes: the system calls of one twofactl verify, with
# their times (strace -T), and instruction counts by function (callgrind).
# Run as root on a scratch store: bench/profile.sh > bench/out/profile.txt
set -eu
cd "$(dirname "$0")/.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export TWOFACTL_DIR="$d/store"
./twofactl -q init
printf 'HOTP/T30\tu1\t-\t3132333435363738393031323334353637383930\n' >"$d/users"
./twofactl -q import "$d/users"
at=1800000000
echo "== strace -T -e trace=file,desc,fsync of one verify (slowest first)"
c=$(oathtool --totp -N "@$at" 3132333435363738393031323334353637383930)
strace -T -e trace=openat,fsync,fdatasync,renameat,write,read,fcntl ./twofactl -q --at $at verify u1 "$c" 2>&1 |
	awk -F'<' '/</ {t=$NF; sub(">","",t); print t "  " $0}' | sort -rn | head -12
echo
echo "== strace -c of one verify"
at=$((at + 30))
c=$(oathtool --totp -N "@$at" 3132333435363738393031323334353637383930)
strace -c ./twofactl -q --at $at verify u1 "$c" 2>&1 | head -14
if command -v valgrind >/dev/null; then
	echo
	echo "== callgrind: instructions by function (top 15)"
	at=$((at + 30))
	c=$(oathtool --totp -N "@$at" 3132333435363738393031323334353637383930)
	valgrind --tool=callgrind --callgrind-out-file="$d/cg" ./twofactl -q --at $at verify u1 "$c" >/dev/null 2>&1
	callgrind_annotate "$d/cg" 2>/dev/null | sed -n '/Ir/,$p' | head -22
fi
