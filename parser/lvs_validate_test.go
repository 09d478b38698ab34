package parser

import (
	"reflect"
	"testing"
)

// The expected lists below are keepalived 2.2.7's `-t` output for the same
// text (probed with the real binary), without its line prefixes.

func TestValidationMatchesKeepalived(t *testing.T) {
	conf := `virtual_server 10.0.0.1 80 {
 protocol TCP
 lb_algo rr
 lb_kind DR
 sorry_server 10.0.0.9 81
 real_server 10.0.0.2 80 {
 }
}
virtual_server 10.0.0.5 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 sorry_server 10.0.0.2 80
 sorry_server_inhibit
 real_server 10.0.0.2 80 {
   notify_up /bin/true
   notify_up /bin/false
   weight 3
   uthreshold -1
   alpha maybe
 }
 hysteresis 5
 ops
}
virtual_server fwmark 7 {
 protocol TCP
 ha_suspend
 lb_algo rr
 lb_kind DR
 real_server 10.0.0.2 80 {
 }
}
`
	want := []string{
		"((null)) notify_up script already specified - ignoring /bin/false",
		"negative number '-1'",
		"Invalid real_server uthreshold '-1' - ignoring",
		"Invalid alpha parameter maybe",
		"WARNING - virtual server [10.0.0.1]:tcp:80 and sorry server ports don't match - resetting",
		"Virtual server [10.0.0.5]:tcp:80: one packet scheduling requires UDP - resetting",
		"Virtual server [10.0.0.5]:tcp:80: real server [10.0.0.2]:tcp:80 matches sorry server, but inhibit setting differs, clearing on sorry server",
		"Virtual server [10.0.0.5]:tcp:80: hysteresis 5 >= quorum 1; setting hysteresis to 0",
		"Virtual server FWM 7: cannot use ha_suspend with fwmarks - clearing ha_suspend",
		"Warning: Virtual server FWM 7: protocol specified for fwmark - protocol will be ignored",
		"WARNING - fwmark virtual server FWM 7, real server [10.0.0.2]:none:80 has port specified - clearing",
	}
	r := parseText(t, conf)
	if got := messages(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	vss := r.Config.VirtualServers
	if vss[0].SorryServer.Port != 80 || vss[1].Flags != 0 || vss[1].Hysteresis != 0 || !vss[1].SorryServer.DuplicatesRS ||
		vss[1].SorryServer.Inhibit || vss[2].HASuspend || vss[2].Protocol != ProtoNone || vss[2].RealServers[0].Port != 0 {
		t.Errorf("fix-ups not applied: %+v %+v %+v", vss[0].SorryServer, vss[1], vss[2])
	}
}

func TestValidationDefaultsAndOrder(t *testing.T) {
	conf := `virtual_server 10.0.0.9 {
  real_server 10.1.0.1 81 {
  }
  lb_kind DR
  real_server 10.1.0.2 81 {
    weight 0
  }
  sorry_server 2001::5 80
  sorry_server_inhibit
  real_server 1.2.3 {
  }
  real_server 2001::7 {
  }
  ops
  quorum 3
}
`
	want := []string{
		"Invalid real server ip address/port 1.2.3/(null) - skipping",
		"Address family of virtual server and real server 2001::7 don't match - skipping real server.",
		"Address family of virtual server and sorry server 2001::5 don't match - skipping sorry server.",
		"Virtual server [10.0.0.9]:none:0: no protocol set - defaulting to UDP",
		"Virtual server [10.0.0.9]:udp:0: zero port only valid for persistent services - setting",
		"Virtual server [10.0.0.9]:udp:0: no scheduler set, setting default 'wlc'",
		"Warning - quorum 3 for [10.0.0.9]:udp:0 exceeds total weight of real servers 1, reducing quorum to 1",
		"WARNING - virtual server [10.0.0.9]:udp:0 and real server [10.1.0.1]:udp:81 ports don't match - resetting",
		"WARNING - virtual server [10.0.0.9]:udp:0 and real server [10.1.0.2]:udp:81 ports don't match - resetting",
	}
	r := parseText(t, conf)
	if got := messages(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	vs := firstVS(t, r)
	// The first real server came before lb_kind, so it takes the method at
	// validation; both end up DR on the service's port.
	if vs.Protocol != ProtoUDP || vs.PersistenceTimeout != 360 || vs.Scheduler != "wlc" || vs.Quorum != 1 ||
		vs.Flags != SvcOnePacket || len(vs.RealServers) != 2 || vs.SorryServer != nil {
		t.Errorf("vs %+v", vs)
	}
	for _, rs := range vs.RealServers {
		if rs.Forwarding.Method != "DR" || rs.Port != 0 {
			t.Errorf("rs %v method %s port %d", rs.Addr, rs.Forwarding.Method, rs.Port)
		}
	}
	if r.ExitCode(false) != ExitErrors {
		t.Errorf("exit %d", r.ExitCode(false))
	}
}

func TestValidationRules(t *testing.T) {
	runMsgCases(t, []msgCase{
		{"no real servers", "virtual_server 10.0.0.10 80 {\n sorry_server 10.0.0.11 80\n}\n", map[string]Class{
			"Virtual server [10.0.0.10]:none:80 has no real servers - ignoring": ClassGeneral}, ExitErrors},
		{"nothing set", "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}\n", map[string]Class{
			"Virtual server [10.0.0.1]:none:80: no protocol set - defaulting to UDP":          ClassGeneral,
			"Virtual server [10.0.0.1]:udp:80: no scheduler set, setting default 'wlc'":       ClassGeneral,
			"Virtual server [10.0.0.1]:udp:80: no forwarding method set, setting default NAT": ClassGeneral}, ExitErrors},
		{"duplicate", vsConf(" real_server 10.0.0.2 80 {\n }"), map[string]Class{
			"VS [10.0.0.1]:tcp:80: real server [10.0.0.2]:tcp:80 is duplicated - removing second rs": ClassGeneral}, ExitErrors},
		{"quorum", vsConf(" quorum 5"), map[string]Class{
			"Warning - quorum 5 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 1, reducing quorum to 1": ClassGeneral}, ExitErrors},
		{"NAT port differs", vsConf(" real_server 10.0.0.3 8080 {\n }"), nil, ExitOK},
		{"DR port differs", vsConf(" lb_kind DR", " real_server 10.0.0.3 8080 {\n }"), map[string]Class{
			"WARNING - virtual server [10.0.0.1]:tcp:80 and real server [10.0.0.3]:tcp:8080 ports don't match - resetting": ClassGeneral}, ExitErrors},
		{"fwmark protocol", "virtual_server fwmark 5 {\n protocol UDP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 {\n }\n}\n", map[string]Class{
			"Warning: Virtual server FWM 5: protocol specified for fwmark - protocol will be ignored": ClassGeneral}, ExitErrors},
		{"fwmark clean", "virtual_server fwmark 5 {\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 {\n }\n}\n", nil, ExitOK},
		{"ops with UDP", "virtual_server 10.0.0.1 53 {\n protocol UDP\n ops\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 53 {\n }\n}\n", nil, ExitOK},
	})
}

func TestFWMarkFamily(t *testing.T) {
	for _, c := range []struct {
		name, conf, family string
	}{
		{"from real server", "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind DR\n real_server 2001:db8::1 {\n }\n}\n", "inet6"},
		{"tunnelled mixed defaults to IPv4", "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind TUN\n real_server 2001:db8::1 {\n }\n real_server 10.0.0.1 {\n }\n}\n", "inet"},
		{"tunnelled same family", "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind TUN\n real_server 2001:db8::1 {\n }\n}\n", "inet6"},
		{"ip_family", "virtual_server fwmark 1 {\n ip_family inet6\n lb_algo rr\n lb_kind TUN\n real_server 10.0.0.1 {\n }\n}\n", "inet6"},
	} {
		r := parseText(t, c.conf)
		if vs := firstVS(t, r); vs.Family != c.family || len(r.Diagnostics) != 0 {
			t.Errorf("%s: family %q %q", c.name, vs.Family, messages(r))
		}
	}
}

func TestSMTPAlertDefaults(t *testing.T) {
	r := parseText(t, vsConf())
	vs := firstVS(t, r)
	if vs.SMTPAlert || !vs.RealServers[0].SMTPAlert {
		t.Errorf("vs %v rs %v; want off and on", vs.SMTPAlert, vs.RealServers[0].SMTPAlert)
	}
}

func TestQuorumWrapsLikeKeepalived(t *testing.T) {
	// All weights 0: quorum becomes 0 and keepalived's unsigned quorum-1
	// sets the hysteresis to 4294967295.
	r := parseText(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n weight 0\n }\n}\n")
	vs := firstVS(t, r)
	if vs.Quorum != 0 || vs.Hysteresis != 4294967295 || !hasMessage(r, "hysteresis 0 >= quorum 0; setting hysteresis to 4294967295") {
		t.Errorf("quorum %d hysteresis %d %q", vs.Quorum, vs.Hysteresis, messages(r))
	}
}
