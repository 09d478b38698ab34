package parser

import "strings"

// dnsTypes are the query types DNS_CHECK knows, matched without case.
var dnsTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"}

var dnsKeywords = checkerTable(true, table[Checker]{
	"type": {handle: func(s *stmt, c *Checker) {
		v, ok := s.Need(1)
		if !ok {
			return
		}
		for _, t := range dnsTypes {
			if strings.EqualFold(t, v) {
				c.DNS.Type = t
				return
			}
		}
		s.Errorf(ClassGeneral, "Unknown DNS check type %s - ignoring", v)
	}},
	"name": {handle: func(s *stmt, c *Checker) {
		if c.DNS.nameSet {
			s.Errorf(ClassGeneral, "DNS_CHECK name already specified - ignoring")
			return
		}
		v, ok := s.Need(1)
		if !ok {
			return
		}
		if dnsNameHasEmptyLabel(v) {
			s.Errorf(ClassGeneral, "DNS_CHECK name '%s' has empty label - ignoring", v)
			return
		}
		c.DNS.Name, c.DNS.nameSet = v, true
	}},
})

// dnsNameHasEmptyLabel reproduces keepalived 2.2.7's test, including its
// quirk: it looks at the character after the start of the name and after
// every dot, so a one-character first label ("a.example.com") is rejected
// as well as "x..y" and a leading dot.
func dnsNameHasEmptyLabel(name string) bool {
	if strings.HasPrefix(name, ".") && name != "." {
		return true
	}
	for p := 0; p >= 0; {
		if p+1 < len(name) && name[p+1] == '.' {
			return true
		}
		next := strings.IndexByte(name[min(p+1, len(name)):], '.')
		if next < 0 {
			break
		}
		p = p + 1 + next
	}
	return false
}

// dnsEnd is keepalived's dns_check_end.
func dnsEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if linkLocalNeedsBindIf(s.d, c.Pos, c.Conn.ConnectIP, c.Conn.BindIf) {
		return nil
	}
	return []*Checker{c}
}
