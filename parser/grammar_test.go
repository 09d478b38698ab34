package parser

import (
	"fmt"
	"strings"
	"testing"
)

// splitLines is a minimal stand-in for the reader in grammar tests: one
// logical line per input line, words split on blanks.
func splitLines(text string) *Source {
	src := &Source{}
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		ln := Line{Pos: Pos{File: "t.conf", Line: i + 1, Col: 1}, Text: l}
		for _, f := range strings.Fields(l) {
			ln.Words = append(ln.Words, Word{Text: f, Col: int32(strings.Index(l, f) + 1)})
		}
		src.Lines = append(src.Lines, ln)
	}
	return src
}

func dumpAST(nodes []*Node, depth int, b *strings.Builder) {
	for _, n := range nodes {
		pad := strings.Repeat("  ", depth)
		if n.Orphan != nil {
			fmt.Fprintf(b, "%s{orphan}\n", pad)
			dumpAST(n.Orphan.Nodes, depth+1, b)
			continue
		}
		fmt.Fprintf(b, "%s%s", pad, n.Keyword.Value)
		fmt.Fprintf(b, " @%d\n", n.Keyword.Pos.Offset)
		if n.Body != nil {
			dumpAST(n.Body.Nodes, depth+1, b)
		}
	}
}

func TestGrammarShapes(t *testing.T) {
	g, err := NewGrammar()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"statement", "router_id x", "router_id @0\n"},
		{"block", "a b\n{\nc 1\nd\n}", "a @0\n  c @2\n  d @3\n"},
		{"nested", "vs 1 80\n{\nrs 2 80\n{\nTCP_CHECK\n{\n}\n}\n}", "vs @0\n  rs @2\n    TCP_CHECK @4\n"},
		{"orphan block", "a\n{\n}\n{\nb\n}", "a @0\n{orphan}\n  b @4\n"},
		{"siblings", "a\nb\nc", "a @0\nb @1\nc @2\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ast, err := g.Parse(splitLines(c.in))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			dumpAST(ast.Nodes, 0, &b)
			if b.String() != c.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), c.want)
			}
		})
	}
}

func BenchmarkGrammar(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sb, "virtual_server 10.0.%d.%d 80\n{\ndelay_loop 6\nlb_algo wrr\nlb_kind DR\nprotocol TCP\n", i/250, i%250)
		for j := 0; j < 50; j++ {
			fmt.Fprintf(&sb, "real_server 10.1.%d.%d 80\n{\nweight 1\nTCP_CHECK\n{\nconnect_timeout 3\nretry 3\ndelay_before_retry 3\n}\n}\n", i, j)
		}
		sb.WriteString("}\n")
	}
	src := splitLines(sb.String())
	g, _ := NewGrammar()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Parse(src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(src.Lines)), "lines")
}
