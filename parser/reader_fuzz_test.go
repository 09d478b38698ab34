package parser

import "testing"

// FuzzRead feeds arbitrary configurations to the reader. It reads from an
// empty file system: a fuzzed "include /*/*" must not walk the host's files.
// The oracle: no panic, braces balanced, every line and word positioned.
func FuzzRead(f *testing.F) {
	for _, tc := range readerRules {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("$M=a { \\\n@vm b \\\n}\n$M\n~SEQ(A,1,2) ~LST({X,Y},{1,2}) ${A}${X}$Y {\n"))
	f.Add([]byte("$S=~SEQ(N,1,2) $S\n$S\n"))
	f.Add([]byte("include {a,b{c,d}}/*.conf\nincludea [!x]*\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(ReadOptions{ConfigID: "vm", Seed: 1}, emptyFS{})
		r.maxGen, r.maxSubst = 20_000, 20_000
		src, ds := r.readMain("fuzz.conf", data)
		checkBalanced(t, src)
		for _, l := range src.Lines {
			if l.Pos.Line == 0 && l.IsClose() {
				continue // closes a block left open at the end of input
			}
			if l.Pos.File == "" || len(l.Words) == 0 {
				t.Fatalf("line %q at %v", l.Text, l.Pos)
			}
			for i, w := range l.Words {
				if p := l.WordPos(i); p.Line < 1 || p.Col < 1 {
					t.Fatalf("word %q at %v", w.Text, p)
				}
			}
		}
		_ = ExitCode(ds, true)
	})
}
