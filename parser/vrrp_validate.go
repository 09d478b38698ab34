package parser

import (
	"net/netip"
	"strings"
)

// validateVRRP runs what keepalived's VRRP process checks after parsing:
// the tracking names resolved during the parse, the non-existent interface
// stop in start_vrrp, then vrrp_complete_init (chk_min_cfg,
// vrrp_complete_instance for each instance, check_vrid_conflicts). Like
// keepalived it stops at the first instance that cannot be completed.
func validateVRRP(d *decoder) {
	defer lintVRRP(d)
	checkSyncGroupOwners(d)
	for _, vi := range d.cfg.Instances {
		resolveInstanceTracking(d, vi)
		inheritVRRPGlobals(d, vi)
	}
	if nonExistentInterface(d) {
		d.errorf(Pos{}, ClassBadInterface, "Non-existent interface specified in configuration")
		return
	}
	for _, vi := range d.cfg.Instances {
		if vi.VRID == 0 {
			d.errorf(vi.Pos, ClassGeneral, "(%s) the virtual router id must be set", vi.Name)
			return
		}
		if !vi.set.iface {
			d.errorf(vi.Pos, ClassGeneral, "(%s) Unknown interface!", vi.Name)
			return
		}
	}
	for _, vi := range d.cfg.Instances {
		if !completeInstance(d, vi) {
			return
		}
	}
	checkVRIDConflicts(d)
	checkSyncGroupInterfaces(d)
}

// checkSyncGroupOwners is keepalived's start state of a sync group: the
// group starts as MASTER only while every member so far is a configured
// `state MASTER` with `priority 255`; a later member configured as BACKUP
// then cannot follow. keepalived decides this before deriving any defaults,
// so only what the blocks say counts.
func checkSyncGroupOwners(d *decoder) {
	for _, g := range d.cfg.SyncGroups {
		groupMaster, decided := false, false
		for _, name := range g.Members {
			vi := instanceByName(d.cfg, name)
			if vi == nil {
				continue
			}
			wantMaster := vi.set.state && vi.State == "MASTER"
			wantBackup := vi.set.state && vi.State == "BACKUP"
			if decided && groupMaster && wantBackup {
				d.errorf(g.Pos, ClassGeneral, "Sync group %s has some member(s) as address owner and some not as address owner. This won't work.", g.Name)
			}
			if !decided || groupMaster {
				groupMaster = wantMaster && vi.set.priority && vi.Priority == vrrpPrioOwner
				decided = true
			}
		}
	}
}

// checkSyncGroupInterfaces reports an interface tracked both by a sync
// group and by one of its members (explicitly, or as the member's own
// interface unless dont_track_primary): keepalived tracks it once and says
// so when it links the group's trackers to its members.
func checkSyncGroupInterfaces(d *decoder) {
	for _, g := range d.cfg.SyncGroups {
		if len(g.TrackInterfaces) == 0 {
			continue
		}
		for _, name := range g.Members {
			vi := instanceByName(d.cfg, name)
			if vi == nil {
				continue
			}
			for _, gt := range g.TrackInterfaces {
				tracked := gt.Name == vi.Interface && !vi.DontTrackPrimary
				for _, t := range vi.TrackInterfaces {
					tracked = tracked || t.Name == gt.Name
				}
				if tracked {
					d.errorf(gt.Pos, ClassGeneral, "(%s) track_interface %s is configured on VRRP instance and sync group. Remove vrrp instance or sync group config", vi.Name, gt.Name)
				}
			}
		}
	}
}

// nonExistentInterface reports whether the VRRP pass met an interface name
// that does not exist. keepalived raises one process-wide flag from every
// lookup; the decoder has no room for it, so the lookups' own messages
// are what is looked for.
func nonExistentInterface(d *decoder) bool {
	for _, diag := range d.diags {
		if diag.pass != PassVRRP || diag.Own || diag.Severity == SeverityNote {
			continue
		}
		m := diag.Message
		if (strings.Contains(m, "interface ") && strings.HasSuffix(m, " doesn't exist")) ||
			strings.Contains(m, "requires either an interface or default interface must exist") {
			return true
		}
	}
	return false
}

const vrrpPrioOwner = 255

