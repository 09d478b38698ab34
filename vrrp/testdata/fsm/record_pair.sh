#!/bin/sh
# Records two keepalived 2.2.7 nodes on one link for TestKeepalivedPair
# (fsm_transcript_test.go). Run as root:
#   sh record_pair.sh   (writes pair_a.log and pair_b.log here)
# B (priority 100) starts at 0 s and becomes MASTER; A (priority 150)
# starts at 5 s and preempts it; A is stopped (SIGTERM) at 11 s and started
# again at 13 s; both stop at 19 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/fsmpair.XXXXXX)
na=fsmpa$$
nb=fsmpb$$
cleanup() {
	for p in "$dir"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
	ip netns del "$na" 2>/dev/null || true
	ip netns del "$nb" 2>/dev/null || true
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
  virtual_router_id 62
  priority $2
  advert_int 1
  virtual_ipaddress {
    10.77.1.100/24
  }
}
CONF
}
conf a 150 > "$dir/a.conf"
conf b 100 > "$dir/b.conf"
ip netns add "$na"
ip netns add "$nb"
ip link add fsmva$$ netns "$na" type veth peer name fsmvb$$ netns "$nb"
ip -n "$na" link set fsmva$$ name veth0
ip -n "$nb" link set fsmvb$$ name veth0
ip -n "$na" addr add 10.77.1.1/24 dev veth0
ip -n "$nb" addr add 10.77.1.2/24 dev veth0
ip -n "$na" link set veth0 up
ip -n "$nb" link set veth0 up
sleep 1 # let the link come up before keepalived looks at it
run() { # node ns
	ip netns exec "$2" keepalived -n -l -D -P -f "$dir/$1.conf" -p "$dir/$1.pid" -r "$dir/$1.vpid" -c "$dir/$1.cpid" >> "$dir/$1.log" 2>&1 &
}
run b "$nb"
sleep 5;  run a "$na"
sleep 6;  kill "$(cat "$dir/a.pid")"
sleep 2;  run a "$na"
sleep 6;  kill "$(cat "$dir/a.pid")" "$(cat "$dir/b.pid")"
sleep 2
cp "$dir/a.log" "$here/pair_a.log"
cp "$dir/b.log" "$here/pair_b.log"
