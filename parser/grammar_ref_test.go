package parser

import (
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// refAST is the grammar of grammar.go written purely declaratively. It is
// the reference the hand-written Body.Parse is checked against.
type refAST struct {
	Nodes []*refNode `parser:"@@*"`
}

type refNode struct {
	Keyword lexer.Token `parser:"( @Keyword"`
	Body    *refBody    `parser:"  @@? )"`
	Orphan  *refBody    `parser:"| @@"`
}

type refBody struct {
	Nodes []*refNode `parser:"'{' @@* '}'"`
}

func refParse(t testing.TB, src *Source) *refAST {
	t.Helper()
	p, err := participle.Build[refAST](participle.Lexer(lineLexerDefinition{}), participle.UseLookahead(1))
	if err != nil {
		t.Fatal(err)
	}
	peek, err := lexer.Upgrade(&lineLexer{lines: src.Lines})
	if err != nil {
		t.Fatal(err)
	}
	ast, err := p.ParseFromLexer(peek)
	if err != nil {
		t.Fatalf("reference grammar: %v", err)
	}
	return ast
}

func sameTree(a []*Node, b []*refNode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if (x.Orphan == nil) != (y.Orphan == nil) || (x.Body == nil) != (y.Body == nil) {
			return false
		}
		switch {
		case x.Orphan != nil:
			if !sameTree(x.Orphan.Nodes, y.Orphan.Nodes) {
				return false
			}
		default:
			if x.Keyword.Value != y.Keyword.Value || x.Line != y.Keyword.Pos.Offset {
				return false
			}
			if x.Body != nil && !sameTree(x.Body.Nodes, y.Body.Nodes) {
				return false
			}
		}
	}
	return true
}

func checkAgainstReference(t testing.TB, g *Grammar, src *Source) {
	t.Helper()
	fast, err := g.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if ref := refParse(t, src); !sameTree(fast.Nodes, ref.Nodes) {
		t.Fatalf("hand-written Body.Parse and the declarative grammar disagree")
	}
}

func TestGrammarMatchesReference(t *testing.T) {
	g, err := NewGrammar()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"", "a", "a\n{\n}", "a\n{\nb\n{\nc\n}\n}\nd", "{\n{\n}\n}\nx\n{\n}",
		"vrrp_instance VI_1\n{\nstate MASTER\nvirtual_ipaddress\n{\n10.0.0.1/24 dev eth0\n}\n}",
	} {
		checkAgainstReference(t, g, splitLines(in))
	}
}

func FuzzGrammar(f *testing.F) {
	f.Add("a\n{\nb\n}\n{\n}")
	g, err := NewGrammar()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 4096 {
			return
		}
		// Keep braces balanced, as the reader guarantees.
		depth := 0
		var kept []string
		for _, l := range strings.Split(in, "\n") {
			l = strings.TrimSpace(l)
			switch {
			case l == "{":
				depth++
			case l == "}" && depth == 0:
				continue
			case l == "}":
				depth--
			case strings.ContainsAny(l, "{}"):
				continue
			}
			kept = append(kept, l)
		}
		for ; depth > 0; depth-- {
			kept = append(kept, "}")
		}
		checkAgainstReference(t, g, splitLines(strings.Join(kept, "\n")))
	})
}
