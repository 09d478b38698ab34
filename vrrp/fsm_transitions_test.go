package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// Every transition of spec §4, each with the notifications and the
// keepalived log line that go with it.
func TestStateTransitions(t *testing.T) {
	higher := AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 200}
	ifDown, ifUp := InterfaceChanged{"eth0", false}, InterfaceChanged{"eth0", true}
	script := "vrrp_script chk {\n script \"/bin/true\"\n}\n"
	type step struct {
		wait time.Duration
		ev   Event
	}
	for _, tc := range []struct {
		name    string
		conf    string
		facts   Facts
		steps   []step
		final   State
		notify  []State  // instance notifications, in order
		logline []string // must all be logged
	}{
		{"INIT→BACKUP", fsmInst("VI_1", 100), Facts{}, nil,
			StateBackup, []State{StateBackup}, []string{"(VI_1) Entering BACKUP STATE (init)"}},
		{"INIT→FAULT (interface down)", fsmInst("VI_1", 100), Facts{InterfaceUp: func(string) bool { return false }}, nil,
			StateFault, []State{StateFault}, []string{"(VI_1): entering FAULT state (interface eth0 down)", "(VI_1) entering FAULT state"}},
		{"INIT→FAULT silently (script not run yet)", script + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{}, nil,
			StateFault, nil, nil},
		{"INIT→MASTER (owner)", fsmInst("VI_1", 255), Facts{}, []step{{time.Microsecond, nil}},
			StateMaster, []State{StateMaster}, []string{"(VI_1) Entering MASTER STATE"}},
		{"BACKUP→MASTER (down timer)", fsmInst("VI_1", 100), Facts{}, []step{{4 * time.Second, nil}},
			StateMaster, []State{StateBackup, StateMaster}, []string{"(VI_1) Entering MASTER STATE"}},
		{"BACKUP→FAULT", fsmInst("VI_1", 100), Facts{}, []step{{time.Second, ifDown}},
			StateFault, []State{StateBackup, StateFault}, []string{"(VI_1) Entering FAULT STATE"}},
		{"BACKUP→STOP", fsmInst("VI_1", 100), Facts{}, []step{{time.Second, Shutdown{}}},
			StateStop, []State{StateBackup, StateStop}, nil},
		{"MASTER→BACKUP (higher priority)", fsmInst("VI_1", 100), Facts{}, []step{{4 * time.Second, higher}},
			StateBackup, []State{StateBackup, StateMaster, StateBackup},
			[]string{"(VI_1) Master received advert from 10.0.0.2 with higher priority 200, ours 100", "(VI_1) Entering BACKUP STATE"}},
		{"MASTER→FAULT", fsmInst("VI_1", 100), Facts{}, []step{{4 * time.Second, ifDown}},
			StateFault, []State{StateBackup, StateMaster, StateFault}, []string{"(VI_1) Entering FAULT STATE"}},
		{"MASTER→STOP", fsmInst("VI_1", 100), Facts{}, []step{{4 * time.Second, Shutdown{}}},
			StateStop, []State{StateBackup, StateMaster, StateStop}, nil},
		{"FAULT→BACKUP", fsmInst("VI_1", 100), Facts{}, []step{{time.Second, ifDown}, {time.Second, ifUp}},
			StateBackup, []State{StateBackup, StateFault, StateBackup}, []string{"(VI_1) Entering BACKUP STATE"}},
		{"FAULT→STOP", fsmInst("VI_1", 100), Facts{}, []step{{time.Second, ifDown}, {time.Second, Shutdown{}}},
			StateStop, []State{StateBackup, StateFault, StateStop}, nil},
		{"FAULT(held)→BACKUP on the first success", script + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{},
			[]step{{ms(10), ScriptResult{Script: "chk"}}},
			StateBackup, []State{StateBackup}, []string{"(VI_1) Entering BACKUP STATE"}},
		{"FAULT(held)→FAULT on the first failure", script + fsmInst("VI_1", 100, "track_script {\n chk\n }"), Facts{},
			[]step{{ms(10), ScriptResult{Script: "chk", ExitStatus: 1}}},
			StateFault, []State{StateFault}, []string{"VRRP_Script(chk) failed (exited with status 1)"}},
		// keepalived 2.2.7 leaves wantstate at FAULT, so an owner recovers
		// through BACKUP and takes over 3·adv + skew(255) later.
		{"owner FAULT→BACKUP→MASTER", fsmInst("VI_1", 255), Facts{},
			[]step{{time.Second, ifDown}, {time.Second, ifUp}, {3003906 * time.Microsecond, nil}},
			StateMaster, []State{StateMaster, StateFault, StateBackup, StateMaster}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", tc.facts)
			n.handle(Start{})
			for _, s := range tc.steps {
				n.advance(s.wait)
				if s.ev != nil {
					n.handle(s.ev)
				}
			}
			if got := n.state("VI_1"); got != tc.final {
				t.Errorf("state %v, want %v", got, tc.final)
			}
			var notes []State
			for _, a := range n.acts {
				if a.Kind == ActNotify && a.Instance == "VI_1" {
					notes = append(notes, a.State)
				}
			}
			if !slices.Equal(notes, tc.notify) {
				t.Errorf("notifications %v, want %v", notes, tc.notify)
			}
			for _, l := range tc.logline {
				if !n.hasLog(l) {
					t.Errorf("missing %q in %q", l, n.logs())
				}
			}
			st, _ := n.m.Status("VI_1")
			if st.VIPsSet != (tc.final == StateMaster) {
				t.Errorf("VIPs set %v in %v", st.VIPsSet, tc.final)
			}
		})
	}
}
