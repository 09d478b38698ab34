package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func threeRS(vsExtra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "virtual_server 10.0.0.1 80 {\ndelay_loop 6\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n%s\n", vsExtra)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "real_server 10.0.1.%d 80 {\nweight 1\nTCP_CHECK {\nwarmup 0\nretry 0\n}\n}\n", i)
	}
	b.WriteString("}\n")
	return b.String()
}

// logsAt returns the log lines at time s (seconds), in order.
func (sm *sim) logsAt(s float64) []string {
	var out []string
	for _, l := range sm.log.lines {
		if l.at == sec(s) {
			out = append(out, l.msg)
		}
	}
	return out
}

func wantLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestQuorumHysteresis is lvs.md §6's worked example: 3 servers of weight
// 1, quorum 2, hysteresis 1: up when all three are alive, down only when
// none is.
func TestQuorumHysteresis(t *testing.T) {
	sm := newSim(t, threeRS("quorum 2\nhysteresis 1\nquorum_up /usr/bin/true\nquorum_down /usr/bin/true"), Options{})
	sm.script["10.0.1.1:80"] = timeline(0, sec(10), sec(40), sec(1000))
	sm.script["10.0.1.2:80"] = timeline(0, sec(20), sec(50), sec(1000))
	sm.script["10.0.1.3:80"] = timeline(0, sec(30), sec(60), sec(1000))
	sm.start()
	wantLines(t, sm.logsAt(0)[:1], []string{"Gained quorum 2+1=3 <= 3 for VS " + vs1})
	if !sm.quorum(0) {
		t.Fatal("quorum down at start")
	}
	sm.runFor(sec(30))
	if !sm.quorum(0) {
		t.Error("quorum lost with one server alive; hysteresis keeps it until none")
	}
	sm.runFor(sec(2)) // 32: the third fails at 31
	wantLines(t, sm.logsAt(31), []string{
		"TCP_CHECK on service [10.0.1.3]:tcp:80 failed.",
		"Removing service [10.0.1.3]:tcp:80 from VS " + vs1,
		"Lost quorum 2-1=1 > 0 for VS " + vs1,
	})
	sm.runFor(sec(28)) // 60: two back, still below Q+H
	if sm.quorum(0) {
		t.Error("quorum regained below quorum+hysteresis")
	}
	sm.runFor(sec(2))
	wantLines(t, sm.logsAt(61), []string{
		"TCP connection to [10.0.1.3]:tcp:80 success.",
		"Adding service [10.0.1.3]:tcp:80 to VS " + vs1,
		"Gained quorum 2+1=3 <= 3 for VS " + vs1,
	})
	var vsEvents []string
	for _, e := range sm.notes.events {
		if strings.HasPrefix(e, "VS ") {
			vsEvents = append(vsEvents, e)
		}
	}
	wantLines(t, vsEvents, []string{"VS " + vs1 + " UP", "VS " + vs1 + " DOWN", "VS " + vs1 + " UP"})
}

func TestQuorumWithoutHysteresis(t *testing.T) {
	sm := newSim(t, threeRS("quorum 2"), Options{})
	sm.script["10.0.1.1:80"] = timeline(0, sec(10))
	sm.script["10.0.1.2:80"] = timeline(0, sec(20))
	sm.start().runFor(sec(26))
	wantLines(t, sm.logsAt(25), []string{
		"TCP_CHECK on service [10.0.1.2]:tcp:80 failed.",
		"Removing service [10.0.1.2]:tcp:80 from VS " + vs1,
		"Lost quorum 2-0=2 > 1 for VS " + vs1,
	})
}

func TestSorryServer(t *testing.T) {
	sm := newSim(t, oneRS("TCP_CHECK {\nwarmup 0\nretry 0\n}", "sorry_server 10.0.0.99 80"), Options{})
	sm.deflt = timeline(0, sec(5), sec(10), sec(100))
	sm.start().runFor(sec(14))
	wantLines(t, sm.logsAt(7), []string{
		"TCP_CHECK on service " + rs1 + " failed.",
		"Removing service " + rs1 + " from VS " + vs1,
		"Lost quorum 1-0=1 > 0 for VS " + vs1,
		"Adding sorry server [10.0.0.99]:tcp:80 to VS " + vs1,
		"Removing alive servers from the pool for VS " + vs1,
	})
	wantLines(t, sm.logsAt(13), []string{
		"TCP connection to " + rs1 + " success.",
		"Adding service " + rs1 + " to VS " + vs1,
		"Gained quorum 1+0=1 <= 1 for VS " + vs1,
		"Removing sorry server [10.0.0.99]:tcp:80 from VS " + vs1,
		"Adding alive servers to the pool for VS " + vs1,
	})
}

