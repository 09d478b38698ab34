package vrrp

import (
	"errors"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Reloading a running configuration (SIGHUP), after keepalived 2.2.7's
// reload_vrrp_thread, clear_diff_vrrp, clear_diff_script and
// restore_vrrp_state (spec cli-and-daemon §6).

// reloadKeyOf is what keepalived's vrrp_exist compares to find an old
// instance again in a new configuration: not the name, but the VRID, the
// family, the interface, unicast or multicast, and then the unicast source
// or the VMAC flags and multicast group.
func reloadKeyOf(vi *parser.VRRPInstance, cfg *parser.Config) string {
	fam := 4
	if vi.Family == 6 {
		fam = 6
	}
	k := fmt.Sprintf("%d|%d|%s|%v", vi.VRID, fam, vi.Interface, vi.Unicast)
	if vi.Unicast {
		return k + "|" + vi.SrcIP.String()
	}
	group := vi.McastDstIP
	if !group.IsValid() {
		if fam == 6 {
			group = cfg.Global.VRRPMcastGroup6
			if !group.IsValid() {
				group = MulticastGroup6
			}
		} else {
			group = cfg.Global.VRRPMcastGroup4
			if !group.IsValid() {
				group = MulticastGroup4
			}
		}
	}
	// The VMAC's name is part of the key here (keepalived leaves it out):
	// a renamed VMAC is another device, which the runner would have to
	// move the addresses to.
	return fmt.Sprintf("%s|%v|%s|%v|%v|%s", k, vi.UseVMAC, vi.VMACName, vi.UseVMACAddr, vi.VMACXmitBase, group)
}

// MatchInstances pairs the instances of a new configuration with those of
// the running one as keepalived's reload does: by VRID, family, interface,
// unicast or multicast, unicast source, VMAC flags and multicast group,
// not by name. The result maps a new instance's name to its old one's;
// instances of either side missing from it have no partner.
func MatchInstances(old, cfg *parser.Config) map[string]string {
	used := make([]bool, len(old.Instances))
	keys := make([]string, len(old.Instances))
	for i, o := range old.Instances {
		keys[i] = reloadKeyOf(o, old)
	}
	out := map[string]string{}
	for _, vi := range cfg.Instances {
		k := reloadKeyOf(vi, cfg)
		for i, o := range old.Instances {
			if !used[i] && keys[i] == k {
				used[i] = true
				out[vi.Name] = o.Name
				break
			}
		}
	}
	return out
}

// Reload replaces the configuration of a running machine with cfg, keeping
// what keepalived keeps across a reload. The facts are read as at Start,
// for the new configuration.
//
// It returns two lists of actions, to execute in order. before is in terms
// of the running configuration: each MASTER sends one advert (keepalived
// does so before it reloads), then every instance without a partner in
// cfg leaves: a MASTER sends priority 0 and removes its addresses, and it
// notifies DELETED (unless it already was FAULT and has no notify_deleted;
// the notifier reports DELETED as FAULT without notify_deleted, as keepalived).
// after is in terms of cfg: a matched instance keeps its state, its
// counters and its master's address, with its effective priority
// recomputed; a MASTER advertises again at once, a BACKUP restarts its
// down timer. FAULT is worked out afresh from the tracked objects: an
// instance now faulty enters FAULT (a MASTER drops its addresses), one
// no longer faulty starts as at Start, as does a new instance. Address
// differences of a matched MASTER are the runner's (the machine only knows
// whether a list is empty): it removes what left the configuration, adds
// what came, and sends GARPs when something was added.
//
// On error (cfg cannot be built) nothing changed and the machine runs on.
func (m *Machine) Reload(cfg *parser.Config, facts Facts, now time.Time) (before, after []Action, err error) {
	if !m.started || m.stopped {
		return nil, nil, errors.New("vrrp: reload of a machine that is not running")
	}
	n, err := NewMachine(cfg, facts)
	if err != nil {
		return nil, nil, err
	}
	if now.Before(m.now) {
		now = m.now
	}
	m.now, m.out = now, nil
	n.now, n.started = now, true

	// Pair the instances.
	partner := map[*fsmInstance]*fsmInstance{} // new -> old
	used := map[*fsmInstance]bool{}
	for _, v := range n.insts {
		for _, o := range m.insts {
			if !used[o] && o.reloadKey == v.reloadKey {
				used[o] = true
				partner[v] = o
				break
			}
		}
	}

	// The running side: one advert from every master, then the goodbyes.
	for _, o := range m.insts {
		if o.state == StateMaster {
			m.sendAdvert(o, o.effPrio)
		}
	}
	for _, o := range m.insts {
		if used[o] {
			continue
		}
		if o.state == StateMaster {
			m.restoreInterface(o, true)
		}
		if o.sendDeleted || o.state != StateFault {
			// The notifier reports DELETED as FAULT (with no state
			// script) when the instance has no notify_deleted.
			o.state = StateFault
			m.emit(Action{Kind: ActNotify, Instance: o.name, State: StateFault, NotifyType: "DELETED", Priority: o.effPrio})
		}
		o.sands, o.garpTimers = time.Time{}, nil
	}
	before = m.flush()

	// Tracked objects: scripts carry their result by name (scaled to the
	// new rise and fall, clear_diff_script); BFD sessions keep their
	// state; the rest is read again as at Start.
	oldObjs := map[fsmObjKey]*fsmTrackObj{}
	for _, o := range m.objs {
		oldObjs[fsmObjKey{o.kind, o.name}] = o
	}
	for _, o := range n.objs {
		prev := oldObjs[fsmObjKey{o.kind, o.name}]
		switch o.kind {
		case fsmTrackInterface:
			o.up = facts.InterfaceUp == nil || facts.InterfaceUp(o.name)
		case fsmTrackFile:
			if facts.TrackFileValue != nil {
				o.value = facts.TrackFileValue(o.name)
			}
		case fsmTrackProcess:
			if facts.ProcessCount != nil {
				o.count = facts.ProcessCount(o.name)
			}
		case fsmTrackBFD:
			if prev != nil {
				o.up = prev.up
			} else {
				o.up = facts.BFDUp != nil && facts.BFDUp(o.name)
			}
		case fsmTrackScript:
			if prev != nil {
				n.carryScript(o, prev)
			}
		}
	}
	for _, v := range n.insts {
		v.src = v.configuredSrc
		if !v.src.IsValid() && facts.SourceAddr != nil {
			v.src = facts.SourceAddr(v.name)
		}
		// A matched instance starts from its old effective priority, so
		// that only a real change is logged (and told to FIFOs).
		// Its state is the old one already, so that a priority
		// notification names it rightly.
		if o := partner[v]; o != nil {
			v.state = o.state
			if v.basePrio != fsmPrioOwner && o.basePrio != fsmPrioOwner {
				v.effPrio = o.effPrio
			}
		}
	}
	n.initTracking()

	// Matched instances take over their partner's run-time state.
	for _, v := range n.insts {
		o := partner[v]
		if o == nil {
			continue
		}
		faulty := v.numFault > 0
		for c := range o.faultCauses {
			if c != fsmNoSourceAddr && !v.faultCauses[c] {
				v.faultCauses[c] = true
				v.numFault++
				faulty = true
			}
		}
		// notifiesSent starts again, as on keepalived's new instance objects
		v.state, v.vipSet = o.state, o.vipSet
		v.masterAddr, v.masterPrio = o.masterAddr, o.masterPrio
		v.preemptTime = o.preemptTime
		v.garpTimers = o.garpTimers
		v.garpRefreshTimer, v.garpExtraIfTimer = o.garpRefreshTimer, o.garpExtraIfTimer
		v.advertSent, v.priZeroSent = o.advertSent, o.priZeroSent
		v.becameMaster, v.releasedMaster = o.becameMaster, o.releasedMaster
		switch {
		case faulty:
			// keepalived works FAULT out afresh: an instance that was not
			// in FAULT says so and notifies, a MASTER then drops its
			// addresses without a priority-0 advert (vrrp_init_state's
			// vrrp_restore_interface).
			if o.state != StateFault {
				n.log(false, "(%s) entering FAULT state", v.name)
				v.state = StateFault
				n.instanceNotify(v)
				if v.vipSet {
					n.removeAll(v, true, false)
				}
			}
			v.state, v.wantstate = StateFault, StateFault
			v.sands, v.garpTimers = time.Time{}, nil
		case o.state == StateFault:
			// out of FAULT: it starts as at start-up
			v.state, v.vipSet, v.notifiesSent = StateInit, false, false
			n.initState(v)
			n.initSands(v)
		case o.state == StateMaster:
			// reload_master: the advert timer fires at once
			v.wantstate = StateMaster
			v.sands = n.now
		default:
			// BACKUP: the down timer starts again, from the new settings
			v.state, v.wantstate = StateBackup, StateBackup
			v.msDownTimer = v.mdiUS()
			n.initSands(v)
		}
	}

	// Sync groups: a group follows its members (FAULT if one is, MASTER if
	// all are, BACKUP otherwise); numMemberFault counts the faulty ones.
	for _, g := range n.groups {
		g.numMemberFault = 0
		all, fault := true, false
		for _, v := range g.members {
			if v.state == StateFault {
				fault = true
				g.numMemberFault++
			}
			all = all && v.state == StateMaster
		}
		switch {
		case fault:
			g.state = StateFault
		case all:
			g.state = StateMaster
		case g.numMemberInit > 0:
			g.state = StateInit
		default:
			g.state = StateBackup
		}
	}

	// vrrp_init_state: a group in FAULT or BACKUP notifies, unless it was
	// already in that state before the reload.
	oldGroups := map[string]State{}
	for _, g := range m.groups {
		oldGroups[g.name] = g.state
	}
	fifoStates := cfg.Global.FIFOWriteVRRPStatesOnReload
	for _, g := range n.groups {
		st, ok := oldGroups[g.name]
		if (!ok || st != g.state) && (g.state == StateFault || g.state == StateBackup) {
			n.groupNotify(g)
		} else if fifoStates {
			n.emit(Action{Kind: ActNotify, Group: g.name, State: g.state, NotifyType: g.state.String(), FIFOOnly: true})
		}
	}
	// fifo_write_vrrp_states_on_reload: the instances keeping BACKUP or
	// FAULT write their state to the FIFOs again (a MASTER does not, as in
	// keepalived).
	if fifoStates {
		for _, v := range n.insts {
			if o := partner[v]; o != nil && o.state == v.state && (v.state == StateBackup || v.state == StateFault) {
				n.emit(Action{Kind: ActNotify, Instance: v.name, State: v.state, NotifyType: v.state.String(),
					Priority: v.effPrio, FIFOOnly: true})
			}
		}
	}

	// New instances start as at start-up.
	for _, v := range n.insts {
		if partner[v] != nil {
			continue
		}
		if v.state == StateFault || (v.sync != nil && v.sync.state == StateFault) {
			v.state = StateFault
			n.log(false, "(%s) entering FAULT state", v.name)
			n.instanceNotify(v)
		}
		n.restoreForce(v)
		n.initState(v)
		n.initSands(v)
	}
	after = n.flush()
	*m = *n
	return before, after, nil
}

// carryScript is clear_diff_script for one vrrp_script present in both
// configurations.
func (m *Machine) carryScript(o, prev *fsmTrackObj) {
	switch prev.initState {
	case fsmScriptInit:
		o.initState, o.result = fsmScriptInit, o.rise-1
		return
	case fsmScriptInitFailed:
		// init_fail and no result yet: the new configuration's start-up
		// assumption stands
		return
	}
	if prev.result < prev.rise {
		if prev.result == 0 {
			o.result = 0
		} else {
			o.result = max(o.rise-(prev.rise-prev.result), 0)
		}
		m.log(false, "VRRP_Script(%s) considered unsuccessful on reload", o.name)
	} else {
		top := o.rise + o.fall - 1
		if prev.result == prev.rise+prev.fall-1 {
			o.result = top
		} else {
			o.result = min(o.rise+(prev.result-prev.rise), top)
		}
		m.log(false, "VRRP_Script(%s) considered successful on reload", o.name)
	}
	o.lastStatus = prev.lastStatus
	o.initState = fsmScriptDone
}
