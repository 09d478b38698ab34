package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// reloadMachine reloads n's machine with conf at n's clock and records the
// actions like handle does.
func (n *fsmNode) reload(conf string, facts Facts) (before, after []Action) {
	n.t.Helper()
	if facts.SourceAddr == nil {
		facts.SourceAddr = func(string) netip.Addr { return n.src }
	}
	before, after, err := n.m.Reload(fsmConfig(n.t, conf), facts, n.now)
	if err != nil {
		n.t.Fatal(err)
	}
	for _, a := range append(slices.Clone(before), after...) {
		n.acts = append(n.acts, stamped{n.now, a})
	}
	n.checkDeadline()
	return before, after
}

func kinds(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind != ActLog {
			out = append(out, a.String())
		}
	}
	return out
}

// A vrrp_script's result survives a reload under its name, scaled to the
// new rise/fall (clear_diff_script): a failed weighted script keeps the
// priority lowered, with keepalived's line and no priority change.
func TestMachineReloadKeepsScriptResult(t *testing.T) {
	conf := func(rise int) string {
		return `vrrp_script chk {
  script "/bin/true"
  weight -20
  rise ` + itoa(rise) + `
  fall 2
}
` + fsmInst("VI_1", 100, "track_script {\n chk\n }")
	}
	n := newFSMNode(t, conf(2), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	if n.state("VI_1") != StateMaster {
		t.Fatalf("VI_1 is %v", n.state("VI_1"))
	}
	n.handle(ScriptResult{Script: "chk", ExitStatus: 0})
	n.handle(ScriptResult{Script: "chk", ExitStatus: 1})
	n.handle(ScriptResult{Script: "chk", ExitStatus: 1})
	st, _ := n.m.Status("VI_1")
	if st.EffectivePriority != 80 {
		t.Fatalf("effective priority %d", st.EffectivePriority)
	}
	from := len(n.acts)
	before, after := n.reload(conf(3), Facts{})
	if got := kinds(before); !slices.Equal(got, []string{"VI_1 SendAdvert prio 80"}) {
		t.Errorf("before %v", got)
	}
	if got := kinds(after); len(got) != 0 {
		t.Errorf("after %v", got)
	}
	n.advance(0) // the advert timer restarts at once
	if a, ok := n.first(n.now, isAdvert(80)); !ok || a.at != n.now {
		t.Errorf("no advert right after the reload")
	}
	if !slices.Contains(n.logs()[0:], "VRRP_Script(chk) considered unsuccessful on reload") {
		t.Errorf("logs %q", n.logs())
	}
	for _, a := range n.acts[from:] {
		if a.Kind == ActLog && a.Msg != "VRRP_Script(chk) considered unsuccessful on reload" {
			t.Errorf("unexpected line %q", a.Msg)
		}
	}
	scripts := n.m.Scripts()
	if len(scripts) != 1 || scripts[0].Result != 0 || scripts[0].Rise != 3 || scripts[0].Good() || scripts[0].InitState != "" {
		t.Errorf("scripts %+v", scripts)
	}
	st, _ = n.m.Status("VI_1")
	if st.State != StateMaster || st.EffectivePriority != 80 {
		t.Errorf("status %+v", st)
	}
	// the script coming back needs the new rise (3 good runs)
	for i := 0; i < 3; i++ {
		n.handle(ScriptResult{Script: "chk"})
	}
	if st, _ = n.m.Status("VI_1"); st.EffectivePriority != 100 {
		t.Errorf("effective priority %d after 3 good runs", st.EffectivePriority)
	}
}

// FAULT is recomputed on reload: a tracked interface found down puts a
// BACKUP in FAULT (notified); found up again at the next reload, the
// instance comes back to BACKUP.
func TestMachineReloadRecomputesFault(t *testing.T) {
	conf := fsmInst("VI_1", 100, "track_interface {\n eth1\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(time.Second)
	n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 200})
	down := Facts{InterfaceUp: func(name string) bool { return name != "eth1" }}
	_, after := n.reload(conf, down)
	if got := kinds(after); !slices.Equal(got, []string{"VI_1 Notify FAULT prio 100"}) {
		t.Errorf("after %v", got)
	}
	if n.state("VI_1") != StateFault {
		t.Fatalf("VI_1 is %v", n.state("VI_1"))
	}
	if _, ok := n.m.NextDeadline(); ok {
		t.Error("a FAULT instance keeps a timer")
	}
	_, after = n.reload(conf, Facts{})
	if got := kinds(after); !slices.Equal(got, []string{"VI_1 Notify BACKUP prio 100"}) {
		t.Errorf("after %v", got)
	}
	if n.state("VI_1") != StateBackup {
		t.Fatalf("VI_1 is %v", n.state("VI_1"))
	}
	// and times out to MASTER one Master_Down_Interval later
	n.advance(4 * time.Second)
	if n.state("VI_1") != StateMaster {
		t.Errorf("VI_1 is %v", n.state("VI_1"))
	}
}

