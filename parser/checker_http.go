package parser

import "strings"

const (
	httpStatusMin = 100
	httpStatusMax = 599
)

// httpKeywords is the body of HTTP_GET and SSL_GET. nb_get_retry lives only
// here; enable_sni is accepted by HTTP_GET too (keepalived ignores it there).
var httpKeywords = checkerTable(true, table[Checker]{
	"nb_get_retry": {handle: func(s *stmt, c *Checker) {
		s.Errorf(ClassGeneral, "nb_get_retry is deprecated - please use 'retry'")
		if v, ok := checkerUint(s, 0, 1<<32-1, "Invalid nb_get_retry value '%s'"); ok {
			c.Retry, c.RetrySet = uint32(v), true
		}
	}},
	"virtualhost": {handle: func(s *stmt, c *Checker) {
		if v, ok := s.argOr("HTTP_GET virtualhost name missing"); ok {
			c.HTTP.Virtualhost = v
		}
	}},
	"http_protocol": {handle: func(s *stmt, c *Checker) {
		v, ok := s.argOr("Missing http_protocol version")
		if !ok {
			return
		}
		switch v {
		case "1.0", "1.1":
			c.HTTP.HTTPProtocol = v
		case "1.0C", "1.0c":
			c.HTTP.HTTPProtocol = "1.0C"
		default:
			s.Errorf(ClassGeneral, "Invalid http_protocol version %s", v)
		}
	}},
	"enable_sni": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerBool(s, "Invalid enable_sni parameter %s"); ok {
			c.HTTP.EnableSNI = v
		}
	}},
	"fast_recovery": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerBool(s, "Invalid fast_recovery parameter %s"); ok {
			c.HTTP.FastRecovery = v
		}
	}},
	"url": {kind: subBlock, handle: func(s *stmt, c *Checker) {
		u := &URLCheck{Pos: s.Pos()}
		decodeBlock(s.d, s.Body(), urlKeywords, u)
		if urlEnd(s, u) {
			c.HTTP.URLs = append(c.HTTP.URLs, u)
		}
	}},
})

// httpEnd is keepalived's http_get_check_end.
func httpEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if len(c.HTTP.URLs) == 0 {
		s.Errorf(ClassGeneral, "HTTP/SSL_GET checker has no urls specified - ignoring")
		s.Lintf("keepalived 2.2.7 crashes (segmentation fault, exit 139) after this error: give %s at least one url with a path", c.Type)
		return nil
	}
	return connEnd(s, rs, c)
}

var urlKeywords = table[URLCheck]{
	"path": {handle: func(s *stmt, u *URLCheck) {
		if v, ok := s.Need(1); ok {
			u.Path, u.pathSet = v, true
		}
	}},
	"digest": {handle: func(s *stmt, u *URLCheck) {
		v, ok := s.Need(1)
		if !ok {
			return
		}
		if u.Digest != nil {
			s.Errorf(ClassGeneral, "Digest '%s' is a duplicate", v)
			return
		}
		if len(v) != 32 {
			s.Errorf(ClassGeneral, "digest '%s' character length should be 32 rather than %d", v, len(v))
			return
		}
		// keepalived decodes from the last byte backwards, cutting the
		// string as it goes, so the message shows the digest up to the
		// failing pair.
		buf := make([]byte, 16)
		for i := 15; i >= 0; i-- {
			b, _, rest, _ := cStrtoul(v[2*i:2*i+2], 16)
			if rest != "" {
				s.Errorf(ClassGeneral, "Unable to interpret hex digit in '%s' at offset %d/%d", v[:2*i+2], 2*i, 2*i+1)
				return
			}
			buf[i] = byte(b)
		}
		u.Digest = buf
	}},
	"status_code": {handle: func(s *stmt, u *URLCheck) {
		for i := 1; i <= s.NArgs(); i++ {
			text, _ := s.Arg(i)
			lo, hi, ok := parseStatusRange(text)
			if !ok {
				s.ErrorAt(i, ClassGeneral, "Invalid HTTP_GET status code '%s'", text)
				continue
			}
			if u.codes == nil {
				u.codes = new(statusSet)
			}
			for code := lo; code <= hi; code++ {
				u.codes.add(code)
			}
		}
	}},
	"virtualhost": {handle: func(s *stmt, u *URLCheck) {
		if v, ok := s.argOr("Missing HTTP_GET virtualhost name"); ok {
			u.Virtualhost = v
		}
	}},
	"regex": {handle: func(s *stmt, u *URLCheck) {
		words, ok := splitQuotedEscaped(s, s.Text())
		if !ok || len(words) != 2 {
			s.Logf("regex missing or too many fields")
			return
		}
		u.Regex, u.RegexSet = words[1], true
	}},
	"regex_no_match": {handle: func(s *stmt, u *URLCheck) { u.RegexNoMatch = true }},
	"regex_options": {handle: func(s *stmt, u *URLCheck) {
		// Unknown names are skipped silently, as keepalived does.
		for _, name := range s.Args() {
			if pcre2Options[name] && !containsString(u.RegexOptions, name) {
				u.RegexOptions = append(u.RegexOptions, name)
			}
		}
	}},
	"regex_min_offset": {handle: func(s *stmt, u *URLCheck) {
		u.RegexMinOffset, _ = regexOffset(s, "min")
	}},
	"regex_max_offset": {handle: func(s *stmt, u *URLCheck) {
		// keepalived stores the maximum plus one, so even a rejected value
		// (read as 0) sets a maximum of 0.
		u.RegexMaxOffset, _ = regexOffset(s, "max")
		u.RegexMaxOffsetSet = true
	}},
	"regex_stack": {handle: func(s *stmt, u *URLCheck) {
		if s.NArgs() != 2 {
			s.Logf("regex_stack requires start and max values")
			return
		}
		start, ok1 := cUlong(s.Args()[0])
		if !ok1 {
			s.Logf("regex_stack invalid start value")
			return
		}
		max, ok2 := cUlong(s.Args()[1])
		if !ok2 {
			s.Logf("regex_stack invalid max value")
			return
		}
		if start > max {
			s.Logf("regex stack start cannot exceed max value")
			return
		}
		u.RegexStackStart, u.RegexStackMax, u.RegexUseStack = start, max, true
	}},
}

