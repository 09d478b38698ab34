package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// These tests run the real loop (Run, goroutines, the system clock) inside
// a synctest bubble, so time is virtual and waits are exact.

// funcProbe adapts a function to Probe.
type funcProbe func(ctx context.Context) Outcome

func (f funcProbe) Check(ctx context.Context) Outcome { return f(ctx) }

func manyRS(n int, checker string) string {
	var b strings.Builder
	b.WriteString("virtual_server 10.0.0.1 80 {\ndelay_loop 1\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n")
	for i := range n {
		fmt.Fprintf(&b, "real_server 10.%d.%d.%d 80 {\n%s\n}\n", (i>>16)&255, (i>>8)&255, i&255+1, checker)
	}
	b.WriteString("}\n")
	return b.String()
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestConcurrencyBound: slow probes never exceed MaxConcurrent, the rest
// wait their turn, and every one still runs.
func TestConcurrencyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inFlight, peak, calls atomic.Int64
		probe := funcProbe(func(ctx context.Context) Outcome {
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			calls.Add(1)
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			}
			inFlight.Add(-1)
			return Outcome{OK: true}
		})
		cfg := loadConfig(t, manyRS(50, "TCP_CHECK {\nwarmup 0\n}"))
		s, err := NewScheduler(cfg, func(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) { return probe, nil },
			LogNotifier{Log: quietLog()}, Options{Log: quietLog(), MaxConcurrent: 8})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond)
		// 50 attempts due at 1 s, 8 at a time, 300 ms each: 7 waves.
		synctest.Wait()
		if got := calls.Load(); got != 16 {
			t.Errorf("%d attempts started by 1.5 s, want 16 (two waves of 8)", got)
		}
		time.Sleep(2 * time.Second)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if p := peak.Load(); p != 8 {
			t.Errorf("peak concurrency %d, want 8", p)
		}
		if calls.Load() < 50 {
			t.Errorf("only %d attempts", calls.Load())
		}
		if st := s.Stats(); st.LateMax < 1500*time.Millisecond {
			t.Errorf("late max %v: queued attempts should show their wait", st.LateMax)
		}
	})
}

// TestHungProbeBlocksNothing: a probe that never returns (until cancelled)
// does not delay the other checks.
func TestHungProbeBlocksNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fast atomic.Int64
		cfg := loadConfig(t, manyRS(2, "TCP_CHECK {\nwarmup 0\n}"))
		factory := func(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
			if rs.Addr.String() == "10.0.0.1" {
				return funcProbe(func(ctx context.Context) Outcome { <-ctx.Done(); return Outcome{Err: ctx.Err()} }), nil
			}
			return funcProbe(func(context.Context) Outcome { fast.Add(1); return Outcome{OK: true} }), nil
		}
		s, err := NewScheduler(cfg, factory, LogNotifier{Log: quietLog()}, Options{Log: quietLog()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(10*time.Second + time.Millisecond)
		if got := fast.Load(); got != 10 {
			t.Errorf("fast check ran %d times in 10 s, want 10", got)
		}
		cancel()
		<-done
	})
}

