#!/bin/sh
# netns-topology.sh: hosts on one Ethernet segment, each in its own network
# namespace, for VRRP/LVS tests that must never touch the host's interfaces.
#
#   netns-topology.sh up   PREFIX HOST...   create PREFIX-br (the bridge) and
#                                           PREFIX-HOST for each HOST
#   netns-topology.sh down PREFIX HOST...   delete them (missing ones are fine)
#
# Host number i (1-based, in the order given) gets eth0 with MAC
# 02:00:00:00:00:0i (hex), 10.99.0.i/24 and fd99::i/64, IPv6 DAD off, and
# lo up. The bridge has STP off, forward_delay 0 and multicast_snooping 0,
# which VRRP multicast needs. Nothing leaves the namespaces: no leg in the
# caller's namespace, no default route. Addresses may repeat across
# topologies because each lives in its own namespaces.
set -eu

cmd=${1:-}
prefix=${2:-}
[ -n "$cmd" ] && [ -n "$prefix" ] || { echo "usage: $0 up|down PREFIX HOST..." >&2; exit 2; }
shift 2

case $cmd in
up)
	ip netns add "$prefix-br"
	ip -n "$prefix-br" link set lo up
	ip -n "$prefix-br" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$prefix-br" link set br0 up
	i=0
	for h in "$@"; do
		i=$((i + 1))
		ns="$prefix-$h"
		ip netns add "$ns"
		ip netns exec "$ns" sh -c 'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0'
		ip -n "$ns" link set lo up
		ip -n "$prefix-br" link add "$h" type veth peer name eth0 netns "$ns"
		ip -n "$prefix-br" link set "$h" master br0 up
		ip -n "$ns" link set eth0 address "$(printf '02:00:00:00:00:%02x' "$i")"
		ip -n "$ns" addr add "10.99.0.$i/24" dev eth0
		ip -n "$ns" addr add "fd99::$i/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
	done
	;;
down)
	for h in "$@"; do
		ip netns del "$prefix-$h" 2>/dev/null || true
	done
	ip netns del "$prefix-br" 2>/dev/null || true
	;;
*)
	echo "usage: $0 up|down PREFIX HOST..." >&2
	exit 2
	;;
esac
