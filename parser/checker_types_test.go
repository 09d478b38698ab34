package parser

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

func TestSMTPCheck(t *testing.T) {
	c, r := oneChecker(t, "SMTP_CHECK {\nhelo_name mx.example.com\nconnect_timeout 3\n}")
	wantClean(t, r)
	if c.SMTP.HeloName != "mx.example.com" || c.Conn.ConnectTimeout != 3000000 {
		t.Errorf("%+v", c.SMTP)
	}
	c, _ = oneChecker(t, "SMTP_CHECK {\n}")
	if c.SMTP.HeloName != "smtpchecker.keepalived.org" {
		t.Errorf("default helo %q", c.SMTP.HeloName)
	}
	_, r = decodeRS(t, "SMTP_CHECK {\nhelo_name\n}", nil)
	wantDiag(t, r, ClassGeneral, "SMTP_CHECK helo name missing")
}

func TestSMTPHostBlocks(t *testing.T) {
	// No connection keyword of its own: the first host replaces it, the
	// second becomes another checker; retry inside a host is the checker's.
	rs, r := decodeRS(t, `SMTP_CHECK {
  retry 4
  host {
    connect_ip 10.0.0.5
    retry 2
  }
  host {
    connect_ip 10.0.0.6
    connect_port 2525
  }
  host {
    connect_ip fe80::1
  }
}`, nil)
	wantDiag(t, r, ClassGeneral, "Checker link local address fe80::1 requires a bind_if")
	if !hasMessage(r, "The SMTP_CHECK host block is deprecated") {
		t.Error("no deprecation log")
	}
	if len(rs.Checkers) != 2 {
		t.Fatalf("%d checkers", len(rs.Checkers))
	}
	a, b := rs.Checkers[0], rs.Checkers[1]
	if a.Conn.ConnectIP != netip.MustParseAddr("10.0.0.5") || b.Conn.ConnectIP != netip.MustParseAddr("10.0.0.6") ||
		b.Conn.ConnectPort != 2525 || a.Retry != 2 || b.Retry != 2 || a.SMTP == b.SMTP {
		t.Errorf("%+v %+v", a.Conn, b.Conn)
	}
	// Own connection keyword: it keeps its own, each host is one more.
	rs, _ = decodeRS(t, "SMTP_CHECK {\nconnect_port 25\nhost {\nconnect_ip 10.0.0.5\n}\n}", nil)
	if len(rs.Checkers) != 2 || rs.Checkers[0].Conn.ConnectIP.IsValid() {
		t.Fatalf("%d checkers", len(rs.Checkers))
	}
}

