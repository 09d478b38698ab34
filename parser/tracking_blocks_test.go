package parser

import "testing"

// The cases below were checked against keepalived 2.2.7 -t (messages and
// exit code) in a network namespace with eth0 and eth1.

const twoInstances = `
vrrp_instance VI_1 {
}
vrrp_instance VI_2 {
}
`

func TestVRRPScript(t *testing.T) {
	r, _ := parseTracking(t, `
vrrp_script s {
 script "/bin/check arg" ignored
 interval 0
 timeout abc
 rise 0
 fall 2x
 weight -30 reverse
 user nobody nogroup
 init_fail
}
vrrp_script defaults { script /bin/true
}
vrrp_script none {
 script
 weight 300 sideways
}
`)
	wantMessages(t, r, map[string]Class{
		"(s): vrrp script interval must be greater than 0, setting to 1": ClassGeneral,
		"invalid number 'abc'":                                      ClassInvalidNumber,
		"(s): vrrp script timeout 'abc' invalid - ignoring":         ClassGeneral,
		"number '0' outside range [1, 2147483647]":                  ClassInvalidNumber,
		"(s): vrrp script rise value '0' invalid, defaulting to 1":  ClassGeneral,
		"(s): vrrp script fall value '2x' invalid, defaulting to 1": ClassGeneral,
		"number '300' outside range [-253, 253]":                    ClassInvalidNumber,
		"vrrp_script none weight 300 must be in [-253, 253]":        ClassGeneral,
		"vrrp_script none unknown weight option sideways":           ClassGeneral,
		"No script set for vrrp_script none - removing":             ClassGeneral,
	})
	if n := len(r.Config.VRRPScripts); n != 2 {
		t.Fatalf("%d scripts kept, want 2", n)
	}
	s := r.Config.VRRPScripts[0]
	if s.Interval != 1000000 || s.Timeout != 0 || s.Rise != 1 || s.Fall != 1 || s.Weight != -30 || !s.Reverse ||
		s.User != "nobody" || s.Group != "nogroup" || !s.InitFail || s.Script == nil {
		t.Errorf("s = %+v", s)
	}
	if s.Script.User != "nobody" || s.Script.Group != "nogroup" {
		t.Errorf("script user not passed on: %+v", s.Script)
	}
	d := r.Config.VRRPScripts[1]
	if d.Interval != 1000000 || d.Timeout != 0 || d.Weight != 0 || d.Rise != 1 || d.Fall != 1 || d.InitFail {
		t.Errorf("defaults = %+v", d)
	}
	if r.ExitCode(false) != ExitErrors {
		t.Errorf("exit %d", r.ExitCode(false))
	}
}

func TestMissingParameterExits2(t *testing.T) {
	for _, text := range []string{
		"vrrp_script {\n}\n",
		"vrrp_script s {\n interval\n}\n",
		"vrrp_script s {\n weight\n}\n",
		"vrrp_script s {\n user\n}\n",
		"track_file {\n}\n",
		"vrrp_track_process p {\n process\n}\n",
		"vrrp_track_process p {\n quorum\n}\n",
		"garp_group {\n garp_interval\n}\n",
		"garp_group {\n interface\n}\n",
		"bfd_instance b {\n neighbor_ip\n}\n",
		"bfd_instance b {\n weight\n}\n",
		"vrrp_sync_group G {\n notify_master /bin/a\n notify_master\n}\n",
	} {
		r, _ := parseTracking(t, text)
		if got := r.ExitCode(false); got != ExitMissingParameter {
			t.Errorf("%q: exit %d, want 2 (%q)", text, got, messages(r))
		}
	}
}

