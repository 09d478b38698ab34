package main

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// The dump and metrics writers take plain snapshots: copies of what the
// engines hold, taken under their locks, so that formatting never races
// with the state machine. Builders fill the configured part from
// *parser.Config; the engines fill the running part (state, timers,
// counters) before calling a writer.

// vrrpSnapshot is what the VRRP child dumps on SIGUSR1, SIGUSR2 and the
// JSON signal.
type vrrpSnapshot struct {
	Globals    dumpGlobals
	Instances  []dumpVRRPInstance
	SyncGroups []dumpSyncGroup
	Scripts    []dumpVRRPScript
	// Interfaces is optional: the engine fills it from its interface
	// table; when empty the "Interfaces" section is left out.
	Interfaces []dumpInterface
}

// dumpVRRPState numbers states as keepalived does in its dumps and JSON
// (VRRP_STATE_*): 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 97 DELETED,
// 98 STOP. The exporters map 0..3 to names.
type dumpVRRPState int

const (
	dumpStateInit    dumpVRRPState = 0
	dumpStateBackup  dumpVRRPState = 1
	dumpStateMaster  dumpVRRPState = 2
	dumpStateFault   dumpVRRPState = 3
	dumpStateDeleted dumpVRRPState = 97
	dumpStateStop    dumpVRRPState = 98
)

func (s dumpVRRPState) String() string {
	switch s {
	case dumpStateInit:
		return "INIT"
	case dumpStateBackup:
		return "BACKUP"
	case dumpStateMaster:
		return "MASTER"
	case dumpStateFault:
		return "FAULT"
	case dumpStateDeleted:
		return "DELETED"
	case dumpStateStop:
		return "STOP"
	}
	return "unknown"
}

// dumpStateOf converts the state machine's state.
func dumpStateOf(s vrrp.State) dumpVRRPState {
	switch s {
	case vrrp.StateInit:
		return dumpStateInit
	case vrrp.StateBackup:
		return dumpStateBackup
	case vrrp.StateMaster:
		return dumpStateMaster
	case vrrp.StateFault:
		return dumpStateFault
	case vrrp.StateStop:
		return dumpStateStop
	}
	return dumpVRRPState(-1)
}

// dumpVRRPInstance is one vrrp_instance as the dumps show it.
type dumpVRRPInstance struct {
	Name      string
	Version   int // 2 or 3
	SyncGroup string
	IPv6      bool

	State     dumpVRRPState
	WantState dumpVRRPState
	// MasterRouter, MasterPriority and MasterAdverInt describe the
	// current master; printed in BACKUP state.
	MasterRouter   netip.Addr
	MasterPriority int
	MasterAdverInt time.Duration

	Unicast            bool
	UnicastConfigured  bool // unicast_peer given but multicast used
	UnicastFaultNoPeer bool
	UnicastTTL         int // -1: unset
	CheckUnicastSrc    bool
	UnicastPeers       []dumpUnicastPeer
	// UnicastChecksumCompat is old_unicast_checksum: "" (no), "never",
	// "config" or "auto".
	UnicastChecksumCompat string

	ConfigFaults   int
	Faults         int // interface and track script faults
	ScriptsInit    int // track scripts still in their initial state
	LastTransition time.Time
	// ReadTimeout is the advert or master-down deadline; zero: disabled.
	ReadTimeout     time.Time
	MasterDownTimer time.Duration

	Interface        string
	VMACName         string // use_vmac interface, "" when none
	VMACUp           bool   // the VMAC interface is up
	VMACXmitBase     bool   // vmac_xmit_base
	DontTrackPrimary bool
	SkipCheckAdvAddr bool
	StrictMode       bool
	SrcIP            netip.Addr
	SrcIPFromConfig  bool
	McastAddr        netip.Addr

	GarpDelay            time.Duration
	GarpRepeat           int
	GarpRefresh          time.Duration
	GarpRefreshRepeat    int
	GarpLowerPrioDelay   time.Duration
	GarpLowerPrioRepeat  int
	DownTimerAdverts     int
	LowerPrioNoAdvert    bool
	HigherPrioSendAdvert bool

	VRID              int
	Priority          int // base priority
	EffectivePriority int
	TotalPriority     int
	AdvertInt         time.Duration
	Accept            bool
	NoPreempt         bool
	PreemptDelay      time.Duration
	PromoteSecondary  bool
	AuthType          string // "", "PASS" or "AH"
	AuthPass          string
	VIPSet            bool // the addresses are installed
	// FDIn and FDOut are the socket descriptors; 0: none allocated.
	FDIn, FDOut int

	VIPs        []dumpIPAddress
	EVIPs       []dumpIPAddress
	VRoutes     []string // preformatted, as `ip route` would take them
	VRules      []string
	TrackIfs    []dumpTrack
	TrackScript []dumpTrack
	TrackFiles  []dumpTrack
	TrackProcs  []dumpTrack
	TrackBFDs   []string

	SMTPAlert             bool
	NotifyDeleted         bool // notify "Deleted" rather than "Fault" at stop
	NotifyScripts         []dumpNotifyScript
	NotifyPriorityChanges bool

	Stats dumpVRRPStats
}

