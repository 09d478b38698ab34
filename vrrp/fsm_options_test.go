package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// vrrp_startup_delay: adverts are not processed and timers start at the
// end of the delay (spec §4.2).
func TestStartupDelay(t *testing.T) {
	n := newFSMNode(t, "global_defs {\n vrrp_startup_delay 5\n}\n"+fsmInst("VI_1", 100), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(time.Second)
	n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 200})
	n.advance(20 * time.Second)
	a, ok := n.first(fsmT0, isKind(ActAddVIPs))
	if !ok {
		t.Fatal("never MASTER")
	}
	if got := a.at.Sub(fsmT0); got != 5*time.Second+3609375*time.Microsecond {
		t.Errorf("MASTER after %v, want 5s + 3.609375s", got)
	}
}

// Accept mode travels with the address actions (spec §7): strict mode
// makes a non-owner no_accept, an owner always accepts, `accept` wins
// outside strict mode.
func TestAcceptAttribute(t *testing.T) {
	for _, tc := range []struct {
		name   string
		conf   string
		accept bool
	}{
		{"default", fsmInst("VI_1", 255), true},
		{"no_accept", fsmInst("VI_1", 255, "no_accept"), false},
		{"strict non-owner", "global_defs {\n vrrp_strict\n}\n" + fsmInst("VI_1", 100), false},
		{"strict owner", "global_defs {\n vrrp_strict\n}\n" + fsmInst("VI_1", 255), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", Facts{})
			n.handle(Start{})
			n.advance(5 * time.Second)
			n.handle(Shutdown{})
			add, ok1 := n.first(fsmT0, isKind(ActAddVIPs))
			del, ok2 := n.first(fsmT0.Add(time.Second), isKind(ActDelVIPs))
			if !ok1 || !ok2 {
				t.Fatal("VIPs never added and removed")
			}
			if add.Accept != tc.accept || del.Accept != tc.accept {
				t.Errorf("accept add %v del %v, want %v", add.Accept, del.Accept, tc.accept)
			}
		})
	}
}

// notify_priority_changes sends *_PRIORITY to FIFOs; a master seeing a
// lower priority runs MASTER_RX_LOWER_PRI.
func TestNotifyTypes(t *testing.T) {
	conf := "vrrp_script chk {\n script \"/bin/true\"\n weight 10\n}\n" +
		fsmInst("VI_1", 100, "notify_priority_changes", "track_script {\n chk\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.handle(ScriptResult{Script: "chk"})
	n.advance(5 * time.Second)
	n.handle(ScriptResult{Script: "chk", ExitStatus: 1})
	n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 50})
	var got []string
	for _, a := range n.acts {
		if a.Kind == ActNotify {
			got = append(got, a.NotifyType)
		}
	}
	want := []string{"BACKUP", "BACKUP_PRIORITY", "MASTER", "MASTER_PRIORITY", "MASTER_RX_LOWER_PRI"}
	if len(got) != len(want) {
		t.Fatalf("notifications %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("notifications %v, want %v", got, want)
		}
	}
}

// A VIP removed behind our back (spec §6.1): priority-0 advert, BACKUP,
// and MASTER again after Skew_Time with a fresh GARP burst.
func TestAddressLost(t *testing.T) {
	n := newFSMNode(t, fsmInst("VI_1", 150), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	lost := n.now
	n.handle(AddressLost{Instance: "VI_1"})
	if n.state("VI_1") != StateBackup {
		t.Fatalf("state %v", n.state("VI_1"))
	}
	if _, ok := n.first(lost, isAdvert(0)); !ok {
		t.Error("no priority-0 advert")
	}
	n.advance(time.Second)
	a, ok := n.first(lost, isKind(ActAddVIPs))
	if !ok || a.at.Sub(lost) != 414062*time.Microsecond {
		t.Errorf("VIPs back after %v, want 414.062ms (spec observed 0.416 s)", a.at.Sub(lost))
	}
	if _, ok := n.first(lost.Add(time.Millisecond), isKind(ActGARP)); !ok {
		t.Error("no fresh GARP burst")
	}
}

// A unicast instance leaving FAULT announces its own source address.
func TestUnicastSourceGARP(t *testing.T) {
	n := newFSMNode(t, fsmInst("VI_1", 100, "unicast_src_ip 10.0.0.1", "unicast_peer {\n 10.0.0.2\n }"), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.handle(InterfaceChanged{"eth0", false})
	from := len(n.acts)
	n.handle(InterfaceChanged{"eth0", true})
	found := false
	for _, a := range n.acts[from:] {
		found = found || a.Kind == ActSourceGARP
	}
	if !found {
		t.Error("no source GARP on leaving FAULT")
	}
}
