package parser

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// The readers below reproduce keepalived's number parsing (lib/parser.c:
// read_int, read_unsigned, read_decimal_unsigned) including its messages,
// because -t's exit code depends on which values it rejects. gokeepalived
// always parses as keepalived's -t does: the daemon's leniency for trailing
// junk ("WARNING - invalid number '10x'", numeric prefix used) is not copied.

// cStrtoul parses like C's strtoul/strtol: leading blanks, an optional sign,
// digits in base (0 = auto: 0x hex, leading 0 octal). It returns the value
// (negated for '-'), the unparsed rest and whether it overflowed 64 bits.
func cStrtoul(s string, base int) (val uint64, neg bool, rest string, overflow bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 {
		switch {
		case i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && digitVal(s[i+2]) < 16:
			base = 16
			i += 2
		case i < len(s) && s[i] == '0':
			base = 8
		default:
			base = 10
		}
	} else if base == 16 && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && digitVal(s[i+2]) < 16 {
		i += 2
	}
	digits := i
	for i < len(s) {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if val > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		val = val*uint64(base) + uint64(d)
		i++
	}
	if i == digits {
		// No digits: C leaves endptr at the start of the string.
		return 0, false, s[start:], false
	}
	return val, neg, s[i:], overflow
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// intValue is keepalived's read_int: a signed number within [min, max].
func (s *stmt) intValue(i int, min, max int64) (int64, bool) {
	text, ok := s.Need(i)
	if !ok {
		return 0, false
	}
	return s.parseInt(i, text, min, max, 10)
}

func (s *stmt) parseInt(i int, text string, min, max int64, base int) (int64, bool) {
	u, neg, rest, overflow := cStrtoul(text, base)
	v := int64(u)
	if neg {
		v = -v
	}
	switch {
	case rest != "":
		s.ErrorAt(i, ClassInvalidNumber, "invalid number '%s'", text)
	case overflow || u > math.MaxInt32+1 || (!neg && u > math.MaxInt32):
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside integer range", text)
	case v < min || v > max:
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside range [%d, %d]", text, min, max)
	default:
		return v, true
	}
	return 0, false
}

// uintValue is keepalived's read_unsigned (max ≤ 2^32-1) or read_unsigned64.
func (s *stmt) uintValue(i int, min, max uint64) (uint64, bool) {
	text, ok := s.Need(i)
	if !ok {
		return 0, false
	}
	return s.parseUint(i, text, min, max, 10)
}

func (s *stmt) parseUint(i int, text string, min, max uint64, base int) (uint64, bool) {
	u, neg, rest, overflow := cStrtoul(text, base)
	wide := max > math.MaxUint32
	switch {
	case neg:
		s.ErrorAt(i, ClassInvalidNumber, "negative number '%s'", text)
	case rest != "":
		s.ErrorAt(i, ClassInvalidNumber, "invalid number '%s'", text)
	case overflow && wide:
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside unsigned 64 bit range", text)
	case overflow || (!wide && u > math.MaxUint32):
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside unsigned integer range", text)
	case u < min || u > max:
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside range [%d, %d]", text, min, max)
	default:
		return u, true
	}
	return 0, false
}

// Micros is a duration in keepalived's configuration resolution (µs).
type Micros uint64

// Seconds renders the value as keepalived's decimal seconds.
func (m Micros) Seconds() float64 { return float64(m) / 1e6 }

func (m Micros) String() string { return formatDecimal(uint64(m), 6) }

// MarshalJSON writes seconds, the unit keepalived.conf uses, with no more
// decimals than needed: 1, 0.5, 2.000001.
func (m Micros) MarshalJSON() ([]byte, error) {
	s := strings.TrimRight(formatDecimal(uint64(m), 6), "0")
	return []byte(strings.TrimSuffix(s, ".")), nil
}

// decimalValue is keepalived's read_decimal_unsigned with `shift` decimal
// places: "2.5" with shift 6 is 2500000. min and max are in the same units.
func (s *stmt) decimalValue(i int, min, max uint64, shift int) (uint64, bool) {
	text, ok := s.Need(i)
	if !ok {
		return 0, false
	}
	return s.parseDecimal(i, text, min, max, shift)
}

func (s *stmt) parseDecimal(i int, text string, min, max uint64, shift int) (uint64, bool) {
	if strings.HasPrefix(text, "-") {
		s.ErrorAt(i, ClassInvalidNumber, "negative number '%s'", text)
		return 0, false
	}
	intPart, frac, hasDot := strings.Cut(text, ".")
	roundUp := false
	if hasDot && len(frac) > shift {
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' has too many decimal places", text)
		roundUp = frac[shift] >= '5'
		frac = frac[:shift]
	}
	digits := intPart + frac + strings.Repeat("0", shift-len(frac))
	u, neg, rest, overflow := cStrtoul(digits, 10)
	if roundUp {
		u++
	}
	switch {
	case rest != "" || neg:
		s.ErrorAt(i, ClassInvalidNumber, "invalid number '%s'", text)
		return 0, false
	case overflow:
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside unsigned decimal range", text)
		return 0, false
	case u < min || u > max:
		s.ErrorAt(i, ClassInvalidNumber, "number '%s' outside range [%s, %s]", text, formatDecimal(min, shift), formatDecimal(max, shift))
		return 0, false
	}
	return u, true
}

// formatDecimal prints v/10^shift as keepalived's "%lu.%*.*lu" does: with
// no decimal places it still prints the point ("960000.").
func formatDecimal(v uint64, shift int) string {
	if shift == 0 {
		return fmt.Sprintf("%d.", v)
	}
	p := uint64(math.Pow10(shift))
	return fmt.Sprintf("%d.%0*d", v/p, shift, v%p)
}

// timerValue reads a TIMER (seconds with µs resolution) within [min, max].
func (s *stmt) timerValue(i int, min, max Micros) (Micros, bool) {
	v, ok := s.decimalValue(i, uint64(min), uint64(max), 6)
	return Micros(v), ok
}

// boolValue reads an optional BOOL argument: the keyword alone means true.
// ok is false (and an error reported) for anything but keepalived's six words.
func (s *stmt) boolValue(i int) (val, ok bool) {
	if val, ok = s.boolArg(i); !ok {
		s.ErrorAt(i, ClassInvalidNumber, "invalid boolean value '%s' for %s", s.Word(i).Text, s.Keyword())
	}
	return val, ok
}

// uintArg reads argument 1 as read_unsigned within [min, max], for the
// handlers that word a bad value themselves: format takes the word, then
// max.
func (s *stmt) uintArg(min, max uint64, format string) (uint64, bool) {
	text, ok := s.Need(1)
	if !ok {
		return 0, false
	}
	v, ok := s.parseUint(1, text, min, max, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, format, text, max)
	}
	return v, ok
}

