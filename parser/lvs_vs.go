package parser

import (
	"math"
	"strings"
)

const (
	// defaultPersistence is keepalived's persistence timeout when persistence
	// is switched on without a value (IPVS_SVC_PERSISTENT_TIMEOUT).
	defaultPersistence = 360
	// maxLVSTimeout is the longest persistence keepalived accepts: 31 days.
	maxLVSTimeout = 86400 * 31
	// ipvsWeightLimit is the largest IPVS weight.
	ipvsWeightLimit = math.MaxInt32
	// maxTimer is keepalived's TIMER_MAXIMUM, in µs.
	maxTimer = Micros(math.MaxUint64 - 1)
	// peNameMax is the longest persistence engine name IPVS takes.
	peNameMax = 15
)

// lvsSchedulers are the scheduler names keepalived 2.2.7 accepts.
var lvsSchedulers = map[string]bool{"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true,
	"sh": true, "mh": true, "dh": true, "fo": true, "ovf": true, "lblcr": true, "sed": true, "nq": true, "twos": true}

func newVirtualServer(s *stmt) *VirtualServer {
	return &VirtualServer{
		Pos:                    s.Pos(),
		Quorum:                 1,
		Weight:                 1,
		PersistenceGranularity: math.MaxUint32,
		Timing:                 Timing{DelayLoop: 60 * 1e6, ConnectTimeout: 5 * 1e6},
	}
}

// decodeVirtualServer reads `virtual_server IP [PORT] | fwmark N | group NAME`.
// An invalid identity drops the whole block, as keepalived skips it.
func decodeVirtualServer(s *stmt, cfg *Config) {
	first, ok := s.Need(1)
	if !ok {
		return
	}
	vs := newVirtualServer(s)
	switch first {
	case "group":
		// keepalived 2.2.7 crashes on a missing group name or fwmark; a
		// missing-parameter exit is the nearest well-behaved answer.
		name, ok := s.Need(2)
		if !ok {
			return
		}
		vs.GroupName = name
	case "fwmark":
		text, ok := s.Need(2)
		if !ok {
			return
		}
		mark, ok := s.parseUint(2, text, 0, math.MaxUint32, 10)
		if !ok {
			s.ErrorAt(2, ClassGeneral, "virtual server fwmark '%s' must be in [0, %d] - ignoring", text, uint32(math.MaxUint32))
			return
		}
		vs.FWMark, vs.HasFWMark = uint32(mark), true
	default:
		portText, hasPort := s.Arg(2)
		addr, port, ok := s.sockAddr(1, 2)
		if !ok {
			if zeroPort(portText, hasPort) {
				s.Errorf(ClassGeneral, "Invalid virtual server IP address %s - skipping", first)
			} else {
				s.Errorf(ClassGeneral, "Invalid virtual server IP address/port %s/%s - skipping", first, portText)
			}
			return
		}
		vs.Addr, vs.Port, vs.Family = addr, port, familyOf(addr)
	}
	cfg.VirtualServers = append(cfg.VirtualServers, vs)
	decodeBlock(s.d, s.Body(), vsKeywords, vs)
	vsEnd(s, vs)
}

// vsEnd settles the family of a virtual server at the end of its block: the
// sorry server must match unless tunnelled, and a fwmark service whose
// servers are all tunnelled takes their common family, else IPv4.
func vsEnd(s *stmt, vs *VirtualServer) {
	if ss := vs.SorryServer; ss != nil && !ss.Forwarding.Tunnelled() {
		if vs.Family == "" {
			vs.Family = familyOf(ss.Addr)
		} else if vs.Family != familyOf(ss.Addr) {
			s.d.errorf(ss.Pos, ClassGeneral, "Address family of virtual server and sorry server %s don't match - skipping sorry server.", ss.Addr)
			vs.SorryServer = nil
		}
	}
	if vs.Family != "" || vs.GroupName != "" {
		return
	}
	fam, mixed := "", false
	if vs.SorryServer != nil {
		fam = familyOf(vs.SorryServer.Addr)
	}
	for _, rs := range vs.RealServers {
		if fam == "" {
			fam = familyOf(rs.Addr)
		} else if fam != familyOf(rs.Addr) {
			mixed = true
			break
		}
	}
	if mixed || fam == "" {
		fam = "inet"
	}
	vs.Family = fam
}

