package check

import (
	"context"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// bench10k is the configuration the benchmarks share: 10,000 real servers
// behind one virtual server, TCP_CHECK at delay_loop 1.
var bench10k = sync.OnceValue(func() string { return manyRS(10000, "TCP_CHECK {\nretry 1\n}") })

func instantOK(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) {
	return funcProbe(func(context.Context) Outcome { return Outcome{OK: true} }), nil
}

// BenchmarkScheduler10k measures the scheduler's own cost: one op is one
// simulated minute of 10,000 checks a second (600,000 attempts), the loop
// driven in virtual time with an instant probe called inline.
func BenchmarkScheduler10k(b *testing.B) {
	cfg := loadConfig(b, bench10k())
	s, err := NewScheduler(cfg, instantOK, LogNotifier{Log: quietLog()},
		Options{Log: quietLog(), Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		b.Fatal(err)
	}
	now := epoch
	s.start(now)
	ctx := context.Background()
	// Warm up past the first-run window so every op is steady state.
	step := func(until time.Time) int {
		n := 0
		for {
			due, ok := s.nextDue()
			if !ok || due.After(until) {
				return n
			}
			now = due
			for _, t := range s.popDue(now) {
				s.begin(t, now)
				s.done(t, callProbe(ctx, t, t.attemptURL()), now)
				n++
			}
		}
	}
	step(now.Add(3 * time.Second))
	b.ReportAllocs()
	b.ResetTimer()
	checks := 0
	for b.Loop() {
		checks += step(now.Add(time.Minute))
	}
	b.ReportMetric(float64(checks)/float64(b.N), "checks/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(checks), "ns/check")
}

// BenchmarkScheduler10kRealtime runs the real loop (goroutine per attempt,
// system clock) on the same configuration; one op is one wall-clock second.
// It reports how late attempts started against their schedule and the
// process CPU time per second of scheduling.
func BenchmarkScheduler10kRealtime(b *testing.B) {
	cfg := loadConfig(b, bench10k())
	s, err := NewScheduler(cfg, instantOK, LogNotifier{Log: quietLog()}, Options{Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	before, after, cpu := measureRealtime(b, s, nil, nil)
	n := after.Checks - before.Checks
	if n == 0 {
		b.Fatal("no checks ran")
	}
	b.ReportMetric(float64(n)/float64(b.N), "checks/s")
	b.ReportMetric(float64((after.LateTotal-before.LateTotal).Microseconds())/float64(n), "late-µs/check")
	b.ReportMetric(float64(after.LateMax.Microseconds()), "late-max-µs")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/s")
}

// BenchmarkReload10k is the reload of an unchanged 10,000-server
// configuration (keepalived 2.2's was quadratic, its issue 2318).
func BenchmarkReload10k(b *testing.B) {
	cfg := loadConfig(b, bench10k())
	s, err := NewScheduler(cfg, instantOK, LogNotifier{Log: quietLog()}, Options{Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	s.start(epoch)
	b.ResetTimer()
	for b.Loop() {
		if err := s.reload(cfg, epoch); err != nil {
			b.Fatal(err)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureRealtime runs s's loop, lets the first-run window (1 s + up to
// 1 s of warmup) pass and measures b.N wall-clock seconds: the scheduler's
// counters before and after, and the process's CPU time in between.
// atStart and atEnd (either may be nil) run just inside the window, atEnd
// while the scheduler still runs.
func measureRealtime(b *testing.B, s *Scheduler, atStart, atEnd func()) (before, after Stats, cpu time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(2500 * time.Millisecond)
	before = s.Stats()
	if atStart != nil {
		atStart()
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		time.Sleep(time.Second)
	}
	b.StopTimer()
	cpu = cpuTime() - cpu0
	if atEnd != nil {
		atEnd()
	}
	after = s.Stats()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return before, after, cpu
}
