#!/usr/bin/env bash
# Re-records the golden files of package notify from real keepalived 2.2.7.
# Needs root, iproute2 and keepalived; runs everything in a private network
# namespace (a veth pair inside it, SMTP sink on the namespace's loopback)
# and touches nothing outside it.
#
#   sudo notify/testdata/record/record.sh        (from the repository root)
#
# It writes into notify/testdata/keepalived-2.2.7/:
#   smtp-*.txt      one SMTP conversation per alert (S: sink, C: keepalived)
#   smtp-blackhole.txt  what keepalived sent to a server that never answers
#   notify.fifo.bin, vrrp.fifo.bin   the bytes read from the two FIFOs
#   notify-argv.txt  the argv the generic notify scripts received
#   keepalived.log   keepalived's log of the main run
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PATH:/usr/local/go/bin
[ "$(id -u)" = 0 ] || { echo "record.sh: needs root" >&2; exit 1; }
command -v keepalived >/dev/null || { echo "record.sh: keepalived not installed" >&2; exit 1; }
keepalived --version 2>&1 | head -1

out=${OUT:-notify/testdata/keepalived-2.2.7} # OUT=DIR records elsewhere
mkdir -p "$out"
work=$(mktemp -d /tmp/ka-notify-rec.XXXXXX)
ns=ka-notify-rec-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap 'rc=$?; echo "record.sh: exit $rc" >&2; cleanup' EXIT

go test -c -o "$work/notify.test" ./notify

ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
nsx ip link add veth0 type veth peer name veth1
nsx ip addr add 10.200.0.1/24 dev veth0
nsx ip link set veth0 up
nsx ip link set veth1 up

cat >"$work/argv.sh" <<'SH'
#!/bin/sh
line=$(printf '[%s] ' "$@")
echo "$line" >>"$(dirname "$0")/argv.out"
SH
chmod 0755 "$work/argv.sh"

conf() { # $1 = smtp_connect_timeout
cat <<CONF
global_defs {
    router_id node_a
    notification_email {
        ops@example.com
        oncall@example.org
    }
    notification_email_from keepalived@node-a.example
    smtp_server 127.0.0.1 2525
    smtp_helo_name node-a.helo
    smtp_connect_timeout $1
    notify_fifo $work/notify.fifo
    vrrp_notify_fifo $work/vrrp.fifo
    script_user root
}
vrrp_sync_group VG_1 {
    group {
        VI_1
        VI_2
    }
    smtp_alert
    notify "$work/argv.sh group"
}
vrrp_instance VI_1 {
    state BACKUP
    interface veth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.200.0.100/24
    }
    smtp_alert
    notify "$work/argv.sh 'it''s' \"a'b\""
}
vrrp_instance VI_2 {
    state BACKUP
    interface veth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.200.0.101/24
    }
}
CONF
}

sink() { # $1 = out dir, $2 = silent
	rm -f "$work/ready"
	GOKA_SINK_LISTEN=127.0.0.1:2525 GOKA_SINK_OUT="$1" GOKA_SINK_READY="$work/ready" GOKA_SINK_SILENT="$2" \
		ip netns exec "$ns" "$work/notify.test" -test.run '^TestRecordSMTPSink$' -test.v >"$work/sink.log" 2>&1 &
	sinkpid=$!
	pids+=("$sinkpid")
	for _ in $(seq 100); do [ -e "$work/ready" ] && return; sleep 0.05; done
	echo "sink did not start" >&2; cat "$work/sink.log" >&2; exit 1
}

ka() { # starts keepalived VRRP-only in the namespace
	nsx keepalived -n -l -D -P -f "$work/keepalived.conf" -p "$work/ka.pid" -r "$work/vrrp.pid" \
		-c "$work/check.pid" >"$work/keepalived.log" 2>&1 &
	kapid=$!
	pids+=("$kapid")
}

stop_ka() { # SIGTERM to keepalived's parent (by its pid file), wait for it
	kill -TERM "$(cat "$work/ka.pid")"
	wait "$kapid" || true
}

# Main run: startup BACKUP, then MASTER, then SIGTERM (STOP).
conf 5 >"$work/keepalived.conf"
mkfifo -m 0600 "$work/notify.fifo" "$work/vrrp.fifo"
cat "$work/notify.fifo" >"$work/notify.fifo.bin" & pids+=("$!"); catn=$!
cat "$work/vrrp.fifo" >"$work/vrrp.fifo.bin" & pids+=("$!"); catv=$!
mkdir -p "$work/smtp"
sink "$work/smtp" ""
ka
for _ in $(seq 200); do
	grep -q 'GROUP "VG_1" MASTER' "$work/vrrp.fifo.bin" 2>/dev/null && break
	sleep 0.05
done
sleep 1 # let the MASTER alerts finish
stop_ka
wait "$catn" "$catv" || true
kill -TERM "$sinkpid"; wait "$sinkpid" || true
cat "$work/sink.log"
rm -f "$out"/smtp-*.txt
cp "$work"/smtp/smtp-*.txt "$out/"
cp "$work/notify.fifo.bin" "$work/vrrp.fifo.bin" "$out/"
sed "s#$work#WORK#g" "$work/argv.out" >"$out/notify-argv.txt"
sed "s#$work#WORK#g" "$work/keepalived.log" >"$out/keepalived.log"

# Black hole: the sink accepts and never answers; smtp_connect_timeout 2.
conf 2 >"$work/keepalived.conf"
mkdir -p "$work/hole"
sink "$work/hole" 1
start=$(date +%s.%N)
ka
sleep 5.5
stop_ka
kill -TERM "$sinkpid"; wait "$sinkpid" || true
cat "$work/sink.log"
cp "$work/hole/smtp-blackhole-conn0.txt" "$out/smtp-blackhole.txt"
grep -i smtp "$work/keepalived.log" | sed "s#$work#WORK#g" >"$out/keepalived-blackhole.log" || true
ls -l "$out"