// dumpUnicastPeer is a unicast_peer entry.
type dumpUnicastPeer struct {
	Addr           netip.Addr
	MinTTL, MaxTTL int
}

// dumpIPAddress is a virtual address; String renders it as keepalived's
// format_ipaddress.
type dumpIPAddress struct {
	Prefix    netip.Prefix
	Broadcast netip.Addr
	Dev       string
	Scope     int
	Label     string
	Peer      netip.Addr
	NoDAD     bool
	NoTrack   bool
	Set       bool // installed on the interface now
}

func (a dumpIPAddress) String() string {
	var b strings.Builder
	if a.Prefix.Bits() == a.Prefix.Addr().BitLen() && a.Prefix.Addr().Is4() && !a.Peer.IsValid() {
		// keepalived prints a bare address for a /32
		b.WriteString(a.Prefix.Addr().String())
	} else {
		b.WriteString(a.Prefix.String())
	}
	if a.Broadcast.IsValid() && a.Broadcast.Is4() && !a.Broadcast.IsUnspecified() {
		b.WriteString(" brd " + a.Broadcast.String())
	}
	b.WriteString(" dev " + a.Dev)
	b.WriteString(" scope " + scopeName(a.Scope))
	if a.Label != "" {
		b.WriteString(" label " + a.Label)
	}
	if a.Peer.IsValid() {
		b.WriteString(" peer " + netip.PrefixFrom(a.Peer, a.Prefix.Bits()).String())
	}
	if a.NoDAD {
		b.WriteString(" -nodad")
	}
	if a.NoTrack {
		b.WriteString(" no_track")
	}
	if a.Prefix.Addr().Is6() {
		b.WriteString(" preferred_lft forever")
	}
	if a.Set {
		b.WriteString(" set")
	}
	return b.String()
}

// scopeName is iproute2's name for an address scope number.
func scopeName(s int) string {
	switch s {
	case 0:
		return "global"
	case 200:
		return "site"
	case 253:
		return "link"
	case 254:
		return "host"
	case 255:
		return "nowhere"
	}
	return strconv.Itoa(s)
}

// dumpTrack is one tracked object with its weight.
type dumpTrack struct {
	Name    string
	Weight  int
	Reverse bool
	// Cmd is the tracked script's command (cmd_str), which the JSON
	// dump lists instead of the name.
	Cmd string
}

// dumpNotifyScript is a notify script: Kind is keepalived's word for it
// ("Backup", "Master", "Fault", "Stop", "Deleted", "Generic",
// "Master rx lower pri").
type dumpNotifyScript struct {
	Kind     string
	Cmd      string // quoted as keepalived's cmd_str
	UID, GID int
}

// dumpVRRPStats mirrors keepalived's vrrp_stats, the counters of
// keepalived.stats and of the JSON "stats" object; the names follow
// vrrp.RxStats / vrrp.InstanceStats of the VRRP node.
type dumpVRRPStats struct {
	AdvertRcvd        uint64
	AdvertSent        uint64
	BecomeMaster      uint64
	ReleaseMaster     uint64
	PacketLenErr      uint64
	IPTTLErr          uint64
	InvalidTypeRcvd   uint64
	AdvertIntervalErr uint64
	AddrListErr       uint64
	InvalidAuthType   uint64
	AuthTypeMismatch  uint64
	AuthFailure       uint64
	PriZeroRcvd       uint64
	PriZeroSent       uint64
}

// dumpSyncGroup is a vrrp_sync_group.
type dumpSyncGroup struct {
	Name           string
	State          dumpVRRPState
	NumMemberFault int
	NumMemberInit  int
	Members        []string
	TrackingWeight bool
	SMTPAlert      bool
	NotifyPriority int // -1 unset, 0 no, 1 yes
	TrackIfs       []dumpTrack
	TrackScript    []dumpTrack
	TrackFiles     []dumpTrack
	TrackProcs     []dumpTrack
	NotifyScripts  []dumpNotifyScript
}

