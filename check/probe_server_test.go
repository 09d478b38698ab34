package check

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// probeTestConfig parses a one-VS, one-RS configuration whose real server
// at addr:port carries the checker block, and returns its parts. vsAddr is
// picked in the real server's family.
func probeTestConfig(t testing.TB, addr string, port int, checker string, extra ...string) (*parser.Config, *parser.VirtualServer, *parser.RealServer, *parser.Checker) {
	t.Helper()
	vsAddr := "10.0.0.1"
	if strings.Contains(addr, ":") {
		vsAddr = "2001:db8::1"
	}
	text := fmt.Sprintf(`%s
virtual_server %s 80 {
	protocol TCP
	lb_algo rr
	lb_kind NAT
	delay_loop 7
	real_server %s %d {
		weight 5
		%s
	}
}
`, strings.Join(extra, "\n"), vsAddr, addr, port, checker)
	res := parser.LoadBytes("probe_test.conf", []byte(text), parser.Options{})
	for _, d := range res.Diagnostics {
		t.Logf("config: %v", d)
	}
	cfg := res.Config
	if cfg == nil || len(cfg.VirtualServers) != 1 || len(cfg.VirtualServers[0].RealServers) != 1 {
		t.Fatalf("configuration did not parse as one virtual and one real server:\n%s", text)
	}
	vs := cfg.VirtualServers[0]
	rs := vs.RealServers[0]
	if len(rs.Checkers) != 1 {
		t.Fatalf("want one checker, got %d:\n%s", len(rs.Checkers), text)
	}
	return cfg, vs, rs, rs.Checkers[0]
}

// newTestProbe builds the probe of probeTestConfig's checker.
func newTestProbe(t testing.TB, env ProbeEnv, addr string, port int, checker string, extra ...string) Probe {
	t.Helper()
	cfg, vs, rs, c := probeTestConfig(t, addr, port, checker, extra...)
	if env.TrackFiles == nil {
		env.TrackFiles = cfg.TrackFiles
	}
	p, err := NewProbe(c, vs, rs, env)
	if err != nil {
		t.Fatalf("NewProbe: %v", err)
	}
	return p
}

// tcpServer accepts connections on loopback and hands each to handle. It
// records what every connection sent before the handler closed it.
type tcpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	reqs [][]byte
	wg   sync.WaitGroup
}

func startTCPServer(t *testing.T, network, addr string, handle func(c net.Conn, s *tcpServer)) *tcpServer {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	s := &tcpServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c, s)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *tcpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *tcpServer) record(b []byte) {
	s.mu.Lock()
	s.reqs = append(s.reqs, append([]byte(nil), b...))
	s.mu.Unlock()
}

func (s *tcpServer) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs
}

// readRequest reads an HTTP request head (up to the blank line).
func readRequest(c net.Conn) []byte {
	var req []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(req, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		req = append(req, buf[:n]...)
		if err != nil {
			break
		}
	}
	return req
}

// httpServe is a handler that records the request and writes resp.
func httpServe(resp string) func(net.Conn, *tcpServer) {
	return func(c net.Conn, s *tcpServer) {
		s.record(readRequest(c))
		c.Write([]byte(resp))
	}
}

// fullBacklogPort returns a loopback port whose listener never accepts and
// whose accept queue is already full, so new connections get no answer
// to their SYN and time out.
func fullBacklogPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	// Fill the queue (a backlog of 0 holds one connection).
	for i := 0; i < 2; i++ {
		c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), 50*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return port
}

// closedPort is a loopback port nobody listens on.
func closedPort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		return p
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

// logCapture is a slog handler keeping the messages logged.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }
func (l *logCapture) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// wantFail checks that o failed with keepalived's reason and log line.
func wantFail(t *testing.T, o Outcome, reason, line string) {
	t.Helper()
	if o.OK {
		t.Fatalf("attempt passed, want failure %q", reason)
	}
	pe, ok := o.Err.(*ProbeError)
	if !ok {
		t.Fatalf("error %T %v, want *ProbeError", o.Err, o.Err)
	}
	if pe.Reason != reason {
		t.Errorf("reason %q, want %q (error: %v)", pe.Reason, reason, o.Err)
	}
	if line != "" && pe.Line != line {
		t.Errorf("log line %q, want %q", pe.Line, line)
	}
}

func wantOK(t *testing.T, o Outcome) {
	t.Helper()
	if !o.OK {
		t.Fatalf("attempt failed: %v", o.Err)
	}
}

// testCtx is a context bounded well above every timeout the tests use.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
