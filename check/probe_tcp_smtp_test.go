package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestTCPCheck(t *testing.T) {
	ctx := testCtx(t)
	t.Run("connects", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			b, _ := io.ReadAll(c)
			s.record(b)
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "TCP_CHECK {\nconnect_timeout 1\n}")
		wantOK(t, p.Check(ctx))
		// keepalived sends nothing and closes at once.
		deadline := time.Now().Add(2 * time.Second)
		for len(srv.requests()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if r := srv.requests(); len(r) != 1 || len(r[0]) != 0 {
			t.Errorf("server received %q, want one empty connection", r)
		}
	})
	t.Run("connect_port and connect_ip", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(net.Conn, *tcpServer) {})
		p := newTestProbe(t, ProbeEnv{}, "192.0.2.10", 80, fmt.Sprintf("TCP_CHECK {\nconnect_ip 127.0.0.1\nconnect_port %d\nconnect_timeout 1\n}", srv.port()))
		wantOK(t, p.Check(ctx))
	})
	t.Run("bindto and bind_port", func(t *testing.T) {
		// A port free on the source address itself: one free on
		// 127.0.0.1 may still be held on 127.0.0.2 by an earlier
		// connection in TIME_WAIT (with -count).
		ln, err := net.Listen("tcp4", "127.0.0.2:0")
		if err != nil {
			t.Skipf("no 127.0.0.2: %v", err)
		}
		src := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		froms := make(chan string, 1)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) { froms <- c.RemoteAddr().String() })
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), fmt.Sprintf("TCP_CHECK {\nbindto 127.0.0.2\nbind_port %d\nconnect_timeout 1\n}", src))
		wantOK(t, p.Check(ctx))
		// The probe only connects: the kernel completes the handshake
		// before the server accepts, so wait for the accept rather than
		// closing the listener under it.
		select {
		case from := <-froms:
			if want := fmt.Sprintf("127.0.0.2:%d", src); from != want {
				t.Errorf("connection came from %s, want %s", from, want)
			}
		case <-time.After(5 * time.Second):
			t.Error("the server never accepted the probe's connection")
		}
	})
	t.Run("bind_if and fwmark", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("SO_MARK needs CAP_NET_ADMIN")
		}
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(net.Conn, *tcpServer) {})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "TCP_CHECK {\nbind_if lo\nfwmark 7\nconnect_timeout 1\n}")
		wantOK(t, p.Check(ctx))
	})
	t.Run("bind_if to a missing device is local", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(net.Conn, *tcpServer) {})
		_, vs, rs, c := probeTestConfig(t, "127.0.0.1", srv.port(), "TCP_CHECK {\nconnect_timeout 1\n}")
		c.Conn.BindIf = "nosuchdev0"
		p, err := NewProbe(c, vs, rs, ProbeEnv{})
		if err != nil {
			t.Fatal(err)
		}
		if o := p.Check(ctx); o.OK || !errors.Is(o.Err, ErrLocal) {
			t.Errorf("outcome %+v, want a local error", o)
		}
	})
	t.Run("refused", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 1\n}")
		wantFail(t, p.Check(ctx), "failed", fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d failed.", port))
	})
	t.Run("timeout", func(t *testing.T) {
		port := fullBacklogPort(t)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nconnect_timeout 0.03\n}")
		start := time.Now()
		wantFail(t, p.Check(ctx), "timeout", fmt.Sprintf("TCP connection to [127.0.0.1]:tcp:%d timeout.", port))
		if el := time.Since(start); el > time.Second {
			t.Errorf("took %v", el)
		}
	})
	t.Run("bind failure is local", func(t *testing.T) {
		port := closedPort(t, "tcp")
		// 192.0.2.1 is not an address of this host: bind fails here, and
		// keepalived reschedules such failures without counting them.
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "TCP_CHECK {\nbindto 192.0.2.1\nconnect_timeout 1\n}")
		o := p.Check(ctx)
		if o.OK || !errors.Is(o.Err, ErrLocal) {
			t.Errorf("outcome %+v, want a local error", o)
		}
	})
}

// smtpServer plays a scripted SMTP server: it writes each reply after
// reading one line (the first reply is the banner, written at once).
func smtpServer(t *testing.T, replies ...string) *tcpServer {
	return startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
		var got []byte
		defer func() { s.record(got) }()
		buf := make([]byte, 512)
		for i, r := range replies {
			if i > 0 {
				for !bytes.HasSuffix(got, []byte("\n")) {
					n, err := c.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil {
						return
					}
				}
			}
			if r == "<stall>" {
				io.Copy(io.Discard, c)
				return
			}
			if r == "<close>" {
				return
			}
			c.Write([]byte(r))
			if i > 0 {
				got = append(got, '|') // mark where a reply went out
			}
		}
		rest, _ := io.ReadAll(c)
		got = append(got, rest...)
	})
}

