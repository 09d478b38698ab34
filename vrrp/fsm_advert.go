package vrrp

import "time"

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
