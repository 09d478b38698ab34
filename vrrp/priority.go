package vrrp

// Tracked objects and the effective priority (spec §5). Each tracked object
// (interface, vrrp_script, track_file, vrrp_track_process) is shared by the
// instances that track it; a link joins one object to one instance with the
// weight and direction that instance gave it. A link with weight 0 puts its
// instance in FAULT while the object is failed (or OK, with reverse); a
// weighted link adds to the instance's total priority, which is clamped to
// 1..254 and never applied to an address owner (priority 255).

type fsmTrackKind int

const (
	fsmTrackInterface fsmTrackKind = iota
	fsmTrackScript
	fsmTrackFile
	fsmTrackProcess
	fsmTrackBFD
)

// keepalived's SCRIPT_INIT_STATE_*: a script that has not run yet, one
// configured with init_fail, and one that has reported.
const (
	fsmScriptInit = iota
	fsmScriptInitFailed
	fsmScriptDone
)

type fsmTrackObj struct {
	kind fsmTrackKind
	name string

	// interface
	up bool

	// vrrp_script: keepalived's result counter, 0..rise+fall-1; the script
	// is OK when result >= rise.
	rise, fall int
	result     int
	initState  int
	lastStatus int

	// track_file
	value int64

	// vrrp_track_process
	count             int
	quorum, quorumMax int
	haveQuorum        bool

	links []*fsmTrackLink
}

type fsmTrackLink struct {
	inst   *fsmInstance
	obj    *fsmTrackObj
	weight int
	// mult is keepalived's weight_multiplier: -1 with reverse.
	mult int
}

// ok is the object's own verdict (not used for files).
func (o *fsmTrackObj) ok() bool {
	switch o.kind {
	case fsmTrackInterface:
		return o.up
	case fsmTrackScript:
		return o.result >= o.rise
	case fsmTrackProcess:
		return o.haveQuorum
	case fsmTrackBFD:
		return o.up
	}
	return o.value == 0
}

// fileStatus is keepalived's tracked-file status of a link: the
// contribution, clamped to -254..253, where -254 means FAULT.
func (l *fsmTrackLink) fileStatus(value int64) int {
	if l.weight == 0 {
		if (value != 0) == (l.mult == 1) {
			return -254
		}
		return 0
	}
	s := value * int64(l.weight) * int64(l.mult)
	switch {
	case s < -254:
		return -254
	case s > 253:
		return 253
	}
	return int(s)
}

// weightedContribution is what a weighted interface/script/process link
// adds while the object is ok (or not): the weight's sign selects the state
// in which it applies (spec §5.1).
func (l *fsmTrackLink) weightedContribution(ok bool) int {
	if (l.weight > 0) == ok {
		return l.weight * l.mult
	}
	return 0
}

// faultWith tells whether a weight-0 link faults its instance.
func (l *fsmTrackLink) faultWith(ok bool) bool { return ok != (l.mult == 1) }

// initTracking is keepalived's initialise_tracking_priorities for every
// instance: initial faults and contributions, then the effective priority.
func (m *Machine) initTracking() {
	for _, o := range m.objs {
		if o.kind != fsmTrackInterface {
			continue
		}
		for _, l := range o.links {
			v := l.inst
			if l.weight == 0 {
				if l.faultWith(o.up) {
					m.log(false, "(%s): entering FAULT state (interface %s down)", v.name, o.name)
					v.state = StateFault
					v.numFault++
				}
				continue
			}
			v.totalPrio += l.weightedContribution(o.up)
		}
	}
	for _, o := range m.objs {
		if o.kind != fsmTrackFile {
			continue
		}
		for _, l := range o.links {
			v := l.inst
			s := l.fileStatus(o.value)
			if s == -254 {
				m.log(false, "(%s): entering FAULT state (tracked file %s has status %d)", v.name, o.name, s)
				v.state = StateFault
				v.numFault++
				continue
			}
			v.totalPrio += s
		}
	}
	for _, o := range m.objs {
		if o.kind != fsmTrackProcess {
			continue
		}
		o.haveQuorum = o.count >= o.quorum && o.count <= o.quorumMax
		for _, l := range o.links {
			v := l.inst
			if l.weight == 0 {
				if l.faultWith(o.haveQuorum) {
					m.log(false, "(%s) entering FAULT state (tracked process %s quorum not achieved)", v.name, o.name)
					v.state = StateFault
					v.numFault++
				}
				continue
			}
			v.totalPrio += l.weightedContribution(o.haveQuorum)
		}
	}
	for _, v := range m.insts {
		if !v.src.IsValid() {
			m.log(false, "(%s) entering FAULT state (no IPv%d address for interface)", v.name, v.family)
			v.state = StateFault
			v.numFault++
			v.faultCauses[fsmNoSourceAddr] = true
		}
		for _, l := range v.scriptLinks {
			o := l.obj
			if l.weight == 0 {
				switch {
				case o.initState == fsmScriptInit:
					v.numScriptInit++
				case o.initState == fsmScriptInitFailed || o.result < o.rise:
					v.numFault++
					m.log(false, "(%s): entering FAULT state due to script %s", v.name, o.name)
					v.state = StateFault
				}
				continue
			}
			if v.basePrio == fsmPrioOwner || o.initState == fsmScriptInit {
				continue
			}
			v.totalPrio += l.weightedContribution(o.result >= o.rise)
		}
		for _, l := range v.bfdLinks {
			// initialise_track_bfd_state: no message here
			switch {
			case l.weight == 0:
				if l.faultWith(l.obj.up) {
					v.numFault++
					v.state = StateFault
				}
			default:
				v.totalPrio += l.weightedContribution(l.obj.up)
			}
		}
		m.setEffectivePriority(v)
		if g := v.sync; g != nil {
			if v.state == StateFault {
				if g.state != StateFault {
					g.state = StateFault
					m.log(false, "VRRP_Group(%s): Syncing %s to FAULT state", g.name, v.name)
				}
				g.numMemberFault++
			}
			if v.numScriptInit > 0 {
				g.numMemberInit++
				if g.state != StateFault {
					g.state = StateInit
				}
			}
		}
	}
}

