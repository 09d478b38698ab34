package check

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// dnsTypes are the query types DNS_CHECK accepts (check_dns.c).
var dnsTypes = map[string]uint16{
	"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "RRSIG": 46, "DNSKEY": 48,
}

// dnsProbe is DNS_CHECK: one query over UDP; the first reply with our id
// that is a response decides, by its RCODE.
type dnsProbe struct {
	id    probeIdentity
	co    connOpts
	qtype uint16
	name  string
	newID func() uint16
}

func newDNSProbe(c *parser.Checker, id probeIdentity, env *ProbeEnv) (*dnsProbe, error) {
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	typ, name := "SOA", ""
	if c.DNS != nil {
		if c.DNS.Type != "" {
			typ = c.DNS.Type
		}
		name = c.DNS.Name
	}
	qtype, ok := dnsTypes[strings.ToUpper(typ)]
	if !ok {
		return nil, fmt.Errorf("check: DNS_CHECK type %s unknown", typ)
	}
	newID := env.DNSID
	if newID == nil {
		newID = func() uint16 { return uint16(rand.Uint32()) }
	}
	return &dnsProbe{id: id, co: co, qtype: qtype, name: name, newID: newID}, nil
}

// dnsQuery builds keepalived's query: a 12-byte header with only RD set and
// one question; the name split at dots into length-prefixed labels, ended
// by a zero byte (the root name, "" or ".", is the zero byte alone).
func dnsQuery(id uint16, name string, qtype uint16) []byte {
	q := make([]byte, 12, 12+len(name)+6)
	binary.BigEndian.PutUint16(q[0:], id)
	binary.BigEndian.PutUint16(q[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(q[4:], 1)      // QDCOUNT
	if name != "." {
		for s := name; s != ""; {
			label, rest, found := strings.Cut(s, ".")
			q = append(q, byte(len(label)))
			q = append(q, label...)
			s = rest
			if !found {
				break
			}
		}
	}
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, qtype)
	q = binary.BigEndian.AppendUint16(q, 1) // IN
	return q
}

// dnsReply judges one datagram: done tells whether it decides the attempt.
// keepalived compares its reply size with the size of a pointer (8), not
// of the header, so replies of 8 to 11 bytes are judged from their first
// four bytes.
func dnsReply(b []byte, id uint16) (done bool, rcode int) {
	if len(b) < 8 {
		return false, 0
	}
	if binary.BigEndian.Uint16(b[0:]) != id {
		return false, 0
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if flags&0x8000 == 0 { // a query, not a response
		return false, 0
	}
	return true, int(flags & 0x000f)
}

func (p *dnsProbe) fail(msg string, err error) Outcome {
	return failed(&ProbeError{Reason: msg, Line: fmt.Sprintf("DNS_CHECK (%s) %s", p.id.rs, msg), Err: err})
}

func (p *dnsProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *dnsProbe) check(ctx context.Context) Outcome {
	start := time.Now()
	conn, err := p.co.dialer("udp").DialContext(ctx, p.co.network("udp"), p.co.dest.String())
	if err != nil {
		// connect() on a UDP socket fails at once or not at all.
		switch classifyDial(ctx, err) {
		case dialFailed, dialUnreach, dialTimeout:
			return p.fail(fmt.Sprintf("network unreachable for %s", probeAddrPair(p.co.dest)), err)
		}
		if dialSyscall(err) == "socket" {
			return failed(localError(fmt.Sprintf("DNS_CHECK (%s) failed to create socket. Rescheduling.", p.id.rs), err))
		}
		return failed(localError(fmt.Sprintf("DNS_CHECK (%s) UDP socket bind failed. Rescheduling.", p.id.rs), err))
	}
	defer conn.Close()
	stop := closeOnCancel(ctx, conn)
	defer stop()

	// The whole attempt, send and reply, has connect_timeout.
	conn.SetDeadline(deadline(ctx, start, p.co.timeout))
	id := p.newID()
	q := dnsQuery(id, p.name, p.qtype)
	n, err := conn.Write(q)
	if err != nil {
		if isTimeout(err) {
			return p.fail("write timeout to socket.", err)
		}
		return p.fail("failed to write socket.", err)
	}
	if n != len(q) {
		return p.fail("failed to write all of the datagram.", nil)
	}
	buf := make([]byte, 1024)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if isTimeout(err) {
				return p.fail("read timeout from socket", err)
			}
			var errno syscall.Errno
			if errors.As(err, &errno) {
				return p.fail(fmt.Sprintf("failed to read socket; errno %d (%s)", int(errno), probeStrerror(errno)), err)
			}
			return p.fail(fmt.Sprintf("failed to read socket; %v", err), err)
		}
		done, rcode := dnsReply(buf[:n], id)
		if !done {
			continue
		}
		if rcode != 0 {
			return p.fail(fmt.Sprintf("read error occurred. (rcode = %d)", rcode), nil)
		}
		return Outcome{OK: true}
	}
}

// probeStrerror is strerror(3)'s text: Go's errno strings are glibc's in
// lower case, and glibc capitalises the first letter.
func probeStrerror(e syscall.Errno) string {
	s := e.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