func TestAlphaStartsWithSorryServer(t *testing.T) {
	sm := newSim(t, oneRS("alpha\nTCP_CHECK {\nwarmup 0\n}", "sorry_server 10.0.0.99 80\nsorry_server_inhibit"), Options{})
	sm.start()
	if h := sm.rs(0, 0); h.Alive {
		t.Error("alpha server alive before its first check")
	}
	wantLines(t, sm.logsAt(0)[:3], []string{
		"Starting with quorum down 1-0=1 > 0 for VS " + vs1,
		"Enabling sorry server [10.0.0.99]:tcp:80 to VS " + vs1,
		"Removing alive servers from the pool for VS " + vs1,
	})
	sm.runFor(sec(2))
	if h := sm.rs(0, 0); !h.Alive || !sm.quorum(0) {
		t.Errorf("after a passing check: %+v quorum %v", h, sm.quorum(0))
	}
}

// TestNotifications checks which transitions notify (lvs.md §5.3,
// checkers.md §3.3 and §8).
func TestNotifications(t *testing.T) {
	for _, tc := range []struct {
		name   string
		conf   string
		server script
		run    float64
		want   []string
	}{
		{"non-alpha first success: silent", oneRS("TCP_CHECK {\nwarmup 0\n}"), up, 2,
			[]string{"VS " + vs1 + " UP"}},
		{"rs_init_notifies: UP at insertion", "global_defs {\nrs_init_notifies\n}\n" + oneRS("TCP_CHECK {\nwarmup 0\n}"), up, 2,
			[]string{"RS " + rs1 + " " + vs1 + " UP", "VS " + vs1 + " UP"}},
		{"non-alpha first failure: DOWN, mail", oneRS("TCP_CHECK {\nwarmup 0\n}"), down, 2,
			[]string{"VS " + vs1 + " UP", "RS " + rs1 + " " + vs1 + " DOWN", "VS " + vs1 + " DOWN",
				"MAIL " + rs1 + " DOWN => TCP CHECK failed on service <="}},
		{"alpha first failure: DOWN reported once, no mail", oneRS("alpha\nTCP_CHECK {\nwarmup 0\n}"), down, 8,
			[]string{"RS " + rs1 + " " + vs1 + " DOWN"}},
		{"alpha HTTP first failure: silent", oneRS("alpha\nHTTP_GET {\nwarmup 0\nurl {\npath /\n}\n}"), down, 8,
			nil},
		{"alpha first success: UP, mail", oneRS("alpha\nTCP_CHECK {\nwarmup 0\n}"), up, 2,
			[]string{"RS " + rs1 + " " + vs1 + " UP", "VS " + vs1 + " UP", "MAIL " + rs1 + " UP => TCP CHECK succeed on service <="}},
		{"smtp_alert off on the server: no mail", oneRS("smtp_alert off\nTCP_CHECK {\nwarmup 0\n}"), down, 2,
			[]string{"VS " + vs1 + " UP", "RS " + rs1 + " " + vs1 + " DOWN", "VS " + vs1 + " DOWN"}},
		{"virtual server smtp_alert: quorum mails", oneRS("smtp_alert off\nTCP_CHECK {\nwarmup 0\n}", "smtp_alert"), down, 2,
			[]string{"VS " + vs1 + " UP", "MAIL  UP => Starting with quorum up 1+0=1 <= 1 <=",
				"RS " + rs1 + " " + vs1 + " DOWN", "VS " + vs1 + " DOWN", "MAIL  DOWN => Lost quorum 1+0=1 <= 0 <="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := newSim(t, tc.conf, Options{})
			sm.deflt = tc.server
			sm.start().runFor(sec(tc.run))
			wantLines(t, sm.notes.events, tc.want)
		})
	}
}

