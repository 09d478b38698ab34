package vrrp

// InstanceCounters are the send and state counters of keepalived's
// vrrp_stats that the state machine keeps: adverts sent (priority 0
// included), priority-0 adverts sent on resigning, transitions to and from
// MASTER. They survive a Reload for a matched instance.
type InstanceCounters struct {
	AdvertSent    uint64
	PriZeroSent   uint64
	BecomeMaster  uint64
	ReleaseMaster uint64
}

// Counters reports one instance's counters; ok is false for an unknown
// name.
func (m *Machine) Counters(name string) (c InstanceCounters, ok bool) {
	v := m.byName[name]
	if v == nil {
		return c, false
	}
	return InstanceCounters{AdvertSent: v.advertSent, PriZeroSent: v.priZeroSent, BecomeMaster: v.becameMaster,
		ReleaseMaster: v.releasedMaster}, true
}

// ClearCounters zeroes every instance's counters (keepalived's
// --signum=STATS_CLEAR).
func (m *Machine) ClearCounters() {
	for _, v := range m.insts {
		v.advertSent, v.priZeroSent, v.becameMaster, v.releasedMaster = 0, 0, 0, 0
	}
}

// ScriptStatus is the state machine's view of one tracked vrrp_script.
type ScriptStatus struct {
	Name string
	// Result is keepalived's counter, 0..Rise+Fall-1; the script is good
	// when Result >= Rise.
	Result     int
	Rise, Fall int
	// InitState is keepalived's word for the script's start-up state:
	// "INIT" (no result yet), "INIT/FAILED" (init_fail, no result yet) or
	// "" once it has reported.
	InitState string
	// LastStatus is the last exit status reported.
	LastStatus int
}

// Good tells whether the script counts as succeeding.
func (s ScriptStatus) Good() bool { return s.Result >= s.Rise }

// Scripts lists the tracked vrrp_scripts in the order they were first
// tracked.
func (m *Machine) Scripts() []ScriptStatus {
	var out []ScriptStatus
	for _, o := range m.objs {
		if o.kind != fsmTrackScript {
			continue
		}
		s := ScriptStatus{Name: o.name, Result: o.result, Rise: o.rise, Fall: o.fall, LastStatus: o.lastStatus}
		switch o.initState {
		case fsmScriptInit:
			s.InitState = "INIT"
		case fsmScriptInitFailed:
			s.InitState = "INIT/FAILED"
		}
		out = append(out, s)
	}
	return out
}

// SyncGroups lists the sync groups with their states, in configuration
// order.
func (m *Machine) SyncGroups() []SyncGroupStatus {
	out := make([]SyncGroupStatus, 0, len(m.groups))
	for _, g := range m.groups {
		s := SyncGroupStatus{Name: g.name, State: g.state, NumMemberFault: g.numMemberFault, NumMemberInit: g.numMemberInit}
		for _, v := range g.members {
			s.Members = append(s.Members, v.name)
		}
		out = append(out, s)
	}
	return out
}

// SyncGroupStatus is a snapshot of one vrrp_sync_group.
type SyncGroupStatus struct {
	Name           string
	State          State
	Members        []string
	NumMemberFault int
	NumMemberInit  int
}
