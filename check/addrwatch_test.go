package check

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// fakeAddresses is an AddressSource whose addresses the test sets.
type fakeAddresses struct {
	mu       sync.Mutex
	addrs    []netip.Addr
	ch       chan struct{}
	watches  int
	listErr  error
	watchErr error
}

func (f *fakeAddresses) Addresses() ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	return slices.Clone(f.addrs), nil
}

func (f *fakeAddresses) Watch(ctx context.Context) (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watches++
	if f.watchErr != nil {
		return nil, f.watchErr
	}
	ch := make(chan struct{}, 1)
	f.ch = ch
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.ch == ch {
			close(ch)
			f.ch = nil
		}
	}()
	return ch, nil
}

// set replaces the addresses ("10.0.0.1 10.0.0.1" is one address on two
// interfaces) and notifies the watch.
func (f *fakeAddresses) set(list string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs = nil
	for _, s := range strings.Fields(list) {
		f.addrs = append(f.addrs, netip.MustParseAddr(s))
	}
	if f.ch != nil {
		select {
		case f.ch <- struct{}{}:
		default:
		}
	}
}

// breakWatch ends the current watch as a failed subscription would.
func (f *fakeAddresses) breakWatch() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch != nil {
		close(f.ch)
		f.ch = nil
	}
}

// changeLog records what a watcher reports.
type changeLog struct {
	mu  sync.Mutex
	got []string
}

func (c *changeLog) changed(_ context.Context, a netip.Addr, added bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	sign := "-"
	if added {
		sign = "+"
	}
	c.got = append(c.got, sign+a.String())
	return nil
}

func (c *changeLog) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

// TestAddrWatcherCounts: the initial counts count an address once per
// interface; each change is reported as the difference with what was
// reported before, one call per interface gained or lost.
func TestAddrWatcherCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeAddresses{}
		src.set("10.0.0.1 10.0.0.1 fe80::1 ::ffff:10.0.0.9")
		w := newAddrWatcher(src, quietLog())
		if n := w.count(netip.MustParseAddr("10.0.0.1")); n != 1 {
			t.Errorf("before open: count %d, want 1 (present)", n)
		}
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := w.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for a, want := range map[string]int{"10.0.0.1": 2, "fe80::1": 1, "10.0.0.9": 1, "::ffff:10.0.0.9": 1, "10.0.0.2": 0} {
			if n := w.count(netip.MustParseAddr(a)); n != want {
				t.Errorf("count(%s) = %d, want %d", a, n, want)
			}
		}
		var c changeLog
		done := make(chan struct{})
		go func() { w.run(ctx, ch, c.changed); close(done) }()

		steps := []struct {
			set  string
			want []string
		}{
			{"10.0.0.1 fe80::1 10.0.0.9 10.0.0.2", []string{"-10.0.0.1", "+10.0.0.2"}},
			{"10.0.0.1 fe80::1 10.0.0.9 10.0.0.2", nil},
			{"fe80::1 fe80::1 fe80::1", []string{"-10.0.0.1", "-10.0.0.2", "-10.0.0.9", "+fe80::1", "+fe80::1"}},
			{"", []string{"-fe80::1", "-fe80::1", "-fe80::1"}},
		}
		for _, s := range steps {
			src.set(s.set)
			synctest.Wait()
			if got := c.take(); !slices.Equal(got, s.want) {
				t.Errorf("after %q: reported %q, want %q", s.set, got, s.want)
			}
		}
		if n := w.count(netip.MustParseAddr("fe80::1")); n != 0 {
			t.Errorf("count after removal %d, want 0", n)
		}

		// A failed watch is started again, and what changed meanwhile is
		// reported.
		src.breakWatch()
		synctest.Wait()
		src.set("10.0.0.5")
		time.Sleep(addrWatchRetry)
		synctest.Wait()
		if got := c.take(); !slices.Equal(got, []string{"+10.0.0.5"}) {
			t.Errorf("after the watch restarted: %q, want [+10.0.0.5]", got)
		}
		if src.watches != 2 {
			t.Errorf("%d watches, want 2", src.watches)
		}
		cancel()
		<-done
	})
}

