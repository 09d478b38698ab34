package check

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// The engine tests run Engine.Run for real (scheduler loop, goroutines,
// the notify queue) inside a synctest bubble, against the in-memory IPVS
// kernel, with probes whose answer each test sets per real server.

// engKernel records every command the engine sends to the kernel.
type engKernel struct {
	ipvstest.Kernel
	mu  sync.Mutex
	ops []string
}

func (k *engKernel) Apply(ctx context.Context, op ipvs.Op) error {
	err := k.Kernel.Apply(ctx, op)
	if err == nil {
		k.mu.Lock()
		k.ops = append(k.ops, op.String())
		k.mu.Unlock()
	}
	return err
}

// opsSince returns the commands after the first n.
func (k *engKernel) opsSince(n int) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.ops[n:])
}

func (k *engKernel) numOps() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ops)
}

// table renders the kernel's table as "SERVICE sched" lines and
// "  -> DEST weight W" lines.
func (k *engKernel) table(t *testing.T) string {
	t.Helper()
	tab, err := k.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range tab.Normalize().Services {
		fmt.Fprintf(&b, "%s %s\n", s.ServiceKey, s.Scheduler)
		for _, d := range s.Dests {
			fmt.Fprintf(&b, "  -> %s weight %d\n", d.Key(), d.Weight)
		}
	}
	return b.String()
}

// engProbes answer each real server's checks with what the test set (by
// the real server's address), passing by default.
type engProbes struct {
	mu   sync.Mutex
	fail map[string]bool
}

func (p *engProbes) set(addr string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail == nil {
		p.fail = map[string]bool{}
	}
	p.fail[addr] = !ok
}

func (p *engProbes) factory(_ *parser.VirtualServer, rs *parser.RealServer, _ *parser.Checker) (Probe, error) {
	addr := rs.Addr.String()
	return funcProbe(func(context.Context) Outcome {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fail[addr] {
			return Outcome{Err: errors.New("refused")}
		}
		return Outcome{OK: true}
	}), nil
}

// engLog collects log lines.
type engLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *engLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *engLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// engRun is one engine running in the test's bubble.
type engRun struct {
	t      *testing.T
	k      *engKernel
	probes *engProbes
	log    *engLog
	eng    *Engine
	cancel context.CancelFunc
	done   chan error
}

func startEngine(t *testing.T, conf string, k *engKernel, tune func(*EngineOptions)) *engRun {
	t.Helper()
	if k == nil {
		k = &engKernel{}
	}
	r := &engRun{t: t, k: k, probes: &engProbes{}, log: &engLog{}, done: make(chan error, 1)}
	opts := EngineOptions{
		Log:      slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Kernel:   k,
		NewProbe: r.probes.factory,
		Notify:   NotifyOptions{Runner: notify.RunnerFunc(func(context.Context, notify.Command) notify.Result { return notify.Result{} })},
	}
	if tune != nil {
		tune(&opts)
	}
	eng, err := NewEngine(loadConfig(t, conf), opts)
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- eng.Run(ctx) }()
	synctest.Wait()
	return r
}

// stop ends Run and waits for it.
func (r *engRun) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Fatalf("Run: %v", err)
	}
}

// after lets virtual time pass and the engine settle.
func after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (r *engRun) wantTable(when, want string) {
	r.t.Helper()
	if got := r.k.table(r.t); got != want {
		r.t.Errorf("%s: table\n%s\nwant\n%s\nlog:\n%s", when, got, want, r.log)
	}
}

const engVS = `
virtual_server 10.0.0.1 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
%s
    real_server 10.0.1.1 80 {
        weight 1
%s
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
            warmup 0
        }
    }
    real_server 10.0.1.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
            warmup 0
        }
    }
}
`

func engConf(vsExtra, rs1Extra string) string { return fmt.Sprintf(engVS, vsExtra, rs1Extra) }

const (
	engBoth = "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\n  -> 10.0.1.2:80 weight 2\n"
	engTwo  = "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.2:80 weight 2\n"
)