// dumpVRRPScript is a vrrp_script with its running result.
type dumpVRRPScript struct {
	Name     string
	Cmd      string
	Interval time.Duration
	Timeout  time.Duration
	Weight   int
	Reverse  bool
	Rise     int
	Fall     int
	// Result counts as keepalived's: >= Rise is GOOD.
	Result   int
	Insecure bool
	// InitState is "INIT", "INIT/FAILED", "INIT/RELOAD" or "" (unknown).
	InitState string
	UID, GID  int
	// Tracking lists the instances using the script.
	Tracking []dumpTrack
	// State is "idle", "running", "requested termination" or
	// "forcing termination".
	State string
	// Last run's duration, for the metrics only.
	LastDuration time.Duration
}

// Good is the script status the dump prints.
func (s dumpVRRPScript) Good() bool { return s.Result >= s.Rise }

// dumpInterface is one interface of the "Interfaces" section.
type dumpInterface struct {
	Name     string
	Index    int
	IPv4     netip.Addr // zero: (none)
	IPv6     netip.Addr // zero: (none)
	MAC      string     // "" for none
	Up       bool
	Running  bool
	MTU      int
	Tracking []dumpTrack // instances tracking the interface
}

// vrrpSnapshotFromConfig fills every configured field of the snapshot;
// running fields (state, timers, counters, script results) stay zero
// until applyStatus and the engine's own values are set.
func vrrpSnapshotFromConfig(cfg *parser.Config) vrrpSnapshot {
	snap := vrrpSnapshot{Globals: dumpGlobalsFromConfig(cfg)}
	syncOf := map[string]string{}
	for _, g := range cfg.SyncGroups {
		sg := dumpSyncGroup{
			Name:           g.Name,
			Members:        append([]string(nil), g.Group...),
			TrackingWeight: g.TrackingWeight,
			NotifyPriority: -1,
			TrackIfs:       dumpTracks(g.TrackInterfaces),
			TrackScript:    dumpTracks(g.TrackScripts),
			TrackFiles:     dumpTracks(g.TrackFiles),
			TrackProcs:     dumpTracks(g.TrackProcesses),
			NotifyScripts: dumpNotifies([]namedScript{
				{"Backup", g.NotifyBackup}, {"Master", g.NotifyMaster}, {"Fault", g.NotifyFault},
				{"Stop", g.NotifyStop}, {"Generic", g.Notify},
			}),
		}
		if g.SMTPAlert != nil {
			sg.SMTPAlert = *g.SMTPAlert
		}
		if g.NotifyPriorityChanges != nil {
			sg.NotifyPriority = 0
			if *g.NotifyPriorityChanges {
				sg.NotifyPriority = 1
			}
		}
		for _, m := range g.Group {
			syncOf[m] = g.Name
		}
		snap.SyncGroups = append(snap.SyncGroups, sg)
	}
	tracking := map[string][]dumpTrack{}
	cmdOf := map[string]string{}
	for _, s := range cfg.VRRPScripts {
		if s.Script != nil {
			cmdOf[s.Name] = scriptCmd(s.Script)
		}
	}
	for _, vi := range cfg.Instances {
		d := instanceFromConfig(cfg, vi)
		d.SyncGroup = syncOf[vi.Name]
		for i := range d.TrackScript {
			d.TrackScript[i].Cmd = cmdOf[d.TrackScript[i].Name]
		}
		for _, t := range d.TrackScript {
			tracking[t.Name] = append(tracking[t.Name], dumpTrack{Name: vi.Name, Weight: t.Weight, Reverse: t.Reverse})
		}
		snap.Instances = append(snap.Instances, d)
	}
	for _, s := range cfg.VRRPScripts {
		ds := dumpVRRPScript{
			Name:     s.Name,
			Interval: micros(s.Interval),
			Timeout:  micros(s.Timeout),
			Weight:   s.Weight,
			Reverse:  s.Reverse,
			Rise:     int(s.Rise),
			Fall:     int(s.Fall),
			Tracking: tracking[s.Name],
			State:    "idle",
		}
		if s.Script != nil {
			ds.Cmd = scriptCmd(s.Script)
			ds.UID, ds.GID = s.Script.UID, s.Script.GID
			ds.Insecure = s.Script.Insecure
		}
		snap.Scripts = append(snap.Scripts, ds)
	}
	return snap
}

func instanceFromConfig(cfg *parser.Config, vi *parser.VRRPInstance) dumpVRRPInstance {
	g := cfg.Global.GlobalVRRP
	d := dumpVRRPInstance{
		Name:                 vi.Name,
		Version:              vi.Version,
		IPv6:                 vi.Family == 6,
		Unicast:              len(vi.UnicastPeers) > 0 || vi.Unicast,
		UnicastFaultNoPeer:   vi.UnicastFaultNoPeer,
		UnicastTTL:           vi.UnicastTTL,
		CheckUnicastSrc:      vi.CheckUnicastSrc,
		Interface:            vi.Interface,
		DontTrackPrimary:     vi.DontTrackPrimary,
		SkipCheckAdvAddr:     vi.SkipCheckAdvAddr,
		StrictMode:           vi.StrictMode,
		SrcIP:                vi.SrcIP,
		SrcIPFromConfig:      vi.SrcIP.IsValid(),
		McastAddr:            vi.McastDstIP,
		GarpDelay:            time.Duration(vi.GarpMasterDelay) * time.Second,
		GarpRepeat:           int(vi.GarpMasterRepeat),
		GarpRefresh:          time.Duration(vi.GarpMasterRefresh) * time.Second,
		GarpRefreshRepeat:    int(vi.GarpMasterRefreshRepeat),
		GarpLowerPrioDelay:   time.Duration(vi.GarpLowerPrioDelay) * time.Second,
		GarpLowerPrioRepeat:  int(vi.GarpLowerPrioRepeat),
		DownTimerAdverts:     int(vi.DownTimerAdverts),
		LowerPrioNoAdvert:    vi.LowerPrioNoAdvert,
		HigherPrioSendAdvert: vi.HigherPrioSendAdvert,
		VRID:                 vi.VRID,
		Priority:             vi.Priority,
		EffectivePriority:    vi.Priority,
		TotalPriority:        vi.Priority,
		AdvertInt:            micros(vi.AdvertInt),
		MasterAdverInt:       micros(vi.AdvertInt),
		Accept:               vi.Accept,
		NoPreempt:            vi.NoPreempt,
		PreemptDelay:         micros(vi.PreemptDelay),
		PromoteSecondary:     vi.PromoteSecondaries,
		SMTPAlert:            vi.SMTPAlert,
		NotifyDeleted:        vi.SendDeleted,
		NotifyPriorityChanges: vi.NotifyPriorityChanges ||
			cfg.Global.VRRPNotifyPriorityChanges,
		TrackIfs:    dumpTracks(vi.TrackInterfaces),
		TrackScript: dumpTracks(vi.TrackScripts),
		TrackFiles:  dumpTracks(vi.TrackFiles),
		TrackProcs:  dumpTracks(vi.TrackProcesses),
		NotifyScripts: dumpNotifies([]namedScript{
			{"Backup", vi.NotifyBackup}, {"Master", vi.NotifyMaster}, {"Fault", vi.NotifyFault},
			{"Stop", vi.NotifyStop}, {"Deleted", vi.NotifyDeleted}, {"Generic", vi.Notify},
			{"Master rx lower pri", vi.NotifyMasterRxLowerPri},
		}),
	}
	if vi.UseVMAC {
		d.VMACName, d.VMACXmitBase = vi.VMACName, vi.VMACXmitBase
		if d.VMACName == "" {
			// keepalived names it PREFIX.VRID
			d.VMACName = cfg.Global.VMACPrefix + "." + strconv.Itoa(vi.VRID)
		}
	}
	d.UnicastChecksumCompat = vi.OldUnicastChecksum
	d.TrackIfs, d.TrackScript = effectiveTracking(cfg, vi, d.TrackIfs, d.TrackScript)
	if len(vi.UnicastPeers) == 0 && vi.Unicast {
		d.Unicast = false
		d.UnicastConfigured = true
	}
	for _, p := range vi.UnicastPeers {
		d.UnicastPeers = append(d.UnicastPeers, dumpUnicastPeer{Addr: p.Addr, MinTTL: p.MinTTL, MaxTTL: p.MaxTTL})
	}
	if !d.McastAddr.IsValid() {
		if d.IPv6 {
			d.McastAddr = g.VRRPMcastGroup6
		} else {
			d.McastAddr = g.VRRPMcastGroup4
		}
	}
	if vi.Auth != nil {
		d.AuthType, d.AuthPass = vi.Auth.Type, vi.Auth.Pass
	}
	for _, a := range vi.VIPs {
		d.VIPs = append(d.VIPs, dumpIPFromConfig(a, vi.Interface))
	}
	for _, a := range vi.EVIPs {
		d.EVIPs = append(d.EVIPs, dumpIPFromConfig(a, vi.Interface))
	}
	for _, b := range vi.TrackBFDs {
		d.TrackBFDs = append(d.TrackBFDs, b.Name)
	}
	return d
}

