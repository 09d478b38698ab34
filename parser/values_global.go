package parser

import "strings"

// optBool is the handlers' own `KEYWORD [BOOL]` reading: the keyword alone
// means true, and a bad word is reported with the handler's message (not
// the generic one of boolValue). format may hold one %s for the word.
func (s *stmt) optBool(format string) (val, ok bool) {
	if val, ok = s.boolArg(1); ok {
		return val, ok
	}
	if strings.Contains(format, "%s") {
		s.Errorf(ClassGeneral, format, s.Word(1).Text)
	} else {
		s.Errorf(ClassGeneral, "%s", format)
	}
	return false, false
}

// uintOr is uintValue with the handler's own message for a bad value
// (format takes the word); a missing one is only uintValue's report.
func (s *stmt) uintOr(min, max uint64, format string) (uint64, bool) {
	v, ok := s.uintValue(1, min, max)
	if !ok && s.NArgs() >= 1 {
		s.Errorf(ClassGeneral, format, s.Word(1).Text)
	}
	return v, ok
}

// boolInto returns a handler that stores an optional BOOL with keepalived's
// message for a bad word.
func boolInto[T any](field func(*T) *bool, format string) func(*stmt, *T) {
	return func(s *stmt, t *T) {
		if v, ok := s.optBool(format); ok {
			*field(t) = v
		}
	}
}

// flagInto returns a handler for a keyword that takes no argument (extra
// words are ignored, as keepalived does).
func flagInto[T any](field func(*T) *bool) func(*stmt, *T) {
	return func(_ *stmt, t *T) { *field(t) = true }
}

// cStrtolValue is what C's strtol leaves in the result for a word it could
// not read, for messages that print it.
func cStrtolValue(text string) int64 {
	u, neg, _, _ := cStrtoul(text, 10)
	v := int64(int32(u))
	if neg {
		v = -v
	}
	return v
}