// TestChangesAndHealth: Run signals Changes at start and on every Health
// change, and Health follows the checks.
func TestChangesAndHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var healthy atomic.Bool
		healthy.Store(true)
		probe := funcProbe(func(context.Context) Outcome {
			if healthy.Load() {
				return Outcome{OK: true}
			}
			return Outcome{Err: errRefused}
		})
		cfg := loadConfig(t, oneRS("TCP_CHECK {\nwarmup 0\nretry 0\n}"))
		vs, rs := cfg.VirtualServers[0], cfg.VirtualServers[0].RealServers[0]
		notes := &recNotifier{}
		s, err := NewScheduler(cfg, func(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) { return probe, nil },
			notes, Options{Log: quietLog()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		<-s.Changes() // start: the server is inserted
		if h := s.RealServer(vs, rs); !h.Alive || h.Weight != 1 || !s.QuorumUp(vs) {
			t.Fatalf("at start %+v quorum %v", h, s.QuorumUp(vs))
		}
		healthy.Store(false)
		time.Sleep(7*time.Second + time.Millisecond)
		select {
		case <-s.Changes():
		default:
			t.Fatal("no change signalled for the failure")
		}
		if h := s.RealServer(vs, rs); h.Alive || s.QuorumUp(vs) {
			t.Errorf("after failure %+v quorum %v", h, s.QuorumUp(vs))
		}
		select {
		case <-s.Changes():
			t.Error("a change signalled with nothing changed")
		default:
		}
		healthy.Store(true)
		time.Sleep(6 * time.Second)
		<-s.Changes()
		if h := s.RealServer(vs, rs); !h.Alive {
			t.Errorf("after recovery %+v", h)
		}

		// Reload through Run keeps the state and signals.
		if err := s.Reload(ctx, loadConfig(t, oneRS("TCP_CHECK {\nwarmup 0\nretry 0\n}\nweight 5"))); err != nil {
			t.Fatal(err)
		}
		<-s.Changes()
		nvs := s.m.cfg.VirtualServers[0]
		if h := s.RealServer(nvs, nvs.RealServers[0]); !h.Alive || h.Weight != 5 {
			t.Errorf("after reload %+v", h)
		}
		if h := s.RealServer(vs, rs); h.Alive {
			t.Errorf("the old configuration's server still answers: %+v", h)
		}

		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if h := s.RealServer(nvs, nvs.RealServers[0]); h.Alive {
			t.Errorf("alive after shutdown: %+v", h)
		}
		if err := s.Reload(context.Background(), cfg); err != ErrNotRunning {
			t.Errorf("Reload after Run: %v, want ErrNotRunning", err)
		}
	})
}

// TestShutdownOmega: at shutdown every server is shut down; with omega the
// down notifications are made.
func TestShutdownOmega(t *testing.T) {
	for _, omega := range []bool{false, true} {
		t.Run(fmt.Sprint("omega=", omega), func(t *testing.T) {
			extra := ""
			if omega {
				extra = "omega"
			}
			sm := newSim(t, oneRS("TCP_CHECK {\nwarmup 0\n}", extra), Options{})
			sm.start().runFor(sec(2))
			sm.log.lines, sm.notes.events = nil, nil
			sm.s.shutdown()
			wantLines(t, sm.msgs(), []string{"Shutting down service " + rs1 + " from VS " + vs1})
			var want []string
			if omega {
				want = []string{"RS " + rs1 + " " + vs1 + " DOWN", "MAIL " + rs1 + " DOWN => Shutting down <=", "VS " + vs1 + " DOWN"}
			}
			wantLines(t, sm.notes.events, want)
		})
	}
}

// TestWarmupStagger: first attempts spread over [1 s, 1 s + warmup], so a
// thousand checks do not start at once.
func TestWarmupStagger(t *testing.T) {
	sm := newSim(t, manyRS(1000, "TCP_CHECK {\nwarmup 10\n}"), Options{Rand: rand.New(rand.NewPCG(7, 7))})
	sm.start()
	var perSecond [12]int
	for _, tk := range sm.s.timers {
		d := tk.due.Sub(sm.now)
		if d < time.Second || d > 11*time.Second {
			t.Fatalf("first attempt at %v, outside [1s, 11s]", d)
		}
		perSecond[int(d/time.Second)]++
	}
	for s := 1; s <= 10; s++ {
		if perSecond[s] < 60 || perSecond[s] > 140 {
			t.Errorf("second %d has %d first attempts; want about 100: %v", s, perSecond[s], perSecond)
		}
	}
}

