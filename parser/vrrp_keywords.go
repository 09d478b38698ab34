package parser

import (
	"net/netip"
	"strings"
)

// VRRPInstance is a vrrp_instance block with keepalived's derived defaults
// applied by validateVRRP (vrrp_complete_instance).
type VRRPInstance struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`

	// State is `state`: MASTER or BACKUP; derived from the priority when unset.
	State string `json:"state"`
	// Interface is `interface`; empty when missing or rejected.
	Interface string `json:"interface,omitempty"`
	// VRID is `virtual_router_id` (1..255, required).
	VRID int `json:"virtual_router_id"`
	// Priority is `priority` (1..255); 255 when unset and state MASTER, else 100.
	Priority int `json:"priority"`
	// AdvertInt is `advert_int`, rounded as the protocol version requires.
	AdvertInt Micros `json:"advert_int"`
	// Version is `version` (2 or 3): explicit, else 3 for IPv6, else vrrp_version.
	Version int `json:"version"`
	// Family is 4 or 6: from the first VIP, unicast address or mcast_dst_ip.
	Family int `json:"family"`
	// Auth is the `authentication` block; nil when none is in effect.
	Auth *Authentication `json:"authentication,omitempty"`

	// VIPs is `virtual_ipaddress`.
	VIPs []*IPAddress `json:"virtual_ipaddress,omitempty"`
	// EVIPs is `virtual_ipaddress_excluded`.
	EVIPs []*IPAddress `json:"virtual_ipaddress_excluded,omitempty"`
	// Routes is `virtual_routes`.
	Routes []*Route `json:"virtual_routes,omitempty"`
	// Rules is `virtual_rules`.
	Rules []*Rule `json:"virtual_rules,omitempty"`

	// NoPreempt is `nopreempt` (`preempt` clears it).
	NoPreempt bool `json:"nopreempt,omitempty"`
	// PreemptDelay is `preempt_delay`.
	PreemptDelay Micros `json:"preempt_delay,omitempty"`

	// TrackInterfaces is `track_interface`.
	TrackInterfaces []*TrackEntry `json:"track_interface,omitempty"`
	// TrackScripts is `track_script`, resolved against vrrp_script blocks.
	TrackScripts []*TrackEntry `json:"track_script,omitempty"`
	// TrackFiles is `track_file` inside the instance.
	TrackFiles []*TrackEntry `json:"track_file,omitempty"`
	// TrackProcesses is `track_process`.
	TrackProcesses []*TrackEntry `json:"track_process,omitempty"`
	// TrackBFDs is `track_bfd`.
	TrackBFDs []*TrackEntry `json:"track_bfd,omitempty"`
	// DontTrackPrimary is `dont_track_primary`.
	DontTrackPrimary bool `json:"dont_track_primary,omitempty"`

	// SrcIP is `unicast_src_ip` or `mcast_src_ip`.
	SrcIP netip.Addr `json:"unicast_src_ip,omitzero"`
	// UnicastPeers is `unicast_peer`.
	UnicastPeers []*UnicastPeer `json:"unicast_peer,omitempty"`
	// Unicast tells whether adverts go by unicast (peers were configured).
	Unicast bool `json:"unicast,omitempty"`
	// UnicastTTL is `unicast_ttl`; -1 leaves IPv6 at the kernel's default.
	UnicastTTL int `json:"unicast_ttl"`
	// UnicastFaultNoPeer is `unicast_fault_no_peer`.
	UnicastFaultNoPeer bool `json:"unicast_fault_no_peer,omitempty"`
	// CheckUnicastSrc is `check_unicast_src` (also implied by min/max_ttl).
	CheckUnicastSrc bool `json:"check_unicast_src,omitempty"`
	// OldUnicastChecksum is `old_unicast_checksum`: "", "config" or "never".
	OldUnicastChecksum string `json:"old_unicast_checksum,omitempty"`
	// McastDstIP is `mcast_dst_ip`; zero means the global group.
	McastDstIP netip.Addr `json:"mcast_dst_ip,omitzero"`
	// TrackSrcIP is `track_src_ip`.
	TrackSrcIP bool `json:"track_src_ip,omitempty"`

	// UseVMAC is `use_vmac`; VMACName and VMACAddr are its optional arguments.
	UseVMAC  bool   `json:"use_vmac,omitempty"`
	VMACName string `json:"vmac_name,omitempty"`
	VMACAddr string `json:"vmac_addr,omitempty"`
	// UseVMACAddr is `use_vmac_addr`.
	UseVMACAddr bool `json:"use_vmac_addr,omitempty"`
	// VMACXmitBase is `vmac_xmit_base`.
	VMACXmitBase bool `json:"vmac_xmit_base,omitempty"`
	// UseIPVLAN is `use_ipvlan` with its optional name, address and mode.
	UseIPVLAN  bool       `json:"use_ipvlan,omitempty"`
	IPVLANName string     `json:"ipvlan_name,omitempty"`
	IPVLANAddr netip.Addr `json:"ipvlan_addr,omitzero"`
	IPVLANMode string     `json:"ipvlan_mode,omitempty"`
	// VRF is `vrf`.
	VRF string `json:"vrf,omitempty"`

	// Accept is `accept` / `no_accept`, defaulted by strict mode and ownership.
	Accept bool `json:"accept"`
	// SkipCheckAdvAddr is `skip_check_adv_addr` (or the global).
	SkipCheckAdvAddr bool `json:"skip_check_adv_addr,omitempty"`
	// StrictMode is `strict_mode` (or the global vrrp_strict).
	StrictMode bool `json:"strict_mode,omitempty"`
	// PromoteSecondaries is `promote_secondaries`.
	PromoteSecondaries bool `json:"promote_secondaries,omitempty"`
	// LVSSyncDaemonInterface is the deprecated `lvs_sync_daemon_interface`.
	LVSSyncDaemonInterface string `json:"lvs_sync_daemon_interface,omitempty"`
	// LinkbeatUsePolling is the deprecated instance `linkbeat_use_polling`.
	LinkbeatUsePolling bool `json:"linkbeat_use_polling,omitempty"`

	// GARP settings, each inherited from the vrrp_garp_* global when unset.
	GarpMasterDelay         uint64 `json:"garp_master_delay"`
	GarpMasterRepeat        uint64 `json:"garp_master_repeat"`
	GarpMasterRefresh       uint64 `json:"garp_master_refresh"`
	GarpMasterRefreshRepeat uint64 `json:"garp_master_refresh_repeat"`
	GarpLowerPrioDelay      uint64 `json:"garp_lower_prio_delay"`
	GarpLowerPrioRepeat     uint64 `json:"garp_lower_prio_repeat"`
	// GarpExtraIf is `garp_extra_if [all] SECS`.
	GarpExtraIf    uint64 `json:"garp_extra_if,omitempty"`
	GarpExtraIfAll bool   `json:"garp_extra_if_all,omitempty"`
	// DownTimerAdverts is `down_timer_adverts` (1..100).
	DownTimerAdverts uint64 `json:"down_timer_adverts"`
	// LowerPrioNoAdvert is `lower_prio_no_advert`.
	LowerPrioNoAdvert bool `json:"lower_prio_no_advert"`
	// HigherPrioSendAdvert is `higher_prio_send_advert`.
	HigherPrioSendAdvert bool `json:"higher_prio_send_advert"`
	// KernelRxBufSize is `kernel_rx_buf_size`; 0 leaves the policy default.
	KernelRxBufSize uint64 `json:"kernel_rx_buf_size,omitempty"`
	// Debug is `debug` (0..4, no effect).
	Debug int `json:"debug,omitempty"`

	// Notify scripts: `notify_master`, `notify_backup`, `notify_fault`,
	// `notify_stop`, `notify_deleted`, `notify`, `notify_master_rx_lower_pri`.
	NotifyMaster           *Script `json:"notify_master,omitempty"`
	NotifyBackup           *Script `json:"notify_backup,omitempty"`
	NotifyFault            *Script `json:"notify_fault,omitempty"`
	NotifyStop             *Script `json:"notify_stop,omitempty"`
	NotifyDeleted          *Script `json:"notify_deleted,omitempty"`
	Notify                 *Script `json:"notify,omitempty"`
	NotifyMasterRxLowerPri *Script `json:"notify_master_rx_lower_pri,omitempty"`
	// SendDeleted is `notify_deleted` with or without a script.
	SendDeleted bool `json:"send_deleted,omitempty"`
	// NotifyPriorityChanges is `notify_priority_changes`.
	NotifyPriorityChanges bool `json:"notify_priority_changes,omitempty"`
	// SMTPAlert is `smtp_alert`, else smtp_alert_vrrp, else smtp_alert.
	SMTPAlert bool `json:"smtp_alert,omitempty"`

	// set records what the block said explicitly, as keepalived's "unset"
	// sentinels do; validation derives the rest.
	set instanceSet
	// trackLines wait for resolveInstanceTracking, by kind.
	trackLines [trackBFD + 1][]*stmt
}

// instanceSet holds keepalived's PARAMETER_UNSET markers for one instance.
type instanceSet struct {
	state, priority, accept, strict, version           bool
	lowerPrioDelay, lowerPrioRepeat                    bool
	lowerPrioNoAdvert, higherPrioSendAdvert            bool
	smtpAlert, notifyPriorityChanges, garpExtraIf      bool
	skipCheckAdvAddr, ttl                              bool
	unicastConfigured, saddrFromConfig, vmacMACSet     bool
	garpDelay, garpRepeat, garpRefresh, garpRefreshRep bool
	downTimerAdverts                                   bool
	// iface is true when `interface` named an interface keepalived found.
	iface bool
	// completed is true once validation derived the instance's defaults.
	completed bool
}

// Authentication is the `authentication` block (VRRPv2, IPv4).
type Authentication struct {
	Pos Pos `json:"pos"`
	// Type is `auth_type`: PASS or AH; empty when not given.
	Type string `json:"auth_type"`
	// Pass is `auth_pass`, truncated to 8 bytes as keepalived does.
	Pass string `json:"auth_pass,omitempty"`
}

var vrrpRootKeywords = table[Config]{
	"vrrp_instance":    {handle: decodeVRRPInstance, kind: subBlock, pass: PassVRRP},
	"static_ipaddress": {handle: decodeStaticAddresses, kind: valueBlock, pass: PassVRRP},
	"static_routes":    {handle: decodeStaticRoutes, kind: valueBlock, pass: PassVRRP},
	"static_rules":     {handle: decodeStaticRules, kind: valueBlock, pass: PassVRRP},
}

func decodeVRRPInstance(s *stmt, c *Config) {
	name, ok := blockName(s, c.Instances, func(vi *VRRPInstance) string { return vi.Name },
		"vrrp_instance must have a name", "vrrp instance %s already defined")
	if !ok {
		return
	}
	vi := &VRRPInstance{Name: name, Pos: s.Pos(), UnicastTTL: -1}
	c.Instances = append(c.Instances, vi)
	decodeBlock(s.d, s.Body(), instanceKeywords, vi)
	endInstance(s.d, vi)
}

// endInstance is keepalived's vrrp_end_handler: checks that need the whole
// block but are still reported during the parse.
func endInstance(d *decoder, vi *VRRPInstance) {
	if vi.set.unicastConfigured && (vi.UseVMAC || vi.UseIPVLAN) {
		if !vi.set.iface {
			d.errorf(vi.Pos, ClassGeneral, "(%s): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac", vi.Name)
			vi.UseVMAC, vi.UseIPVLAN, vi.VMACName = false, false, ""
		} else if !vi.VMACXmitBase {
			d.errorf(vi.Pos, ClassGeneral, "(%s) unicast with use_vmac requires vmac_xmit_base - setting", vi.Name)
			vi.VMACXmitBase = true
		}
	}
	if len(vi.UnicastPeers) == 0 && vi.set.ttl {
		d.errorf(vi.Pos, ClassGeneral, "(%s): Cannot use unicast_ttl without unicast peers - resetting", vi.Name)
		vi.UnicastTTL = 0
		vi.set.ttl = false
	}
	if !vi.set.iface {
		vi.LinkbeatUsePolling = false
	}
}

// instanceKeywords is the vrrp_instance block (keepalived's
// init_vrrp_keywords, Debian 12 build: VMAC, ipvlan, VRF, BFD, track_process).
var instanceKeywords table[VRRPInstance]

func init() {
	instanceKeywords = table[VRRPInstance]{
		"use_vmac":              {handle: decodeUseVMAC},
		"use_vmac_addr":         {handle: func(s *stmt, vi *VRRPInstance) { vi.UseVMACAddr = true }},
		"vmac_xmit_base":        {handle: func(s *stmt, vi *VRRPInstance) { vi.VMACXmitBase = true }},
		"use_ipvlan":            {handle: decodeUseIPVLAN},
		"unicast_peer":          {handle: decodeUnicastPeers, kind: valueBlock},
		"unicast_fault_no_peer": {handle: func(s *stmt, vi *VRRPInstance) { vi.set.unicastConfigured, vi.UnicastFaultNoPeer = true, true }},
		"check_unicast_src":     {handle: func(s *stmt, vi *VRRPInstance) { vi.set.unicastConfigured, vi.CheckUnicastSrc = true, true }},
		"old_unicast_checksum":  {handle: decodeOldUnicastChecksum},
		"native_ipv6":           {handle: decodeNativeIPv6},
		"state":                 {handle: decodeState},
		"interface":             {handle: decodeInterface},
		"vrf":                   {handle: decodeVRF},
		"dont_track_primary":    {handle: func(s *stmt, vi *VRRPInstance) { vi.DontTrackPrimary = true }},
		"track_interface": {handle: func(s *stmt, vi *VRRPInstance) {
			vi.TrackInterfaces = appendTrackEntries(s, trackInterface, vi.Name, vi.TrackInterfaces)
		}, kind: valueBlock},
		"track_script":               {handle: deferTrackBlock(trackScript), kind: valueBlock},
		"track_file":                 {handle: deferTrackBlock(trackFile), kind: valueBlock},
		"track_process":              {handle: deferTrackBlock(trackProcess), kind: valueBlock},
		"track_bfd":                  {handle: deferTrackBlock(trackBFD), kind: valueBlock},
		"mcast_src_ip":               {handle: decodeSrcIP},
		"unicast_src_ip":             {handle: func(s *stmt, vi *VRRPInstance) { vi.set.unicastConfigured = true; decodeSrcIP(s, vi) }},
		"mcast_dst_ip":               {handle: decodeMcastDstIP},
		"track_src_ip":               {handle: func(s *stmt, vi *VRRPInstance) { vi.TrackSrcIP = true }},
		"virtual_router_id":          {handle: instanceUint("(%s): VRID '%s' not valid - must be between 1 & 255", 1, 255, false, func(vi *VRRPInstance, v uint64) { vi.VRID = int(v) })},
		"unicast_ttl":                {handle: instanceUint("(%s): TTL '%s' not valid - must be between 0 & 255", 0, 255, false, func(vi *VRRPInstance, v uint64) { vi.UnicastTTL, vi.set.ttl = int(v), true })},
		"version":                    {handle: decodeVersion},
		"priority":                   {handle: decodePriority},
		"advert_int":                 {handle: decodeAdvertInt},
		"virtual_ipaddress":          {handle: decodeVIPs, kind: valueBlock},
		"virtual_ipaddress_excluded": {handle: decodeEVIPs, kind: valueBlock},
		"promote_secondaries":        {handle: func(s *stmt, vi *VRRPInstance) { vi.PromoteSecondaries = true }},
		"linkbeat_use_polling":       {handle: decodeInstanceLinkbeat},
		"virtual_routes":             {handle: decodeVirtualRoutes, kind: valueBlock},
		"virtual_rules":              {handle: decodeVirtualRules, kind: valueBlock},
		"accept":                     {handle: func(s *stmt, vi *VRRPInstance) { vi.Accept, vi.set.accept = true, true }},
		"no_accept":                  {handle: func(s *stmt, vi *VRRPInstance) { vi.Accept, vi.set.accept = false, true }},
		"skip_check_adv_addr":        {handle: decodeSkipCheckAdvAddr},
		"strict_mode":                {handle: instanceBool("strict_mode", func(vi *VRRPInstance, v bool) { vi.StrictMode, vi.set.strict = v, true })},
		"preempt":                    {handle: func(s *stmt, vi *VRRPInstance) { vi.NoPreempt = false }},
		"nopreempt":                  {handle: func(s *stmt, vi *VRRPInstance) { vi.NoPreempt = true }},
		"preempt_delay":              {handle: decodePreemptDelay},
		"debug":                      {handle: instanceUint("(%s) Debug value '%s' not valid; must be between 0-4", 0, 4, false, func(vi *VRRPInstance, v uint64) { vi.Debug = int(v) })},
		"notify_backup":              {handle: instanceNotifyScript("notify_backup", func(vi *VRRPInstance) **Script { return &vi.NotifyBackup })},
		"notify_master":              {handle: instanceNotifyScript("notify_master", func(vi *VRRPInstance) **Script { return &vi.NotifyMaster })},
		"notify_fault":               {handle: instanceNotifyScript("notify_fault", func(vi *VRRPInstance) **Script { return &vi.NotifyFault })},
		"notify_stop":                {handle: instanceNotifyScript("notify_stop", func(vi *VRRPInstance) **Script { return &vi.NotifyStop })},
		"notify_deleted":             {handle: decodeNotifyDeleted},
		"notify":                     {handle: instanceNotifyScript("notify", func(vi *VRRPInstance) **Script { return &vi.Notify })},
		"notify_master_rx_lower_pri": {handle: instanceNotifyScript("notify_master_rx_lower_pri", func(vi *VRRPInstance) **Script { return &vi.NotifyMasterRxLowerPri })},
		"smtp_alert":                 {handle: decodeInstanceSMTPAlert},
		"notify_priority_changes":    {handle: decodeNotifyPriorityChanges},
		"lvs_sync_daemon_interface":  {handle: decodeInstanceLVSSyncd},
		"garp_master_delay":          {handle: instanceUint("(%s): garp_master_delay '%s' invalid - ignoring", 0, maxUint32/1000000, false, func(vi *VRRPInstance, v uint64) { vi.GarpMasterDelay, vi.set.garpDelay = v, true })},
		"garp_master_refresh":        {handle: decodeGarpRefresh},
		"garp_master_repeat":         {handle: instanceUint("(%s): garp_master_repeat '%s' invalid - ignoring", 0, maxUint32, true, func(vi *VRRPInstance, v uint64) { vi.GarpMasterRepeat, vi.set.garpRepeat = v, true })},
		"garp_master_refresh_repeat": {handle: instanceUint("(%s): garp_master_refresh_repeat '%s' invalid - ignoring", 0, maxUint32, true, func(vi *VRRPInstance, v uint64) { vi.GarpMasterRefreshRepeat, vi.set.garpRefreshRep = v, true })},
		"garp_lower_prio_delay":      {handle: instanceUint("(%s): garp_lower_prio_delay '%s' invalid - ignoring", 0, maxUint32/1000000, false, func(vi *VRRPInstance, v uint64) { vi.GarpLowerPrioDelay, vi.set.lowerPrioDelay = v, true })},
		"garp_lower_prio_repeat":     {handle: instanceUint("(%s): Invalid garp_lower_prio_repeat '%s'", 0, 1<<31-1, false, func(vi *VRRPInstance, v uint64) { vi.GarpLowerPrioRepeat, vi.set.lowerPrioRepeat = v, true })},
		"down_timer_adverts":         {handle: instanceUint("(%s): Invalid down_timer_adverts [1:100] '%s'", 1, 100, false, func(vi *VRRPInstance, v uint64) { vi.DownTimerAdverts, vi.set.downTimerAdverts = v, true })},
		"garp_extra_if":              {handle: decodeGarpExtraIf},
		"vmac_garp_intvl":            {handle: decodeGarpExtraIf},
		"lower_prio_no_advert":       {handle: instanceBool("lower_prio_no_advert", func(vi *VRRPInstance, v bool) { vi.LowerPrioNoAdvert, vi.set.lowerPrioNoAdvert = v, true })},
		"higher_prio_send_advert":    {handle: instanceBool("higher_prio_send_advert", func(vi *VRRPInstance, v bool) { vi.HigherPrioSendAdvert, vi.set.higherPrioSendAdvert = v, true })},
		"kernel_rx_buf_size":         {handle: decodeKernelRxBufSize},
		"authentication":             {handle: decodeAuthentication, kind: subBlock},
	}
}

const maxUint32 = 1<<32 - 1

func decodeState(s *stmt, vi *VRRPInstance) {
	v, ok := s.Need(1)
	if !ok {
		return
	}
	switch v {
	case "MASTER":
		vi.State, vi.set.state = "MASTER", true
	case "BACKUP":
		if vi.set.state && vi.State == "MASTER" {
			s.Errorf(ClassGeneral, "(%s) state previously set as MASTER - ignoring BACKUP", vi.Name)
			return
		}
		vi.State, vi.set.state = "BACKUP", true
	default:
		s.ErrorAt(1, ClassGeneral, "(%s) unknown state '%s', defaulting to BACKUP", vi.Name, v)
		vi.State, vi.set.state = "BACKUP", true
	}
}

func decodeInterface(s *stmt, vi *VRRPInstance) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	if len(name) >= ifNameSize {
		s.ErrorAt(1, ClassGeneral, "Interface name '%s' too long - ignoring", name)
		return
	}
	vi.Interface, vi.set.iface = "", false
	if !lookupInterface(s.d, name) {
		s.ErrorAt(1, ClassGeneral, "WARNING - interface %s for vrrp_instance %s doesn't exist", name, vi.Name)
		return
	}
	if isLoopback(name) {
		s.ErrorAt(1, ClassGeneral, "(%s) cannot use a loopback interface (%s) for vrrp - ignoring", vi.Name, name)
		return
	}
	vi.Interface, vi.set.iface = name, true
}

func decodeVRF(s *stmt, vi *VRRPInstance) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	switch {
	case len(name) >= ifNameSize:
		s.ErrorAt(1, ClassGeneral, "(%s) VRF interface name '%s' too long - ignoring", vi.Name, name)
	case vi.set.iface:
		s.Errorf(ClassGeneral, "(%s) Cannot specify VRF interface and interface - ignoring", vi.Name)
	case vi.VRF != "":
		s.Errorf(ClassGeneral, "(%s) VRF interface already specified as '%s' - ignoring", vi.Name, vi.VRF)
	case !lookupInterface(s.d, name):
		s.ErrorAt(1, ClassGeneral, "(%s) WARNING - VRF interface %s doesn't exist", vi.Name, name)
	case isLoopback(name):
		s.ErrorAt(1, ClassGeneral, "(%s) cannot use a loopback interface (%s) for VRF - ignoring", vi.Name, name)
	default:
		vi.VRF = name
	}
}

func decodeNativeIPv6(s *stmt, vi *VRRPInstance) {
	if vi.Family == 4 {
		s.Errorf(ClassGeneral, "(%s) Cannot specify native_ipv6 with IPv4 addresses", vi.Name)
		return
	}
	vi.Family, vi.Version, vi.set.version = 6, 3, true
}

func decodeSrcIP(s *stmt, vi *VRRPInstance) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	a, ok := parseSockAddr(text)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "Configuration error: VRRP instance[%s] malformed src address[%s]. Skipping...", vi.Name, text)
		return
	}
	fam := addrFamily(a)
	if vi.Family != 0 && fam != vi.Family {
		s.ErrorAt(1, ClassGeneral, "Configuration error: VRRP instance[%s] and src address[%s] MUST be of the same family !!! Skipping...", vi.Name, text)
		vi.SrcIP, vi.set.saddrFromConfig = netip.Addr{}, false
		return
	}
	vi.Family = fam
	vi.SrcIP, vi.set.saddrFromConfig = a, true
}

func decodeMcastDstIP(s *stmt, vi *VRRPInstance) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	a, ok := parseSockAddr(text)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "(%s) malformed mcast dest address %s. Skipping...", vi.Name, text)
		return
	}
	fam := addrFamily(a)
	if vi.Family == 0 {
		vi.Family = fam
	} else if fam != vi.Family {
		s.ErrorAt(1, ClassGeneral, "(%s) mcast dest address %s MUST match VRRP instance family. Skipping...", vi.Name, text)
		// keepalived goes on to the multicast check with the family cleared.
		return
	}
	if (fam == 4 && !a.IsMulticast()) || (fam == 6 && !a.IsLinkLocalMulticast()) {
		ll := ""
		if fam == 6 {
			ll = " link-local"
		}
		s.ErrorAt(1, ClassGeneral, "(%s) mcast_dst_ip %s not%s multicast. Skipping...", vi.Name, text, ll)
		return
	}
	vi.McastDstIP = a
}

func decodeVersion(s *stmt, vi *VRRPInstance) {
	v, ok := s.intValue(1, 2, 3)
	if !ok {
		if s.NArgs() >= 1 {
			s.Errorf(ClassGeneral, "(%s): Version must be either 2 or 3", vi.Name)
		}
		return
	}
	if (vi.set.version && vi.Version != int(v)) || (v == 2 && vi.Family == 6) {
		s.Errorf(ClassGeneral, "(%s) vrrp_version %d conflicts with configured or deduced version %d; ignoring.", vi.Name, v, vi.Version)
		return
	}
	vi.Version, vi.set.version = int(v), true
}

func decodePriority(s *stmt, vi *VRRPInstance) {
	v, ok := s.uintValue(1, 1, 255)
	if !ok {
		if s.NArgs() < 1 {
			return
		}
		s.ErrorAt(1, ClassGeneral, "(%s) Priority not valid! must be between 1 & 255. Using default 100", vi.Name)
		v = 100
	}
	vi.Priority, vi.set.priority = int(v), true
}

func decodeAdvertInt(s *stmt, vi *VRRPInstance) {
	v, ok := s.timerValue(1, 10000, 255*1000000)
	if !ok {
		if s.NArgs() >= 1 {
			s.ErrorAt(1, ClassGeneral, "(%s) Advert interval (%s) not valid! Must be > 0 - ignoring", vi.Name, s.Word(1).Text)
		}
		return
	}
	vi.AdvertInt = v
}

func decodePreemptDelay(s *stmt, vi *VRRPInstance) {
	v, ok := s.timerValue(1, 0, 1000*1000000)
	if !ok {
		if s.NArgs() >= 1 {
			s.ErrorAt(1, ClassGeneral, "(%s) Preempt_delay not valid! must be between 0-%d", vi.Name, 1000)
		}
		vi.PreemptDelay = 0
		return
	}
	vi.PreemptDelay = v
}

// instanceBool is keepalived's optional-BOOL handler shape: the keyword
// alone means true, anything but the six words is reported and ignored.
func instanceBool(kw string, set func(*VRRPInstance, bool)) func(*stmt, *VRRPInstance) {
	return func(s *stmt, vi *VRRPInstance) {
		v, ok := s.boolAt("(%s) invalid %s %s specified", vi.Name, kw)
		if !ok {
			return
		}
		set(vi, v)
	}
}

func decodeSkipCheckAdvAddr(s *stmt, vi *VRRPInstance) {
	// keepalived 2.2.x sets the flag for any valid boolean, even "off".
	if _, ok := s.boolAt("(%s) invalid skip_check_adv_addr %s specified", vi.Name); !ok {
		return
	}
	vi.SkipCheckAdvAddr, vi.set.skipCheckAdvAddr = true, true
}

func decodeInstanceSMTPAlert(s *stmt, vi *VRRPInstance) {
	v, ok := s.boolAt("Invalid vrrp_instance smtp_alert parameter %s")
	if !ok {
		return
	}
	vi.SMTPAlert, vi.set.smtpAlert = v, true
}

func decodeNotifyPriorityChanges(s *stmt, vi *VRRPInstance) {
	v, ok := s.boolAt("(%s) Invalid value '%s' for notify_priority_changes specified", vi.Name)
	if !ok {
		return
	}
	vi.NotifyPriorityChanges, vi.set.notifyPriorityChanges = v, true
}

func instanceNotifyScript(kw string, field func(*VRRPInstance) **Script) func(*stmt, *VRRPInstance) {
	return func(s *stmt, vi *VRRPInstance) {
		p := field(vi)
		if *p != nil {
			if arg, ok := s.Need(1); ok {
				s.Errorf(ClassGeneral, "(%s) %s script already specified - ignoring %s", vi.Name, kw, arg)
			}
			return
		}
		*p = s.script()
	}
}

func decodeNotifyDeleted(s *stmt, vi *VRRPInstance) {
	if vi.SendDeleted {
		arg, _ := s.Arg(1)
		s.Errorf(ClassGeneral, "(%s) notify_deleted already specified - ignoring %s", vi.Name, arg)
		return
	}
	if s.NArgs() > 0 {
		vi.NotifyDeleted = s.script()
	}
	vi.SendDeleted = true
}

func decodeInstanceLinkbeat(s *stmt, vi *VRRPInstance) {
	vi.LinkbeatUsePolling = true
	s.Errorf(ClassGeneral, "(%s) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", vi.Name)
}

func decodeInstanceLVSSyncd(s *stmt, vi *VRRPInstance) {
	s.Errorf(ClassGeneral, "(%s) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", vi.Name)
	// keepalived pads with a %*s of strlen(name)-2; a negative width
	// pads on the other side, to the same number of spaces.
	pad := len(vi.Name) - 2
	if pad < 0 {
		pad = -pad
	}
	s.Errorf(ClassGeneral, "      %sPlease use global lvs_sync_daemon", strings.Repeat(" ", pad))
	// keepalived stores it in the global lvs_sync_daemon setting, so only
	// the first instance to name one is heard (global_defs' own
	// lvs_sync_daemon, once GlobalDefs carries it, counts too).
	for _, o := range s.d.cfg.Instances {
		if o != vi && o.LVSSyncDaemonInterface != "" {
			s.Errorf(ClassGeneral, "(%s) lvs_sync_daemon_interface has already been specified as %s - ignoring", vi.Name, o.LVSSyncDaemonInterface)
			return
		}
	}
	if v, ok := s.Need(1); ok {
		vi.LVSSyncDaemonInterface = v
	}
}

// instanceUint is keepalived's read_unsigned handler: a bad value (a
// missing one is only uintValue's report) is reported with format, which
// takes the instance and the word, and ignored. zeroToOne is the garp
// repeat counts' rule.
func instanceUint(format string, min, max uint64, zeroToOne bool, set func(*VRRPInstance, uint64)) func(*stmt, *VRRPInstance) {
	return func(s *stmt, vi *VRRPInstance) {
		v, ok := s.uintValue(1, min, max)
		if !ok {
			if s.NArgs() >= 1 {
				s.ErrorAt(1, ClassGeneral, format, vi.Name, s.Word(1).Text)
			}
			return
		}
		if zeroToOne && v == 0 {
			s.ErrorAt(1, ClassGeneral, "(%s): %s must be greater than 0, setting to 1", vi.Name, s.Keyword())
			v = 1
		}
		set(vi, v)
	}
}

func decodeGarpRefresh(s *stmt, vi *VRRPInstance) {
	v, ok := s.uintValue(1, 0, maxUint32)
	if !ok {
		if s.NArgs() >= 1 {
			s.ErrorAt(1, ClassGeneral, "(%s): Invalid garp_master_refresh '%s' - ignoring", vi.Name, s.Word(1).Text)
		}
		v = 0
	}
	vi.GarpMasterRefresh, vi.set.garpRefresh = v, true
}

func decodeGarpExtraIf(s *stmt, vi *VRRPInstance) {
	kw := s.Keyword()
	if kw == "vmac_garp_intvl" {
		s.Errorf(ClassDeprecated, "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"")
	}
	var delay uint64
	have := false
	for i := 1; i <= s.NArgs(); i++ {
		if s.Word(i).Text == "all" {
			vi.GarpExtraIfAll = true
			continue
		}
		v, ok := s.uintValue(i, 0, 86400)
		if !ok {
			s.ErrorAt(i, ClassGeneral, "(%s): %s '%s' invalid - ignoring", vi.Name, kw, s.Word(i).Text)
			return
		}
		delay, have = v, true
	}
	if !have {
		s.Errorf(ClassGeneral, "(%s): %s specified without time - ignoring", vi.Name, kw)
		return
	}
	vi.GarpExtraIf, vi.set.garpExtraIf = delay, true
}

func decodeKernelRxBufSize(s *stmt, vi *VRRPInstance) {
	if s.NArgs() == 1 {
		if v, ok := s.uintValue(1, 0, maxUint32); ok {
			vi.KernelRxBufSize = v
			return
		}
	}
	s.Errorf(ClassGeneral, "(%s) invalid kernel_rx_buf_size specified", vi.Name)
}

func decodeOldUnicastChecksum(s *stmt, vi *VRRPInstance) {
	vi.set.unicastConfigured = true
	arg, ok := s.Arg(1)
	switch {
	case !ok:
		vi.OldUnicastChecksum = "config"
	case arg == "never":
		vi.OldUnicastChecksum = "never"
	default:
		s.ErrorAt(1, ClassGeneral, "(%s) Unknown old_unicast_chksum mode %s - ignoring", vi.Name, arg)
	}
}

// ifNameSize is the kernel's IFNAMSIZ: names must be shorter.
const ifNameSize = 16

// lookupInterface is keepalived's if_get_by_ifname(IF_CREATE_IF_DYNAMIC):
// with dynamic_interfaces a missing interface is created on the fly.
func lookupInterface(d *decoder, name string) bool {
	return d.opts.Host.InterfaceExists(name) || vrrpGlobals(d).DynamicInterfaces
}

// isLoopback stands in for keepalived's ARPHRD_LOOPBACK test: Host does not
// report link types, and "lo" is the only loopback a host normally has.
func isLoopback(name string) bool { return name == "lo" }

func addrFamily(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}
