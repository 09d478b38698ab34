package check

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// viaConnector makes one TCP_CHECK attempt of p on a connector, sleeping
// in it as the scheduler's loop does.
func viaConnector(t *testing.T, c loopWaker, p Probe) Outcome {
	t.Helper()
	cp, ok := p.(connectProbe)
	if !ok {
		t.Fatalf("%T is not a connectProbe", p)
	}
	var got *Outcome
	c.connect(cp.connectOpts(), time.Now(), func(kind dialKind, err error) {
		o := cp.outcome(kind, err)
		got = &o
	})
	for deadline := time.Now().Add(10 * time.Second); got == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the connector never answered")
		}
		c.sleep(time.Now().Add(100 * time.Millisecond))
	}
	return *got
}

func startConnector(t *testing.T) loopWaker {
	t.Helper()
	c, err := newConnector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
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
	t.Run("IPv6", func(t *testing.T) {
		// The connector builds the kernel's sockaddr itself: the port's
		// byte order and the family must be right for both families.
		srv := startTCPServer(t, "tcp6", "[::1]:0", func(net.Conn, *tcpServer) {})
		wantOK(t, viaConnector(t, c, newTestProbe(t, ProbeEnv{}, "::1", srv.port(), "TCP_CHECK {\nconnect_timeout 1\n}")))
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		p := newTestProbe(t, ProbeEnv{}, "::1", closed, "TCP_CHECK {\nconnect_timeout 1\n}")
		wantFail(t, viaConnector(t, c, p), "failed", fmt.Sprintf("TCP connection to [::1]:tcp:%d failed.", closed))
	})
	t.Run("bind failure is local", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nbindto 192.0.2.1\nconnect_timeout 1\n}")
		if o := viaConnector(t, c, p); o.OK || !errors.Is(o.Err, ErrLocal) || errors.Is(o.Err, errCancelled) {
			t.Errorf("outcome %+v, want a local error", o)
		}
	})
}

// TestConnectorMany: attempts started together all complete, each
// exactly once, whatever their order.
func TestConnectorMany(t *testing.T) {
	c := startConnector(t)
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(net.Conn, *tcpServer) {})
	refused := closedPort(t, "tcp")
	good := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "TCP_CHECK {\nconnect_timeout 3\n}").(connectProbe)
	bad := newTestProbe(t, ProbeEnv{}, "127.0.0.1", refused, "TCP_CHECK {\nconnect_timeout 3\n}").(connectProbe)
	const n = 400
	calls := make([]int, n)
	oks, finished := 0, 0
	for i := range n {
		p := good
		if i%4 == 3 {
			p = bad
		}
		c.connect(p.connectOpts(), time.Now(), func(kind dialKind, err error) {
			calls[i]++
			finished++
			if p.outcome(kind, err).OK {
				oks++
			}
		})
	}
	for deadline := time.Now().Add(20 * time.Second); finished < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d attempts completed", finished, n)
		}
		c.sleep(time.Now().Add(100 * time.Millisecond))
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

// TestConnectorStop: close ends the connects in progress at once, as
// cancelled (a local error, not a failure of the server); later connects
// are cancelled too, and kicks do nothing.
func TestConnectorStop(t *testing.T) {
	c, err := newConnector()
	if err != nil {
		t.Fatal(err)
	}
	port := fullBacklogPort(t)
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 30\n}").(connectProbe)
	var got []Outcome
	finish := func(kind dialKind, err error) { got = append(got, p.outcome(kind, err)) }
	c.connect(p.connectOpts(), time.Now(), finish)
	c.connect(p.connectOpts(), time.Now(), finish)
	c.sleep(time.Now().Add(50 * time.Millisecond))
	if len(got) != 0 {
		t.Fatalf("outcomes %+v before close, want none (the connects hang)", got)
	}
	c.close()
	c.connect(p.connectOpts(), time.Now(), finish)
	c.kick()
	if len(got) != 3 {
		t.Fatalf("%d outcomes, want 3", len(got))
	}
	for _, o := range got {
		if o.OK || !errors.Is(o.Err, errCancelled) {
			t.Errorf("outcome %+v, want cancelled", o)
		}
	}
}