func TestTrackFile(t *testing.T) {
	r, _ := parseTracking(t, `
track_file f { weight 3
 weight 4
 init_file 300 overwrite junk
}
vrrp_track_file g { file /tmp/x
 file /tmp/y
 weight 255
 init_file
}
track_file h {
 file
 weight
 init_file -5x
}
`)
	wantMessages(t, r, map[string]Class{
		"Weight already set for track file f - ignoring 4":                    ClassGeneral,
		"Track file f init value 300 is outside sensible range [-254, 254]":   ClassGeneral,
		"Unknown track file init option junk":                                 ClassGeneral,
		"No file set for track_file f - ignoring":                             ClassGeneral,
		`"vrrp_track_file" is deprecated, please use "track_file"`:            ClassNone,
		"File already set for track file g - ignoring /tmp/y":                 ClassGeneral,
		"Weight (255) for track_file g must be between [-254..254] inclusive": ClassGeneral,
		"track file file name missing":                                        ClassGeneral,
		"No weight specified for track file h - ignoring":                     ClassGeneral,
		"Track file h init value -5x is invalid":                              ClassGeneral,
	})
	if n := len(r.Config.TrackFiles); n != 1 {
		t.Fatalf("%d track files, want 1", n)
	}
	g := r.Config.TrackFiles[0]
	if g.Name != "g" || g.File != "/tmp/x" || g.Weight != 1 || !g.InitFile || g.InitValue != 0 || g.InitOverwrite {
		t.Errorf("g = %+v", g)
	}
}

func TestDeprecatedTrackFileAloneIsOK(t *testing.T) {
	r, _ := parseTracking(t, "vrrp_track_file g {\n file /tmp/x\n}\n")
	if got := r.ExitCode(false); got != ExitOK {
		t.Errorf("exit %d: %q", got, messages(r))
	}
}

func TestTrackProcess(t *testing.T) {
	r, _ := parseTracking(t, `
vrrp_track_process p { quorum_max 2
 quorum 5
}
vrrp_track_process q {
 process "/usr/bin/foo" --a b
 param_match sideways
 weight 0
 weight -10 reverse
 weight 4
 quorum 2
 quorum_max 1
 delay 0
 fork_delay 1.5
}
vrrp_track_process r {
 process bar
 param_match partial
 quorum_max 0
}
`)
	wantMessages(t, r, map[string]Class{
		"Quorum is greater than quorum_max - ignoring":        ClassGeneral,
		"track process 'p' process name not specified":        ClassGeneral,
		"Invalid param_match type sideways - ignoring":        ClassGeneral,
		"Weight already set for track process q - ignoring 4": ClassGeneral,
		"quorum_max is less than quorum - ignoring":           ClassGeneral,
		"delay (0) for vrrp_track_process q must be between":  ClassGeneral,
		"number '0' outside range [0.000001, 3600.000000]":    ClassInvalidNumber,
	})
	if n := len(r.Config.TrackProcesses); n != 2 {
		t.Fatalf("%d processes, want 2", n)
	}
	q := r.Config.TrackProcesses[0]
	if q.Process != "/usr/bin/foo" || len(q.Params) != 2 || q.ParamMatch != "exact" || !q.FullCommand ||
		q.Weight != -10 || !q.Reverse || q.Quorum != 2 || q.QuorumMax != quorumUnlimited || q.ForkDelay != 1500000 || q.TerminateDelay != 0 {
		t.Errorf("q = %+v", q)
	}
	rr := r.Config.TrackProcesses[1]
	if rr.ParamMatch != "partial" || rr.QuorumMax != 0 || rr.Quorum != 0 || rr.Weight != 0 {
		t.Errorf("r = %+v", rr)
	}
}

