package parser

import (
	"reflect"
	"testing"
)

func TestHTTPGet(t *testing.T) {
	c, r := oneChecker(t, `SSL_GET {
  virtualhost www.example.com
  http_protocol 1.0c
  enable_sni
  fast_recovery off
  url {
    path /index.html
    digest 6F5902AC237024BDD0C176CB93063DC4
    status_code 200 301-302 404
    virtualhost u.example.com
  }
  url {
    path /b
    regex "ok[0-9]"
    regex_no_match
    regex_options caseless bogus multiline
    regex_min_offset 2
    regex_max_offset 9
    regex_stack 10 20
  }
}`)
	wantClean(t, r)
	h := c.HTTP
	if c.Type != "SSL_GET" || h.Virtualhost != "www.example.com" || h.HTTPProtocol != "1.0C" || !h.EnableSNI || h.FastRecovery {
		t.Errorf("%+v", h)
	}
	if len(h.URLs) != 2 {
		t.Fatalf("urls %d", len(h.URLs))
	}
	u := h.URLs[0]
	if u.Path != "/index.html" || u.Virtualhost != "u.example.com" || len(u.Digest) != 16 || u.Digest[0] != 0x6f || u.Digest[15] != 0xc4 {
		t.Errorf("%+v", u)
	}
	if want := []StatusRange{{200, 200}, {301, 302}, {404, 404}}; !reflect.DeepEqual(u.StatusCodes, want) {
		t.Errorf("status %v", u.StatusCodes)
	}
	u = h.URLs[1]
	if !reflect.DeepEqual(u.StatusCodes, []StatusRange{{200, 299}}) {
		t.Errorf("default status %v", u.StatusCodes)
	}
	if u.Regex != "ok[0-9]" || !u.RegexNoMatch || !reflect.DeepEqual(u.RegexOptions, []string{"caseless", "multiline"}) ||
		u.RegexMinOffset != 2 || u.RegexMaxOffset != 9 || !u.RegexMaxOffsetSet || u.RegexStackStart != 10 || u.RegexStackMax != 20 {
		t.Errorf("%+v", u)
	}
}

func TestHTTPGetErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		msg  string
	}{
		{"nb_get_retry 3", "nb_get_retry is deprecated - please use 'retry'"},
		{"nb_get_retry x", "Invalid nb_get_retry value 'x'"},
		{"http_protocol 2.0", "Invalid http_protocol version 2.0"},
		{"http_protocol", "Missing http_protocol version"},
		{"virtualhost", "HTTP_GET virtualhost name missing"},
		{"enable_sni maybe", "Invalid enable_sni parameter maybe"},
		{"fast_recovery 1", "Invalid fast_recovery parameter 1"},
		{"url {\npath /\ndigest 0123456789abcdef0123456789abcdeg\n}", "Unable to interpret hex digit in '0123456789abcdef0123456789abcdeg' at offset 30/31"},
		{"url {\npath /\ndigest 0g23456789abcdef0123456789abcdef\n}", "Unable to interpret hex digit in '0g' at offset 0/1"},
		{"url {\npath /\ndigest 0123\n}", "digest '0123' character length should be 32 rather than 4"},
		{"url {\npath /\ndigest 0123456789abcdef0123456789abcdef\ndigest 0123456789abcdef0123456789abcdef\n}", "Digest '0123456789abcdef0123456789abcdef' is a duplicate"},
		{"url {\npath /\nstatus_code 200 600\n}", "Invalid HTTP_GET status code '600'"},
		{"url {\npath /\nstatus_code 300-200\n}", "Invalid HTTP_GET status code '300-200'"},
		{"url {\npath /\nstatus_code 99\n}", "Invalid HTTP_GET status code '99'"},
		{"url {\npath /\nstatus_code 2xx\n}", "Invalid HTTP_GET status code '2xx'"},
		{"url {\npath /\nvirtualhost\n}", "Missing HTTP_GET virtualhost name"},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			_, r := decodeRS(t, "HTTP_GET {\nurl {\npath /x\n}\n"+tc.body+"\n}", nil)
			wantDiag(t, r, ClassGeneral, tc.msg)
			if got := r.ExitCode(false); got != ExitErrors {
				t.Errorf("exit %d", got)
			}
		})
	}
}

func TestHTTPStatusCodeKeepsGoodEntries(t *testing.T) {
	c, _ := oneChecker(t, "HTTP_GET {\nurl {\npath /\nstatus_code 600 201 abc 203-204\n}\n}")
	if want := []StatusRange{{201, 201}, {203, 204}}; !reflect.DeepEqual(c.HTTP.URLs[0].StatusCodes, want) {
		t.Errorf("%v", c.HTTP.URLs[0].StatusCodes)
	}
}

