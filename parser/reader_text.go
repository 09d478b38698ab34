package parser

import "strings"

// maxLine is keepalived's MAXBUF less the terminating NUL: fgets hands it at
// most this many bytes of a physical line at a time, and a substitution may
// not grow a line to this length or beyond.
const maxLine = 1023

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// isSpace is C's isspace, which is also the tokeniser's separator set.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// at reads b like a NUL-terminated C string: past the end there is a 0.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// spanBlanks counts the spaces and tabs at b[i:], as strspn(p, " \t").
func spanBlanks(b []byte, i int) int {
	n := 0
	for i+n < len(b) && isBlank(b[i+n]) {
		n++
	}
	return n
}

func trimRightBlanks(b []byte) []byte {
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// chunk returns the next piece of the file as fgets(buf, 1024) would: up to
// and including a newline, but never more than maxLine bytes. pos is where
// the piece starts in the physical file; split tells that it continues a
// physical line keepalived has already cut once.
func (f *srcFile) chunk() (b string, pos Pos, split bool, ok bool) {
	if f.off >= len(f.text) {
		return "", Pos{}, false, false
	}
	rest := f.text[f.off:]
	if len(rest) > maxLine {
		rest = rest[:maxLine]
	}
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i+1]
	}
	pos = Pos{File: f.name, Line: f.line, Col: f.col + 1}
	split = f.col > 0
	f.lineOff = f.off - f.col
	f.off += len(rest)
	if rest[len(rest)-1] == '\n' {
		f.line++
		f.col = 0
	} else {
		f.col += len(rest)
	}
	return rest, pos, split, true
}

// decomment is keepalived's decomment(): it cuts leading blanks, a comment
// started by an unquoted '#' or '!', the backslash of an unquoted "\#" or
// "\!", and trailing blanks. A backslash that ends the line survives (it is
// kept after the trailing blanks are cut) because multi-line parameter
// definitions rely on it. unterminated, if not empty, is the line whose
// '"' was left open.
func decomment(b []byte, m *colMap) (out []byte, unterminated string) {
	lead := spanBlanks(b, 0)
	b = b[lead:]
	m.shift(lead)
	quote, cont := false, false
	skip := -1
	for p := 0; p < len(b); p++ {
		switch b[p] {
		case '"':
			if skip < 0 {
				quote = !quote
			}
		case '\\':
			if p+1 == len(b) {
				b = b[:p]
				cont = true
				break
			}
			if !quote && (b[p+1] == '#' || b[p+1] == '!') {
				copy(b[p:], b[p+1:])
				b = b[:len(b)-1]
				m.replace(p, 1, 0)
			} else {
				p++
			}
		case '#', '!':
			if !quote && skip < 0 {
				skip = p
			}
		}
	}
	if quote {
		// keepalived prints the line as it is at this point: de-escaped,
		// the comment still there.
		unterminated = string(b)
	}
	if skip >= 0 {
		b = b[:skip]
	}
	b = trimRightBlanks(b)
	if cont {
		b = append(b, '\\')
	}
	return b, unterminated
}
