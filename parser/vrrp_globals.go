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
// GlobalDefs does not carry them yet, so these are keepalived 2.2.7's
// defaults; once it does, this is the one place that reads them:
// vrrp_strict, vrrp_version, vrrp_garp_master_delay, vrrp_garp_master_repeat,
// vrrp_garp_master_refresh, vrrp_garp_master_refresh_repeat,
// vrrp_garp_lower_prio_delay, vrrp_garp_lower_prio_repeat, vrrp_min_garp
// (already folded into the garp values), vrrp_garp_extra_if,
// vrrp_down_timer_adverts, vrrp_lower_prio_no_advert,
// vrrp_higher_prio_send_advert, vrrp_skip_check_adv_addr,
// vrrp_check_unicast_src, vrrp_mcast_group4, vrrp_mcast_group6,
// default_interface, dynamic_interfaces, smtp_alert, smtp_alert_vrrp,
// vrrp_notify_priority_changes.
func vrrpGlobals(d *decoder) vrrpGlobalSettings {
	_ = d
	return vrrpGlobalSettings{
		Version:                 2,
		GarpMasterDelay:         5,
		GarpMasterRepeat:        5,
		GarpMasterRefresh:       0,
		GarpMasterRefreshRepeat: 1,
		GarpLowerPrioDelay:      5,
		GarpLowerPrioRepeat:     5,
		DownTimerAdverts:        3,
		McastGroup4:             netip.MustParseAddr("224.0.0.18"),
		McastGroup6:             netip.MustParseAddr("ff02::12"),
		DefaultInterface:        "eth0",
		SMTPAlert:               -1,
		SMTPAlertVRRP:           -1,
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