func TestSMTPCheck(t *testing.T) {
	tests := []struct {
		name    string
		replies []string
		reason  string // with %s for the server
		sent    string
	}{
		{name: "ok", replies: []string{"220 mx ESMTP\r\n", "250 mx\r\n", "221 bye\r\n"}, sent: "HELO probe.example\r\n|QUIT\r\n|"},
		{name: "banner without text", replies: []string{"220\r\n"}, reason: "Bad greeting banner from server %s"},
		{name: "multi-line banner", replies: []string{"220-mx first\r\n220 mx\r\n", "250 mx\r\n", "221 bye\r\n"}, reason: "Bad greeting banner from server %s"},
		{name: "refusing banner", replies: []string{"554 go away\r\n"}, reason: "Bad greeting banner from server %s"},
		{name: "bad HELO reply", replies: []string{"220 mx\r\n", "501 who?\r\n"}, reason: "Bad HELO response from server %s"},
		{name: "no banner", replies: []string{"<stall>"}, reason: "Read timeout from server %s"},
		{name: "closed after banner", replies: []string{"220 mx\r\n", "<close>"}, reason: "Read failure from server %s"},
		{name: "QUIT reply is not judged", replies: []string{"220 mx\r\n", "250 ok\r\n", "500 whatever\r\n"}},
		{name: "banner in pieces", replies: []string{"22", "<stall>"}, reason: "Read timeout from server %s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtpServer(t, tt.replies...)
			to := "1"
			if strings.Contains(strings.Join(tt.replies, ""), "<stall>") {
				to = "0.1"
			}
			p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SMTP_CHECK {\nhelo_name probe.example\nconnect_timeout "+to+"\n}")
			o := p.Check(testCtx(t))
			if tt.reason == "" {
				wantOK(t, o)
			} else {
				reason := fmt.Sprintf(tt.reason, fmt.Sprintf("[127.0.0.1]:%d", srv.port()))
				wantFail(t, o, reason, "SMTP_CHECK "+reason)
			}
			if tt.sent != "" {
				srv.ln.Close()
				srv.wg.Wait()
				if r := srv.requests(); len(r) != 1 || string(r[0]) != tt.sent {
					t.Errorf("server received %q, want %q", r, tt.sent)
				}
			}
		})
	}
	t.Run("default helo name", func(t *testing.T) {
		srv := smtpServer(t, "220 mx\r\n", "250 mx\r\n", "221 bye\r\n")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SMTP_CHECK {\nconnect_timeout 1\n}")
		wantOK(t, p.Check(testCtx(t)))
		srv.ln.Close()
		srv.wg.Wait()
		if r := srv.requests(); len(r) != 1 || string(r[0]) != "HELO smtpchecker.keepalived.org\r\n|QUIT\r\n|" {
			t.Errorf("server received %q", r)
		}
	})
	t.Run("refused", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "SMTP_CHECK {\nconnect_timeout 1\n}")
		wantFail(t, p.Check(testCtx(t)), fmt.Sprintf("Could not connect to server [127.0.0.1]:%d", port), "")
	})
	t.Run("connect timeout", func(t *testing.T) {
		port := fullBacklogPort(t)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "SMTP_CHECK {\nconnect_timeout 0.03\n}")
		wantFail(t, p.Check(testCtx(t)), fmt.Sprintf("Connection timeout to server [127.0.0.1]:%d", port), "")
	})
}

func TestSMTPStatus(t *testing.T) {
	for line, want := range map[string]int{
		"220 ok": 220, "220": 220, "220\r": -1, "220-more": -1, "2200 x": -1, " 220 x": -1, "22": -1, "abc": -1,
	} {
		if got := smtpStatus([]byte(line)); got != want {
			t.Errorf("smtpStatus(%q) = %d, want %d", line, got, want)
		}
	}
}

// TestCancelIsLocal: stopping a check (shutdown, reload) must not count
// as a failure of the server.
func TestCancelIsLocal(t *testing.T) {
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) { io.Copy(io.Discard, c) })
	for _, block := range []string{
		"HTTP_GET {\nconnect_timeout 5\nurl {\npath /\n}\n}",
		"SMTP_CHECK {\nconnect_timeout 5\n}",
	} {
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), block)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		o := p.Check(ctx)
		if o.OK || !errors.Is(o.Err, ErrLocal) {
			t.Errorf("%s: outcome %+v, want a local error", block[:8], o)
		}
		if time.Since(start) > time.Second {
			t.Errorf("%s: cancel took %v", block[:8], time.Since(start))
		}
	}
}
