package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Sentinel errors an AddressManager returns so that callers can tell an
// idempotent no-op from a failure.
var (
	// ErrExist: the address, route or rule is already configured.
	ErrExist = errors.New("already present")
	// ErrNotExist: the address, route or rule is not configured (or its
	// interface no longer exists).
	ErrNotExist = errors.New("not present")
)

// Address is one virtual_ipaddress or virtual_ipaddress_excluded entry with
// keepalived's defaults resolved: a prefix (/32 or /128 when none was
// written), the device (the instance's interface when no dev), scope global
// unless given, no broadcast unless brd was given.
type Address struct {
	Prefix    netip.Prefix
	Dev       string
	Broadcast netip.Addr // zero: none
	Scope     int        // rtnetlink scope, 0 = global
	Label     string     // IPv4 only
	Peer      netip.Addr // zero: none
	// NoDAD asks for IFA_F_NODAD (keepalived sets it on every IPv6 VIP unless
	// the line says -nodad).
	NoDAD         bool
	HomeAddress   bool
	MngTmpAddr    bool
	NoPrefixRoute bool
	AutoJoin      bool
	// PreferredLft is the IPv6 preferred lifetime in seconds;
	// 0xffffffff is forever. keepalived uses 0 for /128 VIPs.
	PreferredLft uint32
	// NoTrack is `no_track`: its removal by someone else is not a reason
	// to resign.
	NoTrack bool
}

// String renders the address as keepalived's logs do: "10.0.0.1/32 dev eth0".
func (a Address) String() string {
	var b strings.Builder
	b.WriteString(a.Prefix.String())
	if a.Dev != "" {
		b.WriteString(" dev ")
		b.WriteString(a.Dev)
	}
	if a.Label != "" {
		b.WriteString(" label ")
		b.WriteString(a.Label)
	}
	return b.String()
}

// key identifies the address on its interface, as the kernel does: the
// local address and the prefix length on one device.
func (a Address) key() string { return a.Dev + "|" + a.Prefix.String() }

// VirtualRoute is one virtual_routes entry; Dev is the route's output
// interface (possibly empty, as keepalived allows).
type VirtualRoute struct {
	Config *parser.Route
}

// String renders the route in `ip route` words, which is also its identity.
func (r VirtualRoute) String() string {
	c := r.Config
	var parts []string
	if c.Type != "" {
		parts = append(parts, c.Type)
	}
	switch {
	case c.Default || !c.Dst.IsValid():
		parts = append(parts, "default")
	default:
		parts = append(parts, c.Dst.String())
	}
	if c.Src.IsValid() {
		parts = append(parts, "src", c.Src.String())
	}
	if c.Via.IsValid() {
		parts = append(parts, "via", c.Via.String())
	}
	if c.Dev != "" {
		parts = append(parts, "dev", c.Dev)
	}
	if c.Table != 0 && c.Table != 254 {
		parts = append(parts, "table", fmt.Sprint(c.Table))
	}
	if c.Metric != 0 {
		parts = append(parts, "metric", fmt.Sprint(c.Metric))
	}
	for _, nh := range c.Nexthops {
		parts = append(parts, "nexthop")
		if nh.Via.IsValid() {
			parts = append(parts, "via", nh.Via.String())
		}
		if nh.Dev != "" {
			parts = append(parts, "dev", nh.Dev)
		}
		if nh.Weight != 0 {
			parts = append(parts, "weight", fmt.Sprint(nh.Weight))
		}
	}
	return strings.Join(parts, " ")
}

// VirtualRule is one virtual_rules entry.
type VirtualRule struct {
	Config *parser.Rule
}

// String renders the rule in `ip rule` words, which is also its identity.
func (r VirtualRule) String() string {
	c := r.Config
	parts := []string{}
	if c.Not {
		parts = append(parts, "not")
	}
	if c.From.IsValid() {
		parts = append(parts, "from", c.From.String())
	} else {
		parts = append(parts, "from", "all")
	}
	if c.To.IsValid() {
		parts = append(parts, "to", c.To.String())
	}
	keys := make([]string, 0, len(c.Options))
	for k := range c.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k, c.Options[k])
	}
	if c.IIf != "" {
		parts = append(parts, "iif", c.IIf)
	}
	if c.OIf != "" {
		parts = append(parts, "oif", c.OIf)
	}
	switch c.Action {
	case "table", "":
		parts = append(parts, "lookup", fmt.Sprint(c.Table))
	case "goto":
		parts = append(parts, "goto", fmt.Sprint(c.Goto))
	default:
		parts = append(parts, c.Action)
	}
	parts = append(parts, "pref", fmt.Sprint(c.Priority))
	return strings.Join(parts, " ")
}

