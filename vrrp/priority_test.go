package vrrp

import (
	"fmt"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/parser"
	"slices"
	"testing"
	"time"
)

// Effective priority from weighted trackers (spec §5.1): the weight's sign
// selects the state in which it applies, reverse flips the sign, the result
// is clamped to 1..254, and an owner never changes.
func TestEffectivePriority(t *testing.T) {
	type ev struct {
		e    Event
		prio int
	}
	script := func(w string) string {
		return fmt.Sprintf("vrrp_script chk {\n script \"/bin/true\"\n %s\n}\n", w)
	}
	ok, fail := ScriptResult{Script: "chk"}, ScriptResult{Script: "chk", ExitStatus: 1}
	for _, tc := range []struct {
		name  string
		conf  string
		facts Facts
		start int // effective priority after Start
		steps []ev
	}{
		{"script +20", script("weight 20") + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{}, 100,
			[]ev{{ok, 120}, {fail, 100}, {ok, 120}}},
		{"script -60 (spec: 150→90)", script("weight -60") + fsmInst("VI_1", 150, "track_script {\n chk\n }"), Facts{}, 150,
			[]ev{{fail, 90}, {ok, 150}}},
		{"script +20 reverse", script("weight 20 reverse") + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{}, 100,
			[]ev{{ok, 80}, {fail, 100}}},
		{"script -20 reverse", script("weight -20 reverse") + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{}, 100,
			[]ev{{fail, 120}, {ok, 100}}},
		{"instance weight overrides the script's", script("weight 20") + fsmInst("VI_1", 100, "track_script {\n chk weight -30\n }"), Facts{}, 100,
			[]ev{{ok, 100}, {fail, 70}}},
		{"clamped to 254", script("weight 100") + fsmInst("VI_1", 200, "track_script {\n chk\n }"), Facts{}, 200,
			[]ev{{ok, 254}}},
		{"clamped to 1", script("weight -100") + fsmInst("VI_1", 50, "track_script {\n chk\n }"), Facts{}, 50,
			[]ev{{fail, 1}}},
		{"init_fail counts as failed from the start", script("weight -30\n init_fail") + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{}, 70,
			[]ev{{ok, 100}}},
		{"interface weight 10", fsmInst("VI_1", 100, "track_interface {\n eth1 weight 10\n }"), Facts{}, 110,
			[]ev{{InterfaceChanged{"eth1", false}, 100}, {InterfaceChanged{"eth1", true}, 110}}},
		{"interface weight -10 down at start", fsmInst("VI_1", 100, "track_interface {\n eth1 weight -10\n }"),
			Facts{InterfaceUp: func(n string) bool { return n != "eth1" }}, 90,
			[]ev{{InterfaceChanged{"eth1", true}, 100}}},
		{"track_file weight 5 × value", "track_file tf {\n file /tmp/x\n weight 5\n}\n" + fsmInst("VI_1", 100, "track_file {\n tf\n }"),
			Facts{TrackFileValue: func(string) int64 { return 2 }}, 110,
			[]ev{{TrackFileChanged{"tf", -4}, 80}, {TrackFileChanged{"tf", 0}, 100}, {TrackFileChanged{"tf", 1000}, 254}}},
		{"track_file reverse", "track_file tf {\n file /tmp/x\n weight 5 reverse\n}\n" + fsmInst("VI_1", 100, "track_file {\n tf\n }"), Facts{}, 100,
			[]ev{{TrackFileChanged{"tf", 3}, 85}}},
		{"track_process weight 10", "vrrp_track_process p {\n process nginx\n weight 10\n quorum 2\n}\n" + fsmInst("VI_1", 100, "track_process {\n p\n }"),
			Facts{ProcessCount: func(string) int { return 1 }}, 100,
			[]ev{{ProcessCountChanged{"p", 2}, 110}, {ProcessCountChanged{"p", 3}, 110}, {ProcessCountChanged{"p", 0}, 100}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", tc.facts)
			n.handle(Start{})
			if st, _ := n.m.Status("VI_1"); st.EffectivePriority != tc.start {
				t.Fatalf("start priority %d, want %d", st.EffectivePriority, tc.start)
			}
			for i, s := range tc.steps {
				n.advance(time.Second)
				n.handle(s.e)
				if st, _ := n.m.Status("VI_1"); st.EffectivePriority != s.prio {
					t.Fatalf("step %d (%#v): priority %d, want %d", i, s.e, st.EffectivePriority, s.prio)
				}
			}
		})
	}
}

