package parser

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// def is a $NAME parameter. A multi-line value holds its lines separated by
// '\n'.
type def struct {
	name      string
	value     string
	multiline bool
	fn        func(r *reader, params string) string // predefined parameters
	maxParams int
}

func (r *reader) stdDefinitions() {
	r.defs = map[string]*def{
		"_PWD":      {name: "_PWD", fn: (*reader).pwd},
		"_INSTANCE": {name: "_INSTANCE", fn: func(r *reader, _ string) string { return r.configID }},
		"_RANDOM":   {name: "_RANDOM", fn: (*reader).random, maxParams: 2},
		"_HASH":     {name: "_HASH", value: "#"},
		"_BANG":     {name: "_BANG", value: "!"},
	}
}

// pwd is keepalived's getcwd() at the time of the line: it has chdir()ed to
// the directory of the file being read.
func (r *reader) pwd(string) string {
	dir := "."
	if len(r.frames) > 0 && r.frames[len(r.frames)-1].cur.dir != "" {
		dir = r.frames[len(r.frames)-1].cur.dir
	}
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	wd, err := r.fs.Getwd()
	if err != nil {
		return dir
	}
	return filepath.Join(wd, dir)
}

// random is ${_RANDOM} and ${_RANDOM MIN MAX}. keepalived 2.2.7 corrupts the
// text after "${_RANDOM MIN MAX}" when replacing it; this replaces exactly
// the reference, as 2.3 and later do. MIN > MAX would make 2.2.7 divide by
// zero or wrap; here the bounds are swapped.
func (r *reader) random(params string) string {
	lo, hi := uint64(0), uint64(32767)
	if f := strings.Fields(params); len(f) > 0 {
		lo = parseULong(f[0])
		if len(f) > 1 {
			hi = parseULong(f[1])
		}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	span := hi - lo + 1
	if span == 0 {
		return strconv.FormatUint(r.rnd.Uint64(), 10)
	}
	return strconv.FormatUint(lo+r.rnd.Uint64N(span), 10)
}

// parseULong is strtoul on a string of digits: it saturates.
func parseULong(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return ^uint64(0)
	}
	return v
}

// checkDefinition records "$NAME=value". No blank may come before '='; a
// value ending in '\' starts a multi-line definition.
func (r *reader) checkDefinition() bool {
	b := r.buf
	if !isAlpha(at(b, 1)) && at(b, 1) != '_' {
		return false
	}
	p := 2
	for ; p < len(b) && b[p] != '='; p++ {
		if !isAlnum(b[p]) && b[p] != '_' {
			return false
		}
	}
	if p == len(b) {
		return false
	}
	name := string(b[1:p])
	p++
	p += spanBlanks(b, p)
	v := b[p:]
	d := &def{name: name}
	if n := len(v); n > 0 && v[n-1] == '\\' {
		v = trimRightBlanks(v[:n-1])
		if len(v) > 0 {
			d.value = string(v) + "\n"
		}
		d.multiline = true
		r.mlDef = d
	} else {
		d.value = string(v)
	}
	r.defs[name] = d
	return true
}

// region is the text a substitution inserted, with the parameter it came
// from; a reference found inside the region of the same parameter means the
// parameter refers to itself.
type region struct {
	d   *def
	end int
}

// ref is a $NAME or ${NAME} reference found in the buffer.
type ref struct {
	d      *def
	end    int    // offset just past the reference
	params string // of ${_RANDOM MIN MAX}
}

// findRef is keepalived's find_definition for the reference whose '$' is at
// off. An unbraced name must be followed by the end of the line, a blank,
// ',' or ')'. A multi-line parameter is only used when the reference ends
// the line.
func (r *reader) findRef(b []byte, off int) (ref, bool) {
	i := off + 1
	braces := at(b, i) == '{'
	if braces {
		i++
	}
	if !isAlpha(at(b, i)) && at(b, i) != '_' {
		return ref{}, false
	}
	k := i + 1
	for isAlnum(at(b, k)) || at(b, k) == '_' {
		k++
	}
	end := k
	ps, pe := -1, -1
	if braces {
		p := k
		for c := at(b, p); c == ' ' || isDigit(c); c = at(b, p) {
			if c != ' ' {
				if ps < 0 {
					ps = p
				}
				pe = p
			}
			p++
		}
		if ps >= 0 && pe+1 != p {
			return ref{}, false
		}
		if at(b, p) != '}' {
			return ref{}, false
		}
		end = p + 1
	} else if c := at(b, k); c != ' ' && c != '\t' && c != ',' && c != ')' && c != 0 {
		return ref{}, false
	}
	allowMulti := (!braces && k == len(b)) || (braces && k+1 == len(b))
	d := r.defs[string(b[i:k])]
	if d == nil || (d.multiline && !allowMulti) || (ps >= 0 && d.maxParams == 0) {
		return ref{}, false
	}
	rf := ref{d: d, end: end}
	if ps >= 0 {
		rf.params = string(b[ps : pe+1])
	}
	return rf, true
}

