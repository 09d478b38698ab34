package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func syncConf(extra1, extra2 string) string {
	return `vrrp_sync_group VG_1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24
  }
  ` + extra1 + `
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.1.0.100/24
  }
  ` + extra2 + `
}
`
}

// groupNotifies lists the group's notifications from the from'th action on.
func groupNotifies(n *fsmNode, from int) []State {
	var out []State
	for _, a := range n.acts[from:] {
		if a.Kind == ActNotify && a.Group == "VG_1" {
			out = append(out, a.State)
		}
	}
	return out
}

// Members go MASTER together once both want to (spec §5.7).
func TestSyncGroupMaster(t *testing.T) {
	// VI_2 has the longer down timer: VI_1 times out first, must wait.
	n := newFSMNode(t, syncConf("", "priority 90"), "10.0.0.1", Facts{})
	n.handle(Start{})
	if g := groupNotifies(n, 0); len(g) != 1 || g[0] != StateBackup {
		t.Fatalf("start group notifications %v", g)
	}
	n.advance(3609375 * time.Microsecond)
	if n.state("VI_1") != StateBackup {
		t.Fatalf("VI_1 went %v alone", n.state("VI_1"))
	}
	n.advance(3648437*time.Microsecond - 3609375*time.Microsecond)
	if n.state("VI_1") != StateMaster || n.state("VI_2") != StateMaster {
		t.Fatalf("states %v/%v at %v", n.state("VI_1"), n.state("VI_2"), n.at())
	}
	if !n.hasLog("VRRP_Group(VG_1) Syncing instances to MASTER state") {
		t.Errorf("logs %q", n.logs())
	}
	if g := groupNotifies(n, 0); len(g) != 2 || g[0] != StateBackup || g[1] != StateMaster {
		t.Errorf("group notifications %v", g)
	}
	if gs, _ := n.m.GroupState("VG_1"); gs != StateMaster {
		t.Errorf("group state %v", gs)
	}

	// One member yields to a higher priority: both go BACKUP.
	from := len(n.acts)
	n.handle(AdvertReceived{Instance: "VI_2", Src: netip.MustParseAddr("10.1.0.2"), Priority: 200})
	if n.state("VI_1") != StateBackup || n.state("VI_2") != StateBackup {
		t.Fatalf("states %v/%v", n.state("VI_1"), n.state("VI_2"))
	}
	if !n.hasLog("VRRP_Group(VG_1) Syncing instances to BACKUP state") {
		t.Errorf("logs %q", n.logs())
	}
	if g := groupNotifies(n, from); len(g) != 1 || g[0] != StateBackup {
		t.Errorf("group notifications %v", g)
	}
}

// One member in FAULT takes the group to FAULT; recovery brings all back
// to BACKUP.
func TestSyncGroupFault(t *testing.T) {
	n := newFSMNode(t, syncConf("", ""), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	if n.state("VI_1") != StateMaster || n.state("VI_2") != StateMaster {
		t.Fatalf("states %v/%v", n.state("VI_1"), n.state("VI_2"))
	}
	from, fromIdx := n.now, len(n.acts)
	n.handle(InterfaceChanged{"eth1", false})
	for _, name := range []string{"VI_1", "VI_2"} {
		if n.state(name) != StateFault {
			t.Errorf("%s in %v", name, n.state(name))
		}
		if st, _ := n.m.Status(name); st.VIPsSet {
			t.Errorf("%s kept its VIPs", name)
		}
		if _, ok := n.first(from, func(a Action) bool { return a.Instance == name && a.Kind == ActSendAdvert && a.Priority == 0 }); !ok {
			t.Errorf("%s sent no priority-0 advert", name)
		}
	}
	if !n.hasLog("VRRP_Group(VG_1) Syncing instances to FAULT state") {
		t.Errorf("logs %q", n.logs())
	}
	if g := groupNotifies(n, fromIdx); len(g) != 1 || g[0] != StateFault {
		t.Errorf("group notifications %v", g)
	}
	fromIdx = len(n.acts)
	n.handle(InterfaceChanged{"eth1", true})
	if n.state("VI_1") != StateBackup || n.state("VI_2") != StateBackup {
		t.Fatalf("after recovery %v/%v", n.state("VI_1"), n.state("VI_2"))
	}
	if g := groupNotifies(n, fromIdx); len(g) != 1 || g[0] != StateBackup {
		t.Errorf("group notifications %v", g)
	}
}

// A member faulty at start puts the whole group in FAULT at start.
func TestSyncGroupFaultAtStart(t *testing.T) {
	n := newFSMNode(t, syncConf("", ""), "10.0.0.1", Facts{InterfaceUp: func(s string) bool { return s != "eth1" }})
	n.handle(Start{})
	for _, name := range []string{"VI_1", "VI_2"} {
		if n.state(name) != StateFault {
			t.Errorf("%s in %v", name, n.state(name))
		}
		if _, ok := n.first(fsmT0, func(a Action) bool { return a.Instance == name && a.Kind == ActNotify && a.State == StateFault }); !ok {
			t.Errorf("%s: no FAULT notification", name)
		}
	}
	if !n.hasLog("(VI_1) entering FAULT state") || !n.hasLog("(VI_2): entering FAULT state (interface eth1 down)") {
		t.Errorf("logs %q", n.logs())
	}
	n.handle(InterfaceChanged{"eth1", true})
	if n.state("VI_1") != StateBackup || n.state("VI_2") != StateBackup {
		t.Fatalf("after recovery %v/%v", n.state("VI_1"), n.state("VI_2"))
	}
}

// A lower-priority advert to one master makes every member with
// garp_lower_prio_repeat announce its addresses.
func TestSyncGroupLowerPrioGARP(t *testing.T) {
	n := newFSMNode(t, syncConf("garp_master_delay 0", "garp_master_delay 0"), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	from := n.now
	n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 50})
	for _, name := range []string{"VI_1", "VI_2"} {
		if _, ok := n.first(from, func(a Action) bool { return a.Instance == name && a.Kind == ActGARP }); !ok {
			t.Errorf("%s sent no GARP", name)
		}
	}
}