func TestSyncGroups(t *testing.T) {
	r, _ := parseTracking(t, twoInstances+`
vrrp_script s { script /bin/true
}
vrrp_sync_group { group { VI_1 } }
vrrp_sync_group A {
 group { VI_1 VI_9 }
 global_tracking
 track_script { s weight 10 reverse }
 track_interface { eth0 weight 5 }
 notify_master /bin/m
 notify_master /bin/m2
 smtp_alert maybe
 notify_priority_changes off
}
vrrp_sync_group B { group { VI_1 VI_2 }
 group { VI_2 }
}
vrrp_sync_group C { group { }
}
vrrp_sync_group C { }
vrrp_sync_group D { }
`)
	wantMessages(t, r, map[string]Class{
		"vrrp_sync_group must have a name - skipping":                                          ClassGeneral,
		"(A) global_tracking is deprecated. Use track_interface/script/file on the sync group": ClassGeneral,
		"vrrp group A: notify_master script already specified - ignoring /bin/m2":              ClassGeneral,
		"Invalid vrrp_group smtp_alert parameter maybe":                                        ClassGeneral,
		"Group list already specified for sync group B":                                        ClassGeneral,
		"Warning - sync group C has empty group block":                                         ClassGeneral,
		"vrrp sync group C already defined":                                                    ClassGeneral,
		"Virtual router VI_9 specified in sync group A doesn't exist - ignoring":               ClassGeneral,
		"Sync group A has only 1 virtual router(s) - this probably isn't what you want":        ClassGeneral,
		"Virtual router VI_1 cannot exist in more than one sync group; ignoring B":             ClassGeneral,
		"Sync group B has only 1 virtual router(s) - this probably isn't what you want":        ClassGeneral,
		"Sync group C has no virtual router(s). removing":                                      ClassGeneral,
		"Sync group D has no virtual router(s). removing":                                      ClassGeneral,
	})
	gs := r.Config.SyncGroups
	if len(gs) != 2 || gs[0].Name != "A" || gs[1].Name != "B" {
		t.Fatalf("groups %+v", gs)
	}
	a := gs[0]
	if len(a.Members) != 1 || a.Members[0] != "VI_1" || !a.TrackingWeight || a.NotifyMaster == nil || a.SMTPAlert != nil ||
		a.NotifyPriorityChanges == nil || *a.NotifyPriorityChanges {
		t.Errorf("A = %+v", a)
	}
	if len(a.TrackScripts) != 1 || a.TrackScripts[0].Weight != 10 || !a.TrackScripts[0].Reverse ||
		len(a.TrackInterfaces) != 1 || a.TrackInterfaces[0].Weight != 5 {
		t.Errorf("A tracking %+v %+v", a.TrackScripts, a.TrackInterfaces)
	}
	if b := gs[1]; len(b.Members) != 1 || b.Members[0] != "VI_2" {
		t.Errorf("B members %v", b.Members)
	}
}

func TestSyncGroupTwoMembersOK(t *testing.T) {
	r, _ := parseTracking(t, twoInstances+"vrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n smtp_alert\n}\n")
	if got := r.ExitCode(false); got != ExitOK {
		t.Errorf("exit %d: %q", got, messages(r))
	}
	if g := r.Config.SyncGroups[0]; len(g.Members) != 2 || g.SMTPAlert == nil || !*g.SMTPAlert {
		t.Errorf("G = %+v", g)
	}
}

func TestTrackGroupOnlyLogs(t *testing.T) {
	r, _ := parseTracking(t, twoInstances+`
track_group T { group { VI_9 } }
track_group U { }
track_group V { group { VI_1 VI_9 } }
`)
	if got := r.ExitCode(false); got != ExitOK {
		t.Errorf("exit %d: %q", got, messages(r))
	}
	for _, m := range []string{
		"vrrp instance VI_9 specified in track group T doesn't exist - ignoring",
		"Static track group T has no VRRP instance(s)",
		"Static track group U has no virtual router(s)",
	} {
		if !hasMessage(r, m) {
			t.Errorf("missing %q", m)
		}
	}
	if tg := r.Config.TrackGroups; len(tg) != 1 || tg[0].Name != "V" || len(tg[0].Members) != 1 {
		t.Errorf("track groups %+v", tg)
	}
}

func TestTrackGroupErrors(t *testing.T) {
	r, _ := parseTracking(t, "track_group { }\ntrack_group T { group { }\n group { VI_1 } }\ntrack_group T { }\n")
	wantMessages(t, r, map[string]Class{
		"track_group must have a name - skipping":       ClassGeneral,
		"Warning - track group T has empty group block": ClassGeneral,
		"Group list already specified for sync group T": ClassGeneral,
		"track_group T already defined":                 ClassGeneral,
	})
}

func TestGarpGroup(t *testing.T) {
	r, _ := parseTracking(t, `
garp_group { interface eth0 }
garp_group { garp_interval 1
 interfaces { eth0 eth1 }
}
garp_group { gna_interval 0.5
 interface eth1
 interface eth9
 interfaces { }
}
garp_group { gna_interval 3000
 interfaces { eth2 eth9 }
}
`)
	wantMessages(t, r, map[string]Class{
		"garp group 0 does not have any delay set - removing":             ClassGeneral,
		"garp_group already specified for eth1 - ignoring":                ClassGeneral,
		"WARNING - interface eth9 specified for garp_group doesn't exist": ClassGeneral,
		"Warning - empty garp_group interfaces block":                     ClassGeneral,
		"number '3000' outside range [0.000000, 2147.483647]":             ClassInvalidNumber,
		"garp_group gna_interval '3000' invalid":                          ClassGeneral,
		"garp group 2 does not have any delay set - removing":             ClassGeneral,
		"The garp_interval is very large - 1 seconds":                     ClassNone,
	})
	gg := r.Config.GarpGroups
	if len(gg) != 2 {
		t.Fatalf("%d garp groups", len(gg))
	}
	if g := gg[0]; g.GarpInterval == nil || *g.GarpInterval != 1000000 || g.GnaInterval != nil || g.AggregationGroup != 1 || len(g.Interfaces) != 2 {
		t.Errorf("first = %+v", g)
	}
	if g := gg[1]; g.GnaInterval == nil || *g.GnaInterval != 500000 || len(g.Interfaces) != 0 {
		t.Errorf("second = %+v", g)
	}
}