// setEffectivePriority is vrrp_set_effective_priority: clamp the total,
// log the change, move a backup's down timer by the change of
// Master_Down_Interval, and tell FIFOs when notify_priority_changes is set.
func (m *Machine) setEffectivePriority(v *fsmInstance) {
	if v.basePrio == fsmPrioOwner {
		return
	}
	p := v.totalPrio
	switch {
	case p < 1:
		p = 1
	case p >= fsmPrioOwner:
		p = fsmPrioOwner - 1
	}
	if p == v.effPrio {
		return
	}
	m.log(false, "(%s) Changing effective priority from %d to %d", v.name, v.effPrio, p)
	v.effPrio = p
	old := v.msDownTimer
	v.msDownTimer = v.mdiUS()
	if v.state == StateBackup && !v.sands.IsZero() {
		v.sands = v.sands.Add(usDuration(v.msDownTimer - old))
		// A big rise can move the deadline behind us: keepalived's timer
		// then fires at once, which a deadline of now says.
		if v.sands.Before(m.now) {
			v.sands = m.now
		}
	}
	if v.notifyPriorityChanges {
		t := "BACKUP_PRIORITY"
		if v.state == StateMaster {
			t = "MASTER_PRIORITY"
		}
		m.emit(Action{Kind: ActNotify, Instance: v.name, State: v.state, NotifyType: t, Priority: v.effPrio})
	}
}

// scriptResult is vrrp_script_child_thread's bookkeeping: the rise/fall
// counter, keepalived's log lines, and the instances' reaction when the
// script's verdict changes.
func (m *Machine) scriptResult(r ScriptResult) {
	o := m.objByKey[fsmObjKey{fsmTrackScript, r.Script}]
	if o == nil {
		return
	}
	var exitType, reason string
	code := 0
	success := false
	switch {
	case r.TimedOut:
		exitType = "timed_out"
	case r.Signal != 0:
		exitType, reason, code = "failed", "due to signal", r.Signal
	default:
		if r.ExitStatus != o.lastStatus {
			m.log(false, "Script `%s` now returning %d", o.name, r.ExitStatus)
		}
		o.lastStatus = r.ExitStatus
		if r.ExitStatus == 0 {
			exitType, success = "succeeded", true
		} else {
			exitType, reason, code = "failed", "exited with status", r.ExitStatus
		}
	}
	if success {
		switch {
		case o.result < o.rise-1:
			o.result++
		case o.result != o.rise+o.fall-1:
			if o.result < o.rise {
				m.log(false, "VRRP_Script(%s) %s", o.name, exitType)
				m.updateScript(o, true)
			}
			o.result = o.rise + o.fall - 1
		}
	} else {
		if o.result > o.rise {
			o.result--
		} else {
			if o.result == o.rise || o.initState == fsmScriptInit {
				if reason != "" {
					m.log(false, "VRRP_Script(%s) %s (%s %d)", o.name, exitType, reason, code)
				} else {
					m.log(false, "VRRP_Script(%s) %s", o.name, exitType)
				}
				m.updateScript(o, false)
			}
			o.result = 0
		}
	}
	o.initState = fsmScriptDone
}

// updateScript is update_script_priorities / process_script_update_priority.
func (m *Machine) updateScript(o *fsmTrackObj, ok bool) {
	for _, l := range o.links {
		v := l.inst
		if l.weight == 0 {
			leftInit := false
			if o.initState == fsmScriptInit && v.numScriptInit > 0 {
				v.numScriptInit--
				if v.numScriptInit == 0 {
					leftInit = true
					if v.sync != nil {
						v.sync.numMemberInit--
					}
				}
			}
			if l.faultWith(ok) {
				m.downInstance(v)
			} else if v.numScriptInit == 0 && (v.sync == nil || v.sync.numMemberInit == 0) {
				m.tryUpInstance(v, leftInit)
			}
			continue
		}
		w := l.weight
		if o.initState == fsmScriptInit {
			if (ok && w > 0) || (!ok && w < 0) {
				v.totalPrio += w * l.mult
			}
		} else {
			if w < 0 {
				w = -w
			}
			if ok {
				v.totalPrio += w * l.mult
			} else {
				v.totalPrio -= w * l.mult
			}
		}
		m.setEffectivePriority(v)
	}
}

