package check

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// udpServer answers each datagram with what reply returns (nil: silence).
type udpServer struct {
	pc   net.PacketConn
	mu   sync.Mutex
	got  [][]byte
	done chan struct{}
}

func startUDPServer(t *testing.T, reply func(req []byte) [][]byte) *udpServer {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &udpServer{pc: pc, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := append([]byte(nil), buf[:n]...)
			s.mu.Lock()
			s.got = append(s.got, req)
			s.mu.Unlock()
			for _, r := range reply(req) {
				pc.WriteTo(r, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-s.done })
	return s
}

func (s *udpServer) port() int { return s.pc.LocalAddr().(*net.UDPAddr).Port }

func (s *udpServer) received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDNSQueryBytes: keepalived's query is a 12-byte header with only RD,
// one question, class IN (check_dns.c dns_make_query).
func TestDNSQueryBytes(t *testing.T) {
	tests := []struct {
		name  string
		qtype uint16
		want  string
	}{
		{"", 6, "abcd01000001000000000000" + "00" + "0006" + "0001"},
		{".", 6, "abcd01000001000000000000" + "00" + "0006" + "0001"},
		{"example.com", 1, "abcd01000001000000000000" + "076578616d706c6503636f6d00" + "0001" + "0001"},
		{"example.com.", 28, "abcd01000001000000000000" + "076578616d706c6503636f6d00" + "001c" + "0001"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(dnsQuery(0xabcd, tt.name, tt.qtype)); got != tt.want {
			t.Errorf("query for %q type %d:\n got %s\nwant %s", tt.name, tt.qtype, got, tt.want)
		}
	}
}

func dnsAnswer(req []byte, flags uint16) []byte {
	r := append([]byte(nil), req...)
	binary.BigEndian.PutUint16(r[2:], flags)
	return r
}

func TestDNSCheck(t *testing.T) {
	id := func() uint16 { return 0x1234 }
	tests := []struct {
		name   string
		reply  func(req []byte) [][]byte
		reason string
	}{
		{name: "NOERROR", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8180)} }},
		{name: "NXDOMAIN", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8183)} }, reason: "read error occurred. (rcode = 3)"},
		{name: "SERVFAIL", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8182)} }, reason: "read error occurred. (rcode = 2)"},
		{name: "other id, query echo and runt are ignored", reply: func(q []byte) [][]byte {
			other := dnsAnswer(q, 0x8183)
			other[0] ^= 0xff
			return [][]byte{other, q, q[:7], dnsAnswer(q, 0x8180)}
		}},
		{name: "eight bytes are enough for keepalived", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8180)[:8]} }},
		{name: "silence", reply: func(q []byte) [][]byte { return nil }, reason: "read timeout from socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startUDPServer(t, tt.reply)
			// Short waits only where nothing is meant to come back, so a
			// loaded machine does not turn a late reply into a timeout.
			to := "1"
			if tt.name == "silence" {
				to = "0.05"
			}
			p := newTestProbe(t, ProbeEnv{DNSID: id}, "127.0.0.1", srv.port(), "DNS_CHECK {\ntype a\nname www.example.org\nconnect_timeout "+to+"\n}")
			o := p.Check(testCtx(t))
			if tt.reason == "" {
				wantOK(t, o)
			} else {
				wantFail(t, o, tt.reason, fmt.Sprintf("DNS_CHECK ([127.0.0.1]:tcp:%d) %s", srv.port(), tt.reason))
			}
			want := mustHex(t, "123401000001000000000000"+"03777777076578616d706c65036f726700"+"0001"+"0001")
			if r := srv.received(); len(r) != 1 || !bytes.Equal(r[0], want) {
				t.Errorf("server received %x, want %x", r, want)
			}
		})
	}
	t.Run("port unreachable", func(t *testing.T) {
		port := closedPort(t, "udp")
		p := newTestProbe(t, ProbeEnv{DNSID: id}, "127.0.0.1", port, "DNS_CHECK {\nconnect_timeout 1\n}")
		start := time.Now()
		wantFail(t, p.Check(testCtx(t)), "failed to read socket; errno 111 (Connection refused)", "")
		if time.Since(start) > 500*time.Millisecond {
			t.Error("the ICMP error did not end the attempt early")
		}
	})
}