// The rise/fall counter of a vrrp_script (spec §5.3): one success away from
// OK at start, failed at once on the first failure; afterwards rise
// consecutive successes / fall consecutive failures.
func TestScriptRiseFall(t *testing.T) {
	ok, fail := ScriptResult{Script: "chk"}, ScriptResult{Script: "chk", ExitStatus: 2}
	for _, tc := range []struct {
		name    string
		opts    string
		results []ScriptResult
		prio    []int // priority after each result (weight 10, base 100)
	}{
		{"rise 1 fall 1", "", []ScriptResult{ok, fail, ok}, []int{110, 100, 110}},
		{"first failure is immediate even with fall 3", "fall 3", []ScriptResult{fail}, []int{100}},
		{"fall 3 after OK", "fall 3", []ScriptResult{ok, fail, fail, ok, fail, fail, fail}, []int{110, 110, 110, 110, 110, 110, 100}},
		{"rise 2: one success at start is enough", "rise 2", []ScriptResult{ok}, []int{110}},
		{"rise 2 after a failure", "rise 2", []ScriptResult{fail, ok, fail, ok, ok}, []int{100, 100, 100, 100, 110}},
		{"init_fail rise 2", "rise 2\n init_fail", []ScriptResult{ok, ok}, []int{100, 110}},
		{"timeout counts as failure", "", []ScriptResult{ok, {Script: "chk", TimedOut: true}}, []int{110, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := "vrrp_script chk {\n script \"/bin/true\"\n weight 10\n " + tc.opts + "\n}\n" + fsmInst("VI_1", 100, "track_script {\n chk\n }")
			n := newFSMNode(t, conf, "10.0.0.1", Facts{})
			n.handle(Start{})
			for i, r := range tc.results {
				n.handle(r)
				if st, _ := n.m.Status("VI_1"); st.EffectivePriority != tc.prio[i] {
					t.Fatalf("after result %d: priority %d, want %d", i, st.EffectivePriority, tc.prio[i])
				}
			}
		})
	}
}