// TestAddrWatcherListFails: when the addresses cannot be listed, every
// address counts as present (the checkers run), and the first list that
// works becomes the reference without reports.
func TestAddrWatcherListFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeAddresses{listErr: errors.New("EPERM")}
		w := newAddrWatcher(src, quietLog())
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := w.open(ctx)
		if err == nil || !strings.Contains(err.Error(), "EPERM") {
			t.Errorf("open: %v, want the listing error", err)
		}
		if n := w.count(netip.MustParseAddr("10.0.0.1")); n != 1 {
			t.Errorf("count %d, want 1", n)
		}
		var c changeLog
		done := make(chan struct{})
		go func() { w.run(ctx, ch, c.changed); close(done) }()
		src.mu.Lock()
		src.listErr = nil
		src.mu.Unlock()
		src.set("10.0.0.2")
		synctest.Wait()
		if got := c.take(); got != nil {
			t.Errorf("reported %q, want nothing", got)
		}
		if w.count(netip.MustParseAddr("10.0.0.1")) != 0 || w.count(netip.MustParseAddr("10.0.0.2")) != 1 {
			t.Error("the counts did not follow the first list")
		}
		src.set("")
		synctest.Wait()
		if got := c.take(); !slices.Equal(got, []string{"-10.0.0.2"}) {
			t.Errorf("reported %q, want [-10.0.0.2]", got)
		}
		cancel()
		<-done
	})
}

const haConf = `
virtual_server 10.0.0.1 80 {
    delay_loop 2
    lb_algo wrr
    lb_kind DR
    protocol TCP
    ha_suspend
    real_server 10.0.1.1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
}
virtual_server 10.0.0.2 80 {
    delay_loop 2
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
}
`

// countingProbes count the checks of each real server.
type countingProbes struct {
	mu    sync.Mutex
	calls map[string]int
}

func (p *countingProbes) factory(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
	addr := rs.Addr.String()
	return funcProbe(func(context.Context) Outcome {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.calls == nil {
			p.calls = map[string]int{}
		}
		p.calls[addr]++
		return Outcome{OK: true}
	}), nil
}

func (p *countingProbes) take(addr string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.calls[addr]
	delete(p.calls, addr)
	return n
}

// healthLines are the log's healthchecker (de)activation lines.
func healthLines(log string) []string {
	var out []string
	for l := range strings.Lines(log) {
		if i := strings.Index(l, `msg="`); i >= 0 && strings.Contains(l, "healthchecker") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(l[i+5:]), `"`))
		}
	}
	return out
}

// TestEngineHASuspend: the engine watches the host's addresses when a
// virtual server has ha_suspend. Its checkers start suspended while its
// address is absent, run once it is added and are suspended again when it
// is removed, with keepalived's log lines; other virtual servers' checks
// are not touched.
func TestEngineHASuspend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeAddresses{}
		src.set("192.168.1.1")
		probes := &countingProbes{}
		r := startEngine(t, haConf, nil, func(o *EngineOptions) {
			o.Addresses = src
			o.NewProbe = probes.factory
		})
		const rs1, vs1 = "[10.0.1.1]:tcp:80", "[10.0.0.1]:tcp:80"
		after(10 * time.Second)
		if n := probes.take("10.0.1.1"); n != 0 {
			t.Errorf("%d checks while the address is absent, want 0", n)
		}
		if n := probes.take("10.0.1.2"); n < 4 {
			t.Errorf("%d checks of the VS without ha_suspend, want ≥4", n)
		}
		src.set("192.168.1.1 10.0.0.1")
		after(10 * time.Second)
		if n := probes.take("10.0.1.1"); n < 4 {
			t.Errorf("%d checks once the address is here, want ≥4", n)
		}
		// The same address on a second interface, then removed from one:
		// the checkers keep running.
		src.set("192.168.1.1 10.0.0.1 10.0.0.1")
		after(time.Second)
		src.set("192.168.1.1 10.0.0.1")
		after(10 * time.Second)
		if n := probes.take("10.0.1.1"); n < 4 {
			t.Errorf("%d checks with the address on one interface left, want ≥4", n)
		}
		src.set("192.168.1.1")
		after(time.Second)
		probes.take("10.0.1.1")
		after(10 * time.Second)
		if n := probes.take("10.0.1.1"); n != 0 {
			t.Errorf("%d checks after the address went, want 0", n)
		}
		r.wantTable("suspended", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\nTCP 10.0.0.2:80 wlc\n  -> 10.0.1.2:80 weight 1\n")
		r.stop()
		want := []string{
			"Deactivating healthchecker for service " + rs1 + " for VS " + vs1,
			"Activating healthchecker for service [10.0.1.2]:tcp:80 for VS [10.0.0.2]:tcp:80",
			"Activating healthchecker for service " + rs1 + " for VS " + vs1,
			"Suspending healthchecker for service " + rs1 + " for VS " + vs1,
		}
		if got := healthLines(r.log.String()); !slices.Equal(got, want) {
			t.Errorf("log lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestEngineHASuspendPresentAtStart: an address already on the host at
// start leaves the checkers active; without ha_suspend nothing is
// watched.
func TestEngineHASuspendPresentAtStart(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		watches    int
	}{
		{"ha_suspend", haConf, 1},
		{"none", strings.ReplaceAll(haConf, "ha_suspend", ""), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := &fakeAddresses{}
				src.set("10.0.0.1")
				probes := &countingProbes{}
				r := startEngine(t, tc.conf, nil, func(o *EngineOptions) {
					o.Addresses = src
					o.NewProbe = probes.factory
				})
				after(5 * time.Second)
				if n := probes.take("10.0.1.1"); n < 2 {
					t.Errorf("%d checks, want ≥2", n)
				}
				r.stop()
				if src.watches != tc.watches {
					t.Errorf("%d watches, want %d", src.watches, tc.watches)
				}
				if l := healthLines(r.log.String()); len(l) == 0 || l[0] != "Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80" {
					t.Errorf("log lines %q", l)
				}
			})
		})
	}
}

