package parser

import (
	"net/netip"
	"strings"
)

// Route is one virtual_routes or static_routes entry (`ip route` syntax).
type Route struct {
	Pos Pos `json:"pos"`
	// Dst is the destination; Default marks default/any/all.
	Dst     netip.Prefix `json:"to,omitzero"`
	Default bool         `json:"default,omitempty"`
	// Family is 4 or 6.
	Family int `json:"family"`
	// Type is the route type word (unicast when not given).
	Type string `json:"type,omitempty"`
	// Src is `src`, From is the IPv6 `from` prefix.
	Src  netip.Addr   `json:"src,omitzero"`
	From netip.Prefix `json:"from,omitzero"`
	// Via is `via` (or the deprecated `gw`).
	Via netip.Addr `json:"via,omitzero"`
	// Dev is `dev` / `oif`.
	Dev string `json:"dev,omitempty"`
	// Table is `table` (254 = main by default).
	Table uint64 `json:"table"`
	// Metric is `metric` / `priority` / `preference`.
	Metric uint64 `json:"metric,omitempty"`
	// Protocol is `protocol`; tracked routes are forced to keepalived's (18).
	Protocol uint64 `json:"protocol,omitempty"`
	// Scope is `scope` as a number.
	Scope int `json:"scope,omitempty"`
	// Nexthops holds the `nexthop` (and deprecated `or`) gateways.
	Nexthops []Nexthop `json:"nexthops,omitempty"`
	// Options keeps the remaining route attributes as written (mtu, rtt...).
	Options map[string]string `json:"options,omitempty"`
	// NoTrack is `no_track`; routes without an interface are not tracked.
	NoTrack bool `json:"no_track,omitempty"`
	// TrackGroup is `track_group` (static routes).
	TrackGroup string `json:"track_group,omitempty"`
}

// Nexthop is one gateway of a multipath route.
type Nexthop struct {
	Via    netip.Addr `json:"via,omitzero"`
	Dev    string     `json:"dev,omitempty"`
	Weight uint64     `json:"weight,omitempty"`
}

const rtprotKeepalived = 18

func decodeVirtualRoutes(s *stmt, vi *VRRPInstance) { appendParsed(s, &vi.Routes, parseRoute, false) }
func decodeStaticRoutes(s *stmt, c *Config)         { appendParsed(s, &c.StaticRoutes, parseRoute, true) }

// appendParsed adds the routes or rules keepalived keeps from the lines of
// a virtual_* or static_* block.
func appendParsed[T any](s *stmt, list *[]*T, parse func(e *stmt, static bool) *T, static bool) {
	for _, e := range s.entries() {
		if x := parse(e, static); x != nil {
			*list = append(*list, x)
		}
	}
}

// setOption records an option keepalived passes to the kernel as written.
func setOption(opts *map[string]string, k, v string) {
	if *opts == nil {
		*opts = map[string]string{}
	}
	(*opts)[k] = v
}

// routeParser walks one route or rule line the way keepalived's
// alloc_route/alloc_rule do: each option reads the next word without
// checking it exists, so a missing value ends the run with exit 2.
type routeParser struct {
	e  *stmt
	i  int
	ok bool // false once the line is to be dropped
}

func (p *routeParser) word() string { return p.e.Word(p.i).Text }

// next advances to the option's value; a missing one is keepalived's
// missing-parameter condition.
func (p *routeParser) next() (string, bool) {
	p.i++
	v, ok := p.e.Need(p.i)
	if !ok {
		p.ok = false
	}
	return v, ok
}

// trackGroup reads a static route's or rule's `track_group NAME`; a second
// one makes keepalived skip the rest of the line (n is its last word).
func (p *routeParser) trackGroup(group *string, n int) {
	v, ok := p.next()
	if !ok {
		return
	}
	switch {
	case *group != "":
		p.e.ErrorAt(p.i, ClassGeneral, "track_group %s is a duplicate", v)
		p.i = n + 1
	case findTrackGroup(p.e.d, v):
		*group = v
	default:
		p.e.ErrorAt(p.i, ClassGeneral, "track_group %s not found", v)
	}
}

