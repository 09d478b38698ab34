package check

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"
)

func TestPingRequestBytes(t *testing.T) {
	b := pingRequest(false, 0x0102, 1)
	if len(b) != 136 {
		t.Fatalf("request of %d bytes, want 8 + 128", len(b))
	}
	// Type 8, code 0, checksum left 0, id, sequence 1 in host (little
	// endian) order as keepalived writes it, then its text.
	if got := b[:8]; string(got) != "\x08\x00\x00\x00\x01\x02\x01\x00" {
		t.Errorf("header % x", got)
	}
	if string(b[8:27]) != "keepalived check - " || string(b[8+114:]) != "keepalived che" {
		t.Errorf("payload %q", b[8:])
	}
	if b6 := pingRequest(true, 0, 0); b6[0] != 128 {
		t.Errorf("ICMPv6 type %d", b6[0])
	}
	// A correct checksum makes the sum over the message 0 (RFC 1071).
	binary.BigEndian.PutUint16(b[2:], icmpChecksum(b))
	if icmpChecksum(b) != 0 {
		t.Error("checksum does not verify")
	}
}

// TestPingLoopback pings 127.0.0.1 and ::1 through the kernel: with an
// unprivileged ICMP socket when net.ipv4.ping_group_range allows it, else
// with a raw socket as root.
func TestPingLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			sock, raw, err := openPingSocket(addr == "::1")
			if err != nil {
				t.Skipf("no ICMP socket (needs root or net.ipv4.ping_group_range covering gid %d): %v", os.Getegid(), err)
			}
			sock.Close()
			t.Logf("raw socket: %v", raw)
			p := newTestProbe(t, ProbeEnv{}, addr, 0, "PING_CHECK {\nconnect_timeout 1\n}")
			ctx := testCtx(t)
			wantOK(t, p.Check(ctx))
			wantOK(t, p.Check(ctx))
		})
	}
}

// fakePing answers a probe with scripted packets.
type fakePing struct {
	replies [][]byte
	sent    [][]byte
	dl      time.Time
}

func (f *fakePing) WriteTo(b []byte, a net.Addr) (int, error) {
	f.sent = append(f.sent, append([]byte(nil), b...))
	return len(b), nil
}
func (f *fakePing) ReadFrom(b []byte) (int, net.Addr, error) {
	if len(f.replies) == 0 {
		return 0, nil, os.ErrDeadlineExceeded
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	return copy(b, r), &net.UDPAddr{}, nil
}
func (f *fakePing) SetReadDeadline(t time.Time) error { f.dl = t; return nil }
func (f *fakePing) Close() error                      { return nil }

func TestPingReplies(t *testing.T) {
	reply := func(typ byte) []byte { r := pingRequest(false, 0, 0); r[0] = typ; return r }
	tests := []struct {
		name    string
		replies [][]byte
		reason  string
		log     string
	}{
		{name: "echo reply", replies: [][]byte{reply(0)}},
		{name: "no reply", reason: "timeout"},
		{name: "destination unreachable", replies: [][]byte{reply(3)}, reason: "unexpected ICMP type", log: "Got ICMP packet with type 0x3"},
		{name: "short", replies: [][]byte{{0, 0, 0}}, reason: "short packet", log: "Error, got short ICMP packet, 3 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lc logCapture
			p := newTestProbe(t, ProbeEnv{Logger: slog.New(&lc)}, "127.0.0.1", 0, "PING_CHECK {\nconnect_timeout 0.05\n}").(*pingProbe)
			f := &fakePing{replies: tt.replies}
			p.open = func(bool) (pingSocket, bool, error) { return f, false, nil }
			o := p.Check(testCtx(t))
			if tt.reason == "" {
				wantOK(t, o)
			} else {
				line := "ICMP connection to [127.0.0.1]:tcp:80 of [10.0.0.1]:tcp:80 failed."
				if tt.reason == "timeout" {
					line = "ICMP connection to address [127.0.0.1]:tcp:80 timeout."
				}
				wantFail(t, o, tt.reason, line)
			}
			if tt.log != "" && (len(lc.lines()) != 1 || lc.lines()[0] != tt.log) {
				t.Errorf("logged %q, want %q", lc.lines(), tt.log)
			}
			if len(f.sent) != 1 || f.sent[0][0] != 8 {
				t.Errorf("sent %x", f.sent)
			}
		})
	}
	t.Run("sequence increases", func(t *testing.T) {
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 0, "PING_CHECK {\nconnect_timeout 0.05\n}").(*pingProbe)
		f := &fakePing{replies: [][]byte{reply(0), reply(0)}}
		p.open = func(bool) (pingSocket, bool, error) { return f, false, nil }
		p.Check(testCtx(t))
		p.Check(testCtx(t))
		if len(f.sent) != 2 || binary.LittleEndian.Uint16(f.sent[0][6:]) != 0 || binary.LittleEndian.Uint16(f.sent[1][6:]) != 1 {
			t.Errorf("sequence numbers of %x", f.sent)
		}
	})
	t.Run("socket failure is local", func(t *testing.T) {
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 0, "PING_CHECK {\n}").(*pingProbe)
		p.open = func(bool) (pingSocket, bool, error) { return nil, false, errors.New("EACCES") }
		if o := p.Check(testCtx(t)); o.OK || !errors.Is(o.Err, ErrLocal) {
			t.Errorf("outcome %+v, want a local error", o)
		}
	})
}

func TestPingRawFilter(t *testing.T) {
	r := pingRequest(false, 7, 0)
	r[0] = 0
	from := &net.IPAddr{IP: net.ParseIP("127.0.0.1")}
	if !pingRawMatches(r, from, "127.0.0.1", 0, 7) {
		t.Error("our reply was dropped")
	}
	if pingRawMatches(r, from, "127.0.0.1", 0, 8) {
		t.Error("another id was kept")
	}
	if pingRawMatches(pingRequest(false, 7, 0), from, "127.0.0.1", 0, 7) {
		t.Error("our own looped-back request was kept")
	}
	if pingRawMatches(r, &net.IPAddr{IP: net.ParseIP("127.0.0.2")}, "127.0.0.1", 0, 7) {
		t.Error("a reply from another host was kept")
	}
}
