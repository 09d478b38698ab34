package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Start-up waits (spec §4.2, testing.md): every non-owner waits a full
// Master_Down_Interval, even with `state MASTER`; an owner configured
// MASTER goes at once (1 µs, keepalived's trick); an owner configured
// BACKUP waits 3·adv + skew(255).
func TestStartupWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		conf   string
		wait   time.Duration
		backup bool // logs "Entering BACKUP STATE (init)" and notifies BACKUP first
	}{
		{"backup 100", fsmInst("VI_1", 100, "state BACKUP"), 3609375 * time.Microsecond, true},
		{"state MASTER 100 (measured ~3.65 s)", fsmInst("VI_1", 100, "state MASTER"), 3609375 * time.Microsecond, true},
		{"state MASTER 150 (spec: 3.43 s)", fsmInst("VI_1", 150, "state MASTER"), 3414062 * time.Microsecond, true},
		{"owner MASTER", fsmInst("VI_1", 255, "state MASTER"), time.Microsecond, false},
		{"owner by default state", fsmInst("VI_1", 255), time.Microsecond, false},
		{"owner BACKUP (spec: 3.03 s)", fsmInst("VI_1", 255, "state BACKUP"), 3003906 * time.Microsecond, true},
		{"v3 prio 100", fsmInst("VI_1", 100, "version 3"), 3609375 * time.Microsecond, true},
		{"down_timer_adverts 5", fsmInst("VI_1", 100, "down_timer_adverts 5"), 5609375 * time.Microsecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", Facts{})
			n.handle(Start{})
			if got := n.hasLog("(VI_1) Entering BACKUP STATE (init)"); got != tc.backup {
				t.Errorf("BACKUP (init) logged = %v, want %v", got, tc.backup)
			}
			_, notified := n.first(fsmT0, func(a Action) bool { return a.Kind == ActNotify && a.State == StateBackup })
			if notified != tc.backup {
				t.Errorf("BACKUP notified = %v, want %v", notified, tc.backup)
			}
			n.advance(10 * time.Second)
			a, ok := n.first(fsmT0, isKind(ActSendAdvert))
			if !ok {
				t.Fatal("never advertised")
			}
			if got := a.at.Sub(fsmT0); got != tc.wait {
				t.Errorf("first advert after %v, want %v", got, tc.wait)
			}
			if !n.hasLog("(VI_1) Entering MASTER STATE") || n.state("VI_1") != StateMaster {
				t.Errorf("not MASTER: %v", n.logs())
			}
		})
	}
}

