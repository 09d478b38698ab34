package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// ConfigReloader is implemented by Notifiers whose behaviour depends on
// the configuration (scripts, mail): the Node hands them the new one on
// Reload, in order with the notifications, so that the goodbyes of the
// instances that left are still delivered under the old configuration.
type ConfigReloader interface {
	ReloadConfig(cfg *parser.Config)
}

// Reload applies a new configuration to the running Node without
// restarting it, as keepalived does on SIGHUP (see Machine.Reload for the
// state rules): instances are matched by VRID, family, interface and
// addressing, not by name; a matched instance keeps its state, counters,
// AH sequence and installed addresses, and a MASTER only removes the
// addresses, routes and rules that left the configuration and adds the new
// ones (then sends GARPs); an instance that left resigns; a new one starts
// as at start-up. Sockets whose settings did not change stay open; vrrp_
// script results are kept by name. An identical configuration changes
// nothing on the host.
//
// cfg must come from the parser without errors. When it cannot be applied
// (the machine refuses it, a socket or VMAC cannot be set up), Reload
// returns the error and the Node runs on with the old configuration. Safe
// to call from any goroutine while Run runs.
func (n *Node) Reload(cfg *parser.Config) error {
	if cfg == nil {
		return errors.New("vrrp: reload needs a configuration")
	}
	var err error
	if cerr := n.call(func() { err = n.reload(cfg) }); cerr != nil {
		return cerr
	}
	return err
}

func (n *Node) reload(cfg *parser.Config) error {
	oldCfg := n.cfg.Config
	match := MatchInstances(oldCfg, cfg) // new name -> old name
	matchedOld := map[string]bool{}
	for _, o := range match {
		matchedOld[o] = true
	}

	// Everything that can fail comes first, with the new configuration in
	// place for the helpers that read it; a failure undoes it all.
	n.cfg.Config = cfg
	oldConns := map[string]*nodeConn{}
	for _, c := range n.conns {
		oldConns[c.key] = c
	}
	var opened []*nodeConn
	newUndo := map[string]func(){}
	fail := func(err error) error {
		for _, c := range opened {
			_ = c.conn.Close()
		}
		for _, undo := range newUndo {
			undo()
		}
		n.cfg.Config = oldCfg
		return err
	}
	insts := map[string]*nodeInstance{}
	conns := map[string]*nodeConn{}
	var connList []*nodeConn
	byConn := map[*nodeConn][]*nodeInstance{}
	for _, vi := range cfg.Instances {
		_, matched := match[vi.Name]
		if vi.UseVMAC && n.cfg.SetupVMAC != nil && !matched {
			undo, err := n.cfg.SetupVMAC(vi)
			if err != nil {
				return fail(err)
			}
			newUndo[vi.Name] = undo
		}
		ni, err := n.newInstance(vi)
		if err != nil {
			return fail(err)
		}
		cc := n.connConfig(vi)
		key := connKey(cc)
		nc := conns[key]
		if nc == nil {
			nc = oldConns[key]
			if nc == nil {
				ac, err := n.cfg.OpenConn(cc)
				if err != nil {
					return fail(fmt.Errorf("vrrp: (%s) advert socket on %s: %w", vi.Name, cc.Interface, err))
				}
				nc = &nodeConn{key: key, cfg: cc, conn: ac}
				opened = append(opened, nc)
			}
			conns[key] = nc
			connList = append(connList, nc)
		}
		ni.conn = nc
		byConn[nc] = append(byConn[nc], ni)
		insts[vi.Name] = ni
	}
	before, after, err := n.m.Reload(cfg, n.facts(cfg), time.Now())
	if err != nil {
		return fail(fmt.Errorf("vrrp: %w", err))
	}

	// The running side: adverts of the masters, goodbyes of the instances
	// that left (n.insts is still the old set). The notifier learns the new
	// configuration after their notifications.
	n.exec(before)
	n.logFirewallChoice(cfg)
	n.notify.pushConfig(cfg)
	for name, undo := range n.vmacUndo {
		if !matchedOld[name] {
			undo()
			delete(n.vmacUndo, name)
		}
	}

	// The pacer takes the new garp_interval / garp_group spacing; queued
	// frames and the times of the last ones carry over.
	pacer := NewGARPPacer(cfg)
	pacer.pending, pacer.state, pacer.addrRank = n.pacer.pending, n.pacer.state, n.pacer.addrRank
	for name, r := range n.pacer.instRank {
		if _, ok := pacer.instRank[name]; !ok {
			pacer.instRank[name] = r
		}
	}
	n.pacer = pacer

	// Matched instances carry their receive counters, AH sequences and
	// installed objects; a MASTER applies the difference.
	vmacUndo := map[string]func(){}
	srcs := map[string]netip.Addr{}
	for _, vi := range cfg.Instances {
		ni := insts[vi.Name]
		oldName, ok := match[vi.Name]
		if !ok {
			if !vi.SrcIP.IsValid() {
				srcs[vi.Name] = n.sourceOf(vi)
			}
			continue
		}
		old := n.insts[oldName]
		if undo := n.vmacUndo[oldName]; undo != nil {
			vmacUndo[vi.Name] = undo
		}
		if s, ok := n.srcs[oldName]; ok && !vi.SrcIP.IsValid() {
			srcs[vi.Name] = s
			if ni.enc != nil && s.IsValid() {
				ni.enc.SetSource(s)
			}
		}
		ni.val.stats = old.val.stats
		ni.val.ahSeq = old.val.ahSeq
		if old.enc != nil && ni.enc != nil {
			ni.enc.ipID, ni.enc.ahSeq = old.enc.ipID, old.enc.ahSeq
		}
		st, _ := n.m.Status(vi.Name)
		install := st.State == StateMaster && st.VIPsSet
		added, err := n.carryInstalled(old, ni, install)
		n.logErr(err)
		if install {
			n.releaseLeftAddrs(old, ni)
		}
		n.fwCarry(old, ni, install)
		if added && install {
			n.garp(ni, int(vi.GarpMasterRepeat))
		}
	}
	for name, undo := range newUndo {
		vmacUndo[name] = undo
	}
	n.vmacUndo = vmacUndo
	n.srcs = srcs

	n.mu.Lock()
	states, last := map[string]State{}, map[string]time.Time{}
	for newName, oldName := range match {
		if st, ok := n.states[oldName]; ok {
			states[newName] = st
			last[newName] = n.lastTrans[oldName]
		}
	}
	n.states, n.lastTrans = states, last
	n.mu.Unlock()

	n.insts, n.byConn = insts, byConn
	for _, c := range n.conns {
		if conns[c.key] != c {
			_ = c.conn.Close()
		}
	}
	n.conns = connList
	for _, c := range opened {
		n.startReceive(c)
	}
	if n.probeCancel != nil {
		n.probeCancel()
	}
	n.startProbes()
	n.reloadStatics(cfg)

	n.exec(after)
	return nil
}

