package parser

import (
	"net/netip"
	"strings"
	"testing"
)

// instance wraps keyword lines in a minimal valid vrrp_instance.
func instance(lines ...string) string {
	return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" +
		strings.Join(lines, "\n") + "\n virtual_ipaddress {\n  10.0.0.10/24\n }\n}\n"
}

func onlyInstance(t *testing.T, r *Result) *VRRPInstance {
	t.Helper()
	if len(r.Config.Instances) != 1 {
		t.Fatalf("instances = %d, want 1; diagnostics %q", len(r.Config.Instances), messages(r))
	}
	return r.Config.Instances[0]
}

func TestMinimalInstanceDefaults(t *testing.T) {
	r := parseText(t, instance())
	if code := r.ExitCode(false); code != 0 {
		t.Fatalf("exit %d, diagnostics %q", code, messages(r))
	}
	vi := onlyInstance(t, r)
	want := VRRPInstance{Name: "VI_1", State: "BACKUP", Interface: "eth0", VRID: 51, Priority: 100,
		AdvertInt: 1000000, Version: 2, Family: 4, UnicastTTL: 255, Accept: true,
		GarpMasterDelay: 5, GarpMasterRepeat: 5, GarpMasterRefreshRepeat: 1, GarpLowerPrioDelay: 5,
		GarpLowerPrioRepeat: 5, DownTimerAdverts: 3, McastDstIP: netip.MustParseAddr("224.0.0.18")}
	got := *vi
	got.Pos, got.VIPs, got.set = Pos{}, nil, instanceSet{}
	if got.Name != want.Name || got.State != want.State || got.Interface != want.Interface || got.VRID != want.VRID ||
		got.Priority != want.Priority || got.AdvertInt != want.AdvertInt || got.Version != want.Version ||
		got.Family != want.Family || got.UnicastTTL != want.UnicastTTL || got.Accept != want.Accept ||
		got.GarpMasterDelay != want.GarpMasterDelay || got.GarpMasterRepeat != want.GarpMasterRepeat ||
		got.GarpMasterRefreshRepeat != want.GarpMasterRefreshRepeat || got.GarpLowerPrioDelay != want.GarpLowerPrioDelay ||
		got.GarpLowerPrioRepeat != want.GarpLowerPrioRepeat || got.DownTimerAdverts != want.DownTimerAdverts ||
		got.McastDstIP != want.McastDstIP {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if len(vi.VIPs) != 1 || vi.VIPs[0].Addr != netip.MustParsePrefix("10.0.0.10/24") || vi.VIPs[0].Pos.Line != 6 {
		t.Errorf("VIPs = %+v", vi.VIPs)
	}
}

func TestInstanceKeywordValues(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		check func(*VRRPInstance) bool
	}{
		{"state MASTER gives priority 255", []string{"state MASTER"}, func(v *VRRPInstance) bool { return v.State == "MASTER" && v.Priority == 255 }},
		{"priority 255 gives MASTER", []string{"priority 255"}, func(v *VRRPInstance) bool { return v.State == "MASTER" }},
		{"priority kept", []string{"state MASTER", "priority 150"}, func(v *VRRPInstance) bool { return v.State == "MASTER" && v.Priority == 150 }},
		{"advert_int fraction for v3", []string{"version 3", "advert_int 0.5"}, func(v *VRRPInstance) bool { return v.AdvertInt == 500000 }},
		{"nopreempt", []string{"nopreempt"}, func(v *VRRPInstance) bool { return v.NoPreempt }},
		{"preempt clears nopreempt", []string{"nopreempt", "preempt"}, func(v *VRRPInstance) bool { return !v.NoPreempt }},
		{"preempt_delay", []string{"preempt_delay 2.5"}, func(v *VRRPInstance) bool { return v.PreemptDelay == 2500000 }},
		{"no_accept", []string{"no_accept"}, func(v *VRRPInstance) bool { return !v.Accept }},
		{"strict_mode off", []string{"strict_mode off"}, func(v *VRRPInstance) bool { return !v.StrictMode }},
		{"skip_check_adv_addr off still sets", []string{"skip_check_adv_addr off"}, func(v *VRRPInstance) bool { return v.SkipCheckAdvAddr }},
		{"garp values", []string{"garp_master_delay 2", "garp_master_repeat 3", "garp_master_refresh 60", "garp_master_refresh_repeat 2", "garp_lower_prio_delay 1", "garp_lower_prio_repeat 4"},
			func(v *VRRPInstance) bool {
				return v.GarpMasterDelay == 2 && v.GarpMasterRepeat == 3 && v.GarpMasterRefresh == 60 &&
					v.GarpMasterRefreshRepeat == 2 && v.GarpLowerPrioDelay == 1 && v.GarpLowerPrioRepeat == 4
			}},
		{"garp_extra_if all", []string{"garp_extra_if all 30"}, func(v *VRRPInstance) bool { return v.GarpExtraIf == 30 && v.GarpExtraIfAll }},
		{"unicast peers", []string{"unicast_src_ip 10.0.0.1", "unicast_peer {", "10.0.0.2", "10.0.0.3 min_ttl 2", "}"},
			func(v *VRRPInstance) bool {
				return v.Unicast && len(v.UnicastPeers) == 2 && v.UnicastPeers[1].MinTTL == 2 && v.CheckUnicastSrc &&
					v.SrcIP == netip.MustParseAddr("10.0.0.1") && !v.McastDstIP.IsValid()
			}},
		{"mcast_dst_ip", []string{"mcast_dst_ip 224.0.0.100"}, func(v *VRRPInstance) bool { return v.McastDstIP == netip.MustParseAddr("224.0.0.100") }},
		{"use_vmac name and 5-octet MAC", []string{"use_vmac vrrp51 02:00:00:00:01"}, func(v *VRRPInstance) bool {
			return v.UseVMAC && v.VMACName == "vrrp51" && v.VMACAddr == "02:00:00:00:01"
		}},
		{"auth PASS", []string{"authentication {", "auth_type PASS", "auth_pass secret", "}"}, func(v *VRRPInstance) bool {
			return v.Auth != nil && v.Auth.Type == "PASS" && v.Auth.Pass == "secret"
		}},
		{"track_interface weight reverse", []string{"track_interface {", "eth1 weight -20 reverse", "}"}, func(v *VRRPInstance) bool {
			return len(v.TrackInterfaces) == 1 && v.TrackInterfaces[0].Weight == -20 && v.TrackInterfaces[0].Reverse
		}},
		{"notify scripts", []string{"notify_master /bin/true", "notify /bin/echo", "notify_deleted"}, func(v *VRRPInstance) bool {
			return v.NotifyMaster != nil && v.Notify != nil && v.SendDeleted && v.NotifyDeleted == nil
		}},
		{"version 3 for IPv6", nil, nil},
	}
	for _, tt := range tests {
		if tt.check == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			r := parseText(t, instance(tt.lines...))
			if vi := onlyInstance(t, r); !tt.check(vi) {
				t.Errorf("unexpected instance %+v; diagnostics %q", *vi, messages(r))
			}
		})
	}
}

