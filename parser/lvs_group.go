package parser

import (
	"math"
	"net/netip"
	"strings"
)

// decodeVSG reads `virtual_server_group NAME { entries }`. keepalived reads
// the body as a value block, one entry per line.
func decodeVSG(s *stmt, cfg *Config) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	if s.NArgs() > 1 {
		// keepalived builds the block's header without its name slot and then
		// names the block from that empty slot while reporting the extra
		// word, which is its missing-parameter exit.
		s.d.report(Diagnostic{Pos: s.ArgPos(2), Class: ClassMissingParameter, Terminal: true,
			Message: "*** Configuration line starting `***MISSING ***` is missing a parameter at word position 1"})
		return
	}
	g := &VirtualServerGroup{Name: name, Pos: s.Pos()}
	for _, e := range s.entries() {
		if entry, ok := vsgEntry(e, g); ok {
			g.Entries = append(g.Entries, entry)
		}
	}
	switch {
	case len(g.Entries) == 0:
		s.Errorf(ClassGeneral, "virtual server group %s has no entries - removing", name)
	case g.haveIPv4 && g.haveIPv6 && g.fwmarkNoFamily:
		s.Errorf(ClassGeneral, "virtual server group %s cannot have IPv4, IPv6 and fwmark without family - removing", name)
	default:
		cfg.VirtualServerGroups = append(cfg.VirtualServerGroups, g)
	}
}

// vsgEntry reads one group line: `fwmark N [inet|inet6]`, or an address,
// range (A-B, A-FULLEND) or network (A/LEN) with an optional port.
func vsgEntry(e *stmt, g *VirtualServerGroup) (VSGEntry, bool) {
	entry := VSGEntry{Pos: e.Pos()}
	first := e.Keyword()
	if first == "fwmark" {
		text, ok := e.Need(1)
		if !ok {
			return entry, false
		}
		mark, ok := e.parseUint(1, text, 0, math.MaxUint32, 10)
		if !ok {
			e.ErrorAt(1, ClassGeneral, "(%s): fwmark '%s' must be in [0, %d] - ignoring", g.Name, text, uint32(math.MaxUint32))
			return entry, false
		}
		if fam, ok := e.Arg(2); ok {
			switch fam {
			case "inet":
				g.haveIPv4 = true
			case "inet6":
				g.haveIPv6 = true
			default:
				e.ErrorAt(2, ClassGeneral, "(%s): fwmark '%d' family %s unknown - ignoring", g.Name, mark, fam)
				return entry, false
			}
			entry.Family = fam
		} else {
			g.fwmarkNoFamily = true
		}
		entry.FWMark, entry.Mark = true, uint32(mark)
		return entry, true
	}

	portText, hasPort := e.Arg(1)
	start, port, ok := e.sockAddr(0, 1)
	if !ok {
		suffix := ""
		if !zeroPort(portText, hasPort) {
			suffix = "/port/" + portText
		}
		e.Errorf(ClassGeneral, "Invalid virtual server group IP address %s %s - skipping", first, suffix)
		return entry, false
	}
	entry.Start, entry.End, entry.Port = start, start, port

	if i := strings.IndexByte(first, '/'); i >= 0 {
		end, ok := vsgNetwork(e, first, first[i+1:], start)
		if !ok {
			return entry, false
		}
		entry.End = end
	} else if i := strings.IndexByte(first, '-'); i >= 0 {
		end, ok := vsgRange(e, first, first[i+1:], start)
		if !ok {
			return entry, false
		}
		entry.End = end
	}
	if start.Is4() {
		g.haveIPv4 = true
	} else {
		g.haveIPv6 = true
	}
	return entry, true
}

// vsgNetwork checks an A/LEN entry and returns the network's last address.
func vsgNetwork(e *stmt, text, lenText string, start netip.Addr) (netip.Addr, bool) {
	bits, _, rest, overflow := cStrtoul(lenText, 10)
	if rest != "" || overflow || bits == 0 || bits > uint64(start.BitLen()) {
		e.Errorf(ClassGeneral, "Invalid netmask - %s - skipping", text)
		return start, false
	}
	b := start.AsSlice()
	end := make([]byte, len(b))
	for i := range b {
		hostBits := byte(0)
		switch lo := i * 8; {
		case int(bits) <= lo:
			hostBits = 0xff
		case int(bits) < lo+8:
			hostBits = 0xff >> (int(bits) - lo)
		}
		if b[i]&hostBits != 0 {
			e.Errorf(ClassGeneral, "Address mask bits not empty - %s - skipping", text)
			return start, false
		}
		end[i] = b[i] | hostBits
	}
	last, _ := netip.AddrFromSlice(end)
	return last, true
}

// vsgRange checks an A-B (last IPv4 octet or last IPv6 group, the latter
// in hex) or A-FULLEND entry and returns the range's last address.
func vsgRange(e *stmt, text, endText string, start netip.Addr) (netip.Addr, bool) {
	full := (start.Is4() && strings.Contains(endText, ".")) || (start.Is6() && strings.Contains(endText, ":"))
	if full {
		end, ok := parseSockAddr(endText)
		if !ok || end.Is6() != strings.Contains(endText, ":") {
			e.Errorf(ClassGeneral, "Invalid range end %s - skipping", text)
			return start, false
		}
		if end.Is4() != start.Is4() {
			e.Errorf(ClassGeneral, "Range address families do not match %s - skipping", text)
			return start, false
		}
		if end.Less(start) {
			e.Errorf(ClassGeneral, "Address range end is less than address range start - %s - skipping", text)
			return start, false
		}
		return end, true
	}

	base, limit := 10, uint64(255)
	if start.Is6() {
		base, limit = 16, 0xffff
	}
	v, neg, rest, overflow := cStrtoul(endText, base)
	switch {
	case rest != "":
		// keepalived's -t drops the entry after this message, without
		// saying more.
		e.Errorf(ClassInvalidNumber, "Virtual server group range '%s' has extra characters at end '%s'", text, rest)
		return start, false
	case overflow || (neg && v != 0) || v > limit:
		e.Errorf(ClassInvalidNumber, "Virtual server group range '%s' end '%s' too large", text, endText)
		return start, false
	}
	b := start.AsSlice()
	var first uint64
	if start.Is4() {
		first = uint64(b[3])
		b[3] = byte(v)
	} else {
		first = uint64(b[14])<<8 | uint64(b[15])
		b[14], b[15] = byte(v>>8), byte(v)
	}
	if first >= v {
		e.Errorf(ClassGeneral, "Address range end is not greater than address range start - %s - skipping", text)
		return start, false
	}
	end, _ := netip.AddrFromSlice(b)
	return end, true
}