// carryInstalled moves what the old instance installed to the new one:
// objects still configured stay (and stay ours) without a netlink request,
// objects no longer configured are removed; with install (a MASTER) the
// newly configured ones are added. It tells whether an address was added.
func (n *Node) carryInstalled(old, cur *nodeInstance, install bool) (bool, error) {
	var errs []error
	type pair struct{ old, cur *installedSet }
	sets := []pair{{old.rules, cur.rules}, {old.routes, cur.routes}, {old.evips, cur.evips}, {old.vips, cur.vips}}
	for _, p := range sets {
		errs = append(errs, keepOrRemove(p.old, p.cur))
	}
	if !install {
		return false, errors.Join(errs...)
	}
	added := false
	for i := len(sets) - 1; i >= 0; i-- {
		a, err := addNew(sets[i].old, sets[i].cur)
		added = added || a
		errs = append(errs, err)
	}
	return added, errors.Join(errs...)
}

// keys lists a set's configured objects by their ownership key.
func (s *installedSet) keys() map[string]bool {
	out := map[string]bool{}
	for _, a := range s.addrs {
		out["a|"+a.key()] = true
	}
	for _, r := range s.routes {
		out["r|"+r.String()] = true
	}
	for _, r := range s.rules {
		out["u|"+r.String()] = true
	}
	return out
}

// keepOrRemove transfers ownership of what is still configured and
// removes (rules, routes, then addresses) what is not.
func keepOrRemove(old, cur *installedSet) error {
	want := cur.keys()
	var errs []error
	for _, r := range old.rules {
		k := "u|" + r.String()
		if !old.ours[k] {
			continue
		}
		if want[k] {
			cur.ours[k] = true
		} else if err := old.mgr.DelRule(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, r := range old.routes {
		k := "r|" + r.String()
		if !old.ours[k] {
			continue
		}
		if want[k] {
			cur.ours[k] = true
		} else if err := old.mgr.DelRoute(r); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, a := range old.addrs {
		k := "a|" + a.key()
		if !old.ours[k] {
			continue
		}
		if want[k] {
			cur.ours[k] = true
		} else if err := old.mgr.DelAddress(a); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addNew installs the objects of cur that old did not configure
// (addresses, routes, then rules); it tells whether an address was added.
func addNew(old, cur *installedSet) (bool, error) {
	had := old.keys()
	var errs []error
	added := false
	note := func(k string, err error) {
		switch {
		case err == nil:
			cur.ours[k] = true
			added = added || k[0] == 'a'
		case errors.Is(err, ErrExist):
		default:
			errs = append(errs, err)
		}
	}
	for _, a := range cur.addrs {
		if k := "a|" + a.key(); !had[k] && !cur.ours[k] {
			note(k, cur.mgr.AddAddress(a))
		}
	}
	for _, r := range cur.routes {
		if k := "r|" + r.String(); !had[k] && !cur.ours[k] {
			note(k, cur.mgr.AddRoute(r))
		}
	}
	for _, r := range cur.rules {
		if k := "u|" + r.String(); !had[k] && !cur.ours[k] {
			note(k, cur.mgr.AddRule(r))
		}
	}
	return added, errors.Join(errs...)
}