func TestIPv6InstanceIsVersion3(t *testing.T) {
	r := parseText(t, "vrrp_instance V6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  fe80::5\n  2001:db8::5/64\n }\n}\n")
	vi := onlyInstance(t, r)
	if vi.Family != 6 || vi.Version != 3 || vi.McastDstIP != netip.MustParseAddr("ff02::12") || vi.UnicastTTL != -1 {
		t.Errorf("got family %d version %d mcast %v ttl %d", vi.Family, vi.Version, vi.McastDstIP, vi.UnicastTTL)
	}
	if vi.VIPs[0].PreferredLft != 0 || vi.VIPs[1].PreferredLft != foreverLft {
		t.Errorf("preferred_lft defaults: %d %d", vi.VIPs[0].PreferredLft, vi.VIPs[1].PreferredLft)
	}
	if code := r.ExitCode(false); code != 0 {
		t.Errorf("exit %d: %q", code, messages(r))
	}
}

// Each case reproduces a keepalived 2.2.7 -t run (checked against the
// binary): the message, its class and the exit code.
func TestInstanceKeywordErrors(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		msg   string
		class Class
		exit  int
	}{
		{"priority too high", instance("priority 256"), "(VI_1) Priority not valid! must be between 1 & 255. Using default 100", ClassGeneral, 5},
		{"priority number message", instance("priority 0"), "number '0' outside range [1, 255]", ClassInvalidNumber, 5},
		{"priority missing", instance("priority"), "missing a parameter after keyword `priority` at word position 2", ClassMissingParameter, 2},
		{"vrid range", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n", "(VI_1): VRID '300' not valid - must be between 1 & 255", ClassGeneral, 5},
		{"vrid required", "vrrp_instance VI_1 {\n interface eth0\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", "(VI_1) the virtual router id must be set", ClassGeneral, 5},
		{"no interface", "vrrp_instance VI_1 {\n virtual_router_id 5\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", "(VI_1) Unknown interface!", ClassGeneral, 5},
		{"state unknown", instance("state master"), "(VI_1) unknown state 'master', defaulting to BACKUP", ClassGeneral, 5},
		{"state BACKUP after MASTER", instance("state MASTER", "state BACKUP"), "(VI_1) state previously set as MASTER - ignoring BACKUP", ClassGeneral, 5},
		{"advert_int zero", instance("advert_int 0"), "(VI_1) Advert interval (0) not valid! Must be > 0 - ignoring", ClassGeneral, 5},
		{"advert_int v2 fraction", instance("advert_int 1.5"), "(VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding", ClassGeneral, 5},
		{"advert_int v3 too long", instance("version 3", "advert_int 41"), "(VI_1) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s", ClassGeneral, 5},
		{"version conflict", instance("version 3", "version 2"), "(VI_1) vrrp_version 2 conflicts with configured or deduced version 3; ignoring.", ClassGeneral, 5},
		{"interface missing", instance("interface eth9"), "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist", ClassGeneral, 5},
		{"non-existent interface", instance("interface eth9"), "Non-existent interface specified in configuration", ClassBadInterface, 5},
		{"loopback", instance("interface lo"), "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring", ClassGeneral, 5},
		{"interface name too long", instance("interface abcdefghijklmnopq"), "Interface name 'abcdefghijklmnopq' too long - ignoring", ClassGeneral, 5},
		{"auth_pass truncated", instance("authentication {", "auth_type PASS", "auth_pass 123456789", "}"), "Truncating auth_pass to 8 characters", ClassGeneral, 5},
		{"auth without password", instance("authentication {", "auth_type PASS auth_pass 1111", "}"), "(VI_1) Authentication specified but no password given. Ignoring", ClassGeneral, 5},
		{"auth type unknown", instance("authentication {", "auth_type pass", "}"), "(VI_1) unknown authentication type 'pass'", ClassGeneral, 5},
		{"auth v3", instance("version 3", "authentication {", "auth_type PASS", "auth_pass x", "}"), "(VI_1) VRRP version 3 does not support authentication. Ignoring.", ClassGeneral, 5},
		{"AH and MASTER", instance("state MASTER", "priority 100", "authentication {", "auth_type AH", "auth_pass x", "}"), "(VI_1) Initial state master is incompatible with AH authentication - clearing", ClassGeneral, 5},
		{"strict auth", instance("strict_mode", "authentication {", "auth_type PASS", "auth_pass x", "}"), "(VI_1) Strict mode does not support authentication. Ignoring.", ClassGeneral, 5},
		{"strict MASTER not owner", instance("strict_mode", "state MASTER", "priority 100"), "(VI_1) State MASTER must match being address owner", ClassGeneral, 5},
		{"strict accept v2", instance("strict_mode", "accept"), "(VI_1) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting", ClassGeneral, 5},
		{"strict no VIP", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n strict_mode\n}\n", "(VI_1) No VIP specified; at least one is required", ClassGeneral, 5},
		{"no VIP", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n}\n", "(VI_1) No VIP specified; at least one is sensible", ClassWarning, 5},
		{"unicast without peers", instance("unicast_src_ip 10.0.0.1"), "(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", ClassDeprecated, 5},
		{"unicast peer malformed", instance("unicast_peer {", "<peer>", "}"), "Configuration error: VRRP instance[VI_1] malformed unicast peer address[<peer>]. Skipping...", ClassGeneral, 5},
		{"unicast peer two on a line", instance("unicast_peer {", "10.0.0.1 10.0.0.2", "}"), "(VI_1) 10.0.0.2 is missing a value", ClassGeneral, 5},
		{"unicast_ttl without peers", instance("unicast_ttl 5"), "(VI_1): Cannot use unicast_ttl without unicast peers - resetting", ClassGeneral, 5},
		{"src family", instance("virtual_ipaddress {", "10.0.0.1", "}", "unicast_src_ip 2001::1"), "Configuration error: VRRP instance[VI_1] and src address[2001::1] MUST be of the same family !!! Skipping...", ClassGeneral, 5},
		{"nopreempt with MASTER", instance("state MASTER", "priority 100", "nopreempt"), "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing", ClassGeneral, 5},
		{"nopreempt owner", instance("priority 255", "nopreempt"), "(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt", ClassGeneral, 5},
		{"own track_interface", instance("track_interface {", "eth0", "}"), "(VI_1) Ignoring track_interface eth0 since own interface", ClassGeneral, 5},
		{"track_interface two names", instance("track_interface {", "eth1 eth2", "}"), "(VI_1) unknown track_interface eth1 option eth2 - ignoring", ClassGeneral, 5},
		{"track_interface missing", instance("track_interface {", "eth9", "}"), "(VI_1) tracked interface eth9 doesn't exist", ClassGeneral, 5},
		{"track_script not found", instance("track_script {", "chk", "}"), "(VI_1) track script chk not found, ignoring...", ClassGeneral, 5},
		{"track_process not found", instance("track_process {", "p", "}"), "(VI_1) track process p not found, ignoring...", ClassGeneral, 5},
		{"notify twice", instance("notify_master /bin/a", "notify_master /bin/b"), "(VI_1) notify_master script already specified - ignoring /bin/b", ClassGeneral, -1},
		{"duplicate name", instance() + instance(), "vrrp instance VI_1 already defined", ClassGeneral, 5},
		{"no name", "vrrp_instance {\n}\n", "vrrp_instance must have a name", ClassGeneral, 5},
		{"duplicate VRID", instance() + strings.Replace(instance(), "VI_1", "VI_2", 1), "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0", ClassGeneral, 5},
		{"lvs_sync_daemon_interface", instance("lvs_sync_daemon_interface eth0"), "(VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", ClassGeneral, 5},
		{"vmac_garp_intvl", instance("vmac_garp_intvl 5"), "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"", ClassDeprecated, 5},
		{"garp_master_repeat zero", instance("garp_master_repeat 0"), "(VI_1): garp_master_repeat must be greater than 0, setting to 1", ClassGeneral, 5},
		{"use_vmac RFC MAC", instance("use_vmac 00:00:5e:00:01:05"), "VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:05) - ignoring", ClassGeneral, 5},
		{"unicast with vmac", instance("use_vmac", "unicast_peer {", "10.0.0.2", "}"), "(VI_1) unicast with use_vmac requires vmac_xmit_base - setting", ClassGeneral, 5},
		{"too many VIPs v6", "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n" + manyV6(90) + " }\n}\n",
			"(V) Number of VIPs (90) exceeds maximum/space available in packet (max 89 addresses) - excess moved to eVIPs", ClassGeneral, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseText(t, tt.text)
			found := false
			for _, d := range r.Diagnostics {
				if (d.Message == tt.msg || (strings.Contains(d.Message, tt.msg) && d.Class == ClassMissingParameter)) && d.Class == tt.class {
					found = true
				}
			}
			if !found {
				t.Errorf("message %q of class %v not found in %q", tt.msg, tt.class, messages(r))
			}
			// -1: the exit code depends on another family's checks.
			if code := r.ExitCode(false); tt.exit >= 0 && code != tt.exit {
				t.Errorf("exit %d, want %d", code, tt.exit)
			}
		})
	}
}

