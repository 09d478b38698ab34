package vrrp

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Machine is the VRRP state machine of one configuration: every
// vrrp_instance, vrrp_sync_group and tracked object. It is not safe for
// concurrent use; one goroutine owns it (see the package's runner).
type Machine struct {
	insts    []*fsmInstance
	byName   map[string]*fsmInstance
	groups   []*fsmGroup
	objs     []*fsmTrackObj
	objByKey map[fsmObjKey]*fsmTrackObj
	facts    Facts

	startupDelay int64 // µs, vrrp_startup_delay
	delayedStart time.Time
	started      bool
	stopped      bool

	now time.Time
	out []Action
}

// fsmInstance is one vrrp_instance: its settings and keepalived's vrrp_t
// run-time fields that the state machine uses.
type fsmInstance struct {
	name string

	// settings
	version               int
	family                int
	advertInt             int64 // µs
	downTimerAdverts      int64
	configuredMaster      bool // state MASTER
	nopreempt             bool
	preemptDelay          int64 // µs
	lowerPrioNoAdvert     bool
	higherPrioSendAdvert  bool
	accept                bool
	notifyPriorityChanges bool
	garpRep               int
	garpDelay             int64 // µs
	garpRefresh           int64 // µs
	garpRefreshRep        int
	garpLowerPrioRep      int
	garpLowerPrioDelay    int64 // µs
	garpExtraIf           int64 // µs, garp_extra_if (vmac_garp_intvl)
	hasVIPs, hasEVIPs     bool
	hasRoutes, hasRules   bool
	configuredSrc         netip.Addr
	unicast               bool
	scriptLinks           []*fsmTrackLink
	bfdLinks              []*fsmTrackLink

	// run time (keepalived's names in comments)
	state, wantstate  State
	basePrio, effPrio int
	totalPrio         int
	masterAdverInt    int64 // µs
	msDownTimer       int64 // µs, ms_down_timer
	sands             time.Time
	preemptTime       time.Time
	vipSet            bool
	src               netip.Addr
	masterAddr        netip.Addr
	masterPrio        int
	numFault          int // num_script_if_fault
	numScriptInit     int
	faultCauses       map[string]bool
	notifiesSent      bool
	garpTimers        []fsmGarpTimer
	garpRefreshTimer  time.Time
	garpExtraIfTimer  time.Time
	sync              *fsmGroup

	// keepalived's vrrp_stats send and state counters (see InstanceCounters)
	advertSent, priZeroSent      uint64
	becameMaster, releasedMaster uint64
	// reloadKey is what matches this instance to one of a new
	// configuration on reload (see reloadKeyOf).
	reloadKey string
	// sendDeleted is notify_deleted: an instance gone at reload reports
	// DELETED rather than FAULT.
	sendDeleted bool
}

// fsmGarpTimer is a delayed GARP burst: keepalived's garp_delay and
// garp_lower_prio_delay threads.
type fsmGarpTimer struct {
	at     time.Time
	repeat int
}

type fsmGroup struct {
	name           string
	members        []*fsmInstance
	state          State
	numMemberFault int
	numMemberInit  int
}