// completeInstance is keepalived's vrrp_complete_instance: derived
// defaults and the checks that report configuration errors. It returns
// false where keepalived gives up on the whole configuration.
func completeInstance(d *decoder, vi *VRRPInstance) bool {
	g := vrrpGlobals(d)
	at := vi.Pos
	errf := func(format string, args ...any) {
		d.errorf(at, ClassGeneral, "(%s) "+format, append([]any{vi.Name}, args...)...)
	}

	if vi.Family == 6 {
		if vi.Version == 2 && vi.StrictMode {
			errf("cannot use IPv6 with VRRP version 2; setting version 3")
			vi.Version = 3
		} else if vi.Version == 0 {
			vi.Version = 3
		}
	}
	if vi.Family == 0 {
		vi.Family = 4
	}
	if vi.Version == 0 {
		vi.Version = g.Version
	}
	if vi.Family == 4 && vi.UnicastTTL == -1 {
		vi.UnicastTTL = 255
	}

	if len(vi.VIPs) == 0 {
		if vi.Version == 3 || vi.StrictMode {
			errf("No VIP specified; at least one is required")
			return false
		}
		errf("No VIP specified; at least one is sensible")
	}

	if vi.Priority == 0 {
		vi.Priority = 100
		if vi.State == "MASTER" {
			vi.Priority = vrrpPrioOwner
		}
	}
	owner := vi.Priority == vrrpPrioOwner
	derived := "BACKUP"
	if owner {
		derived = "MASTER"
	}
	if !vi.set.state {
		vi.State = derived
	} else if vi.StrictMode && (vi.State == "MASTER") != owner {
		errf("State MASTER must match being address owner")
		vi.State = derived
	}

	completeAuth(vi, errf)

	if vi.set.unicastConfigured {
		switch {
		case len(vi.UnicastPeers) > 0:
			vi.Unicast = true
		case vi.UnicastFaultNoPeer:
			d.logf(at, "(%s) Cannot use unicast without any peers - going to fault state", vi.Name)
		default:
			d.errorf(at, ClassDeprecated, "(%s) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", vi.Name)
		}
	}

	if vi.StrictMode && vi.set.vmacMACSet {
		d.errorf(at, ClassGeneral, "(%s): cannot specify MAC address with strict mode - clearing", vi.Name)
		vi.set.vmacMACSet, vi.VMACAddr = false, ""
	}

	if vi.Family == 6 && !vi.Unicast && len(vi.VIPs) > 0 && !vi.VIPs[0].Addr.Addr().IsLinkLocalUnicast() {
		if vi.StrictMode {
			errf("the first IPv6 VIP address must be link local")
		} else {
			d.logf(at, "(%s) the first IPv6 VIP address should be link local", vi.Name)
		}
	}

	if vi.VRF != "" && (vi.set.iface || !vi.Unicast) {
		with := " unicast"
		if vi.set.iface {
			with = "out interface"
		}
		errf("vrf can only be specified with%s - clearing", with)
		vi.VRF = ""
	}

	if max := maxVIPs(vi); len(vi.VIPs) > max {
		errf("Number of VIPs (%d) exceeds maximum/space available in packet (max %d addresses) - excess moved to eVIPs", len(vi.VIPs), max)
		vi.EVIPs = append(vi.EVIPs, vi.VIPs[max:]...)
		vi.VIPs = vi.VIPs[:max]
	}

	if owner && vi.NoPreempt {
		errf("nopreempt is incompatible with priority %d. resetting nopreempt", vrrpPrioOwner)
		vi.NoPreempt = false
	}
	if vi.State == "MASTER" {
		if vi.NoPreempt {
			errf("Warning - nopreempt will not work with initial state MASTER - clearing")
			vi.NoPreempt = false
		}
		if vi.PreemptDelay != 0 {
			errf("Warning - preempt delay will not work with initial state MASTER - clearing")
			vi.PreemptDelay = 0
		}
	}
	if vi.PreemptDelay != 0 {
		if vi.StrictMode {
			errf("preempt_delay is incompatible with strict mode - resetting")
			vi.PreemptDelay = 0
		}
		if vi.NoPreempt {
			errf("preempt_delay is incompatible with nopreempt mode - resetting")
			vi.PreemptDelay = 0
		}
	}
	if vi.DownTimerAdverts != 3 && vi.StrictMode {
		errf("down_timer_adverts is incompatible with strict mode - resetting")
		vi.DownTimerAdverts = 3
	}

	if !vi.set.accept {
		vi.Accept = owner || !vi.StrictMode
	}
	if vi.Accept && !owner && vi.StrictMode && vi.Version == 2 {
		errf("warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting")
		vi.Accept = false
	}

	switch {
	case !vi.Unicast && !vi.McastDstIP.IsValid():
		vi.McastDstIP = g.McastGroup4
		if vi.Family == 6 {
			vi.McastDstIP = g.McastGroup6
		}
	case vi.Unicast && vi.McastDstIP.IsValid():
		errf("multicast destination specified with unicast - ignoring")
		vi.McastDstIP = netip.Addr{}
	}

	completeStrictGarp(vi, g, errf)

	if !vi.set.smtpAlert {
		switch {
		case g.SMTPAlertVRRP != -1:
			vi.SMTPAlert = g.SMTPAlertVRRP == 1
		case g.SMTPAlert != -1:
			vi.SMTPAlert = g.SMTPAlert == 1
		}
	}
	if !vi.set.notifyPriorityChanges {
		vi.NotifyPriorityChanges = g.NotifyPriorityChanges
	}

	completeAdvertInt(vi, errf)

	if !vi.set.saddrFromConfig {
		vi.TrackSrcIP = false
	}

	completeVMAC(vi, errf)

	kept := vi.TrackInterfaces[:0]
	for _, t := range vi.TrackInterfaces {
		if t.Name == vi.Interface {
			d.errorf(t.Pos, ClassGeneral, "(%s) Ignoring track_interface %s since own interface", vi.Name, t.Name)
			continue
		}
		kept = append(kept, t)
	}
	vi.TrackInterfaces = kept

	if vi.VMACXmitBase && !vi.UseVMAC {
		errf("vmac_xmit_base is only valid with a vmac")
		vi.VMACXmitBase = false
	}

	if len(vi.VIPs) == 0 {
		if vi.Version == 3 || vi.Family == 6 || vi.StrictMode {
			errf("No VIP specified; at least one is required")
			return false
		}
		d.errorf(at, ClassWarning, "(%s) No VIP specified; at least one is sensible", vi.Name)
	}

	// keepalived forbids floating priorities in a sync group unless the
	// group keeps its members' weights, and for an address owner always.
	if sg := syncGroupOf(d.cfg, vi.Name); (sg != nil && !sg.TrackingWeight) || owner {
		completeUnweightedTracking(d, vi, sg != nil && !sg.TrackingWeight)
	}
	vi.set.completed = true
	return true
}

