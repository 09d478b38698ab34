package parser

import "strings"

// splitQuotedEscaped splits a line the way keepalived's
// alloc_strvec_quoted_escaped does for regex and misc_path: blanks separate
// words, single and double quotes group, and backslash escapes (\n, \t,
// \xHH..., \cX, octal \NNN, \" ...) are decoded. ok is false, after the
// report keepalived makes, when the line cannot be split.
func splitQuotedEscaped(s *stmt, text string) (words []string, ok bool) {
	var cur strings.Builder
	i := 0
	for {
		for i < len(text) && isBlank(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		cur.Reset()
		var quote byte
	word:
		for i < len(text) {
			c := text[i]
			switch {
			case c == '\\':
				i++
				if i >= len(text) {
					s.Logf("Missing escape char at end: '%s'", text)
					return nil, false
				}
				var n int
				var b byte
				b, n = decodeEscape(text[i:])
				cur.WriteByte(b)
				i += n
			case quote != 0 && c == quote:
				quote = 0
				i++
			case quote != 0:
				cur.WriteByte(c)
				i++
			case c == '"' || c == '\'':
				quote = c
				i++
			case isBlank(c):
				break word
			default:
				cur.WriteByte(c)
				i++
			}
		}
		if quote != 0 {
			s.Errorf(ClassUnmatchedQuote, "String '%s': missing terminating %c", text, quote)
			return nil, false
		}
		words = append(words, cur.String())
	}
	return words, len(words) > 0
}

// decodeEscape decodes the escape whose letter starts rest and returns the
// byte and how many bytes of rest it used.
func decodeEscape(rest string) (byte, int) {
	c := rest[0]
	switch {
	case c == 'x' && len(rest) > 1 && digitVal(rest[1]) < 16:
		// keepalived takes every following hex digit, keeping the low byte.
		var v byte
		n := 1
		for n < len(rest) && digitVal(rest[n]) < 16 {
			v = v<<4 | byte(digitVal(rest[n]))
			n++
		}
		return v, n
	case c == 'c' && len(rest) > 1:
		return rest[1] & 0x1f, 2
	case c >= '0' && c <= '7':
		v := c - '0'
		n := 1
		for n < 3 && n < len(rest) && rest[n] >= '0' && rest[n] <= '7' {
			v = v<<3 + (rest[n] - '0')
			n++
		}
		return v, n
	}
	switch c {
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'E':
		return 0x1b, 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'v':
		return '\v', 1
	}
	return c, 1
}

// readHexStr is keepalived's read_hex_str: groups of hex digits separated
// by blanks, two digits a byte, a lone last digit of a group one byte. With
// wildcards, X or x is a nibble matching anything (its mask bits set). It
// returns nil for an empty or invalid string.
func readHexStr(str string, wildcards bool) (data, mask []byte) {
	hexVal := func(c byte) (val, m byte, ok bool) {
		if d := digitVal(c); d < 16 {
			return byte(d), 0, true
		}
		if wildcards && (c == 'x' || c == 'X') {
			return 0, 0x0f, true
		}
		return 0, 0, false
	}
	usingMask := false
	for p := 0; ; {
		for p < len(str) && (str[p] == ' ' || str[p] == '\t') {
			p++
		}
		if p >= len(str) {
			break
		}
		val, m, ok := hexVal(str[p])
		p++
		if !ok {
			return nil, nil
		}
		// Only a space ends a one-digit group here: keepalived reads a tab
		// as the second digit and fails.
		if p < len(str) && str[p] != ' ' {
			v2, m2, ok := hexVal(str[p])
			p++
			if !ok {
				return nil, nil
			}
			val, m = val<<4|v2, m<<4|m2
		}
		if m != 0 {
			usingMask = true
		}
		data = append(data, val)
		mask = append(mask, m)
	}
	if !usingMask {
		mask = nil
	}
	return data, mask
}
