package parser

import (
	"net/netip"
	"strings"
)

// IPAddress is one virtual_ipaddress, virtual_ipaddress_excluded or
// static_ipaddress entry.
type IPAddress struct {
	Pos Pos `json:"pos"`
	// Addr is the address with its prefix length (host bits kept).
	Addr netip.Prefix `json:"address"`
	// Dev is `dev`; empty means the instance's interface (for static
	// addresses validation fills in default_interface).
	Dev string `json:"dev,omitempty"`
	// Broadcast is `brd`/`broadcast`, computed for `+` and `-`.
	Broadcast netip.Addr `json:"broadcast,omitzero"`
	// Scope is `scope` as a number (0 global, 253 link, 254 host...).
	Scope int `json:"scope,omitempty"`
	// Label is `label` (IPv4 only).
	Label string `json:"label,omitempty"`
	// Peer is `peer`.
	Peer netip.Addr `json:"peer,omitzero"`
	// Kernel address flags: `home`, `-nodad`, `mngtmpaddr`, `noprefixroute`, `autojoin`.
	Home          bool `json:"home,omitempty"`
	NoDAD         bool `json:"nodad,omitempty"`
	MngTmpAddr    bool `json:"mngtmpaddr,omitempty"`
	NoPrefixRoute bool `json:"noprefixroute,omitempty"`
	AutoJoin      bool `json:"autojoin,omitempty"`
	// NoTrack is `no_track`.
	NoTrack bool `json:"no_track,omitempty"`
	// PreferredLft is `preferred_lft` (0xffffffff = forever); IPv6 defaults
	// to 0 for /128 and forever otherwise.
	PreferredLft uint32 `json:"preferred_lft,omitempty"`
	// UseVMAC is the per-address `use_vmac` (VIPs and eVIPs).
	UseVMAC bool `json:"use_vmac,omitempty"`
	// TrackGroup is `track_group` (static addresses).
	TrackGroup string `json:"track_group,omitempty"`
}

const foreverLft = 0xffffffff

func decodeVIPs(s *stmt, vi *VRRPInstance) {
	for _, e := range s.entries() {
		a := parseAddressEntry(e, false)
		if a == nil {
			continue
		}
		fam := addrFamily(a.Addr.Addr())
		if vi.Family == 0 {
			vi.Family = fam
		} else if fam != vi.Family {
			e.Errorf(ClassGeneral, "(%s): address family must match VRRP instance [%s] - ignoring", vi.Name, e.Keyword())
			continue
		}
		vi.VIPs = append(vi.VIPs, a)
	}
}

func decodeEVIPs(s *stmt, vi *VRRPInstance) {
	for _, e := range s.entries() {
		if a := parseAddressEntry(e, false); a != nil {
			vi.EVIPs = append(vi.EVIPs, a)
		}
	}
}

func decodeStaticAddresses(s *stmt, c *Config) {
	for _, e := range s.entries() {
		if a := parseAddressEntry(e, true); a != nil {
			c.StaticAddresses = append(c.StaticAddresses, a)
		}
	}
}

// parseIPPrefix is keepalived's parse_ipaddress: the family is chosen by
// the presence of ':', a bad length is reported and replaced by the full
// length, a bad address drops the entry. i is the word, for positions.
func parseIPPrefix(e *stmt, i int, text string, allowLen bool) (netip.Prefix, bool) {
	v6 := strings.Contains(text, ":")
	bits := 32
	if v6 {
		bits = 128
	}
	addrText := text
	if allowLen {
		if a, l, ok := strings.Cut(text, "/"); ok {
			addrText = a
			if n, ok := e.parseUint(i, l, 0, uint64(bits), 10); ok {
				bits = int(n)
			} else {
				e.ErrorAt(i, ClassGeneral, "Invalid address prefix len %s for address %s - using %d", l, text, bits)
			}
		}
	}
	a, ok := parseIP(addrText)
	if !ok || a.Is6() != v6 {
		e.ErrorAt(i, ClassGeneral, "VRRP parsed invalid IP %s. skipping IP...", text)
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, bits), true
}