func TestLinkbeatAndDelays(t *testing.T) {
	r, _ := parseTracking(t, `
interface_up_down_delays { eth0
 eth1 300
 eth2 1.5
 bond0 1 2 3
}
linkbeat_interfaces { eth0 FOO
 eth1 MII x
 eth2 IOCTL
 lo
}
`)
	wantMessages(t, r, map[string]Class{
		"No timeouts specified for eth0 up/down delays":     ClassNone,
		"number '300' outside range [0.000000, 255.000000]": ClassInvalidNumber,
		"Invalid down delay 300 for eth1":                   ClassNone,
		"Too many parameters for bond0 up/down delays":      ClassNone,
		"extra characters FOO in linkbeat interface":        ClassGeneral,
		"extra characters MII in linkbeat interface":        ClassGeneral,
	})
	ds := r.Config.InterfaceDelays
	if len(ds) != 2 || ds[0].Name != "eth2" || ds[0].Down != 1500000 || ds[0].Up != 0 || ds[1].Down != 1000000 || ds[1].Up != 2000000 {
		t.Errorf("delays %+v %+v", ds[0], ds[1])
	}
	lb := r.Config.LinkbeatIfaces
	if len(lb) != 4 || lb[0].Type != "" || lb[1].Type != "MII" || lb[2].Type != "IOCTL" || lb[3].Name != "lo" {
		t.Errorf("linkbeat %+v", lb)
	}
}

func TestUnknownInterfaceIsFatal(t *testing.T) {
	for _, tc := range []struct{ text, msg string }{
		{"linkbeat_interfaces { eth9 }\n", "unknown interface eth9 specified for linkbeat interface"},
		{"interface_up_down_delays { eth9 1 }\n", "unknown interface eth9 specified for up/down delay"},
	} {
		r, _ := parseTracking(t, tc.text)
		wantMessages(t, r, map[string]Class{tc.msg: ClassFatal})
		if got := r.ExitCode(false); got != ExitCannotRun {
			t.Errorf("%q: exit %d, want 4", tc.text, got)
		}
		// Any general error masks the fatal class, as in keepalived.
		r, _ = parseTracking(t, tc.text+"garp_group { }\n")
		if got := r.ExitCode(false); got != ExitErrors {
			t.Errorf("%q + general error: exit %d, want 5", tc.text, got)
		}
	}
}

