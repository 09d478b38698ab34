package parser

import (
	"math"
	"net/netip"
)

// GlobalLVS is the IPVS part of global_defs.
type GlobalLVS struct {
	// LVSTimeouts is `lvs_timeouts [tcp S] [tcpfin S] [udp S]`; 0 leaves
	// the kernel's value.
	LVSTimeouts LVSTimeouts `json:"lvs_timeouts"`
	// LVSFlush is the `lvs_flush` flag.
	LVSFlush bool `json:"lvs_flush,omitempty"`
	// LVSFlushOnStop is `lvs_flush_on_stop [VS]` (deprecated spelling
	// `lvs_flush_onstop`): "" off, "full", or "vs".
	LVSFlushOnStop string `json:"lvs_flush_on_stop,omitempty"`
	// LVSSyncDaemon is `lvs_sync_daemon`; nil when not configured.
	LVSSyncDaemon *LVSSyncDaemon `json:"lvs_sync_daemon,omitempty"`
	// NFTablesIPVS is `nftables_ipvs [TABLE]`; "" is off.
	NFTablesIPVS string `json:"nftables_ipvs,omitempty"`
	// NFTablesIPVSPriority is `nftables_ipvs_priority` (default -1).
	NFTablesIPVSPriority int `json:"nftables_ipvs_priority"`
	// NFTablesIPVSStartFwmark is `nftables_ipvs_start_fwmark` (default 1000).
	NFTablesIPVSStartFwmark uint32 `json:"nftables_ipvs_start_fwmark"`
}

// LVSTimeouts are IPVS connection timeouts.
type LVSTimeouts struct {
	TCP    Micros `json:"tcp,omitempty"`
	TCPFin Micros `json:"tcpfin,omitempty"`
	UDP    Micros `json:"udp,omitempty"`
}

// LVSSyncDaemon is the IPVS connection synchronisation daemon, which
// follows the state of one VRRP instance.
type LVSSyncDaemon struct {
	Pos       Pos    `json:"pos"`
	Interface string `json:"interface"`
	// Instance is the VRRP instance whose state drives master/backup.
	Instance string `json:"inst,omitempty"`
	// SyncID is `id`; -1 means the instance's VRID.
	SyncID int `json:"id"`
	// MaxLen, Port, TTL and Group are the multicast settings; 0 is the
	// kernel default (Port 8848 and Group 224.0.0.81 are filled in).
	MaxLen uint16     `json:"maxlen,omitempty"`
	Port   uint16     `json:"port"`
	TTL    uint8      `json:"ttl,omitempty"`
	Group  netip.Addr `json:"group"`
}

const (
	lvsMaxTimeout    = 86400 * 31
	ipvsIfnameMaxLen = 16
)

var globalLVSKeywords = table[GlobalDefs]{
	"lvs_timeouts":               {handle: gdLVSTimeouts},
	"lvs_flush":                  {handle: func(_ *stmt, g *GlobalDefs) { g.LVSFlush = true }},
	"lvs_flush_on_stop":          {handle: gdLVSFlushOnStop},
	"lvs_flush_onstop":           {handle: gdLVSFlushOnStop},
	"lvs_sync_daemon":            {handle: gdLVSSyncDaemon},
	"nftables_ipvs":              {handle: gdNFTablesIPVS},
	"nftables_ipvs_priority":     {handle: gdNFTablesIPVSPriority},
	"nftables_ipvs_start_fwmark": {handle: gdNFTablesIPVSStartFwmark},
}

func gdLVSTimeouts(s *stmt, g *GlobalDefs) {
	if s.NArgs() < 2 {
		s.Errorf(ClassGeneral, "lvs_timeouts requires at least one option")
		return
	}
	for i := 1; i <= s.NArgs(); i++ {
		var dst *Micros
		switch opt := s.Word(i).Text; opt {
		case "tcp":
			dst = &g.LVSTimeouts.TCP
		case "tcpfin":
			dst = &g.LVSTimeouts.TCPFin
		case "udp":
			dst = &g.LVSTimeouts.UDP
		default:
			s.Errorf(ClassGeneral, "Unknown option %s specified for lvs_timeouts", opt)
			continue
		}
		opt := s.Word(i).Text
		if i == s.NArgs() {
			s.Errorf(ClassGeneral, "No value specified for lvs_timeout %s - ignoring", opt)
			continue
		}
		if v, ok := s.uintValue(i+1, 0, lvsMaxTimeout); ok {
			*dst = Micros(v) * second
		} else {
			s.Errorf(ClassGeneral, "Invalid lvs_timeout %s (%s) - ignoring", opt, s.Word(i+1).Text)
		}
		i++
	}
}

func gdLVSFlushOnStop(s *stmt, g *GlobalDefs) {
	v, ok := s.Arg(1)
	switch {
	case !ok:
		g.LVSFlushOnStop = "full"
	case v == "VS":
		g.LVSFlushOnStop = "vs"
	default:
		s.Errorf(ClassGeneral, "Unknown lvs_flush_on_stop type %s", v)
	}
}

