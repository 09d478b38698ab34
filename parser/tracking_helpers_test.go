package parser

import (
	"strings"
	"testing"
)

// testInstanceKeywords stands in for the vrrp_instance decoder, which lives
// on another branch: `vrrp_instance NAME { track_* { ... } }` appends an
// instance and reads its tracking blocks with parseTrackEntries.
var testInstanceKeywords = table[testInstance]{
	"track_interface": {kind: valueBlock, handle: func(s *stmt, i *testInstance) { i.add(parseTrackEntries(s, trackInterface)) }},
	"track_script":    {kind: valueBlock, handle: func(s *stmt, i *testInstance) { i.add(parseTrackEntries(s, trackScript)) }},
	"track_file":      {kind: valueBlock, handle: func(s *stmt, i *testInstance) { i.add(parseTrackEntries(s, trackFile)) }},
	"track_process":   {kind: valueBlock, handle: func(s *stmt, i *testInstance) { i.add(parseTrackEntries(s, trackProcess)) }},
	"track_bfd":       {kind: valueBlock, handle: func(s *stmt, i *testInstance) { i.add(parseTrackEntries(s, trackBFD)) }},
}

type testInstance struct{ entries []*TrackEntry }

func (i *testInstance) add(es []*TrackEntry) { i.entries = append(i.entries, es...) }

// parseTracking runs the pipeline with the tracking root keywords and the
// stand-in vrrp_instance; it returns the result and each instance's entries.
func parseTracking(t testing.TB, text string) (*Result, map[string][]*TrackEntry) {
	t.Helper()
	r, es, err := parseTrackingOn(testHost, text)
	if err != nil {
		t.Fatal(err)
	}
	return r, es
}

func parseTrackingOn(host Host, text string) (*Result, map[string][]*TrackEntry, error) {
	opts := Options{Host: host, ReadOptions: ReadOptions{ConfigID: "testhost"}, noScriptCheck: true}
	src, diags := ReadBytes("keepalived.conf", []byte(text), opts.ReadOptions)
	g, err := NewGrammar()
	if err != nil {
		return nil, nil, err
	}
	ast, err := g.Parse(src)
	if err != nil {
		return nil, nil, err
	}
	cfg := &Config{File: "keepalived.conf"}
	d := &decoder{src: src, cfg: cfg, opts: &opts, diags: diags}
	entries := map[string][]*TrackEntry{}
	tbl := mergeTables(trackingRootKeywords, table[Config]{
		"vrrp_instance": {kind: subBlock, pass: PassVRRP, handle: func(s *stmt, c *Config) {
			name, _ := s.Arg(1)
			c.Instances = append(c.Instances, &VRRPInstance{Name: name, Pos: s.Pos()})
			ti := &testInstance{}
			decodeBlock(s.d, s.Body(), testInstanceKeywords, ti)
			entries[name] = ti.entries
		}},
	})
	decodeBlock(d, ast.Nodes, tbl, cfg)
	// The stand-in instances are not real vrrp_instance blocks, so only the
	// tracking side's own validation runs.
	d.seq = len(src.Lines)
	d.pass = PassVRRP
	validateTracking(d)
	d.pass = PassBFD
	validateBFD(d)
	return &Result{Config: cfg, Diagnostics: d.diags, Source: src}, entries, nil
}

// wantMessages checks that each fragment is reported with the given class.
func wantMessages(t *testing.T, r *Result, want map[string]Class) {
	t.Helper()
	for frag, class := range want {
		found := false
		for _, d := range r.Diagnostics {
			if strings.Contains(d.Message, frag) {
				found = true
				if d.Class != class {
					t.Errorf("%q: class %v, want %v", frag, d.Class, class)
				}
			}
		}
		if !found {
			t.Errorf("missing %q in %q", frag, messages(r))
		}
	}
}