func TestBFDInstance(t *testing.T) {
	r, _ := parseTracking(t, `
bfd_instance b { neighbor_ip 10.0.0.9
 min_rx 20000
 min_tx 0.5
 idle_tx 999
 multiplier 0
 max_hops 300
 source_ip 2001::1
}
bfd_instance c { neighbor_ip 10.0.0.9
 weight -7 reverse
 vrrp
 passive
}
bfd_instance c { neighbor_ip 10.0.0.8
}
bfd_instance d { neighbor_ip foo
 multiplier 0
 weight 300
}
bfd_instance e { neighbour_ip 10.0.0.7
 source_ip 10.0.0.1
 ttl 10
 max_hops 20
}
bfd_instance f { neighbor_ip 10.0.0.9
}
bfd_instance g { }
bfd_instance abcdefghijabcdefghijabcdefghijXY { }
bfd_instance h { neighbor_ip fe80::1
 weight 3 sideways
}
bfd_instance i { neighbor_ip 10.0.0.7
 source_ip 10.0.0.2
}
bfd_instance j { neighbor_ip 10.0.0.7
 source_ip 10.0.0.1
}
`)
	wantMessages(t, r, map[string]Class{
		"Configuration error: BFD instance b min_tx value 0.5 is not valid (must be in range [1-4294967]), ignoring":                             ClassGeneral,
		"number '999' outside range [1000.000, 4294967.000]":                                                                                     ClassInvalidNumber,
		"Configuration error: BFD instance b multiplier value 0 not valid (must be in range [1-255]), ignoring":                                  ClassGeneral,
		"Configuration error: BFD instance b max_hops value 300 not valid (must be in range [-1-255]), ignoring":                                 ClassGeneral,
		"Configuration error: BFD instance b source address 2001::1 and neighbor address 2001::1 are not of the same family, disabling instance": ClassGeneral,
		"BFD c already specified": ClassGeneral,
		"Configuration error: BFD instance c already configured - ignoring":                                                             ClassGeneral,
		"Configuration error: BFD instance d has malformed neighbor address foo, ignoring instance":                                     ClassGeneral,
		"Configuration error: BFD instance d weight value 300 not valid (must be in range [-253-253]), ignoring":                        ClassGeneral,
		"BFD instance e: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit":                                                       ClassGeneral,
		"Configuration error: BFD instance g has no neighbor address set, disabling instance":                                           ClassGeneral,
		"BFD name abcdefghijabcdefghijabcdefghijXY too long":                                                                            ClassGeneral,
		"Configuration error: BFD instance abcdefghijabcdefghijabcdefghijXY name too long (maximum length is 31 characters) - ignoring": ClassGeneral,
		"Configuration error: BFD instance j has duplicate source/neighbor address 10.0.0.1/10.0.0.7, ignoring instance":                ClassGeneral,
		"Configuration error: BFD instance h unknown weight option sideways":                                                            ClassGeneral,
	})
	if hasMessage(r, "instance d multiplier") {
		t.Error("keywords after a malformed neighbour must be skipped")
	}
	if !hasMessage(r, "Configuration error: BFD instance f has duplicate neighbor address 10.0.0.9, ignoring instance") {
		t.Errorf("f duplicates c's neighbour: %q", messages(r))
	}
	byName := map[string]*BFDInstance{}
	for _, b := range r.Config.BFDInstances {
		byName[b.Name] = b
	}
	if b := byName["c"]; b == nil || b.Disabled || b.Weight != -7 || !b.Reverse || !b.VRRP || b.Checker || !b.Passive || b.TTL != 255 ||
		b.MinRx != 10000 || b.Multiplier != 5 || b.IdleTx != 1000000 {
		t.Errorf("c = %+v", b)
	}
	if b := byName["e"]; b == nil || b.Disabled || b.TTL != 10 || b.MaxHops != 10 {
		t.Errorf("e = %+v", b)
	}
	if b := byName["h"]; b == nil || b.TTL != 64 {
		t.Errorf("h = %+v", b)
	}
	if b := byName["i"]; b == nil || b.Disabled {
		t.Errorf("i has its own source address: %+v", b)
	}
	for _, n := range []string{"b", "d", "f", "g", "j"} {
		if b := byName[n]; b == nil || !b.Disabled {
			t.Errorf("%s should be kept (for track_bfd) but disabled: %+v", n, b)
		}
	}
	if b := byName["b"]; b.MinRx != 20000000 {
		t.Errorf("b min_rx %v", b.MinRx)
	}
}

func TestDuplicateTrackerIsLintOnly(t *testing.T) {
	r, _ := parseTracking(t, "vrrp_script s {\n script /bin/a\n}\nvrrp_script s {\n script /bin/b\n}\n")
	if !hasMessage(r, "vrrp_script s is already defined at keepalived.conf:1:1") {
		t.Errorf("no lint: %q", messages(r))
	}
	if r.ExitCode(false) != ExitOK || r.ExitCode(true) != ExitErrors {
		t.Errorf("exit %d / strict %d", r.ExitCode(false), r.ExitCode(true))
	}
}

func TestVRRPScriptSecondScriptReplacesFirst(t *testing.T) {
	r, _ := parseTracking(t, "vrrp_script s {\n script /bin/a\n script /bin/b\n}\n")
	vs := r.Config.VRRPScripts[0]
	if vs.Script == nil || vs.Script.Argv[0] != "/bin/b" {
		t.Fatalf("script %+v", vs.Script)
	}
}
