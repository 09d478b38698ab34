package vrrp

// The VRRP state machine: a pure core that the runner feeds events and that
// answers with actions. It owns every instance and sync group of one
// configuration, because keepalived moves sync group members and shares
// tracked objects (a vrrp_script tracked by several instances) across
// instances synchronously, in one thread.
//
// Contract with the runner:
//
//   - Build it with NewMachine(cfg, facts), call Handle(now, Start{}) once.
//   - Call Handle(now, ev) for every event, in order, from one goroutine;
//     now is the runner's clock (virtual in tests). Execute the returned
//     actions in order: the order is keepalived's (advert before VIPs before
//     GARP before notifications).
//   - After every Handle, ask NextDeadline and call Handle(now, Timer{}) when
//     it passes; a deadline never lies before the now of the last call.
//   - Adverts are handed in after the codec validated them (spec §2). An
//     advert that failed validation is still handed in with Rejected set,
//     because a master restarts its advert timer even then (spec §4.4).
//
// Nothing here reads a clock, sleeps, starts a goroutine or makes a syscall.

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
// TrackFileChanged, ProcessCountChanged, FaultChanged and Shutdown.
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
	// VIP then every eVIP (hand them to a GARPPacer).
	ActGARP
	// ActCancelGARP: drop the instance's queued (paced) GARP/NA.
	ActCancelGARP
	// ActNotify: run notifications (scripts, FIFO, SMTP) for Instance or
	// Group entering State, with Priority; NotifyType is keepalived's word
	// (MASTER, BACKUP, FAULT, STOP, MASTER_RX_LOWER_PRI, MASTER_PRIORITY,
	// BACKUP_PRIORITY). The two *_PRIORITY types go to FIFOs only.
	ActNotify
	// ActLog: log Msg (keepalived's wording). Detail lines are those
	// keepalived only logs with -D (log_detail).
	ActLog
)

var actionKindNames = [...]string{
	ActSendAdvert: "SendAdvert", ActAddVIPs: "AddVIPs", ActDelVIPs: "DelVIPs",
	ActAddEVIPs: "AddEVIPs", ActDelEVIPs: "DelEVIPs", ActAddRoutes: "AddRoutes",
	ActDelRoutes: "DelRoutes", ActAddRules: "AddRules", ActDelRules: "DelRules",
	ActGARP: "GARP", ActCancelGARP: "CancelGARP", ActNotify: "Notify", ActLog: "Log",
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
	// State and NotifyType describe a notification.
	State      State
	NotifyType string
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
}
