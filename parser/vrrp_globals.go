package parser

import "net/netip"

// vrrpGlobalSettings is what the VRRP side reads from global_defs. Each
// field names the keepalived keyword it comes from.
type vrrpGlobalSettings struct {
	Strict                  bool   // vrrp_strict
	Version                 int    // vrrp_version
	GarpMasterDelay         uint64 // vrrp_garp_master_delay (seconds)
	GarpMasterRepeat        uint64 // vrrp_garp_master_repeat
	GarpMasterRefresh       uint64 // vrrp_garp_master_refresh (seconds)
	GarpMasterRefreshRepeat uint64 // vrrp_garp_master_refresh_repeat
	GarpLowerPrioDelay      uint64 // vrrp_garp_lower_prio_delay (default: master delay)
	GarpLowerPrioRepeat     uint64 // vrrp_garp_lower_prio_repeat (default: master repeat)
	GarpExtraIf             uint64 // vrrp_garp_extra_if SECS
	GarpExtraIfAll          bool   // vrrp_garp_extra_if all
	DownTimerAdverts        uint64 // vrrp_down_timer_adverts
	LowerPrioNoAdvert       bool   // vrrp_lower_prio_no_advert
	HigherPrioSendAdvert    bool   // vrrp_higher_prio_send_advert
	SkipCheckAdvAddr        bool   // vrrp_skip_check_adv_addr
	CheckUnicastSrc         bool   // vrrp_check_unicast_src
	McastGroup4             netip.Addr
	McastGroup6             netip.Addr // vrrp_mcast_group4 / vrrp_mcast_group6
	DefaultInterface        string     // default_interface
	DynamicInterfaces       bool       // dynamic_interfaces
	SMTPAlert               int        // smtp_alert: -1 unset, 0, 1
	SMTPAlertVRRP           int        // smtp_alert_vrrp: -1 unset, 0, 1
	NotifyPriorityChanges   bool       // vrrp_notify_priority_changes
}

// vrrpGlobals returns the global_defs values the VRRP side depends on.
func vrrpGlobals(d *decoder) vrrpGlobalSettings {
	g := &d.cfg.Global
	lowerDelay, lowerRepeat := g.GarpLowerPrioDelay, g.GarpLowerPrioRepeat
	if !g.GarpLowerPrioDelaySet {
		lowerDelay = g.GarpMasterDelay
	}
	if !g.GarpLowerPrioRepeatSet {
		lowerRepeat = g.GarpMasterRepeat
	}
	tri := func(b *bool) int {
		switch {
		case b == nil:
			return -1
		case *b:
			return 1
		}
		return 0
	}
	return vrrpGlobalSettings{
		Strict:                  g.Strict,
		Version:                 g.VRRPVersion,
		GarpMasterDelay:         uint64(g.GarpMasterDelay / 1000000),
		GarpMasterRepeat:        uint64(g.GarpMasterRepeat),
		GarpMasterRefresh:       uint64(g.GarpMasterRefresh / 1000000),
		GarpMasterRefreshRepeat: uint64(g.GarpMasterRefreshRepeat),
		GarpLowerPrioDelay:      uint64(lowerDelay / 1000000),
		GarpLowerPrioRepeat:     uint64(lowerRepeat),
		GarpExtraIf:             uint64(g.GarpExtraIf / 1000000),
		GarpExtraIfAll:          g.GarpExtraIfAll,
		DownTimerAdverts:        uint64(g.DownTimerAdverts),
		LowerPrioNoAdvert:       g.LowerPrioNoAdvert,
		HigherPrioSendAdvert:    g.HigherPrioSendAdvert,
		SkipCheckAdvAddr:        g.SkipCheckAdvAddr,
		CheckUnicastSrc:         g.CheckUnicastSrc,
		McastGroup4:             g.VRRPMcastGroup4,
		McastGroup6:             g.VRRPMcastGroup6,
		DefaultInterface:        g.DefaultInterface,
		DynamicInterfaces:       g.DynamicInterfaces,
		SMTPAlert:               tri(g.SMTPAlert),
		SMTPAlertVRRP:           tri(g.SMTPAlertVRRP),
		NotifyPriorityChanges:   g.VRRPNotifyPriorityChanges,
	}
}

// inheritVRRPGlobals gives an instance the global values keepalived copies
// into it when the instance is allocated (alloc_vrrp): garp timings,
// down_timer_adverts, skip_check_adv_addr and strict mode, each only where
// the block did not set its own.
func inheritVRRPGlobals(d *decoder, vi *VRRPInstance) {
	g := vrrpGlobals(d)
	if !vi.set.garpDelay {
		vi.GarpMasterDelay = g.GarpMasterDelay
	}
	if !vi.set.garpRepeat {
		vi.GarpMasterRepeat = g.GarpMasterRepeat
	}
	if !vi.set.garpRefresh {
		vi.GarpMasterRefresh = g.GarpMasterRefresh
	}
	if !vi.set.garpRefreshRep {
		vi.GarpMasterRefreshRepeat = g.GarpMasterRefreshRepeat
	}
	if !vi.set.downTimerAdverts {
		vi.DownTimerAdverts = g.DownTimerAdverts
	}
	if g.SkipCheckAdvAddr {
		vi.SkipCheckAdvAddr = true
	}
	if g.CheckUnicastSrc {
		vi.CheckUnicastSrc = true
	}
	if !vi.set.strict {
		vi.StrictMode = g.Strict
	}
	if !vi.set.garpExtraIf {
		vi.GarpExtraIf, vi.GarpExtraIfAll = g.GarpExtraIf, vi.GarpExtraIfAll || g.GarpExtraIfAll
	}
}
