package parser

import (
	"net/netip"
	"strings"
)

// zeroPort tells whether a port word is keepalived's "no port": absent or
// made only of zeros (keepalived never hands those to its address parser,
// which rejects port 0).
func zeroPort(text string, present bool) bool {
	return !present || strings.Trim(text, "0") == ""
}

// sockAddr is keepalived's inet_stosockaddr for the server address at word
// ipIdx and the optional port at word portIdx. The port is read first (its
// number errors are reported), then the address, whose family is IPv6 iff it
// contains ':' and from which any "-range" or "/mask" suffix is dropped. ok is
// false when either is invalid; the caller reports that in its own words.
func (s *stmt) sockAddr(ipIdx, portIdx int) (addr netip.Addr, port uint16, ok bool) {
	ip, _ := s.Arg(ipIdx)
	if text, present := s.Arg(portIdx); !zeroPort(text, present) {
		p, good := s.parseUint(portIdx, text, 1, 65535, 10)
		if !good {
			return netip.Addr{}, 0, false
		}
		port = uint16(p)
	}
	addr, ok = parseSockAddr(ip)
	if ok && addr.Is6() != strings.Contains(ip, ":") {
		ok = false
	}
	return addr, port, ok
}

// parseInetAton reads an IPv4 address the way getaddrinfo(AI_NUMERICHOST)
// does, which accepts the inet_aton shorthands (1 to 4 parts, each decimal,
// octal or hex): persistence_granularity goes through it.
func parseInetAton(text string) (uint32, bool) {
	parts := strings.Split(text, ".")
	if len(parts) > 4 || text == "" {
		return 0, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" || p[0] == '+' || p[0] == '-' || isBlank(p[0]) {
			return 0, false
		}
		v, _, rest, overflow := cStrtoul(p, 0)
		if rest != "" || overflow || v > 0xffffffff {
			return 0, false
		}
		vals[i] = v
	}
	last := len(vals) - 1
	var out uint64
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return 0, false
		}
		out |= vals[i] << (24 - 8*uint(i))
	}
	if vals[last] >= uint64(1)<<(8*uint(4-last)) {
		return 0, false
	}
	return uint32(out | vals[last]), true
}
