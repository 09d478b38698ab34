package parser

import "strings"

var udpKeywords = checkerTable(true, table[Checker]{
	"payload": {handle: func(s *stmt, c *Checker) {
		if s.NArgs() == 0 {
			s.Errorf(ClassGeneral, "UDP_CHECK payload requires a payload")
			return
		}
		data, _ := readHexStr(strings.Join(s.Args(), " "), false)
		if data == nil {
			s.Errorf(ClassGeneral, "Invalid hex string for UDP_CHECK payload")
			return
		}
		c.UDP.Payload = data
	}},
	"require_reply": {handle: func(s *stmt, c *Checker) {
		c.UDP.RequireReply = true
		if s.NArgs() == 0 {
			return
		}
		data, mask := readHexStr(strings.Join(s.Args(), " "), true)
		if data == nil {
			s.Errorf(ClassGeneral, "Invalid hex string for UDP_CHECK reply")
			return
		}
		c.UDP.ReplyData, c.UDP.ReplyMask = data, mask
	}},
	"min_reply_length": {handle: func(s *stmt, c *Checker) {
		if v, ok := udpLength(s, "min"); ok {
			c.UDP.MinReplyLength = v
		}
	}},
	"max_reply_length": {handle: func(s *stmt, c *Checker) {
		if v, ok := udpLength(s, "max"); ok {
			c.UDP.MaxReplyLength = v
		}
	}},
})

func udpLength(s *stmt, which string) (uint16, bool) {
	text, ok := s.Need(1)
	if !ok {
		return 0, false
	}
	v, ok := s.parseUint(1, text, 0, 65535, 10)
	if !ok {
		s.Errorf(ClassGeneral, "UDP_CHECK %s length %s not valid - must be between 0 & 65535", which, text)
	}
	return uint16(v), ok
}

// udpEnd is keepalived's udp_check_end_handler.
func udpEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if linkLocalNeedsBindIf(s.d, c.Pos, c.Conn.ConnectIP, c.Conn.BindIf) {
		return nil
	}
	if c.UDP.MinReplyLength > c.UDP.MaxReplyLength {
		s.Errorf(ClassGeneral, "UDP_CHECK min_reply length %d > max_reply_length %d - will always fail",
			c.UDP.MinReplyLength, c.UDP.MaxReplyLength)
	}
	return []*Checker{c}
}
