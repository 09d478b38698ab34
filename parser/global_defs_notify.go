package parser

// GlobalNotify is the SNMP, D-Bus and notify FIFO part of global_defs.
type GlobalNotify struct {
	// SNMPSocket is `snmp_socket SPEC` (default unix:/var/agentx/master).
	SNMPSocket string `json:"snmp_socket"`
	// EnableTraps is the `enable_traps` flag.
	EnableTraps bool `json:"enable_traps,omitempty"`
	// EnableSNMPVRRP is `enable_snmp_vrrp` (deprecated `enable_snmp_keepalived`).
	EnableSNMPVRRP bool `json:"enable_snmp_vrrp,omitempty"`
	// EnableSNMPChecker is `enable_snmp_checker`.
	EnableSNMPChecker bool `json:"enable_snmp_checker,omitempty"`
	// EnableSNMPRFCv2 and EnableSNMPRFCv3 are `enable_snmp_rfcv2`,
	// `enable_snmp_rfcv3`, or both through `enable_snmp_rfc`.
	EnableSNMPRFCv2 bool `json:"enable_snmp_rfcv2,omitempty"`
	EnableSNMPRFCv3 bool `json:"enable_snmp_rfcv3,omitempty"`
	// EnableDBus is `enable_dbus`.
	EnableDBus bool `json:"enable_dbus,omitempty"`
	// DBusServiceName is `dbus_service_name` (default org.keepalived.Vrrp1).
	DBusServiceName string `json:"dbus_service_name"`

	// NotifyFIFO, VRRPNotifyFIFO and LVSNotifyFIFO are `[vrrp_|lvs_]notify_fifo`
	// with their `..._script`.
	NotifyFIFO     NotifyFIFO `json:"notify_fifo"`
	VRRPNotifyFIFO NotifyFIFO `json:"vrrp_notify_fifo"`
	LVSNotifyFIFO  NotifyFIFO `json:"lvs_notify_fifo"`
	// VRRPNotifyPriorityChanges is `vrrp_notify_priority_changes [BOOL]`.
	VRRPNotifyPriorityChanges bool `json:"vrrp_notify_priority_changes,omitempty"`
	// FIFOWriteVRRPStatesOnReload is `fifo_write_vrrp_states_on_reload`.
	FIFOWriteVRRPStatesOnReload bool `json:"fifo_write_vrrp_states_on_reload,omitempty"`
}

// NotifyFIFO is a FIFO receiving notify events, and the script reading it.
type NotifyFIFO struct {
	Pos Pos `json:"pos,omitempty"`
	// Name is the FIFO's path; "" means none.
	Name string `json:"name,omitempty"`
	// User and Group own the FIFO (default: the default script user).
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// Script is started by keepalived with the FIFO's path appended.
	Script *Script `json:"script,omitempty"`
}

var globalNotifyKeywords = table[GlobalDefs]{
	"snmp_socket":            {handle: gdSNMPSocket},
	"enable_traps":           {handle: func(_ *stmt, g *GlobalDefs) { g.EnableTraps = true }},
	"enable_snmp_vrrp":       {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPVRRP = true }},
	"enable_snmp_keepalived": {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPVRRP = true }},
	"enable_snmp_rfc":        {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPRFCv2, g.EnableSNMPRFCv3 = true, true }},
	"enable_snmp_rfcv2":      {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPRFCv2 = true }},
	"enable_snmp_rfcv3":      {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPRFCv3 = true }},
	"enable_snmp_checker":    {handle: func(_ *stmt, g *GlobalDefs) { g.EnableSNMPChecker = true }},
	"enable_dbus":            {handle: func(_ *stmt, g *GlobalDefs) { g.EnableDBus = true }},
	"dbus_service_name":      {handle: gdDBusServiceName},

	"notify_fifo":             {handle: gdNotifyFIFO("", func(g *GlobalDefs) *NotifyFIFO { return &g.NotifyFIFO })},
	"notify_fifo_script":      {handle: gdNotifyFIFOScript("", func(g *GlobalDefs) *NotifyFIFO { return &g.NotifyFIFO })},
	"vrrp_notify_fifo":        {handle: gdNotifyFIFO("vrrp_", func(g *GlobalDefs) *NotifyFIFO { return &g.VRRPNotifyFIFO })},
	"vrrp_notify_fifo_script": {handle: gdNotifyFIFOScript("vrrp_", func(g *GlobalDefs) *NotifyFIFO { return &g.VRRPNotifyFIFO })},
	"lvs_notify_fifo":         {handle: gdNotifyFIFO("lvs_", func(g *GlobalDefs) *NotifyFIFO { return &g.LVSNotifyFIFO })},
	"lvs_notify_fifo_script":  {handle: gdNotifyFIFOScript("lvs_", func(g *GlobalDefs) *NotifyFIFO { return &g.LVSNotifyFIFO })},
	"vrrp_notify_priority_changes": {handle: boolInto(func(g *GlobalDefs) *bool { return &g.VRRPNotifyPriorityChanges },
		"Invalid value '%s' for global vrrp_notify_priority_changes specified")},
	"fifo_write_vrrp_states_on_reload": {handle: func(_ *stmt, g *GlobalDefs) { g.FIFOWriteVRRPStatesOnReload = true }},
}

func gdSNMPSocket(s *stmt, g *GlobalDefs) {
	const pathMax = 4096
	switch {
	case s.NArgs() > 1:
		s.Errorf(ClassGeneral, "Too many parameters specified for snmp_socket - ignoring")
	case s.NArgs() < 1:
		s.Errorf(ClassGeneral, "SNMP error : snmp socket name missing")
	case len(s.Word(1).Text) > pathMax-1:
		s.Errorf(ClassGeneral, "SNMP error : snmp socket name too long - ignored")
	case g.SNMPSocket != "":
		s.Errorf(ClassGeneral, "SNMP socket already set to %s - ignoring", g.SNMPSocket)
	default:
		g.SNMPSocket = s.Word(1).Text
	}
}

func gdDBusServiceName(s *stmt, g *GlobalDefs) {
	if v, ok := s.argOr("dbus_service_name missing - ignoring"); ok {
		g.DBusServiceName = v
	}
}

// gdNotifyFIFO reads `PATH [USER [GROUP]]`. keepalived only logs an
// unknown owner (and then drops the FIFO); the owner is resolved with the
// scripts' users by the security pass.
func gdNotifyFIFO(prefix string, field func(*GlobalDefs) *NotifyFIFO) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		f := field(g)
		if s.NArgs() < 1 {
			s.Errorf(ClassGeneral, "No %snotify_fifo name specified", prefix)
			return
		}
		if f.Name != "" {
			s.Errorf(ClassGeneral, "%snotify_fifo already specified - ignoring %s", prefix, s.Word(1).Text)
			return
		}
		f.Pos, f.Name = s.Pos(), s.Word(1).Text
		f.User, _ = s.Arg(2)
		f.Group, _ = s.Arg(3)
	}
}

func gdNotifyFIFOScript(prefix string, field func(*GlobalDefs) *NotifyFIFO) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		f := field(g)
		if s.NArgs() < 1 {
			s.Errorf(ClassGeneral, "No %snotify_fifo_script specified", prefix)
			return
		}
		if f.Script != nil {
			s.Errorf(ClassGeneral, "%snotify_fifo_script already specified - ignoring %s", prefix, s.Word(1).Text)
			return
		}
		// A script keepalived cannot parse is only logged, and the FIFO
		// then runs without one.
		f.Script = s.script()
	}
}