// interfaceChanged applies a link state change to every instance tracking
// the interface.
func (m *Machine) interfaceChanged(name string, up bool) {
	o := m.objByKey[fsmObjKey{fsmTrackInterface, name}]
	if o == nil || o.up == up {
		return
	}
	o.up = up
	m.binaryChanged(o, up)
}

// processChanged is process_update_track_process_status.
func (m *Machine) processChanged(name string, count int) {
	o := m.objByKey[fsmObjKey{fsmTrackProcess, name}]
	if o == nil {
		return
	}
	o.count = count
	q := count >= o.quorum && count <= o.quorumMax
	if q == o.haveQuorum {
		return
	}
	o.haveQuorum = q
	word := "lost"
	if q {
		word = "gained"
	}
	m.log(false, "Quorum %s for tracked process %s", word, o.name)
	m.binaryChanged(o, q)
}

// bfdChanged is vrrp_handle_bfd_event.
func (m *Machine) bfdChanged(name string, up bool) {
	o := m.objByKey[fsmObjKey{fsmTrackBFD, name}]
	if o == nil || o.up == up {
		return
	}
	o.up = up
	word := "DOWN"
	if up {
		word = "UP"
	}
	for _, l := range o.links {
		m.log(false, "VRRP_Instance(%s) Tracked BFD instance %s is %s", l.inst.name, o.name, word)
		m.binaryChanged(&fsmTrackObj{links: []*fsmTrackLink{l}}, up)
	}
}

// binaryChanged handles an up/down object (interface, process, BFD).
func (m *Machine) binaryChanged(o *fsmTrackObj, ok bool) {
	for _, l := range o.links {
		v := l.inst
		if l.weight == 0 {
			if l.faultWith(ok) {
				m.downInstance(v)
			} else {
				m.tryUpInstance(v, false)
			}
			continue
		}
		if v.basePrio == fsmPrioOwner {
			continue
		}
		v.totalPrio += l.weightedContribution(ok) - l.weightedContribution(!ok)
		m.setEffectivePriority(v)
	}
}

// fileChanged is update_track_file_status / process_update_vrrp_track_file_status.
func (m *Machine) fileChanged(name string, value int64) {
	o := m.objByKey[fsmObjKey{fsmTrackFile, name}]
	if o == nil || o.value == value {
		return
	}
	old := o.value
	o.value = value
	for _, l := range o.links {
		v := l.inst
		prev, next := l.fileStatus(old), l.fileStatus(value)
		if prev == next {
			continue
		}
		switch {
		case next == -254:
			m.log(true, "(%s): tracked file %s now FAULT state", v.name, o.name)
			if l.weight != 0 {
				v.totalPrio -= prev
			}
			m.downInstance(v)
		case prev == -254:
			if l.weight != 0 {
				// keepalived sets the priority here without its usual
				// message or down timer adjustment.
				v.totalPrio += next
				if v.basePrio != fsmPrioOwner {
					v.effPrio = min(max(v.totalPrio, 1), fsmPrioOwner-1)
				}
			}
			m.log(true, "(%s): tracked file %s leaving FAULT state", v.name, o.name)
			if next != 0 {
				m.log(true, "(%s) Setting effective priority to %d", v.name, v.effPrio)
			}
			m.tryUpInstance(v, false)
		default:
			v.totalPrio += next - prev
			m.setEffectivePriority(v)
		}
	}
}

// faultChanged counts a non-tracker fault cause of one instance.
func (m *Machine) faultChanged(f FaultChanged) {
	v := m.byName[f.Instance]
	if v == nil || v.faultCauses[f.Cause] == f.On {
		return
	}
	if f.On {
		v.faultCauses[f.Cause] = true
		m.downInstance(v)
		return
	}
	delete(v.faultCauses, f.Cause)
	m.tryUpInstance(v, false)
}

// fsmNoSourceAddr is the fault cause of an instance without a source
// address.
const fsmNoSourceAddr = "no source address"

// sourceAddrChanged follows the interface's address for an instance with
// no configured source.
func (m *Machine) sourceAddrChanged(e SourceAddrChanged) {
	v := m.byName[e.Instance]
	if v == nil || v.configuredSrc.IsValid() {
		return
	}
	v.src = e.Addr
	m.faultChanged(FaultChanged{Instance: v.name, Cause: fsmNoSourceAddr, On: !e.Addr.IsValid()})
}

type fsmObjKey struct {
	kind fsmTrackKind
	name string
}