// NewMachine builds the machine for a parsed configuration. cfg must have
// been validated by the parser (defaults applied, unknown tracked objects
// dropped); facts are read at Start.
func NewMachine(cfg *parser.Config, facts Facts) (*Machine, error) {
	m := &Machine{
		byName:       map[string]*fsmInstance{},
		objByKey:     map[fsmObjKey]*fsmTrackObj{},
		facts:        facts,
		startupDelay: int64(cfg.Global.VRRPStartupDelay),
	}
	scripts := map[string]*parser.VRRPScript{}
	for _, s := range cfg.VRRPScripts {
		scripts[s.Name] = s
	}
	files := map[string]*parser.TrackFile{}
	for _, f := range cfg.TrackFiles {
		files[f.Name] = f
	}
	bfds := map[string]bool{}
	for _, b := range cfg.BFDInstances {
		bfds[b.Name] = true
	}
	procs := map[string]*parser.TrackProcess{}
	for _, p := range cfg.TrackProcesses {
		procs[p.Name] = p
	}
	for _, vi := range cfg.Instances {
		if _, dup := m.byName[vi.Name]; dup {
			return nil, fmt.Errorf("vrrp: instance %s defined twice", vi.Name)
		}
		v := newFSMInstance(vi)
		v.reloadKey = reloadKeyOf(vi, cfg)
		m.insts = append(m.insts, v)
		m.byName[v.name] = v
	}
	for _, sg := range cfg.SyncGroups {
		g := &fsmGroup{name: sg.Name}
		members := sg.Members
		if members == nil {
			members = sg.Group
		}
		for _, name := range members {
			v := m.byName[name]
			if v == nil {
				return nil, fmt.Errorf("vrrp: sync group %s: instance %s not found", sg.Name, name)
			}
			if v.sync != nil {
				return nil, fmt.Errorf("vrrp: instance %s is in sync groups %s and %s", name, v.sync.name, sg.Name)
			}
			v.sync = g
			g.members = append(g.members, v)
		}
		if len(g.members) > 0 {
			m.groups = append(m.groups, g)
		}
	}

	// Links, in keepalived's order: the instance's own interface, its
	// track_interface entries and the interfaces of its addresses, then the
	// sync group's entries.
	link := func(v *fsmInstance, kind fsmTrackKind, name string, weight int, reverse bool) error {
		key := fsmObjKey{kind, name}
		o := m.objByKey[key]
		if o == nil {
			o = &fsmTrackObj{kind: kind, name: name, up: true, quorumMax: int(^uint(0) >> 1)}
			switch kind {
			case fsmTrackScript:
				s := scripts[name]
				if s == nil {
					return fmt.Errorf("vrrp: instance %s tracks unknown vrrp_script %s", v.name, name)
				}
				o.rise, o.fall = max(int(s.Rise), 1), max(int(s.Fall), 1)
				if s.InitFail {
					o.initState, o.result = fsmScriptInitFailed, 0
				} else {
					o.initState, o.result = fsmScriptInit, o.rise-1
				}
			case fsmTrackFile:
				if files[name] == nil {
					return fmt.Errorf("vrrp: instance %s tracks unknown track_file %s", v.name, name)
				}
			case fsmTrackBFD:
				if !bfds[name] {
					return fmt.Errorf("vrrp: instance %s tracks unknown bfd_instance %s", v.name, name)
				}
				o.up = false
			case fsmTrackProcess:
				p := procs[name]
				if p == nil {
					return fmt.Errorf("vrrp: instance %s tracks unknown vrrp_track_process %s", v.name, name)
				}
				o.quorum = int(p.Quorum)
				if uint64(p.QuorumMax) < uint64(o.quorumMax) {
					o.quorumMax = int(p.QuorumMax)
				}
			}
			m.objByKey[key] = o
			m.objs = append(m.objs, o)
		}
		for _, l := range o.links {
			if l.inst == v {
				return nil // keepalived keeps the first entry
			}
		}
		l := &fsmTrackLink{inst: v, obj: o, weight: weight, mult: 1}
		if reverse {
			l.mult = -1
		}
		o.links = append(o.links, l)
		switch kind {
		case fsmTrackScript:
			v.scriptLinks = append(v.scriptLinks, l)
		case fsmTrackBFD:
			v.bfdLinks = append(v.bfdLinks, l)
		}
		return nil
	}
	entries := func(v *fsmInstance, kind fsmTrackKind, list []*parser.TrackEntry) error {
		for _, t := range list {
			if err := link(v, kind, t.Name, t.Weight, t.Reverse); err != nil {
				return err
			}
		}
		return nil
	}
	for i, vi := range cfg.Instances {
		v := m.insts[i]
		if vi.Interface != "" && !vi.DontTrackPrimary {
			if err := link(v, fsmTrackInterface, vi.Interface, 0, false); err != nil {
				return nil, err
			}
		}
		if err := entries(v, fsmTrackInterface, vi.TrackInterfaces); err != nil {
			return nil, err
		}
		for _, list := range [][]*parser.IPAddress{vi.VIPs, vi.EVIPs} {
			for _, a := range list {
				if a.Dev != "" && a.Dev != vi.Interface && !a.NoTrack {
					if err := link(v, fsmTrackInterface, a.Dev, 0, false); err != nil {
						return nil, err
					}
				}
			}
		}
		for _, e := range []struct {
			kind fsmTrackKind
			list []*parser.TrackEntry
		}{{fsmTrackScript, vi.TrackScripts}, {fsmTrackFile, vi.TrackFiles}, {fsmTrackProcess, vi.TrackProcesses}, {fsmTrackBFD, vi.TrackBFDs}} {
			if err := entries(v, e.kind, e.list); err != nil {
				return nil, err
			}
		}
	}
	for _, sg := range cfg.SyncGroups {
		var g *fsmGroup
		for _, x := range m.groups {
			if x.name == sg.Name {
				g = x
			}
		}
		if g == nil {
			continue
		}
		for _, v := range g.members {
			for _, e := range []struct {
				kind fsmTrackKind
				list []*parser.TrackEntry
			}{{fsmTrackInterface, sg.TrackInterfaces}, {fsmTrackScript, sg.TrackScripts}, {fsmTrackFile, sg.TrackFiles}, {fsmTrackProcess, sg.TrackProcesses}, {fsmTrackBFD, sg.TrackBFDs}} {
				if err := entries(v, e.kind, e.list); err != nil {
					return nil, err
				}
			}
		}
	}
	return m, nil
}