// Log lines of script results, in keepalived's words.
func TestScriptLogLines(t *testing.T) {
	conf := "vrrp_script chk {\n script \"/bin/true\"\n weight 10\n}\n" + fsmInst("VI_1", 100, "track_script {\n chk\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.handle(ScriptResult{Script: "chk"})
	n.handle(ScriptResult{Script: "chk", ExitStatus: 3})
	n.handle(ScriptResult{Script: "chk"})
	n.handle(ScriptResult{Script: "chk", Signal: 9})
	want := []string{
		"VRRP_Script(chk) succeeded",
		"(VI_1) Changing effective priority from 100 to 110",
		"Script `chk` now returning 3",
		"VRRP_Script(chk) failed (exited with status 3)",
		"(VI_1) Changing effective priority from 110 to 100",
		"Script `chk` now returning 0",
		"VRRP_Script(chk) succeeded",
		"(VI_1) Changing effective priority from 100 to 110",
		"VRRP_Script(chk) failed (due to signal 9)",
		"(VI_1) Changing effective priority from 110 to 100",
	}
	logs := n.logs()
	if i := slices.Index(logs, want[0]); i < 0 || !slices.Equal(logs[i:], want) {
		t.Errorf("logs:\n%q\nwant tail:\n%q", logs, want)
	}
}

// Weight-0 trackers put the instance in FAULT (spec §4.8, §5.1); leaving
// FAULT goes to BACKUP with a full Master_Down_Interval.
func TestFaultTrackers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		conf       string
		facts      Facts
		down, up   Event
		startFault bool
	}{
		{"own interface", fsmInst("VI_1", 100), Facts{},
			InterfaceChanged{"eth0", false}, InterfaceChanged{"eth0", true}, false},
		{"track_interface", fsmInst("VI_1", 100, "track_interface {\n eth1\n }"), Facts{},
			InterfaceChanged{"eth1", false}, InterfaceChanged{"eth1", true}, false},
		{"track_interface down at start", fsmInst("VI_1", 100, "track_interface {\n eth1\n }"),
			Facts{InterfaceUp: func(n string) bool { return n != "eth1" }},
			nil, InterfaceChanged{"eth1", true}, true},
		{"track_interface reverse weight 0", fsmInst("VI_1", 100, "track_interface {\n eth1 weight 0 reverse\n }"),
			Facts{InterfaceUp: func(n string) bool { return n != "eth1" }},
			InterfaceChanged{"eth1", true}, InterfaceChanged{"eth1", false}, false},
		{"weight-0 script", "vrrp_script chk {\n script \"/bin/true\"\n}\n" + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{},
			ScriptResult{Script: "chk", ExitStatus: 1}, ScriptResult{Script: "chk"}, false},
		{"track_file weight 0", "track_file tf {\n file /tmp/x\n weight 0\n}\n" + fsmInst("VI_1", 100, "track_file {\n tf\n }"), Facts{},
			TrackFileChanged{"tf", 7}, TrackFileChanged{"tf", 0}, false},
		{"track_file weighted to -254", "track_file tf {\n file /tmp/x\n weight -254\n}\n" + fsmInst("VI_1", 100, "track_file {\n tf\n }"), Facts{},
			TrackFileChanged{"tf", 1}, TrackFileChanged{"tf", 0}, false},
		{"track_process quorum", "vrrp_track_process p {\n process nginx\n}\n" + fsmInst("VI_1", 100, "track_process {\n p\n }"),
			Facts{ProcessCount: func(string) int { return 1 }},
			ProcessCountChanged{"p", 0}, ProcessCountChanged{"p", 1}, false},
		{"runner fault (unicast_fault_no_peer)", fsmInst("VI_1", 100), Facts{},
			FaultChanged{"VI_1", "no peer", true}, FaultChanged{"VI_1", "no peer", false}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", tc.facts)
			n.handle(Start{})
			if tc.startFault {
				if n.state("VI_1") != StateFault {
					t.Fatalf("start state %v", n.state("VI_1"))
				}
			} else {
				n.advance(time.Second)
				n.handle(ScriptResult{Script: "chk"}) // first result, if any script
				n.advance(5 * time.Second)
				if n.state("VI_1") != StateMaster {
					t.Fatalf("not MASTER: %q", n.logs())
				}
				from := len(n.acts)
				n.handle(tc.down)
				if n.state("VI_1") != StateFault {
					t.Fatalf("not FAULT after %#v", tc.down)
				}
				var zero int
				for _, a := range n.acts[from:] {
					if a.Kind == ActSendAdvert && a.Priority == 0 {
						zero++
					}
				}
				if zero != 2 {
					t.Errorf("%d priority-0 adverts leaving MASTER for FAULT, want 2", zero)
				}
				if !n.hasLog("(VI_1) Entering FAULT STATE") {
					t.Errorf("logs %q", n.logs())
				}
				if st, _ := n.m.Status("VI_1"); st.VIPsSet || !st.Deadline.IsZero() {
					t.Errorf("FAULT with VIPs %v deadline %v", st.VIPsSet, st.Deadline)
				}
				// adverts are ignored in FAULT
				n.handle(AdvertReceived{Instance: "VI_1", Priority: 200})
			}
			n.advance(time.Second)
			n.handle(tc.up)
			if n.state("VI_1") != StateBackup {
				t.Fatalf("not BACKUP after %#v: %v", tc.up, n.state("VI_1"))
			}
			st, _ := n.m.Status("VI_1")
			if got := st.Deadline.Sub(n.now); got != 3609375*time.Microsecond {
				t.Errorf("down timer %v after leaving FAULT", got)
			}
		})
	}
}