// TestEngineHASuspendByReload: a reload that brings the first ha_suspend
// virtual server starts the watch, and the new virtual server's checkers
// are suspended while its address is absent.
func TestEngineHASuspendByReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeAddresses{}
		probes := &countingProbes{}
		plain := strings.ReplaceAll(haConf, "ha_suspend", "")
		r := startEngine(t, plain, nil, func(o *EngineOptions) {
			o.Addresses = src
			o.NewProbe = probes.factory
		})
		after(5 * time.Second)
		if n := probes.take("10.0.1.1"); n < 2 {
			t.Errorf("%d checks without ha_suspend, want ≥2", n)
		}
		// The virtual server changes identity (port 81) so that it is new.
		if err := r.eng.Reload(context.Background(), loadConfig(t, strings.Replace(haConf, "10.0.0.1 80", "10.0.0.1 81", 1))); err != nil {
			t.Fatal(err)
		}
		after(time.Second)
		probes.take("10.0.1.1")
		after(10 * time.Second)
		if n := probes.take("10.0.1.1"); n != 0 {
			t.Errorf("%d checks after the reload, want 0 (suspended)", n)
		}
		src.set("10.0.0.1")
		after(5 * time.Second)
		if n := probes.take("10.0.1.1"); n < 2 {
			t.Errorf("%d checks once the address came, want ≥2", n)
		}
		r.stop()
		if src.watches != 1 {
			t.Errorf("%d watches, want 1", src.watches)
		}
	})
}

// TestAddrWatcherWatchFails: a watch that cannot be started at first is
// tried again, less and less often, and the changes made meanwhile are
// reported once it works. hold keeps reports back until released.
func TestAddrWatcherWatchFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeAddresses{watchErr: errors.New("ENOBUFS")}
		src.set("10.0.0.1")
		w := newAddrWatcher(src, quietLog())
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := w.open(ctx)
		if err == nil || ch != nil {
			t.Fatalf("open: %v, %v; want the watch's error and no channel", ch, err)
		}
		if n := w.count(netip.MustParseAddr("10.0.0.1")); n != 1 {
			t.Errorf("count %d, want 1 (the list worked)", n)
		}
		var c changeLog
		done := make(chan struct{})
		go func() { w.run(ctx, ch, c.changed); close(done) }()
		// Tries at 1 s, 3 s (1+2), 7 s (3+4).
		time.Sleep(6 * time.Second)
		synctest.Wait()
		src.mu.Lock()
		if src.watches != 3 {
			t.Errorf("%d watches in 6 s, want 3 (the open and retries at 1 s and 3 s)", src.watches)
		}
		src.watchErr = nil
		src.mu.Unlock()
		src.set("10.0.0.2")
		time.Sleep(time.Second)
		synctest.Wait()
		if got := c.take(); !slices.Equal(got, []string{"-10.0.0.1", "+10.0.0.2"}) {
			t.Errorf("after the watch worked: %q", got)
		}

		release := w.hold()
		src.set("10.0.0.3")
		synctest.Wait()
		if got := c.take(); got != nil {
			t.Errorf("reported %q while held", got)
		}
		release()
		synctest.Wait()
		if got := c.take(); !slices.Equal(got, []string{"-10.0.0.2", "+10.0.0.3"}) {
			t.Errorf("after release: %q", got)
		}
		cancel()
		<-done
	})
}
