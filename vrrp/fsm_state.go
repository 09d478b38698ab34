package vrrp

import "time"

// The transitions, following keepalived 2.2.7's vrrp.c, vrrp_scheduler.c
// and vrrp_track.c function by function (names in the comments) so that
// corner cases (sync groups, init holds, quirks) behave the same.

// initSands is vrrp_init_instance_sands.
func (m *Machine) initSands(v *fsmInstance) {
	switch v.state {
	case StateMaster:
		v.sands = m.now.Add(usDuration(v.advertInt))
	case StateBackup:
		base := m.now
		if !m.delayedStart.IsZero() && m.now.Before(m.delayedStart) {
			base = m.delayedStart
		}
		v.sands = base.Add(usDuration(v.msDownTimer))
	default:
		v.sands = time.Time{}
	}
}

// timers is vrrp_dispatcher_read_timeout plus the delayed GARP threads.
func (m *Machine) timers() {
	limit := 16
	for _, v := range m.insts {
		limit += 4 + len(v.garpTimers)
	}
	for guard := 0; guard < limit; guard++ {
		var v *fsmInstance
		due := m.dueInstances()
		if len(due) > 0 {
			v = due[0]
		}
		// a delayed GARP burst due no later than the instance timer goes
		// first: keepalived's advert timer drifts later, so on the wire the
		// second burst comes just before the advert (spec §9.1)
		gi, gv := -1, (*fsmInstance)(nil)
		for _, x := range m.insts {
			for i, g := range x.garpTimers {
				if g.at.After(m.now) {
					continue
				}
				if gv == nil || g.at.Before(gv.garpTimers[gi].at) {
					gi, gv = i, x
				}
			}
		}
		if gv != nil && (v == nil || !gv.garpTimers[gi].at.After(v.sands)) {
			t := gv.garpTimers[gi]
			gv.garpTimers = append(gv.garpTimers[:gi], gv.garpTimers[gi+1:]...)
			m.sendLinkUpdate(gv, t.repeat)
			continue
		}
		if v == nil {
			return
		}
		prev := v.state
		switch v.state {
		case StateBackup:
			m.log(true, "(%s) Receive advertisement timeout", v.name)
			v.wantstate = StateMaster
			m.gotoMaster(v)
		case StateMaster:
			m.masterTx(v)
		}
		m.tsm(prev, v)
		m.initSands(v)
	}
}

// gotoMaster is vrrp_state_goto_master.
func (m *Machine) gotoMaster(v *fsmInstance) {
	if v.sync != nil && !m.syncCanGotoMaster(v) {
		v.wantstate = StateMaster
		return
	}
	v.state = StateMaster
	m.initSands(v)
	m.masterTx(v)
}

// masterTx is vrrp_state_master_tx: the advert first, then, on the first
// one, the addresses and GARPs (spec §4.6).
func (m *Machine) masterTx(v *fsmInstance) {
	m.sendAdvert(v, v.effPrio)
	if !v.vipSet {
		m.log(false, "(%s) Entering MASTER STATE", v.name)
		m.becomeMaster(v)
		if v.garpDelay > 0 {
			v.garpTimers = append(v.garpTimers, fsmGarpTimer{at: m.now.Add(usDuration(v.garpDelay)), repeat: v.garpRep})
		}
		return
	}
	// keepalived compares with ">" against a clock that has drifted by a
	// few hundred µs per advert; in exact virtual time ">=" gives the
	// same advert.
	if v.garpRefresh > 0 && !m.now.Before(v.garpRefreshTimer) {
		m.sendLinkUpdate(v, v.garpRefreshRep)
		v.garpRefreshTimer = m.now.Add(usDuration(v.garpRefresh))
	}
	if v.garpExtraIf > 0 && !m.now.Before(v.garpExtraIfTimer) {
		m.emit(Action{Kind: ActExtraIfGARP, Instance: v.name})
		v.garpExtraIfTimer = m.now.Add(usDuration(v.garpExtraIf))
	}
}

// becomeMaster is vrrp_state_become_master.
func (m *Machine) becomeMaster(v *fsmInstance) {
	v.becameMaster++
	m.firewallLog(v, "sett")
	if v.hasVIPs {
		m.log(true, "(%s) setting VIPs.", v.name)
		m.emit(Action{Kind: ActAddVIPs, Instance: v.name, Accept: v.accept})
	}
	if v.hasEVIPs {
		m.log(true, "(%s) setting E-VIPs.", v.name)
		m.emit(Action{Kind: ActAddEVIPs, Instance: v.name, Accept: v.accept})
	}
	v.vipSet = true
	if v.hasRoutes {
		m.log(true, "(%s) setting Virtual Routes", v.name)
		m.emit(Action{Kind: ActAddRoutes, Instance: v.name})
	}
	if v.hasRules {
		m.log(true, "(%s) setting Virtual Rules", v.name)
		m.emit(Action{Kind: ActAddRules, Instance: v.name})
	}
	m.sendLinkUpdate(v, v.garpRep)
	if v.garpRefresh > 0 {
		v.garpRefreshTimer = m.now.Add(usDuration(v.garpRefresh))
	}
	if v.garpExtraIf > 0 {
		v.garpExtraIfTimer = m.now.Add(usDuration(v.garpExtraIf))
	}
	m.instanceNotify(v)
}

