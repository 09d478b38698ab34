package check

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// smtpBufMax is keepalived's SMTP line buffer (SMTP_BUFF_MAX).
const smtpBufMax = 512

// smtpDefaultHelo is the HELO name when helo_name is not set.
const smtpDefaultHelo = "smtpchecker.keepalived.org"

// smtpProbe is SMTP_CHECK: connect, read the 220 banner, send HELO, read
// 250, send QUIT, read one more line. Each read and write waits at most
// connect_timeout.
type smtpProbe struct {
	id     probeIdentity
	co     connOpts
	helo   string
	server string // the destination as keepalived prints it: [IP]:PORT
	rsAddr string // the real server as [IP]:PORT
}

func newSMTPProbe(c *parser.Checker, rs *parser.RealServer, id probeIdentity, env *ProbeEnv) (*smtpProbe, error) {
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	helo := smtpDefaultHelo
	if c.SMTP != nil && c.SMTP.HeloName != "" {
		helo = c.SMTP.HeloName
	}
	return &smtpProbe{
		id:     id,
		co:     co,
		helo:   helo,
		server: probeAddrPair(co.dest),
		rsAddr: fmt.Sprintf("[%s]:%d", rs.Addr, rs.Port),
	}, nil
}

func (p *smtpProbe) fail(format string, err error) Outcome {
	reason := fmt.Sprintf(format, p.server)
	return failed(&ProbeError{Reason: reason, Line: "SMTP_CHECK " + reason, Err: err})
}

func (p *smtpProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *smtpProbe) check(ctx context.Context) Outcome {
	conn, kind, err := p.co.dialTCP(ctx)
	switch kind {
	case dialTimeout:
		return p.fail("Connection timeout to server %s", err)
	case dialFailed:
		return p.fail("Could not connect to server %s", err)
	case dialUnreach:
		reason := fmt.Sprintf("Network unreachable for server %s - real server %s", p.co.dest.Addr(), p.rsAddr)
		return failed(&ProbeError{Reason: reason, Line: "SMTP_CHECK " + reason, Err: err})
	case dialLocal:
		if dialSyscall(err) == "socket" {
			return failed(localError("SMTP_CHECK connection failed to create socket. Rescheduling.", err))
		}
		return failed(localError("SMTP_CHECK socket bind failed. Rescheduling.", err))
	}
	defer conn.Close()
	stop := closeOnCancel(ctx, conn)
	defer stop()

	line, o, ok := p.readLine(ctx, conn)
	if !ok {
		return o
	}
	if smtpStatus(line) != 220 {
		return p.fail("Bad greeting banner from server %s", nil)
	}
	if o, ok := p.writeLine(ctx, conn, "HELO "+p.helo+"\r\n"); !ok {
		return o
	}
	if line, o, ok = p.readLine(ctx, conn); !ok {
		return o
	}
	if smtpStatus(line) != 250 {
		return p.fail("Bad HELO response from server %s", nil)
	}
	if o, ok := p.writeLine(ctx, conn, "QUIT\r\n"); !ok {
		return o
	}
	if _, o, ok = p.readLine(ctx, conn); !ok {
		return o
	}
	return Outcome{OK: true}
}

// readLine reads until a newline as keepalived does: whatever follows the
// first newline in the same read is dropped, and a buffer that fills up
// without one starts again from empty.
func (p *smtpProbe) readLine(ctx context.Context, c net.Conn) ([]byte, Outcome, bool) {
	buf := make([]byte, smtpBufMax)
	n := 0
	for {
		if n >= smtpBufMax-1 {
			n = 0
		}
		c.SetReadDeadline(deadline(ctx, time.Now(), p.co.timeout))
		r, err := c.Read(buf[n : smtpBufMax-1])
		if r > 0 {
			n += r
			if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
				return buf[:i], Outcome{}, true
			}
			continue
		}
		if err != nil && isTimeout(err) {
			return nil, p.fail("Read timeout from server %s", err), false
		}
		return nil, p.fail("Read failure from server %s", err), false
	}
}

func (p *smtpProbe) writeLine(ctx context.Context, c net.Conn, s string) (Outcome, bool) {
	c.SetWriteDeadline(deadline(ctx, time.Now(), p.co.timeout))
	if _, err := c.Write([]byte(s)); err != nil {
		if isTimeout(err) {
			return p.fail("Write timeout to server %s", err), false
		}
		return p.fail("Write failure to server %s", err), false
	}
	return Outcome{}, true
}

// smtpStatus is keepalived's smtp_get_status: exactly three leading digits
// followed by a space or the end of the line, else -1. The line ends at
// the newline, so "220\r" is not a valid reply.
func smtpStatus(line []byte) int {
	if bytes.IndexByte(line, 0) >= 0 {
		line = line[:bytes.IndexByte(line, 0)]
	}
	if len(line) < 3 {
		return -1
	}
	code := 0
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return -1
		}
		code = code*10 + int(c-'0')
	}
	if len(line) > 3 && line[3] != ' ' {
		return -1
	}
	return code
}
