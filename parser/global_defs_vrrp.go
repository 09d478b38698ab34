package parser

import (
	"math"
	"net/netip"
	"strings"
)

// GlobalVRRP is the VRRP part of global_defs: defaults for every instance
// and the VRRP process's firewall and buffer settings.
type GlobalVRRP struct {
	// DynamicInterfaces is `dynamic_interfaces [allow_if_changes]`.
	DynamicInterfaces bool `json:"dynamic_interfaces,omitempty"`
	AllowIfChanges    bool `json:"allow_if_changes,omitempty"`
	// DefaultInterface is `default_interface IFNAME` (default eth0).
	DefaultInterface string `json:"default_interface"`
	// DisableLocalIGMP is the `disable_local_igmp` flag.
	DisableLocalIGMP bool `json:"disable_local_igmp,omitempty"`
	// VRRPMcastGroup4 and VRRPMcastGroup6 are `vrrp_mcast_group4/6`
	// (defaults 224.0.0.18 and ff02::12).
	VRRPMcastGroup4 netip.Addr `json:"vrrp_mcast_group4"`
	VRRPMcastGroup6 netip.Addr `json:"vrrp_mcast_group6"`
	// VRRPVersion is `vrrp_version 2|3` (default 2).
	VRRPVersion int `json:"vrrp_version"`

	// GarpMasterDelay is `vrrp_garp_master_delay` (default 5 s).
	GarpMasterDelay Micros `json:"vrrp_garp_master_delay"`
	// GarpMasterRepeat is `vrrp_garp_master_repeat` (default 5).
	GarpMasterRepeat uint32 `json:"vrrp_garp_master_repeat"`
	// GarpMasterRefresh is `vrrp_garp_master_refresh` (default 0, off).
	GarpMasterRefresh Micros `json:"vrrp_garp_master_refresh"`
	// GarpMasterRefreshRepeat is `vrrp_garp_master_refresh_repeat` (default 1).
	GarpMasterRefreshRepeat uint32 `json:"vrrp_garp_master_refresh_repeat"`
	// GarpLowerPrioDelay is `vrrp_garp_lower_prio_delay` (default: the
	// master delay).
	GarpLowerPrioDelay    Micros `json:"vrrp_garp_lower_prio_delay"`
	GarpLowerPrioDelaySet bool   `json:"-"`
	// GarpLowerPrioRepeat is `vrrp_garp_lower_prio_repeat` (default: the
	// master repeat).
	GarpLowerPrioRepeat    uint32 `json:"vrrp_garp_lower_prio_repeat"`
	GarpLowerPrioRepeatSet bool   `json:"-"`
	// GarpInterval and GNAInterval are `vrrp_garp_interval` and
	// `vrrp_gna_interval` (default 0, no pacing).
	GarpInterval Micros `json:"vrrp_garp_interval"`
	GNAInterval  Micros `json:"vrrp_gna_interval"`
	// MinGarp is `vrrp_min_garp [BOOL]`.
	MinGarp bool `json:"vrrp_min_garp,omitempty"`
	// DownTimerAdverts is `vrrp_down_timer_adverts` (default 3).
	DownTimerAdverts uint32 `json:"vrrp_down_timer_adverts"`
	// GarpExtraIf is `vrrp_garp_extra_if [all] SECS` (deprecated spelling
	// `vrrp_vmac_garp_intvl`); 0 is off.
	GarpExtraIf    Micros `json:"vrrp_garp_extra_if,omitempty"`
	GarpExtraIfAll bool   `json:"vrrp_garp_extra_if_all,omitempty"`
	// LowerPrioNoAdvert is `vrrp_lower_prio_no_advert [BOOL]`.
	LowerPrioNoAdvert bool `json:"vrrp_lower_prio_no_advert,omitempty"`
	// HigherPrioSendAdvert is `vrrp_higher_prio_send_advert [BOOL]`.
	HigherPrioSendAdvert bool `json:"vrrp_higher_prio_send_advert,omitempty"`
	// CheckUnicastSrc is the `vrrp_check_unicast_src` flag.
	CheckUnicastSrc bool `json:"vrrp_check_unicast_src,omitempty"`
	// SkipCheckAdvAddr is the `vrrp_skip_check_adv_addr` flag.
	SkipCheckAdvAddr bool `json:"vrrp_skip_check_adv_addr,omitempty"`
	// Strict is the `vrrp_strict` flag.
	Strict bool `json:"vrrp_strict,omitempty"`

	// IPTablesRequested records `vrrp_iptables`, which this build (like
	// Debian 12's) serves with nftables.
	IPTablesRequested bool `json:"vrrp_iptables,omitempty"`
	// NFTables is the `nftables [TABLE]` table name; "" is off.
	NFTables string `json:"nftables,omitempty"`
	// NFTablesPriority is `nftables_priority` (default -1).
	NFTablesPriority int `json:"nftables_priority"`
	// NFTablesIfindex is the `nftables_ifindex` flag.
	NFTablesIfindex bool `json:"nftables_ifindex,omitempty"`
	// NFTablesCounters is the `nftables_counters` flag.
	NFTablesCounters bool `json:"nftables_counters,omitempty"`

	// VRRPRxBufsPolicy is `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`.
	VRRPRxBufsPolicy RxBufsPolicy `json:"vrrp_rx_bufs_policy"`
	// VRRPRxBufsMultiplier is `vrrp_rx_bufs_multiplier` (default 3).
	VRRPRxBufsMultiplier uint32 `json:"vrrp_rx_bufs_multiplier"`
	// VRRPStartupDelay is `vrrp_startup_delay`.
	VRRPStartupDelay Micros `json:"vrrp_startup_delay,omitempty"`
	// LogUnknownVRIDs is the `log_unknown_vrids` flag.
	LogUnknownVRIDs bool `json:"log_unknown_vrids,omitempty"`
	// VMACPrefix is `vmac_prefix` (default vrrp).
	VMACPrefix string `json:"vmac_prefix"`
	// VMACAddrPrefix is `vmac_addr_prefix` (default: VMACPrefix).
	VMACAddrPrefix string `json:"vmac_addr_prefix"`
}

