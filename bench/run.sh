#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench: twofactl against pam_oath, google-authenticator-libpam,
# oathtool and /bin/true, in one run. BENCH_SIZES, BENCH_RUNS and
# BENCH_PROVISION make it smaller for a quick look.
set -eu
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/bench.py "$@"