// TestReloadDuringAttempts: a reload abandons attempts in flight (their
// results are dropped, their contexts cancelled) and the new configuration
// runs on.
func TestReloadDuringAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls, cancelled atomic.Int64
		probe := funcProbe(func(ctx context.Context) Outcome {
			calls.Add(1)
			select {
			case <-time.After(2 * time.Second):
				return Outcome{Err: errRefused}
			case <-ctx.Done():
				cancelled.Add(1)
				return Outcome{Err: ctx.Err()}
			}
		})
		conf := manyRS(5, "TCP_CHECK {\nwarmup 0\nretry 0\n}")
		s, err := NewScheduler(loadConfig(t, conf), func(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) { return probe, nil },
			LogNotifier{Log: quietLog()}, Options{Log: quietLog()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond) // five attempts in flight
		if err := s.Reload(ctx, loadConfig(t, conf)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := cancelled.Load(); got != 5 {
			t.Errorf("%d attempts cancelled by the reload, want 5", got)
		}
		cfg := s.m.cfg
		for _, rs := range cfg.VirtualServers[0].RealServers {
			if !s.RealServer(cfg.VirtualServers[0], rs).Alive {
				t.Errorf("%s taken down by an abandoned attempt", rs.Addr)
			}
		}
		time.Sleep(3600 * time.Millisecond) // re-armed 1 s after the reload, 2 s each
		for _, rs := range cfg.VirtualServers[0].RealServers {
			if s.RealServer(cfg.VirtualServers[0], rs).Alive {
				t.Errorf("%s still alive after a failed attempt of the new configuration", rs.Addr)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if calls.Load() < 10 {
			t.Errorf("%d attempts", calls.Load())
		}
	})
}

// TestHASuspend: the checkers of an ha_suspend virtual server run only
// while its address is on the host; while suspended they test nothing.
func TestHASuspend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		probe := funcProbe(func(context.Context) Outcome { calls.Add(1); return Outcome{OK: true} })
		conf := oneRS("TCP_CHECK {\nwarmup 0\n}", "ha_suspend")
		log := &capture{}
		s, err := NewScheduler(loadConfig(t, conf), func(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) { return probe, nil },
			LogNotifier{Log: quietLog()}, Options{Log: slogNew(log), AddressCount: func(netip.Addr) int { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(20 * time.Second)
		if n := calls.Load(); n != 0 {
			t.Errorf("%d attempts while suspended", n)
		}
		if err := s.AddressChanged(ctx, netip.MustParseAddr("10.0.0.1"), true); err != nil {
			t.Fatal(err)
		}
		// The next wake-up (every delay_loop 6 s) runs the check.
		time.Sleep(6 * time.Second)
		if n := calls.Load(); n != 1 {
			t.Errorf("%d attempts after the address came, want 1", n)
		}
		if err := s.AddressChanged(ctx, netip.MustParseAddr("10.0.0.1"), false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		if n := calls.Load(); n != 1 {
			t.Errorf("%d attempts after the address went, want still 1", n)
		}
		cancel()
		<-done
		var got []string
		for _, l := range log.lines {
			if strings.Contains(l.msg, "healthchecker") {
				got = append(got, l.msg)
			}
		}
		wantLines(t, got, []string{
			"Deactivating healthchecker for service " + rs1 + " for VS " + vs1,
			"Activating healthchecker for service " + rs1 + " for VS " + vs1,
			"Suspending healthchecker for service " + rs1 + " for VS " + vs1,
		})
	})
}

// TestStopLogsNoCancelledChecks: attempts in flight when the scheduler
// stops are cut short by it, which says nothing about their servers:
// keepalived logs only its "Shutting down service" lines, and so do we.
// The stop comes while the loop is busy (from inside its log call), so
// that the cancelled results are already queued when it next looks.
func TestStopLogsNoCancelledChecks(t *testing.T) {
	for range 8 {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var once sync.Once
			logs := &logCapture{}
			stopper := &stopOnLine{logCapture: logs, prefix: "TCP_CHECK on service", stop: func() {
				once.Do(func() {
					cancel()
					// Let the cancelled attempts queue their results.
					time.Sleep(time.Millisecond)
				})
			}}
			cfg := loadConfig(t, manyRS(20, "TCP_CHECK {\nwarmup 0\nretry 0\n}"))
			factory := func(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
				if rs.Addr.String() == "10.0.0.1" {
					return funcProbe(func(context.Context) Outcome { return Outcome{Err: errors.New("refused")} }), nil
				}
				return funcProbe(func(ctx context.Context) Outcome {
					<-ctx.Done()
					return settle(ctx, Outcome{Err: ctx.Err()})
				}), nil
			}
			s, err := NewScheduler(cfg, factory, LogNotifier{Log: quietLog()}, Options{Log: slog.New(stopper)})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() { done <- s.Run(ctx) }()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			shut := 0
			for _, l := range logs.lines() {
				if strings.Contains(l, "cancelled") {
					t.Errorf("logged %q at stop", l)
				}
				if strings.HasPrefix(l, "Shutting down service") {
					shut++
				}
			}
			if shut != 20 {
				t.Errorf("%d Shutting down lines, want 20", shut)
			}
		})
	}
}

// stopOnLine calls stop when a line starting with prefix is logged.
type stopOnLine struct {
	*logCapture
	prefix string
	stop   func()
}