// RxBufsPolicy is how the VRRP socket receive buffer is sized.
type RxBufsPolicy struct {
	MTU    bool   `json:"mtu,omitempty"`
	Advert bool   `json:"advert,omitempty"`
	Size   uint32 `json:"size,omitempty"`
	// SizeSet means a fixed size was given (it excludes MTU and ADVERT).
	SizeSet bool `json:"size_set,omitempty"`
}

// nftTableMaxNameLen is the kernel headers' value, which keepalived uses over its own.
const nftTableMaxNameLen = 256

var globalVRRPKeywords = table[GlobalDefs]{
	"dynamic_interfaces": {handle: gdDynamicInterfaces},
	"default_interface":  {handle: gdDefaultInterface},
	// keepalived checks that the kernel has igmp_link_local_mcast_reports;
	// every kernel since 4.6 has.
	"disable_local_igmp":              {handle: func(_ *stmt, g *GlobalDefs) { g.DisableLocalIGMP = true }},
	"vrrp_mcast_group4":               {handle: gdMcastGroup(false)},
	"vrrp_mcast_group6":               {handle: gdMcastGroup(true)},
	"vrrp_garp_master_delay":          {handle: gdGarpSeconds(func(g *GlobalDefs) *Micros { return &g.GarpMasterDelay }, "vrrp_garp_master_delay '%s' invalid - ignoring", nil)},
	"vrrp_garp_master_repeat":         {handle: gdGarpRepeat(func(g *GlobalDefs) *uint32 { return &g.GarpMasterRepeat }, "vrrp_garp_master_repeat")},
	"vrrp_garp_master_refresh":        {handle: gdGarpRefresh},
	"vrrp_garp_master_refresh_repeat": {handle: gdGarpRepeat(func(g *GlobalDefs) *uint32 { return &g.GarpMasterRefreshRepeat }, "vrrp_garp_master_refresh_repeat")},
	"vrrp_garp_lower_prio_delay": {handle: gdGarpSeconds(func(g *GlobalDefs) *Micros { return &g.GarpLowerPrioDelay }, "vrrp_garp_lower_prio_delay '%s' invalid - ignoring",
		func(g *GlobalDefs) { g.GarpLowerPrioDelaySet = true })},
	"vrrp_garp_lower_prio_repeat":  {handle: gdGarpLowerPrioRepeat},
	"vrrp_down_timer_adverts":      {handle: gdDownTimerAdverts},
	"vrrp_garp_interval":           {handle: gdGarpInterval("vrrp_garp_interval", func(g *GlobalDefs) *Micros { return &g.GarpInterval })},
	"vrrp_gna_interval":            {handle: gdGarpInterval("vrrp_gna_interval", func(g *GlobalDefs) *Micros { return &g.GNAInterval })},
	"vrrp_min_garp":                {handle: gdMinGarp},
	"vrrp_garp_extra_if":           {handle: gdGarpExtraIf},
	"vrrp_vmac_garp_intvl":         {handle: gdGarpExtraIf},
	"vrrp_lower_prio_no_advert":    {handle: boolInto(func(g *GlobalDefs) *bool { return &g.LowerPrioNoAdvert }, "Invalid value for vrrp_lower_prio_no_advert specified")},
	"vrrp_higher_prio_send_advert": {handle: boolInto(func(g *GlobalDefs) *bool { return &g.HigherPrioSendAdvert }, "Invalid value for vrrp_higher_prio_send_advert specified")},
	"vrrp_version":                 {handle: gdVRRPVersion},
	"vrrp_iptables":                {handle: gdVRRPIPTables},
	"nftables":                     {handle: gdNFTables},
	"nftables_priority":            {handle: gdNFTablesPriority},
	"nftables_ifindex":             {handle: func(_ *stmt, g *GlobalDefs) { g.NFTablesIfindex = true }},
	"nftables_counters":            {handle: func(_ *stmt, g *GlobalDefs) { g.NFTablesCounters = true }},
	"vrrp_check_unicast_src":       {handle: func(_ *stmt, g *GlobalDefs) { g.CheckUnicastSrc = true }},
	"vrrp_skip_check_adv_addr":     {handle: func(_ *stmt, g *GlobalDefs) { g.SkipCheckAdvAddr = true }},
	"vrrp_strict":                  {handle: func(_ *stmt, g *GlobalDefs) { g.Strict = true }},
	"vrrp_rx_bufs_policy":          {handle: gdRxBufsPolicy},
	"vrrp_rx_bufs_multiplier":      {handle: gdRxBufsMultiplier},
	"vrrp_startup_delay":           {handle: gdStartupDelay},
	"log_unknown_vrids":            {handle: func(_ *stmt, g *GlobalDefs) { g.LogUnknownVRIDs = true }},
	"vmac_prefix":                  {handle: gdVMACPrefix("vmac prefix", func(g *GlobalDefs) *string { return &g.VMACPrefix })},
	"vmac_addr_prefix":             {handle: gdVMACPrefix("vmac_addr prefix", func(g *GlobalDefs) *string { return &g.VMACAddrPrefix })},
}