// TestEngineStartAndFailure: non-alpha real servers are in IPVS before any
// check; a failing one leaves after its retry with one delete, and comes
// back with one add when it passes again.
func TestEngineStartAndFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &engKernel{}
		readyOps := -1
		r := startEngine(t, engConf("", ""), k, func(o *EngineOptions) { o.Ready = func() { readyOps = k.numOps() } })
		r.wantTable("at start", engBoth)
		if readyOps != 3 {
			t.Errorf("Ready called after %d commands, want 3 (the initial table)", readyOps)
		}
		if !strings.Contains(r.log.String(), `msg="Initializing ipvs"`) {
			t.Errorf("no Initializing ipvs line:\n%s", r.log)
		}
		if got := r.k.opsSince(0); len(got) != 3 {
			t.Errorf("start: %d commands, want add-service and two add-dest: %q", len(got), got)
		}
		after(1500 * time.Millisecond)
		r.wantTable("after the first checks", engBoth)

		n := r.k.numOps()
		r.probes.set("10.0.1.1", false)
		// Checks at 2 s (fails, retry 1) and 3 s (fails: down).
		after(1 * time.Second)
		r.wantTable("after one failed attempt (retry 1)", engBoth)
		after(1 * time.Second)
		r.wantTable("after the retry failed", engTwo)
		if got := r.k.opsSince(n); len(got) != 1 || !strings.HasPrefix(got[0], "del-dest") && !strings.Contains(got[0], "10.0.1.1") {
			t.Errorf("removal: %q, want one delete of 10.0.1.1", got)
		}
		if !strings.Contains(r.log.String(), "Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80") {
			t.Errorf("no removal line:\n%s", r.log)
		}

		n = r.k.numOps()
		r.probes.set("10.0.1.1", true)
		after(2 * time.Second)
		r.wantTable("after it passes again", engBoth)
		if got := r.k.opsSince(n); len(got) != 1 || !strings.Contains(got[0], "10.0.1.1") {
			t.Errorf("re-add: %q, want one add of 10.0.1.1", got)
		}
		r.stop()
		r.wantTable("after shutdown", "")
	})
}

// TestEngineAlphaJoinsAfterCheck: an alpha real server is left out until
// its checks pass.
func TestEngineAlphaJoinsAfterCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startEngine(t, engConf("", "alpha"), nil, func(*EngineOptions) {})
		r.probes.set("10.0.1.1", false)
		r.wantTable("at start", engTwo)
		after(3 * time.Second)
		r.wantTable("while its check fails", engTwo)
		r.probes.set("10.0.1.1", true)
		after(1500 * time.Millisecond)
		r.wantTable("after its check passed", engBoth)
		if !strings.Contains(r.log.String(), "Adding service [10.0.1.1]:tcp:80 to VS [10.0.0.1]:tcp:80") {
			t.Errorf("no adding line:\n%s", r.log)
		}
		r.stop()
	})
}

// TestEngineInhibit: inhibit_on_failure keeps a failed server at weight 0
// (one edit) and gives it its weight back (one edit).
func TestEngineInhibit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startEngine(t, engConf("", "inhibit_on_failure"), nil, nil)
		after(1500 * time.Millisecond)
		n := r.k.numOps()
		r.probes.set("10.0.1.1", false)
		after(2 * time.Second)
		r.wantTable("failed", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 0\n  -> 10.0.1.2:80 weight 2\n")
		if got := r.k.opsSince(n); len(got) != 1 || !strings.HasPrefix(got[0], ipvs.OpEditDest.String()) {
			t.Errorf("inhibit: %q, want one edit", got)
		}
		if !strings.Contains(r.log.String(), "Disabling service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80") {
			t.Errorf("no disabling line:\n%s", r.log)
		}
		n = r.k.numOps()
		r.probes.set("10.0.1.1", true)
		after(2 * time.Second)
		r.wantTable("recovered", engBoth)
		if got := r.k.opsSince(n); len(got) != 1 || !strings.HasPrefix(got[0], ipvs.OpEditDest.String()) {
			t.Errorf("recovery: %q, want one edit", got)
		}
		r.stop()
		r.wantTable("after shutdown (inhibited servers are deleted too)", "")
	})
}

// TestEngineQuorumSorryServer: losing quorum puts the sorry server in and
// the alive servers out; regaining it reverses that.
func TestEngineQuorumSorryServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startEngine(t, engConf("quorum 3\nsorry_server 10.0.9.9 80", ""), nil, nil)
		r.wantTable("at start", engBoth)
		after(1500 * time.Millisecond)
		r.probes.set("10.0.1.1", false)
		after(2 * time.Second)
		r.wantTable("quorum lost", "TCP 10.0.0.1:80 wrr\n  -> 10.0.9.9:80 weight 1\n")
		log := r.log.String()
		for _, line := range []string{"Lost quorum 3-0=3 > 2 for VS [10.0.0.1]:tcp:80",
			"Adding sorry server [10.0.9.9]:tcp:80 to VS [10.0.0.1]:tcp:80"} {
			if !strings.Contains(log, line) {
				t.Errorf("missing %q in\n%s", line, log)
			}
		}
		snap := r.eng.Snapshot().VirtualServers[0]
		if snap.QuorumUp || !snap.SorryActive || !snap.RealServers[1].Alive || snap.RealServers[1].InKernel {
			t.Errorf("snapshot while the sorry server serves: %+v", snap)
		}
		r.probes.set("10.0.1.1", true)
		after(2 * time.Second)
		r.wantTable("quorum back", engBoth)
		r.stop()
		r.wantTable("after shutdown", "")
	})
}

// TestEngineReloadOneServer: a reload that changes one real server's
// weight costs exactly one kernel command and keeps the other's state.
func TestEngineReloadOneServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startEngine(t, engConf("", ""), nil, nil)
		after(1500 * time.Millisecond)
		before := r.k.Counts()
		n := r.k.numOps()
		newConf := strings.Replace(engConf("", ""), "weight 2", "weight 5", 1)
		if err := r.eng.Reload(context.Background(), loadConfig(t, newConf)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		// (the table check below reads the fake kernel itself)
		reloadCost := r.k.Counts().Sub(before)
		r.wantTable("after reload", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\n  -> 10.0.1.2:80 weight 5\n")
		got := r.k.opsSince(n)
		if len(got) != 1 || !strings.HasPrefix(got[0], ipvs.OpEditDest.String()) || !strings.Contains(got[0], "10.0.1.2") {
			t.Errorf("reload: %q, want one edit of 10.0.1.2", got)
		}
		if c := reloadCost; c.Reads != 0 || c.Writes != 1 {
			t.Errorf("reload: %+v netlink requests, want 0 reads and 1 write", c)
		}
		// Checks go on with the new configuration.
		r.probes.set("10.0.1.2", false)
		after(3 * time.Second)
		r.wantTable("new server failed", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\n")
		snap := r.eng.Snapshot()
		if len(snap.VirtualServers) != 1 || len(snap.VirtualServers[0].RealServers) != 2 ||
			snap.VirtualServers[0].RealServers[1].Alive || !snap.VirtualServers[0].RealServers[0].Alive ||
			snap.VirtualServers[0].RealServers[1].Weight != 5 || !snap.VirtualServers[0].QuorumUp ||
			snap.VirtualServers[0].RealServers[1].InKernel || !snap.VirtualServers[0].RealServers[0].InKernel {
			t.Errorf("snapshot %+v", snap.VirtualServers)
		}
		if snap.Table == nil || snap.Table.NumDests() != 1 || snap.IPVS.Reconciles == 0 {
			t.Errorf("snapshot table %+v stats %+v", snap.Table, snap.IPVS)
		}
		r.stop()
		if err := r.eng.Reload(context.Background(), loadConfig(t, newConf)); !errors.Is(err, ErrNotRunning) {
			t.Errorf("Reload after Run: %v, want ErrNotRunning", err)
		}
	})
}

// TestEngineShutdownModes: keepalived's default removes each destination
// then the service; lvs_flush_on_stop VS only the services; the full
// flush everything; --dont-release-ipvs nothing. Entries of other programs
// are left alone except by the full flush.
func TestEngineShutdownModes(t *testing.T) {
	foreign := &ipvs.Service{ServiceKey: ipvs.AddrKey(ipvs.UDP, netip.MustParseAddr("192.0.2.1"), 53), Scheduler: "rr", Netmask: 0xffffffff}
	for _, tc := range []struct {
		name, global string
		dontRelease  bool
		wantOps      []string
		wantTable    string
	}{
		{name: "default", wantOps: []string{"del-dest", "del-dest", "del-service"}, wantTable: "UDP 192.0.2.1:53 rr\n"},
		{name: "vs", global: "lvs_flush_on_stop VS", wantOps: []string{"del-service"}, wantTable: "UDP 192.0.2.1:53 rr\n"},
		{name: "full", global: "lvs_flush_on_stop", wantOps: []string{"flush"}, wantTable: ""},
		{name: "dont-release", dontRelease: true, wantTable: engBoth + "UDP 192.0.2.1:53 rr\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := &engKernel{}
				if err := k.Kernel.Apply(context.Background(), ipvs.Op{Kind: ipvs.OpAddService, Service: foreign}); err != nil {
					t.Fatal(err)
				}
				conf := engConf("", "")
				if tc.global != "" {
					conf = "global_defs {\n" + tc.global + "\n}\n" + conf
				}
				r := startEngine(t, conf, k, func(o *EngineOptions) { o.DontReleaseIPVS = tc.dontRelease })
				after(1500 * time.Millisecond)
				n := k.numOps()
				r.stop()
				var kinds []string
				for _, op := range k.opsSince(n) {
					kinds = append(kinds, strings.Fields(op)[0])
				}
				if !slices.Equal(kinds, tc.wantOps) {
					t.Errorf("shutdown commands %q, want %q", k.opsSince(n), tc.wantOps)
				}
				r.wantTable("after shutdown", tc.wantTable)
				log := r.log.String()
				if !strings.Contains(log, "Shutting down service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80") {
					t.Errorf("no shutdown line:\n%s", log)
				}
			})
		})
	}
}

// TestEngineFlushAtStart: lvs_flush empties the whole table before the
// first one is built; without it other programs' services stay.
func TestEngineFlushAtStart(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint(flush), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := &engKernel{}
				foreign := &ipvs.Service{ServiceKey: ipvs.AddrKey(ipvs.UDP, netip.MustParseAddr("192.0.2.1"), 53), Scheduler: "rr", Netmask: 0xffffffff}
				if err := k.Kernel.Apply(context.Background(), ipvs.Op{Kind: ipvs.OpAddService, Service: foreign}); err != nil {
					t.Fatal(err)
				}
				conf := engConf("", "")
				want := engBoth + "UDP 192.0.2.1:53 rr\n"
				if flush {
					conf = "global_defs {\nlvs_flush\n}\n" + conf
					want = engBoth
				}
				r := startEngine(t, conf, k, nil)
				r.wantTable("at start", want)
				r.stop()
			})
		})
	}
}

// TestEngineIPVSUnavailable: an IPVS that cannot be opened is a fatal
// error with keepalived's message; a configuration without virtual
// servers does not need IPVS.
func TestEngineIPVSUnavailable(t *testing.T) {
	_, err := NewEngine(loadConfig(t, engConf("", "")), EngineOptions{NetNS: "/nonexistent/netns", Log: quietLog()})
	if !errors.Is(err, ErrIPVSUnavailable) || !strings.HasPrefix(err.Error(), "IPVS: Can't initialize ipvs: ") {
		t.Errorf("NewEngine: %v, want ErrIPVSUnavailable with keepalived's message", err)
	}
	eng, err := NewEngine(loadConfig(t, "global_defs {\nrouter_id x\n}\n"), EngineOptions{NetNS: "/nonexistent/netns", Log: quietLog()})
	if err != nil || eng == nil {
		t.Errorf("NewEngine without virtual servers: %v", err)
	}
}

// TestAlertMail: the adapter's subjects are keepalived's.
func TestAlertMail(t *testing.T) {
	m := alertMail("lb1", Alert{VSName: "[10.0.0.1]:tcp:80", RSName: "[10.0.1.1]:tcp:80", Up: false, Body: notify.BodyTCPDown})
	if m.Subject != "[lb1] Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN" || m.Body != notify.BodyTCPDown {
		t.Errorf("rs mail %+v", m)
	}
	m = alertMail("lb1", Alert{VSName: "[10.0.0.1]:tcp:80", Up: true, Body: "=> Gained quorum 1+0=1 <= 2 <="})
	if m.Subject != "[lb1] Virtualserver [10.0.0.1]:tcp:80 - UP" || m.Body != "=> Gained quorum 1+0=1 <= 2 <=" {
		t.Errorf("vs mail %+v", m)
	}
}

// engSMTP is a minimal SMTP server on one connection: it accepts
// everything and hands each message's DATA to got.
func engSMTP(c net.Conn, got chan<- string) {
	defer c.Close()
	rd := bufio.NewReader(c)
	fmt.Fprint(c, "220 test\r\n")
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case cmd == "DATA":
			fmt.Fprint(c, "354 go on\r\n")
			var data strings.Builder
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			got <- data.String()
			fmt.Fprint(c, "250 queued\r\n")
		case cmd == "QUIT":
			fmt.Fprint(c, "221 bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 ok\r\n")
		}
	}
}

// TestEngineMail: a real server's failure sends the checker's alert with
// keepalived's subject and body; the quorum change sends the virtual
// server's (its smtp_alert is on).
func TestEngineMail(t *testing.T) {
	conf := `global_defs {
    router_id lb1
    notification_email {
        ops@example.com
    }
    notification_email_from lb@example.com
    smtp_server 192.0.2.25
}
virtual_server 10.0.0.1 80 {
    delay_loop 1
    protocol TCP
    quorum 2
    smtp_alert
    real_server 10.0.1.1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
    real_server 10.0.1.2 80 {
        weight 1
    }
}`
	synctest.Test(t, func(t *testing.T) {
		mails := make(chan string, 10)
		dial := func(context.Context, string, string) (net.Conn, error) {
			a, b := net.Pipe()
			go engSMTP(b, mails)
			return a, nil
		}
		r := startEngine(t, conf, nil, func(o *EngineOptions) { o.Notify.MailDial = dial })
		after(1500 * time.Millisecond)
		// The start's quorum mail.
		var got []string
		for len(mails) > 0 {
			got = append(got, <-mails)
		}
		r.probes.set("10.0.1.1", false)
		after(time.Second)
		for len(mails) > 0 {
			got = append(got, <-mails)
		}
		var subjects []string
		for _, m := range got {
			var subj, body string
			for _, l := range strings.Split(m, "\r\n") {
				if s, ok := strings.CutPrefix(l, "Subject: "); ok {
					subj = s
				}
				if strings.HasPrefix(l, "=> ") {
					body = l
				}
			}
			subjects = append(subjects, subj+" | "+body)
		}
		slices.Sort(subjects)
		want := []string{
			"[lb1] Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN | => TCP CHECK failed on service <=",
			"[lb1] Virtualserver [10.0.0.1]:tcp:80 - DOWN | => Lost quorum 2+0=2 <= 1 <=",
			"[lb1] Virtualserver [10.0.0.1]:tcp:80 - UP | => Starting with quorum up 2+0=2 <= 2 <=",
		}
		if !slices.Equal(subjects, want) {
			t.Errorf("mails:\n%s\nwant:\n%s", strings.Join(subjects, "\n"), strings.Join(want, "\n"))
		}
		r.stop()
	})
}

// TestEngineRetriesRefusedCommands: a command the kernel refused is tried
// again (after ReconcileRetry) without waiting for a checker to change.
func TestEngineRetriesRefusedCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &engKernel{}
		var refused atomic.Int32
		k.Kernel.Fail = func(op ipvs.Op) error {
			if op.Kind == ipvs.OpAddDest && op.Dest.Addr.String() == "10.0.1.2" && refused.Add(1) <= 2 {
				return syscall.ENOMEM
			}
			return nil
		}
		r := startEngine(t, engConf("", ""), k, nil)
		r.wantTable("at start, 10.0.1.2 refused", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\n")
		if s := r.eng.Snapshot().IPVS; s.Failed != 2 || s.LastError == "" {
			t.Errorf("stats %+v, want 2 refused commands and the error", s)
		}
		after(ReconcileRetry - time.Millisecond)
		r.wantTable("just before the retry", "TCP 10.0.0.1:80 wrr\n  -> 10.0.1.1:80 weight 1\n")
		after(time.Millisecond)
		r.wantTable("after the retry", engBoth)
		if s := r.eng.Snapshot().IPVS; s.LastError != "" {
			t.Errorf("stats %+v after the retry", s)
		}
		if !strings.Contains(r.log.String(), "cannot allocate memory") {
			t.Errorf("refusal not logged:\n%s", r.log)
		}
		r.stop()
	})
}

