#!/bin/sh
# Records when keepalived 2.2.7 sends adverts and gratuitous ARPs with
# garp_master_refresh, for TestKeepalivedGARPRefresh. Run as root (needs
# tcpdump):  sh record_garp.sh > garp_refresh.txt
# An owner (priority 255) becomes MASTER at once; repeat 1, no delayed
# burst, refresh every 3 s with 2 rounds; SIGTERM after about 11 s.
set -eu
dir=$(mktemp -d /tmp/fsmgarp.XXXXXX)
ns=fsmgarp$$
cleanup() {
	[ -f "$dir/k.pid" ] && kill "$(cat "$dir/k.pid")" 2>/dev/null || true
	[ -n "${tp:-}" ] && kill "$tp" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cat > "$dir/ka.conf" <<CONF
global_defs {
  router_id fsmgarp
}
vrrp_instance VI_1 {
  interface veth-a
  virtual_router_id 66
  priority 255
  advert_int 1
  garp_master_delay 0
  garp_master_repeat 1
  garp_master_refresh 3
  garp_master_refresh_repeat 2
  virtual_ipaddress {
    10.77.5.100/24
  }
}
CONF
ip netns add "$ns"
ip -n "$ns" link add veth-a type veth peer name veth-b
ip -n "$ns" addr add 10.77.5.1/24 dev veth-a
ip -n "$ns" link set veth-a up
ip -n "$ns" link set veth-b up
sleep 1
ip netns exec "$ns" tcpdump -i veth-b -n -tt -l 'arp or ip proto 112' > "$dir/cap.txt" 2>/dev/null &
tp=$!
sleep 0.5
ip netns exec "$ns" keepalived -n -l -P -f "$dir/ka.conf" -p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" > /dev/null 2>&1 &
sleep 11
kill "$(cat "$dir/k.pid")"
sleep 1
kill "$tp"
sleep 0.3
cat "$dir/cap.txt"