// AddressManager is the narrow OS interface for a VRRP instance's virtual
// addresses, routes and rules. Add* return an error wrapping ErrExist when
// the object is already there; Del* return one wrapping ErrNotExist when it
// is not. The Linux implementation speaks rtnetlink (addr_linux.go); tests
// use an in-memory one.
type AddressManager interface {
	AddAddress(Address) error
	DelAddress(Address) error
	AddRoute(VirtualRoute) error
	DelRoute(VirtualRoute) error
	AddRule(VirtualRule) error
	DelRule(VirtualRule) error
}

// addressFromConfig resolves keepalived's defaults for one configured
// address; defDev is the instance's interface (or its VMAC).
func addressFromConfig(c *parser.IPAddress, defDev string) Address {
	a := Address{
		Prefix:        c.Addr,
		Dev:           c.Dev,
		Broadcast:     c.Broadcast,
		Scope:         c.Scope,
		Label:         c.Label,
		Peer:          c.Peer,
		HomeAddress:   c.Home,
		MngTmpAddr:    c.MngTmpAddr,
		NoPrefixRoute: c.NoPrefixRoute,
		AutoJoin:      c.AutoJoin,
		PreferredLft:  c.PreferredLft,
		NoTrack:       c.NoTrack,
	}
	if a.Dev == "" {
		a.Dev = defDev
	}
	if c.Addr.Addr().Is6() {
		// keepalived's -nodad means "do not add the nodad flag".
		a.NoDAD = !c.NoDAD
		a.Label = ""
	} else {
		a.PreferredLft = 0
	}
	return a
}

// installedSet is one instance's virtual addresses, routes and rules and
// which of them this process installed. Installing something already
// present is not an error and does not make it ours; removal touches only
// what we installed. It is owned by the instance's goroutine.
type installedSet struct {
	mgr    AddressManager
	addrs  []Address // VIPs then eVIPs, in configuration order
	routes []VirtualRoute
	rules  []VirtualRule
	ours   map[string]bool // "a|", "r|", "u|" + key
}

func newInstalledSet(mgr AddressManager, addrs []Address, routes []VirtualRoute, rules []VirtualRule) *installedSet {
	return &installedSet{mgr: mgr, addrs: addrs, routes: routes, rules: rules, ours: map[string]bool{}}
}

// Install adds the addresses, then the routes, then the rules, as keepalived
// does on becoming MASTER. It carries on past failures and returns them all.
func (s *installedSet) Install() error {
	var errs []error
	for _, a := range s.addrs {
		k := "a|" + a.key()
		if s.ours[k] {
			continue
		}
		switch err := s.mgr.AddAddress(a); {
		case err == nil:
			s.ours[k] = true
		case errors.Is(err, ErrExist):
		default:
			errs = append(errs, err)
		}
	}
	for _, r := range s.routes {
		k := "r|" + r.String()
		if s.ours[k] {
			continue
		}
		switch err := s.mgr.AddRoute(r); {
		case err == nil:
			s.ours[k] = true
		case errors.Is(err, ErrExist):
		default:
			errs = append(errs, err)
		}
	}
	for _, r := range s.rules {
		k := "u|" + r.String()
		if s.ours[k] {
			continue
		}
		switch err := s.mgr.AddRule(r); {
		case err == nil:
			s.ours[k] = true
		case errors.Is(err, ErrExist):
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Remove deletes what Install added, rules first, then routes, then
// addresses (the reverse of installation, as keepalived does when leaving
// MASTER). Something already gone is not an error.
func (s *installedSet) Remove() error {
	var errs []error
	for _, r := range s.rules {
		k := "u|" + r.String()
		if !s.ours[k] {
			continue
		}
		delete(s.ours, k)
		if err := s.mgr.DelRule(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, r := range s.routes {
		k := "r|" + r.String()
		if !s.ours[k] {
			continue
		}
		delete(s.ours, k)
		if err := s.mgr.DelRoute(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, a := range s.addrs {
		k := "a|" + a.key()
		if !s.ours[k] {
			continue
		}
		delete(s.ours, k)
		if err := s.mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Purge removes every configured object that is present, ours or not: what
// keepalived does at start-up to clean up after a crashed predecessor.
func (s *installedSet) Purge() error {
	var errs []error
	for _, r := range s.rules {
		if err := s.mgr.DelRule(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, r := range s.routes {
		if err := s.mgr.DelRoute(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, a := range s.addrs {
		if err := s.mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	clear(s.ours)
	return errors.Join(errs...)
}

// Owned reports whether we installed the address (and have not removed it).
func (s *installedSet) Owned(a Address) bool { return s.ours["a|"+a.key()] }

// disown forgets that we installed an address someone else removed, so the
// next Install adds it again.
func (s *installedSet) disown(a Address) { delete(s.ours, "a|"+a.key()) }