func (p *routeParser) fail(format string, args ...any) {
	p.e.ErrorAt(p.i, ClassGeneral, format, args...)
	p.ok = false
}

// uint is get_u32/get_u8: the number reader's message, then the caller's.
func (p *routeParser) uint(text string, max uint64, msg string) (uint64, bool) {
	v, ok := p.e.parseUint(p.i, text, 0, max, 10)
	if !ok {
		p.fail(msg, text)
	}
	return v, ok
}

// familyWord reads `inet` or `inet6` (str) into the line's family; what
// is "route" or "rule".
func (p *routeParser) familyWord(cur *int, str, what string) {
	fam := map[string]int{"inet": 4, "inet6": 6}[str]
	if *cur != 0 && *cur != fam {
		p.fail("%s specified for %s %s", str, map[int]string{4: "IPv4", 6: "IPv6"}[*cur], what)
		return
	}
	*cur = fam
	// keepalived steps over the following word as well.
	p.i++
}

// realms reads the value of `realms`, which makes the line IPv4; bad and
// v6 are the route's or the rule's wording.
func (p *routeParser) realms(cur *int, bad, v6 string) (string, bool) {
	v, ok := p.next()
	if !ok {
		return "", false
	}
	if !validRealms(v) {
		p.fail(bad, v)
		return "", false
	}
	if *cur == 6 {
		p.fail("%s", v6)
		return "", false
	}
	*cur = 4
	return v, true
}

// family merges a family learnt from one word into the line's.
func (p *routeParser) family(cur *int, fam int, msg string) bool {
	if *cur == 0 {
		*cur = fam
		return true
	}
	if *cur != fam {
		p.fail("%s", msg)
		return false
	}
	return true
}

func prefixFamily(pf netip.Prefix) int { return addrFamily(pf.Addr()) }

// parseRouteAddr is keepalived's parse_route: default/any/all, or a prefix.
func parseRouteAddr(e *stmt, i int, text string) (pf netip.Prefix, special bool, fam int, ok bool) {
	switch text {
	case "default", "any", "all":
		return netip.Prefix{}, true, 0, true
	case "default6":
		e.d.logf(e.ArgPos(i), "'default6' is deprecated - please replace with 'inet6 default'")
		return netip.Prefix{}, true, 6, true
	}
	pf, ok = parseIPPrefix(e, i, text, true)
	if !ok {
		return pf, false, 0, false
	}
	return pf, false, prefixFamily(pf), true
}

var routeTypes = map[string]bool{"local": true, "nat": true, "broadcast": true, "brd": true, "anycast": true,
	"multicast": true, "prohibit": true, "unreachable": true, "blackhole": true, "xresolve": true,
	"unicast": true, "throw": true}

