package parser

import (
	"math"
	"net/netip"
	"strings"
)

// GlobalDefs is the global_defs block with keepalived 2.2.7's defaults. The
// keywords are split by concern over global_defs_*.go; the parent process
// alone reads this block, so every diagnostic here belongs to its pass.
type GlobalDefs struct {
	// Pos is the first global_defs keyword; zero when there is none.
	Pos Pos `json:"pos"`

	// RouterID is `router_id STR`; default: the local host name.
	RouterID    string `json:"router_id"`
	RouterIDSet bool   `json:"-"`

	// ScriptUser and ScriptGroup are `script_user USER [GROUP]`, the default
	// owner of every script; the security pass resolves them.
	ScriptUser    string `json:"script_user,omitempty"`
	ScriptGroup   string `json:"script_group,omitempty"`
	ScriptUserSet bool   `json:"-"`
	ScriptUserPos Pos    `json:"-"`
	// EnableScriptSecurity is the `enable_script_security` flag.
	EnableScriptSecurity bool `json:"enable_script_security,omitempty"`

	GlobalMail
	GlobalProcesses
	GlobalScripts
	GlobalReload
	GlobalNotify
	GlobalVRRP
	GlobalLVS
}

// RootSettings holds the top-level keywords that look global but are not
// inside global_defs (net_namespace, instance, use_pid_dir...).
type RootSettings struct {
	// NetNamespace is `net_namespace NAME`: keepalived runs in that network
	// namespace. keepalived -t enters it and, when it does not exist, stops
	// at once with status 0 (see NetnsStopsTest).
	NetNamespace    string `json:"net_namespace,omitempty"`
	NetNamespacePos Pos    `json:"net_namespace_pos,omitempty"`
	// NetNamespaceIPVS is `net_namespace_ipvs [NAME]`; "" with the Set flag
	// means the default namespace.
	NetNamespaceIPVS    string `json:"net_namespace_ipvs,omitempty"`
	NetNamespaceIPVSSet bool   `json:"net_namespace_ipvs_set,omitempty"`
	// NamespaceWithIPSets is the `namespace_with_ipsets` flag.
	NamespaceWithIPSets bool `json:"namespace_with_ipsets,omitempty"`
	// UsePIDDir is `use_pid_dir`, also implied by net_namespace and instance.
	UsePIDDir bool `json:"use_pid_dir,omitempty"`
	// Instance is `instance NAME`, the suffix of pid files and syslog ident.
	Instance string `json:"instance,omitempty"`
	// ChildWaitTime is `child_wait_time SECS` (default 5 s).
	ChildWaitTime Micros `json:"child_wait_time"`
	// LinkbeatUsePolling is the `linkbeat_use_polling` flag.
	LinkbeatUsePolling bool `json:"linkbeat_use_polling,omitempty"`
}

const second = Micros(1000000)

// globalRootKeywords are the top-level keywords keepalived's parent handles.
var globalRootKeywords = table[Config]{
	"global_defs":           {kind: subBlock, handle: decodeGlobalDefs},
	"net_namespace":         {handle: rootNetNamespace},
	"net_namespace_ipvs":    {handle: rootNetNamespaceIPVS},
	"namespace_with_ipsets": {handle: func(_ *stmt, c *Config) { c.Root.NamespaceWithIPSets = true }},
	"use_pid_dir":           {handle: func(_ *stmt, c *Config) { c.Root.UsePIDDir = true }},
	"instance":              {handle: rootInstance},
	"child_wait_time":       {handle: rootChildWaitTime},
	"linkbeat_use_polling":  {handle: func(_ *stmt, c *Config) { c.Root.LinkbeatUsePolling = true }},
}

func decodeGlobalDefs(s *stmt, c *Config) {
	if c.Global.Pos == (Pos{}) {
		c.Global.Pos = s.Pos()
	}
	decodeBlock(s.d, s.Body(), globalDefsKeywords, &c.Global)
}

func rootNetNamespace(s *stmt, c *Config) {
	name, ok := s.Arg(1)
	switch {
	case !ok:
		s.Errorf(ClassGeneral, "net_namespace name missing - ignoring")
	case c.Root.NetNamespace != "":
		s.Errorf(ClassGeneral, "Duplicate net_namespace definition %s - ignoring", name)
	default:
		c.Root.NetNamespace = name
		c.Root.NetNamespacePos = s.Pos()
		c.Root.UsePIDDir = true
	}
}

func rootNetNamespaceIPVS(s *stmt, c *Config) {
	if c.Root.NetNamespaceIPVSSet {
		name, _ := s.Need(1)
		s.Errorf(ClassGeneral, "Duplicate net_namespace_ipvs definition %s - ignoring", name)
		return
	}
	c.Root.NetNamespaceIPVS, _ = s.Arg(1)
	c.Root.NetNamespaceIPVSSet = true
}

func rootInstance(s *stmt, c *Config) {
	name, ok := s.Arg(1)
	switch {
	case !ok:
		s.Errorf(ClassGeneral, "instance name missing - ignoring")
	case c.Root.Instance != "":
		s.Errorf(ClassGeneral, "Duplicate instance definition %s - ignoring", name)
	default:
		c.Root.Instance = name
		c.Root.UsePIDDir = true
	}
}

func rootChildWaitTime(s *stmt, c *Config) {
	if v, ok := s.uintOr(0, math.MaxUint32, "Invalid child_wait_time %s"); ok {
		c.Root.ChildWaitTime = Micros(v) * second
	}
}