func completeAuth(vi *VRRPInstance, errf func(string, ...any)) {
	a := vi.Auth
	if a == nil || a.Type == "" {
		vi.Auth = nil
		return
	}
	switch {
	case vi.StrictMode:
		errf("Strict mode does not support authentication. Ignoring.")
		vi.Auth = nil
	case vi.Version == 3:
		errf("VRRP version 3 does not support authentication. Ignoring.")
		vi.Auth = nil
	case a.Pass == "":
		errf("Authentication specified but no password given. Ignoring")
		vi.Auth = nil
	case vi.Family == 6 && a.Type == "AH":
		errf("Cannot use AH authentication with IPv6. ignoring")
		vi.Auth = nil
	case a.Type == "AH" && vi.State == "MASTER" && vi.Priority != vrrpPrioOwner:
		errf("Initial state master is incompatible with AH authentication - clearing")
		vi.State = "BACKUP"
	}
}

// maxVIPs is how many addresses fit in one advert on a 1500-byte MTU
// (Host does not report MTUs), capped by the 8-bit count field.
func maxVIPs(vi *VRRPInstance) int {
	const mtu, ether = 1500, 14
	var max int
	if vi.Family == 4 {
		hdr := ether + 20 + 8
		if vi.Version == 2 {
			hdr += 8
			if vi.Auth != nil && vi.Auth.Type == "AH" {
				hdr += 24
			}
		}
		max = (mtu - hdr) / 4
	} else {
		max = (mtu - ether - 40 - 8) / 16
	}
	if max > 255 {
		max = 255
	}
	return max
}