// The accepted codes are a bit table of 64-bit words: ranges that touch
// the table's ends and cross a word's edge come back whole.
func TestHTTPStatusCodeRangesAcrossTheTable(t *testing.T) {
	for _, tc := range []struct {
		codes string
		want  []StatusRange
	}{
		{"100 599", []StatusRange{{100, 100}, {599, 599}}},
		{"163-164", []StatusRange{{163, 164}}},
		{"160-170 172 171", []StatusRange{{160, 172}}},
		{"100-599", []StatusRange{{100, 599}}},
		{"227 228-291 292", []StatusRange{{227, 292}}},
	} {
		c, _ := oneChecker(t, "HTTP_GET {\nurl {\npath /\nstatus_code "+tc.codes+"\n}\n}")
		if got := c.HTTP.URLs[0].StatusCodes; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("status_code %s: %v, want %v", tc.codes, got, tc.want)
		}
	}
}

func TestHTTPNoURLs(t *testing.T) {
	rs, r := decodeRS(t, "HTTP_GET {\nconnect_timeout 3\n}", nil)
	if len(rs.Checkers) != 0 {
		t.Fatal("checker kept")
	}
	wantDiag(t, r, ClassGeneral, "HTTP/SSL_GET checker has no urls specified - ignoring")
	lint := false
	for _, d := range r.Diagnostics {
		lint = lint || d.Own
	}
	if !lint {
		t.Error("no lint about keepalived's crash")
	}
	if r.ExitCode(false) != ExitErrors || r.ExitCode(true) != ExitErrors {
		t.Error("exit code")
	}
}

func TestHTTPURLWithoutPath(t *testing.T) {
	rs, r := decodeRS(t, "HTTP_GET {\nurl {\ndigest 0123456789abcdef0123456789abcdef\n}\nurl {\npath /ok\n}\n}", nil)
	wantDiag(t, r, ClassGeneral, "HTTP/SSL_GET checker url has no path - ignoring")
	if len(rs.Checkers) != 1 || len(rs.Checkers[0].HTTP.URLs) != 1 || rs.Checkers[0].HTTP.URLs[0].Path != "/ok" {
		t.Fatalf("%+v", rs.Checkers)
	}
	// Only url dropped, so the checker is then dropped too.
	rs, r = decodeRS(t, "HTTP_GET {\nurl {\n}\n}", nil)
	if len(rs.Checkers) != 0 || !hasMessage(r, "no urls specified") {
		t.Fatalf("%q", messages(r))
	}
}

func TestHTTPPathMissingExits2(t *testing.T) {
	_, r := decodeRS(t, "HTTP_GET {\nurl {\npath\n}\n}", nil)
	if got := r.ExitCode(false); got != ExitMissingParameter {
		t.Errorf("exit %d (%q)", got, messages(r))
	}
	wantDiag(t, r, ClassMissingParameter, "*** Configuration line starting `path` is missing a parameter after keyword `path` at word position 2")
}

func TestHTTPRegexLogs(t *testing.T) {
	for _, tc := range []struct{ body, msg string }{
		{"regex_no_match", "regex parameters specified without regex"},
		{"regex a b", "regex missing or too many fields"},
		{"regex x\nregex_min_offset 5\nregex_max_offset 2", "regex min offset 5 > regex_max_offset 2 - ignoring"},
		{"regex x\nregex_stack 1", "regex_stack requires start and max values"},
		{"regex x\nregex_stack 5 1", "regex stack start cannot exceed max value"},
		{"regex x\nregex_min_offset q", "Invalid regex_min_offset q specified"},
	} {
		c, r := oneChecker(t, "HTTP_GET {\nurl {\npath /\n"+tc.body+"\n}\n}")
		if !hasMessage(r, tc.msg) {
			t.Errorf("%s: got %q", tc.body, messages(r))
		}
		if r.ExitCode(false) != ExitOK {
			t.Errorf("%s: logs must not change the exit code", tc.body)
		}
		u := c.HTTP.URLs[0]
		if tc.msg == "regex parameters specified without regex" && u.RegexNoMatch {
			t.Error("regex_no_match kept without regex")
		}
	}
}

func TestSplitQuotedEscaped(t *testing.T) {
	_, r := decodeRS(t, "", nil)
	d := &decoder{src: r.Source, cfg: r.Config}
	s := &stmt{d: d, line: &Line{Words: []Word{{Text: "regex"}}}}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`regex "a b"`, []string{"regex", "a b"}},
		{`regex 'x'"y"z`, []string{"regex", "xyz"}},
		{`regex a\tb\x41\101\cA\q`, []string{"regex", "a\tbAA\x01q"}},
	} {
		got, ok := splitQuotedEscaped(s, tc.in)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q", tc.in, got)
		}
	}
	if _, ok := splitQuotedEscaped(s, `regex "open`); ok || !hasMessage(&Result{Diagnostics: d.diags}, "missing terminating \"") {
		t.Errorf("unmatched quote: %q", d.diags)
	}
}
