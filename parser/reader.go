package parser

import "strings"

// TEMPORARY until branch `reader` lands: a minimal reader (comments, brace
// splitting, double quotes) so that decoder tests can run meanwhile.

func Read(path string, opts ReadOptions) (*Source, Diagnostics) { return &Source{}, nil }

func ReadBytes(name string, data []byte, opts ReadOptions) (*Source, Diagnostics) {
	src := &Source{Files: []string{name}}
	for i, raw := range strings.Split(string(data), "\n") {
		inq := false
		cut := len(raw)
		for j := 0; j < len(raw); j++ {
			if raw[j] == '"' {
				inq = !inq
			} else if !inq && (raw[j] == '#' || raw[j] == '!') {
				cut = j
				break
			}
		}
		raw = raw[:cut]
		var cur []Word
		flush := func() {
			if len(cur) > 0 {
				src.Lines = append(src.Lines, Line{Pos: cur[0].Pos, Text: joinWords(cur), Words: cur})
				cur = nil
			}
		}
		for j := 0; j < len(raw); {
			c := raw[j]
			switch {
			case c == ' ' || c == '\t' || c == '\r':
				j++
			case c == '{' || c == '}':
				flush()
				cur = []Word{{Text: string(c), Pos: Pos{File: name, Line: i + 1, Col: j + 1}}}
				flush()
				j++
			case c == '"':
				k := strings.IndexByte(raw[j+1:], '"')
				if k < 0 {
					k = len(raw) - j - 1
				}
				cur = append(cur, Word{Text: raw[j+1 : j+1+k], Quoted: true, Pos: Pos{File: name, Line: i + 1, Col: j + 1}})
				j += k + 2
			default:
				k := j
				for k < len(raw) && !strings.ContainsRune(" \t\r{}\"", rune(raw[k])) {
					k++
				}
				cur = append(cur, Word{Text: raw[j:k], Pos: Pos{File: name, Line: i + 1, Col: j + 1}})
				j = k
			}
		}
		flush()
	}
	return src, nil
}

func joinWords(ws []Word) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w.Quoted {
			b.WriteString("\"" + w.Text + "\"")
		} else {
			b.WriteString(w.Text)
		}
	}
	return b.String()
}