// gdLVSSyncDaemon reads `IFNAME [[inst] INSTANCE] [id N] [maxlen N] [port N]
// [ttl N] [group IP]`, and the legacy positional `IFNAME INSTANCE SYNCID`.
func gdLVSSyncDaemon(s *stmt, g *GlobalDefs) {
	if sd := g.LVSSyncDaemon; sd != nil {
		s.Errorf(ClassGeneral, "lvs_sync_daemon has already been specified as %s %s - ignoring", sd.Interface, sd.Instance)
		return
	}
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "lvs_sync_daemon requires interface")
		return
	}
	ifname := s.Word(1).Text
	if len(ifname) >= ipvsIfnameMaxLen {
		s.Errorf(ClassGeneral, "lvs_sync_daemon interface name '%s' too long - ignoring", ifname)
		return
	}
	sd := &LVSSyncDaemon{Pos: s.Pos(), Interface: ifname, SyncID: -1}
	g.LVSSyncDaemon = sd
	n := s.NArgs()
	// value reads the option's value, reporting a missing one the way
	// each option does.
	value := func(i int, opt, fallback string) bool {
		if i == n {
			s.Errorf(ClassGeneral, "No value specified for lvs_sync_daemon %s%s", opt, fallback)
			return false
		}
		return true
	}
	for i := 2; i <= n; i++ {
		switch opt := s.Word(i).Text; opt {
		case "inst":
			if sd.Instance != "" {
				s.Errorf(ClassGeneral, "lvs_sync_daemon vrrp instance has already been specified as %s - ignoring", sd.Instance)
			} else if v, ok := s.Need(i + 1); ok {
				sd.Instance = v
			} else {
				return
			}
			i++
		case "id":
			if !value(i, opt, ", defaulting to vrid") {
				continue
			}
			if v, ok := s.uintValue(i+1, 0, 255); ok {
				sd.SyncID = int(v)
			} else {
				s.Errorf(ClassGeneral, "Invalid syncid (%s) - defaulting to vrid", s.Word(i+1).Text)
			}
			i++
		case "maxlen", "port", "ttl":
			if !value(i, opt, " - ignoring") {
				continue
			}
			max := map[string]uint64{"maxlen": 65535 - 20 - 8, "port": 65535, "ttl": 255}[opt]
			if v, ok := s.uintValue(i+1, 1, max); ok {
				switch opt {
				case "maxlen":
					sd.MaxLen = uint16(v)
				case "port":
					sd.Port = uint16(v)
				default:
					sd.TTL = uint8(v)
				}
			} else {
				s.Errorf(ClassGeneral, "Invalid lvs_sync_daemon %s (%s) - ignoring", opt, s.Word(i+1).Text)
			}
			i++
		case "group":
			if !value(i, opt, " - ignoring") {
				continue
			}
			text := s.Word(i + 1).Text
			a, ok := parseSockAddr(text)
			switch {
			case !ok:
				s.Errorf(ClassGeneral, "Invalid lvs_sync_daemon group (%s) - ignoring", text)
				sd.Group = netip.Addr{}
			case !a.IsMulticast():
				s.Errorf(ClassGeneral, "lvs_sync_daemon group address %s is not multicast - ignoring", text)
				sd.Group = netip.Addr{}
			default:
				sd.Group = a
			}
			i++
		default:
			switch i {
			case 2:
				sd.Instance = opt
			case 3:
				if v, ok := s.uintValue(3, 0, 255); ok {
					s.Errorf(ClassGeneral, `Please use keyword "id" before lvs_sync_daemon SYNCID`)
					sd.SyncID = int(v)
				} else {
					s.Errorf(ClassGeneral, "Invalid syncid (%s) - defaulting to vrid", opt)
				}
			default:
				s.Errorf(ClassGeneral, "Unknown option %s specified for lvs_sync_daemon", opt)
			}
		}
	}
}

func gdNFTablesIPVS(s *stmt, g *GlobalDefs) {
	if name, ok := nftTable(s, "ipvs nftables", g.NFTablesIPVS, "keepalived_ipvs"); ok {
		g.NFTablesIPVS = name
		g.NFTablesIPVSPriority = -1
		g.NFTablesIPVSStartFwmark = 1000
	}
}

func gdNFTablesIPVSPriority(s *stmt, g *GlobalDefs) {
	if v, ok := nftPriority(s, "ipvs nftables"); ok {
		g.NFTablesIPVSPriority = v
	}
}

func gdNFTablesIPVSStartFwmark(s *stmt, g *GlobalDefs) {
	v, ok := s.uintValue(1, 1, math.MaxUint32)
	if !ok {
		if s.NArgs() >= 1 {
			// keepalived's wording.
			s.Errorf(ClassInvalidNumber, "invalid ipvs nftables start_fwmark priority '%s'", s.Word(1).Text)
		}
		return
	}
	g.NFTablesIPVSStartFwmark = uint32(v)
}
