package parser

import (
	"bytes"
	"fmt"
	"strings"
)

// readLine is keepalived's read_line(): it leaves the next logical line in
// r.buf (with r.cur saying where it came from) and reports false at the end
// of all input. The order of the steps is keepalived's, and it matters (see
// config-language.md §1).
func (r *reader) readLine() bool {
	for {
		if !r.nextText() {
			return false
		}
		if r.mlDef != nil {
			r.continueDefinition()
			continue
		}
		if len(r.buf) == 0 {
			continue
		}
		r.rewrite()
		if len(r.buf) == 0 || r.checkInclude() {
			continue
		}
		r.splitBraces()
		return true
	}
}

// nextText fills the buffer from, in keepalived's order of preference: the
// rest of a line cut at a brace, the innermost ~SEQ/~LST generator, the next
// line of a multi-line parameter, and the files.
func (r *reader) nextText() bool {
	switch {
	case r.hasRes:
		r.buf = append(r.store[:0], r.residue...)
		r.cur = r.resCur
		r.hasRes = false
	case len(r.seqs) > r.ml.seqDepth:
		r.nextFromSeq()
	case r.ml.active:
		r.nextFromMultiline()
	default:
		return r.nextPhysical()
	}
	return true
}

// nextPhysical reads lines from the include stack until one survives comment
// stripping.
func (r *reader) nextPhysical() bool {
	for len(r.frames) > 0 {
		fr := r.frames[len(r.frames)-1]
		b, pos, split, ok := fr.cur.chunk()
		if !ok {
			r.nextFile()
			continue
		}
		if i := strings.IndexByte(b, 0); i >= 0 {
			// fgets stores the NUL, strlen stops at it.
			b = b[:i]
		}
		n := len(b)
		for n > 0 && (b[n-1] == '\n' || b[n-1] == '\r') {
			n--
		}
		if n == 0 {
			// A blank line ends a multi-line definition; a comment-only
			// line (blank only after decomment) does not.
			if r.mlDef != nil {
				if r.mlDef.value == "" {
					r.mlDef.multiline = false
				}
				r.mlDef = nil
			}
			continue
		}
		if split {
			r.diag(Diagnostic{Pos: pos, Severity: SeverityWarning, Class: ClassGeneral, Own: true,
				Message: fmt.Sprintf("line is longer than %d bytes: keepalived 2.2.7 would cut it here and read the rest as a line of its own", maxLine)})
		}
		r.buf = append(r.store[:0], b[:n]...)
		r.cur = cursor{file: pos.File, line: pos.Line, m: identityMap(pos.Col), text: fr.cur.text, lineOff: fr.cur.lineOff}
		var bad string
		r.buf, bad = decomment(r.buf, &r.cur.m)
		if bad != "" {
			r.report(r.cur.pos(0), ClassGeneral, fmt.Sprintf("Unterminated quote '%s'", bad))
		}
		if len(r.buf) > 0 {
			return true
		}
	}
	return false
}

// continueDefinition adds the buffer to the multi-line definition being read.
// A line ending in '\' continues it; the backslash becomes the separator.
func (r *reader) continueDefinition() {
	b := r.buf
	d := r.mlDef
	if n := len(b); n > 0 && b[n-1] == '\\' {
		b = append(trimRightBlanks(b[:n-1]), '\n')
	} else {
		r.mlDef = nil
		if d.value == "" {
			d.multiline = false
		}
	}
	// A line that is only a backslash adds nothing.
	if len(b) >= 2 || (len(b) == 1 && r.mlDef == nil) {
		d.value += string(b)
	}
	r.buf = r.buf[:0]
}

// rewrite applies @id, $NAME= definitions, generators and substitution,
// repeating while a substitution leaves a line that needs another round.
func (r *reader) rewrite() {
	for {
		if r.buf[0] == '@' && !r.conditional() {
			r.buf = r.buf[:0]
			return
		}
		if r.buf[0] == '$' && r.checkDefinition() {
			r.buf = r.buf[:0]
			return
		}
		if bytes.HasPrefix(r.buf, []byte("~SEQ")) || bytes.HasPrefix(r.buf, []byte("~LST")) {
			r.addGenerator()
			r.buf = r.buf[:0]
			return
		}
		if r.buf[0] == '~' || bytes.IndexByte(r.buf, '$') < 0 {
			return
		}
		if !r.substitute() {
			return
		}
		var bad string
		r.buf, bad = decomment(r.buf, &r.cur.m)
		if bad != "" {
			r.report(r.cur.pos(0), ClassGeneral, fmt.Sprintf("Unterminated quote '%s'", bad))
		}
		if len(r.buf) == 0 || (r.buf[0] != '@' && bytes.IndexByte(r.buf, '$') < 0) {
			return
		}
	}
}

// conditional handles "@id rest" and "@^id rest": it strips the prefix and
// tells whether the line is kept.
func (r *reader) conditional() bool {
	ofs, rev := 1, false
	if at(r.buf, 1) == '^' {
		ofs, rev = 2, true
	}
	sp := bytes.IndexAny(r.buf[ofs:], " \t")
	if sp < 0 {
		return false
	}
	match := string(r.buf[ofs:ofs+sp]) == r.configID
	if match == rev {
		return false
	}
	start := ofs + sp
	start += spanBlanks(r.buf, start)
	r.buf = r.buf[start:]
	r.cur.m.shift(start)
	return true
}

// splitBraces cuts the line at the first '{' or '}' outside double quotes;
// what follows is kept for the next call of readLine.
func (r *reader) splitBraces() {
	b := r.buf
	p := 0
	if b[0] != '{' && b[0] != '}' {
		p = -1
		for i := 0; i < len(b); i++ {
			if b[i] == '{' || b[i] == '}' {
				p = i
				break
			}
			if b[i] == '"' {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					break
				}
				i += j + 1
			}
		}
	}
	if p >= 0 {
		skip := 0
		if p == 0 {
			skip = 1 + spanBlanks(b, 1)
		}
		if p+skip < len(b) {
			r.residue = append(r.residue[:0], trimRightBlanks(b[p+skip:])...)
			r.resCur = r.cur
			r.resCur.m = r.cur.m.clone()
			r.resCur.m.shift(p + skip)
			r.hasRes = true
			b = b[:p+skip]
		}
	}
	r.buf = trimRightBlanks(b)
}
