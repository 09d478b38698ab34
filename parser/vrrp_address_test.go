package parser

import (
	"net/netip"
	"testing"
)

func TestAddressEntries(t *testing.T) {
	tests := []struct {
		line  string
		check func(*IPAddress) bool
	}{
		{"10.0.0.1", func(a *IPAddress) bool { return a.Addr == netip.MustParsePrefix("10.0.0.1/32") && a.Dev == "" }},
		{"10.0.0.1/24 dev eth1 label eth1:0 scope link", func(a *IPAddress) bool {
			return a.Addr.Bits() == 24 && a.Dev == "eth1" && a.Label == "eth1:0" && a.Scope == 253
		}},
		{"10.0.0.1/24 brd +", func(a *IPAddress) bool { return a.Broadcast == netip.MustParseAddr("10.0.0.255") }},
		{"10.0.0.1/24 broadcast -", func(a *IPAddress) bool { return a.Broadcast == netip.MustParseAddr("10.0.0.0") }},
		{"10.0.0.1/24 brd 10.0.0.127", func(a *IPAddress) bool { return a.Broadcast == netip.MustParseAddr("10.0.0.127") }},
		{"10.0.0.1 peer 10.0.0.2", func(a *IPAddress) bool { return a.Peer == netip.MustParseAddr("10.0.0.2") && a.Addr.Bits() == 32 }},
		{"10.0.0.1 no_track use_vmac home -nodad", func(a *IPAddress) bool { return a.NoTrack && a.UseVMAC && a.Home && a.NoDAD }},
		{"2001:db8::1/64 preferred_lft 30", func(a *IPAddress) bool { return a.PreferredLft == 30 }},
		{"10.0.0.1 scope 200", func(a *IPAddress) bool { return a.Scope == 200 }},
		{"10.0.0.1/33", func(a *IPAddress) bool { return a.Addr.Bits() == 32 }},
		{"10.0.0.1 foo", func(a *IPAddress) bool { return a.Addr.Addr() == netip.MustParseAddr("10.0.0.1") }},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r := parseText(t, "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress_excluded {\n  "+tt.line+"\n }\n}\n")
			vi := onlyInstance(t, r)
			if len(vi.EVIPs) != 1 || !tt.check(vi.EVIPs[0]) {
				t.Errorf("eVIPs %+v; diagnostics %q", vi.EVIPs, messages(r))
			}
		})
	}
}

func TestAddressEntryErrors(t *testing.T) {
	tests := []struct {
		line, msg string
		kept      bool
	}{
		{"192.168.1.300/24", "VRRP parsed invalid IP 192.168.1.300/24. skipping IP...", false},
		{"hello", "VRRP parsed invalid IP hello. skipping IP...", false},
		{"10.0.0.1/33", "Invalid address prefix len 33 for address 10.0.0.1/33 - using 32", true},
		{"10.0.0.1/33", "number '33' outside range [0, 32]", true},
		{"10.0.0.1 10.0.0.2", "Unknown configuration entry '10.0.0.2' for ip address - ignoring", true},
		{"10.0.0.1 dev eth9", "WARNING - interface eth9 for ip address 10.0.0.1 doesn't exist", false},
		{"10.0.0.1 dev eth1 dev eth2", "Cannot specify ipaddress device more than once for 10.0.0.1", false},
		{"10.0.0.1 dev", "No dev parameter specified for 10.0.0.1", false},
		{"10.0.0.1 label abcdefghijklmnopq", "Address label abcdefghijklmnopq is longer than maximum length 15 - removing address", false},
		{"2001::1 brd +", "VRRP is trying to assign a broadcast brd to the IPv6 address 2001::1 !!?? WTF... skipping VIP...", false},
		{"2001::1 label x", "Cannot specify label for IPv6 addresses (2001::1) - ignoring label", true},
		{"10.0.0.1/31 brd +", "Address prefix length 31 too long for broadcast", true},
		{"10.0.0.1 scope bogus", "Invalid scope 'bogus' specified for 10.0.0.1 - ignoring", true},
		{"10.0.0.1 preferred_lft x", "preferred_lft x is invalid", true},
		{"10.0.0.1 track_group g", "Unknown configuration entry 'track_group' for ip address - ignoring", true},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			r := parseText(t, "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress_excluded {\n  "+tt.line+"\n }\n}\n")
			if !hasMessage(r, tt.msg) {
				t.Errorf("%q not in %q", tt.msg, messages(r))
			}
			if kept := len(onlyInstance(t, r).EVIPs) == 1; kept != tt.kept {
				t.Errorf("kept = %v, want %v", kept, tt.kept)
			}
			if r.ExitCode(false) != 5 {
				t.Errorf("exit %d", r.ExitCode(false))
			}
		})
	}
}

func TestStaticAddresses(t *testing.T) {
	r := parseText(t, "static_ipaddress {\n 10.0.0.1/24\n 10.0.0.2 dev eth1\n 10.0.0.3 track_group nosuch\n}\n")
	if got := r.Config.StaticAddresses; len(got) != 3 || got[0].Dev != "eth0" || got[1].Dev != "eth1" {
		t.Fatalf("static addresses %+v, diagnostics %q", got, messages(r))
	}
	if !hasMessage(r, "track_group nosuch not found") {
		t.Errorf("missing track_group message: %q", messages(r))
	}
	// Without eth0 the default interface does not exist: a fatal class error.
	r = LoadBytes("k.conf", []byte("static_ipaddress {\n 10.0.0.1/24\n}\n"), Options{Host: fakeHost{ifaces: []string{"eth1"}}})
	if !hasMessage(r, "Static address 10.0.0.1/24 requires either an interface or default interface must exist") ||
		!hasMessage(r, "Non-existent interface specified in configuration") {
		t.Errorf("diagnostics %q", messages(r))
	}
	if code := r.ExitCode(false); code != 4 {
		t.Errorf("exit %d, want 4", code)
	}
}

func TestVIPFamilyMustMatch(t *testing.T) {
	r := parseText(t, "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.1\n  2001:db8::1/64\n }\n}\n")
	if !hasMessage(r, "(V): address family must match VRRP instance [2001:db8::1/64] - ignoring") {
		t.Errorf("diagnostics %q", messages(r))
	}
	if vi := onlyInstance(t, r); len(vi.VIPs) != 1 {
		t.Errorf("VIPs %+v", vi.VIPs)
	}
}
