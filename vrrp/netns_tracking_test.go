//go:build linux

package vrrp

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNetnsTrackingFailover: two gokeepalived nodes (v3, advert_int 0.1);
// lb1's track_file, vrrp_script and track_interface each move the VIP to
// lb2 and back, through the real probes (inotify, script runs, rtnetlink).
func TestNetnsTrackingFailover(t *testing.T) {
	requireNetns(t)
	tp := newTopology(t, "lb1", "lb2")
	dir := t.TempDir()
	weightFile := filepath.Join(dir, "weight")
	downFile := filepath.Join(dir, "down")
	masterMark, faultMark := filepath.Join(dir, "was-master"), filepath.Join(dir, "was-fault")
	if err := os.WriteFile(weightFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tp.exec(t, "lb1", "ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trkpeer")
	tp.exec(t, "lb1", "ip", "link", "set", "trk0", "up")
	tp.exec(t, "lb1", "ip", "link", "set", "trkpeer", "up")

	conf := func(prio int, tracked bool) string {
		s := "global_defs {\n script_user root\n enable_script_security\n}\n"
		inst := ""
		if tracked {
			s += fmt.Sprintf("track_file tf {\n file %q\n weight -50\n}\n", weightFile)
			s += fmt.Sprintf("vrrp_script chk {\n script \"/usr/bin/test ! -e %s\"\n interval 1\n fall 1\n rise 1\n}\n", downFile)
			inst = " track_file {\n  tf\n }\n track_script {\n  chk\n }\n track_interface {\n  trk0\n }\n" +
				fmt.Sprintf(" notify_master \"/usr/bin/touch %s\"\n notify_fault \"/usr/bin/touch %s\"\n", masterMark, faultMark)
		}
		return s + fmt.Sprintf("vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n"+
			" priority %d\n advert_int 0.1\n version 3\n%s virtual_ipaddress {\n  10.99.0.100\n }\n}\n", prio, inst)
	}
	a := newGoNode(t, tp.ns("lb1"), conf(100, true))
	b := newGoNode(t, tp.ns("lb2"), conf(80, false))
	w1, w2 := newNSWatcher(t, tp.ns("lb1")), newNSWatcher(t, tp.ns("lb2"))
	vip := netip.MustParseAddr("10.99.0.100")
	dump := func() string {
		return fmt.Sprintf("\nlb1:\n%slb2:\n%s", logTail(a.Log(), 30), logTail(b.Log(), 15))
	}
	master := func(step string, on, off *nsWatcher, d time.Duration) {
		t.Helper()
		if waitFor(d, func() bool { return on.hasAddr(vip) && !off.hasAddr(vip) }) < 0 {
			t.Fatalf("%s: VIP did not move%s", step, dump())
		}
	}
	b.Start(t)
	a.Start(t)
	master("start", w1, w2, 5*time.Second)

	_ = os.WriteFile(weightFile, []byte("1\n"), 0o644)
	master("track_file 1 × weight -50", w2, w1, 3*time.Second)
	_ = os.WriteFile(weightFile, []byte("0\n"), 0o644)
	master("track_file back to 0", w1, w2, 3*time.Second)

	_ = os.WriteFile(downFile, nil, 0o644)
	master("vrrp_script failing", w2, w1, 4*time.Second)
	_ = os.Remove(downFile)
	master("vrrp_script succeeding", w1, w2, 4*time.Second)

	tp.exec(t, "lb1", "ip", "link", "set", "trkpeer", "down")
	master("tracked interface down", w2, w1, 3*time.Second)
	tp.exec(t, "lb1", "ip", "link", "set", "trkpeer", "up")
	master("tracked interface up", w1, w2, 3*time.Second)

	// A VIP removed behind lb1's back: it resigns, then takes the VIP back
	// (keepalived's AddressLost handling).
	tp.exec(t, "lb1", "ip", "addr", "del", "10.99.0.100/32", "dev", "eth0")
	if waitFor(3*time.Second, func() bool {
		return strings.Contains(a.Log(), "(VI_1) ip address 10.99.0.100/32 dev eth0, no longer exist")
	}) < 0 {
		t.Fatalf("lb1 did not notice its VIP was removed%s", dump())
	}
	master("VIP restored after removal", w1, w2, 3*time.Second)

	log := a.Log()
	for _, want := range []string{
		"(VI_1) Changing effective priority from 100 to 50",
		"VRRP_Script(chk) failed",
		"Netlink reports trk0 down",
		"(VI_1) Entering FAULT STATE",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("lb1's log lacks %q%s", want, dump())
		}
	}
	for _, f := range []string{masterMark, faultMark} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("notify script did not run: %v%s", err, dump())
		}
	}
	a.Term(t)
	b.Term(t)
	a.Wait(t)
	b.Wait(t)
}
