package vrrp

// The VRRP state machine: a pure core that the runner feeds events and that
// answers with actions. It owns every instance and sync group of one
// configuration, because keepalived moves sync group members and shares
// tracked objects (a vrrp_script tracked by several instances) across
// instances synchronously, in one thread. It follows keepalived 2.2.7's
// vrrp.c, vrrp_scheduler.c, vrrp_sync.c and vrrp_track.c function by
// function, and its log lines are keepalived's, word for word.
//
// Contract with the runner:
//
//   - Build it with NewMachine(cfg, facts), then call Handle(now, Start{})
//     once; events before Start and after Shutdown are ignored.
//   - Call Handle(now, ev) for every event, in order, from one goroutine;
//     now is the runner's clock (virtual in tests) and must not go back.
//     Execute the returned actions in order: the order is keepalived's
//     (advert before addresses before GARP before notifications).
//   - After every Handle, ask NextDeadline and call Handle(now, Timer{}) as
//     soon as it passes; no deadline lies before the now of the last call.
//     Do the same with the GARPPacer's NextDeadline and Due.
//   - Hand adverts in after the codec validated them (spec §2), with the
//     instance they belong to, the IP source, priority and (v3) interval.
//     An advert that failed validation is still handed in with Rejected
//     set, because a master restarts its advert timer even then (§4.4).
//   - Report each vrrp_script run (ScriptResult), link changes of any
//     interface (InterfaceChanged; the machine ignores untracked ones),
//     track_file values, process counts, source address changes, other
//     fault causes (FaultChanged), addresses removed behind our back
//     (AddressLost), and SIGTERM (Shutdown).
//   - ActLog lines with Detail set are those keepalived prints only with -D.
//
// Nothing here reads a clock, sleeps, starts a goroutine or makes a syscall.
//
// Time is kept in keepalived's integer microseconds, so Skew_Time and
// Master_Down_Interval match it to the microsecond (see SkewTime and
// MasterDownInterval).

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a VRRP instance or sync group state as keepalived names it.
type State int

// The states of keepalived's state machine (spec §4.1).
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStop
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStop:
		return "STOP"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Event is something the runner tells the machine. The concrete types are
// Start, Timer, AdvertReceived, ScriptResult, InterfaceChanged,
// TrackFileChanged, ProcessCountChanged, BFDChanged, FaultChanged,
// SourceAddrChanged, AddressLost and Shutdown.
type Event interface{ fsmEvent() }

// Start begins operation: it reads the tracked objects' initial states from
// the Facts given to NewMachine and puts every instance in BACKUP or FAULT
// (or on its way to MASTER for an address owner), as keepalived's start-up
// does (spec §4.2).
type Start struct{}

// Timer tells the machine that NextDeadline has passed: every timer due at
// now fires (advert timers, down timers, delayed gratuitous ARP bursts).
type Timer struct{}

// AdvertReceived is an advert for one instance, after the codec's checks.
type AdvertReceived struct {
	Instance string
	// Src is the advert's IP source address.
	Src netip.Addr
	// Priority is the advert's priority (0 = the master resigns).
	Priority int
	// Interval is the advert's interval: for v3 the Max Adver Int field
	// (centiseconds × 10 ms); v2 carries whole seconds, not used here.
	Interval time.Duration
	// Rejected is set when the advert failed validation: it is ignored,
	// but a master still restarts its advert timer (keepalived's quirk).
	Rejected bool
}

// ScriptResult is one finished run of a vrrp_script.
type ScriptResult struct {
	Script string
	// ExitStatus is the exit code when the script exited normally.
	ExitStatus int
	// Signal is the signal that killed it (0 when it exited).
	Signal int
	// TimedOut is set when the runner killed it for outliving its timeout.
	TimedOut bool
}

// InterfaceChanged reports a network interface going up or down.
type InterfaceChanged struct {
	Name string
	Up   bool
}

// TrackFileChanged reports the number now read from a track_file (the
// runner parses it as keepalived does: strtol base 0, missing/empty = 0).
type TrackFileChanged struct {
	Name  string
	Value int64
}

// ProcessCountChanged reports how many processes now match a
// vrrp_track_process.
type ProcessCountChanged struct {
	Name  string
	Count int
}

