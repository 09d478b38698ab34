package parser

import "net/netip"

// UnicastPeer is one unicast_peer entry.
type UnicastPeer struct {
	Pos  Pos        `json:"pos"`
	Addr netip.Addr `json:"address"`
	// MinTTL and MaxTTL are `min_ttl` / `max_ttl` (defaults 0 and 255).
	MinTTL int `json:"min_ttl"`
	MaxTTL int `json:"max_ttl"`

	// extraAddr is a second address written on the same line, which
	// keepalived reads as an option name.
	extraAddr string
}

func decodeUnicastPeers(s *stmt, vi *VRRPInstance) {
	vi.set.unicastConfigured = true
	for _, e := range s.entries() {
		if p := parseUnicastPeer(e, vi); p != nil {
			vi.UnicastPeers = append(vi.UnicastPeers, p)
		}
	}
}

// parseUnicastPeer is keepalived's alloc_vrrp_unicast_peer.
func parseUnicastPeer(e *stmt, vi *VRRPInstance) *UnicastPeer {
	text := e.Keyword()
	a, ok := parseSockAddr(text)
	if !ok {
		e.Errorf(ClassGeneral, "Configuration error: VRRP instance[%s] malformed unicast peer address[%s]. Skipping...", vi.Name, text)
		return nil
	}
	fam := addrFamily(a)
	if vi.Family == 0 {
		vi.Family = fam
	} else if fam != vi.Family {
		e.Errorf(ClassGeneral, "Configuration error: VRRP instance[%s] and unicast peer address[%s] MUST be of the same family !!! Skipping...", vi.Name, text)
		return nil
	}
	p := &UnicastPeer{Pos: e.Pos(), Addr: a, MinTTL: 0, MaxTTL: 255}
	n := e.NArgs()
	for i := 1; i <= n; i++ {
		if _, ok := parseSockAddr(e.Word(i).Text); ok {
			p.extraAddr = e.Word(i).Text
			break
		}
	}
	for i := 1; i <= n; i += 2 {
		if i+1 > n {
			e.ErrorAt(i, ClassGeneral, "(%s) %s is missing a value", vi.Name, e.Word(i).Text)
			break
		}
		ttl, ok := e.parseUint(i+1, e.Word(i+1).Text, 0, 255, 10)
		if !ok {
			continue
		}
		switch e.Word(i).Text {
		case "min_ttl":
			p.MinTTL = int(ttl)
		case "max_ttl":
			p.MaxTTL = int(ttl)
		default:
			e.ErrorAt(i, ClassGeneral, "(%s) unknown unicast_peer option %s", vi.Name, e.Word(i).Text)
			i = n
			continue
		}
		vi.CheckUnicastSrc = true
	}
	if p.MinTTL > p.MaxTTL {
		e.Errorf(ClassGeneral, "(%s) min_ttl %d > max_ttl %d - all packets will be discarded", vi.Name, p.MinTTL, p.MaxTTL)
	}
	return p
}
