#!/usr/bin/env bash
# make bench-ipvs: the IPVS reconciler at the scale of keepalived issue 2318
# (2,300 virtual servers, 37,000 real servers).
#  1. On the host, with the in-memory kernel: the reconciler's own cost for a
#     reload that changes one weight (BenchmarkReconcileScale) and the diff
#     alone (BenchmarkDiffScale).
#  2. In the test VM's real IPVS kernel (scripts/vm, qemu): parse and
#     translate the generated configuration, apply it to an empty table, reload
#     with one weight changed (from the reconciler's state, then re-reading the
#     kernel), tear down; time and netlink requests of each (TestVMScale).
# The VM uses software emulation (tcg) when KVM is unavailable, which makes
# every step several times slower than on real hardware.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

echo "== reconciler with the in-memory kernel (host, $(nproc) CPUs)"
"$GO" test -run '^$' -bench 'Scale$' -benchtime 200x ./ipvs/ | grep -E '^(Benchmark|cpu:)'

echo "== real IPVS kernel in the test VM"
if [ ! -x scripts/vm/run-tests.sh ]; then
	echo "SKIP: the VM harness (scripts/vm) is not in this tree"
	exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
GO=$GO scripts/vm/run-tests.sh -run 'TestVMScale' ./check >"$out" 2>&1 || status=$?
grep -E '^BENCH |^vm: |^--- (FAIL|SKIP)|accel' "$out" | grep -v '^    ' || true
if [ "$status" != 0 ]; then
	echo "bench-ipvs: the VM run failed (status $status); its output:" >&2
	tail -n 40 "$out" >&2
	exit "$status"
fi
