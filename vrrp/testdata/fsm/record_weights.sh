#!/bin/sh
# Records keepalived 2.2.7 with a weighted vrrp_script and a weighted
# track_file for TestKeepalivedWeights (fsm_transcript_test.go). Run as
# root:  sh record_weights.sh > weights.log
# Priority 100; the script (weight -30, every second) fails from 5 s; the
# file (weight 5) holds 2, then 0 at 8 s, -60 at 10 s (FAULT), 1 at 13 s;
# SIGTERM at 18 s.
set -eu
dir=$(mktemp -d /tmp/fsmw.XXXXXX)
ns=fsmw$$
cleanup() {
	[ -f "$dir/k.pid" ] && kill "$(cat "$dir/k.pid")" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 755 "$dir"
echo ok > "$dir/verdict"
echo 2 > "$dir/tf"
cat > "$dir/chk.sh" <<SH
#!/bin/sh
[ "\$(cat $dir/verdict)" = ok ]
SH
chmod 755 "$dir/chk.sh"
cat > "$dir/ka.conf" <<CONF
global_defs {
  router_id fsmw
  script_user root
  enable_script_security
}
vrrp_script chkw {
  script "$dir/chk.sh"
  interval 1
  weight -30
}
track_file tf {
  file "$dir/tf"
  weight 5
}
vrrp_instance VI_1 {
  interface veth-a
  virtual_router_id 67
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.77.6.100/24
  }
  track_script {
    chkw
  }
  track_file {
    tf
  }
}
CONF
ip netns add "$ns"
ip -n "$ns" link add veth-a type veth peer name veth-b
ip -n "$ns" addr add 10.77.6.1/24 dev veth-a
ip -n "$ns" link set veth-a up
ip -n "$ns" link set veth-b up
sleep 1
ip netns exec "$ns" keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/k.pid" -r "$dir/v.pid" -c "$dir/c.pid" > "$dir/out.log" 2>&1 &
sleep 5; echo fail > "$dir/verdict"
sleep 3; echo 0 > "$dir/tf"
sleep 2; echo -60 > "$dir/tf"
sleep 3; echo 1 > "$dir/tf"
sleep 5; kill "$(cat "$dir/k.pid")"
sleep 2
cat "$dir/out.log"