func dumpIPFromConfig(a *parser.IPAddress, iface string) dumpIPAddress {
	dev := a.Dev
	if dev == "" {
		dev = iface
	}
	return dumpIPAddress{
		Prefix: a.Addr, Broadcast: a.Broadcast, Dev: dev, Scope: a.Scope,
		Label: a.Label, Peer: a.Peer, NoDAD: a.NoDAD, NoTrack: a.NoTrack,
	}
}

// applyStatus copies the state machine's view of the instance.
func (d *dumpVRRPInstance) applyStatus(st vrrp.InstanceStatus) {
	d.State = dumpStateOf(st.State)
	d.WantState = dumpStateOf(st.WantState)
	d.Priority = st.BasePriority
	d.EffectivePriority = st.EffectivePriority
	d.TotalPriority = st.EffectivePriority
	if st.MasterAdverInt > 0 {
		d.MasterAdverInt = st.MasterAdverInt
	}
	d.MasterDownTimer = st.MasterDownInterval
	d.ReadTimeout = st.Deadline
	d.MasterRouter = st.MasterAddr
	d.MasterPriority = st.MasterPriority
	if st.SourceAddr.IsValid() {
		d.SrcIP = st.SourceAddr
	}
	d.Faults = st.Faults
	d.VIPSet = st.VIPsSet
	for i := range d.VIPs {
		d.VIPs[i].Set = st.VIPsSet
	}
	for i := range d.EVIPs {
		d.EVIPs[i].Set = st.VIPsSet
	}
}

// effectiveTracking applies what keepalived does to an instance's
// tracking lists once the configuration is read: a track_interface naming
// the instance's own interface is dropped; in a sync group without
// sync_group_tracking_weight, weighted interfaces get weight 0 and
// weighted scripts are dropped; an address owner (priority 255) drops
// both.
func effectiveTracking(cfg *parser.Config, vi *parser.VRRPInstance, ifs, scripts []dumpTrack) ([]dumpTrack, []dumpTrack) {
	inSync, syncWeight := false, false
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Group {
			if m == vi.Name {
				inSync, syncWeight = true, g.TrackingWeight
			}
		}
	}
	owner := vi.Priority == 255
	unweighted := (inSync && !syncWeight) || owner
	var outIfs []dumpTrack
	for _, t := range ifs {
		if t.Name == vi.Interface {
			continue
		}
		if unweighted && t.Weight != 0 {
			if owner && !(inSync && !syncWeight) {
				continue
			}
			t.Weight = 0
		}
		outIfs = append(outIfs, t)
	}
	var outScripts []dumpTrack
	for _, t := range scripts {
		if unweighted && t.Weight != 0 {
			continue
		}
		outScripts = append(outScripts, t)
	}
	return outIfs, outScripts
}

type namedScript struct {
	kind string
	s    *parser.Script
}

func dumpNotifies(list []namedScript) []dumpNotifyScript {
	var out []dumpNotifyScript
	for _, n := range list {
		if n.s == nil {
			continue
		}
		out = append(out, dumpNotifyScript{Kind: n.kind, Cmd: scriptCmd(n.s), UID: n.s.UID, GID: n.s.GID})
	}
	return out
}

func dumpTracks(list []*parser.TrackEntry) []dumpTrack {
	var out []dumpTrack
	for _, t := range list {
		out = append(out, dumpTrack{Name: t.Name, Weight: t.Weight, Reverse: t.Reverse})
	}
	return out
}

// scriptCmd is keepalived's cmd_str: each word single-quoted, the
// program by the path the security check resolved.
func scriptCmd(s *parser.Script) string {
	if s.Path == "" || len(s.Argv) == 0 {
		return s.CmdString()
	}
	c := *s
	c.Argv = append([]string{s.Path}, s.Argv[1:]...)
	return c.CmdString()
}

func micros(m parser.Micros) time.Duration { return time.Duration(m) * time.Microsecond }