// parseRoute is keepalived's alloc_route for one line.
func parseRoute(e *stmt, static bool) *Route {
	r := &Route{Pos: e.Pos(), Table: 254}
	p := &routeParser{e: e, ok: true}
	dest := ""
	haveDst, doNexthop := false, false
	n := e.NArgs()
	for p.i = 0; p.ok && p.i <= n; p.i++ {
		switch str := p.word(); str {
		case "inet6", "inet":
			p.familyWord(&r.Family, str, "route")
		case "src":
			v, ok := p.next()
			if !ok {
				break
			}
			pf, ok := parseIPPrefix(e, p.i, v, false)
			if !ok {
				p.fail("invalid route src address %s", v)
				break
			}
			if p.family(&r.Family, prefixFamily(pf), "Cannot mix IPv4 and IPv6 addresses for route") {
				r.Src = pf.Addr()
			}
		case "as":
			v, ok := p.next()
			if ok && v == "to" {
				p.i++
			}
			e.ErrorAt(p.i, ClassGeneral, "\"as to\" for MPLS only - ignoring")
		case "via", "gw":
			if str == "gw" {
				e.ErrorAt(p.i, ClassGeneral, "\"gw\" for routes is deprecated. Please use \"via\"")
			}
			v, ok := p.next()
			if !ok {
				break
			}
			fam := r.Family
			if v == "inet" || v == "inet6" {
				fam = map[string]int{"inet": 4, "inet6": 6}[v]
				if v, ok = p.next(); !ok {
					break
				}
			}
			if !p.family(&r.Family, fam, "Cannot mix IPv4 and IPv6 addresses for route") {
				break
			}
			pf, ok := parseIPPrefix(e, p.i, v, false)
			if !ok {
				p.fail("invalid route via address %s", v)
				break
			}
			if p.family(&r.Family, prefixFamily(pf), "Cannot mix IPv4 and IPv6 addresses for route") {
				r.Via = pf.Addr()
			}
		case "from":
			v, ok := p.next()
			if !ok {
				break
			}
			pf, special, fam, ok := parseRouteAddr(e, p.i, v)
			if !ok {
				p.fail("invalid route from address %s", v)
				break
			}
			if fam != 6 {
				p.fail("route from address only supported with IPv6 (%s)", v)
				break
			}
			if p.family(&r.Family, fam, "Cannot mix IPv4 and IPv6 addresses for route") && !special {
				r.From = pf
			}
		case "tos", "dsfield":
			if v, ok := p.next(); ok {
				if _, ok := rtNumber(v, 255); !ok {
					p.fail("TOS value %s is invalid", v)
				} else {
					r.setOption(str, v)
				}
			}
		case "table":
			if v, ok := p.next(); ok {
				t, ok := rtTable(v)
				if !ok {
					p.fail("Routing table %s not found for route", v)
				} else {
					r.Table = t
				}
			}
		case "protocol":
			if v, ok := p.next(); ok {
				pr, ok := rtProtocol(v)
				if !ok {
					p.fail("Protocol %s not found or invalid for route", v)
				} else {
					r.Protocol = pr
					r.setOption("protocol", v)
				}
			}
		case "scope":
			if v, ok := p.next(); ok {
				sc, ok := rtScope(v)
				if !ok {
					p.fail("Scope %s not found or invalid for route", v)
				} else {
					r.Scope = sc
				}
			}
		case "metric", "priority", "preference":
			if v, ok := p.next(); ok {
				if m, ok := p.uint(v, maxUint32, "Invalid metric %s specified for route"); ok {
					r.Metric = m
				}
			}
		case "dev", "oif":
			if v, ok := p.next(); ok {
				if !lookupInterface(e.d, v) {
					p.fail("WARNING - interface %s for VROUTE nexthop doesn't exist", v)
				} else {
					r.Dev = v
				}
			}
		case "onlink":
			r.setOption("onlink", "")
		case "encap":
			if v, ok := parseEncap(p); ok {
				r.setOption("encap", v)
			}
		case "expires":
			if r.Family == 4 {
				p.i++
				p.fail("expires is only valid for IPv6")
				break
			}
			r.Family = 6
			if v, ok := p.next(); ok {
				if _, ok := p.uint(v, maxUint32, "Invalid expires time %s specified for route"); ok {
					r.setOption(str, v)
				}
			}
		case "mtu", "advmss", "reordering", "cwnd", "ssthresh", "rtt", "rttvar", "rto_min":
			v, ok := p.next()
			if !ok {
				break
			}
			if v == "lock" {
				if v, ok = p.next(); !ok {
					break
				}
			}
			if routeMetricValid(p, str, v) {
				r.setOption(str, v)
			}
		case "hoplimit":
			if v, ok := p.next(); ok {
				if _, ok := p.uint(v, 255, "Invalid hoplimit %s specified for route"); ok {
					r.setOption(str, v)
				}
			}
		case "window", "initcwnd", "initrwnd":
			if v, ok := p.next(); ok {
				if _, ok := p.uint(v, maxUint32, "Invalid "+str+" value %s specified for route"); ok {
					r.setOption(str, v)
				}
			}
		case "realms":
			if v, ok := p.realms(&r.Family, "Invalid realms %s for route", "realms are only valid for IPv4"); ok {
				r.setOption(str, v)
			}
		case "features":
			if v, ok := p.next(); ok {
				if v != "ecn" {
					e.ErrorAt(p.i, ClassGeneral, "feature %s not supported", v)
				} else {
					r.setOption(str, v)
				}
			}
		case "quickack", "fastopen_no_cookie":
			if v, ok := p.next(); ok {
				if _, ok := p.uint(v, 1, "Invalid "+str+" value %s specified for route"); ok {
					r.setOption(str, v)
				}
			}
		case "congctl":
			v, ok := p.next()
			if ok && v == "lock" {
				v, ok = p.next()
			}
			if ok {
				r.setOption(str, v)
			}
		case "pref":
			if r.Family == 4 {
				p.i++
				p.fail("pref is only valid for IPv6")
				break
			}
			r.Family = 6
			if v, ok := p.next(); ok {
				switch v {
				case "low", "medium", "high":
					r.setOption(str, v)
				default:
					if _, ok := p.uint(v, 255, "Invalid pref value %s specified for route"); ok {
						r.setOption(str, v)
					}
				}
			}
		case "ttl-propagate":
			if v, ok := p.next(); ok {
				if v != "enabled" && v != "disabled" {
					e.ErrorAt(p.i, ClassGeneral, "%s value %s not recognised", str, v)
				}
				r.setOption(str, v)
			}
		case "add", "prepend", "append":
			r.setOption("mode", str)
		case "or":
			e.ErrorAt(p.i, ClassGeneral, "\"or\" for routes is deprecated. Please use \"nexthop\"")
			if len(r.Nexthops) > 0 {
				e.ErrorAt(p.i, ClassGeneral, "\"or\" route already specified - ignoring subsequent")
				p.i++
				break
			}
			first := r.Via
			r.Via = netip.Addr{}
			v, ok := p.next()
			if !ok {
				break
			}
			pf, ok := parseIPPrefix(e, p.i, v, false)
			if !ok {
				p.fail("Invalid \"or\" address %s", v)
				break
			}
			r.Nexthops = append(r.Nexthops, Nexthop{Via: first}, Nexthop{Via: pf.Addr()})
		case "nexthop":
			if len(r.Nexthops) > 0 {
				e.ErrorAt(p.i, ClassGeneral, "Cannot specify nexthops with \"or\" route")
			} else {
				doNexthop = true
			}
		case "no_track":
			r.NoTrack = true
		case "track_group":
			if !static {
				dest, haveDst = routeDestination(p, r, str)
				break
			}
			p.trackGroup(&r.TrackGroup, n)
		case "vrf":
			if v, ok := p.next(); ok {
				// A VRF is a kind of interface Host cannot tell apart.
				if !e.d.opts.Host.InterfaceExists(v) {
					p.fail("VRF %s not found for route", v)
				} else {
					r.setOption(str, v)
				}
			}
		default:
			if d, ok := routeDestination(p, r, str); ok {
				dest, haveDst = d, true
			}
		}
		if doNexthop {
			p.i++
			break
		}
	}
	if !p.ok {
		return nil
	}
	if doNexthop {
		if !parseNexthops(p, r) {
			return nil
		}
	} else if p.i <= n {
		e.ErrorAt(p.i, ClassGeneral, "Route has trailing nonsense - %s", p.word())
		return nil
	}
	if !haveDst {
		e.Errorf(ClassGeneral, "Route must have a destination")
		return nil
	}
	if !r.NoTrack {
		if r.Options["protocol"] != "" && r.Protocol != rtprotKeepalived {
			e.Errorf(ClassGeneral, "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(%d), resetting protocol", rtprotKeepalived)
		}
		r.Protocol = rtprotKeepalived
		if r.Dev == "" {
			e.Errorf(ClassGeneral, "Warning - cannot track route %s with no interface specified, not tracking", dest)
			r.NoTrack = true
		}
	}
	if r.TrackGroup != "" && r.Dev == "" {
		e.Errorf(ClassGeneral, "Static route cannot have track group if no oif specified")
		r.TrackGroup = ""
	}
	if r.Family == 0 {
		r.Family = 4
	}
	return r
}