func gdDynamicInterfaces(s *stmt, g *GlobalDefs) {
	g.DynamicInterfaces = true
	if v, ok := s.Arg(1); ok {
		if v == "allow_if_changes" {
			g.AllowIfChanges = true
		} else {
			s.Errorf(ClassGeneral, "Unknown dynamic_interfaces option '%s'", v)
		}
	}
}

func gdDefaultInterface(s *stmt, g *GlobalDefs) {
	if v, ok := s.argOr("default_interface requires interface name"); ok {
		g.DefaultInterface = v
	}
}

func gdMcastGroup(v6 bool) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		text, ok := s.Need(1)
		if !ok {
			return
		}
		kw := s.Keyword()
		a, ok := parseSockAddr(text)
		if !ok || a.Is6() != strings.Contains(text, ":") {
			s.Errorf(ClassGeneral, "Can't parse %s [%s]. Skipping", kw, text)
			return
		}
		if a.Is6() != v6 {
			fam := "IPv4"
			if v6 {
				fam = "IPv6"
			}
			s.Errorf(ClassGeneral, "%s [%s] is not %s. Skipping", kw, text, fam)
			return
		}
		if !a.IsMulticast() {
			s.Errorf(ClassGeneral, "%s [%s] is not multicast. Skipping", kw, text)
			return
		}
		if v6 {
			if !a.IsLinkLocalMulticast() {
				s.Warnf(ClassWarning, "%s [%s] should be link-local multicast.", kw, text)
			}
			g.VRRPMcastGroup6 = a
			return
		}
		g.VRRPMcastGroup4 = a
	}
}

// gdGarpSeconds reads whole seconds up to what fits in keepalived's µs
// timer (4294 s).
func gdGarpSeconds(field func(*GlobalDefs) *Micros, format string, mark func(*GlobalDefs)) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		v, ok := s.uintValue(1, 0, math.MaxUint32/1000000)
		if !ok {
			if s.NArgs() >= 1 {
				s.Errorf(ClassGeneral, format, s.Word(1).Text)
			}
			return
		}
		*field(g) = Micros(v) * second
		if mark != nil {
			mark(g)
		}
	}
}