// A MASTER whose tracked interface is down after the reload enters FAULT
// and drops its addresses, without a priority-0 advert (keepalived works
// the state out afresh in vrrp_init_state).
func TestMachineReloadMasterToFault(t *testing.T) {
	conf := fsmInst("VI_1", 100, "track_interface {\n eth1\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	_, after := n.reload(conf, Facts{InterfaceUp: func(name string) bool { return name != "eth1" }})
	want := []string{"VI_1 Notify FAULT prio 100", "VI_1 CancelGARP", "VI_1 DelVIPs"}
	if got := kinds(after); !slices.Equal(got, want) {
		t.Errorf("after %v\nwant  %v", got, want)
	}
	if c, _ := n.m.Counters("VI_1"); c.ReleaseMaster != 0 || c.BecomeMaster != 1 || c.PriZeroSent != 0 {
		t.Errorf("counters %+v", c)
	}
}

// MatchInstances pairs by VRID, family, interface and addressing; a VRID
// change makes a new instance.
func TestMatchInstances(t *testing.T) {
	old := fsmConfig(t, fsmInst("A", 100)+`vrrp_instance B {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    10.0.0.101/24
  }
}
`)
	cfg := fsmConfig(t, fsmInst("X", 100)+`vrrp_instance B {
  interface eth0
  virtual_router_id 53
  virtual_ipaddress {
    10.0.0.101/24
  }
}
`)
	got := MatchInstances(old, cfg)
	if len(got) != 1 || got["X"] != "A" {
		t.Errorf("matches %v", got)
	}
}

// Sync groups: a group whose state did not change says nothing; a new
// group of BACKUP members notifies BACKUP; a group whose member is now
// faulty goes FAULT.
func TestMachineReloadSyncGroups(t *testing.T) {
	group := func(name string, extra string) string {
		return "vrrp_sync_group " + name + " {\n  group {\n    VI_1\n    VI_2\n  }\n" + extra + "}\n" +
			"vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  priority 100\n  virtual_ipaddress {\n    10.0.0.102/24\n  }\n}\n"
	}
	conf := group("G", "") + fsmInst("VI_1", 100, "track_interface {\n eth1\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(time.Second)
	if st, _ := n.m.GroupState("G"); st != StateBackup {
		t.Fatalf("group %v", st)
	}
	if _, after := n.reload(conf, Facts{}); len(kinds(after)) != 0 {
		t.Errorf("identical reload: %v", kinds(after))
	}
	renamed := group("H", "") + fsmInst("VI_1", 100, "track_interface {\n eth1\n }")
	if _, after := n.reload(renamed, Facts{}); !slices.Equal(kinds(after), []string{"group H Notify BACKUP prio 0"}) {
		t.Errorf("new group: %v", kinds(after))
	}
	_, after := n.reload(renamed, Facts{InterfaceUp: func(name string) bool { return name != "eth1" }})
	if st, _ := n.m.GroupState("H"); st != StateFault {
		t.Errorf("group %v with a faulty member", st)
	}
	if !slices.Contains(kinds(after), "group H Notify FAULT prio 0") || !slices.Contains(kinds(after), "VI_1 Notify FAULT prio 100") {
		t.Errorf("fault: %v", kinds(after))
	}
	if sg := n.m.SyncGroups(); len(sg) != 1 || sg[0].NumMemberFault != 1 || !slices.Equal(sg[0].Members, []string{"VI_1", "VI_2"}) {
		t.Errorf("sync groups %+v", sg)
	}
}

// fifo_write_vrrp_states_on_reload: an instance keeping BACKUP writes its
// state to the FIFOs again (FIFO only); without the option nothing.
func TestMachineReloadFIFOStates(t *testing.T) {
	for _, on := range []bool{false, true} {
		conf := fsmInst("VI_1", 100)
		if on {
			conf = "global_defs {\n  fifo_write_vrrp_states_on_reload\n}\n" + conf
		}
		n := newFSMNode(t, conf, "10.0.0.1", Facts{})
		n.handle(Start{})
		n.advance(time.Second)
		n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 200})
		_, after := n.reload(conf, Facts{})
		var got []Action
		for _, a := range after {
			if a.Kind == ActNotify {
				got = append(got, a)
			}
		}
		switch {
		case !on && len(got) != 0:
			t.Errorf("notifications without the option: %v", got)
		case on && (len(got) != 1 || !got[0].FIFOOnly || got[0].NotifyType != "BACKUP" || got[0].Instance != "VI_1"):
			t.Errorf("notifications with the option: %+v", got)
		}
	}
}

// A changed priority of a MASTER with notify_priority_changes is logged
// and told to the FIFOs as MASTER_PRIORITY.
func TestMachineReloadPriorityNotify(t *testing.T) {
	conf := func(prio int) string { return fsmInst("VI_1", prio, "notify_priority_changes") }
	n := newFSMNode(t, conf(100), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(5 * time.Second)
	_, after := n.reload(conf(120), Facts{})
	if got := kinds(after); !slices.Equal(got, []string{"VI_1 Notify MASTER_PRIORITY prio 120"}) {
		t.Errorf("after %v", got)
	}
	if !n.hasLog("(VI_1) Changing effective priority from 100 to 120") {
		t.Errorf("logs %q", n.logs())
	}
}
