package parser

import "net/netip"

// BFDInstance is a bfd_instance block: one BFD session run by keepalived's
// BFD process, whose state the VRRP and checker processes can track.
type BFDInstance struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// NeighborIP is neighbor_ip / neighbour_ip, the peer (UDP 3784).
	NeighborIP netip.Addr `json:"neighbor_ip"`
	// SourceIP is source_ip.
	SourceIP netip.Addr `json:"source_ip,omitempty"`
	// MinRx is min_rx (given in ms), default 10 ms.
	MinRx Micros `json:"min_rx"`
	// MinTx is min_tx (given in ms), default 10 ms.
	MinTx Micros `json:"min_tx"`
	// IdleTx is idle_tx (given in ms), default 1000 ms.
	IdleTx Micros `json:"idle_tx"`
	// Multiplier is multiplier, default 5.
	Multiplier uint `json:"multiplier"`
	// Passive is passive.
	Passive bool `json:"passive,omitempty"`
	// TTL is ttl / hoplimit; when not set, 255 for IPv4 and 64 for IPv6.
	TTL uint `json:"ttl"`
	// MaxHops is max_hops, default 0.
	MaxHops int `json:"max_hops"`
	// Weight is weight, the default weight of track_bfd entries (VRRP only).
	Weight int `json:"weight"`
	// Reverse is weight's `reverse` option.
	Reverse bool `json:"reverse,omitempty"`
	// VRRP and Checker say which processes get the session's events: the
	// `vrrp` and `checker` flags, both when neither is written.
	VRRP    bool `json:"vrrp"`
	Checker bool `json:"checker"`
	// Disabled marks an instance the BFD process drops (no or bad neighbour,
	// family mismatch, duplicate addresses); the VRRP process still knows
	// its name, as keepalived's VRRP process does not read those keywords.
	Disabled bool `json:"disabled,omitempty"`

	// dropped stops the BFD-side keywords after a malformed neighbour, as
	// keepalived skips the rest of the block in the BFD process.
	dropped bool
	// eventsSet records that `vrrp` or `checker` was written.
	eventsSet bool
}

// vrrpErrorf reports a general error as keepalived's VRRP process does
// while the statement itself belongs to another process.
func (s *stmt) vrrpErrorf(format string, args ...any) {
	prev := s.d.pass
	s.d.pass = PassVRRP
	s.Errorf(ClassGeneral, format, args...)
	s.d.pass = prev
}

// vrrpKnows tells whether the VRRP process keeps this instance for track_bfd.
func (b *BFDInstance) vrrpKnows() bool { return !b.eventsSet || b.VRRP }

// bfdNameMax is keepalived's BFD_INAME_MAX less the terminating NUL.
const bfdNameMax = 31

func decodeBFDInstance(s *stmt, c *Config) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	// The VRRP process (which keeps the names for track_bfd) and the BFD
	// process each reject a bad name in their own words.
	if len(name) > bfdNameMax {
		s.vrrpErrorf("BFD name %s too long", name)
		s.Errorf(ClassGeneral, "Configuration error: BFD instance %s name too long (maximum length is %d characters) - ignoring", name, bfdNameMax)
		return
	}
	for _, b := range c.BFDInstances {
		if b.Name == name {
			s.vrrpErrorf("BFD %s already specified", name)
			s.Errorf(ClassGeneral, "Configuration error: BFD instance %s already configured - ignoring", name)
			return
		}
	}
	b := &BFDInstance{Name: name, Pos: s.Pos(), MinRx: 10000, MinTx: 10000, IdleTx: 1000000, Multiplier: 5}
	decodeBlock(s.d, s.Body(), bfdKeywords, b)
	completeBFD(s, c, b)
	c.BFDInstances = append(c.BFDInstances, b)
}