// sendLinkUpdate is vrrp_send_link_update: only while the addresses are set.
func (m *Machine) sendLinkUpdate(v *fsmInstance, rep int) {
	if !v.vipSet || rep <= 0 || (!v.hasVIPs && !v.hasEVIPs) {
		return
	}
	m.emit(Action{Kind: ActGARP, Instance: v.name, Repeat: rep})
}

func (m *Machine) sendAdvert(v *fsmInstance, prio int) {
	v.advertSent++
	m.emit(Action{Kind: ActSendAdvert, Instance: v.name, Priority: prio})
}

// restoreInterface is vrrp_restore_interface: optional priority-0 advert,
// then rules, routes, queued GARPs and addresses are removed.
func (m *Machine) restoreInterface(v *fsmInstance, advF bool) {
	if advF {
		m.sendAdvert(v, 0)
		v.priZeroSent++
		m.log(true, "(%s) sent 0 priority", v.name)
	}
	m.removeAll(v, v.vipSet, false)
}

// removeAll removes rules, routes, queued GARPs and (when set, or forced)
// the addresses, each with keepalived's detail line.
func (m *Machine) removeAll(v *fsmInstance, addrs, force bool) {
	if v.hasRules {
		m.log(true, "(%s) removing Virtual Rules", v.name)
		m.emit(Action{Kind: ActDelRules, Instance: v.name, Force: force})
	}
	if v.hasRoutes {
		m.log(true, "(%s) removing Virtual Routes", v.name)
		m.emit(Action{Kind: ActDelRoutes, Instance: v.name, Force: force})
	}
	if !force {
		m.emit(Action{Kind: ActCancelGARP, Instance: v.name})
	}
	if addrs || force {
		if v.hasVIPs {
			m.log(true, "(%s) removing VIPs.", v.name)
			m.emit(Action{Kind: ActDelVIPs, Instance: v.name, Accept: v.accept, Force: force})
		}
		if v.hasEVIPs {
			m.log(true, "(%s) removing E-VIPs.", v.name)
			m.emit(Action{Kind: ActDelEVIPs, Instance: v.name, Accept: v.accept, Force: force})
		}
		m.firewallLog(v, "remov")
		v.vipSet = false
	}
}

// restoreForce removes what a previous run may have left (start-up).
func (m *Machine) restoreForce(v *fsmInstance) { m.removeAll(v, true, true) }

// firewallLog is vrrp_handle_accept_mode's detail line: the drop rules of
// no_accept (installed by the runner with the VIPs).
func (m *Machine) firewallLog(v *fsmInstance, verb string) {
	if v.basePrio != fsmPrioOwner && !v.accept {
		m.log(true, "(%s) %sing firewall drop rule", v.name, verb)
	}
}

// leaveMaster is vrrp_state_leave_master (spec §4.7).
func (m *Machine) leaveMaster(v *fsmInstance, advF bool) {
	switch v.wantstate {
	case StateBackup:
		m.log(false, "(%s) Entering BACKUP STATE", v.name)
		v.preemptTime = time.Time{}
	case StateFault:
		m.log(false, "(%s) Entering FAULT STATE", v.name)
		m.sendAdvert(v, 0)
	default:
		m.log(false, "(%s) vrrp_state_leave_master called with invalid wantstate %d", v.name, int(v.wantstate))
		return
	}
	m.restoreInterface(v, advF)
	v.state = v.wantstate
	v.releasedMaster++
	m.instanceNotify(v)
	v.msDownTimer = v.mdiUS()
	m.initSands(v)
}

// leaveFault is vrrp_state_leave_fault.
func (m *Machine) leaveFault(v *fsmInstance) {
	if v.wantstate == StateMaster {
		m.gotoMaster(v)
	} else {
		if v.state != v.wantstate {
			word := "FAULT"
			if v.wantstate == StateBackup {
				word = "BACKUP"
			}
			m.log(false, "(%s) Entering %s STATE", v.name, word)
		}
		if v.wantstate == StateFault && v.state == StateMaster {
			m.sendAdvert(v, 0)
			m.restoreInterface(v, false)
		}
		v.state = v.wantstate
		m.instanceNotify(v)
		if v.state == StateBackup {
			v.preemptTime = time.Time{}
		}
	}
	v.masterAdverInt = v.advertInt
	v.msDownTimer = v.mdiUS()
	m.initSands(v)
}

