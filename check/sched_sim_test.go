package check

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// The tests below drive the scheduler's loop steps (popDue, begin, done)
// in virtual time without goroutines: a discrete-event simulation where
// each fake probe answers from a scripted timeline and may take time.

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// logLine is one captured log message at virtual time at (seconds since
// the start).
type logLine struct {
	at    time.Duration
	msg   string
	level slog.Level
}

// capture is a slog handler that records messages with the simulation's
// virtual time.
type capture struct {
	mu    sync.Mutex
	now   func() time.Duration
	lines []logLine
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Duration
	if c.now != nil {
		at = c.now()
	}
	c.lines = append(c.lines, logLine{at, r.Message, r.Level})
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

// recNotifier records notifications as short strings.
type recNotifier struct {
	mu     sync.Mutex
	now    func() time.Duration
	events []string
}

func (n *recNotifier) add(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, s)
}
func (n *recNotifier) RealServer(ev RSEvent) {
	n.add(fmt.Sprintf("RS %s %s %s", ev.RSName, ev.VSName, upDown(ev.Up)))
}
func (n *recNotifier) Quorum(ev QuorumEvent) {
	n.add(fmt.Sprintf("VS %s %s", ev.VSName, upDown(ev.Up)))
}
func (n *recNotifier) Alert(a Alert) {
	n.add(fmt.Sprintf("MAIL %s %s %s", a.RSName, upDown(a.Up), a.Body))
}

// script decides one attempt: its outcome and how long it takes.
type script func(at time.Duration, url int) (Outcome, time.Duration)

// simProbe answers through the simulation's script for its target.
type simProbe struct {
	sim    *sim
	target string
}

func (p *simProbe) Check(context.Context) Outcome { panic("the simulation calls attempt") }

type inflight struct {
	end time.Time
	t   *task
	o   Outcome
}

type sim struct {
	t      testing.TB
	s      *Scheduler
	cfg    *parser.Config // the configuration the scheduler starts with
	now    time.Time
	log    *capture
	notes  *recNotifier
	fly    []inflight
	script map[string]script // by checker target (Conn.Dest or script line)
	calls  map[string][]time.Duration
	deflt  script
}

func up(time.Duration, int) (Outcome, time.Duration) { return Outcome{OK: true}, 0 }

var errRefused = fmt.Errorf("connection refused")

func down(time.Duration, int) (Outcome, time.Duration) { return Outcome{Err: errRefused}, 0 }

// upUntil is a server that works before `at` and refuses from then on;
// upFrom the reverse.
func upUntil(at time.Duration) script {
	return func(now time.Duration, _ int) (Outcome, time.Duration) {
		if now < at {
			return Outcome{OK: true}, 0
		}
		return Outcome{Err: errRefused}, 0
	}
}

// timeline is a server that is up in the given [start, end) windows.
func timeline(windows ...time.Duration) script {
	return func(now time.Duration, _ int) (Outcome, time.Duration) {
		for i := 0; i+1 < len(windows); i += 2 {
			if now >= windows[i] && now < windows[i+1] {
				return Outcome{OK: true}, 0
			}
		}
		return Outcome{Err: errRefused}, 0
	}
}

func targetOf(c *parser.Checker) string {
	switch {
	case c.Conn != nil:
		return c.Conn.Dest.String()
	case c.Misc != nil && c.Misc.Script != nil:
		return c.Misc.Script.Line
	}
	return c.Type
}

func loadConfig(t testing.TB, text string) *parser.Config {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(text), parser.Options{})
	if res.Config == nil {
		t.Fatalf("config: %v", res.Diagnostics)
	}
	for _, d := range res.Diagnostics {
		if strings.Contains(d.Message, "gokeepalived") || strings.Contains(d.Message, "Unknown keyword") {
			t.Fatalf("config: %v", d)
		}
	}
	return res.Config
}