func gdGarpRepeat(field func(*GlobalDefs) *uint32, kw string) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		v, ok := s.uintValue(1, 0, math.MaxUint32)
		if !ok {
			if s.NArgs() >= 1 {
				s.Errorf(ClassGeneral, "%s '%s' invalid - ignoring", kw, s.Word(1).Text)
			}
			return
		}
		if v == 0 {
			s.Errorf(ClassGeneral, "%s must be greater than 0, setting to 1", kw)
			v = 1
		}
		*field(g) = uint32(v)
	}
}

// gdGarpRefresh turns the refresh off on a bad value, as keepalived does.
func gdGarpRefresh(s *stmt, g *GlobalDefs) {
	v, ok := s.uintValue(1, 0, math.MaxUint32)
	if !ok {
		if s.NArgs() < 1 {
			return
		}
		s.Errorf(ClassGeneral, "Invalid vrrp_garp_master_refresh '%s' - ignoring", s.Word(1).Text)
		v = 0
	}
	g.GarpMasterRefresh = Micros(v) * second
}

func gdGarpLowerPrioRepeat(s *stmt, g *GlobalDefs) {
	if v, ok := s.uintOr(0, math.MaxInt32, "Invalid vrrp_garp_lower_prio_repeat '%s'"); ok {
		g.GarpLowerPrioRepeat, g.GarpLowerPrioRepeatSet = uint32(v), true
	}
}

func gdDownTimerAdverts(s *stmt, g *GlobalDefs) {
	if v, ok := s.uintOr(1, 100, "Invalid vrrp_down_timer_adverts [1:100] '%s'"); ok {
		g.DownTimerAdverts = uint32(v)
	}
}

// gdGarpInterval rejects 0 (the range starts at 1 µs), a classic of
// production configs, and keeps the previous value.
func gdGarpInterval(kw string, field func(*GlobalDefs) *Micros) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		v, ok := s.decimalValue(1, 1, math.MaxUint32, 6)
		if !ok {
			if s.NArgs() < 1 {
				return
			}
			s.Errorf(ClassGeneral, "%s '%s' is invalid", kw, s.Word(1).Text)
		} else {
			*field(g) = Micros(v)
		}
		if *field(g) >= second {
			s.Logf("The %s is very large - %s seconds", kw, s.Word(1).Text)
		}
	}
}

// gdMinGarp lowers the GARP settings that are still at their defaults.
func gdMinGarp(s *stmt, g *GlobalDefs) {
	v, ok := s.optBool("Invalid value for vrrp_min_garp specified")
	if !ok || !v {
		return
	}
	g.MinGarp = true
	if g.GarpMasterRepeat == 5 {
		g.GarpMasterRepeat = 1
	}
	if g.GarpMasterRefreshRepeat == 1 {
		g.GarpMasterRefreshRepeat = 0
	}
	if g.GarpMasterDelay == 5*second {
		g.GarpMasterDelay = 0
	}
}

func gdGarpExtraIf(s *stmt, g *GlobalDefs) {
	kw := s.Keyword()
	if kw == "vrrp_vmac_garp_intvl" {
		s.Errorf(ClassDeprecated, `Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"`)
	}
	var delay uint64
	for i := 1; i <= s.NArgs(); i++ {
		if s.Word(i).Text == "all" {
			g.GarpExtraIfAll = true
			continue
		}
		v, ok := s.uintValue(i, 1, 86400)
		if !ok {
			s.Errorf(ClassGeneral, "%s '%s' invalid - ignoring", kw, s.Word(i).Text)
			return
		}
		delay = v
	}
	if delay == 0 {
		s.Errorf(ClassGeneral, "%s specified without time - ignoring", kw)
		return
	}
	g.GarpExtraIf = Micros(delay) * second
}

func gdVRRPVersion(s *stmt, g *GlobalDefs) {
	v, ok := s.intValue(1, 2, 3)
	if !ok {
		if s.NArgs() >= 1 {
			s.Errorf(ClassGeneral, "VRRP Error: Version must be either 2 or 3")
		}
		return
	}
	g.VRRPVersion = int(v)
}

