package parser

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestVirtualServerGroupEntries(t *testing.T) {
	conf := `virtual_server_group G1 {
  10.0.0.1-10 80
  10.0.1.0/24 80
  10.0.1.1/24 80
  10.0.2.5-3 80
  10.0.2.5-10.0.2.4 80
  10.0.2.5-300 80
  10.0.2.5-7x 80
  2001::1-ff 80
  10.0.3.0/33
  fwmark 5 inet
  fwmark 6 foo
  fwmark x
  1.2.3.x 80
  1.2.3.4 99999
}
virtual_server_group EMPTY {
}
`
	// keepalived 2.2.7's -t output for the same text.
	want := []string{
		"Address mask bits not empty - 10.0.1.1/24 - skipping",
		"Address range end is not greater than address range start - 10.0.2.5-3 - skipping",
		"Address range end is less than address range start - 10.0.2.5-10.0.2.4 - skipping",
		"Virtual server group range '10.0.2.5-300' end '300' too large",
		"Virtual server group range '10.0.2.5-7x' has extra characters at end 'x'",
		"Invalid netmask - 10.0.3.0/33 - skipping",
		"(G1): fwmark '6' family foo unknown - ignoring",
		"invalid number 'x'",
		"(G1): fwmark 'x' must be in [0, 4294967295] - ignoring",
		"Invalid virtual server group IP address 1.2.3.x /port/80 - skipping",
		"number '99999' outside range [1, 65535]",
		"Invalid virtual server group IP address 1.2.3.4 /port/99999 - skipping",
		"virtual server group EMPTY has no entries - removing",
	}
	r := parseText(t, conf)
	if got := messages(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if len(r.Config.VirtualServerGroups) != 1 {
		t.Fatalf("groups %d", len(r.Config.VirtualServerGroups))
	}
	a := netip.MustParseAddr
	var got []VSGEntry
	for _, e := range r.Config.VirtualServerGroups[0].Entries {
		e.Pos = Pos{}
		got = append(got, e)
	}
	wantEntries := []VSGEntry{
		{Start: a("10.0.0.1"), End: a("10.0.0.10"), Port: 80},
		{Start: a("10.0.1.0"), End: a("10.0.1.255"), Port: 80},
		{Start: a("2001::1"), End: a("2001::ff"), Port: 80},
		{FWMark: true, Mark: 5, Family: "inet"},
	}
	if !reflect.DeepEqual(got, wantEntries) {
		t.Errorf("entries\n%+v\nwant\n%+v", got, wantEntries)
	}
}

func TestVirtualServerGroupIPv6Network(t *testing.T) {
	r := parseText(t, "virtual_server_group G {\n 2001:db8::/120 443\n 2001:db8:1::1-2001:db8:1::9\n}\n")
	if len(r.Diagnostics) != 0 {
		t.Fatalf("%q", messages(r))
	}
	es := r.Config.VirtualServerGroups[0].Entries
	if es[0].End != netip.MustParseAddr("2001:db8::ff") || es[0].Port != 443 || es[1].End != netip.MustParseAddr("2001:db8:1::9") {
		t.Errorf("entries %+v", es)
	}
}

func TestVirtualServerGroupStructure(t *testing.T) {
	runMsgCases(t, []msgCase{
		{"extra word after name", "virtual_server_group G x {\n 1.2.3.4 80\n}\n", map[string]Class{
			"*** Configuration line starting `***MISSING ***` is missing a parameter at word position 1": ClassMissingParameter}, ExitMissingParameter},
		{"no name", "virtual_server_group {\n 1.2.3.4 80\n}\n", map[string]Class{"missing a parameter": ClassMissingParameter}, ExitMissingParameter},
		{"fwmark without value", "virtual_server_group G {\n fwmark\n}\n", map[string]Class{"missing a parameter": ClassMissingParameter}, ExitMissingParameter},
		{"mixed families with bare fwmark", "virtual_server_group G {\n 1.2.3.4 80\n 2001::1 80\n fwmark 3\n}\n", map[string]Class{
			"virtual server group G cannot have IPv4, IPv6 and fwmark without family - removing": ClassGeneral}, ExitErrors},
	})
}

func TestGroupVirtualServer(t *testing.T) {
	conf := `virtual_server_group fred {
  1.2.3.4-8 40
  3.4.5.6
  fwmark 7
}
virtual_server group fred {
  lb_algo rr
  lb_kind DR
  real_server 10.10.10.2 24 {
  }
}
`
	want := []string{
		"Virtual server [fred]:0: no protocol set - defaulting to UDP",
		"Virtual server [fred]:0: zero port only valid for persistent services - setting",
		"WARNING - fwmark virtual server [fred]:0, real server [10.10.10.2]:udp:24 has port specified - port will be ignored",
		"virtual server [fred]:0:[1.2.3.4-1.2.3.8,40] and real server [10.10.10.2]:udp:24 ports don't match",
		"virtual server [fred]:0:[3.4.5.6,0] and real server [10.10.10.2]:udp:24 ports don't match",
	}
	r := parseText(t, conf)
	if got := messages(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	vs := firstVS(t, r)
	if vs.Group == nil || vs.Family != "inet" || vs.PersistenceTimeout != 360 || vs.RealServers[0].Port != 24 {
		t.Errorf("vs %+v", vs)
	}
}

func TestGroupLinkProblemsAreOnlyLogged(t *testing.T) {
	conf := `virtual_server_group V6 {
  2001::1 80
}
virtual_server group NOPE {
  real_server 10.1.0.1 81 {
  }
}
virtual_server group V6 {
  protocol TCP
  real_server 10.1.0.1 81 {
  }
}
`
	r := parseText(t, conf)
	for _, frag := range []string{
		"Virtual server group NOPE specified but not configured - ignoring virtual server [NOPE]:0",
		"V6: address family doesn't match virtual server [V6]:0 - ignoring",
	} {
		d, ok := diag(r, frag)
		if !ok || d.Severity != SeverityNote || d.Class != ClassNone {
			t.Errorf("%q: %+v %v", frag, d, ok)
		}
	}
	if len(r.Config.VirtualServers) != 0 || r.ExitCode(false) != ExitOK {
		t.Errorf("kept %d, exit %d", len(r.Config.VirtualServers), r.ExitCode(false))
	}
}

func TestSSLBlock(t *testing.T) {
	r := parseText(t, "SSL {\n password a\n password b\n ca\n certificate /c.pem\n key /k.pem\n}\n")
	want := []string{"SSL password already specified - replacing", "SSL cafile missing"}
	if got := messages(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	ssl := r.Config.SSL
	if ssl == nil || ssl.Password != "b" || ssl.CAFile != "" || ssl.CertFile != "/c.pem" || ssl.KeyFile != "/k.pem" {
		t.Errorf("ssl %+v", ssl)
	}
	r = parseText(t, "SSL {\n password a\n}\nSSL {\n}\n")
	if !hasMessage(r, "SSL context already specified - replacing") || r.Config.SSL.Password != "" || r.ExitCode(false) != ExitErrors {
		t.Errorf("second block: %q %+v", messages(r), r.Config.SSL)
	}
	if r := parseText(t, "SSL {\n}\n"); r.Config.SSL == nil || len(r.Diagnostics) != 0 {
		t.Errorf("empty block must still create a context")
	}
}