// routeDestination reads `[to] [TYPE] PREFIX`, the branch keepalived takes
// for any word it does not know.
func routeDestination(p *routeParser, r *Route, str string) (string, bool) {
	if str == "to" {
		p.i++
	}
	// keepalived looks for a type in the word it started from, so
	// `to blackhole PREFIX` takes "blackhole" as the destination.
	if routeTypes[str] {
		r.Type = str
		p.i++
	}
	dest, ok := p.e.Need(p.i)
	if !ok {
		p.ok = false
		return "", false
	}
	pf, special, fam, ok := parseRouteAddr(p.e, p.i, dest)
	if !ok {
		p.fail("unknown route keyword %s", dest)
		return "", false
	}
	if fam != 0 && !p.family(&r.Family, fam, "Cannot mix IPv4 and IPv6 addresses for route ("+dest+")") {
		return "", false
	}
	r.Dst, r.Default = pf, special
	return dest, true
}

// parseNexthops reads `nexthop via A dev D weight W onlink ...` groups.
func parseNexthops(p *routeParser, r *Route) bool {
	e := p.e
	n := e.NArgs()
	for p.i <= n {
		var nh Nexthop
		for ; p.i <= n && p.word() != "nexthop"; p.i++ {
			switch str := p.word(); str {
			case "via":
				v, ok := p.next()
				if !ok {
					return false
				}
				if v == "inet" || v == "inet6" {
					if v, ok = p.next(); !ok {
						return false
					}
				}
				pf, ok := parseIPPrefix(e, p.i, v, false)
				if !ok {
					e.ErrorAt(p.i, ClassGeneral, "invalid nexthop address %s", v)
					return false
				}
				nh.Via = pf.Addr()
			case "dev":
				v, ok := p.next()
				if !ok {
					return false
				}
				if !lookupInterface(e.d, v) {
					e.ErrorAt(p.i, ClassGeneral, "WARNING - interface %s for VROUTE nexthop doesn't exist", v)
					return false
				}
				nh.Dev = v
			case "weight":
				v, ok := p.next()
				if !ok {
					return false
				}
				w, ok := e.parseUint(p.i, v, 1, 256, 10)
				if !ok {
					e.ErrorAt(p.i, ClassGeneral, "Invalid weight %s specified for route", v)
					return false
				}
				nh.Weight = w
			case "onlink":
			case "encap":
				parseEncap(p)
			case "realms":
				if _, ok := p.next(); !ok {
					return false
				}
			default:
				e.ErrorAt(p.i, ClassGeneral, "Unknown nexthop option %s", str)
				return false
			}
		}
		r.Nexthops = append(r.Nexthops, nh)
		p.i++
	}
	return true
}

