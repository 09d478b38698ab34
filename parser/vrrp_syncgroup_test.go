package parser

import "testing"

// Members of a sync group move together, so keepalived 2.2.7 drops their
// weighted trackers unless sync_group_tracking_weight is set (observed with
// keepalived -t: both messages, exit 5).
func TestSyncGroupMembersLoseTrackingWeights(t *testing.T) {
	conf := func(extra string) string {
		return "vrrp_script chk {\n script /bin/true\n weight 10\n}\n" +
			"vrrp_sync_group G1 {\n group {\n VI_1\n VI_2\n }\n" + extra + "}\n" +
			"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n track_script {\n chk\n }\n track_interface {\n eth1 weight 5\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n" +
			"vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n"
	}
	r := parseText(t, conf(""))
	for _, want := range []string{
		"(VI_1) ignoring eth1 tracked interface weight due to SYNC group",
		"(VI_1) ignoring tracked script chk with weights due to SYNC group",
	} {
		if !hasMessage(r, want) {
			t.Errorf("missing %q in %q", want, messages(r))
		}
	}
	if got := r.ExitCode(false); got != ExitErrors {
		t.Errorf("exit %d, want 5", got)
	}
	vi := r.Config.Instances[0]
	if len(vi.TrackScripts) != 0 || len(vi.TrackInterfaces) != 1 || vi.TrackInterfaces[0].Weight != 0 {
		t.Errorf("tracking left: scripts %d, interfaces %+v", len(vi.TrackScripts), vi.TrackInterfaces)
	}

	r = parseText(t, conf(" sync_group_tracking_weight\n"))
	if got := r.ExitCode(false); got != ExitOK {
		t.Errorf("with sync_group_tracking_weight: exit %d, want 0: %q", got, messages(r))
	}
}

// Observed with keepalived 2.2.7 -t: only VI_1, whose own interface eth0 the
// group also tracks, is reported; VI_2 has dont_track_primary.
func TestSyncGroupAndMemberTrackSameInterface(t *testing.T) {
	r := parseText(t, "vrrp_sync_group G1 {\n group {\n VI_1\n VI_2\n }\n track_interface {\n eth0\n eth1\n }\n}\n"+
		"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n"+
		"vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 2\n dont_track_primary\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n")
	want := "(VI_1) track_interface eth0 is configured on VRRP instance and sync group. Remove vrrp instance or sync group config"
	if !hasMessage(r, want) || hasMessage(r, "(VI_2) track_interface") {
		t.Errorf("got %q", messages(r))
	}
	if got := r.ExitCode(false); got != ExitErrors {
		t.Errorf("exit %d, want 5", got)
	}
}

// Observed with keepalived 2.2.7 -t: an owner MASTER followed by a member
// configured `state BACKUP` is reported (exit 5); an unstated member is not.
func TestSyncGroupOwnerMix(t *testing.T) {
	conf := func(vi2State string) string {
		return "vrrp_sync_group G1 {\n group {\n VI_1\n VI_2\n }\n}\n" +
			"vrrp_instance VI_1 {\n state MASTER\n priority 255\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n" +
			"vrrp_instance VI_2 {\n" + vi2State + " interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}\n"
	}
	const msg = "Sync group G1 has some member(s) as address owner and some not as address owner. This won't work."
	if r := parseText(t, conf(" state BACKUP\n")); !hasMessage(r, msg) || r.ExitCode(false) != ExitErrors {
		t.Errorf("state BACKUP member: exit %d, %q", r.ExitCode(false), messages(r))
	}
	if r := parseText(t, conf("")); hasMessage(r, msg) || r.ExitCode(false) != ExitOK {
		t.Errorf("unstated member: exit %d, %q", r.ExitCode(false), messages(r))
	}
}