// FaultChanged sets or clears a fault cause of one instance that is not a
// tracked object: no source address, unicast_fault_no_peer, a duplicate
// VRID... Each distinct Cause counts once; all must clear to leave FAULT.
type FaultChanged struct {
	Instance string
	Cause    string
	On       bool
}

// BFDChanged reports a bfd_instance going up or down (track_bfd).
type BFDChanged struct {
	Name string
	Up   bool
}

// SourceAddrChanged gives an instance without unicast_src_ip/mcast_src_ip
// the address its adverts now leave from (the interface's primary IPv4
// address or IPv6 link-local); an invalid Addr means there is none, which
// is a fault until one appears (keepalived's "no IPv4 address for
// interface").
type SourceAddrChanged struct {
	Instance string
	Addr     netip.Addr
}

// AddressLost tells that a VIP, eVIP, virtual route or rule of a MASTER
// instance (one without no_track) was removed by someone else. keepalived
// then resigns as if stopping (priority-0 advert, addresses removed,
// BACKUP) and comes back after Skew_Time if nobody else takes over; the
// other MASTER members of its sync group do the same (spec §6.1).
type AddressLost struct {
	Instance string
}

// Shutdown stops every instance as SIGTERM does: masters send a priority-0
// advert and release their addresses, then STOP notifications.
type Shutdown struct{}

func (Start) fsmEvent()               {}
func (Timer) fsmEvent()               {}
func (AdvertReceived) fsmEvent()      {}
func (ScriptResult) fsmEvent()        {}
func (InterfaceChanged) fsmEvent()    {}
func (TrackFileChanged) fsmEvent()    {}
func (ProcessCountChanged) fsmEvent() {}
func (FaultChanged) fsmEvent()        {}
func (AddressLost) fsmEvent()         {}
func (SourceAddrChanged) fsmEvent()   {}
func (BFDChanged) fsmEvent()          {}
func (Shutdown) fsmEvent()            {}

// ActionKind says what the runner must do.
type ActionKind int

// Action kinds. Address actions are only emitted for lists that are not
// empty; the runner executes them for the whole list of the instance.
const (
	// ActSendAdvert: send one advert with Priority.
	ActSendAdvert ActionKind = iota + 1
	// ActAddVIPs / ActDelVIPs: add or remove virtual_ipaddress. When
	// Accept is false (no_accept), the runner installs the firewall drop
	// rules before adding and removes them after removing (spec §7).
	ActAddVIPs
	ActDelVIPs
	// ActAddEVIPs / ActDelEVIPs: virtual_ipaddress_excluded.
	ActAddEVIPs
	ActDelEVIPs
	// ActAddRoutes / ActDelRoutes: virtual_routes.
	ActAddRoutes
	ActDelRoutes
	// ActAddRules / ActDelRules: virtual_rules.
	ActAddRules
	ActDelRules
	// ActGARP: Repeat rounds of gratuitous ARP / unsolicited NA for every
	// VIP then every eVIP that is set (hand them to a GARPPacer). With -D
	// keepalived logs "(VI_1) Sending/queueing gratuitous ARPs on IF for
	// ADDR" (or "Unsolicited Neighbour Adverts") once per address for the
	// first round: the runner knows the interfaces and logs it.
	ActGARP
	// ActCancelGARP: drop the instance's queued (paced) GARP/NA.
	ActCancelGARP
	// ActNotify: run notifications (scripts, FIFO, SMTP) for Instance or
	// Group entering State, with Priority; NotifyType is keepalived's word
	// (MASTER, BACKUP, FAULT, STOP, MASTER_RX_LOWER_PRI, MASTER_PRIORITY,
	// BACKUP_PRIORITY). The two *_PRIORITY types go to FIFOs only.
	ActNotify
	// ActExtraIfGARP: garp_extra_if is due: one GARP/NA on each other
	// interface holding a VIP of the instance (the VMACs of per-address
	// use_vmac, or every such interface with `garp_extra_if all`), as
	// keepalived's vrrp_send_vmac_update does.
	ActExtraIfGARP
	// ActSourceGARP: one gratuitous ARP / unsolicited NA for the
	// instance's source address, sent at once (no pacing). A unicast
	// instance leaving FAULT does this so the master relearns it.
	ActSourceGARP
	// ActLog: log Msg (keepalived's wording). Detail lines are those
	// keepalived only logs with -D (log_detail).
	ActLog
)