// TestAllCheckersMustPass: the server leaves with its first failed checker
// and returns with its last recovered one; a checker recovering while
// another still fails mails "- DOWN".
func TestAllCheckersMustPass(t *testing.T) {
	conf := oneRS("TCP_CHECK {\nwarmup 0\nretry 0\n}\nMISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\n}")
	sm := newSim(t, conf, Options{})
	sm.script["10.0.1.1:80"] = timeline(0, sec(10), sec(30), sec(100))
	sm.script["/usr/bin/true"] = timeline(0, sec(5), sec(20), sec(100))
	sm.start().runFor(sec(26))
	wantLines(t, sm.logsAt(7), []string{
		"Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] failed with retry disabled (connection refused).",
		"Removing service " + rs1 + " from VS " + vs1,
		"Lost quorum 1-0=1 > 0 for VS " + vs1,
	})
	wantLines(t, sm.logsAt(13), []string{"TCP_CHECK on service " + rs1 + " failed."})
	wantLines(t, sm.logsAt(25), []string{"Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] succeeded."})
	if sm.rs(0, 0).Alive {
		t.Error("alive while TCP_CHECK still fails")
	}
	sm.runFor(sec(6))
	wantLines(t, sm.logsAt(31), []string{
		"TCP connection to " + rs1 + " success.",
		"Adding service " + rs1 + " to VS " + vs1,
		"Gained quorum 1+0=1 <= 1 for VS " + vs1,
	})
	if !slices.Contains(sm.notes.events, "MAIL "+rs1+" DOWN => MISC CHECK succeeded on service <=") {
		t.Errorf("no DOWN-subject mail for the recovering misc check: %q", sm.notes.events)
	}
}

func TestMiscDynamicWeight(t *testing.T) {
	conf := oneRS("weight 3\nMISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\nmisc_dynamic\n}")
	sm := newSim(t, conf, Options{})
	sm.deflt = func(now time.Duration, _ int) (Outcome, time.Duration) {
		switch {
		case now < sec(5):
			return Outcome{OK: true}, 0
		case now < sec(10):
			return Outcome{OK: true, Weight: 7, HasWeight: true}, 0
		}
		return Outcome{Err: fmt.Errorf("exited with status 1")}, 0
	}
	sm.start().runFor(sec(8))
	if h := sm.rs(0, 0); h.Weight != 7 || !h.Alive {
		t.Errorf("health %+v, want weight 7", h)
	}
	wantLines(t, sm.logsAt(7), []string{"Changing weight from 3 to 7 for active service " + rs1 + " of VS " + vs1})
	sm.runFor(sec(6))
	if h := sm.rs(0, 0); h.Weight != 3 || h.Alive {
		t.Errorf("after failure %+v, want weight back to 3 and not alive", h)
	}
}

// TestGroupVSNames: a virtual server on a group is named [GROUP]:N, N its
// position among the virtual servers of that group.
func TestGroupVSNames(t *testing.T) {
	conf := "virtual_server_group G {\n10.0.0.1 80\n}\n"
	for _, proto := range []string{"TCP", "UDP"} {
		conf += "virtual_server group G {\ndelay_loop 6\nprotocol " + proto + "\nlb_algo rr\nlb_kind NAT\n" +
			"real_server 10.0.1.1 80 {\nTCP_CHECK {\nwarmup 0\nretry 0\n}\n}\n}\n"
	}
	sm := newSim(t, conf, Options{NoDedupe: true})
	sm.deflt = down
	sm.start().runFor(sec(2))
	wantLines(t, sm.logsAt(1), []string{
		"TCP_CHECK on service [10.0.1.1]:tcp:80 failed.",
		"Removing service [10.0.1.1]:tcp:80 from VS [G]:0",
		"Lost quorum 1-0=1 > 0 for VS [G]:0",
		"TCP_CHECK on service [10.0.1.1]:udp:80 failed.",
		"Removing service [10.0.1.1]:udp:80 from VS [G]:1",
		"Lost quorum 1-0=1 > 0 for VS [G]:1",
	})
}