// completeBFD is keepalived's end-of-block check in the BFD process.
func completeBFD(s *stmt, c *Config, b *BFDInstance) {
	if !b.eventsSet {
		b.VRRP, b.Checker = true, true
	}
	if b.dropped {
		b.Disabled = true
		return
	}
	switch {
	case !b.NeighborIP.IsValid():
		s.Errorf(ClassGeneral, "Configuration error: BFD instance %s has no neighbor address set, disabling instance", b.Name)
		b.Disabled = true
		return
	case b.SourceIP.IsValid() && b.SourceIP.Is4() != b.NeighborIP.Is4():
		// keepalived formats both addresses into one static buffer, so
		// its message shows the source address twice.
		s.Errorf(ClassGeneral, "Configuration error: BFD instance %s source address %s and neighbor address %s are not of the same family, disabling instance",
			b.Name, b.SourceIP, b.SourceIP)
		b.Disabled = true
		return
	}
	for _, o := range c.BFDInstances {
		// A session is the neighbour plus the source address, and a missing
		// source address on either side matches any.
		if o.Disabled || o.NeighborIP != b.NeighborIP ||
			(o.SourceIP.IsValid() && b.SourceIP.IsValid() && o.SourceIP != b.SourceIP) {
			continue
		}
		if b.SourceIP.IsValid() {
			s.Errorf(ClassGeneral, "Configuration error: BFD instance %s has duplicate source/neighbor address %s/%s, ignoring instance", b.Name, b.SourceIP, b.NeighborIP)
		} else {
			s.Errorf(ClassGeneral, "Configuration error: BFD instance %s has duplicate neighbor address %s, ignoring instance", b.Name, b.NeighborIP)
		}
		b.Disabled = true
		return
	}
	if b.TTL == 0 {
		b.TTL = 64
		if b.NeighborIP.Is4() {
			b.TTL = 255
		}
	}
	if b.MaxHops > int(b.TTL) {
		s.Errorf(ClassGeneral, "BFD instance %s: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit", b.Name)
		b.MaxHops = int(b.TTL)
	}
}

// bfdKeywords is the bfd_instance block. `weight` belongs to the VRRP
// process (the BFD process ignores it), the rest to the BFD process.
var bfdKeywords = table[BFDInstance]{
	"neighbor_ip":  {handle: bfdNeighbor},
	"neighbour_ip": {handle: bfdNeighbor},
	"source_ip":    {handle: bfdSource},
	"min_rx":       {handle: bfdInterval("min_rx", &bfdMinRx)},
	"min_tx":       {handle: bfdInterval("min_tx", &bfdMinTx)},
	"idle_tx":      {handle: bfdInterval("idle_tx", &bfdIdleTx)},
	"multiplier":   {handle: bfdMultiplier},
	"passive": {handle: func(s *stmt, b *BFDInstance) {
		if !b.dropped {
			b.Passive = true
		}
	}},
	"ttl":      {handle: bfdTTL},
	"hoplimit": {handle: bfdTTL},
	"max_hops": {handle: bfdMaxHops},
	"weight":   {handle: bfdWeight, pass: PassVRRP},
	"vrrp":     {handle: func(s *stmt, b *BFDInstance) { b.VRRP, b.eventsSet = true, true }},
	"checker":  {handle: func(s *stmt, b *BFDInstance) { b.Checker, b.eventsSet = true, true }},
}

// bfdAddr parses keepalived's inet_stosockaddr form of a BFD address.
func bfdAddr(text string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone(""), true
}

// bfdArg is a BFD-side keyword with one value: the BFD process skips the
// rest of a block after a malformed neighbour.
func bfdArg(handle func(s *stmt, b *BFDInstance, text string)) func(*stmt, *BFDInstance) {
	return func(s *stmt, b *BFDInstance) {
		if b.dropped {
			return
		}
		if text, ok := s.Need(1); ok {
			handle(s, b, text)
		}
	}
}