func newSim(t testing.TB, conf string, opts Options) *sim {
	t.Helper()
	return newSimWith(t, conf, opts, nil)
}

// newSimWith is newSim with probes from factory, given the simulation
// (nil: simulated probes). Attempts of probes that are not simulated are
// made at once, in virtual time.
func newSimWith(t testing.TB, conf string, opts Options, factory func(*sim) ProbeFactory) *sim {
	t.Helper()
	sm := &sim{t: t, now: epoch, script: map[string]script{}, calls: map[string][]time.Duration{}, deflt: up}
	sm.log = &capture{now: sm.elapsed}
	sm.notes = &recNotifier{now: sm.elapsed}
	opts.Log = slog.New(sm.log)
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(1, 2))
	}
	newProbe := func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
		return &simProbe{sim: sm, target: targetOf(c)}, nil
	}
	sm.cfg = loadConfig(t, conf)
	if factory != nil {
		newProbe = factory(sm)
	}
	s, err := NewScheduler(sm.cfg, newProbe, sm.notes, opts)
	if err != nil {
		t.Fatal(err)
	}
	sm.s = s
	return sm
}

func (sm *sim) elapsed() time.Duration { return sm.now.Sub(epoch) }

func (sm *sim) start() *sim {
	sm.s.start(sm.now)
	return sm
}

// runFor advances virtual time by d, running every attempt that falls due.
func (sm *sim) runFor(d time.Duration) {
	end := sm.now.Add(d)
	for {
		next, ok := sm.s.nextDue()
		var fl *inflight
		for i := range sm.fly {
			if fl == nil || sm.fly[i].end.Before(fl.end) {
				fl = &sm.fly[i]
			}
		}
		if fl != nil && (!ok || !next.Before(fl.end)) {
			next, ok = fl.end, true
		}
		if !ok || next.After(end) {
			sm.now = end
			return
		}
		sm.now = next
		// Completions first: an attempt ending now re-arms before the
		// timers due now are taken.
		for i := 0; i < len(sm.fly); {
			if sm.fly[i].end.Equal(sm.now) {
				f := sm.fly[i]
				sm.fly = slices.Delete(sm.fly, i, i+1)
				sm.s.done(f.t, f.o, sm.now)
				continue
			}
			i++
		}
		for _, t := range sm.s.popDue(sm.now) {
			sm.s.begin(t, sm.now)
			p, ok := t.probe.(*simProbe)
			if !ok {
				sm.calls[t.cfg.Type] = append(sm.calls[t.cfg.Type], sm.elapsed())
				sm.s.done(t, callProbe(context.Background(), t, t.attemptURL()), sm.now)
				continue
			}
			sm.calls[p.target] = append(sm.calls[p.target], sm.elapsed())
			sc := sm.script[p.target]
			if sc == nil {
				sc = sm.deflt
			}
			o, took := sc(sm.elapsed(), t.attemptURL())
			if took == 0 {
				sm.s.done(t, o, sm.now)
				continue
			}
			sm.fly = append(sm.fly, inflight{end: sm.now.Add(took), t: t, o: o})
		}
	}
}

// lines returns the captured messages containing sub, with their times.
func (sm *sim) lines(sub string) []logLine {
	var out []logLine
	for _, l := range sm.log.lines {
		if strings.Contains(l.msg, sub) {
			out = append(out, l)
		}
	}
	return out
}

// msgs returns every captured message, in order.
func (sm *sim) msgs() []string {
	var out []string
	for _, l := range sm.log.lines {
		out = append(out, l.msg)
	}
	return out
}

func (sm *sim) rs(vsIdx, rsIdx int) RSHealth {
	vs := sm.s.m.cfg.VirtualServers[vsIdx]
	return sm.s.RealServer(vs, vs.RealServers[rsIdx])
}

func (sm *sim) quorum(vsIdx int) bool {
	return sm.s.QuorumUp(sm.s.m.cfg.VirtualServers[vsIdx])
}

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }
