package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// viaConnector makes one TCP_CHECK attempt of p on a connector, as the
// scheduler does.
func viaConnector(t *testing.T, c connectRunner, p Probe) Outcome {
	t.Helper()
	cp, ok := p.(connectProbe)
	if !ok {
		t.Fatalf("%T is not a connectProbe", p)
	}
	got := make(chan Outcome, 1)
	c.connect(cp.connectOpts(), time.Now(), func(kind dialKind, err error) { got <- cp.outcome(kind, err) })
	select {
	case o := <-got:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("the connector never answered")
		return Outcome{}
	}
}

func startConnector(t *testing.T) connectRunner {
	t.Helper()
	c, err := newConnector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	return c
}

// TestConnectorVerdicts: the connector's attempts end as the blocking
// probe's do, with keepalived's lines.
func TestConnectorVerdicts(t *testing.T) {
	c := startConnector(t)
	t.Run("connects and sends nothing", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			b := make([]byte, 16)
			n, _ := c.Read(b)
			s.record(b[:n])
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "TCP_CHECK {\nconnect_timeout 1\n}")
		wantOK(t, viaConnector(t, c, p))
		deadline := time.Now().Add(2 * time.Second)
		for len(srv.requests()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if r := srv.requests(); len(r) != 1 || len(r[0]) != 0 {
			t.Errorf("server received %q, want one empty connection", r)
		}
	})
	t.Run("refused", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 1\n}")
		wantFail(t, viaConnector(t, c, p), "failed", fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d failed.", port))
	})
	t.Run("timeout", func(t *testing.T) {
		port := fullBacklogPort(t)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 0.05\n}")
		start := time.Now()
		wantFail(t, viaConnector(t, c, p), "timeout", fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d timeout.", port))
		if el := time.Since(start); el < 50*time.Millisecond || el > time.Second {
			t.Errorf("timed out after %v, want connect_timeout (50ms)", el)
		}
	})
	t.Run("bind failure is local", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nbindto 192.0.2.1\nconnect_timeout 1\n}")
		if o := viaConnector(t, c, p); o.OK || !errors.Is(o.Err, ErrLocal) || errors.Is(o.Err, errCancelled) {
			t.Errorf("outcome %+v, want a local error", o)
		}
	})
}

// TestConnectorMany: attempts submitted together from several goroutines
// all complete, each exactly once, whatever their order.
func TestConnectorMany(t *testing.T) {
	c := startConnector(t)
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(net.Conn, *tcpServer) {})
	refused := closedPort(t, "tcp")
	good := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "TCP_CHECK {\nconnect_timeout 3\n}").(connectProbe)
	bad := newTestProbe(t, ProbeEnv{}, "127.0.0.1", refused, "TCP_CHECK {\nconnect_timeout 3\n}").(connectProbe)
	const n = 400
	var mu sync.Mutex
	calls := make([]int, n)
	oks := 0
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		p := good
		if i%4 == 3 {
			p = bad
		}
		go c.connect(p.connectOpts(), time.Now(), func(kind dialKind, err error) {
			mu.Lock()
			calls[i]++
			if p.outcome(kind, err).OK {
				oks++
			}
			mu.Unlock()
			wg.Done()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("not every attempt completed")
	}
	for i, k := range calls {
		if k != 1 {
			t.Errorf("attempt %d finished %d times", i, k)
		}
	}
	if oks != n-n/4 {
		t.Errorf("%d passed, want %d", oks, n-n/4)
	}
}

// TestConnectorStop: stop ends the connects in progress at once, as
// cancelled (a local error, not a failure of the server), and later
// connects are cancelled too.
func TestConnectorStop(t *testing.T) {
	c, err := newConnector()
	if err != nil {
		t.Fatal(err)
	}
	port := fullBacklogPort(t)
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 30\n}").(connectProbe)
	got := make(chan Outcome, 3)
	finish := func(kind dialKind, err error) { got <- p.outcome(kind, err) }
	c.connect(p.connectOpts(), time.Now(), finish)
	c.connect(p.connectOpts(), time.Now(), finish)
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	c.stop()
	if el := time.Since(start); el > time.Second {
		t.Errorf("stop took %v", el)
	}
	c.connect(p.connectOpts(), time.Now(), finish)
	for range 3 {
		select {
		case o := <-got:
			if o.OK || !errors.Is(o.Err, errCancelled) {
				t.Errorf("outcome %+v, want cancelled", o)
			}
		case <-time.After(time.Second):
			t.Fatal("an attempt was never finished")
		}
	}
}

// TestSchedulerStopsConnects: TCP_CHECK attempts hanging in the
// connector when the scheduler stops end at once and say nothing.
func TestSchedulerStopsConnects(t *testing.T) {
	port := fullBacklogPort(t)
	conf := fmt.Sprintf("virtual_server 10.0.0.1 80 {\ndelay_loop 1\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n"+
		"real_server 127.0.0.1 %d {\nTCP_CHECK {\nwarmup 0\nconnect_timeout 30\n}\n}\n}\n", port)
	cfg := loadConfig(t, conf)
	factory := func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
		return NewProbe(c, vs, rs, ProbeEnv{})
	}
	logs := &logCapture{}
	s, err := NewScheduler(cfg, factory, LogNotifier{Log: quietLog()}, Options{Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	usesConnector := func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.conn != nil
	}
	for deadline := time.Now().Add(5 * time.Second); !usesConnector(); {
		if time.Now().After(deadline) {
			t.Fatal("the attempt did not go to the connector")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the connect is in progress
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("stopping took %v", el)
	}
	for _, l := range logs.lines() {
		if strings.Contains(l, "cancel") || strings.Contains(l, "Rescheduling") {
			t.Errorf("logged %q at stop", l)
		}
	}
}
