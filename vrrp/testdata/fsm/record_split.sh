#!/bin/sh
# Records a split brain and its healing between two keepalived 2.2.7 nodes
# for TestKeepalivedSplitBrain (fsm_transcript_test.go). Run as root:
#   sh record_split.sh   (writes split_a.log and split_b.log here)
# A (priority 150) and B (priority 100)
# hearing VRRP (a tc ingress filter drops protocol 112) and takes over
# while A answers each of its adverts; at 14 s the filter goes and B yields;
# both stop at 17 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/fsmsplit.XXXXXX)
na=fsmsa$$
nb=fsmsb$$
nr=fsmsr$$
cleanup() {
	for p in "$dir"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
	ip netns del "$na" 2>/dev/null || true
	ip netns del "$nb" 2>/dev/null || true
	ip netns del "$nr" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
conf() { # name prio
	cat <<CONF
global_defs {
  router_id $1
}
vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 63
  priority $2
  advert_int 1
  virtual_ipaddress {
    10.77.2.100/24
  }
}
CONF
}
conf a 150 > "$dir/a.conf"
conf b 100 > "$dir/b.conf"
ip netns add "$na"
ip netns add "$nb"
ip netns add "$nr"
ip -n "$nr" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$nr" link set br0 up
for n in a b; do
	eval ns=\$n$n
	ip link add fsms$n$$ netns "$ns" type veth peer name port$n netns "$nr"
	ip -n "$ns" link set fsms$n$$ name veth0
	ip -n "$nr" link set port$n master br0
	ip -n "$nr" link set port$n up
	ip -n "$ns" link set veth0 up
done
ip -n "$na" addr add 10.77.2.1/24 dev veth0
ip -n "$nb" addr add 10.77.2.2/24 dev veth0
sleep 1
run() { # node ns
	ip netns exec "$2" keepalived -n -l -D -P -f "$dir/$1.conf" -p "$dir/$1.pid" -r "$dir/$1.vpid" -c "$dir/$1.cpid" >> "$dir/$1.log" 2>&1 &
}
run a "$na"
run b "$nb"
sleep 6
ip netns exec "$nr" bridge link set dev porta isolated on
ip netns exec "$nr" bridge link set dev portb isolated on
sleep 8
ip netns exec "$nr" bridge link set dev portb isolated off
sleep 3
kill "$(cat "$dir/a.pid")" "$(cat "$dir/b.pid")"
sleep 2
cp "$dir/a.log" "$here/split_a.log"
cp "$dir/b.log" "$here/split_b.log"
