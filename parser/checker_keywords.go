package parser

import (
	"math"
	"net/netip"
)

// checkerBlockKeywords are the checker blocks a real_server accepts. Each
// handler appends the checkers its block yields to rs.Checkers; a block
// keepalived throws away at its end (an HTTP_GET without urls, a MISC_CHECK
// without misc_path, ...) yields none.
var checkerBlockKeywords = table[RealServer]{
	"HTTP_GET":   checkerBlock("HTTP_GET", httpKeywords, httpEnd),
	"SSL_GET":    checkerBlock("SSL_GET", httpKeywords, httpEnd),
	"TCP_CHECK":  checkerBlock("TCP_CHECK", tcpKeywords, connEnd),
	"SMTP_CHECK": checkerBlock("SMTP_CHECK", smtpKeywords, smtpEnd),
	"DNS_CHECK":  checkerBlock("DNS_CHECK", dnsKeywords, dnsEnd),
	"MISC_CHECK": checkerBlock("MISC_CHECK", miscKeywords, miscEnd),
	"UDP_CHECK":  checkerBlock("UDP_CHECK", udpKeywords, udpEnd),
	"PING_CHECK": checkerBlock("PING_CHECK", pingKeywords, connEnd),
	"FILE_CHECK": checkerBlock("FILE_CHECK", fileKeywords, fileEnd),
	"BFD_CHECK":  checkerBlock("BFD_CHECK", bfdCheckKeywords, bfdEnd),
}

// checkerEnd runs when a checker block closes, as keepalived's sublevel end
// handlers do. It returns the checkers the block yields.
type checkerEnd func(s *stmt, rs *RealServer, c *Checker) []*Checker

func checkerBlock(typ string, tbl table[Checker], end checkerEnd) keyword[RealServer] {
	return keyword[RealServer]{kind: subBlock, handle: func(s *stmt, rs *RealServer) {
		c := newChecker(s, typ)
		decodeBlock(s.d, s.Body(), tbl, c)
		out := []*Checker{c}
		if end != nil {
			out = end(s, rs, c)
		}
		rs.Checkers = append(rs.Checkers, out...)
	}}
}

// newChecker starts a checker of the given type with keepalived's
// per-type initial values; inherited settings stay unset.
func newChecker(s *stmt, typ string) *Checker {
	c := &Checker{Type: typ, Pos: s.Pos()}
	switch typ {
	case "HTTP_GET", "SSL_GET":
		c.HTTP = &HTTPCheck{HTTPProtocol: "1.0"}
	case "TCP_CHECK":
		c.TCP = &TCPCheck{}
	case "SMTP_CHECK":
		c.SMTP = &SMTPCheck{}
	case "DNS_CHECK":
		c.DNS = &DNSCheck{Type: "SOA"}
	case "MISC_CHECK":
		c.Misc = &MiscCheck{}
	case "UDP_CHECK":
		c.UDP = &UDPCheck{MaxReplyLength: 255}
	case "PING_CHECK":
		c.Ping = &PingCheck{}
	case "FILE_CHECK":
		c.File = &FileCheck{}
	case "BFD_CHECK":
		c.BFD = &BFDCheck{}
	}
	switch typ {
	case "MISC_CHECK", "FILE_CHECK", "BFD_CHECK":
	default:
		c.Conn = &CheckerConn{Pos: s.Pos()}
		c.cur = c.Conn
	}
	return c
}

// checkerTable builds a checker block's table: the timing group, the
// connection group when conn is set, and the type's own keywords.
func checkerTable(conn bool, own table[Checker]) table[Checker] {
	parts := []table[Checker]{timingKeywords, own}
	if conn {
		parts = append(parts, connKeywords)
	}
	return mergeTables(parts...)
}

var (
	tcpKeywords  = checkerTable(true, nil)
	pingKeywords = checkerTable(true, nil)
)

