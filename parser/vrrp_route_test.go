package parser

import (
	"net/netip"
	"testing"
)

func TestStaticRoutes(t *testing.T) {
	r := parseText(t, "static_routes {\n"+
		" 10.1.0.0/16 via 10.0.0.1 dev eth1 table 100 metric 5\n"+
		" default via 10.0.0.1 dev eth0 no_track\n"+
		" 10.2.0.0/16 dev eth0 nexthop via 10.0.0.1 dev eth1 weight 2 nexthop via 10.0.0.2\n"+
		" blackhole 10.3.0.0/16 dev eth0 mtu lock 1400 rtt 10ms\n"+
		"}\n")
	rs := r.Config.StaticRoutes
	if len(rs) != 4 {
		t.Fatalf("routes %+v, diagnostics %q", rs, messages(r))
	}
	if rs[0].Dst != netip.MustParsePrefix("10.1.0.0/16") || rs[0].Via != netip.MustParseAddr("10.0.0.1") ||
		rs[0].Dev != "eth1" || rs[0].Table != 100 || rs[0].Metric != 5 || rs[0].Protocol != rtprotKeepalived {
		t.Errorf("route 0: %+v", rs[0])
	}
	if !rs[1].Default || !rs[1].NoTrack {
		t.Errorf("route 1: %+v", rs[1])
	}
	if len(rs[2].Nexthops) != 2 || rs[2].Nexthops[0].Weight != 2 || rs[2].Nexthops[1].Via != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("route 2 nexthops: %+v", rs[2].Nexthops)
	}
	if rs[3].Type != "blackhole" || rs[3].Options["mtu"] != "1400" {
		t.Errorf("route 3: %+v", rs[3])
	}
	if code := r.ExitCode(false); code != 0 {
		t.Errorf("exit %d: %q", code, messages(r))
	}
}

func TestRouteErrors(t *testing.T) {
	tests := []struct{ line, msg string }{
		{"10.1.0.0/16 via 10.0.0.1", "Warning - cannot track route 10.1.0.0/16 with no interface specified, not tracking"},
		{"10.1.0.0/16 gw 10.0.0.1 dev eth0", "\"gw\" for routes is deprecated. Please use \"via\""},
		{"10.1.0.0/16 dev eth0 protocol static", "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"},
		{"inet6 2001:db8::/64 dev eth0", "Route must have a destination"},
		{"10.1.0.0/16 dev eth0 pref low", "pref is only valid for IPv6"},
		{"10.1.0.0/16 dev eth9", "WARNING - interface eth9 for VROUTE nexthop doesn't exist"},
		{"10.1.0.0/16 dev eth0 table nosuch", "Routing table nosuch not found for route"},
		{"10.1.0.0/16 dev eth0 rtt 4294967295", "Invalid rtt 4294967295 for route"},
		{"10.1.0.0/16 dev eth0 via 2001::1", "Cannot mix IPv4 and IPv6 addresses for route"},
		{"bogus dev eth0", "unknown route keyword bogus"},
		{"10.1.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0", "\"or\" for routes is deprecated. Please use \"nexthop\""},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			r := parseText(t, "static_routes {\n "+tt.line+"\n}\n")
			if !hasMessage(r, tt.msg) {
				t.Errorf("%q not in %q", tt.msg, messages(r))
			}
			if r.ExitCode(false) != 5 {
				t.Errorf("exit %d", r.ExitCode(false))
			}
		})
	}
	r := parseText(t, "static_routes {\n 10.1.0.0/16 via\n}\n")
	if r.ExitCode(false) != 2 {
		t.Errorf("missing via value: exit %d, %q", r.ExitCode(false), messages(r))
	}
}

func TestRules(t *testing.T) {
	r := parseText(t, "static_rules {\n"+
		" from 10.0.0.0/8 table 100\n"+
		" from 10.1.0.0/16 lookup 100\n"+
		" from all to 192.168.0.0/16 table main preference 50 iif eth1 fwmark 0x17/0x10\n"+
		"}\n")
	rs := r.Config.StaticRules
	if len(rs) != 3 || rs[0].Priority != 16384 || rs[1].Priority != 16383 || rs[2].Priority != 50 || rs[2].IIf != "eth1" ||
		rs[2].Table != 254 || !rs[2].FromAll {
		t.Fatalf("rules %+v", rs)
	}
	if !hasMessage(r, "Rule has no preference specified - setting to 16384. This is probably not what you want.") ||
		!hasMessage(r, "Rule has no preference specified - setting to 16383. This is probably not what you want.") {
		t.Errorf("diagnostics %q", messages(r))
	}
	tests := []struct{ line, msg string }{
		{"inet6 from 2001::/16 table 100 preference 1", "Unknown rule option 2001::/16"},
		{"to 10.0.0./8 table 5 preference 7", "Invalid rule to address 10.0.0./8"},
		{"from 10.0.0.0/8 preference 7", "No action specified for rule - ignoring"},
		{"from 10.0.0.0/8 goto 5", "Invalid rule - goto target 5 specified without preference"},
		{"from 10.0.0.0/8 table 5 preference 1 protocol static", "Invalid protocol static"},
		{"from 10.0.0.0/8 table 5 preference 1 dev eth9", "WARNING - interface eth9 for rule doesn't exist"},
	}
	for _, tt := range tests {
		r := parseText(t, "static_rules {\n "+tt.line+"\n}\n")
		if !hasMessage(r, tt.msg) {
			t.Errorf("%s: %q not in %q", tt.line, tt.msg, messages(r))
		}
	}
}
