package parser

import "testing"

func TestTrackEntries(t *testing.T) {
	r, es := parseTracking(t, `
vrrp_instance VI_2 {
 track_script { s1 weight 254
 s1 }
 track_interface { eth0 eth1
 eth0 weight 254 noreverse }
}
vrrp_script s1 { script /bin/true
 weight 300 }
vrrp_script s2 { script /bin/true
 weight -20 reverse }
vrrp_instance VI_3 {
 track_script { s2
 s2
 s1 weight -254 }
 track_interface { eth1 weight -10 reverse
 eth9 }
 track_file { f1 weight 3 bad
 f1 }
 track_process { p1 weight x noreverse }
 track_bfd { b1 weight 254
 b2 }
}
track_file f1 { file /tmp/f
 weight 7 reverse }
`)
	wantMessages(t, r, map[string]Class{
		"(VI_2) track script s1 not found, ignoring...":                         ClassGeneral,
		"(VI_2) unknown track_interface eth0 option eth1 - ignoring":            ClassGeneral,
		"(VI_2) weight for eth0 cannot be +/-254. Setting to +/-253":            ClassGeneral,
		"(VI_2) unknown track_interace eth0 weight option noreverse - ignoring": ClassGeneral,
		"number '300' outside range [-253, 253]":                                ClassInvalidNumber,
		"vrrp_script s1 weight 300 must be in [-253, 253]":                      ClassGeneral,
		"(VI_3) duplicate track_script s2 - ignoring":                           ClassGeneral,
		"(VI_3) weight for s1 cannot be +/-254. Setting to +/-253":              ClassGeneral,
		"(VI_3) tracked interface eth9 doesn't exist":                           ClassGeneral,
		"(VI_3) track file f1 not found, ignoring...":                           ClassGeneral,
		"(VI_3) track process p1 not found, ignoring...":                        ClassGeneral,
		"(VI_3) track bfd b1 not found, ignoring...":                            ClassGeneral,
	})
	got := es["VI_2"]
	if len(got) != 1 || got[0].Name != "eth0" || got[0].Weight != 253 || !got[0].WeightSet || got[0].Reverse {
		t.Errorf("VI_2 entries %+v", got)
	}
	got = es["VI_3"]
	want := []TrackEntry{
		{Name: "s2", Weight: -20, Reverse: true},
		{Name: "s1", Weight: -253, WeightSet: true},
		{Name: "eth1", Weight: -10, Reverse: true, WeightSet: true},
	}
	if len(got) != len(want) {
		t.Fatalf("VI_3 entries %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := *got[i]
		g.Pos = Pos{}
		if g != w {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	if code := r.ExitCode(false); code != ExitErrors {
		t.Errorf("exit %d", code)
	}
}

func TestTrackEntryKinds(t *testing.T) {
	const objects = `
vrrp_script s { script /bin/true
 weight 5 }
track_file f { file /tmp/f
 weight 2 reverse }
vrrp_track_process p { process foo
 weight -4 reverse }
bfd_instance b { neighbor_ip 10.0.0.9
 weight 6 }
bfd_instance c { neighbor_ip 10.0.0.8
 checker }
`
	cases := []struct {
		name, block string
		want        *TrackEntry
		msg         string
		class       Class
	}{
		{"script default", "track_script { s }", &TrackEntry{Name: "s", Weight: 5}, "", 0},
		{"script noreverse", "track_script { s weight 3 noreverse }", &TrackEntry{Name: "s", Weight: 3, WeightSet: true}, "", 0},
		{"script bad option kept", "track_script { s weight 3 sideways }", &TrackEntry{Name: "s", Weight: 3, WeightSet: true},
			"(VI_1) unknown track_script s weight option sideways - ignoring", ClassGeneral},
		{"script weight missing", "track_script { s weight }", nil,
			"(VI_1) weight without value specified for track script s - ignoring", ClassGeneral},
		{"script bad weight keeps default", "track_script { s weight 10x }", &TrackEntry{Name: "s", Weight: 5},
			"(VI_1) track script s: weight must be between [-253..253] inclusive, ignoring...", ClassGeneral},
		{"script option", "track_script { s wait 3 }", nil, "(VI_1) unknown track script option wait - ignoring", ClassGeneral},
		{"file inherits reverse", "track_file { f }", &TrackEntry{Name: "f", Weight: 2, Reverse: true}, "", 0},
		{"file noreverse", "track_file { f weight 254 noreverse }", &TrackEntry{Name: "f", Weight: 254, WeightSet: true}, "", 0},
		{"file range", "track_file { f weight 255 }", &TrackEntry{Name: "f", Weight: 2, Reverse: true},
			"(VI_1) weight for track file f must be in [-254..254] inclusive. Ignoring...", ClassGeneral},
		{"file bad option drops", "track_file { f weight 1 sideways }", nil,
			"(VI_1) unknown track file f weight option sideways - ignoring", ClassGeneral},
		{"process -254", "track_process { p weight -254 }", &TrackEntry{Name: "p", Weight: -254, Reverse: true, WeightSet: true}, "", 0},
		{"process bad option kept", "track_process { p weight 1 x }", &TrackEntry{Name: "p", Weight: 1, Reverse: true, WeightSet: true},
			"(VI_1) unknown track_process p weight option x - ignoring", ClassGeneral},
		{"bfd default", "track_bfd { b }", &TrackEntry{Name: "b", Weight: 6}, "", 0},
		{"bfd 254", "track_bfd { b weight 254 }", &TrackEntry{Name: "b", Weight: 6},
			"number '254' outside range [-253, 253]", ClassInvalidNumber},
		{"bfd option", "track_bfd { b foo }", nil, "(VI_1) unknown track bfd b option foo - ignoring", ClassGeneral},
		{"bfd checker only", "track_bfd { c }", nil, "(VI_1) track bfd c not found, ignoring...", ClassGeneral},
		{"interface reverse", "track_interface { bond0 weight 10 reverse }", &TrackEntry{Name: "bond0", Weight: 10, Reverse: true, WeightSet: true}, "", 0},
		{"interface bad weight", "track_interface { eth0 weight abc }", &TrackEntry{Name: "eth0"},
			"(VI_1) weight abc for eth0 must be between [-253..253] inclusive. Ignoring...", ClassGeneral},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, es := parseTracking(t, objects+"vrrp_instance VI_1 {\n"+tc.block+"\n}\n")
			got := es["VI_1"]
			if tc.want == nil {
				if len(got) != 0 {
					t.Errorf("entries %+v, want none", got[0])
				}
			} else if len(got) != 1 {
				t.Errorf("got %d entries, want 1 (%q)", len(got), messages(r))
			} else {
				g := *got[0]
				g.Pos = Pos{}
				if g != *tc.want {
					t.Errorf("entry %+v, want %+v", g, *tc.want)
				}
			}
			if tc.msg != "" {
				wantMessages(t, r, map[string]Class{tc.msg: tc.class})
			} else if code := r.ExitCode(false); code != ExitOK {
				t.Errorf("exit %d: %q", code, messages(r))
			}
		})
	}
}