func (l *stopOnLine) Handle(ctx context.Context, r slog.Record) error {
	l.logCapture.Handle(ctx, r)
	if strings.HasPrefix(r.Message, l.prefix) {
		l.stop()
	}
	return nil
}

// TestSnapshotMatchesHealth: the engine's one-lock snapshot answers as the
// scheduler does, server by server, including for a real server asked
// under another virtual server.
func TestSnapshotMatchesHealth(t *testing.T) {
	cfg := loadConfig(t, manyRS(30, "TCP_CHECK {\nwarmup 0\nretry 0\n}")+
		strings.Replace(manyRS(3, "TCP_CHECK {\nwarmup 0\n}"), "10.0.0.1 80", "10.0.0.2 80", 1))
	factory := func(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
		down := rs.Addr.As4()[3]%3 == 0
		return funcProbe(func(context.Context) Outcome {
			if down {
				return Outcome{Err: errors.New("refused")}
			}
			return Outcome{OK: true}
		}), nil
	}
	s, err := NewScheduler(cfg, factory, LogNotifier{Log: quietLog()}, Options{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	now := epoch
	s.start(now)
	for i := 0; i < 200; i++ {
		due, ok := s.nextDue()
		if !ok {
			break
		}
		now = due
		for _, tk := range s.popDue(now) {
			s.begin(tk, now)
			s.done(tk, callProbe(t.Context(), tk, 0), now)
		}
	}
	snap := s.Snapshot()
	alive, down := 0, 0
	for _, vs := range cfg.VirtualServers {
		if got, want := snap.QuorumUp(vs), s.QuorumUp(vs); got != want {
			t.Errorf("%v quorum: snapshot %v, scheduler %v", vs.Pos, got, want)
		}
		for _, rs := range vs.RealServers {
			got, want := snap.RealServer(vs, rs), s.RealServer(vs, rs)
			if got != want {
				t.Errorf("%v: snapshot %+v, scheduler %+v", rs.Addr, got, want)
			}
			if want.Alive {
				alive++
			} else {
				down++
			}
			other := cfg.VirtualServers[(slices.Index(cfg.VirtualServers, vs)+1)%len(cfg.VirtualServers)]
			if h := snap.RealServer(other, rs); h != (RSHealth{}) {
				t.Errorf("%v under another virtual server: %+v", rs.Addr, h)
			}
		}
	}
	if alive == 0 || down == 0 {
		t.Fatalf("%d alive, %d down: the test wants both", alive, down)
	}
}

// TestChecksStartOnTime: two checks whose times come 10 ms apart each run
// at their own time, as keepalived's do: no check starts early on another
// one's wake-up. B's checks are due every 1.01 s, 10 ms further from A's
// whole seconds each time; in 10 s it runs 9 times, at 1, 2.01, ... 9.08 s.
// (Sharing wake-ups within 10 ms was tried while a wake-up of the loop
// cost more than a check; it made HTTP checks late, see the README.)
func TestChecksStartOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conf := "virtual_server 10.0.0.1 80 {\ndelay_loop 1\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n" +
			"real_server 10.0.0.1 80 {\nTCP_CHECK {\nwarmup 0\n}\n}\n" +
			"real_server 10.0.0.2 80 {\nTCP_CHECK {\nwarmup 0\ndelay_loop 1.01\n}\n}\n}\n"
		start := time.Now()
		var mu sync.Mutex
		var atB []time.Duration
		factory := func(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
			if rs.Addr.String() == "10.0.0.1" {
				return funcProbe(func(context.Context) Outcome { return Outcome{OK: true} }), nil
			}
			return funcProbe(func(context.Context) Outcome {
				mu.Lock()
				atB = append(atB, time.Since(start))
				mu.Unlock()
				return Outcome{OK: true}
			}), nil
		}
		s, err := NewScheduler(loadConfig(t, conf), factory, LogNotifier{Log: quietLog()}, Options{Log: quietLog(), NoDedupe: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(10 * time.Second)
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if len(atB) != 9 {
			t.Fatalf("B ran %d times in 10 s (at %v), want 9", len(atB), atB)
		}
		for k, at := range atB {
			if due := time.Second + time.Duration(k)*1010*time.Millisecond; at != due {
				t.Errorf("check %d of B at %v, want %v", k+1, at, due)
			}
		}
	})
}
