package parser

import (
	"net/netip"
	"reflect"
	"testing"
)

// rsConf is a complete service whose single real server has these lines.
func rsConf(lines ...string) string {
	body := ""
	for _, l := range lines {
		body += "  " + l + "\n"
	}
	return "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n" + body + " }\n}\n"
}

func TestRealServerKeywords(t *testing.T) {
	r := parseText(t, rsConf("weight 5", "lvs_method TUN type gre csum", "uthreshold 100", "lthreshold 10",
		"inhibit_on_failure", "alpha off", "retry 2", "delay_before_retry 0.5", "warmup 0", "connect_timeout 1",
		"delay_loop 2", "smtp_alert no", "virtualhost rs.example.com", "snmp_name rs1",
		"notify_up /bin/up", "notify_down /bin/down"))
	if len(r.Diagnostics) != 0 {
		t.Fatalf("diagnostics %q", messages(r))
	}
	rs := firstVS(t, r).RealServers[0]
	want := Forwarding{Method: "TUN", TunnelType: "gre", Checksum: "csum"}
	if rs.Weight != 5 || !rs.WeightSet || rs.Forwarding != want || rs.UThreshold != 100 || rs.LThreshold != 10 ||
		!rs.Inhibit || rs.Alpha || !rs.AlphaSet || rs.Retry != 2 || rs.DelayBeforeRetry != 500000 || !rs.WarmupSet ||
		rs.Warmup != 0 || rs.ConnectTimeout != 1e6 || rs.DelayLoop != 2e6 || rs.SMTPAlert || rs.VirtualHost != "rs.example.com" ||
		rs.SNMPName != "rs1" || rs.NotifyUp == nil || rs.NotifyDown == nil || rs.Addr != netip.MustParseAddr("10.0.0.2") || rs.Port != 80 {
		t.Errorf("rs %+v", rs)
	}
}

func TestRealServerErrors(t *testing.T) {
	runMsgCases(t, []msgCase{
		{"weight", rsConf("weight 10x"), map[string]Class{"invalid number '10x'": ClassInvalidNumber,
			"Real server weight 10x is outside range 0-2147483647": ClassGeneral}, ExitErrors},
		{"weight missing", rsConf("weight"), map[string]Class{"missing a parameter after keyword `weight`": ClassMissingParameter}, ExitMissingParameter},
		{"lb_kind unknown here", rsConf("lb_kind DR"), map[string]Class{"Unknown keyword 'lb_kind'": ClassUnknownKeyword}, ExitErrors},
		{"lvs_method", rsConf("lvs_method FOO"), map[string]Class{"PARSER : unknown [FOO] routing method for real server.": ClassGeneral}, ExitErrors},
		{"uthreshold", rsConf("uthreshold -1"), map[string]Class{"negative number '-1'": ClassInvalidNumber,
			"Invalid real_server uthreshold '-1' - ignoring": ClassGeneral}, ExitErrors},
		{"lthreshold", rsConf("lthreshold x"), map[string]Class{"Invalid real_server lthreshold 'x' - ignoring": ClassGeneral}, ExitErrors},
		{"inhibit", rsConf("inhibit_on_failure 1"), map[string]Class{"Invalid inhibit_on_failure parameter 1": ClassGeneral}, ExitErrors},
		{"alpha", rsConf("alpha maybe"), map[string]Class{"Invalid alpha parameter maybe": ClassGeneral}, ExitErrors},
		{"smtp_alert", rsConf("smtp_alert On"), map[string]Class{"Invalid real_server smtp_alert parameter On": ClassGeneral}, ExitErrors},
		{"retry", rsConf("retry 0"), map[string]Class{"retry value invalid - 0": ClassGeneral}, ExitErrors},
		{"delay_loop", rsConf("delay_loop 0"), map[string]Class{"real server delay_loop '0' invalid - ignoring": ClassGeneral}, ExitErrors},
		{"delay_before_retry", rsConf("delay_before_retry -1"), map[string]Class{"real server delay_before_retry '-1' invalid - ignoring": ClassGeneral}, ExitErrors},
		{"warmup", rsConf("warmup 1.1234567"), map[string]Class{"has too many decimal places": ClassInvalidNumber}, ExitErrors},
		{"connect_timeout", rsConf("connect_timeout 0"), map[string]Class{"real server connect_timeout 0 invalid - ignoring": ClassGeneral}, ExitErrors},
		{"virtualhost", rsConf("virtualhost"), map[string]Class{"real server virtualhost missing": ClassGeneral}, ExitErrors},
		{"snmp_name", rsConf("snmp_name"), map[string]Class{"real server snmp_name missing or extra parameters": ClassGeneral}, ExitErrors},
		{"notify twice", rsConf("notify_down /a", "notify_down /b"), map[string]Class{
			"((null)) notify_down script already specified - ignoring /b": ClassGeneral}, ExitErrors},
		{"bad address", "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.x 80 {\n weight nonsense\n }\n real_server 10.0.0.2 80 {\n }\n}\n",
			map[string]Class{"Invalid real server ip address/port 10.0.0.x/80 - skipping": ClassGeneral}, ExitErrors},
		{"no address", "virtual_server 10.0.0.1 80 {\n real_server {\n }\n}\n", map[string]Class{"missing a parameter": ClassMissingParameter}, ExitMissingParameter},
	})
}

func TestRealServerInheritsMethodAtItsLine(t *testing.T) {
	// keepalived copies the virtual server's method when the real server
	// starts: a later lb_kind does not change it.
	r := parseText(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 {\n }\n lb_kind NAT\n real_server 10.0.0.3 {\n }\n}\n")
	var got []string
	for _, rs := range firstVS(t, r).RealServers {
		got = append(got, rs.Forwarding.Method)
	}
	if !reflect.DeepEqual(got, []string{"DR", "NAT"}) || len(r.Diagnostics) != 0 {
		t.Errorf("methods %v %q", got, messages(r))
	}
}

func TestRealServerTunnelledFamily(t *testing.T) {
	r := parseText(t, "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind TUN\n real_server 2001:db8::2 80 {\n }\n}\n")
	if len(firstVS(t, r).RealServers) != 1 || len(r.Diagnostics) != 0 {
		t.Errorf("tunnelled IPv6 real server refused: %q", messages(r))
	}
}

func TestCheckerTableMerged(t *testing.T) {
	for kw := range checkerBlockKeywords {
		if _, ok := rsKeywords[kw]; !ok {
			t.Errorf("checker block %s missing from real_server", kw)
		}
	}
	for kw := range rsOwnKeywords {
		if _, ok := rsKeywords[kw]; !ok {
			t.Errorf("%s missing from real_server", kw)
		}
	}
}