// A weight-0 script that has not reported yet holds the instance silently
// (spec §4.2): no log, no notification, no adverts; its first result
// decides.
func TestScriptInitHold(t *testing.T) {
	conf := "vrrp_script chk {\n script \"/bin/true\"\n}\n" + fsmInst("VI_1", 100, "track_script {\n chk\n }")
	for _, first := range []ScriptResult{{Script: "chk"}, {Script: "chk", ExitStatus: 1}} {
		n := newFSMNode(t, conf, "10.0.0.1", Facts{})
		n.handle(Start{})
		if n.state("VI_1") != StateFault {
			t.Fatalf("held instance in %v", n.state("VI_1"))
		}
		for _, a := range n.acts {
			if a.Kind == ActNotify || (a.Kind == ActLog && !a.Detail) {
				t.Errorf("held instance said %v", a.Action)
			}
		}
		n.advance(10 * time.Second)
		if _, ok := n.first(fsmT0, isKind(ActSendAdvert)); ok {
			t.Error("held instance advertised")
		}
		from := n.now
		n.handle(first)
		want := StateBackup
		if first.ExitStatus != 0 {
			want = StateFault
		}
		if n.state("VI_1") != want {
			t.Errorf("after %v: %v, want %v", first, n.state("VI_1"), want)
		}
		a, ok := n.first(from, isKind(ActNotify))
		if !ok || a.State != want {
			t.Errorf("notification %v, want %v", a, want)
		}
		if want == StateBackup && !n.hasLog("(VI_1) Entering BACKUP STATE") {
			t.Errorf("logs %q", n.logs())
		}
	}
}

// Multiple fault causes are counted; all must clear.
func TestFaultCausesCount(t *testing.T) {
	n := newFSMNode(t, fsmInst("VI_1", 100, "track_interface {\n eth1\n eth2\n }"), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.handle(InterfaceChanged{"eth1", false})
	n.handle(InterfaceChanged{"eth2", false})
	n.handle(FaultChanged{"VI_1", "x", true})
	n.handle(FaultChanged{"VI_1", "x", true}) // same cause twice counts once
	for _, e := range []Event{InterfaceChanged{"eth1", true}, FaultChanged{"VI_1", "x", false}} {
		n.handle(e)
		if n.state("VI_1") != StateFault {
			t.Fatalf("left FAULT after %#v", e)
		}
	}
	n.handle(InterfaceChanged{"eth2", true})
	if n.state("VI_1") != StateBackup {
		t.Fatalf("still %v", n.state("VI_1"))
	}
}

// No source address: FAULT from the start with keepalived's message.
func TestNoSourceAddress(t *testing.T) {
	cfg := fsmConfig(t, fsmInst("VI_1", 100))
	m, err := NewMachine(cfg, Facts{})
	if err != nil {
		t.Fatal(err)
	}
	acts := m.Handle(fsmT0, Start{})
	st, _ := m.Status("VI_1")
	if st.State != StateFault {
		t.Fatalf("state %v", st.State)
	}
	found := false
	for _, a := range acts {
		found = found || a.Msg == "(VI_1) entering FAULT state (no IPv4 address for interface)"
	}
	if !found {
		t.Errorf("actions %v", acts)
	}
}

// The source address appearing later ends that fault; losing it again
// puts the instance back in FAULT.
func TestSourceAddrChanged(t *testing.T) {
	cfg := fsmConfig(t, fsmInst("VI_1", 100))
	m, err := NewMachine(cfg, Facts{})
	if err != nil {
		t.Fatal(err)
	}
	m.Handle(fsmT0, Start{})
	m.Handle(fsmT0.Add(time.Second), SourceAddrChanged{Instance: "VI_1", Addr: netip.MustParseAddr("10.0.0.1")})
	st, _ := m.Status("VI_1")
	if st.State != StateBackup || st.SourceAddr != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("after the address appeared: %+v", st)
	}
	m.Handle(fsmT0.Add(2*time.Second), SourceAddrChanged{Instance: "VI_1"})
	if st, _ := m.Status("VI_1"); st.State != StateFault {
		t.Fatalf("after the address went: %v", st.State)
	}
}

