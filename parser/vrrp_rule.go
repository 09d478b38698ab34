package parser

import (
	"net/netip"
	"strings"
)

// Rule is one virtual_rules or static_rules entry (`ip rule` syntax).
type Rule struct {
	Pos Pos `json:"pos"`
	// Family is 4 or 6.
	Family int `json:"family"`
	// From and To are the selectors; a zero prefix with FromAll/ToAll set
	// means default/any/all.
	From    netip.Prefix `json:"from,omitzero"`
	To      netip.Prefix `json:"to,omitzero"`
	Not     bool         `json:"not,omitempty"`
	FromAll bool         `json:"from_all,omitempty"`
	ToAll   bool         `json:"to_all,omitempty"`
	// Action is "table", "goto", "nop", "blackhole", "unreachable" or
	// "prohibit"; Table and Goto hold their targets.
	Action string `json:"action"`
	// L3mdev is `l3mdev`: look up the table of the VRF device.
	L3mdev bool   `json:"l3mdev,omitempty"`
	Table  uint64 `json:"table,omitempty"`
	Goto   uint64 `json:"goto,omitempty"`
	// Priority is `preference` / `priority` / `order`; keepalived assigns
	// one counting down from 16384 when none is given.
	Priority uint64 `json:"preference"`
	// IIf is `iif` / `dev`, OIf is `oif`.
	IIf string `json:"iif,omitempty"`
	OIf string `json:"oif,omitempty"`
	// Options keeps the other selectors as written (fwmark, tos, uidrange...).
	Options map[string]string `json:"options,omitempty"`
	// NoTrack is `no_track`.
	NoTrack bool `json:"no_track,omitempty"`
	// TrackGroup is `track_group` (static rules).
	TrackGroup string `json:"track_group,omitempty"`

	autoPriority bool
}

const ruleStartPriority = 16384

func decodeVirtualRules(s *stmt, vi *VRRPInstance) { appendParsed(s, &vi.Rules, parseRule, false) }
func decodeStaticRules(s *stmt, c *Config)         { appendParsed(s, &c.StaticRules, parseRule, true) }

func (r *Rule) setOption(k, v string) { setOption(&r.Options, k, v) }