// The order of becoming MASTER (spec §4.6): advert, log, addresses,
// routes, rules, GARP, notify; and the leftovers cleanup at start.
func TestBecomeMasterActionOrder(t *testing.T) {
	conf := `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24
  }
  virtual_ipaddress_excluded {
    10.0.1.100/24
  }
  virtual_routes {
    10.9.0.0/16 via 10.0.0.254 dev eth0
  }
  virtual_rules {
    from 10.0.0.100 table 100 priority 100
  }
}
`
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	got := n.handle(Start{})
	want := []Action{
		{Kind: ActLog, Msg: "(VI_1) removing Virtual Rules", Detail: true},
		{Kind: ActDelRules, Instance: "VI_1", Force: true},
		{Kind: ActLog, Msg: "(VI_1) removing Virtual Routes", Detail: true},
		{Kind: ActDelRoutes, Instance: "VI_1", Force: true},
		{Kind: ActLog, Msg: "(VI_1) removing VIPs.", Detail: true},
		{Kind: ActDelVIPs, Instance: "VI_1", Accept: true, Force: true},
		{Kind: ActLog, Msg: "(VI_1) removing E-VIPs.", Detail: true},
		{Kind: ActDelEVIPs, Instance: "VI_1", Accept: true, Force: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("start (-want +got):\n%s", d)
	}
	n.now = n.now.Add(time.Microsecond)
	got = n.handle(Timer{})
	want = []Action{
		{Kind: ActLog, Msg: "(VI_1) Receive advertisement timeout", Detail: true},
		{Kind: ActSendAdvert, Instance: "VI_1", Priority: 255},
		{Kind: ActLog, Msg: "(VI_1) Entering MASTER STATE"},
		{Kind: ActLog, Msg: "(VI_1) setting VIPs.", Detail: true},
		{Kind: ActAddVIPs, Instance: "VI_1", Accept: true},
		{Kind: ActLog, Msg: "(VI_1) setting E-VIPs.", Detail: true},
		{Kind: ActAddEVIPs, Instance: "VI_1", Accept: true},
		{Kind: ActLog, Msg: "(VI_1) setting Virtual Routes", Detail: true},
		{Kind: ActAddRoutes, Instance: "VI_1"},
		{Kind: ActLog, Msg: "(VI_1) setting Virtual Rules", Detail: true},
		{Kind: ActAddRules, Instance: "VI_1"},
		{Kind: ActGARP, Instance: "VI_1", Repeat: 5},
		{Kind: ActNotify, Instance: "VI_1", State: StateMaster, NotifyType: "MASTER", Priority: 255},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("become master (-want +got):\n%s", d)
	}
	// leaving by shutdown: one priority-0 advert, rules, routes, queued
	// GARPs, addresses, then STOP
	got = n.handle(Shutdown{})
	want = []Action{
		{Kind: ActSendAdvert, Instance: "VI_1", Priority: 0},
		{Kind: ActLog, Msg: "(VI_1) sent 0 priority", Detail: true},
		{Kind: ActLog, Msg: "(VI_1) removing Virtual Rules", Detail: true},
		{Kind: ActDelRules, Instance: "VI_1"},
		{Kind: ActLog, Msg: "(VI_1) removing Virtual Routes", Detail: true},
		{Kind: ActDelRoutes, Instance: "VI_1"},
		{Kind: ActCancelGARP, Instance: "VI_1"},
		{Kind: ActLog, Msg: "(VI_1) removing VIPs.", Detail: true},
		{Kind: ActDelVIPs, Instance: "VI_1", Accept: true},
		{Kind: ActLog, Msg: "(VI_1) removing E-VIPs.", Detail: true},
		{Kind: ActDelEVIPs, Instance: "VI_1", Accept: true},
		{Kind: ActNotify, Instance: "VI_1", State: StateStop, NotifyType: "STOP", Priority: 255},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("shutdown (-want +got):\n%s", d)
	}
	if _, ok := n.m.NextDeadline(); ok {
		t.Error("timers still run after shutdown")
	}
	if acts := n.handle(Timer{}); acts != nil {
		t.Errorf("events after shutdown: %v", acts)
	}
}

// Failover figures measured from real keepalived (testing.md, spec §9.7):
// SIGTERM of the master makes a priority-80 backup take over after
// Skew_Time (687.5 ms); a crash after Master_Down_Interval minus the phase
// of the last advert.
func TestFailoverMeasured(t *testing.T) {
	setup := func(t *testing.T) (*fsmNet, *fsmNode, *fsmNode) {
		a := newFSMNode(t, fsmInst("VI_1", 100, "state MASTER"), "10.0.0.1", Facts{})
		b := newFSMNode(t, fsmInst("VI_1", 80, "state BACKUP"), "10.0.0.2", Facts{})
		net := newFSMNet(t, a, b)
		net.start()
		net.advance(10 * time.Second)
		if a.state("VI_1") != StateMaster || b.state("VI_1") != StateBackup {
			t.Fatalf("states %v/%v", a.state("VI_1"), b.state("VI_1"))
		}
		return net, a, b
	}
	t.Run("SIGTERM", func(t *testing.T) {
		net, a, b := setup(t)
		net.advance(300 * time.Millisecond) // some phase
		kill := net.now
		net.send(a, Shutdown{})
		net.advance(5 * time.Second)
		m, ok := b.first(kill, isKind(ActAddVIPs))
		if !ok {
			t.Fatal("backup never took the VIP")
		}
		if got := m.at.Sub(kill); got != 687500*time.Microsecond {
			t.Errorf("VIP after %v, want 687.5ms", got)
		}
		if !b.hasLog("(VI_1) Backup received priority 0 advertisement") {
			t.Error("no priority 0 log line")
		}
	})
	for _, phase := range []time.Duration{ms(1), ms(250), ms(600), ms(999)} {
		t.Run("crash/phase "+phase.String(), func(t *testing.T) {
			net, a, b := setup(t)
			// align on an advert of a, then crash phase later
			last, _ := a.m.NextDeadline()
			net.advance(last.Sub(net.now))
			net.advance(phase)
			kill := net.now
			net.down[a] = true
			net.advance(10 * time.Second)
			m, ok := b.first(kill, isKind(ActAddVIPs))
			if !ok {
				t.Fatal("backup never took the VIP")
			}
			want := 3687500*time.Microsecond - phase
			if got := m.at.Sub(kill); got != want {
				t.Errorf("VIP after %v, want %v", got, want)
			}
		})
	}
}

// A backup's reaction to adverts (spec §4.3) and a master's (§4.4).
func TestAdvertReactions(t *testing.T) {
	peer := netip.MustParseAddr("10.0.0.2")
	lowPeer := netip.MustParseAddr("10.0.0.0")
	type step struct {
		after time.Duration // virtual time advanced before the advert
		adv   AdvertReceived
	}
	for _, tc := range []struct {
		name   string
		conf   string
		master bool // make the node MASTER first
		steps  []step
		// expectations after the last step
		state    State
		deadline time.Duration // from the last step; 0 = don't check
		logs     []string
		adverts  int // adverts sent in reaction to the last step
	}{
		{
			name:     "backup accepts higher priority and restarts the down timer",
			conf:     fsmInst("VI_1", 100),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 150}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
		},
		{
			name:     "backup accepts equal priority whatever the address",
			conf:     fsmInst("VI_1", 100),
			steps:    []step{{time.Second, AdvertReceived{Src: lowPeer, Priority: 100}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
		},
		{
			name:     "backup discards lower priority and keeps its deadline",
			conf:     fsmInst("VI_1", 150),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateBackup,
			deadline: 3414062*time.Microsecond - time.Second,
			logs:     []string{"(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding"},
		},
		{
			name:     "priority 0 makes a backup wait skew only",
			conf:     fsmInst("VI_1", 100),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 150}}, {ms(500), AdvertReceived{Src: peer, Priority: 0}}},
			state:    StateBackup,
			deadline: 609375 * time.Microsecond,
		},
		{
			name:     "rejected advert leaves the backup's deadline alone",
			conf:     fsmInst("VI_1", 100),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 150, Rejected: true}}},
			state:    StateBackup,
			deadline: 3609375*time.Microsecond - time.Second,
		},
		{
			name:     "nopreempt backup accepts lower priority",
			conf:     fsmInst("VI_1", 150, "nopreempt"),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateBackup,
			deadline: 3414062 * time.Microsecond,
		},
		{
			name:     "v3 backup adopts the master's interval",
			conf:     fsmInst("VI_1", 100, "version 3", "advert_int 2"),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 150, Interval: time.Second}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
		},
		{
			name:     "v2 backup keeps its own interval",
			conf:     fsmInst("VI_1", 100, "advert_int 2"),
			steps:    []step{{time.Second, AdvertReceived{Src: peer, Priority: 150, Interval: time.Second}}},
			state:    StateBackup,
			deadline: 6609375 * time.Microsecond,
		},
		{
			name:     "master answers lower priority and restarts its timer",
			conf:     fsmInst("VI_1", 150),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateMaster,
			deadline: time.Second,
			logs:     []string{"(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 150, forcing new election"},
			adverts:  1,
		},
		{
			name:     "lower_prio_no_advert: no answer, timer left alone",
			conf:     fsmInst("VI_1", 150, "lower_prio_no_advert"),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateMaster,
			deadline: ms(700),
			logs:     []string{"(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 150"},
		},
		{
			name:     "master equal priority from lower address stays master",
			conf:     fsmInst("VI_1", 100),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: lowPeer, Priority: 100}}},
			state:    StateMaster,
			deadline: time.Second,
			logs:     []string{"(VI_1) Received advert from 10.0.0.0 with lower priority 100, ours 100, forcing new election"},
			adverts:  1,
		},
		{
			name:     "master equal priority from higher address steps down",
			conf:     fsmInst("VI_1", 100),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
			logs:     []string{"(VI_1) Master received advert from 10.0.0.2 with same priority 100 but higher IP address than ours", "(VI_1) Entering BACKUP STATE"},
		},
		{
			name:     "master steps down to higher priority",
			conf:     fsmInst("VI_1", 100),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 150}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
			logs:     []string{"(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100", "(VI_1) Entering BACKUP STATE"},
		},
		{
			name:     "higher_prio_send_advert: one advert before stepping down",
			conf:     fsmInst("VI_1", 100, "higher_prio_send_advert"),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 150}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
			adverts:  1,
		},
		{
			name:     "v3 master stepping down adopts the new master's interval",
			conf:     fsmInst("VI_1", 100, "version 3", "advert_int 2"),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 150, Interval: time.Second}}},
			state:    StateBackup,
			deadline: 3609375 * time.Microsecond,
		},
		{
			name:     "master answers priority 0 and stays",
			conf:     fsmInst("VI_1", 100),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 0}}},
			state:    StateMaster,
			deadline: time.Second,
			adverts:  1,
		},
		{
			name:     "master restarts its timer even on a rejected advert",
			conf:     fsmInst("VI_1", 100),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 150, Rejected: true}}},
			state:    StateMaster,
			deadline: time.Second,
		},
		{
			name:     "strict mode: no answer to lower priority, no GARP",
			conf:     "global_defs {\n vrrp_strict\n}\n" + fsmInst("VI_1", 150),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 100}}},
			state:    StateMaster,
			deadline: ms(700),
			logs:     []string{"(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 150"},
		},
		{
			name:     "owner conflict lowers us to 254 and we step down",
			conf:     fsmInst("VI_1", 255),
			master:   true,
			steps:    []step{{ms(300), AdvertReceived{Src: peer, Priority: 255}}},
			state:    StateBackup,
			logs:     []string{"(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority", "(VI_1) Master received advert from 10.0.0.2 with higher priority 255, ours 254", "(VI_1) Entering BACKUP STATE"},
			deadline: 3007812 * time.Microsecond,
		},
		{
			name:   "equal priority from our own address only warns",
			conf:   fsmInst("VI_1", 100),
			master: true,
			steps:  []step{{ms(300), AdvertReceived{Src: netip.MustParseAddr("10.0.0.1"), Priority: 100}}},
			state:  StateMaster,
			logs:   []string{"(VI_1) WARNING - equal priority advert received from remote host with our IP address."},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.conf, "10.0.0.1", Facts{})
			n.handle(Start{})
			if tc.master {
				n.advance(10 * time.Second)
				if n.state("VI_1") != StateMaster {
					t.Fatal("did not become MASTER")
				}
				// align on an advert
				st, _ := n.m.Status("VI_1")
				d := st.Deadline
				n.advance(d.Sub(n.now))
			}
			var acts []Action
			for _, s := range tc.steps {
				n.now = n.now.Add(s.after)
				s.adv.Instance = "VI_1"
				before := len(n.acts)
				n.handle(s.adv)
				acts = nil
				for _, a := range n.acts[before:] {
					acts = append(acts, a.Action)
				}
			}
			if got := n.state("VI_1"); got != tc.state {
				t.Errorf("state %v, want %v", got, tc.state)
			}
			if tc.deadline != 0 {
				st, _ := n.m.Status("VI_1")
				d := st.Deadline
				if got := d.Sub(n.now); got != tc.deadline {
					t.Errorf("deadline in %v, want %v", got, tc.deadline)
				}
			}
			var logs []string
			adverts := 0
			for _, a := range acts {
				if a.Kind == ActLog && !a.Detail {
					logs = append(logs, a.Msg)
				}
				if a.Kind == ActSendAdvert && a.Priority > 0 {
					adverts++
				}
			}
			for _, l := range tc.logs {
				if !slices.Contains(logs, l) {
					t.Errorf("missing log %q in %q", l, logs)
				}
			}
			if adverts != tc.adverts {
				t.Errorf("%d adverts sent, want %d: %v", adverts, tc.adverts, acts)
			}
		})
	}
}

