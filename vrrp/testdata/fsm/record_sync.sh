#!/bin/sh
# Records a vrrp_sync_group of two instances on one keepalived 2.2.7 for
# TestKeepalivedSyncGroup (fsm_transcript_test.go). Run as root:
#   sh record_sync.sh > sync.log
# VI_1 (priority 100) on veth-a and VI_2 (priority 90) on veth-c; VI_1
# times out first and waits for VI_2; at 6 s veth-c's peer goes down
# (VI_2 FAULT takes VI_1 along), at 9 s up again; SIGTERM at 15 s.
set -eu
dir=$(mktemp -d /tmp/fsmsync.XXXXXX)
ns=fsmsync$$
cleanup() {
	[ -f "$dir/k.pid" ] && kill "$(cat "$dir/k.pid")" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cat > "$dir/ka.conf" <<CONF
global_defs {
  router_id fsmsync
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface veth-a
  virtual_router_id 64
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.77.3.100/24
  }
}
vrrp_instance VI_2 {
  interface veth-c
  virtual_router_id 65
  priority 90
  advert_int 1
  virtual_ipaddress {
    10.77.4.100/24
  }
}
CONF
ip netns add "$ns"
ip -n "$ns" link add veth-a type veth peer name veth-b
ip -n "$ns" link add veth-c type veth peer name veth-d
ip -n "$ns" addr add 10.77.3.1/24 dev veth-a
ip -n "$ns" addr add 10.77.4.1/24 dev veth-c
for i in a b c d; do ip -n "$ns" link set veth-$i up; done
sleep 1
ip netns exec "$ns" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" > "$dir/out.log" 2>&1 &
sleep 6; ip -n "$ns" link set veth-d down
sleep 3; ip -n "$ns" link set veth-d up
sleep 6; kill "$(cat "$dir/k.pid")"
sleep 2
cat "$dir/out.log"
