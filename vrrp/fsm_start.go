package vrrp

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
		case fsmTrackBFD:
			o.up = m.facts.BFDUp != nil && m.facts.BFDUp(o.name)
		}
	}
	for _, v := range m.insts {
		v.src = v.configuredSrc
		if !v.src.IsValid() && m.facts.SourceAddr != nil {
			v.src = m.facts.SourceAddr(v.name)
		}
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

	// vrrp_restore_interfaces_startup: left-overs of a previous run (a
	// crash) go before the instances start.
	for _, v := range m.insts {
		m.restoreForce(v)
	}

	// vrrp_init_state
	for _, g := range m.groups {
		if g.state == StateFault || g.state == StateBackup {
			m.groupNotify(g)
		}
	}
	for _, v := range m.insts {
		m.initState(v)
	}
	for _, v := range m.insts {
		m.initSands(v)
	}
}

// initState is vrrp_init_state for one instance: BACKUP (or FAULT), or on
// its way to MASTER at once for an address owner configured MASTER.
func (m *Machine) initState(v *fsmInstance) {
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
		return
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