// TestIPVSNamespace: net_namespace_ipvs picks the namespace unless the
// caller named one.
func TestIPVSNamespace(t *testing.T) {
	for _, tc := range []struct{ conf, opt, want string }{
		{"", "", ""},
		{"net_namespace_ipvs lbns\n", "", "/run/netns/lbns"},
		{"net_namespace_ipvs\n", "", "/proc/1/ns/net"},
		{"net_namespace_ipvs lbns\n", "/run/netns/other", "/run/netns/other"},
	} {
		cfg := loadConfig(t, tc.conf+"global_defs {\nrouter_id x\n}\n")
		if got := ipvsNamespace(tc.opt, cfg); got != tc.want {
			t.Errorf("%q with %q: %q, want %q", tc.conf, tc.opt, got, tc.want)
		}
	}
}

// TestEngineReloadFirstVirtualServer: a configuration without virtual
// servers needs no IPVS; a reload that brings the first one opens it and
// builds the table as at start. Reload before Run fails at once.
func TestEngineReloadFirstVirtualServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &engKernel{}
		empty := "global_defs {\nrouter_id x\n}\n"
		probes := &engProbes{}
		eng, err := NewEngine(loadConfig(t, empty), EngineOptions{Log: quietLog(), Kernel: k, NewProbe: probes.factory})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Reload(context.Background(), loadConfig(t, engConf("", ""))); !errors.Is(err, ErrNotRunning) {
			t.Errorf("Reload before Run: %v, want ErrNotRunning", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- eng.Run(ctx) }()
		synctest.Wait()
		if c := k.Counts(); c.Total() != 0 {
			t.Errorf("IPVS used without virtual servers: %+v", c)
		}
		if err := eng.Reload(context.Background(), loadConfig(t, engConf("", ""))); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := k.table(t); got != engBoth {
			t.Errorf("after the reload:\n%s", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := k.table(t); got != "" {
			t.Errorf("after shutdown:\n%s", got)
		}
	})
}

// TestEngineOmegaShutdown: with omega the shutdown's notify_down and
// quorum_down run (with keepalived's one-second kill) and its alert mails
// go out, although Run's context has ended.
func TestEngineOmegaShutdown(t *testing.T) {
	conf := `global_defs {
    router_id lb1
    notification_email {
        ops@example.com
    }
    smtp_server 192.0.2.25
}
virtual_server 10.0.0.1 80 {
    delay_loop 1
    protocol TCP
    omega
    smtp_alert
    quorum_down "/bin/sh qdown"
    real_server 10.0.1.1 80 {
        weight 1
        notify_down "/bin/sh down"
        TCP_CHECK {
            connect_timeout 1
            warmup 0
        }
    }
}`
	synctest.Test(t, func(t *testing.T) {
		rec := &adapterRecorder{}
		mails := make(chan string, 10)
		dial := func(context.Context, string, string) (net.Conn, error) {
			a, b := net.Pipe()
			go engSMTP(b, mails)
			return a, nil
		}
		r := startEngine(t, conf, nil, func(o *EngineOptions) { o.Notify.Runner = rec; o.Notify.MailDial = dial })
		after(1500 * time.Millisecond)
		for len(mails) > 0 {
			<-mails // the start's quorum mail
		}
		r.stop()
		var got []string
		for _, c := range rec.commands() {
			got = append(got, fmt.Sprintf("%s timeout=%v", strings.Join(c.Argv[1:], " "), c.Timeout))
		}
		slices.Sort(got)
		if want := []string{"down timeout=1s", "qdown timeout=1s"}; !slices.Equal(got, want) {
			t.Errorf("shutdown scripts %q, want %q", got, want)
		}
		var bodies []string
		for len(mails) > 0 {
			m := <-mails
			bodies = append(bodies, m[strings.Index(m, "Subject: "):strings.Index(m, "=> Shutting down <=")])
		}
		if len(bodies) != 2 {
			t.Errorf("%d shutdown mails, want 2 (the real server's and the virtual server's): %q", len(bodies), bodies)
		}
	})
}
