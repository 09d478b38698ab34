#!/usr/bin/env bash
# Re-records the golden captures in this directory from the real keepalived.
#
# For every NAME.conf here it builds two network namespaces joined by a veth
# pair (node "a" runs keepalived, node "b" only listens), captures everything
# on b's side with tcpdump (link-layer headers included, so the gratuitous
# ARPs and unsolicited NAs are kept too), lets keepalived become MASTER, sends
# a couple of adverts, then stops it with SIGTERM so that its priority-0
# advert is captured as well. The result is NAME.pcap.
#
# Needs root, iproute2, tcpdump and keepalived (2.2.7 for the committed
# files). Nothing leaves the namespaces; each run removes what it made.
#
# Usage: record.sh [NAME...]     (default: every *.conf in this directory)
set -euo pipefail
cd "$(dirname "$0")"

[ "$(id -u)" = 0 ] || { echo "record.sh: needs root" >&2; exit 1; }
for t in ip tcpdump keepalived; do
	command -v "$t" >/dev/null || { echo "record.sh: $t not installed" >&2; exit 1; }
done

# Seconds keepalived runs before SIGTERM: 3·advert_int + skew (< 4 s for the
# priorities used here) to become MASTER, then about two more adverts.
RUN_SECS=${RUN_SECS:-6}

record() {
	local name=$1 idx=$2
	local a=kacap-a-$$-$idx b=kacap-b-$$-$idx
	local tmp
	tmp=$(mktemp -d)
	cleanup() {
		[ -f "$tmp/run.kapid" ] && kill "$(cat "$tmp/run.kapid")" 2>/dev/null || true
		[ -f "$tmp/tcpdump.pid" ] && kill "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || true
		ip netns del "$a" 2>/dev/null || true
		ip netns del "$b" 2>/dev/null || true
		rm -rf "$tmp"
	}
	trap cleanup RETURN

	ip netns add "$a"
	ip netns add "$b"
	ip link add ka0 netns "$a" address 02:00:00:00:00:0a type veth \
		peer name kb0 netns "$b" address 02:00:00:00:00:0b
	local ns
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	ip netns exec "$a" sysctl -qw net.ipv6.conf.ka0.accept_dad=0
	ip netns exec "$b" sysctl -qw net.ipv6.conf.kb0.accept_dad=0
	ip -n "$a" addr add 10.99.0.1/24 dev ka0
	ip -n "$a" addr add fd99::1/64 dev ka0
	ip -n "$b" addr add 10.99.0.2/24 dev kb0
	ip -n "$b" addr add 10.99.0.3/24 dev kb0
	ip -n "$b" addr add fd99::2/64 dev kb0
	ip -n "$a" link set ka0 up
	ip -n "$b" link set kb0 up

	ip netns exec "$b" tcpdump -q -n -U -i kb0 -s 0 -w "$tmp/cap.pcap" \
		'ip proto 112 or ip6 proto 112 or ip proto 51 or arp or (icmp6 and ip6[40] == 136)' \
		>"$tmp/tcpdump.log" 2>&1 &
	echo $! >"$tmp/tcpdump.pid"
	sleep 0.5

	# keepalived's private files: pid files and its /tmp dumps stay in $tmp.
	ip netns exec "$a" env TMPDIR="$tmp" keepalived -n -l -D -P -f "$PWD/$name.conf" \
		-p "$tmp/ka.pid" -r "$tmp/vrrp.pid" -c "$tmp/check.pid" \
		>"$tmp/ka.log" 2>&1 &
	local kapid=$!
	echo $kapid >"$tmp/run.kapid"
	# A config may ask for a longer run with a "# run-secs: N" line.
	local secs
	secs=$(sed -n 's/^# run-secs: *\([0-9.]*\).*/\1/p' "$name.conf")
	sleep "${secs:-$RUN_SECS}"
	kill -TERM "$kapid"
	wait "$kapid" || true
	rm -f "$tmp/run.kapid"
	sleep 0.3
	kill "$(cat "$tmp/tcpdump.pid")"
	wait "$(cat "$tmp/tcpdump.pid")" 2>/dev/null || true
	rm -f "$tmp/tcpdump.pid"
	cp "$tmp/cap.pcap" "$name.pcap"
	echo "== $name: $(tcpdump -r "$name.pcap" 2>/dev/null | wc -l) packets"
	grep -E 'Entering|priority|Stopped' "$tmp/ka.log" | sed "s/^/   $name: /" || true
}

names=("$@")
if [ ${#names[@]} = 0 ]; then
	for f in *.conf; do names+=("${f%.conf}"); done
fi
pids=()
i=0
for n in "${names[@]}"; do
	record "$n" "$i" &
	pids+=($!)
	i=$((i + 1))
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
