package parser

import "testing"

// parseWithTracked decodes text with tracked objects already in the
// Config, as the tracking blocks' decoders leave them.
func parseWithTracked(t *testing.T, text string, prep func(c *Config, line func(int) Pos)) *Result {
	t.Helper()
	src, diags := ReadBytes("keepalived.conf", []byte(text), ReadOptions{})
	g, err := NewGrammar()
	if err != nil {
		t.Fatal(err)
	}
	ast, err := g.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Host: testHost}
	cfg := &Config{File: "keepalived.conf"}
	d := &decoder{src: src, cfg: cfg, opts: &opts, diags: diags}
	prep(cfg, func(n int) Pos { return Pos{File: "keepalived.conf", Line: n, Col: 1} })
	applyDefaults(d)
	decodeBlock(d, ast.Nodes, rootKeywords, cfg)
	validate(d)
	return &Result{Config: cfg, Diagnostics: d.diags, Source: src}
}

func TestTrackRefsResolved(t *testing.T) {
	text := "vrrp_script_placeholder\n" + // line 1: where the tracked objects are said to be
		instance("track_script {", "chk", "chk2 weight 254", "chk weight 5", "later", "}",
			"track_file {", "tf", "}", "track_process {", "tp weight -300", "}", "track_bfd {", "tb weight 7 sideways", "}")
	r := parseWithTracked(t, text, func(c *Config, line func(int) Pos) {
		c.VRRPScripts = []*VRRPScript{{Name: "chk", Pos: line(1), Weight: -10}, {Name: "chk2", Pos: line(1)},
			{Name: "later", Pos: line(99)}}
		c.TrackFiles = []*TrackFile{{Name: "tf", Pos: line(1), Weight: 1}}
		c.TrackProcesses = []*TrackProcess{{Name: "tp", Pos: line(1), Weight: 3}}
		c.BFDInstances = []*BFDInstance{{Name: "tb", Pos: line(1), Weight: 2}}
	})
	vi := onlyInstance(t, r)
	if len(vi.TrackScripts) != 2 || vi.TrackScripts[0].Weight != -10 || vi.TrackScripts[1].Weight != 253 {
		t.Errorf("track scripts %+v", vi.TrackScripts)
	}
	if len(vi.TrackFiles) != 1 || vi.TrackFiles[0].Weight != 1 {
		t.Errorf("track files %+v", vi.TrackFiles)
	}
	if len(vi.TrackProcesses) != 1 || vi.TrackProcesses[0].Weight != 3 {
		t.Errorf("track processes %+v", vi.TrackProcesses)
	}
	if len(vi.TrackBFDs) != 0 {
		t.Errorf("track bfds %+v", vi.TrackBFDs)
	}
	for _, m := range []string{
		"(VI_1) weight for chk2 cannot be +/-254. Setting to +/-253",
		"(VI_1) duplicate track_script chk - ignoring",
		"(VI_1) track script later not found, ignoring...",
		"(VI_1) weight for track process tp must be in [-254..254] inclusive. Ignoring...",
		"(VI_1) unknown track bfd tb weight option sideways - ignoring",
	} {
		if !hasMessage(r, m) {
			t.Errorf("%q not in %q", m, messages(r))
		}
	}
}

func TestOwnerDropsWeightedTracking(t *testing.T) {
	r := parseWithTracked(t, "x\n"+instance("priority 255", "track_script {", "chk", "}", "track_file {", "tf", "}",
		"track_interface {", "eth1 weight 5", "}"),
		func(c *Config, line func(int) Pos) {
			c.VRRPScripts = []*VRRPScript{{Name: "chk", Pos: line(1), Weight: 10}}
			c.TrackFiles = []*TrackFile{{Name: "tf", Pos: line(1), Weight: 1}}
		})
	vi := onlyInstance(t, r)
	if len(vi.TrackScripts) != 0 || len(vi.TrackInterfaces) != 0 || len(vi.TrackFiles) != 1 || vi.TrackFiles[0].Weight != 0 {
		t.Errorf("tracking kept: %+v %+v %+v", vi.TrackScripts, vi.TrackInterfaces, vi.TrackFiles)
	}
	for _, m := range []string{
		"(VI_1) ignoring tracked script chk with weights due to address_owner",
		"(VI_1) ignoring weight from tracked file tf due to address_owner. specify weight 0",
		"(VI_1) ignoring eth1 tracked interface due to address owner",
	} {
		if !hasMessage(r, m) {
			t.Errorf("%q not in %q", m, messages(r))
		}
	}
}
