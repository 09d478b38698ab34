#!/bin/sh
# bench-vrrp.sh: failover times of gokeepalived and keepalived 2.2.7 side by
# side, in network namespaces (bridge + lb1, lb2, client; see
# netns-topology.sh). Needs root, iproute2 and keepalived.
#
#   RUNS=5 ./scripts/bench-vrrp.sh        v2 PASS, advert_int 1 (testing.md's figures)
#   V3=1 ./scripts/bench-vrrp.sh          v3, advert_int 0.1
#   JITTER=1 ./scripts/bench-vrrp.sh      advert intervals of 200 instances at 0.01 s
#
# For each run: SIGTERM of the master → VIP on the backup → client served by
# the backup (its ARP entry moved by the backup's GARP), then a crash
# (SIGKILL of every process of the master, at a random phase of the advert
# cycle) → the same two events.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
if [ "$(id -u)" != 0 ]; then
	echo "bench-vrrp: needs root (network namespaces)" >&2
	exit 1
fi
command -v keepalived >/dev/null || { echo "bench-vrrp: keepalived not installed" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ -n "${JITTER:-}" ]; then
	GKV_BENCH_JITTER=1 GKV_BENCH_INSTANCES=${INSTANCES:-200} GKV_BENCH_OUT="$out" \
		$GO test -count=1 -timeout 10m -run '^TestBenchAdvertJitter$' ./vrrp >/dev/null || {
		echo "bench-vrrp: failed; rerun with: GKV_BENCH_JITTER=1 $GO test -v -run TestBenchAdvertJitter ./vrrp" >&2
		exit 1
	}
	cat "$out"
	exit 0
fi
GKV_BENCH=1 GKV_BENCH_RUNS=${RUNS:-5} GKV_BENCH_V3=${V3:-} GKV_BENCH_OUT="$out" \
	$GO test -count=1 -timeout 30m -run '^TestBenchFailover$' ./vrrp >/dev/null || {
	echo "bench-vrrp: a run failed; rerun with: GKV_BENCH=1 $GO test -v -run TestBenchFailover ./vrrp" >&2
	exit 1
}
cat "$out"