func (r *Route) setOption(k, v string) { setOption(&r.Options, k, v) }

// parseEncap reads `encap TYPE ...` and leaves p on its last word. The
// type's options are taken as NAME VALUE pairs (a label for mpls, a
// locator for ila), which is how keepalived's readers consume them.
func parseEncap(p *routeParser) (string, bool) {
	e := p.e
	if p.i+1 > e.NArgs() {
		e.ErrorAt(p.i, ClassGeneral, "Missing encap type")
		return "", false
	}
	p.i++
	start := p.i
	typ := p.word()
	var opts map[string]bool
	switch typ {
	case "ip", "ip6":
		opts = map[string]bool{"id": true, "dst": true, "src": true, "tos": true, "tclass": true,
			"ttl": true, "hoplimit": true, "flags": true}
	case "mpls":
		p.i++
		opts = map[string]bool{"ttl": true}
	case "ila":
		p.i++
		opts = map[string]bool{"csum-mode": true, "ident-type": true, "hook-type": true}
	default:
		e.ErrorAt(p.i, ClassGeneral, "Unknown encap type - %s", typ)
		return "", false
	}
	for p.i+1 <= e.NArgs() && opts[e.Word(p.i+1).Text] {
		p.i += 2
	}
	if p.i > e.NArgs() {
		p.i = e.NArgs()
	}
	return strings.Join(e.Args()[start-1:p.i], " "), true
}