func completeStrictGarp(vi *VRRPInstance, g vrrpGlobalSettings, errf func(string, ...any)) {
	switch {
	case !vi.set.lowerPrioRepeat:
		vi.GarpLowerPrioRepeat = g.GarpLowerPrioRepeat
		if vi.StrictMode {
			vi.GarpLowerPrioRepeat = 0
		}
	case vi.StrictMode && vi.GarpLowerPrioRepeat != 0:
		errf("Strict mode requires no repeat garps. resetting")
		vi.GarpLowerPrioRepeat = 0
	}
	switch {
	case !vi.set.lowerPrioDelay:
		vi.GarpLowerPrioDelay = g.GarpLowerPrioDelay
		if vi.StrictMode {
			vi.GarpLowerPrioDelay = 0
		}
	case vi.StrictMode && vi.GarpLowerPrioDelay != 0:
		errf("Strict mode requires no repeat garp delay. resetting")
		vi.GarpLowerPrioDelay = 0
	}
	switch {
	case !vi.set.lowerPrioNoAdvert:
		vi.LowerPrioNoAdvert = vi.StrictMode || g.LowerPrioNoAdvert
	case vi.StrictMode && !vi.LowerPrioNoAdvert:
		errf("Strict mode requires no lower priority advert. resetting")
		vi.LowerPrioNoAdvert = true
	}
	switch {
	case !vi.set.higherPrioSendAdvert:
		vi.HigherPrioSendAdvert = !vi.StrictMode && g.HigherPrioSendAdvert
	case vi.StrictMode && vi.HigherPrioSendAdvert:
		errf("strict mode requires higher_prio_send_advert to be clear. resetting")
		vi.HigherPrioSendAdvert = false
	}
}

const (
	timerHz      = 1000000
	timerCentiHz = timerHz / 100
)

func completeAdvertInt(vi *VRRPInstance, errf func(string, ...any)) {
	if vi.AdvertInt == 0 {
		vi.AdvertInt = timerHz
	}
	secs := float64(vi.AdvertInt) / timerHz
	if vi.Version == 2 {
		switch {
		case vi.AdvertInt >= 256*timerHz:
			errf("VRRPv2 advertisement interval %.2fs is out of range. Must be less than %ds. Setting to %ds", secs, 256, 255)
			vi.AdvertInt = 255 * timerHz
		case vi.AdvertInt%timerHz != 0:
			errf("VRRPv2 advertisement interval %fs must be an integer. rounding", secs)
			vi.AdvertInt = (vi.AdvertInt + timerHz/2) / timerHz * timerHz
			if vi.AdvertInt == 0 {
				vi.AdvertInt = timerHz
			}
		}
		return
	}
	switch {
	case vi.AdvertInt >= 4096*timerCentiHz:
		errf("VRRPv3 advertisement interval %.2fs is out of range. Must be less than %.2fs. Setting to %.2fs", secs, 40.96, 40.95)
		vi.AdvertInt = 4095 * timerCentiHz
	case vi.AdvertInt%timerCentiHz != 0:
		errf("VRRPv3 advertisement interval %fs must be in units of 10ms - rounding", secs)
		vi.AdvertInt = (vi.AdvertInt + timerCentiHz/2) / timerCentiHz * timerCentiHz
		if vi.AdvertInt == 0 {
			vi.AdvertInt = timerCentiHz
		}
	}
}

func completeVMAC(vi *VRRPInstance, errf func(string, ...any)) {
	if !vi.UseVMAC && !vi.UseIPVLAN {
		return
	}
	if vi.UseVMAC && vi.StrictMode && vi.VMACXmitBase {
		errf("xmit_base is incompatible with strict mode - resetting")
		vi.VMACXmitBase = false
	}
	if vi.PromoteSecondaries {
		errf("promote_secondaries is automatically set for vmacs - ignoring")
		vi.PromoteSecondaries = false
	}
	if vi.UseIPVLAN {
		switch {
		case vi.Family == 4 && !vi.IPVLANAddr.IsValid():
			errf("IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state")
		case vi.IPVLANAddr.IsValid() && addrFamily(vi.IPVLANAddr) != vi.Family:
			errf("IPv4 ipvlan address family does not match instance. setting instance to fault state")
		}
	}
}

// instanceByName is the vrrp_instance of that name, if any.
func instanceByName(cfg *Config, name string) *VRRPInstance {
	for _, vi := range cfg.Instances {
		if vi.Name == name {
			return vi
		}
	}
	return nil
}

