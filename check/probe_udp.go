package check

import (
	"context"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// probeFill is keepalived's set_buf: the text "keepalived check - "
// repeated to fill n bytes.
func probeFill(n int) []byte {
	const text = "keepalived check - "
	b := make([]byte, n)
	for i := range b {
		b[i] = text[i%len(text)]
	}
	return b
}

// udpDefaultPayloadLen is the size of the datagram UDP_CHECK sends without
// `payload` (keepalived's UDP_BUFSIZE).
const udpDefaultPayloadLen = 32

// udpProbe is UDP_CHECK: send one datagram on a connected socket and wait
// connect_timeout. An ICMP destination unreachable (seen as an error on
// the connected socket) fails; silence passes unless require_reply is set;
// a reply passes, and with a require_reply pattern it must also match.
type udpProbe struct {
	id           probeIdentity
	co           connOpts
	payload      []byte
	requireReply bool
	replyData    []byte
	replyMask    []byte
	minLen       int
	maxLen       int
}

func newUDPProbe(c *parser.Checker, id probeIdentity, env *ProbeEnv) (*udpProbe, error) {
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	p := &udpProbe{id: id, co: co, payload: probeFill(udpDefaultPayloadLen), maxLen: 255}
	if u := c.UDP; u != nil {
		if u.Payload != nil {
			p.payload = u.Payload
		}
		p.requireReply = u.RequireReply
		p.replyData, p.replyMask = u.ReplyData, u.ReplyMask
		p.minLen, p.maxLen = int(u.MinReplyLength), int(u.MaxReplyLength)
	}
	return p, nil
}

func (p *udpProbe) failLine(mismatch bool, err error) Outcome {
	if mismatch {
		return failed(&ProbeError{Reason: "reply data mismatch", Line: fmt.Sprintf("UDP check to %s reply data mismatch.", p.id.rs), Err: err})
	}
	return failed(&ProbeError{Reason: "failed", Line: fmt.Sprintf("UDP connection to %s failed.", p.id.rs), Err: err})
}

func (p *udpProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *udpProbe) check(ctx context.Context) Outcome {
	conn, err := p.co.dialer("udp").DialContext(ctx, p.co.network("udp"), p.co.dest.String())
	if err != nil {
		// Only a socket that cannot be created is rescheduled; bind and
		// connect errors count as failures for UDP_CHECK.
		if call := dialSyscall(err); call == "socket" || ctx.Err() == context.Canceled {
			return failed(localError("UDP connect fail to create socket. Rescheduling.", err))
		}
		return p.failLine(false, err)
	}
	defer conn.Close()
	stop := closeOnCancel(ctx, conn)
	defer stop()

	conn.SetWriteDeadline(deadline(ctx, time.Now(), p.co.timeout))
	if n, err := conn.Write(p.payload); err != nil || n != len(p.payload) {
		return p.failLine(false, err)
	}
	conn.SetReadDeadline(deadline(ctx, time.Now(), p.co.timeout))
	buf := make([]byte, p.maxLen+1)
	n, err := conn.Read(buf)
	if err != nil {
		if isTimeout(err) && ctx.Err() == nil {
			if p.requireReply {
				return p.failLine(false, err)
			}
			return Outcome{OK: true}
		}
		// ECONNREFUSED and the like: an ICMP error came back.
		return p.failLine(false, err)
	}
	if p.replyData != nil && !p.replyMatches(buf[:n]) {
		return p.failLine(true, nil)
	}
	return Outcome{OK: true}
}

// replyMatches is keepalived's check_udp_reply: the length must be within
// [min_reply_length, max_reply_length] and the first min(len, pattern)
// bytes must match, a set mask bit being a wildcard.
func (p *udpProbe) replyMatches(b []byte) bool {
	if len(b) < p.minLen || len(b) > p.maxLen {
		return false
	}
	n := min(len(b), len(p.replyData))
	for i := 0; i < n; i++ {
		mask := byte(0xff)
		if p.replyMask != nil {
			mask = ^p.replyMask[i]
		}
		if (b[i]^p.replyData[i])&mask != 0 {
			return false
		}
	}
	return true
}