var bfdNeighbor = bfdArg(func(s *stmt, b *BFDInstance, text string) {
	a, ok := bfdAddr(text)
	if !ok {
		// keepalived wrote "neighbour" here only when the address itself was
		// the word neighbour_ip, so in practice always "neighbor".
		s.ErrorAt(1, ClassGeneral, "Configuration error: BFD instance %s has malformed neighbor address %s, ignoring instance", b.Name, text)
		b.dropped = true
		return
	}
	b.NeighborIP = a
})

var bfdSource = bfdArg(func(s *stmt, b *BFDInstance, text string) {
	a, ok := bfdAddr(text)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "Configuration error: BFD instance %s has malformed source address %s, ignoring", b.Name, text)
		return
	}
	b.SourceIP = a
})

// bfdRange is one millisecond interval's limits, in ms.
type bfdRange struct {
	min, max, sensible uint64
	field              func(*BFDInstance) *Micros
}

var (
	bfdMinRx  = bfdRange{1, 4294967, 10000, func(b *BFDInstance) *Micros { return &b.MinRx }}
	bfdMinTx  = bfdRange{1, 4294967, 10000, func(b *BFDInstance) *Micros { return &b.MinTx }}
	bfdIdleTx = bfdRange{1000, 4294967, 10000, func(b *BFDInstance) *Micros { return &b.IdleTx }}
)

// bfdInterval reads a decimal millisecond value with 3 decimals (µs).
func bfdInterval(kw string, r *bfdRange) func(*stmt, *BFDInstance) {
	return bfdArg(func(s *stmt, b *BFDInstance, text string) {
		v, ok := s.parseDecimal(1, text, r.min*1000, r.max*1000, 3)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "Configuration error: BFD instance %s %s value %s is not valid (must be in range [%d-%d]), ignoring",
				b.Name, kw, text, r.min, r.max)
			return
		}
		*r.field(b) = Micros(v)
		if v > r.sensible*1000 {
			s.Logf("Configuration warning: BFD instance %s %s value %s is larger than max sensible (%d)", b.Name, kw, text, r.sensible)
		}
	})
}

// bfdNumber reads a whole number; keepalived reads it unsigned unless the
// range goes below 0, which changes its wording for a negative value.
func bfdNumber(what string, min, max int64, set func(*BFDInstance, int64)) func(*stmt, *BFDInstance) {
	return bfdArg(func(s *stmt, b *BFDInstance, text string) {
		var v int64
		ok := false
		if min < 0 {
			v, ok = s.parseInt(1, text, min, max, 10)
		} else {
			var u uint64
			u, ok = s.parseUint(1, text, uint64(min), uint64(max), 10)
			v = int64(u)
		}
		if !ok {
			s.ErrorAt(1, ClassGeneral, "Configuration error: BFD instance %s %s value %s not valid (must be in range [%d-%d]), ignoring", b.Name, what, text, min, max)
			return
		}
		set(b, v)
	})
}

var (
	bfdMultiplier = bfdNumber("multiplier", 1, 255, func(b *BFDInstance, v int64) { b.Multiplier = uint(v) })
	bfdTTL        = bfdNumber("ttl/hoplimit", 1, 255, func(b *BFDInstance, v int64) { b.TTL = uint(v) })
	bfdMaxHops    = bfdNumber("max_hops", -1, 255, func(b *BFDInstance, v int64) { b.MaxHops = int(v) })
)

func bfdWeight(s *stmt, b *BFDInstance) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	if v, ok := s.parseInt(1, text, -253, 253, 10); ok {
		b.Weight = int(v)
	} else {
		s.ErrorAt(1, ClassGeneral, "Configuration error: BFD instance %s weight value %s not valid (must be in range [-253-253]), ignoring", b.Name, text)
	}
	s.weightReverse(&b.Reverse, "Configuration error: BFD instance", b.Name)
}

// validateBFD has nothing left to check: keepalived's BFD process checks
// each instance at the end of its block (completeBFD).
func validateBFD(d *decoder) {}