// substitute is keepalived's replace_param: every defined reference is
// replaced and the replacement is scanned again from where it starts, so
// values may refer to other parameters. keepalived has no loop detection
// ($IF=${IF} makes it spin for ever); here a parameter met again inside its
// own replacement is reported and the line dropped: half-substituted, its
// "${" would open blocks. It tells whether
// anything was replaced and the line should be looked at again.
func (r *reader) substitute() bool {
	b := r.buf
	r.regions = r.regions[:0]
	found := false
	steps := 0
	for cur := 0; ; {
		k := indexByteFrom(b, cur, '$')
		if k < 0 || k+1 >= len(b) {
			break
		}
		cur = k
		rf, ok := r.findRef(b, cur)
		if !ok {
			cur++
			continue
		}
		for len(r.regions) > 0 && r.regions[len(r.regions)-1].end <= cur {
			r.regions = r.regions[:len(r.regions)-1]
		}
		if r.inCycle(rf.d) {
			r.report(r.cur.pos(cur), ClassGeneral, fmt.Sprintf(
				"Parameter '%s' is defined in terms of itself - ignoring line (keepalived 2.2.7 would loop for ever)", rf.d.name))
			r.buf = b[:0]
			return false
		}
		r.substitutions++
		if steps++; steps > maxSubstitution || r.substitutions > r.maxSubst {
			if !r.subCapped {
				r.subCapped = r.substitutions > r.maxSubst
				r.report(r.cur.pos(cur), ClassGeneral, fmt.Sprintf("Too many parameter substitutions on line '%s' - ignoring line", b))
			}
			r.buf = b[:0]
			return false
		}
		val := rf.d.value
		if rf.d.fn != nil {
			val = rf.d.fn(r, rf.params)
		}
		var rest string
		more := false
		if rf.d.multiline {
			if i := strings.IndexByte(val, '\n'); i >= 0 {
				val, rest, more = val[:i], val[i+1:], true
			}
		}
		if len(b)-(rf.end-cur)+len(val) >= maxLine+1 {
			// keepalived only logs this, and keeps what it did so far.
			r.diag(Diagnostic{Pos: r.cur.pos(cur), Severity: SeverityWarning, Class: ClassNone,
				Message: fmt.Sprintf("Parameter substitution on line '%s' would exceed maximum line length", b)})
			r.buf = b
			return false
		}
		found = true
		if rf.d.multiline {
			r.startMultiline(rf.d, rest, more, r.cur.pos(cur))
		}
		b = spliceBytes(b, cur, rf.end, val)
		r.cur.m.replace(cur, rf.end-cur, len(val))
		delta := len(val) - (rf.end - cur)
		for i := range r.regions {
			r.regions[i].end += delta
		}
		r.regions = append(r.regions, region{rf.d, cur + len(val)})
		if v := strings.TrimLeft(val, " \t"); strings.HasPrefix(v, "~") {
			// Lets a parameter hold a ~SEQ line.
			break
		}
	}
	r.buf = b
	return found
}

func (r *reader) inCycle(d *def) bool {
	for _, g := range r.regions {
		if g.d == d {
			return true
		}
	}
	if d.multiline {
		for _, g := range r.cur.chain {
			if g == d {
				return true
			}
		}
	}
	return false
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// spliceBytes replaces b[from:to] with s in place when it fits.
func spliceBytes(b []byte, from, to int, s string) []byte {
	tail := len(b) - to
	n := from + len(s) + tail
	if n > cap(b) {
		nb := make([]byte, n, n+maxLine)
		copy(nb, b[:from])
		copy(nb[from+len(s):], b[to:])
		copy(nb[from:], s)
		return nb
	}
	old := b
	b = b[:n]
	copy(b[from+len(s):], old[to:to+tail])
	copy(b[from:], s)
	return b
}
