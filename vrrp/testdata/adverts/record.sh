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

# ucarp speaks CARP on VRRP's protocol number 112, with a VRRPv2-looking
# first byte; a VRRP node must reject it. ucarp.pcap holds two of its
# adverts (vhid 51, password "secret"), recorded when ucarp is installed.
record_ucarp() {
	command -v ucarp >/dev/null || { echo "record.sh: ucarp not installed, ucarp.pcap kept" >&2; return 0; }
	local ns=kacap-u-$$ tmp
	tmp=$(mktemp -d)
	ip netns add "$ns"
	ip -n "$ns" link add u0 address 02:00:00:00:00:0c type veth peer name u1
	ip -n "$ns" addr add 10.99.0.5/24 dev u0
	ip -n "$ns" link set u0 up
	ip -n "$ns" link set u1 up
	ip netns exec "$ns" timeout 7 tcpdump -q -n -U -i u1 -c 2 -w "$tmp/u.pcap" 'ip proto 112' >/dev/null 2>&1 &
	local tp=$!
	sleep 0.5
	ip netns exec "$ns" timeout 6 ucarp -i u0 -s 10.99.0.5 -v 51 -p secret -a 10.99.0.200 \
		-u /bin/true -d /bin/true -b 1 -P >/dev/null 2>&1 || true
	wait "$tp" || true
	ip netns del "$ns"
	cp "$tmp/u.pcap" ucarp.pcap
	rm -rf "$tmp"
	echo "== ucarp: $(tcpdump -r ucarp.pcap 2>/dev/null | wc -l) packets"
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
if [ $# = 0 ]; then record_ucarp || rc=1; fi
exit $rc