func routeMetricValid(p *routeParser, kw, v string) bool {
	switch kw {
	case "rtt", "rttvar", "rto_min":
		mult := map[string]uint64{"rtt": 8, "rttvar": 4, "rto_min": 1}[kw]
		if !rttValue(p, v, mult) {
			if kw == "rto_min" {
				p.fail("Invalid rto_min value %s specified for route", v)
			} else {
				p.fail("Invalid %s %s for route", kw, v)
			}
			return false
		}
		return true
	case "mtu":
		_, ok := p.uint(v, maxUint32, "Invalid MTU %s specified for route")
		return ok
	}
	if kw == "advmss" {
		_, ok := p.uint(v, maxUint32, "Invalid advmss %s specified for route")
		return ok
	}
	_, ok := p.uint(v, maxUint32, "Invalid "+kw+" value %s specified for route")
	return ok
}

// rttValue is get_time_rtt: a number of milliseconds (times mult in the
// raw form), or with an s/sec/secs or ms/msec/msecs unit, at most 120 s.
func rttValue(p *routeParser, v string, mult uint64) bool {
	str := strings.TrimLeft(v, " \t")
	num, shift := str, 0
	if k := strings.IndexAny(str, "sS"); k >= 0 {
		switch strings.ToLower(str[k:]) {
		case "s", "sec", "secs":
		default:
			return false
		}
		shift = 3
		if k > 0 && (str[k-1] == 'm' || str[k-1] == 'M') {
			shift = 0
			k--
		}
		if k == 0 {
			return false
		}
		num = str[:k]
	}
	if strings.ContainsAny(num, "eE") {
		p.e.d.logf(p.e.ArgPos(p.i), "rtt value exponential form %s no longer supported", v)
		return false
	}
	_, ok := p.e.parseDecimal(p.i, num, 0, 120000*mult, shift)
	return ok
}

// validRealms is get_realms: REALM or FROM/TO, names or numbers.
func validRealms(v string) bool {
	for _, part := range strings.SplitN(v, "/", 2) {
		if _, ok := rtNumber(part, 255); !ok && part != "unknown" && part != "cosmos" {
			return false
		}
	}
	return true
}

// rtTable is find_rttables_table with iproute2's default names.
func rtTable(v string) (uint64, bool) {
	if n, ok := rtNumber(v, maxUint32); ok {
		return n, true
	}
	switch v {
	case "default":
		return 253, true
	case "main":
		return 254, true
	case "local":
		return 255, true
	}
	return 0, false
}

// rtProtocol is find_rttables_proto with keepalived's built-in names.
func rtProtocol(v string) (uint64, bool) {
	if n, ok := rtNumber(v, 255); ok {
		return n, true
	}
	names := map[string]uint64{"none": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8,
		"ra": 9, "mrt": 10, "zebra": 11, "bird": 12, "dnrouted": 13, "xorp": 14, "ntk": 15, "dhcp": 16,
		"keepalived": 18, "babel": 42}
	n, ok := names[v]
	return n, ok
}