func manyV6(n int) string {
	var b strings.Builder
	b.WriteString("  fe80::1\n")
	for i := 1; i < n; i++ {
		b.WriteString("  2001:db8::" + strings.ToLower(strings.TrimLeft(hex4(i), "0")) + "\n")
	}
	return b.String()
}

func hex4(i int) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[i>>12&15], digits[i>>8&15], digits[i>>4&15], digits[i&15]})
}

// keepalived stops at the first instance it cannot complete, and at a
// non-existent interface before any instance check.
func TestValidationStops(t *testing.T) {
	r := parseText(t, "vrrp_instance A {\n interface eth9\n}\nvrrp_instance B {\n interface eth0\n}\n")
	if hasMessage(r, "virtual router id must be set") {
		t.Errorf("instance checks ran after a non-existent interface: %q", messages(r))
	}
	r = parseText(t, "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n version 3\n}\n"+
		"vrrp_instance B {\n interface eth0\n virtual_router_id 1\n version 3\n}\n")
	if !hasMessage(r, "(A) No VIP specified; at least one is required") || hasMessage(r, "(B)") || hasMessage(r, "both use VRID") {
		t.Errorf("validation did not stop at A: %q", messages(r))
	}
}

func TestUnicastVRIDSharing(t *testing.T) {
	uni := func(name, peer string) string {
		return "vrrp_instance " + name + " {\n interface eth0\n virtual_router_id 7\n unicast_peer {\n  " + peer +
			"\n }\n virtual_ipaddress {\n  10.0.0.10\n }\n}\n"
	}
	if r := parseText(t, uni("A", "10.0.0.2")+uni("B", "10.0.0.3")); hasMessage(r, "VRID") {
		t.Errorf("distinct peers conflict: %q", messages(r))
	}
	if r := parseText(t, uni("A", "10.0.0.2")+uni("B", "10.0.0.2")); !hasMessage(r, "(A) duplicate VRID conflict with B VRID 7") {
		t.Errorf("shared peer not reported: %q", messages(r))
	}
}
