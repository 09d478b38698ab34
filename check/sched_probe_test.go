package check

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// TestProbeErrorLines: per-attempt lines come from the probe's
// ProbeError.Line, rewritten for each server sharing the probe; local
// errors are logged and not counted.
func TestProbeErrorLines(t *testing.T) {
	tcp := "TCP_CHECK {\nwarmup 0\nretry 1\nlog_all_failures\n}"
	// The second virtual server is UDP: the same backend, another identity.
	conf := replaceNth(twoVS(tcp, tcp), "protocol TCP", "protocol UDP", 2)
	sm := newSim(t, conf, Options{})
	probeRS := "[10.0.1.1]:tcp:80"
	sm.deflt = func(now time.Duration, _ int) (Outcome, time.Duration) {
		switch {
		case now < sec(5):
			return Outcome{OK: true}, 0
		case now < sec(10):
			return Outcome{Err: &ProbeError{Reason: "TCP socket bind failed. Rescheduling.", Line: "TCP socket bind failed. Rescheduling.",
				Err: fmt.Errorf("%w: bind", ErrLocal)}}, 0
		}
		return Outcome{Err: &ProbeError{Reason: "failed", Line: "TCP connection to " + probeRS + " failed."}}, 0
	}
	sm.start().runFor(sec(10))
	if st := sm.s.Stats(); st.Tasks != 1 {
		t.Fatalf("tasks %d: the two blocks should share a probe", st.Tasks)
	}
	// One line per checker block, as keepalived's two checkers each log.
	wantLines(t, sm.logsAt(7), []string{"TCP socket bind failed. Rescheduling.", "TCP socket bind failed. Rescheduling."})
	if !sm.rs(0, 0).Alive {
		t.Error("a local error counted against the server")
	}
	sm.runFor(sec(5))
	wantLines(t, sm.logsAt(13), []string{
		"TCP connection to [10.0.1.1]:tcp:80 failed.",
		"TCP connection to [10.0.1.1]:udp:80 failed.",
	})
	wantLines(t, sm.logsAt(14), []string{
		"TCP connection to [10.0.1.1]:tcp:80 failed.",
		"TCP connection to [10.0.1.1]:udp:80 failed.",
		"TCP_CHECK on service [10.0.1.1]:tcp:80 failed after 1 retries.",
		"Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.1]:tcp:80",
		"TCP_CHECK on service [10.0.1.1]:udp:80 failed after 1 retries.",
		"Removing service [10.0.1.1]:udp:80 from VS [10.0.0.2]:udp:80",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.2]:udp:80",
	})
}

func replaceNth(s, old, new string, n int) string {
	i := -1
	for range n {
		j := indexFrom(s, old, i+1)
		if j < 0 {
			return s
		}
		i = j
	}
	return s[:i] + new + s[i+len(old):]
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestMiscErrorLine: MISC_CHECK lines come from MiscError.LogLine with the
// scheduler's retry text.
func TestMiscErrorLine(t *testing.T) {
	sm := newSim(t, oneRS("MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\n}"), Options{})
	sm.deflt = func(now time.Duration, _ int) (Outcome, time.Duration) {
		if now < sec(5) {
			return Outcome{OK: true}, 0
		}
		me := &MiscError{RS: rs1, VS: vs1, Argv0: "/usr/bin/true", Result: ScriptResult{TimedOut: true}}
		return Outcome{Err: &ProbeError{Reason: "timed out", Line: me.LogLine(""), Err: me}}, 0
	}
	sm.start().runFor(sec(8))
	wantLines(t, sm.logsAt(7), []string{
		"Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] timed out with retry disabled.",
		"Removing service " + rs1 + " from VS " + vs1,
		"Lost quorum 1-0=1 > 0 for VS " + vs1,
	})
	if !slices.Contains(sm.notes.events, "MAIL "+rs1+" DOWN => MISC CHECK timed out on service <=") {
		t.Errorf("mail: %q", sm.notes.events)
	}
}

// TestRealTCPProbe runs the loop in real time with the real TCP_CHECK probe
// against a loopback listener: the server is up, then goes when the
// listener closes. It takes about 1.3 s (the first check is 1 s after
// start).
func TestRealTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	conf := fmt.Sprintf("virtual_server 10.0.0.1 80 {\ndelay_loop 0.1\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n"+
		"real_server 127.0.0.1 %d {\nTCP_CHECK {\nwarmup 0\nretry 0\nconnect_timeout 1\n}\n}\n}\n", port)
	cfg := loadConfig(t, conf)
	vs, rs := cfg.VirtualServers[0], cfg.VirtualServers[0].RealServers[0]
	factory := func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
		return NewProbe(c, vs, rs, ProbeEnv{})
	}
	log := &capture{}
	s, err := NewScheduler(cfg, factory, &recNotifier{}, Options{Log: slogNew(log)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	want := fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d success.", port)
	waitFor(t, ctx, log, want)
	ln.Close()
	waitFor(t, ctx, log, fmt.Sprintf("TCP_CHECK on service [127.0.0.1]:tcp:%d failed.", port))
	if h := s.RealServer(vs, rs); h.Alive {
		t.Errorf("alive after the listener closed: %+v", h)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, ctx context.Context, c *capture, msg string) {
	t.Helper()
	for {
		c.mu.Lock()
		found := slices.ContainsFunc(c.lines, func(l logLine) bool { return l.msg == msg })
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %q", msg)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