// TestConnectorSleep: sleep returns at its deadline, at a connect's
// connect_timeout when that is earlier, and at once after a kick from
// another goroutine, whether it came before the sleep or during it.
func TestConnectorSleep(t *testing.T) {
	c := startConnector(t)
	start := time.Now()
	if woke := c.sleep(start.Add(30 * time.Millisecond)); woke.Sub(start) < 30*time.Millisecond || woke.Sub(start) > time.Second {
		t.Errorf("slept %v, want 30ms", woke.Sub(start))
	}
	c.kick()
	c.kick()
	start = time.Now()
	if woke := c.sleep(time.Time{}); woke.Sub(start) > time.Second {
		t.Errorf("kicks before sleep: slept %v", woke.Sub(start))
	}
	// Both kicks were taken: the next sleep lasts until its deadline.
	start = time.Now()
	if woke := c.sleep(start.Add(30 * time.Millisecond)); woke.Sub(start) < 30*time.Millisecond {
		t.Errorf("slept %v after the kicks were taken, want 30ms", woke.Sub(start))
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.kick()
	}()
	start = time.Now()
	if woke := c.sleep(time.Time{}); woke.Sub(start) < 40*time.Millisecond || woke.Sub(start) > 5*time.Second {
		t.Errorf("a kick during sleep: woke after %v, want about 50ms", woke.Sub(start))
	}
	port := fullBacklogPort(t)
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 0.05\n}").(connectProbe)
	var got *Outcome
	start = time.Now()
	c.connect(p.connectOpts(), start, func(kind dialKind, err error) { o := p.outcome(kind, err); got = &o })
	woke := c.sleep(start.Add(10 * time.Second))
	if got == nil || got.OK || woke.Sub(start) < 50*time.Millisecond || woke.Sub(start) > 5*time.Second {
		t.Errorf("after %v: outcome %+v, want a timeout at connect_timeout (50ms)", woke.Sub(start), got)
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
	for deadline := time.Now().Add(5 * time.Second); !usesConnector() || s.Stats().Checks == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the attempt did not start on the connector")
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

// viaExchange makes one HTTP_GET attempt of p on its first url on a
// connector, sleeping in it as the scheduler's loop does.
func viaExchange(t *testing.T, c loopWaker, p Probe) Outcome {
	t.Helper()
	sp, ok := p.(streamProbe)
	if !ok {
		t.Fatalf("%T is not a streamProbe", p)
	}
	x := sp.stream(0)
	if x == nil {
		t.Fatal("the probe's attempts need a goroutine")
	}
	var got *Outcome
	c.exchange(sp.connectOpts(), time.Now(), x, func(o Outcome) { got = &o })
	for deadline := time.Now().Add(10 * time.Second); got == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the exchange never ended")
		}
		c.sleep(time.Now().Add(100 * time.Millisecond))
	}
	return *got
}

// TestHTTPInLoop: HTTP_GET's exchange on the connector sends the request
// the goroutine probe sends and reaches its verdict, with its lines,
// whatever the server does.
func TestHTTPInLoop(t *testing.T) {
	c := startConnector(t)
	for _, tt := range httpResponseCases() {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTCPServer(t, "tcp4", "127.0.0.1:0", tt.handle)
			p := tt.probe(t, srv)
			start := time.Now()
			o := viaExchange(t, c, p)
			if el := time.Since(start); el > time.Second {
				t.Errorf("attempt took %v", el)
			}
			tt.check(t, srv, o)
			hp := p.(*httpProbe)
			if r := srv.requests(); len(r) != 1 || string(r[0]) != string(hp.request(hp.urls[0])) {
				t.Errorf("server received %q, want %q", r, hp.request(hp.urls[0]))
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "HTTP_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		wantFail(t, viaExchange(t, c, p), "Connection failed", fmt.Sprintf("Connection failed server [127.0.0.1]:tcp:%d.", port))
	})
	t.Run("no answer to SYN", func(t *testing.T) {
		port := fullBacklogPort(t)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "HTTP_GET {\nconnect_timeout 0.05\nurl {\npath /\n}\n}")
		start := time.Now()
		wantFail(t, viaExchange(t, c, p), "Timeout connecting", "")
		if el := time.Since(start); el < 40*time.Millisecond || el > time.Second {
			t.Errorf("timed out after %v, want about 50ms", el)
		}
	})
	t.Run("a large body read in many pieces", func(t *testing.T) {
		body := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", httpServe("HTTP/1.0 200 OK\r\n\r\n"+body))
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "HTTP_GET {\nconnect_timeout 1\nurl {\npath /\ndigest "+
			hex.EncodeToString(md5Sum(body))+"\n}\n}")
		wantOK(t, viaExchange(t, c, p))
	})
	t.Run("SSL_GET stays on a goroutine", func(t *testing.T) {
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 443, "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		if x := p.(streamProbe).stream(0); x != nil {
			t.Errorf("SSL_GET stream %T, want nil", x)
		}
	})
}

// TestExchangeCancelledAtClose: an exchange waiting for its answer when
// the loop stops ends as cancelled, not as a failure of the server.
func TestExchangeCancelledAtClose(t *testing.T) {
	c, err := newConnector()
	if err != nil {
		t.Fatal(err)
	}
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
		s.record(readRequest(c))
		io.Copy(io.Discard, c)
	})
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "HTTP_GET {\nconnect_timeout 30\nurl {\npath /\n}\n}").(streamProbe)
	var got []Outcome
	c.exchange(p.connectOpts(), time.Now(), p.stream(0), func(o Outcome) { got = append(got, o) })
	for deadline := time.Now().Add(5 * time.Second); len(srv.requests()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never arrived")
		}
		c.sleep(time.Now().Add(10 * time.Millisecond))
	}
	c.close()
	c.exchange(p.connectOpts(), time.Now(), p.stream(0), func(o Outcome) { got = append(got, o) })
	if len(got) != 2 {
		t.Fatalf("%d outcomes, want 2", len(got))
	}
	for _, o := range got {
		if o.OK || !errors.Is(o.Err, errCancelled) {
			t.Errorf("outcome %+v, want cancelled", o)
		}
	}
}
