package vrrp

import "time"

// The transitions, following keepalived 2.2.7's vrrp.c, vrrp_scheduler.c
// and vrrp_track.c function by function (names in the comments) so that
// corner cases (sync groups, init holds, quirks) behave the same.

// start is vrrp_complete_init's tracking and sync group set-up followed by
// vrrp_init_state and vrrp_init_sands (spec §4.2).
func (m *Machine) start() {
	m.started = true
	if m.startupDelay > 0 {
		m.delayedStart = m.now.Add(usDuration(m.startupDelay))
	}
	for _, o := range m.objs {
		switch o.kind {
		case fsmTrackInterface:
			o.up = m.facts.InterfaceUp == nil || m.facts.InterfaceUp(o.name)
		case fsmTrackFile:
			if m.facts.TrackFileValue != nil {
				o.value = m.facts.TrackFileValue(o.name)
			}
		case fsmTrackProcess:
			if m.facts.ProcessCount != nil {
				o.count = m.facts.ProcessCount(o.name)
			}
		}
	}
	for _, v := range m.insts {
		v.src = v.configuredSrc
		if !v.src.IsValid() && m.facts.SourceAddr != nil {
			v.src = m.facts.SourceAddr(v.name)
		}
		// Left-overs of a previous run (a crash) go first.
		m.restoreForce(v)
	}

	// vrrp_sync_set_group: MASTER only if every member is an owner that
	// wants MASTER.
	for _, g := range m.groups {
		g.state = StateInit
		for _, v := range g.members {
			if g.state != StateBackup {
				if v.wantstate == StateMaster && v.basePrio == fsmPrioOwner {
					g.state = StateMaster
				} else {
					g.state = StateBackup
				}
			}
		}
	}
	m.initTracking()
	// A sync group with any member that is not an owner wanting MASTER
	// starts every member as BACKUP.
	for _, g := range m.groups {
		haveBackup, haveMaster := false, false
		for _, v := range g.members {
			if v.wantstate == StateBackup || v.basePrio != fsmPrioOwner {
				haveBackup = true
			}
			if v.wantstate == StateMaster {
				haveMaster = true
			}
		}
		if haveBackup && haveMaster {
			for _, v := range g.members {
				if v.wantstate == StateMaster {
					v.wantstate = StateBackup
				}
			}
		}
	}
	for _, v := range m.insts {
		if v.state == StateFault || (v.sync != nil && v.sync.state == StateFault) {
			v.state = StateFault
			m.log(false, "(%s) entering FAULT state", v.name)
			m.instanceNotify(v)
		}
	}

	// vrrp_init_state
	for _, g := range m.groups {
		if g.state == StateFault || g.state == StateBackup {
			m.groupNotify(g)
		}
	}
	for _, v := range m.insts {
		begin := v.state
		if v.state == StateFault {
			v.wantstate = StateFault
		}
		newState := v.wantstate
		if v.sync != nil {
			newState = v.sync.state
		}
		isUp := v.numFault == 0
		noInit := v.numScriptInit == 0 && (v.sync == nil || v.sync.numMemberInit == 0)
		if isUp && newState == StateMaster && noInit && v.basePrio == fsmPrioOwner && v.wantstate == StateMaster {
			// keepalived times out of BACKUP after 1 µs.
			v.state = StateBackup
			v.msDownTimer = 1
			continue
		}
		if newState == StateBackup && v.wantstate == StateMaster {
			v.msDownTimer = v.masterAdverInt + v.skewMinUS()
		} else {
			v.msDownTimer = v.mdiUS()
		}
		if isUp && newState != StateFault && noInit {
			if v.state != StateBackup {
				m.log(false, "(%s) Entering BACKUP STATE (init)", v.name)
				v.state = StateBackup
			}
		} else {
			// keepalived 2.2.7 compares the state with itself here, so its
			// "Entering FAULT STATE (init)" line is never printed.
			v.state = StateFault
		}
		if begin != v.state && (v.state != StateFault || v.numFault > 0) {
			m.instanceNotify(v)
		}
	}
	for _, v := range m.insts {
		m.initSands(v)
	}
}

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
	for guard := 0; guard < 4*len(m.insts)+16; guard++ {
		var v *fsmInstance
		due := m.dueInstances()
		if len(due) > 0 {
			v = due[0]
		}
		// a delayed GARP burst due before the instance timer goes first
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
		if gv != nil && (v == nil || gv.garpTimers[gi].at.Before(v.sands)) {
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

// advert is vrrp_dispatcher_read for one advert.
func (m *Machine) advert(a AdvertReceived) {
	v := m.byName[a.Instance]
	if v == nil || v.state == StateFault || v.state == StateInit {
		return
	}
	if !m.delayedStart.IsZero() && m.now.Before(m.delayedStart) {
		return
	}
	prev := v.state
	switch v.state {
	case StateBackup:
		m.backupRx(v, a)
	case StateMaster:
		if m.masterRx(v, a) {
			m.leaveMaster(v, false)
		}
	}
	m.tsm(prev, v)
	if v.state != StateMaster || !v.lowerPrioNoAdvert {
		m.initSands(v)
	}
}

// backupRx is vrrp_state_backup (spec §4.3).
func (m *Machine) backupRx(v *fsmInstance, a AdvertReceived) {
	ignore := false
	switch {
	case a.Rejected:
		ignore = true
	case a.Priority == 0:
		m.log(true, "(%s) Backup received priority 0 advertisement", v.name)
		v.msDownTimer = v.skewUS()
	case v.nopreempt || a.Priority >= v.effPrio ||
		(v.preemptDelay > 0 && (v.preemptTime.IsZero() || v.preemptTime.After(m.now))):
		if v.version == 3 {
			if us := a.Interval.Microseconds(); us > 0 && us != v.masterAdverInt {
				m.log(true, "(%s) advertisement interval updated from %dms to %dms by master",
					v.name, v.masterAdverInt/1000, us/1000)
				v.masterAdverInt = us
			}
		}
		v.msDownTimer = v.mdiUS()
		v.masterAddr = a.Src
		v.masterPrio = a.Priority
		if v.preemptDelay > 0 {
			if a.Priority >= v.effPrio {
				if !v.preemptTime.IsZero() {
					m.log(true, "(%s) stop preempt delay", v.name)
					v.preemptTime = time.Time{}
				}
			} else if v.preemptTime.IsZero() {
				m.log(true, "(%s) start preempt delay (%d.%06d)", v.name, v.preemptDelay/fsmTimerHz, v.preemptDelay%fsmTimerHz)
				v.preemptTime = m.now.Add(usDuration(v.preemptDelay))
			}
		}
		v.wantstate = StateBackup
	default:
		m.log(false, "(%s) received lower priority (%d) advert from %s - discarding", v.name, a.Priority, a.Src)
		ignore = true
		v.masterAddr = a.Src
	}
	if ignore {
		// the deadline stays where it was
		left := v.sands.Sub(m.now).Microseconds()
		if v.sands.IsZero() || left < 0 {
			left = 0
		}
		v.msDownTimer = left
	}
}

// masterRx is vrrp_state_master_rx (spec §4.4); true means step down.
func (m *Machine) masterRx(v *fsmInstance, a AdvertReceived) bool {
	if a.Rejected {
		return false
	}
	cmp := 0
	if v.src.IsValid() && a.Src.IsValid() && v.src.Is4() == a.Src.Is4() {
		cmp = a.Src.Compare(v.src)
	}
	if a.Priority == 0 || (v.higherPrioSendAdvert && (a.Priority > v.effPrio || (a.Priority == v.effPrio && cmp > 0))) {
		m.sendAdvert(v, v.effPrio)
		if a.Priority == 0 {
			m.log(true, "(%s) Master received priority 0 message", v.name)
			return false
		}
	}
	if a.Priority == v.effPrio {
		if cmp == 0 {
			m.log(false, "(%s) WARNING - equal priority advert received from remote host with our IP address.", v.name)
		} else if v.effPrio == fsmPrioOwner {
			m.log(false, "(%s) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority", v.name)
			v.effPrio, v.basePrio = fsmPrioOwner-1, fsmPrioOwner-1
			v.totalPrio = v.basePrio
		}
	}
	if a.Priority < v.effPrio || (a.Priority == v.effPrio && cmp < 0) {
		suffix := ""
		if !v.lowerPrioNoAdvert {
			suffix = ", forcing new election"
		}
		m.log(false, "(%s) Received advert from %s with lower priority %d, ours %d%s", v.name, a.Src, a.Priority, v.effPrio, suffix)
		if !v.lowerPrioNoAdvert {
			m.sendAdvert(v, v.effPrio)
		}
		m.lowerPrioGarp(v)
		if v.sync != nil {
			for _, o := range v.sync.members {
				if o != v {
					m.lowerPrioGarp(o)
				}
			}
		}
		m.emit(Action{Kind: ActNotify, Instance: v.name, State: v.state, NotifyType: "MASTER_RX_LOWER_PRI", Priority: v.effPrio})
		return false
	}
	if a.Priority > v.effPrio || (a.Priority == v.effPrio && cmp > 0) {
		if a.Priority > v.effPrio {
			m.log(false, "(%s) Master received advert from %s with higher priority %d, ours %d", v.name, a.Src, a.Priority, v.effPrio)
		} else {
			m.log(false, "(%s) Master received advert from %s with same priority %d but higher IP address than ours", v.name, a.Src, a.Priority)
		}
		if v.version == 3 {
			if us := a.Interval.Microseconds(); us > 0 && us != v.masterAdverInt {
				m.log(true, "(%s) advertisement interval updated from %dms to %dms by master",
					v.name, v.masterAdverInt/1000, us/1000)
				v.masterAdverInt = us
			}
		}
		v.msDownTimer = v.mdiUS()
		v.masterPrio = a.Priority
		v.wantstate = StateBackup
		v.state = StateBackup
		return true
	}
	return false
}

// lowerPrioGarp sends garp_lower_prio_repeat rounds now and schedules the
// same after garp_lower_prio_delay.
func (m *Machine) lowerPrioGarp(v *fsmInstance) {
	if v.garpLowerPrioRep == 0 {
		return
	}
	m.sendLinkUpdate(v, v.garpLowerPrioRep)
	if v.garpLowerPrioDelay > 0 {
		v.garpTimers = append(v.garpTimers, fsmGarpTimer{at: m.now.Add(usDuration(v.garpLowerPrioDelay)), repeat: v.garpLowerPrioRep})
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
}

// becomeMaster is vrrp_state_become_master.
func (m *Machine) becomeMaster(v *fsmInstance) {
	if v.hasVIPs {
		m.emit(Action{Kind: ActAddVIPs, Instance: v.name, Accept: v.accept})
	}
	if v.hasEVIPs {
		m.emit(Action{Kind: ActAddEVIPs, Instance: v.name, Accept: v.accept})
	}
	v.vipSet = true
	if v.hasRoutes {
		m.emit(Action{Kind: ActAddRoutes, Instance: v.name})
	}
	if v.hasRules {
		m.emit(Action{Kind: ActAddRules, Instance: v.name})
	}
	m.sendLinkUpdate(v, v.garpRep)
	if v.garpRefresh > 0 {
		v.garpRefreshTimer = m.now.Add(usDuration(v.garpRefresh))
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
	m.emit(Action{Kind: ActSendAdvert, Instance: v.name, Priority: prio})
}

// restoreInterface is vrrp_restore_interface: optional priority-0 advert,
// then rules, routes, queued GARPs and addresses are removed.
func (m *Machine) restoreInterface(v *fsmInstance, advF bool) {
	if advF {
		m.sendAdvert(v, 0)
		m.log(true, "(%s) sent 0 priority", v.name)
	}
	if v.hasRules {
		m.emit(Action{Kind: ActDelRules, Instance: v.name})
	}
	if v.hasRoutes {
		m.emit(Action{Kind: ActDelRoutes, Instance: v.name})
	}
	m.emit(Action{Kind: ActCancelGARP, Instance: v.name})
	if v.vipSet {
		if v.hasVIPs {
			m.emit(Action{Kind: ActDelVIPs, Instance: v.name, Accept: v.accept})
		}
		if v.hasEVIPs {
			m.emit(Action{Kind: ActDelEVIPs, Instance: v.name, Accept: v.accept})
		}
		v.vipSet = false
	}
}

// restoreForce removes what a previous run may have left (start-up).
func (m *Machine) restoreForce(v *fsmInstance) {
	if v.hasRules {
		m.emit(Action{Kind: ActDelRules, Instance: v.name, Force: true})
	}
	if v.hasRoutes {
		m.emit(Action{Kind: ActDelRoutes, Instance: v.name, Force: true})
	}
	if v.hasVIPs {
		m.emit(Action{Kind: ActDelVIPs, Instance: v.name, Accept: v.accept, Force: true})
	}
	if v.hasEVIPs {
		m.emit(Action{Kind: ActDelEVIPs, Instance: v.name, Accept: v.accept, Force: true})
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