// syncGroupOf is the sync group that accepted the instance, if any.
func syncGroupOf(cfg *Config, name string) *SyncGroup {
	for _, g := range cfg.SyncGroups {
		for _, m := range g.Members {
			if m == name {
				return g
			}
		}
	}
	return nil
}

// completeUnweightedTracking removes the weights an instance cannot use:
// an address owner's priority never changes, and members of a sync group
// move together, so (without sync_group_tracking_weight) a weighted
// tracker of theirs is ignored. keepalived reports each one.
func completeUnweightedTracking(d *decoder, vi *VRRPInstance, inSync bool) {
	reason, weightWord := "address_owner", ""
	if inSync {
		reason, weightWord = "SYNC group", "weight "
	}
	ifReason := reason
	if !inSync {
		ifReason = "address owner"
	}
	ifs := vi.TrackInterfaces[:0]
	for _, t := range vi.TrackInterfaces {
		if t.Weight != 0 {
			d.errorf(t.Pos, ClassGeneral, "(%s) ignoring %s tracked interface %sdue to %s", vi.Name, t.Name, weightWord, ifReason)
			if !inSync {
				continue
			}
			t.Weight = 0
		}
		ifs = append(ifs, t)
	}
	vi.TrackInterfaces = ifs
	vi.TrackScripts = dropWeighted(vi.TrackScripts, func(t *TrackEntry) {
		d.errorf(t.Pos, ClassGeneral, "(%s) ignoring tracked script %s with weights due to %s", vi.Name, t.Name, reason)
	})
	files := vi.TrackFiles[:0]
	for _, t := range vi.TrackFiles {
		switch {
		case t.Weight == 1:
			d.errorf(t.Pos, ClassGeneral, "(%s) ignoring weight from tracked file %s due to %s. specify weight 0", vi.Name, t.Name, reason)
			t.Weight = 0
		case t.Weight != 0:
			d.errorf(t.Pos, ClassGeneral, "(%s) ignoring tracked file %s with weight %d due to %s", vi.Name, t.Name, t.Weight, reason)
			continue
		}
		files = append(files, t)
	}
	vi.TrackFiles = files
	vi.TrackBFDs = dropWeighted(vi.TrackBFDs, func(t *TrackEntry) {
		d.errorf(t.Pos, ClassGeneral, "(%s) ignoring tracked bfd %s with weight %d due to %s", vi.Name, t.Name, t.Weight, reason)
	})
}

// dropWeighted keeps the unweighted entries, reporting each one it drops.
func dropWeighted(entries []*TrackEntry, report func(*TrackEntry)) []*TrackEntry {
	kept := entries[:0]
	for _, t := range entries {
		if t.Weight != 0 {
			report(t)
			continue
		}
		kept = append(kept, t)
	}
	return kept
}

// checkVRIDConflicts is keepalived's check_vrid_conflicts: one VRID per
// interface, family and multicast group; unicast instances clash only when
// they share a source address and a peer.
func checkVRIDConflicts(d *decoder) {
	is := d.cfg.Instances
	for i, a := range is {
		for _, b := range is[i+1:] {
			if a.Family != b.Family || a.VRID != b.VRID || a.Unicast != b.Unicast {
				continue
			}
			if a.Unicast {
				if a.Interface != b.Interface {
					continue
				}
				// Without unicast_src_ip both use the interface's address.
				if a.set.saddrFromConfig != b.set.saddrFromConfig ||
					(a.set.saddrFromConfig && a.SrcIP != b.SrcIP) {
					continue
				}
				if !peersOverlap(a, b) {
					continue
				}
				d.errorf(b.Pos, ClassGeneral, "(%s) duplicate VRID conflict with %s VRID %d", a.Name, b.Name, a.VRID)
				continue
			}
			if a.Interface != b.Interface || a.McastDstIP != b.McastDstIP {
				continue
			}
			d.errorf(b.Pos, ClassGeneral, "%s and %s both use VRID %d with IPv%d on interface %s", a.Name, b.Name, a.VRID, a.Family, a.Interface)
		}
	}
}

func peersOverlap(a, b *VRRPInstance) bool {
	for _, p := range a.UnicastPeers {
		for _, q := range b.UnicastPeers {
			if p.Addr == q.Addr {
				return true
			}
		}
	}
	return false
}
