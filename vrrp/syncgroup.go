package vrrp

// Sync groups (spec §5.7), after keepalived's vrrp_sync.c: members move
// together. A member may only become MASTER when every other member wants
// to as well; one member going MASTER pulls the others up, one stepping
// down to BACKUP or into FAULT takes the others with it.

// syncCanGotoMaster is vrrp_sync_can_goto_master. When the group is not
// ready it re-arms the caller's down timer, as keepalived does.
func (m *Machine) syncCanGotoMaster(v *fsmInstance) bool {
	g := v.sync
	if g.state == StateMaster {
		return true
	}
	for _, o := range g.members {
		if o != v && o.wantstate != StateMaster {
			v.msDownTimer = v.mdiUS()
			m.initSands(v)
			return false
		}
	}
	return true
}

// syncBackup is vrrp_sync_backup.
func (m *Machine) syncBackup(v *fsmInstance) {
	g := v.sync
	if g.state == StateBackup {
		return
	}
	m.log(false, "VRRP_Group(%s) Syncing instances to BACKUP state", g.name)
	for _, o := range g.members {
		if o == v || o.state == StateBackup {
			continue
		}
		o.wantstate = StateBackup
		if o.state == StateFault || o.state == StateInit {
			m.leaveFault(o)
		} else {
			m.leaveMaster(o, false)
		}
	}
	g.state = StateBackup
	m.groupNotify(g)
}

// syncMaster is vrrp_sync_master.
func (m *Machine) syncMaster(v *fsmInstance) {
	g := v.sync
	if g.state == StateMaster || !m.syncCanGotoMaster(v) {
		return
	}
	m.log(false, "VRRP_Group(%s) Syncing instances to MASTER state", g.name)
	for _, o := range g.members {
		if o != v && o.state != StateMaster {
			o.wantstate = StateMaster
			m.gotoMaster(o)
		}
	}
	g.state = StateMaster
	m.groupNotify(g)
}

// syncFault is vrrp_sync_fault.
func (m *Machine) syncFault(v *fsmInstance) {
	g := v.sync
	if g.state == StateFault {
		return
	}
	m.log(false, "VRRP_Group(%s) Syncing instances to FAULT state", g.name)
	for _, o := range g.members {
		if o == v || o.state == StateFault {
			continue
		}
		o.wantstate = StateFault
		switch o.state {
		case StateMaster:
			m.leaveMaster(o, false)
		case StateBackup, StateInit:
			o.state = StateFault
			m.leaveFault(o)
		}
	}
	g.state = StateFault
	m.groupNotify(g)
}

// tsm is VRRP_TSM_HANDLE: the transitions that pull a sync group along.
func (m *Machine) tsm(prev State, v *fsmInstance) {
	if v.sync == nil {
		return
	}
	switch {
	case prev == StateBackup && v.state == StateMaster,
		prev == StateMaster && v.state == StateMaster,
		prev == StateFault && v.state == StateMaster:
		m.syncMaster(v)
	case prev == StateMaster && v.state == StateBackup:
		m.syncBackup(v)
	}
}