// argOr is argument 1 where a missing one is keepalived's own message,
// not the missing-parameter stop of Need.
func (s *stmt) argOr(missing string) (string, bool) {
	v, ok := s.Arg(1)
	if !ok {
		s.Errorf(ClassGeneral, "%s", missing)
	}
	return v, ok
}

// boolAt reads an optional BOOL for the handlers that word a bad value
// themselves, reported at the word: the word is format's last argument.
func (s *stmt) boolAt(format string, args ...any) (val, ok bool) {
	if val, ok = s.boolArg(1); !ok {
		s.ErrorAt(1, ClassGeneral, format, append(args, s.Word(1).Text)...)
	}
	return val, ok
}

// boolArg is keepalived's check_true_false on an optional argument: absent
// means true; ok is false for any other word, reported by the caller.
func (s *stmt) boolArg(i int) (val, ok bool) {
	text, present := s.Arg(i)
	if !present {
		return true, true
	}
	switch text {
	case "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	return false, false
}

// parseIP is inet_pton: a numeric IPv4 or IPv6 address, no zone, no name.
func parseIP(text string) (netip.Addr, bool) {
	if strings.Contains(text, "%") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

// parseSockAddr reads keepalived's "socket address" fields: anything from
// the first '-' or '/' on is silently dropped (config-language §11).
func parseSockAddr(text string) (netip.Addr, bool) {
	if i := strings.IndexAny(text, "-/"); i >= 0 {
		text = text[:i]
	}
	return parseIP(text)
}

// parsePrefix reads ADDR[/LEN]; a missing length is the full host length.
// It returns the address, the length, whether a length was written, and a
// reason when the length is invalid.
func parsePrefix(text string) (addr netip.Addr, bits int, ok bool, lenText string) {
	a, l, hasLen := strings.Cut(text, "/")
	addr, ok = parseIP(a)
	if !ok {
		return addr, 0, false, ""
	}
	bits = addr.BitLen()
	if hasLen {
		return addr, bits, true, l
	}
	return addr, bits, true, ""
}
