package parser

// colMap maps a byte offset in the working buffer of a line back to the
// column the user typed it at. The buffer is rewritten in place (leading
// blanks cut, "\#" de-escaped, $NAME replaced, split at braces), so a plain
// offset would drift. Most lines are never rewritten inside; for them segs
// stays nil and the map is one add, with no allocation.
type colMap struct {
	base int   // column of offset 0 while segs is nil
	segs []seg // sorted by off, segs[0].off == 0
}

// seg is a run of the buffer starting at off. An exact run maps offset by
// offset; an inexact one (text that came out of a substitution) maps every
// byte to col, the column of the reference that produced it.
type seg struct {
	off, col int
	exact    bool
}

func identityMap(col int) colMap { return colMap{base: col} }

func (m *colMap) col(off int) int {
	if m.segs == nil {
		return m.base + off
	}
	s := m.segs[0]
	for _, t := range m.segs[1:] {
		if t.off > off {
			break
		}
		s = t
	}
	if s.exact {
		return s.col + off - s.off
	}
	return s.col
}

// shift drops the first k bytes of the buffer from the map.
func (m *colMap) shift(k int) {
	if k == 0 {
		return
	}
	if m.segs == nil {
		m.base += k
		return
	}
	first := m.col(k)
	exact := true
	out := m.segs[:0:0]
	for i, s := range m.segs {
		if s.off <= k && (i+1 == len(m.segs) || m.segs[i+1].off > k) {
			exact = s.exact
		}
	}
	out = append(out, seg{0, first, exact})
	for _, s := range m.segs {
		if s.off > k {
			out = append(out, seg{s.off - k, s.col, s.exact})
		}
	}
	m.segs = out
}

// replace records that the n bytes at off were replaced by m bytes. The new
// bytes all map to the column of the first replaced byte; what follows keeps
// its own columns.
func (m *colMap) replace(off, n, newLen int) {
	if m.segs == nil {
		m.segs = []seg{{0, m.base, true}}
	}
	at := m.col(off)
	after := m.col(off + n)
	afterExact := true
	for _, s := range m.segs {
		if s.off <= off+n {
			afterExact = s.exact
		}
	}
	out := make([]seg, 0, len(m.segs)+2)
	for _, s := range m.segs {
		if s.off < off {
			out = append(out, s)
		}
	}
	if newLen > 0 {
		out = append(out, seg{off, at, false})
	}
	out = append(out, seg{off + newLen, after, afterExact})
	for _, s := range m.segs {
		if s.off > off+n {
			out = append(out, seg{s.off - n + newLen, s.col, s.exact})
		}
	}
	if len(out) == 0 || out[0].off != 0 {
		out = append([]seg{{0, at, false}}, out...)
	}
	m.segs = compact(out)
}

// compact merges runs that map alike, so that a line rewritten many times
// (nested parameters) keeps a short map.
func compact(segs []seg) []seg {
	out := segs[:1]
	for _, s := range segs[1:] {
		last := &out[len(out)-1]
		switch {
		case s.off == last.off:
			*last = s
		case !s.exact && !last.exact && s.col == last.col:
		case s.exact && last.exact && s.col-last.col == s.off-last.off:
		default:
			out = append(out, s)
		}
	}
	return out
}

// clone gives a map that later edits of m cannot change.
func (m colMap) clone() colMap {
	if m.segs != nil {
		m.segs = append([]seg(nil), m.segs...)
	}
	return m
}

// inexact maps every byte to one column: used for lines that came out of a
// multi-line parameter, whose text the user wrote elsewhere.
func inexactMap(col int) colMap { return colMap{segs: []seg{{0, col, false}}} }
