#!/bin/sh
# Records keepalived 2.2.7's log for the scenario replayed by
# TestKeepalivedTranscript (fsm_transcript_test.go). Run as root:
#   sh record.sh > track.log
# One keepalived in a private network namespace on a veth pair; a weight-0
# vrrp_script (fall 2, rise 2) reads its verdict from a file the scenario
# flips; the veth peer is taken down and up; then SIGTERM.
set -eu
dir=$(mktemp -d /tmp/fsmrec.XXXXXX)
ns=fsmrec$$
cleanup() {
	[ -f "$dir/k.pid" ] && kill "$(cat "$dir/k.pid")" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
echo ok > "$dir/verdict"
cat > "$dir/chk.sh" <<SH
#!/bin/sh
[ "\$(cat $dir/verdict)" = ok ]
SH
chmod 755 "$dir/chk.sh"
chmod 755 "$dir"
cat > "$dir/ka.conf" <<CONF
global_defs {
  router_id fsmrec
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "$dir/chk.sh"
  interval 1
  fall 2
  rise 2
}
vrrp_instance VI_1 {
  interface veth-a
  virtual_router_id 61
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.77.0.100/24
  }
  track_script {
    chk
  }
}
CONF
ip netns add "$ns"
ip -n "$ns" link add veth-a type veth peer name veth-b
ip -n "$ns" addr add 10.77.0.1/24 dev veth-a
ip -n "$ns" link set veth-a up
ip -n "$ns" link set veth-b up
ip netns exec "$ns" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" > "$dir/out.log" 2>&1 &
sleep 6;  echo fail > "$dir/verdict"
sleep 4;  echo ok > "$dir/verdict"
sleep 7;  ip -n "$ns" link set veth-b down
sleep 3;  ip -n "$ns" link set veth-b up
sleep 6;  kill "$(cat "$dir/k.pid")"
sleep 2
cat "$dir/out.log"
