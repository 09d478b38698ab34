package parser

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// seq is one ~SEQ, ~SEQx or ~LST generator: text is the rest of its line,
// replayed once per value with the variable(s) defined.
type seq struct {
	text string
	cur  cursor

	// ~SEQ
	name             string
	next, step, last int64
	hex              bool

	// ~LST
	params []string
	sets   [][]string
	set    int
}

// addGenerator is keepalived's add_seq/add_lst for the line in the buffer.
func (r *reader) addGenerator() {
	line := string(r.buf)
	pos := r.cur.pos(0)
	if len(r.seqs) >= maxGenerators {
		if !r.nestCapped {
			r.nestCapped = true
			r.report(pos, ClassGeneral, fmt.Sprintf("Too many nested ~SEQ/~LST generators '%s' - ignoring", line))
		}
		return
	}
	var s *seq
	var ok bool
	if r.buf[1] == 'S' {
		s, ok = r.parseSeq(line, pos)
		if !ok {
			r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~SEQ specification '%s'", line))
			return
		}
	} else {
		s, ok = r.parseLst(line, pos)
		if !ok {
			r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~LST specification '%s'", line))
			return
		}
	}
	r.seqs = append(r.seqs, s)
}

// setText keeps the rest of the generator line, starting at off.
func (r *reader) setText(s *seq, off int) {
	s.text = string(r.buf[off:])
	s.cur = r.cur
	s.cur.m = r.cur.m.clone()
	s.cur.m.shift(off)
}

func (r *reader) parseSeq(line string, pos Pos) (*seq, bool) {
	b := r.buf
	p := 4
	s := &seq{}
	if at(b, p) == 'x' {
		s.hex = true
		p++
	}
	p += spanBlanks(b, p)
	if at(b, p) != '(' {
		return nil, false
	}
	p++
	p += spanBlanks(b, p)
	v := p
	for c := at(b, p); c != 0 && c != ' ' && c != '\t' && c != ',' && c != ')'; c = at(b, p) {
		p++
	}
	s.name = string(b[v:p])
	p += spanBlanks(b, p)
	if p >= len(b) || b[p] == ')' || p == v {
		r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~SEQ definition '%s'", line))
		return nil, false
	}
	p++
	p += spanBlanks(b, p)
	e := bytes.IndexByte(b[p:], ')')
	if e < 0 {
		// keepalived dereferences a NULL pointer here.
		r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~SEQ definition '%s'", line))
		return nil, false
	}
	e += p
	if e+1-p+1 > 3*20+3+1 {
		r.report(pos, ClassGeneral, fmt.Sprintf("~SEQ parameter strings too long '%s'", line))
		return nil, false
	}
	args, ok := r.seqArgs(b[p:e+1], line, pos)
	if !ok {
		return nil, false
	}
	var nums [3]int64
	n := 0
	q := 0
	for {
		nums[n], q = strtol(args, q)
		n++
		q += spanBlanks(args, q)
		if at(args, q) == ')' {
			break
		}
		if at(args, q) != ',' || n == 3 {
			r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~SEQ definition '%s'", line))
			return nil, false
		}
		q++
	}
	switch n {
	case 1:
		s.last, s.step, s.next = nums[0], 1, 1
		if s.last < 1 {
			s.step = -1
		}
		if s.last < 0 {
			s.next = -1
		}
	case 2:
		s.next, s.last, s.step = nums[0], nums[1], 1
		if s.next > s.last {
			s.step = -1
		}
	case 3:
		s.next, s.step, s.last = nums[0], nums[1], nums[2]
		if s.step == 0 || (s.next < s.last && s.step < 0) || (s.next > s.last && s.step > 0) {
			r.report(pos, ClassGeneral, fmt.Sprintf("Invalid ~SEQ values '%s'", line))
			return nil, false
		}
	}
	if s.hex && (s.next < 0 || s.last < 0) {
		r.report(pos, ClassGeneral, fmt.Sprintf("~SEQx is only valid for positive numbers '%s'", line))
		return nil, false
	}
	p = e + 1
	p += spanBlanks(b, p)
	r.setText(s, p)
	return s, true
}

// seqArgs substitutes parameters in the argument list of a ~SEQ, within
// keepalived's 64-byte buffer for it.
func (r *reader) seqArgs(a []byte, line string, pos Pos) ([]byte, bool) {
	if bytes.IndexByte(a, '$') < 0 {
		return a, true
	}
	saveBuf, saveCur, saveML := r.buf, r.cur, r.ml
	r.buf = append([]byte(nil), a...)
	r.cur = cursor{file: pos.File, line: pos.Line, m: inexactMap(pos.Col), chain: saveCur.chain}
	r.substitute()
	out := r.buf
	multi := r.ml.active != saveML.active || r.ml.cur.rest != saveML.cur.rest || len(r.ml.stack) != len(saveML.stack)
	r.buf, r.cur, r.ml = saveBuf, saveCur, saveML
	if multi {
		r.report(pos, ClassGeneral, fmt.Sprintf("~SEQ parameter is multiline definition '%s'", line))
		return nil, false
	}
	if len(out) > 3*20+3 {
		out = out[:3*20+3]
	}
	return out, true
}

