package parser

const smtpDefaultHelo = "smtpchecker.keepalived.org"

// smtpKeywords is the body of SMTP_CHECK, with the deprecated host blocks.
var smtpKeywords = checkerTable(true, table[Checker]{
	"helo_name": {handle: func(s *stmt, c *Checker) {
		if v, ok := s.argOr("SMTP_CHECK helo name missing"); ok {
			c.SMTP.HeloName = v
		}
	}},
	"host": {kind: subBlock, handle: func(s *stmt, c *Checker) {
		h := &CheckerConn{Pos: s.Pos()}
		c.cur = h
		// The timing keywords inside a host block still set the checker's.
		decodeBlock(s.d, s.Body(), smtpHostKeywords, c)
		c.cur = c.Conn
		if linkLocalNeedsBindIf(s.d, h.Pos, h.ConnectIP, h.BindIf) {
			return
		}
		c.SMTP.Hosts = append(c.SMTP.Hosts, h)
	}},
})

var smtpHostKeywords = checkerTable(true, nil)

// smtpEnd is keepalived's smtp_check_end_handler: the checker keeps its own
// connection when any connection keyword was written or there are no host
// blocks; otherwise the first host takes its place. Every other host
// becomes a copy of the checker with that host's connection.
func smtpEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if c.SMTP.HeloName == "" {
		c.SMTP.HeloName = smtpDefaultHelo
	}
	hosts := c.SMTP.Hosts
	if len(hosts) > 0 {
		s.Logf("The SMTP_CHECK host block is deprecated. Please define additional checkers.")
	}
	if c.Conn.anySet() || len(hosts) == 0 {
		if linkLocalNeedsBindIf(s.d, c.Pos, c.Conn.ConnectIP, c.Conn.BindIf) {
			return nil
		}
	} else {
		c.Conn, hosts = hosts[0], hosts[1:]
	}
	c.cur = nil
	out := []*Checker{c}
	for _, h := range hosts {
		dup := *c
		smtp := *c.SMTP
		dup.SMTP, dup.Conn = &smtp, h
		out = append(out, &dup)
	}
	return out
}