// parseRule is keepalived's alloc_rule for one line.
func parseRule(e *stmt, static bool) *Rule {
	r := &Rule{Pos: e.Pos()}
	p := &routeParser{e: e, ok: true}
	n := e.NArgs()
	havePrio, tableOption, protoSet := false, false, false
	var proto uint64
	setAction := func(a string) {
		if r.Action != "" {
			p.fail("Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule")
			return
		}
		r.Action = a
	}
	for p.i = 0; p.ok && p.i <= n; p.i++ {
		switch str := p.word(); str {
		case "inet6", "inet":
			p.familyWord(&r.Family, str, "rule")
		case "from", "to":
			v, ok := p.next()
			if !ok {
				break
			}
			pf, special, fam, ok := parseRouteAddr(e, p.i, v)
			if !ok {
				p.fail("Invalid rule %s address %s", str, v)
				break
			}
			if fam != 0 && !p.family(&r.Family, fam, "rule specification has mixed IPv4 and IPv6") {
				break
			}
			if str == "from" {
				r.From, r.FromAll = pf, special
			} else {
				r.To, r.ToAll = pf, special
			}
		case "not":
			r.Not = true
		case "table", "lookup":
			v, ok := p.next()
			if !ok {
				break
			}
			t, ok := rtTable(v)
			switch {
			case !ok:
				p.fail("Routing table %s not found for rule", v)
			case t == 0:
				p.fail("Table 0 is not valid")
			default:
				r.Table = t
				if r.Action != "" {
					p.fail("Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule")
					break
				}
				r.Action = "table"
			}
		case "preference", "order", "priority":
			v, ok := p.next()
			if !ok {
				break
			}
			pr, ok := p.e.parseUint(p.i, v, 0, maxUint32, 10)
			if !ok {
				p.fail("Invalid rule preference %s specified", str)
				break
			}
			r.Priority, havePrio = pr, true
		case "tos", "dsfield":
			if v, ok := p.next(); ok {
				if _, ok := rtNumber(v, 255); !ok {
					p.fail("TOS value %s is invalid", v)
				} else {
					r.setOption(str, v)
				}
			}
		case "fwmark":
			if v, ok := p.next(); ok {
				if !validFwmark(v) {
					p.fail("Invalid rule fwmark %s specified", v)
				} else {
					r.setOption(str, v)
				}
			}
		case "realms":
			if v, ok := p.realms(&r.Family, "invalid realms %s for rule", "realms is only valid for IPv4"); ok {
				tableOption = true
				r.setOption(str, v)
			}
		case "suppress_prefixlength", "sup_pl":
			if v, ok := p.next(); ok {
				if _, ok := p.e.parseUint(p.i, v, 0, 128, 10); !ok {
					p.fail("Invalid suppress_prefixlength %s specified", str)
				} else {
					tableOption = true
					r.setOption(str, v)
				}
			}
		case "suppress_ifgroup", "sup_group":
			if v, ok := p.next(); ok {
				if _, ok := rtNumber(v, 1<<31-1); !ok && v != "default" {
					p.fail("suppress_group %s is invalid", v)
				} else {
					tableOption = true
					r.setOption(str, v)
				}
			}
		case "dev", "iif", "oif":
			v, ok := p.next()
			if !ok {
				break
			}
			if !lookupInterface(e.d, v) {
				p.fail("WARNING - interface %s for rule doesn't exist", v)
				break
			}
			if str == "oif" {
				r.OIf = v
			} else {
				r.IIf = v
			}
		case "tunnel-id":
			if v, ok := p.next(); ok {
				if _, neg, rest, overflow := cStrtoul(v, 0); neg || rest != "" || overflow {
					p.fail("Invalid tunnel-id %s specified", str)
				} else {
					r.setOption(str, v)
				}
			}
		case "uidrange":
			if v, ok := p.next(); ok {
				a, b, ok := strings.Cut(v, "-")
				_, _, ra, _ := cStrtoul(a, 10)
				if !ok || a == "" || ra != "" || b == "" || strings.TrimLeft(b, "0123456789") == b {
					p.fail("Invalid uidrange %s specified", str)
				} else {
					r.setOption(str, v)
				}
			}
		case "l3mdev":
			r.L3mdev = true
			if r.Action != "" {
				p.fail("Cannot specify l3mdev with other action")
				break
			}
			r.Action = "table"
		case "protocol":
			if v, ok := p.next(); ok {
				pr, ok := e.uintValue(p.i, 0, 255)
				if !ok {
					e.ErrorAt(p.i, ClassGeneral, "Invalid protocol %s", v)
				} else {
					proto, protoSet = pr, true
				}
			}
		case "ipproto":
			if v, ok := p.next(); ok {
				if !validIPProto(v) {
					e.ErrorAt(p.i, ClassGeneral, "Invalid ipproto %s", v)
				} else {
					r.setOption(str, v)
				}
			}
		case "sport", "dport":
			if v, ok := p.next(); ok {
				if !validPortRange(v) {
					e.ErrorAt(p.i, ClassGeneral, "invalid %s range %s", str, v)
				} else {
					r.setOption(str, v)
				}
			}
		case "no_track":
			r.NoTrack = true
		default:
			if static && str == "track_group" {
				p.trackGroup(&r.TrackGroup, n)
				break
			}
			if str == "type" {
				v, ok := p.next()
				if !ok {
					break
				}
				str = v
			}
			switch str {
			case "goto":
				v, ok := p.next()
				if !ok {
					break
				}
				t, ok := p.e.parseUint(p.i, v, 0, maxUint32, 10)
				if !ok {
					p.fail("Invalid target %s specified", str)
					break
				}
				r.Goto = t
				setAction("goto")
			case "nop":
				setAction("nop")
			case "blackhole", "unreachable", "prohibit":
				setAction(str)
			default:
				if routeTypes[str] {
					p.fail("Invalid rule action %s", str)
				} else {
					p.fail("Unknown rule option %s", str)
				}
			}
		}
	}
	if !p.ok {
		return nil
	}
	switch {
	case r.Action == "goto" && !havePrio:
		e.Errorf(ClassGeneral, "Invalid rule - goto target %d specified without preference", r.Goto)
		return nil
	case r.Action == "goto" && r.Priority >= r.Goto:
		e.Errorf(ClassGeneral, "Invalid rule - preference %d >= goto target %d", r.Priority, r.Goto)
		return nil
	case r.Action == "":
		e.Errorf(ClassGeneral, "No action specified for rule - ignoring")
		return nil
	case r.Action != "table" && tableOption:
		e.Errorf(ClassGeneral, "suppressor/realm specified for non table action - skipping")
		return nil
	case r.Table != 0 && r.L3mdev:
		e.Errorf(ClassGeneral, "table cannot be specified for l3mdev rules")
		return nil
	}
	if !r.NoTrack {
		if protoSet && proto != rtprotKeepalived {
			e.Errorf(ClassGeneral, "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(%d), resetting protocol", rtprotKeepalived)
		}
	}
	if r.TrackGroup != "" && r.IIf == "" {
		e.Errorf(ClassGeneral, "Static rule cannot have track_group if dev/iif not specified")
		r.TrackGroup = ""
	}
	if r.Family == 0 {
		r.Family = 4
	}
	if !havePrio {
		r.Priority = nextRulePriority(e.d, r.Family)
		r.autoPriority = true
		e.Errorf(ClassGeneral, "Rule has no preference specified - setting to %d. This is probably not what you want.", r.Priority)
	}
	return r
}

// nextRulePriority counts down from 16384 per family over the rules that
// already had one assigned, as keepalived's static counters do.
func nextRulePriority(d *decoder, fam int) uint64 {
	used := 0
	count := func(rs []*Rule) {
		for _, r := range rs {
			if r.autoPriority && r.Family == fam {
				used++
			}
		}
	}
	count(d.cfg.StaticRules)
	for _, vi := range d.cfg.Instances {
		count(vi.Rules)
	}
	return uint64(ruleStartPriority - used)
}

func validFwmark(v string) bool {
	mark, mask, hasMask := strings.Cut(v, "/")
	ok := func(t string) bool {
		_, neg, rest, overflow := cStrtoul(t, 0)
		return t != "" && !neg && rest == "" && !overflow
	}
	return ok(mark) && (!hasMask || ok(mask))
}

func validPortRange(v string) bool {
	a, b, hasB := strings.Cut(v, "-")
	ok := func(t string) bool {
		n, neg, rest, _ := cStrtoul(t, 10)
		return t != "" && !neg && rest == "" && n <= 65535
	}
	return ok(a) && (!hasB || ok(b))
}

func validIPProto(v string) bool {
	if _, ok := rtNumber(v, 255); ok {
		return true
	}
	switch strings.ToLower(v) {
	case "tcp", "udp", "icmp", "ipv6-icmp", "icmpv6", "sctp", "dccp", "udplite", "gre", "esp", "ah", "ipip":
		return true
	}
	return false
}
