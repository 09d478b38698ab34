package parser

import (
	"fmt"
	"strings"
	"testing"
)

// wordsAt renders each line as "line:col word ..." with the position of
// every word.
func wordsAt(src *Source) []string {
	out := []string{}
	for _, l := range src.Lines {
		var b strings.Builder
		fmt.Fprintf(&b, "%d:%d", l.Pos.Line, l.Pos.Col)
		for i, w := range l.Words {
			q := ""
			if w.Quoted {
				q = "\""
			}
			p := l.WordPos(i)
			fmt.Fprintf(&b, " %d:%d=%s%s%s", p.Line, p.Col, q, w.Text, q)
		}
		out = append(out, b.String())
	}
	return out
}

func TestWordPositions(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "  a  bb\tc\n", []string{"1:3 1:3=a 1:6=bb 1:9=c"}},
		{"quotes", "x \"a b\" \"\" c\"d e\"\n", []string{`1:1 1:1=x 1:3="a b" 1:9="" 1:12=c 1:13="d e"`}},
		{"braces", "vrrp_instance VI_1 { state MASTER\n  }\n",
			[]string{"1:1 1:1=vrrp_instance 1:15=VI_1", "1:20 1:20={", "1:22 1:22=state 1:28=MASTER", "2:3 2:3=}"}},
		{"escape", "a b\\#c d\n", []string{"1:1 1:1=a 1:3=b#c 1:8=d"}},
		{"conditional", "@vm  x y\n", []string{"1:6 1:6=x 1:8=y"}},
		{"substitution keeps the columns around it", "$V=10.0.0.1/24 dev eth0\n  a $V b\n",
			[]string{"2:3 2:3=a 2:5=10.0.0.1/24 2:5=dev 2:5=eth0 2:8=b"}},
		{"braced reference", "$X=1\nx ${X}.${X} y\n", []string{"2:1 2:1=x 2:3=1.1 2:13=y"}},
		{"generator", "~SEQ(N,2)   a $N b\n", []string{"1:13 1:13=a 1:15=1 1:18=b", "1:13 1:13=a 1:15=2 1:18=b"}},
		{"multi-line", "$M=a \\\n  b c\n  x $M\n", []string{"3:3 3:3=x 3:5=a", "3:5 3:5=b 3:5=c"}},
		{"long line split", "x " + strings.Repeat("y", 1030) + "\n",
			[]string{"1:1 1:1=x 1:3=" + strings.Repeat("y", 1021), "1:1024 1:1024=" + strings.Repeat("y", 9)}},
		{"crlf", "a\r\n b\r\n", []string{"1:1 1:1=a", "2:2 2:2=b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, _ := readString(tc.in, ReadOptions{})
			if got := wordsAt(src); !equal(got, tc.want) {
				t.Errorf("got:%s\nwant:%s", show(got), show(tc.want))
			}
			for _, l := range src.Lines {
				if l.Pos.File != "test.conf" {
					t.Errorf("file %q", l.Pos.File)
				}
			}
		})
	}
}

func TestLongLineWarning(t *testing.T) {
	in := "router_id " + strings.Repeat(" ", 1010) + "abcdefghijklmnopqrstuvwxyz\n"
	src, ds := readString(in, ReadOptions{})
	// Checked on the 2.2.7 binary: this gives Unknown keyword 'defgh...'.
	if got, want := texts(src), []string{"router_id " + strings.Repeat(" ", 1010) + "abc", "defghijklmnopqrstuvwxyz"}; !equal(got, want) {
		t.Fatalf("got %q", got)
	}
	if len(ds) != 1 || !ds[0].Own || ds[0].Severity != SeverityWarning || ds[0].Pos.Col != 1024 {
		t.Fatalf("diagnostics %v", ds)
	}
	if ExitCode(ds, false) != 0 || ExitCode(ds, true) != ExitErrors {
		t.Errorf("exit codes %d %d", ExitCode(ds, false), ExitCode(ds, true))
	}
}

func TestDiagnosticPositions(t *testing.T) {
	_, ds := readString("a\n  }\n  x \"y\n~SEQ(N) q\n", ReadOptions{})
	want := []string{
		"test.conf:2:3: error: Extra '}' found",
		"test.conf:2:3: error: Unknown keyword '}'",
		"test.conf:3:3: error: Unterminated quote 'x \"y'",
		"test.conf:3:3: error: Unmatched quote: 'x \"y'",
		"test.conf:4:1: error: Invalid ~SEQ definition '~SEQ(N) q'",
		"test.conf:4:1: error: Invalid ~SEQ specification '~SEQ(N) q'",
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	if !equal(got, want) {
		t.Errorf("got:%s\nwant:%s", show(got), show(want))
	}
	_, ds = readString("a {\n", ReadOptions{})
	if len(ds) != 1 || ds[0].Pos != (Pos{File: "test.conf"}) || ds[0].Class != ClassMissingEOB {
		t.Errorf("missing '}': %v", ds)
	}
}