// vsKeywords are the keywords of a virtual_server block.
var vsKeywords = table[VirtualServer]{
	"ip_family": {handle: vsIPFamily},
	"retry":     {handle: func(s *stmt, vs *VirtualServer) { timingRetry(s, &vs.Timing) }},
	"delay_before_retry": {handle: func(s *stmt, vs *VirtualServer) {
		timingDelayBeforeRetry(s, &vs.Timing, "virtual server delay before retry")
	}},
	"warmup":                  {handle: func(s *stmt, vs *VirtualServer) { timingWarmup(s, &vs.Timing, "virtual server") }},
	"connect_timeout":         {handle: func(s *stmt, vs *VirtualServer) { timingConnectTimeout(s, &vs.Timing, "virtual server") }},
	"delay_loop":              {handle: func(s *stmt, vs *VirtualServer) { timingDelayLoop(s, &vs.Timing, "virtual server delay loop") }},
	"inhibit_on_failure":      {handle: func(s *stmt, vs *VirtualServer) { vs.Inhibit = true }},
	"lb_algo":                 {handle: vsScheduler},
	"lvs_sched":               {handle: vsScheduler},
	"hashed":                  {handle: vsFlag},
	"ops":                     {handle: vsFlag},
	"flag-1":                  {handle: vsFlag},
	"flag-2":                  {handle: vsFlag},
	"flag-3":                  {handle: vsFlag},
	"sh-port":                 {handle: vsFlag},
	"sh-fallback":             {handle: vsFlag},
	"mh-port":                 {handle: vsFlag},
	"mh-fallback":             {handle: vsFlag},
	"lb_kind":                 {handle: func(s *stmt, vs *VirtualServer) { s.forwarding(&vs.Forwarding, "virtual") }},
	"lvs_method":              {handle: func(s *stmt, vs *VirtualServer) { s.forwarding(&vs.Forwarding, "virtual") }},
	"persistence_engine":      {handle: vsPersistenceEngine},
	"persistence_timeout":     {handle: vsPersistenceTimeout},
	"persistence_granularity": {handle: vsPersistenceGranularity},
	"protocol":                {handle: vsProtocol},
	"ha_suspend":              {handle: func(s *stmt, vs *VirtualServer) { vs.HASuspend = true }},
	"smtp_alert":              {handle: vsSMTPAlert},
	"virtualhost":             {handle: vsVirtualHost},
	"snmp_name":               {handle: func(s *stmt, vs *VirtualServer) { snmpName(s, &vs.SNMPName, "virtual server") }},
	"alpha":                   {handle: func(s *stmt, vs *VirtualServer) { vs.Alpha = true }},
	"omega":                   {handle: func(s *stmt, vs *VirtualServer) { vs.Omega = true }},
	"quorum_up":               {handle: func(s *stmt, vs *VirtualServer) { notifyScript(s, &vs.QuorumUp, vs, "quorum_up") }},
	"quorum_down":             {handle: func(s *stmt, vs *VirtualServer) { notifyScript(s, &vs.QuorumDown, vs, "quorum_down") }},
	"quorum":                  {handle: vsQuorum},
	"hysteresis":              {handle: vsHysteresis},
	"weight":                  {handle: vsWeight},
	"sorry_server":            {handle: vsSorryServer},
	"sorry_server_inhibit":    {handle: vsSorryInhibit},
	"sorry_server_lvs_method": {handle: vsSorryMethod},
	"real_server":             {handle: decodeRealServer, kind: subBlock},
}

func vsIPFamily(s *stmt, vs *VirtualServer) {
	fam, ok := s.Need(1)
	if !ok {
		return
	}
	if fam != "inet" && fam != "inet6" {
		s.ErrorAt(1, ClassGeneral, "unknown address family %s", fam)
		return
	}
	if vs.Family != "" && vs.Family != fam {
		s.ErrorAt(1, ClassGeneral, "Virtual server specified family %s conflicts with server family", fam)
		return
	}
	vs.Family = fam
}

func vsScheduler(s *stmt, vs *VirtualServer) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	if !lvsSchedulers[name] {
		s.ErrorAt(1, ClassGeneral, "Invalid lvs_scheduler '%s' - ignoring", name)
		return
	}
	vs.Scheduler = name
}

// vsFlag handles the scheduler flag keywords. sh-*/mh-* only count when the
// matching scheduler was named earlier in the block; `hashed` never sets
// anything and complains unless the scheduler is sh or mh.
func vsFlag(s *stmt, vs *VirtualServer) {
	switch kw := s.Keyword(); {
	case kw == "ops":
		vs.Flags |= SvcOnePacket
	case kw == "flag-1":
		vs.Flags |= SvcSched1
	case kw == "flag-2":
		vs.Flags |= SvcSched2
	case kw == "flag-3":
		vs.Flags |= SvcSched3
	case vs.Scheduler == "sh" || vs.Scheduler == "mh":
		switch kw {
		case vs.Scheduler + "-port":
			vs.Flags |= SvcSched2
		case vs.Scheduler + "-fallback":
			vs.Flags |= SvcSched1
		}
	default:
		s.Errorf(ClassGeneral, "%s only applies to sh scheduler - ignoring", kw)
	}
}

func vsPersistenceTimeout(s *stmt, vs *VirtualServer) {
	text, ok := s.Arg(1)
	if !ok {
		vs.PersistenceTimeout = defaultPersistence
		return
	}
	v, ok := s.parseUint(1, text, 1, maxLVSTimeout, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "persistence_timeout invalid")
		return
	}
	vs.PersistenceTimeout = uint32(v)
}

