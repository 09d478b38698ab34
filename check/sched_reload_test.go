package check

import (
	"slices"
	"strings"
	"testing"
)

// reloadSim starts conf with rs1 failing from 5 s, runs to 8 s (rs1 down
// at 7 s), then reloads into next.
func reloadSim(t *testing.T, conf, next string) *sim {
	t.Helper()
	sm := newSim(t, conf, Options{})
	sm.script["10.0.1.1:80"] = upUntil(sec(5))
	sm.start().runFor(sec(8))
	if sm.rs(0, 0).Alive {
		t.Fatal("rs1 alive before the reload")
	}
	sm.log.lines, sm.notes.events = nil, nil
	if err := sm.s.reload(loadConfig(t, next), sm.now); err != nil {
		t.Fatal(err)
	}
	return sm
}

func twoRS(rsExtra string) string {
	return `virtual_server 10.0.0.1 80 {
delay_loop 6
protocol TCP
lb_algo rr
lb_kind NAT
real_server 10.0.1.1 80 {
TCP_CHECK {
warmup 0
retry 0
` + rsExtra + `
}
}
real_server 10.0.1.2 80 {
TCP_CHECK {
warmup 0
retry 0
}
}
}
`
}

func TestReload(t *testing.T) {
	base := twoRS("")
	for _, tc := range []struct {
		name      string
		next      string
		wantLog   []string
		wantNotes []string
		rs1Alive  bool
	}{
		{"unchanged: a down server stays down, nothing notified", base,
			[]string{"Reloading"}, nil, false},
		{"timing keywords changed: checker state kept", twoRS("delay_before_retry 2"),
			[]string{"Reloading"}, nil, false},
		{"connection changed: a fresh checker, the server comes back", twoRS("connect_port 81"),
			[]string{"Reloading", "Adding service " + rs1 + " to VS " + vs1, "Activating healthchecker for service " + rs1 + " for VS " + vs1},
			[]string{"RS " + rs1 + " " + vs1 + " UP"}, true},
		{"weight changed: logged as keepalived does", strings.Replace(base, "real_server 10.0.1.2 80 {", "real_server 10.0.1.2 80 {\nweight 4", 1),
			[]string{"Reloading", "Changing weight from 1 to 4 for active service [10.0.1.2]:tcp:80 of VS " + vs1}, nil, false},
		{"server removed: no longer exist", strings.Replace(base, "real_server 10.0.1.2 80", "real_server 10.0.1.3 80", 1),
			// Both servers are down now: quorum goes (notified, not logged,
			// as keepalived's update_vs_notifies), then the new server's
			// insertion brings it back in the init pass.
			[]string{"Reloading", "service [10.0.1.2]:tcp:80 no longer exist", "Removing service [10.0.1.2]:tcp:80 from VS " + vs1,
				"Gained quorum 1+0=1 <= 1 for VS " + vs1, "Activating healthchecker for service [10.0.1.3]:tcp:80 for VS " + vs1},
			[]string{"RS [10.0.1.2]:tcp:80 " + vs1 + " DOWN", "MAIL [10.0.1.2]:tcp:80 DOWN => Removing <=", "VS " + vs1 + " DOWN", "VS " + vs1 + " UP"}, false},
		{"virtual server removed", strings.Replace(base, "10.0.0.1 80", "10.0.0.9 80", 1),
			[]string{"Reloading", "Removing Virtual Server " + vs1, "Removing service [10.0.1.2]:tcp:80 from VS " + vs1,
				"Gained quorum 1+0=1 <= 2 for VS [10.0.0.9]:tcp:80",
				"Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.9]:tcp:80",
				"Activating healthchecker for service [10.0.1.2]:tcp:80 for VS [10.0.0.9]:tcp:80"},
			[]string{"RS [10.0.1.2]:tcp:80 " + vs1 + " DOWN", "MAIL [10.0.1.2]:tcp:80 DOWN => Removing <=", "VS " + vs1 + " DOWN", "VS [10.0.0.9]:tcp:80 UP"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := reloadSim(t, base, tc.next)
			wantLines(t, sm.msgs(), tc.wantLog)
			wantLines(t, sm.notes.events, tc.wantNotes)
			if got := sm.rs(0, 0).Alive; got != tc.rs1Alive {
				t.Errorf("rs1 alive %v want %v", got, tc.rs1Alive)
			}
			// Every checker is re-armed 1 s (warmup 0) after the reload.
			count := func() int {
				n := 0
				for _, c := range sm.calls {
					n += len(c)
				}
				return n
			}
			before := count()
			sm.runFor(sec(1))
			if got := count() - before; got != sm.s.Stats().Tasks {
				t.Errorf("%d attempts 1 s after the reload, want one per task (%d)", got, sm.s.Stats().Tasks)
			}
		})
	}
}

// TestReloadKeepsRetryCount: an up checker in the middle of its retries
// keeps its count, capped at the new retry - 1 (keepalived's migration), so
// with TCP_CHECK's counting two more failures take it down, not three.
func TestReloadKeepsRetryCount(t *testing.T) {
	conf := oneRS("TCP_CHECK {\nwarmup 0\nretry 3\ndelay_before_retry 1\n}")
	sm := newSim(t, conf, Options{})
	sm.deflt = upUntil(sec(5))
	sm.start().runFor(sec(8.5)) // failures at 7 and 8: two counted
	if err := sm.s.reload(loadConfig(t, strings.Replace(conf, "retry 3", "retry 2", 1)), sm.now); err != nil {
		t.Fatal(err)
	}
	sm.runFor(sec(2.5)) // failures at 9.5 and 10.5
	if !slices.ContainsFunc(sm.msgs(), func(m string) bool { return m == "TCP_CHECK on service "+rs1+" failed after 2 retries." }) {
		t.Errorf("not down after the reload: %q", sm.msgs())
	}
	if got := sm.lines("failed after 2 retries."); len(got) != 1 || got[0].at != sec(10.5) {
		t.Errorf("down at %v, want 10.5s", got)
	}
}

// TestReloadNewAlphaServer: a new server with alpha waits for its check.
func TestReloadNewAlphaServer(t *testing.T) {
	base := twoRS("")
	next := strings.Replace(base, "real_server 10.0.1.2 80 {", "real_server 10.0.1.2 80 {\n}\nreal_server 10.0.1.4 80 {\nalpha\nTCP_CHECK {\nwarmup 0\n}", 1)
	sm := reloadSim(t, base, next)
	vs := sm.s.m.cfg.VirtualServers[0]
	if h := sm.s.RealServer(vs, vs.RealServers[2]); h.Alive {
		t.Errorf("new alpha server alive before its check: %+v", h)
	}
	sm.runFor(sec(1.5))
	if h := sm.s.RealServer(vs, vs.RealServers[2]); !h.Alive {
		t.Errorf("new alpha server not alive after a passing check: %+v", h)
	}
}