func newFSMInstance(vi *parser.VRRPInstance) *fsmInstance {
	v := &fsmInstance{
		name:                  vi.Name,
		version:               vi.Version,
		family:                vi.Family,
		advertInt:             int64(vi.AdvertInt),
		downTimerAdverts:      int64(vi.DownTimerAdverts),
		configuredMaster:      vi.State == "MASTER",
		nopreempt:             vi.NoPreempt,
		preemptDelay:          int64(vi.PreemptDelay),
		lowerPrioNoAdvert:     vi.LowerPrioNoAdvert,
		higherPrioSendAdvert:  vi.HigherPrioSendAdvert,
		accept:                vi.Accept,
		notifyPriorityChanges: vi.NotifyPriorityChanges,
		garpRep:               int(vi.GarpMasterRepeat),
		garpDelay:             int64(vi.GarpMasterDelay) * fsmTimerHz,
		garpRefresh:           int64(vi.GarpMasterRefresh) * fsmTimerHz,
		garpRefreshRep:        int(vi.GarpMasterRefreshRepeat),
		garpLowerPrioRep:      int(vi.GarpLowerPrioRepeat),
		garpLowerPrioDelay:    int64(vi.GarpLowerPrioDelay) * fsmTimerHz,
		hasVIPs:               len(vi.VIPs) > 0,
		hasEVIPs:              len(vi.EVIPs) > 0,
		hasRoutes:             len(vi.Routes) > 0,
		hasRules:              len(vi.Rules) > 0,
		configuredSrc:         vi.SrcIP,
		unicast:               vi.Unicast,
		basePrio:              vi.Priority,
		faultCauses:           map[string]bool{},
		sendDeleted:           vi.SendDeleted,
	}
	// keepalived drops garp_extra_if when there is no extra interface
	// (with `all`) or no per-address VMAC (without).
	extraIf, extraVMAC := false, false
	for _, list := range [][]*parser.IPAddress{vi.VIPs, vi.EVIPs} {
		for _, a := range list {
			extraIf = extraIf || (a.Dev != "" && a.Dev != vi.Interface)
			extraVMAC = extraVMAC || a.UseVMAC
		}
	}
	if vi.GarpExtraIf > 0 && !((!extraIf && !extraVMAC) || (!extraVMAC && !vi.GarpExtraIfAll)) {
		v.garpExtraIf = int64(vi.GarpExtraIf) * fsmTimerHz
	}
	if v.version != 3 {
		v.version = 2
	}
	if v.family != 6 {
		v.family = 4
	}
	if v.advertInt <= 0 {
		v.advertInt = fsmTimerHz
	}
	if v.downTimerAdverts <= 0 {
		v.downTimerAdverts = 3
	}
	if v.basePrio <= 0 || v.basePrio > fsmPrioOwner {
		v.basePrio = 100
	}
	if v.configuredMaster {
		// keepalived clears these for an initial state of MASTER.
		v.nopreempt, v.preemptDelay = false, 0
	}
	v.effPrio, v.totalPrio = v.basePrio, v.basePrio
	v.masterAdverInt = v.advertInt
	v.state, v.wantstate = StateInit, StateBackup
	if v.configuredMaster {
		v.wantstate = StateMaster
	}
	return v
}