// strtol is C's strtol(s, &end, 0): blanks, a sign, then a hexadecimal
// (0x), octal (0) or decimal number, saturating on overflow. With no digits
// it returns 0 and leaves the position where it was.
func strtol(b []byte, i int) (int64, int) {
	start := i
	for isSpace(at(b, i)) {
		i++
	}
	neg := false
	if c := at(b, i); c == '+' || c == '-' {
		neg = c == '-'
		i++
	}
	base := uint64(10)
	if at(b, i) == '0' {
		if c := at(b, i+1); (c == 'x' || c == 'X') && seqHexVal(at(b, i+2)) < 16 {
			base = 16
			i += 2
		} else {
			base = 8
		}
	}
	var v uint64
	over := false
	digits := 0
	for {
		d := uint64(seqHexVal(at(b, i)))
		if d >= base {
			break
		}
		if v > (math.MaxUint64-d)/base {
			over = true
		} else {
			v = v*base + d
		}
		i++
		digits++
	}
	if digits == 0 {
		return 0, start
	}
	switch {
	case neg && (over || v > 1<<63):
		return math.MinInt64, i
	case neg:
		return -int64(v), i
	case over || v > math.MaxInt64:
		return math.MaxInt64, i
	}
	return int64(v), i
}

func seqHexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return 99
}

// lstStop is strcspn's reject set for ~LST names and values.
func lstSpan(b []byte, p int, stop string) int {
	for c := at(b, p); c != 0 && bytes.IndexByte([]byte(stop), c) < 0; c = at(b, p) {
		p++
	}
	return p
}

func (r *reader) parseLst(line string, pos Pos) (*seq, bool) {
	b := r.buf
	p := 4
	s := &seq{}
	p += spanBlanks(b, p)
	if at(b, p) != '(' {
		return nil, false
	}
	p++
	p += spanBlanks(b, p)
	end := byte(',')
	if at(b, p) == '{' {
		end = '}'
		p++
		p += spanBlanks(b, p)
	}
	for {
		v := p
		p = lstSpan(b, p, " \t,}")
		s.params = append(s.params, string(b[v:p]))
		p += spanBlanks(b, p)
		if at(b, p) == end {
			break
		}
		if at(b, p) != ',' {
			return nil, false
		}
		p++
		p += spanBlanks(b, p)
	}
	if at(b, p) == '}' {
		p++
		p += spanBlanks(b, p)
	}
	if at(b, p) != ',' {
		return nil, false
	}
	p++
	p += spanBlanks(b, p)
	for {
		end = ','
		if at(b, p) == '{' {
			end = '}'
			p++
			p += spanBlanks(b, p)
		}
		var set []string
		for {
			v := p
			p = lstSpan(b, p, " \t,})")
			set = append(set, string(b[v:p]))
			p += spanBlanks(b, p)
			if c := at(b, p); c == end || (c == ')' && end == ',') {
				break
			}
			if at(b, p) != ',' {
				return nil, false
			}
			p++
			p += spanBlanks(b, p)
			if len(set) >= len(s.params) {
				r.report(pos, ClassGeneral, fmt.Sprintf("~LST specification has too many values '%s'", line))
				return nil, false
			}
		}
		for len(set) < len(s.params) {
			set = append(set, "")
		}
		s.sets = append(s.sets, set)
		if at(b, p) == '}' && end == '}' {
			p++
			p += spanBlanks(b, p)
		}
		if at(b, p) == ')' {
			break
		}
		if at(b, p) != ',' {
			return nil, false
		}
		p++
		p += spanBlanks(b, p)
	}
	p++
	p += spanBlanks(b, p)
	r.setText(s, min(p, len(b)))
	return s, true
}

// nextFromSeq replays the text of the innermost generator with its next
// value, and drops the generator after its last one.
func (r *reader) nextFromSeq() {
	s := r.seqs[len(r.seqs)-1]
	done := false
	if s.sets == nil {
		val := strconv.FormatInt(s.next, 10)
		if s.hex {
			val = strconv.FormatUint(uint64(s.next), 16)
		}
		r.setVar(s.name, val)
		n := s.next + s.step
		overflow := (s.step > 0 && n < s.next) || (s.step < 0 && n > s.next)
		s.next = n
		done = overflow || (s.step > 0 && s.next > s.last) || (s.step < 0 && s.next < s.last)
	} else {
		for i, name := range s.params {
			r.setVar(name, s.sets[s.set][i])
		}
		s.set++
		done = s.set == len(s.sets)
	}
	if done {
		r.seqs = r.seqs[:len(r.seqs)-1]
	}
	r.buf = append(r.store[:0], s.text...)
	r.cur = s.cur
	r.countGenerated(s.cur.pos(0))
}

// setVar is keepalived's set_definition: it replaces the value of an
// existing parameter (a predefined one becomes a plain one).
func (r *reader) setVar(name, val string) {
	if d := r.defs[name]; d != nil {
		d.value, d.fn, d.multiline = val, nil, false
		return
	}
	r.defs[name] = &def{name: name, value: val}
}