// pcre2Options are the regex_options names keepalived knows.
var pcre2Options = map[string]bool{
	"allow_empty_class": true, "alt_bsux": true, "auto_callout": true, "caseless": true,
	"dollar_endonly": true, "dotall": true, "dupnames": true, "extended": true, "firstline": true,
	"match_unset_backref": true, "multiline": true, "never_ucp": true, "never_utf": true,
	"no_auto_capture": true, "no_auto_possess": true, "no_dotstar_anchor": true,
	"no_start_optimize": true, "ucp": true, "ungreedy": true, "utf": true, "never_backslash_c": true,
	"alt_circumflex": true, "alt_verbnames": true, "use_offset_limit": true,
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// regexOffset is keepalived's regex_offset_handler: a bad value only logs
// and counts as 0.
func regexOffset(s *stmt, which string) (uint64, bool) {
	if s.NArgs() != 1 {
		s.Logf("Missing or too may options for regex_%s_offset", which)
		return 0, false
	}
	text, _ := s.Arg(1)
	v, ok := cUlong(text)
	if !ok {
		s.Logf("Invalid regex_%s_offset %s specified", which, text)
		return 0, false
	}
	return v, true
}

// cUlong is strtoul(text, &end, 10) with *end required to be NUL; like C it
// accepts leading blanks and a sign and wraps on '-'.
func cUlong(text string) (uint64, bool) {
	u, neg, rest, overflow := cStrtoul(text, 10)
	if rest != "" {
		return 0, false
	}
	if overflow {
		u = 1<<64 - 1
	}
	if neg {
		u = -u
	}
	return u, true
}

// parseStatusRange reads CODE or LO-HI, both within 100..599.
func parseStatusRange(text string) (lo, hi int, ok bool) {
	l, neg, rest, _ := cStrtoul(text, 10)
	h := l
	if strings.HasPrefix(rest, "-") {
		var neg2 bool
		h, neg2, rest, _ = cStrtoul(rest[1:], 10)
		neg = neg || neg2
	}
	if rest != "" || neg || l < httpStatusMin || l > httpStatusMax || h < httpStatusMin || h > httpStatusMax || l > h {
		return 0, 0, false
	}
	return int(l), int(h), true
}

// urlEnd is keepalived's url_check: it drops a url without path, applies
// the default status codes and clears regex settings given without regex.
func urlEnd(s *stmt, u *URLCheck) bool {
	if !u.pathSet {
		s.Errorf(ClassGeneral, "HTTP/SSL_GET checker url has no path - ignoring")
		return false
	}
	u.StatusCodes = statusRanges(u.codes)
	u.codes = nil // the ranges are what is kept, once per url of every real server
	if !u.RegexSet && (len(u.RegexOptions) > 0 || u.RegexNoMatch || u.RegexMinOffset != 0 ||
		u.RegexMaxOffsetSet || u.RegexUseStack) {
		s.Logf("regex parameters specified without regex")
		u.RegexOptions, u.RegexNoMatch, u.RegexMinOffset = nil, false, 0
		u.RegexMaxOffset, u.RegexMaxOffsetSet, u.RegexUseStack = 0, false, false
		u.RegexStackStart, u.RegexStackMax = 0, 0
	}
	if u.RegexMaxOffsetSet && u.RegexMinOffset >= u.RegexMaxOffset+1 {
		s.Logf("regex min offset %d > regex_max_offset %d - ignoring", u.RegexMinOffset, u.RegexMaxOffset)
		u.RegexMinOffset, u.RegexMaxOffset, u.RegexMaxOffsetSet = 0, 0, false
	}
	return true
}

// statusSet is the table of accepted status codes a url's status_code
// lines fill, one bit per code from httpStatusMin to httpStatusMax.
type statusSet [(httpStatusMax - httpStatusMin + 64) / 64]uint64

func (t *statusSet) add(code int) {
	i := code - httpStatusMin
	t[i/64] |= 1 << (i % 64)
}

func (t *statusSet) has(code int) bool {
	i := code - httpStatusMin
	return t[i/64]&(1<<(i%64)) != 0
}

// statusRanges turns the accepted-code table into ranges, 200-299 if empty.
func statusRanges(codes *statusSet) []StatusRange {
	var out []StatusRange
	if codes != nil {
		for c := httpStatusMin; c <= httpStatusMax; c++ {
			if !codes.has(c) {
				continue
			}
			hi := c
			for hi+1 <= httpStatusMax && codes.has(hi+1) {
				hi++
			}
			out = append(out, StatusRange{Lo: c, Hi: hi})
			c = hi
		}
	}
	if out == nil {
		out = []StatusRange{{Lo: 200, Hi: 299}}
	}
	return out
}