// applyGlobalDefaults sets what keepalived's alloc_global_data sets before
// the configuration is read; defaults that depend on other keywords are
// filled in by validateGlobal.
func applyGlobalDefaults(d *decoder) {
	g := &d.cfg.Global
	g.MinAutoPriorityDelay = 1000000
	g.Umask = 0o177
	g.StartupScriptTimeout = 10 * second
	g.ShutdownScriptTimeout = 10 * second
	g.VRRPProcess.RLimitRTTime = 10000
	g.CheckerProcess.RLimitRTTime = 10000
	g.BFDProcess.RLimitRTTime = 10000
	g.VRRPRxBufsMultiplier = 3
	g.DBusServiceName = "org.keepalived.Vrrp1"

	g.DefaultInterface = "eth0"
	g.VRRPMcastGroup4 = netip.MustParseAddr("224.0.0.18")
	g.VRRPMcastGroup6 = netip.MustParseAddr("ff02::12")
	g.VRRPVersion = 2
	g.GarpMasterDelay = 5 * second
	g.GarpMasterRepeat = 5
	g.GarpMasterRefreshRepeat = 1
	g.DownTimerAdverts = 3
	g.NFTablesPriority = -1

	g.NFTablesIPVSPriority = -1
	g.NFTablesIPVSStartFwmark = 1000

	d.cfg.Root.ChildWaitTime = 5 * second
}

// validateGlobal fills the defaults keepalived derives after reading the
// whole configuration (init_global_data) and runs gokeepalived's own global
// lint checks. keepalived reports nothing here itself.
func validateGlobal(d *decoder) {
	g := &d.cfg.Global
	local := localName(d)
	if !g.RouterIDSet {
		g.RouterID = local
	}
	if g.SMTPServer != nil {
		if g.SMTPConnectTimeout == 0 {
			g.SMTPConnectTimeout = 30 * second
		}
		if local != "" {
			if g.NotificationEmailFrom == "" {
				g.NotificationEmailFrom = "root@" + local
			}
			if g.SMTPHeloName == "" {
				g.SMTPHeloName = local
			}
		}
	}
	if !g.GarpLowerPrioDelaySet {
		g.GarpLowerPrioDelay = g.GarpMasterDelay
	}
	if !g.GarpLowerPrioRepeatSet {
		g.GarpLowerPrioRepeat = g.GarpMasterRepeat
	}
	if g.VMACPrefix == "" {
		g.VMACPrefix = "vrrp"
	}
	if g.VMACAddrPrefix == "" {
		g.VMACAddrPrefix = g.VMACPrefix
	}
	if g.SNMPSocket == "" {
		g.SNMPSocket = "unix:/var/agentx/master"
	}
	if g.ReloadFileDefault {
		g.ReloadFile = defaultReloadFile(&d.cfg.Root)
	}
	if g.LVSSyncDaemon != nil {
		sd := g.LVSSyncDaemon
		if sd.Port == 0 {
			sd.Port = 8848
		}
		if !sd.Group.IsValid() {
			sd.Group = netip.MustParseAddr("224.0.0.81")
		}
	}
	dedupeFIFOs(d)
	lintGlobal(d)
}

// dedupeFIFOs drops a VRRP or LVS notify FIFO that is also the global one
// (events would be written twice), and the LVS FIFO's script when the VRRP
// FIFO is the same file with its own script; keepalived only logs these.
func dedupeFIFOs(d *decoder) {
	g := &d.cfg.Global
	if n := g.NotifyFIFO.Name; n != "" && n == g.VRRPNotifyFIFO.Name {
		d.logf(g.VRRPNotifyFIFO.Pos, "notify FIFO %s has been specified for global and vrrp FIFO - ignoring vrrp FIFO", n)
		g.VRRPNotifyFIFO = NotifyFIFO{}
	}
	if n := g.NotifyFIFO.Name; n != "" && n == g.LVSNotifyFIFO.Name {
		d.logf(g.LVSNotifyFIFO.Pos, "notify FIFO %s has been specified for global and LVS FIFO - ignoring LVS FIFO", n)
		g.LVSNotifyFIFO = NotifyFIFO{}
	}
	if n := g.LVSNotifyFIFO.Name; n != "" && n == g.VRRPNotifyFIFO.Name && g.LVSNotifyFIFO.Script != nil && g.VRRPNotifyFIFO.Script != nil {
		d.logf(g.LVSNotifyFIFO.Pos, "LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script")
		g.LVSNotifyFIFO.Script = nil
	}
}

// localName is keepalived's node name for router_id and mail defaults.
// gokeepalived uses the host name up to its first dot, where keepalived
// asks the resolver for the canonical name of uname's node name.
func localName(d *decoder) string {
	name, _, _ := strings.Cut(d.opts.Host.Hostname(), ".")
	return name
}

// defaultReloadFile is where `reload_file` without a path puts the file.
func defaultReloadFile(r *RootSettings) string {
	switch {
	case r.Instance != "":
		return "/run/keepalived/keepalived_" + r.Instance + ".reload"
	case r.UsePIDDir:
		return "/run/keepalived/keepalived.reload"
	}
	return "/run/keepalived.reload"
}

// globalDefsKeywords is the global_defs block, assembled by concern.
var globalDefsKeywords = mergeTables(globalMailKeywords, globalProcessKeywords, globalScriptKeywords,
	globalNotifyKeywords, globalVRRPKeywords, globalLVSKeywords)