// Preemption (spec §4.9): a higher-priority backup takes over a working
// lower-priority master Master_Down_Interval after the last advert it
// accepted; nopreempt never; preempt_delay after the delay.
func TestPreemption(t *testing.T) {
	for _, tc := range []struct {
		name     string
		extra    []string
		takeover time.Duration // from the lower master's first advert; 0 = never
	}{
		// the first advert (t=0) is lower: discarded, so the start-up timer
		// (started 0.5 s earlier) runs out
		{"preempt", nil, 3414062*time.Microsecond - ms(500)},
		{"nopreempt", []string{"nopreempt"}, 0},
		// lower adverts accepted until 10 s after the first one (t=0..9),
		// then the down timer runs from the last accepted one
		{"preempt_delay 10", []string{"preempt_delay 10"}, 9*time.Second + 3414062*time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, fsmInst("VI_1", 150, tc.extra...), "10.0.0.1", Facts{})
			n.handle(Start{})
			n.advance(ms(500))
			t0 := n.now
			var took time.Duration
			for i := 0; i < 30 && took == 0; i++ {
				n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 100})
				n.advance(time.Second)
				if a, ok := n.first(t0, isKind(ActAddVIPs)); ok {
					took = a.at.Sub(t0)
				}
			}
			if took != tc.takeover {
				t.Errorf("took over after %v, want %v", took, tc.takeover)
			}
		})
	}
}

// A backup whose priority changes moves its deadline by the change of
// Master_Down_Interval (spec §3, observed 90→150: takeover 3.414 s after the
// last accepted advert).
func TestPriorityChangeShiftsDownTimer(t *testing.T) {
	conf := `vrrp_script chk {
  script "/bin/true"
  weight 60
}
` + fsmInst("VI_1", 90, "track_script {\n chk\n }")
	n := newFSMNode(t, conf, "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(time.Second)
	last := n.now
	n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 100})
	n.advance(ms(200))
	n.handle(ScriptResult{Script: "chk"})
	if !n.hasLog("(VI_1) Changing effective priority from 90 to 150") {
		t.Fatalf("logs %q", n.logs())
	}
	d, _ := n.m.NextDeadline()
	if got := d.Sub(last); got != 3414062*time.Microsecond {
		t.Errorf("takeover %v after the last accepted advert, want 3.414062s", got)
	}
}
