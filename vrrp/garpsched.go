package vrrp

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Spacing of gratuitous ARPs and unsolicited NAs (spec §6.3), after
// keepalived's vrrp_arp.c, vrrp_ndisc.c and vrrp_arp_thread. The state
// machine decides when a burst is due (ActGARP with its repeat count); the
// pacer decides when each frame of it may leave. With no
// vrrp_garp_interval / vrrp_gna_interval / garp_group for an interface,
// every frame leaves at once. Otherwise a frame that would come too soon
// after the previous one on that interface (or on the interfaces of an
// aggregated garp_group, which share one budget) is queued. keepalived
// queues an address at most once, so a burst of several rounds collapses
// to one queued frame per address: the pacer does the same.
//
// The pacer is shared by every instance of a process; the runner owns it
// next to the Machine, asks NextDeadline, and calls Due when it passes.

// GARPTarget is one address to announce: an IPv4 address gets a gratuitous
// ARP, an IPv6 one an unsolicited neighbour advertisement.
type GARPTarget struct {
	Instance string
	// Addr is the VIP or eVIP.
	Addr netip.Addr
	// Interface is the base interface the frame leaves from (the parent
	// of a VMAC), which is what the spacing applies to.
	Interface string
}

// GARPSpacing is the minimum gap between two frames on one interface;
// a nil pointer is "not configured" (keepalived's have_garp_interval).
type GARPSpacing struct {
	GARP, NA *time.Duration
}

// GARPPacer queues gratuitous ARP / NA frames to respect the spacing.
type GARPPacer struct {
	// spacing per pacing key; the key of an interface in an aggregated
	// garp_group is the group's, shared by its interfaces.
	keyOf    map[string]string
	spacing  map[string]GARPSpacing
	fallback GARPSpacing
	state    map[string]*garpKeyState
	pending  []GARPTarget
	// keepalived walks its queued addresses by instance (configuration
	// order) then by address (VIPs then eVIPs): rank orders the queue so.
	instRank map[string]int
	addrRank map[GARPTarget]int
}

type garpKeyState struct {
	nextGARP, nextNA time.Time
}

// NewGARPPacer reads vrrp_garp_interval, vrrp_gna_interval and the
// garp_group blocks of a configuration.
func NewGARPPacer(cfg *parser.Config) *GARPPacer {
	p := &GARPPacer{keyOf: map[string]string{}, spacing: map[string]GARPSpacing{}, state: map[string]*garpKeyState{},
		instRank: map[string]int{}, addrRank: map[GARPTarget]int{}}
	for i, vi := range cfg.Instances {
		p.instRank[vi.Name] = i
	}
	if d := cfg.Global.GarpInterval; d > 0 {
		x := usDuration(int64(d))
		p.fallback.GARP = &x
	}
	if d := cfg.Global.GNAInterval; d > 0 {
		x := usDuration(int64(d))
		p.fallback.NA = &x
	}
	for i, g := range cfg.GarpGroups {
		var sp GARPSpacing
		if g.GarpInterval != nil {
			x := usDuration(int64(*g.GarpInterval))
			sp.GARP = &x
		}
		if g.GnaInterval != nil {
			x := usDuration(int64(*g.GnaInterval))
			sp.NA = &x
		}
		for _, ifname := range g.Interfaces {
			key := ifname
			if g.AggregationGroup != 0 {
				key = fmt.Sprintf("garp_group %d", i)
			}
			p.keyOf[ifname] = key
			p.spacing[key] = sp
		}
	}
	return p
}

// SetSpacing sets the spacing of one interface directly (tests, or a
// runner that builds its own table).
func (p *GARPPacer) SetSpacing(iface string, sp GARPSpacing) {
	p.keyOf[iface] = iface
	p.spacing[iface] = sp
}

func (p *GARPPacer) key(iface string) (string, GARPSpacing) {
	if k, ok := p.keyOf[iface]; ok {
		return k, p.spacing[k]
	}
	return iface, p.fallback
}

func (p *GARPPacer) st(key string) *garpKeyState {
	s := p.state[key]
	if s == nil {
		s = &garpKeyState{}
		p.state[key] = s
	}
	return s
}

// Burst announces targets rounds times (in order: every target, then again)
// and returns the frames to send now; the rest wait for Due.
func (p *GARPPacer) Burst(now time.Time, targets []GARPTarget, rounds int) []GARPTarget {
	var out []GARPTarget
	for i, t := range targets {
		p.addrRank[t] = i
	}
	for r := 0; r < rounds; r++ {
		for _, t := range targets {
			key, sp := p.key(t.Interface)
			s := p.st(key)
			gap, next := sp.GARP, &s.nextGARP
			if !t.Addr.Is4() {
				gap, next = sp.NA, &s.nextNA
			}
			if gap != nil && !next.IsZero() && now.Before(*next) {
				p.queue(t)
				continue
			}
			out = append(out, t)
			if gap != nil {
				*next = now.Add(*gap)
			}
		}
	}
	return out
}

func (p *GARPPacer) queue(t GARPTarget) {
	for _, q := range p.pending {
		if q == t {
			return
		}
	}
	p.pending = append(p.pending, t)
	slices.SortStableFunc(p.pending, func(a, b GARPTarget) int {
		if c := cmp.Compare(p.instRank[a.Instance], p.instRank[b.Instance]); c != 0 {
			return c
		}
		return cmp.Compare(p.addrRank[a], p.addrRank[b])
	})
}

// Due returns the queued frames whose interface may send at now.
func (p *GARPPacer) Due(now time.Time) []GARPTarget {
	var out []GARPTarget
	kept := p.pending[:0]
	for _, t := range p.pending {
		key, sp := p.key(t.Interface)
		s := p.st(key)
		gap, next := sp.GARP, &s.nextGARP
		if !t.Addr.Is4() {
			gap, next = sp.NA, &s.nextNA
		}
		if now.Before(*next) {
			kept = append(kept, t)
			continue
		}
		out = append(out, t)
		if gap != nil {
			*next = now.Add(*gap)
		}
	}
	p.pending = kept
	return out
}

// NextDeadline is when Due has something to send; ok is false when
// nothing is queued.
func (p *GARPPacer) NextDeadline() (t time.Time, ok bool) {
	for _, q := range p.pending {
		key, _ := p.key(q.Interface)
		s := p.st(key)
		next := s.nextGARP
		if !q.Addr.Is4() {
			next = s.nextNA
		}
		if !ok || next.Before(t) {
			t, ok = next, true
		}
	}
	return t, ok
}

// Cancel drops an instance's queued frames (ActCancelGARP: it left MASTER).
func (p *GARPPacer) Cancel(instance string) {
	kept := p.pending[:0]
	for _, q := range p.pending {
		if q.Instance != instance {
			kept = append(kept, q)
		}
	}
	p.pending = kept
}

// Pending is the number of queued frames.
func (p *GARPPacer) Pending() int { return len(p.pending) }