func vsPersistenceEngine(s *stmt, vs *VirtualServer) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	if len(name) > peNameMax {
		s.ErrorAt(1, ClassGeneral, "persistence_name too long, truncating - %s", name)
		name = name[:peNameMax]
	}
	vs.PersistenceEngine = name
}

// vsPersistenceGranularity reads an IPv4 netmask or an IPv6 prefix length;
// while the family is unknown a '.' decides. It also turns persistence on.
func vsPersistenceGranularity(s *stmt, vs *VirtualServer) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	fam := vs.Family
	if fam == "" {
		fam = "inet6"
		if strings.Contains(text, ".") {
			fam = "inet"
		}
	}
	if fam == "inet6" {
		v, ok := s.parseUint(1, text, 1, 128, 10)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "Invalid IPv6 persistence_granularity specified - %s", text)
			return
		}
		vs.PersistenceGranularity = uint32(v)
	} else {
		mask, ok := parseInetAton(text)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "Invalid IPv4 persistence_granularity specified - %s", text)
			return
		}
		vs.PersistenceGranularity = mask
	}
	if vs.Family == "" {
		vs.Family = fam
	}
	if vs.PersistenceTimeout == 0 {
		vs.PersistenceTimeout = defaultPersistence
	}
}

func vsProtocol(s *stmt, vs *VirtualServer) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	switch strings.ToUpper(name) {
	case "TCP":
		vs.Protocol = ProtoTCP
	case "SCTP":
		vs.Protocol = ProtoSCTP
	case "UDP":
		vs.Protocol = ProtoUDP
	default:
		s.ErrorAt(1, ClassGeneral, "Unknown protocol %s - ignoring", name)
	}
}

func vsSMTPAlert(s *stmt, vs *VirtualServer) {
	v, ok := s.boolAt("Invalid virtual_server smtp_alert parameter %s")
	if !ok {
		return
	}
	vs.SMTPAlert, vs.SMTPAlertSet = v, true
}

func vsVirtualHost(s *stmt, vs *VirtualServer) {
	if v, ok := s.argOr("virtual server virtualhost missing"); ok {
		vs.VirtualHost = v
	}
}

func snmpName(s *stmt, dst *string, who string) {
	if s.NArgs() != 1 {
		s.Errorf(ClassGeneral, "%s snmp_name missing or extra parameters", who)
		return
	}
	*dst = s.Word(1).Text
}

// notifyScript reads notify_up/notify_down/quorum_up/quorum_down; the first
// one written wins. keepalived names the virtual server by its group name in
// the message, which prints as (null) for other forms.
func notifyScript(s *stmt, dst **Script, vs *VirtualServer, kw string) {
	if *dst != nil {
		arg, _ := s.Arg(1)
		s.Errorf(ClassGeneral, "(%s) %s script already specified - ignoring %s", groupOrNull(vs), kw, arg)
		return
	}
	if sc := s.script(); sc != nil {
		*dst = sc
	}
}

func groupOrNull(vs *VirtualServer) string {
	if vs.GroupName == "" {
		return "(null)"
	}
	return vs.GroupName
}

func vsQuorum(s *stmt, vs *VirtualServer) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	v, ok := s.parseUint(1, text, 1, math.MaxUint32, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "Quorum %s must be in [1, %d]. Setting to 1.", text, uint32(math.MaxUint32))
		v = 1
	}
	vs.Quorum = uint32(v)
}

func vsHysteresis(s *stmt, vs *VirtualServer) {
	if v, ok := s.uintArg(0, math.MaxUint32, "Hysteresis %s must be in [0, %d] - ignoring"); ok {
		vs.Hysteresis = uint32(v)
	}
}

func vsWeight(s *stmt, vs *VirtualServer) {
	if v, ok := s.uintArg(1, ipvsWeightLimit, "Virtual server weight %s is outside range 1-%d"); ok {
		vs.Weight = uint32(v)
	}
}

// vsSorryServer reads `sorry_server IP [PORT]`. It takes the virtual
// server's forwarding method as it stands at this line.
func vsSorryServer(s *stmt, vs *VirtualServer) {
	ip, ok := s.Need(1)
	if !ok {
		return
	}
	addr, port, ok := s.sockAddr(1, 2)
	if !ok {
		s.Errorf(ClassGeneral, "Invalid sorry server IP address %s - skipping", ip)
		return
	}
	vs.SorryServer = &SorryServer{Pos: s.Pos(), Addr: addr, Port: port, Forwarding: vs.Forwarding}
}

func vsSorryInhibit(s *stmt, vs *VirtualServer) {
	if vs.SorryServer == nil {
		s.Errorf(ClassGeneral, "Ignoring sorry_server inhibit used before or without sorry_server")
		return
	}
	vs.SorryServer.Inhibit = true
}

func vsSorryMethod(s *stmt, vs *VirtualServer) {
	if vs.SorryServer == nil {
		s.Errorf(ClassGeneral, "sorry_server forwarding used without sorry_server")
		return
	}
	s.forwarding(&vs.SorryServer.Forwarding, "sorry")
}