// downInstance is vrrp_track.c's down_instance: one more fault cause.
func (m *Machine) downInstance(v *fsmInstance) {
	first := v.numFault == 0
	v.numFault++
	if !first && v.state != StateInit {
		return
	}
	v.wantstate = StateFault
	if v.state == StateMaster {
		m.leaveMaster(v, true)
	} else {
		m.leaveFault(v)
	}
	if g := v.sync; g != nil {
		g.numMemberFault++
		if g.numMemberFault == 1 {
			m.syncFault(v)
		}
	}
}

// tryUpInstance is vrrp_scheduler.c's try_up_instance: one fault cause
// less (or the end of the init hold); the instance leaves FAULT when none
// is left, for BACKUP (or MASTER for an owner configured MASTER).
func (m *Machine) tryUpInstance(v *fsmInstance, leavingInit bool) {
	if leavingInit {
		if v.numFault > 0 {
			return
		}
	} else {
		if v.numFault == 0 {
			return // nothing to clear; keepalived's counter would wrap
		}
		v.numFault--
		if v.numFault > 0 || v.numScriptInit > 0 {
			if v.numFault == 0 {
				if v.sync != nil {
					v.sync.numMemberFault--
					v.sync.state = StateInit
				}
				v.wantstate = StateBackup
			}
			return
		}
	}
	if !(v.wantstate == StateMaster && v.basePrio == fsmPrioOwner) {
		v.wantstate = StateBackup
	}
	v.masterAdverInt = v.advertInt
	if v.wantstate == StateMaster && v.basePrio == fsmPrioOwner {
		v.msDownTimer = v.masterAdverInt + v.skewUS()
	} else {
		v.msDownTimer = v.mdiUS()
	}
	if g := v.sync; g != nil {
		if leavingInit {
			if g.numMemberFault > 0 {
				return
			}
		} else {
			g.numMemberFault--
			if g.numMemberFault > 0 || g.numMemberInit > 0 {
				return
			}
		}
	}
	want := v.wantstate
	if v.sync != nil && v.wantstate == StateMaster && !m.syncCanGotoMaster(v) {
		v.wantstate = StateBackup
	}
	m.leaveFault(v)
	if v.unicast && v.src.IsValid() {
		kind := "ARP"
		if !v.src.Is4() {
			kind = "NA"
		}
		m.log(true, "%s: sending gratuitous %s for %s", v.name, kind, v.src)
		m.emit(Action{Kind: ActSourceGARP, Instance: v.name})
	}
	m.initSands(v)
	v.wantstate = want
	if v.sync != nil {
		if v.state == StateMaster {
			m.syncMaster(v)
		} else {
			m.syncBackup(v)
		}
	}
}

// addressLost is keepalived_netlink.c's set_vrrp_backup.
func (m *Machine) addressLost(name string) {
	v := m.byName[name]
	if v == nil || v.state != StateMaster {
		return
	}
	quick := func(x *fsmInstance) {
		x.wantstate = StateBackup
		m.leaveMaster(x, true)
		x.msDownTimer = x.skewUS()
		m.initSands(x)
	}
	// keepalived resigns the instance itself first, its sync group's
	// masters next, then re-arms the instance's own timer.
	v.wantstate = StateBackup
	m.leaveMaster(v, true)
	if g := v.sync; g != nil {
		for _, o := range g.members {
			if o.state == StateMaster {
				quick(o)
			}
		}
		g.state = StateBackup
	}
	v.msDownTimer = v.skewUS()
	m.initSands(v)
}

// shutdown is keepalived's SIGTERM path: restore_vrrp_interfaces then
// notify_shutdown (spec §4.7).
func (m *Machine) shutdown() {
	for _, v := range m.insts {
		if v.state == StateMaster {
			m.restoreInterface(v, true)
		}
	}
	for _, v := range m.insts {
		v.state = StateStop
		m.instanceNotify(v)
		v.sands = time.Time{}
		v.garpTimers = nil
	}
	for _, g := range m.groups {
		g.state = StateStop
		m.groupNotify(g)
	}
	m.stopped = true
}

// instanceNotify is send_instance_notifies: nothing when the sync group
// already put the instance in this state and told about it.
func (m *Machine) instanceNotify(v *fsmInstance) {
	if v.notifiesSent && v.sync != nil && v.state == v.sync.state {
		return
	}
	v.notifiesSent = true
	m.emit(Action{Kind: ActNotify, Instance: v.name, State: v.state, NotifyType: v.state.String(), Priority: v.effPrio})
}

func (m *Machine) groupNotify(g *fsmGroup) {
	m.emit(Action{Kind: ActNotify, Group: g.name, State: g.state, NotifyType: g.state.String()})
}