// NextDeadline is when the machine next needs a Timer event; ok is false
// when no timer runs.
func (m *Machine) NextDeadline() (t time.Time, ok bool) {
	for _, v := range m.insts {
		if !v.sands.IsZero() && (!ok || v.sands.Before(t)) {
			t, ok = v.sands, true
		}
		for _, g := range v.garpTimers {
			if !ok || g.at.Before(t) {
				t, ok = g.at, true
			}
		}
	}
	return t, ok
}

// Instances lists the instance names in configuration order.
func (m *Machine) Instances() []string {
	names := make([]string, len(m.insts))
	for i, v := range m.insts {
		names[i] = v.name
	}
	return names
}

// Status reports one instance; ok is false for an unknown name.
func (m *Machine) Status(name string) (s InstanceStatus, ok bool) {
	v := m.byName[name]
	if v == nil {
		return s, false
	}
	return InstanceStatus{
		Name:               v.name,
		State:              v.state,
		WantState:          v.wantstate,
		BasePriority:       v.basePrio,
		EffectivePriority:  v.effPrio,
		MasterAdverInt:     usDuration(v.masterAdverInt),
		MasterDownInterval: usDuration(v.msDownTimer),
		Deadline:           v.sands,
		VIPsSet:            v.vipSet,
		MasterAddr:         v.masterAddr,
		MasterPriority:     v.masterPrio,
		SourceAddr:         v.src,
		Faults:             v.numFault,
		ScriptsInit:        v.numScriptInit,
	}, true
}

// GroupState reports a sync group's state; ok is false for an unknown name.
func (m *Machine) GroupState(name string) (State, bool) {
	for _, g := range m.groups {
		if g.name == name {
			return g.state, true
		}
	}
	return StateInit, false
}

// Handle feeds one event at time now and returns what to do, in order.
// now must not go backwards between calls.
func (m *Machine) Handle(now time.Time, ev Event) []Action {
	if now.Before(m.now) {
		now = m.now // a clock step backwards must not move deadlines into the past
	}
	m.now = now
	m.out = nil
	if m.stopped {
		return nil
	}
	if _, ok := ev.(Start); ok {
		if !m.started {
			m.start()
		}
		return m.flush()
	}
	if !m.started {
		return nil
	}
	switch e := ev.(type) {
	case Timer:
		m.timers()
	case AdvertReceived:
		m.advert(e)
	case ScriptResult:
		m.scriptResult(e)
	case InterfaceChanged:
		m.interfaceChanged(e.Name, e.Up)
	case TrackFileChanged:
		m.fileChanged(e.Name, e.Value)
	case ProcessCountChanged:
		m.processChanged(e.Name, e.Count)
	case FaultChanged:
		m.faultChanged(e)
	case BFDChanged:
		m.bfdChanged(e.Name, e.Up)
	case SourceAddrChanged:
		m.sourceAddrChanged(e)
	case AddressLost:
		m.addressLost(e.Instance)
	case Shutdown:
		m.shutdown()
	}
	return m.flush()
}

func (m *Machine) flush() []Action {
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) log(detail bool, format string, args ...any) {
	m.emit(Action{Kind: ActLog, Msg: fmt.Sprintf(format, args...), Detail: detail})
}

// dueOrder lists the instances whose timer is due, earliest first.
func (m *Machine) dueInstances() []*fsmInstance {
	var due []*fsmInstance
	for _, v := range m.insts {
		if !v.sands.IsZero() && !v.sands.After(m.now) {
			due = append(due, v)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].sands.Before(due[j].sands) })
	return due
}