// gdVRRPIPTables is what a keepalived built without iptables (Debian 12's)
// does: an error on every occurrence, then nftables with table keepalived.
func gdVRRPIPTables(s *stmt, g *GlobalDefs) {
	s.Errorf(ClassGeneral, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option")
	g.IPTablesRequested = true
	g.NFTables = "keepalived"
	g.NFTablesPriority = -1
}

func gdNFTables(s *stmt, g *GlobalDefs) {
	if name, ok := nftTable(s, "nftables", g.NFTables, "keepalived"); ok {
		g.NFTables = name
		g.NFTablesPriority = -1
	}
}

func gdNFTablesPriority(s *stmt, g *GlobalDefs) {
	if v, ok := nftPriority(s, "nftables"); ok {
		g.NFTablesPriority = v
	}
}

// nftTable reads `nftables [NAME]` or `nftables_ipvs [NAME]`; what is how
// keepalived names the option in its messages, have the name already set.
func nftTable(s *stmt, what, have, def string) (string, bool) {
	if have != "" {
		s.Errorf(ClassGeneral, "%s already specified - ignoring", what)
		return "", false
	}
	name, ok := s.Arg(1)
	if !ok {
		return def, true
	}
	if len(name) >= nftTableMaxNameLen {
		s.Errorf(ClassGeneral, "%s table name too long - ignoring", what)
		return "", false
	}
	return name, true
}

// nftPriority reads a chain priority; a missing value is only the
// missing-parameter report.
func nftPriority(s *stmt, what string) (int, bool) {
	v, ok := s.intValue(1, math.MinInt32, math.MaxInt32)
	if !ok && s.NArgs() >= 1 {
		s.Errorf(ClassInvalidNumber, "invalid %s chain priority '%s'", what, s.Word(1).Text)
	}
	return int(v), ok
}

// gdRxBufsPolicy keeps keepalived's quirk: a size is always read from the
// first word, whichever word was not MTU or ADVERT.
func gdRxBufsPolicy(s *stmt, g *GlobalDefs) {
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "vrrp_rx_bufs_policy missing")
		return
	}
	p := &g.VRRPRxBufsPolicy
	for i := 1; i <= s.NArgs(); i++ {
		switch w := s.Word(i).Text; {
		case strings.EqualFold(w, "MTU"):
			p.MTU = true
		case strings.EqualFold(w, "ADVERT"):
			p.Advert = true
		default:
			v, ok := s.uintValue(1, 0, math.MaxUint32)
			if !ok {
				s.Errorf(ClassGeneral, "Invalid vrrp_rx_bufs_policy %s", w)
				continue
			}
			p.Size, p.SizeSet = uint32(v), true
		}
	}
	switch {
	case p.SizeSet && (p.MTU || p.Advert):
		s.Errorf(ClassGeneral, "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy")
		p.MTU, p.Advert = false, false
	case p.MTU && p.Advert:
		s.Errorf(ClassGeneral, "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT")
		p.Advert = false
	}
}

func gdRxBufsMultiplier(s *stmt, g *GlobalDefs) {
	if s.NArgs() != 1 {
		s.Errorf(ClassGeneral, "Invalid vrrp_rx_bufs_multiplier")
		return
	}
	v, ok := s.uintValue(1, 1, math.MaxUint32)
	if !ok {
		s.Errorf(ClassGeneral, "Invalid vrrp_rx_bufs_multiplier %s", s.Word(1).Text)
		return
	}
	g.VRRPRxBufsMultiplier = uint32(v)
}

func gdStartupDelay(s *stmt, g *GlobalDefs) {
	v, ok := s.decimalValue(1, 1000, math.MaxUint32, 6)
	if !ok {
		if s.NArgs() < 1 {
			return
		}
		s.Errorf(ClassGeneral, "vrrp_startup_delay '%s' is invalid", s.Word(1).Text)
	} else {
		g.VRRPStartupDelay = Micros(v)
	}
	if g.VRRPStartupDelay >= 60*second {
		s.Logf("The vrrp_startup_delay is very large - %s seconds", s.Word(1).Text)
	}
}

func gdVMACPrefix(what string, field func(*GlobalDefs) *string) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		v, ok := s.Need(1)
		if !ok {
			return
		}
		if *field(g) != "" {
			s.Errorf(ClassGeneral, "%s has already been specified - ignoring %s", what, v)
			return
		}
		*field(g) = v
	}
}