// An address owner's priority never floats (spec §4.10): the parser turns
// its weighted trackers into weight 0, and even a weighted link left in
// the configuration does not move it.
func TestOwnerPriorityFixed(t *testing.T) {
	// keepalived drops it: "(VI_1) ignoring eth1 tracked interface due to
	// address owner"
	res := parser.LoadBytes("test.conf", []byte(fsmInst("VI_1", 255, "track_interface {\n eth1 weight 10\n }")), parser.Options{Host: fsmHost{}})
	cfg := res.Config
	if n := len(cfg.Instances[0].TrackInterfaces); n != 0 {
		t.Errorf("parser kept %d weighted trackers on an owner", n)
	}
	cfg.Instances[0].TrackInterfaces = []*parser.TrackEntry{{Name: "eth1", Weight: -10}}
	m, err := NewMachine(cfg, Facts{SourceAddr: func(string) netip.Addr { return netip.MustParseAddr("10.0.0.1") }})
	if err != nil {
		t.Fatal(err)
	}
	m.Handle(fsmT0, Start{})
	m.Handle(fsmT0.Add(time.Microsecond), Timer{})
	m.Handle(fsmT0.Add(time.Second), InterfaceChanged{"eth1", false})
	if st, _ := m.Status("VI_1"); st.EffectivePriority != 255 || st.State != StateMaster {
		t.Errorf("owner: priority %d state %v", st.EffectivePriority, st.State)
	}
}

// track_bfd: a weight-0 BFD session that is not up yet holds the instance
// in FAULT; a weighted one moves the priority.
func TestTrackBFD(t *testing.T) {
	bfd := "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n"
	n := newFSMNode(t, bfd+fsmInst("VI_1", 100, "track_bfd {\n b1\n }"), "10.0.0.1", Facts{})
	n.handle(Start{})
	if n.state("VI_1") != StateFault {
		t.Fatalf("state %v before BFD is up", n.state("VI_1"))
	}
	n.handle(BFDChanged{"b1", true})
	if n.state("VI_1") != StateBackup || !n.hasLog("VRRP_Instance(VI_1) Tracked BFD instance b1 is UP") {
		t.Fatalf("state %v, logs %q", n.state("VI_1"), n.logs())
	}
	n.handle(BFDChanged{"b1", false})
	if n.state("VI_1") != StateFault {
		t.Fatalf("state %v after BFD down", n.state("VI_1"))
	}

	w := newFSMNode(t, bfd+fsmInst("VI_1", 100, "track_bfd {\n b1 weight 10\n }"), "10.0.0.1", Facts{BFDUp: func(string) bool { return true }})
	w.handle(Start{})
	for _, step := range []struct {
		up   bool
		prio int
	}{{true, 110}, {false, 100}, {true, 110}} {
		w.handle(BFDChanged{"b1", step.up})
		if st, _ := w.m.Status("VI_1"); st.EffectivePriority != step.prio {
			t.Errorf("BFD up=%v: priority %d, want %d", step.up, st.EffectivePriority, step.prio)
		}
	}
}
