package check

import (
	"bytes"
	"crypto/md5"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzHTTPResponse: what the response reader concludes (headers found,
// status, Content-Length, body size, digest, regex subject) must not depend
// on how the bytes were split into reads.
func FuzzHTTPResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world"), uint8(3))
	f.Add([]byte("HTTP/1.1 404 Not Found\r\n\r\n"), uint8(1))
	f.Add([]byte("HTTP/1.1 200\r\n\r\nx"), uint8(7))
	f.Add([]byte("\r\n\r\n\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		u := &httpURL{digest: []byte{0}, re: regexp.MustCompile("x")}
		feed := func(n int) *httpResponse {
			r := &httpResponse{clen: -1, md5: md5.New()}
			for b := data; len(b) > 0; {
				k := min(len(b), n)
				r.feed(b[:k], u)
				b = b[k:]
			}
			return r
		}
		one := feed(len(data) + 1)
		many := feed(int(step%16) + 1)
		if one.haveHead != many.haveHead || one.status != many.status || one.clen != many.clen || one.rxBody != many.rxBody {
			t.Fatalf("split reads changed the result: %+v vs %+v", one, many)
		}
		if !bytes.Equal(one.md5.Sum(nil), many.md5.Sum(nil)) {
			t.Fatal("split reads changed the digest")
		}
		// The regex subject depends on reads in one case only, as in
		// keepalived: a read that ends exactly with the headers.
		if end := httpHeaderEnd(data); end < 0 || end == len(data) || end%(int(step%16)+1) != 0 {
			if !bytes.Equal(one.regexBuf, many.regexBuf) {
				t.Fatal("split reads changed the regex subject")
			}
		}
		if one.haveHead {
			if end := httpHeaderEnd(data); end < 0 || int64(len(data)-end) != one.rxBody {
				t.Fatalf("body of %d bytes, header end at %d of %d", one.rxBody, end, len(data))
			}
		}
		if c := httpStatusCode(data); c < 0 || c > 999 {
			t.Fatalf("status %d", c)
		}
	})
}

// FuzzStrtol0: on plain decimal numbers strtol0 agrees with strconv, and
// it never panics on anything else.
func FuzzStrtol0(f *testing.F) {
	for _, s := range []string{"0", "-1", "0x10", "017", " 12x", "9223372036854775808", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, over := strtol0(s)
		// Only plain decimals: a leading 0 after an optional minus sign
		// means octal or hex to strtol (base 0), as "-010" is -8.
		digits := strings.TrimPrefix(s, "-")
		if len(digits) > 0 && digits[0] != '0' && digits[0] != '+' && digits[0] != '-' && !bytes.ContainsAny([]byte(s), " \t\n\v\f\r") {
			if want, err := strconv.ParseInt(s, 10, 64); err == nil && (v != want || over) {
				t.Fatalf("strtol0(%q) = %d, %v; strconv says %d", s, v, over, want)
			}
		}
	})
}

// FuzzDNSReply: a reply decides the attempt only if it is a response with
// our id, and then its RCODE is the low four bits of the flags.
func FuzzDNSReply(f *testing.F) {
	f.Add([]byte("\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"), uint16(0x1234))
	f.Add([]byte("\x12\x34\x01\x00"), uint16(0x1234))
	f.Fuzz(func(t *testing.T, b []byte, id uint16) {
		done, rcode := dnsReply(b, id)
		if !done {
			return
		}
		if len(b) < 8 || int(b[0])<<8|int(b[1]) != int(id) || b[2]&0x80 == 0 || rcode != int(b[3]&0x0f) {
			t.Fatalf("reply %x judged for id %04x with rcode %d", b, id, rcode)
		}
	})
}

// FuzzHTTPRegexMatch: the regex verdict never panics, and a match found
// with regex_min_offset starts at or after it (checked against a plain
// search of the remaining text).
func FuzzHTTPRegexMatch(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\nhello world"), uint16(0), uint16(0))
	f.Add([]byte("abc"), uint16(2), uint16(3))
	f.Add([]byte(""), uint16(1), uint16(0))
	patterns := []string{"o", "^H", `\bw`, "l+", "(?m)^w", "d$"}
	f.Fuzz(func(t *testing.T, subject []byte, minOff, maxOff uint16) {
		for _, p := range patterns {
			re := regexp.MustCompile(p)
			u := &httpURL{re: re, minOff: uint64(minOff), maxOff: uint64(maxOff)}
			u.reAfter = regexp.MustCompile(`\A(?s:.)(?s:.*?)(` + re.String() + `)`)
			got := httpRegexMatch(u, subject)
			if got && int(minOff) <= len(subject) && re.FindIndex(subject[minOff:]) == nil && !bytes.Contains([]byte(p), []byte(`\b`)) && !bytes.Contains([]byte(p), []byte("^")) {
				t.Fatalf("%q matched %q from offset %d, but nothing there matches", p, subject, minOff)
			}
		}
	})
}