// parseAddressEntry is keepalived's alloc_ipaddress for one line.
func parseAddressEntry(e *stmt, static bool) *IPAddress {
	first := e.Keyword()
	p, ok := parseIPPrefix(e, 0, first, true)
	if !ok {
		return nil
	}
	a := &IPAddress{Pos: e.Pos(), Addr: p}
	v6 := p.Addr().Is6()
	brdMode := 0 // -1 '+', -2 '-'
	haveBrd, lftSet := false, false
	n := e.NArgs()
	for i := 1; i <= n; i++ {
		opt := e.Word(i).Text
		needsParam := map[string]bool{"dev": true, "scope": true, "broadcast": true, "brd": true,
			"label": true, "peer": true, "preferred_lft": true}[opt] || (static && opt == "track_group")
		if needsParam && i+1 > n {
			e.ErrorAt(i, ClassGeneral, "No %s parameter specified for %s", opt, first)
			return nil
		}
		switch {
		case opt == "dev":
			i++
			dev := e.Word(i).Text
			if a.Dev != "" {
				e.ErrorAt(i, ClassGeneral, "Cannot specify ipaddress device more than once for %s", first)
				return nil
			}
			if !lookupInterface(e.d, dev) {
				e.ErrorAt(i, ClassGeneral, "WARNING - interface %s for ip address %s doesn't exist", dev, first)
				return nil
			}
			a.Dev = dev
		case opt == "scope":
			i++
			sc, ok := rtScope(e.Word(i).Text)
			if !ok {
				e.ErrorAt(i, ClassGeneral, "Invalid scope '%s' specified for %s - ignoring", e.Word(i).Text, first)
			} else {
				a.Scope = sc
			}
		case opt == "broadcast" || opt == "brd":
			if v6 {
				e.ErrorAt(i, ClassGeneral, "VRRP is trying to assign a broadcast %s to the IPv6 address %s !!?? WTF... skipping VIP...", opt, first)
				return nil
			}
			haveBrd = true
			i++
			switch v := e.Word(i).Text; v {
			case "-":
				brdMode = -2
			case "+":
				brdMode = -1
			default:
				b, ok := parseIP(v)
				if !ok || !b.Is4() {
					e.ErrorAt(i, ClassGeneral, "VRRP is trying to assign invalid broadcast %s. skipping VIP...", v)
					return nil
				}
				a.Broadcast = b
			}
		case opt == "label":
			i++
			l := e.Word(i).Text
			if len(l) >= ifNameSize {
				e.ErrorAt(i, ClassGeneral, "Address label %s is longer than maximum length %d - removing address", l, ifNameSize-1)
				return nil
			}
			a.Label = l
		case opt == "peer":
			i++
			pt := e.Word(i).Text
			if a.Peer.IsValid() {
				e.ErrorAt(i, ClassGeneral, "Peer %s - another peer has already been specified", pt)
				continue
			}
			pp, ok := parseIPPrefix(e, i, pt, false)
			switch {
			case !ok:
				e.ErrorAt(i, ClassGeneral, "Invalid peer address %s", pt)
			case pp.Addr().Is6() != v6:
				e.ErrorAt(i, ClassGeneral, "Peer address %s does not match address family", pt)
			default:
				if a.Addr.Bits() != a.Addr.Addr().BitLen() {
					e.ErrorAt(i, ClassGeneral, "Cannot specify address prefix when specifying peer address - ignoring")
				}
				a.Peer = pp.Addr()
				a.Addr = netip.PrefixFrom(a.Addr.Addr(), pp.Bits())
			}
		case opt == "home":
			a.Home = true
		case opt == "-nodad":
			a.NoDAD = true
		case opt == "mngtmpaddr":
			a.MngTmpAddr = true
		case opt == "noprefixroute":
			a.NoPrefixRoute = true
		case opt == "autojoin":
			a.AutoJoin = true
		case opt == "no_track":
			a.NoTrack = true
		case opt == "preferred_lft":
			i++
			if e.Word(i).Text == "forever" {
				a.PreferredLft, lftSet = foreverLft, true
			} else if v, ok := e.uintValue(i, 0, maxUint32); ok {
				a.PreferredLft, lftSet = uint32(v), true
			} else {
				e.ErrorAt(i, ClassGeneral, "preferred_lft %s is invalid", e.Word(i).Text)
			}
		case static && opt == "track_group":
			i++
			g := e.Word(i).Text
			if a.TrackGroup != "" {
				e.ErrorAt(i, ClassGeneral, "track_group %s is a duplicate", g)
				i = n
				continue
			}
			if findTrackGroup(e.d, g) {
				a.TrackGroup = g
			} else {
				e.ErrorAt(i, ClassGeneral, "track_group %s not found", g)
			}
		case !static && opt == "use_vmac":
			a.UseVMAC = true
		default:
			e.ErrorAt(i, ClassGeneral, "Unknown configuration entry '%s' for ip address - ignoring", opt)
		}
	}

	bits := a.Addr.Bits()
	switch {
	case haveBrd && a.Peer.IsValid():
		e.Errorf(ClassGeneral, "Cannot specify broadcast and peer addresses - ignoring broadcast address")
		a.Broadcast = netip.Addr{}
	case brdMode < 0 && bits <= 30:
		base := a.Addr.Addr()
		if a.Peer.IsValid() {
			base = a.Peer
		}
		b := base.As4()
		mask := uint32(0xffffffff) >> bits
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if brdMode == -1 {
			v |= mask
		} else {
			v &^= mask
		}
		a.Broadcast = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	case brdMode < 0:
		e.Errorf(ClassGeneral, "Address prefix length %d too long for broadcast", bits)
	}

	if static && a.Dev == "" {
		def := vrrpGlobals(e.d).DefaultInterface
		if !lookupInterface(e.d, def) {
			e.Errorf(ClassFatal, "Static address %s requires either an interface or default interface must exist", first)
			return nil
		}
		a.Dev = def
	}

	if v6 {
		if a.Scope != 0 {
			e.Errorf(ClassGeneral, "Cannot specify scope for IPv6 addresses (%s) - ignoring scope", first)
			a.Scope = 0
		}
		if a.Label != "" {
			e.Errorf(ClassGeneral, "Cannot specify label for IPv6 addresses (%s) - ignoring label", first)
			a.Label = ""
		}
		if !lftSet {
			if bits == 128 {
				a.PreferredLft = 0
			} else {
				a.PreferredLft = foreverLft
			}
		}
	}
	return a
}

// rtScope is find_rttables_scope with iproute2's default names (the
// host's /etc/iproute2/rt_scopes is not read).
func rtScope(text string) (int, bool) {
	if v, ok := rtNumber(text, 255); ok {
		return int(v), true
	}
	switch text {
	case "global":
		return 0, true
	case "site":
		return 200, true
	case "link":
		return 253, true
	case "host":
		return 254, true
	case "nowhere":
		return 255, true
	}
	return 0, false
}

// rtNumber is the numeric half of keepalived's rttables lookups: strtoul
// in any base, the whole word consumed. ok is false when it is not a number
// or is above max.
func rtNumber(text string, max uint64) (uint64, bool) {
	v, neg, rest, overflow := cStrtoul(text, 0)
	if rest != "" || overflow || len(text) == 0 || strings.TrimLeft(text, " \t") == "" {
		return 0, false
	}
	if neg {
		// strtoul negates into a huge unsigned value.
		return 0, false
	}
	return v, v <= max
}

func findTrackGroup(d *decoder, name string) bool {
	for _, g := range d.cfg.TrackGroups {
		if g.Name == name {
			return true
		}
	}
	return false
}
