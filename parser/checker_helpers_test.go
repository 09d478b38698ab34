package parser

import "testing"

// decodeRS decodes text as the body of a real_server, with only the checker
// blocks known, after setup has prepared the configuration (track files,
// bfd instances) the way earlier blocks would have.
func decodeRS(t testing.TB, text string, setup func(*Config)) (*RealServer, *Result) {
	t.Helper()
	src, diags := ReadBytes("keepalived.conf", []byte(text), ReadOptions{ConfigID: "testhost"})
	g, err := NewGrammar()
	if err != nil {
		t.Fatal(err)
	}
	ast, err := g.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{}
	if setup != nil {
		setup(cfg)
	}
	opts := &Options{Host: testHost}
	d := &decoder{src: src, cfg: cfg, opts: opts, diags: diags, pass: PassChecker}
	rs := &RealServer{}
	decodeBlock(d, ast.Nodes, checkerBlockKeywords, rs)
	return rs, &Result{Config: cfg, Diagnostics: d.diags, Source: src}
}

// oneChecker decodes text and expects exactly one checker.
func oneChecker(t *testing.T, text string) (*Checker, *Result) {
	t.Helper()
	rs, r := decodeRS(t, text, nil)
	if len(rs.Checkers) != 1 {
		t.Fatalf("got %d checkers, want 1; diags %q", len(rs.Checkers), messages(r))
	}
	return rs.Checkers[0], r
}

// wantDiag checks that a diagnostic with that exact message and class exists.
func wantDiag(t *testing.T, r *Result, class Class, msg string) {
	t.Helper()
	for _, d := range r.Diagnostics {
		if d.Message == msg {
			if d.Class != class {
				t.Errorf("%q: class %v, want %v", msg, d.Class, class)
			}
			return
		}
	}
	t.Errorf("missing %q in %q", msg, messages(r))
}

// wantClean checks that nothing was reported.
func wantClean(t *testing.T, r *Result) {
	t.Helper()
	if len(r.Diagnostics) != 0 {
		t.Errorf("unexpected diagnostics %q", messages(r))
	}
}
