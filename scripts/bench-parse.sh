#!/usr/bin/env bash
# Time `gokeepalived -t` against `keepalived -t` on a generated 63k-line
# configuration, alternating runs, and print the median wall time and peak
# RSS of each and their ratios. Needs root (a private network namespace with
# eth0), keepalived and GNU time.
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--in-netns" ]; then
	command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
	exec unshare --net -- "$0" --in-netns
fi
ip link set lo up
ip link add eth0 type veth peer name benchpeer0 && ip link set eth0 up && ip link set benchpeer0 up
conf=$(mktemp /tmp/bench-parse.XXXXXX.conf)
trap 'rm -f "$conf" "$conf.times"' EXIT
scripts/gen-bench-config.sh >"$conf"
echo "config: $(wc -l <"$conf") lines"
runs=${RUNS:-9}
: >"$conf.times"
for _ in $(seq 1 "$runs"); do
	for who in keepalived gokeepalived; do
		bin=keepalived
		[ "$who" = gokeepalived ] && bin=bin/gokeepalived
		/usr/bin/time -f "$who %e %M" -a -o "$conf.times" "$bin" -t -f "$conf" >/dev/null 2>&1 || true
	done
done
awk '
	{ t[$1] = t[$1] " " $2; m[$1] = m[$1] " " $3 }
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		kt = median(t["keepalived"]); gt = median(t["gokeepalived"])
		km = median(m["keepalived"]); gm = median(m["gokeepalived"])
		printf "keepalived   -t: median %.3f s, peak RSS %.1f MB\n", kt, km / 1024
		printf "gokeepalived -t: median %.3f s, peak RSS %.1f MB\n", gt, gm / 1024
		printf "ratio gokeepalived/keepalived: time %.2f, RSS %.2f\n", (kt > 0 ? gt / kt : 0), gm / km
	}' "$conf.times"