// timingKeywords is the group every checker but FILE_CHECK and BFD_CHECK
// accepts.
var timingKeywords = table[Checker]{
	"retry": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerUint(s, 0, math.MaxUint32, "Invalid retry connection value '%s'"); ok {
			c.Retry, c.RetrySet = uint32(v), true
		}
	}},
	"delay_before_retry": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerTimer(s, 0, 0, "Invalid delay_before_retry connection value '%s'"); ok {
			c.DelayBeforeRetry, c.DelayBeforeRetrySet = v, true
		}
	}},
	"warmup": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerTimer(s, 0, 0, "Invalid warmup connection value '%s'"); ok {
			c.Warmup, c.WarmupSet = v, true
		}
	}},
	"delay_loop": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerTimer(s, 1, 0, "delay_loop '%s' is invalid - ignoring"); ok {
			c.DelayLoop, c.DelayLoopSet = v, true
		}
	}},
	"alpha": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerBool(s, "Invalid alpha parameter %s"); ok {
			c.Alpha, c.AlphaSet = v, true
		}
	}},
	"log_all_failures": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerBool(s, "Invalid log_all_failures parameter %s"); ok {
			c.LogAllFailures = v
		}
	}},
}

// connKeywords is the connection group. Its handlers write to c.cur, which
// is an SMTP host block while one is read.
var connKeywords = table[Checker]{
	"connect_ip": {handle: func(s *stmt, c *Checker) {
		connAddr(s, &c.cur.ConnectIP, c.cur.BindTo, "connect_ip", "bindto")
	}},
	"connect_port": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerUint(s, 1, 65535, "Invalid checker connect_port '%s'"); ok {
			c.cur.ConnectPort, c.cur.ConnectPortSet = uint16(v), true
		}
	}},
	"bindto": {handle: func(s *stmt, c *Checker) {
		connAddr(s, &c.cur.BindTo, c.cur.ConnectIP, "bindto", "connect_ip")
	}},
	"bind_port": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerUint(s, 1, 65535, "Invalid checker bind_port '%s'"); ok {
			c.cur.BindPort = uint16(v)
		}
	}},
	"bind_if": {handle: func(s *stmt, c *Checker) {
		name, ok := s.Need(1)
		if !ok {
			return
		}
		if len(name) > ifNameMax {
			s.Errorf(ClassGeneral, "Interface name %s is too long - ignoring", name)
			return
		}
		c.cur.BindIf = name
	}},
	"connect_timeout": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerTimer(s, 1, math.MaxUint32, "connect_timeout %s invalid - ignoring"); ok {
			c.cur.ConnectTimeout, c.cur.ConnectTimeoutSet = v, true
		}
	}},
	"fwmark": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerUint(s, 0, math.MaxUint32, "Invalid fwmark connection value '%s'"); ok {
			c.cur.FWMark = uint32(v)
		}
	}},
}

// connAddr reads connect_ip or bindto (kw) into dst; the two must be of
// one family, and a mismatch clears dst as keepalived does.
func connAddr(s *stmt, dst *netip.Addr, other netip.Addr, kw, otherKw string) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	a, ok := parseSockAddr(text)
	switch {
	case !ok:
		s.Errorf(ClassGeneral, "Invalid %s address %s - ignoring", kw, text)
	case other.IsValid() && other.Is4() != a.Is4():
		s.Errorf(ClassGeneral, "%s address %s does not match address family of %s - skipping", kw, text, otherKw)
		*dst = netip.Addr{}
	default:
		*dst = a
	}
}

// ifNameMax is IFNAMSIZ-1, the longest interface name Linux accepts.
const ifNameMax = 15

// checkerUint reads argument 1 as keepalived's read_unsigned_strvec and adds
// the handler's own error when the number is rejected.
func checkerUint(s *stmt, min, max uint64, msg string) (uint64, bool) {
	text, ok := s.Need(1)
	if !ok {
		return 0, false
	}
	v, ok := s.parseUint(1, text, min, max, 10)
	if !ok {
		s.Errorf(ClassGeneral, msg, text)
	}
	return v, ok
}

// checkerTimer reads argument 1 as keepalived's read_timer (max 0 meaning
// no limit) and adds the handler's own error when it is rejected.
func checkerTimer(s *stmt, min, max uint64, msg string) (Micros, bool) {
	text, ok := s.Need(1)
	if !ok {
		return 0, false
	}
	if max == 0 {
		max = math.MaxUint64 - 1
	}
	v, ok := s.parseDecimal(1, text, min, max, 6)
	if !ok {
		s.Errorf(ClassGeneral, msg, text)
	}
	return Micros(v), ok
}

// checkerBool reads an optional BOOL the way the checker handlers do: they
// report their own message, not the generic one.
func checkerBool(s *stmt, msg string) (val, ok bool) {
	if val, ok = s.boolArg(1); !ok {
		s.Errorf(ClassGeneral, msg, s.Word(1).Text)
	}
	return val, ok
}