func TestDNSCheck(t *testing.T) {
	c, r := oneChecker(t, "DNS_CHECK {\ntype aaaa\nname www.example.com\n}")
	wantClean(t, r)
	if c.DNS.Type != "AAAA" || c.DNS.Name != "www.example.com" {
		t.Errorf("%+v", c.DNS)
	}
	c, _ = oneChecker(t, "DNS_CHECK {\n}")
	if c.DNS.Type != "SOA" || c.DNS.Name != "" {
		t.Errorf("defaults %+v", c.DNS)
	}
	for _, tc := range []struct{ body, msg string }{
		{"type bogus", "Unknown DNS check type bogus - ignoring"},
		{"name a..b", "DNS_CHECK name 'a..b' has empty label - ignoring"},
		{"name .x", "DNS_CHECK name '.x' has empty label - ignoring"},
		// keepalived 2.2.7 rejects a one-character first label too.
		{"name a.example.com", "DNS_CHECK name 'a.example.com' has empty label - ignoring"},
		{"name xy.org\nname yz.org", "DNS_CHECK name already specified - ignoring"},
	} {
		_, r := decodeRS(t, "DNS_CHECK {\n"+tc.body+"\n}", nil)
		wantDiag(t, r, ClassGeneral, tc.msg)
	}
	for _, ok := range []string{".", "example.com", "ab.c"} {
		if dnsNameHasEmptyLabel(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
}

func TestMiscCheck(t *testing.T) {
	rs, r := decodeRS(t, "MISC_CHECK {\nmisc_path \"/bin/check arg\"\nmisc_timeout 7\nmisc_dynamic\nuser nobody nogroup\nretry 2\n}", nil)
	wantClean(t, r)
	c := rs.Checkers[0]
	if c.Misc.Script == nil || !c.Misc.Script.Checker || c.Misc.Timeout != 7000000 || !c.Misc.Dynamic ||
		c.Misc.Script.User != "nobody" || c.Misc.Script.Group != "nogroup" || c.Retry != 2 {
		t.Errorf("%+v %+v", c.Misc, c.Misc.Script)
	}
	for _, tc := range []struct{ body, msg string }{
		{"misc_path", "No script path has been specified for MISC_CHECKER - skipping"},
		{"misc_timeout 5000", "Invalid misc_timeout value '5000'"},
		{"user", "No user specified for misc checker script "},
	} {
		_, r := decodeRS(t, "MISC_CHECK {\n"+tc.body+"\n}", nil)
		wantDiag(t, r, ClassGeneral, tc.msg)
		if got := r.ExitCode(false); got != ExitErrors {
			t.Errorf("%s: exit %d", tc.body, got)
		}
	}
	rs, _ = decodeRS(t, "MISC_CHECK {\n}", nil)
	if len(rs.Checkers) != 0 {
		t.Error("MISC_CHECK without misc_path kept")
	}
}

func TestUDPCheck(t *testing.T) {
	c, r := oneChecker(t, "UDP_CHECK {\npayload Ab12f 3 456\nrequire_reply 1x X2\nmin_reply_length 2\nmax_reply_length 100\n}")
	wantClean(t, r)
	u := c.UDP
	if !bytes.Equal(u.Payload, []byte{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06}) {
		t.Errorf("payload % x", u.Payload)
	}
	if !u.RequireReply || !bytes.Equal(u.ReplyData, []byte{0x10, 0x02}) || !bytes.Equal(u.ReplyMask, []byte{0x0f, 0xf0}) {
		t.Errorf("reply % x mask % x", u.ReplyData, u.ReplyMask)
	}
	if u.MinReplyLength != 2 || u.MaxReplyLength != 100 {
		t.Errorf("%+v", u)
	}
	c, _ = oneChecker(t, "UDP_CHECK {\nrequire_reply\n}")
	if !c.UDP.RequireReply || c.UDP.ReplyData != nil || c.UDP.MaxReplyLength != 255 {
		t.Errorf("%+v", c.UDP)
	}
	for _, tc := range []struct{ body, msg string }{
		{"payload", "UDP_CHECK payload requires a payload"},
		{"payload zz", "Invalid hex string for UDP_CHECK payload"},
		{"payload 1x", "Invalid hex string for UDP_CHECK payload"},
		{"require_reply q", "Invalid hex string for UDP_CHECK reply"},
		{"min_reply_length 70000", "UDP_CHECK min length 70000 not valid - must be between 0 & 65535"},
		{"max_reply_length -1", "UDP_CHECK max length -1 not valid - must be between 0 & 65535"},
		{"max_reply_length 3\nmin_reply_length 4", "UDP_CHECK min_reply length 4 > max_reply_length 3 - will always fail"},
	} {
		_, r := decodeRS(t, "UDP_CHECK {\n"+tc.body+"\n}", nil)
		wantDiag(t, r, ClassGeneral, tc.msg)
	}
}

func TestReadHexStrTab(t *testing.T) {
	// A tab after a lone digit is read as its second digit: invalid.
	if d, _ := readHexStr("1\t2", false); d != nil {
		t.Errorf("% x", d)
	}
	if d, _ := readHexStr("12\t34", false); !bytes.Equal(d, []byte{0x12, 0x34}) {
		t.Errorf("% x", d)
	}
}

func withTracking(cfg *Config) {
	cfg.TrackFiles = []*TrackFile{{Name: "tf", Weight: 5}}
	cfg.BFDInstances = []*BFDInstance{{Name: "b1"}, {Name: "b2"}}
}

func TestFileCheck(t *testing.T) {
	rs, r := decodeRS(t, "FILE_CHECK {\ntrack_file tf\n}\nFILE_CHECK {\ntrack_file tf\nweight -3 reverse\n}", withTracking)
	wantClean(t, r)
	if len(rs.Checkers) != 2 || rs.Checkers[0].File.Weight != 5 || rs.Checkers[1].File.Weight != -3 || !rs.Checkers[1].File.Reverse {
		t.Fatalf("%+v", rs.Checkers)
	}
	for _, tc := range []struct{ body, msg string }{
		{"track_file nope", "track_file nope not found"},
		{"track_file nope", "FILE_CHECK has no track_file specified - ignoring"},
		{"track_file tf\nweight", "track file weight missing"},
		{"track_file tf\nweight 3 sideways", "unknown track file weight option sideways - ignoring"},
		{"track_file tf\nweight 2147483648", "weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring..."},
	} {
		_, r := decodeRS(t, "FILE_CHECK {\n"+tc.body+"\n}", withTracking)
		wantDiag(t, r, ClassGeneral, tc.msg)
	}
	_, r = decodeRS(t, "FILE_CHECK {\ntrack_file tf\ndynamic\n}", withTracking)
	wantDiag(t, r, ClassUnknownKeyword, "Unknown keyword 'dynamic'")
}

func TestBFDCheck(t *testing.T) {
	rs, r := decodeRS(t, "BFD_CHECK {\nname b1\nalpha\n}\nBFD_CHECK {\nname b2\n}", withTracking)
	wantClean(t, r)
	if len(rs.Checkers) != 2 || rs.Checkers[0].BFD.Name != "b1" || !rs.Checkers[0].Alpha {
		t.Fatalf("%+v", rs.Checkers)
	}
	for _, tc := range []struct{ body, msg string }{
		{"BFD_CHECK {\nname nobfd\n}", "BFD_CHECK - BFD nobfd not configured"},
		{"BFD_CHECK {\nname a b\n}", "BFD_CHECK - No or too many names specified - skipping checker"},
		{"BFD_CHECK {\n}", "No name has been specified for BFD_CHECKER - skipping"},
		{"BFD_CHECK {\nalpha x\nname b1\n}", "Invalid alpha parameter x"},
		{"BFD_CHECK {\nname b1\n}\nBFD_CHECK {\nname b1\n}", "BFD_CHECK - RS already monitoring b1"},
	} {
		rs, r := decodeRS(t, tc.body, withTracking)
		wantDiag(t, r, ClassGeneral, tc.msg)
		if tc.msg != "Invalid alpha parameter x" && len(rs.Checkers) > 1 {
			t.Errorf("%s: kept %d", tc.body, len(rs.Checkers))
		}
	}
}

func TestTCPAndPing(t *testing.T) {
	rs, r := decodeRS(t, "TCP_CHECK {\nconnect_port 22\n}\nPING_CHECK {\n}", nil)
	wantClean(t, r)
	if len(rs.Checkers) != 2 || rs.Checkers[0].TCP == nil || rs.Checkers[1].Ping == nil {
		t.Fatalf("%+v", rs.Checkers)
	}
}

func TestCheckerJSON(t *testing.T) {
	rs, _ := decodeRS(t, "HTTP_GET {\nurl {\npath /\ndigest 6f5902ac237024bdd0c176cb93063dc4\n}\n}\nUDP_CHECK {\npayload 0a0b\n}\nMISC_CHECK {\nmisc_path /bin/true\n}", nil)
	for _, c := range rs.Checkers {
		resolveCheckerDefaults(c, checkerInherit{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80, DelayLoop: 60000000, ConnectTimeout: 5000000})
	}
	out, err := json.Marshal(rs.Checkers)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"HTTP_GET"`, `"digest":"6f5902ac237024bdd0c176cb93063dc4"`, `"payload":"0a0b"`,
		`"status_code":[{"lo":200,"hi":299}]`, `"dest":"10.0.0.2:80"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}

func TestCheckerTypeMissingParameter(t *testing.T) {
	for _, tc := range []struct {
		text string
		exit int
	}{
		{"DNS_CHECK {\ntype\n}", ExitMissingParameter},
		{"DNS_CHECK {\nname\n}", ExitMissingParameter},
		{"UDP_CHECK {\nmin_reply_length\n}", ExitMissingParameter},
		{"FILE_CHECK {\ntrack_file\n}", ExitMissingParameter},
		{"MISC_CHECK {\nmisc_timeout\n}", ExitMissingParameter},
		{"HTTP_GET {\nnb_get_retry\n}", ExitMissingParameter},
		{"HTTP_GET {\nurl {\npath /\ndigest\n}\n}", ExitMissingParameter},
		// These handlers check for the argument themselves.
		{"MISC_CHECK {\nmisc_path\n}", ExitErrors},
		{"SMTP_CHECK {\nhelo_name\n}", ExitErrors},
		{"UDP_CHECK {\npayload\n}", ExitErrors},
		{"BFD_CHECK {\nname\n}", ExitErrors},
		{"TCP_CHECK {\nalpha\n}", ExitOK},
	} {
		_, r := decodeRS(t, tc.text, withTracking)
		if got := r.ExitCode(false); got != tc.exit {
			t.Errorf("%q: exit %d, want %d (%q)", tc.text, got, tc.exit, messages(r))
		}
	}
}