func TestUDPCheck(t *testing.T) {
	echo := func(q []byte) [][]byte { return [][]byte{q} }
	silent := func(q []byte) [][]byte { return nil }
	fixed := func(r string) func([]byte) [][]byte {
		return func([]byte) [][]byte { return [][]byte{[]byte(r)} }
	}
	tests := []struct {
		name     string
		reply    func([]byte) [][]byte
		opts     string
		mismatch bool
		fail     bool
	}{
		{name: "echo", reply: echo},
		{name: "silence passes", reply: silent},
		{name: "silence fails with require_reply", reply: silent, opts: "require_reply", fail: true},
		{name: "any reply with bare require_reply", reply: fixed("x"), opts: "require_reply"},
		{name: "pattern matches", reply: fixed("PONG!"), opts: "require_reply 504f4e47"},
		{name: "wildcard nibbles", reply: fixed("PONG"), opts: "require_reply 5X4f4xX7"},
		{name: "pattern mismatch", reply: fixed("PANG"), opts: "require_reply 504f4e47", mismatch: true},
		{name: "reply shorter than pattern compares its length", reply: fixed("PO"), opts: "require_reply 504f4e47"},
		{name: "reply too long", reply: fixed("PONG-PONG"), opts: "require_reply 504f4e47\nmax_reply_length 8", mismatch: true},
		{name: "reply too short", reply: fixed("PONG"), opts: "require_reply 504f4e47\nmin_reply_length 5", mismatch: true},
		{name: "payload", reply: func(q []byte) [][]byte {
			if string(q) == "\x01\x02\xab" {
				return [][]byte{[]byte("ok")}
			}
			return [][]byte{[]byte("no")}
		}, opts: "payload 0102ab\nrequire_reply 6f6b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startUDPServer(t, tt.reply)
			to := "1"
			if strings.HasPrefix(tt.name, "silence") {
				to = "0.05"
			}
			p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "UDP_CHECK {\nconnect_timeout "+to+"\n"+tt.opts+"\n}")
			o := p.Check(testCtx(t))
			rs := fmt.Sprintf("[127.0.0.1]:tcp:%d", srv.port())
			switch {
			case tt.mismatch:
				wantFail(t, o, "reply data mismatch", "UDP check to "+rs+" reply data mismatch.")
			case tt.fail:
				wantFail(t, o, "failed", "UDP connection to "+rs+" failed.")
			default:
				wantOK(t, o)
			}
		})
	}
	t.Run("default payload", func(t *testing.T) {
		srv := startUDPServer(t, echo)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "UDP_CHECK {\nconnect_timeout 0.05\n}")
		wantOK(t, p.Check(testCtx(t)))
		if r := srv.received(); len(r) != 1 || string(r[0]) != "keepalived check - keepalived ch" {
			t.Errorf("server received %q", r)
		}
	})
	t.Run("ICMP port unreachable", func(t *testing.T) {
		port := closedPort(t, "udp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "UDP_CHECK {\nconnect_timeout 1\n}")
		start := time.Now()
		wantFail(t, p.Check(testCtx(t)), "failed", fmt.Sprintf("UDP connection to [127.0.0.1]:tcp:%d failed.", port))
		if time.Since(start) > 500*time.Millisecond {
			t.Error("the ICMP error did not end the attempt early")
		}
	})
}

func TestUDPBindFailureCounts(t *testing.T) {
	// keepalived counts a UDP_CHECK whose bind fails as a failed attempt
	// (only TCP-based checkers reschedule bind failures).
	port := closedPort(t, "udp")
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "UDP_CHECK {\nbindto 192.0.2.1\nconnect_timeout 1\n}")
	o := p.Check(testCtx(t))
	if o.OK || errors.Is(o.Err, ErrLocal) {
		t.Errorf("outcome %+v, want a counted failure", o)
	}
}

// TestIPv6 runs the UDP-based and TCP checkers against ::1.
func TestIPv6(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			r := dnsAnswer(buf[:n], 0x8180)
			pc.WriteTo(r, from)
		}
	}()
	t.Cleanup(func() { pc.Close() })
	port := pc.LocalAddr().(*net.UDPAddr).Port
	ctx := testCtx(t)
	wantOK(t, newTestProbe(t, ProbeEnv{}, "::1", port, "DNS_CHECK {\nconnect_timeout 1\n}").Check(ctx))
	wantOK(t, newTestProbe(t, ProbeEnv{}, "::1", port, "UDP_CHECK {\nrequire_reply\nconnect_timeout 1\n}").Check(ctx))

	srv := startTCPServer(t, "tcp6", "[::1]:0", func(net.Conn, *tcpServer) {})
	wantOK(t, newTestProbe(t, ProbeEnv{}, "::1", srv.port(), "TCP_CHECK {\nconnect_timeout 1\n}").Check(ctx))

	// ICMPv6 port unreachable ends a UDP_CHECK at once.
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	start := time.Now()
	wantFail(t, newTestProbe(t, ProbeEnv{}, "::1", closed, "UDP_CHECK {\nconnect_timeout 1\n}").Check(ctx), "failed",
		fmt.Sprintf("UDP connection to [::1]:tcp:%d failed.", closed))
	if time.Since(start) > 500*time.Millisecond {
		t.Error("the ICMPv6 error did not end the attempt early")
	}
}
