package vrrp

import (
	"errors"

	"github.com/gokeepalived/gokeepalived/parser"
)

// This file holds what the VRRP child does outside the instances:
// static_ipaddress, static_routes and static_rules, which do not depend on
// any state, and the -X (--release-vips) and -V (--dont-release-vrrp)
// variations of address release.

// staticSet builds the installed set of a configuration's static
// addresses, routes and rules. Static addresses carry their own dev.
func staticSet(mgr AddressManager, c *parser.Config) *installedSet {
	var addrs []Address
	for _, a := range c.StaticAddresses {
		addrs = append(addrs, addressFromConfig(a, ""))
	}
	var routes []VirtualRoute
	for _, r := range c.StaticRoutes {
		routes = append(routes, VirtualRoute{Config: r})
	}
	var rules []VirtualRule
	for _, r := range c.StaticRules {
		rules = append(rules, VirtualRule{Config: r})
	}
	return newInstalledSet(mgr, addrs, routes, rules)
}

// startStatics installs the static objects at start-up, before the
// instances start. As keepalived does, static rules left by a previous run
// are deleted first, and with -V the static addresses too.
func (n *Node) startStatics() {
	s := staticSet(n.cfg.Addrs, n.cfg.Config)
	n.statics = s
	var errs []error
	for _, r := range s.rules {
		if err := s.mgr.DelRule(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if n.cfg.DontReleaseVRRP {
		for _, a := range s.addrs {
			if err := s.mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, installStatics(s, nil))
	n.logErr(errors.Join(errs...))
}

// installStatics adds the static objects not in skip: addresses, routes,
// then rules. Unlike a VRRP instance's set, an address or route already
// present counts as installed by us, as keepalived takes the kernel's
// "exists" answer to an add as success for addresses and routes (it then
// removes them at shutdown); a rule already present does not.
func installStatics(s *installedSet, skip map[string]bool) error {
	var errs []error
	add := func(k string, err error, existOK bool) {
		switch {
		case err == nil, existOK && errors.Is(err, ErrExist):
			s.ours[k] = true
		case errors.Is(err, ErrExist):
		default:
			errs = append(errs, err)
		}
	}
	for _, a := range s.addrs {
		if k := "a|" + a.key(); !skip[k] && !s.ours[k] {
			add(k, s.mgr.AddAddress(a), true)
		}
	}
	for _, r := range s.routes {
		if k := "r|" + r.String(); !skip[k] && !s.ours[k] {
			add(k, s.mgr.AddRoute(r), true)
		}
	}
	for _, r := range s.rules {
		if k := "u|" + r.String(); !skip[k] && !s.ours[k] {
			add(k, s.mgr.AddRule(r), false)
		}
	}
	return errors.Join(errs...)
}

// stopStatics removes the static objects at shutdown, even with -V: rules,
// routes, then addresses, those we installed; with -V every configured
// static address is tried, ours or not (keepalived's netlink_iplist).
func (n *Node) stopStatics() {
	s := n.statics
	if s == nil {
		return
	}
	errs := []error{s.Remove()}
	if n.cfg.DontReleaseVRRP {
		for _, a := range s.addrs {
			if err := s.mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	n.logErr(errors.Join(errs...))
}

// reloadStatics applies a new configuration's static objects: those that
// left it are deleted, new ones added, unchanged ones are not touched (no
// netlink request at all for an identical configuration).
func (n *Node) reloadStatics(c *parser.Config) {
	cur := staticSet(n.cfg.Addrs, c)
	old := n.statics
	if old == nil {
		old = newInstalledSet(n.cfg.Addrs, nil, nil, nil)
	}
	err := keepOrRemove(old, cur)
	if n.cfg.DontReleaseVRRP {
		// -V: a static address that left is deleted even when not ours.
		want := cur.keys()
		for _, a := range old.addrs {
			if k := "a|" + a.key(); !old.ours[k] && !want[k] {
				if derr := old.mgr.DelAddress(a); derr != nil && !errors.Is(derr, ErrNotExist) {
					err = errors.Join(err, derr)
				}
			}
		}
	}
	aerr := installStatics(cur, old.keys())
	n.statics = cur
	n.logErr(errors.Join(err, aerr))
}

// shutdownActions adapts the machine's shutdown to -V: the part that
// restores the masters' interfaces (priority-0 adverts, removal of rules,
// routes, queued GARPs and addresses, with their log lines) comes before
// the first STOP notification and is dropped; the notifications stay.
func (n *Node) shutdownActions(acts []Action) []Action {
	if !n.cfg.DontReleaseVRRP {
		return acts
	}
	for i, a := range acts {
		if a.Kind == ActNotify {
			return acts[i:]
		}
	}
	var out []Action
	for _, a := range acts {
		switch a.Kind {
		case ActLog, ActSendAdvert, ActDelVIPs, ActDelEVIPs, ActDelRoutes, ActDelRules, ActCancelGARP:
		default:
			out = append(out, a)
		}
	}
	return out
}

// removeAddrs is the runner's side of ActDelVIPs / ActDelEVIPs: forced, or
// with -V, every configured address present goes; otherwise only ours.
func (n *Node) removeAddrs(s *installedSet, force bool) error {
	return n.remove(s, force || n.cfg.DontReleaseVRRP)
}

// releaseUnset covers keepalived's -X and -V when an instance leaves
// MASTER (or FAULT from MASTER, or resigns on reload) while the machine
// does not think its addresses are set: the machine then emits ActCancelGARP
// without ActDelVIPs/ActDelEVIPs, and with -X the addresses we still hold
// are removed anyway, with -V every configured one present. rest is the
// batch after the ActCancelGARP.
func (n *Node) releaseUnset(ni *nodeInstance, rest []Action) {
	if ni == nil || (!n.cfg.ReleaseVIPs && !n.cfg.DontReleaseVRRP) {
		return
	}
	for _, a := range rest {
		if a.Kind == ActLog {
			continue
		}
		if (a.Kind == ActDelVIPs || a.Kind == ActDelEVIPs) && a.Instance == ni.cfg.Name {
			return // the machine removes them itself
		}
		break
	}
	for _, p := range []struct {
		set  *installedSet
		what string
	}{{ni.vips, "VIPs."}, {ni.evips, "E-VIPs."}} {
		if len(p.set.addrs) == 0 {
			continue
		}
		n.logf(true, "(%s) removing %s", ni.cfg.Name, p.what)
		n.logErr(n.removeAddrs(p.set, false))
	}
}

// releaseLeftAddrs is -V on reload for a MASTER with its addresses set:
// a VIP or eVIP that left the configuration is deleted even when it was
// not ours (keepOrRemove has deleted ours).
func (n *Node) releaseLeftAddrs(old, cur *nodeInstance) {
	if !n.cfg.DontReleaseVRRP {
		return
	}
	var errs []error
	for _, p := range [][2]*installedSet{{old.vips, cur.vips}, {old.evips, cur.evips}} {
		want := p[1].keys()
		for _, a := range p[0].addrs {
			if k := "a|" + a.key(); !p[0].ours[k] && !want[k] {
				if err := p[0].mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
	}
	n.logErr(errors.Join(errs...))
}