var actionKindNames = [...]string{
	ActSendAdvert: "SendAdvert", ActAddVIPs: "AddVIPs", ActDelVIPs: "DelVIPs",
	ActAddEVIPs: "AddEVIPs", ActDelEVIPs: "DelEVIPs", ActAddRoutes: "AddRoutes",
	ActDelRoutes: "DelRoutes", ActAddRules: "AddRules", ActDelRules: "DelRules",
	ActGARP: "GARP", ActCancelGARP: "CancelGARP", ActNotify: "Notify", ActSourceGARP: "SourceGARP", ActExtraIfGARP: "ExtraIfGARP", ActLog: "Log",
}

func (k ActionKind) String() string {
	if k > 0 && int(k) < len(actionKindNames) {
		return actionKindNames[k]
	}
	return fmt.Sprintf("ActionKind(%d)", int(k))
}

// Action is one thing for the runner to do. Fields that do not apply to a
// kind are zero.
type Action struct {
	Kind ActionKind
	// Instance is the vrrp_instance; empty for a sync group notification.
	Instance string
	// Group is the vrrp_sync_group of a group notification.
	Group string
	// Priority: advert priority (SendAdvert), or the priority given to
	// notify scripts and FIFOs (Notify).
	Priority int
	// Repeat is the number of GARP/NA rounds (GARP).
	Repeat int
	// Accept is the instance's accept mode (Add/DelVIPs).
	Accept bool
	// Force asks the runner to remove addresses even if it did not add
	// them (the clean-up of left-overs at start).
	Force bool
	// State and NotifyType describe a notification. FIFOOnly asks for the
	// FIFO line alone (fifo_write_vrrp_states_on_reload).
	State      State
	NotifyType string
	FIFOOnly   bool
	// Msg and Detail describe a log line.
	Msg    string
	Detail bool
}

func (a Action) String() string {
	who := a.Instance
	if a.Group != "" {
		who = "group " + a.Group
	}
	switch a.Kind {
	case ActSendAdvert:
		return fmt.Sprintf("%s %s prio %d", who, a.Kind, a.Priority)
	case ActGARP:
		return fmt.Sprintf("%s %s x%d", who, a.Kind, a.Repeat)
	case ActNotify:
		return fmt.Sprintf("%s %s %s prio %d", who, a.Kind, a.NotifyType, a.Priority)
	case ActLog:
		return fmt.Sprintf("log %q", a.Msg)
	}
	return who + " " + a.Kind.String()
}

// Facts are what the machine needs to know about the host at Start. Every
// function may be nil.
type Facts struct {
	// InterfaceUp tells whether an interface is up; nil means all are.
	InterfaceUp func(name string) bool
	// SourceAddr is the address adverts of an instance leave from when no
	// unicast_src_ip/mcast_src_ip is configured: the interface's primary
	// IPv4 address or its IPv6 link-local. Invalid (or nil func) with no
	// configured source puts the instance in FAULT, as keepalived does.
	SourceAddr func(instance string) netip.Addr
	// TrackFileValue is the value of a track_file at start (0 if nil).
	TrackFileValue func(name string) int64
	// ProcessCount is the number of matching processes at start (0 if nil).
	ProcessCount func(name string) int
	// BFDUp tells whether a bfd_instance is up at start; nil means down,
	// as keepalived starts before its BFD sessions are.
	BFDUp func(name string) bool
}

// InstanceStatus is a snapshot of one instance, for the runner, dumps and
// tests.
type InstanceStatus struct {
	Name  string
	State State
	// WantState is keepalived's wantstate (what the instance would be in
	// without its sync group).
	WantState         State
	BasePriority      int
	EffectivePriority int
	// MasterAdverInt is the interval used for the down timer and skew.
	MasterAdverInt time.Duration
	// MasterDownInterval is the current ms_down_timer.
	MasterDownInterval time.Duration
	// Deadline is the advert or down timer; zero when disabled.
	Deadline time.Time
	// VIPsSet tells that the addresses are installed (MASTER).
	VIPsSet bool
	// MasterAddr and MasterPriority are those of the last accepted advert.
	MasterAddr     netip.Addr
	MasterPriority int
	// SourceAddr is the address our adverts leave from.
	SourceAddr netip.Addr
	// Faults counts the fault causes currently active.
	Faults int
	// ScriptsInit counts the tracked weight-0 vrrp_scripts that have not
	// reported yet.
	ScriptsInit int
}
