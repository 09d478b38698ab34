package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// ICMP message types PING_CHECK sends and expects.
const (
	icmpEchoRequest   = 8
	icmpEchoReply     = 0
	icmpv6EchoRequest = 128
	icmpv6EchoReply   = 129
	icmpHeaderLen     = 8
	icmpPayloadLen    = 128 // keepalived's ICMP_BUFSIZE
)

// pingSocket is an ICMP socket to one destination. Datagram ("ping")
// sockets let the kernel pick the echo id and filter replies; raw sockets
// see every ICMP message, so the probe then matches id and sequence.
type pingSocket interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	ReadFrom(b []byte) (int, net.Addr, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

// pingProbe is PING_CHECK: one ICMP or ICMPv6 echo request, success when
// an echo reply comes back within connect_timeout.
type pingProbe struct {
	id     probeIdentity
	co     connOpts
	open   func(v6 bool) (sock pingSocket, raw bool, err error)
	log    func(string)
	mu     sync.Mutex
	seq    uint16
	echoID uint16 // the id used on raw sockets
}

func newPingProbe(c *parser.Checker, id probeIdentity, env *ProbeEnv) (*pingProbe, error) {
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	lg := env.logger()
	return &pingProbe{
		id:     id,
		co:     co,
		open:   openPingSocket,
		log:    func(s string) { lg.Info(s) },
		echoID: uint16(time.Now().UnixNano()),
	}, nil
}

// pingRequest is keepalived's echo request: an 8-byte header (checksum
// left to the kernel on datagram sockets) and 128 bytes of its text. The
// sequence number is written in host order, as keepalived writes it.
func pingRequest(v6 bool, id, seq uint16) []byte {
	b := make([]byte, icmpHeaderLen, icmpHeaderLen+icmpPayloadLen)
	b[0] = icmpEchoRequest
	if v6 {
		b[0] = icmpv6EchoRequest
	}
	binary.BigEndian.PutUint16(b[4:], id)
	binary.LittleEndian.PutUint16(b[6:], seq)
	b = append(b, probeFill(icmpPayloadLen)...)
	return b
}

// icmpChecksum is the Internet checksum (RFC 1071), needed on raw IPv4
// sockets; the kernel computes ICMPv6's.
func icmpChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

func (p *pingProbe) fail(reason string, timeout bool, err error) Outcome {
	line := fmt.Sprintf("ICMP connection to %s of %s failed.", p.id.rs, p.id.vs)
	if timeout {
		line = fmt.Sprintf("ICMP connection to address %s timeout.", p.id.rs)
	}
	return failed(&ProbeError{Reason: reason, Line: line, Err: err})
}

func (p *pingProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *pingProbe) check(ctx context.Context) Outcome {
	dst := p.co.dest.Addr()
	v6 := dst.Is6() && !dst.Is4In6()
	v := "" // keepalived's messages say ICMP or ICMPv6
	if v6 {
		v = "v6"
	}
	sock, raw, err := p.open(v6)
	if err != nil {
		return failed(localError(fmt.Sprintf("ICMP%s connect fail to create socket. Rescheduling.", v), err))
	}
	defer sock.Close()
	stop := closeOnCancel(ctx, sock)
	defer stop()

	p.mu.Lock()
	seq := p.seq
	p.seq++
	p.mu.Unlock()
	req := pingRequest(v6, p.echoID, seq)
	if raw && !v6 {
		binary.BigEndian.PutUint16(req[2:], icmpChecksum(req))
	}
	var to net.Addr = &net.UDPAddr{IP: net.IP(dst.Unmap().AsSlice()), Zone: dst.Zone()}
	if raw {
		to = &net.IPAddr{IP: net.IP(dst.Unmap().AsSlice()), Zone: dst.Zone()}
	}
	if _, err := sock.WriteTo(req, to); err != nil {
		if v6 {
			p.log(fmt.Sprintf("send ICMPv6 packet fail - errno %v", err))
		} else {
			p.log("send ICMP packet fail")
		}
		return p.fail("send failed", false, err)
	}
	sock.SetReadDeadline(deadline(ctx, time.Now(), p.co.timeout))
	buf := make([]byte, icmpHeaderLen+icmpPayloadLen)
	want := byte(icmpEchoReply)
	if v6 {
		want = icmpv6EchoReply
	}
	for {
		n, from, err := sock.ReadFrom(buf)
		if err != nil {
			if isTimeout(err) {
				return p.fail("timeout", true, err)
			}
			p.log(fmt.Sprintf("recv ICMP%s packet error", v))
			return p.fail("receive failed", false, err)
		}
		if raw && !pingRawMatches(buf[:n], from, dst.Unmap().String(), want, p.echoID) {
			continue // another process's traffic, or our own request looped back
		}
		if n < icmpHeaderLen {
			p.log(fmt.Sprintf("Error, got short ICMP%s packet, %d bytes", v, n))
			return p.fail("short packet", false, nil)
		}
		if buf[0] != want {
			p.log(fmt.Sprintf("Got ICMP%s packet with type 0x%x", v, buf[0]))
			return p.fail("unexpected ICMP type", false, nil)
		}
		return Outcome{OK: true}
	}
}

// pingRawMatches keeps, on a raw socket, only echo replies from the
// destination carrying our id.
func pingRawMatches(b []byte, from net.Addr, dst string, want byte, id uint16) bool {
	if len(b) < icmpHeaderLen || b[0] != want {
		return false
	}
	if a, ok := from.(*net.IPAddr); ok && a.IP.String() != dst {
		return false
	}
	return binary.BigEndian.Uint16(b[4:]) == id
}
