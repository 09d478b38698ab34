package parser

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

// vsConf wraps virtual_server body lines in a complete service with one
// real server, so only the lines under test produce diagnostics.
func vsConf(lines ...string) string {
	return "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n" +
		strings.Join(lines, "\n") + "\n real_server 10.0.0.2 80 {\n }\n}\n"
}

// diag finds the diagnostic whose message contains fragment.
func diag(r *Result, fragment string) (Diagnostic, bool) {
	for _, d := range r.Diagnostics {
		if strings.Contains(d.Message, fragment) {
			return d, true
		}
	}
	return Diagnostic{}, false
}

type msgCase struct {
	name string
	conf string
	// want are message fragments, each with the class it must carry.
	want map[string]Class
	exit int
}

func runMsgCases(t *testing.T, cases []msgCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := parseText(t, c.conf)
			for frag, class := range c.want {
				d, ok := diag(r, frag)
				if !ok {
					t.Errorf("missing %q in %q", frag, messages(r))
					continue
				}
				if d.Class != class {
					t.Errorf("%q: class %v, want %v", frag, d.Class, class)
				}
			}
			if len(c.want) == 0 && len(r.Diagnostics) != 0 {
				t.Errorf("unexpected diagnostics %q", messages(r))
			}
			if got := r.ExitCode(false); got != c.exit {
				t.Errorf("exit %d, want %d (%q)", got, c.exit, messages(r))
			}
		})
	}
}

func firstVS(t *testing.T, r *Result) *VirtualServer {
	t.Helper()
	if len(r.Config.VirtualServers) == 0 {
		t.Fatalf("no virtual server kept: %q", messages(r))
	}
	return r.Config.VirtualServers[0]
}

func TestVirtualServerDefaults(t *testing.T) {
	r := parseText(t, vsConf())
	if len(r.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %q", messages(r))
	}
	vs := firstVS(t, r)
	if vs.Addr != netip.MustParseAddr("10.0.0.1") || vs.Port != 80 || vs.Family != "inet" {
		t.Errorf("identity %v %d %s", vs.Addr, vs.Port, vs.Family)
	}
	if vs.Quorum != 1 || vs.Hysteresis != 0 || vs.Weight != 1 || vs.DelayLoop != 60e6 || vs.ConnectTimeout != 5e6 ||
		vs.RetrySet || vs.WarmupSet || vs.DelayBeforeRetrySet || vs.PersistenceGranularity != 0xffffffff || vs.SMTPAlert {
		t.Errorf("defaults %+v", vs)
	}
	rs := vs.RealServers[0]
	if rs.VS() != vs || rs.Weight != 1 || rs.Forwarding.Method != "NAT" || !rs.SMTPAlert || rs.DelayLoop != 60e6 || rs.ConnectTimeout != 5e6 {
		t.Errorf("real server defaults %+v", rs)
	}
}

func TestVirtualServerKeywords(t *testing.T) {
	r := parseText(t, vsConf(
		" delay_loop 6.5", " connect_timeout 3", " retry 4", " delay_before_retry 2", " warmup 1",
		" persistence_timeout", " persistence_engine sip", " quorum 1", " hysteresis 0",
		" ha_suspend", " alpha", " omega", " inhibit_on_failure", " virtualhost www.example.com",
		" smtp_alert off", " weight 7", " snmp_name web", " flag-1", " flag-3",
	))
	if len(r.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %q", messages(r))
	}
	vs := firstVS(t, r)
	if vs.DelayLoop != 6500000 || vs.ConnectTimeout != 3e6 || vs.Retry != 4 || !vs.RetrySet || vs.DelayBeforeRetry != 2e6 || vs.Warmup != 1e6 {
		t.Errorf("timing %+v", vs.Timing)
	}
	if vs.PersistenceTimeout != 360 || vs.PersistenceEngine != "sip" || !vs.HASuspend || !vs.Alpha || !vs.Omega ||
		!vs.Inhibit || vs.VirtualHost != "www.example.com" || !vs.SMTPAlertSet || vs.SMTPAlert || vs.Weight != 7 ||
		vs.SNMPName != "web" || vs.Flags != SvcSched1|SvcSched3 {
		t.Errorf("vs %+v", vs)
	}
	rs := vs.RealServers[0]
	if rs.DelayLoop != 6500000 || rs.ConnectTimeout != 3e6 || rs.Retry != 4 || !rs.RetrySet || rs.Warmup != 1e6 ||
		!rs.WarmupSet || !rs.DelayBeforeRetrySet || !rs.Alpha || !rs.Inhibit || rs.Weight != 7 || rs.EffectiveVirtualHost() != "www.example.com" {
		t.Errorf("inherited %+v", rs)
	}
}

func TestVirtualServerSchedulerAndFlags(t *testing.T) {
	r := parseText(t, vsConf(" lb_algo sh", " sh-port", " sh-fallback", " hashed", " lvs_sched mh", " mh-port", " mh-fallback"))
	if len(r.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %q", messages(r))
	}
	vs := firstVS(t, r)
	if vs.Scheduler != "mh" || vs.Flags != SvcSched1|SvcSched2 {
		t.Errorf("scheduler %s flags %#x", vs.Scheduler, vs.Flags)
	}
	runMsgCases(t, []msgCase{
		{"sh-port before lb_algo sh", "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind NAT\n sh-port\n lb_algo sh\n real_server 10.0.0.2 80 {\n }\n}\n",
			map[string]Class{"sh-port only applies to sh scheduler - ignoring": ClassGeneral}, ExitErrors},
		{"hashed with rr", vsConf(" hashed"), map[string]Class{"hashed only applies to sh scheduler - ignoring": ClassGeneral}, ExitErrors},
		{"mh-port with sh", vsConf(" lb_algo sh", " mh-port"), nil, ExitOK},
		{"bad scheduler", vsConf(" lb_algo WRR"), map[string]Class{"Invalid lvs_scheduler 'WRR' - ignoring": ClassGeneral}, ExitErrors},
		{"lb_algo without value", vsConf(" lb_algo"), map[string]Class{"missing a parameter after keyword `lb_algo`": ClassMissingParameter}, ExitMissingParameter},
	})
}

func TestVirtualServerValueErrors(t *testing.T) {
	runMsgCases(t, []msgCase{
		{"delay_loop 0", vsConf(" delay_loop 0"), map[string]Class{
			"number '0' outside range [0.000001, 18446744073709.551614]": ClassInvalidNumber,
			"virtual server delay loop '0' invalid - ignoring":           ClassGeneral}, ExitErrors},
		{"connect_timeout 0", vsConf(" connect_timeout 0"), map[string]Class{
			"number '0' outside range [0.000001, 4294.967295]":    ClassInvalidNumber,
			"virtual server connect_timeout 0 invalid - ignoring": ClassGeneral}, ExitErrors},
		{"retry 0", vsConf(" retry 0"), map[string]Class{"retry value invalid - 0": ClassGeneral}, ExitErrors},
		{"warmup -1", vsConf(" warmup -1"), map[string]Class{"negative number '-1'": ClassInvalidNumber,
			"virtual server warmup '-1' invalid - ignoring": ClassGeneral}, ExitErrors},
		{"delay_before_retry x", vsConf(" delay_before_retry x"), map[string]Class{
			"virtual server delay before retry 'x' invalid - ignoring": ClassGeneral}, ExitErrors},
		{"persistence_timeout 0", vsConf(" persistence_timeout 0"), map[string]Class{
			"number '0' outside range [1, 2678400]": ClassInvalidNumber, "persistence_timeout invalid": ClassGeneral}, ExitErrors},
		{"persistence_engine too long", vsConf(" persistence_engine abcdefghijklmnopq"), map[string]Class{
			"persistence_name too long, truncating - abcdefghijklmnopq": ClassGeneral}, ExitErrors},
		{"quorum 0", vsConf(" quorum 0"), map[string]Class{"Quorum 0 must be in [1, 4294967295]. Setting to 1.": ClassGeneral}, ExitErrors},
		{"hysteresis x", vsConf(" hysteresis x"), map[string]Class{"Hysteresis x must be in [0, 4294967295] - ignoring": ClassGeneral}, ExitErrors},
		{"weight 0", vsConf(" weight 0"), map[string]Class{"Virtual server weight 0 is outside range 1-2147483647": ClassGeneral}, ExitErrors},
		{"protocol", vsConf(" protocol ICMP"), map[string]Class{"Unknown protocol ICMP - ignoring": ClassGeneral}, ExitErrors},
		{"protocol lower case", vsConf(" protocol udp"), nil, ExitOK},
		{"smtp_alert", vsConf(" smtp_alert maybe"), map[string]Class{"Invalid virtual_server smtp_alert parameter maybe": ClassGeneral}, ExitErrors},
		{"virtualhost missing", vsConf(" virtualhost"), map[string]Class{"virtual server virtualhost missing": ClassGeneral}, ExitErrors},
		{"snmp_name extra", vsConf(" snmp_name a b"), map[string]Class{"virtual server snmp_name missing or extra parameters": ClassGeneral}, ExitErrors},
		{"ip_family unknown", vsConf(" ip_family ipx"), map[string]Class{"unknown address family ipx": ClassGeneral}, ExitErrors},
		{"ip_family conflict", vsConf(" ip_family inet6"), map[string]Class{
			"Virtual server specified family inet6 conflicts with server family": ClassGeneral}, ExitErrors},
		{"granularity v4", vsConf(" persistence_granularity 255.255.x.0"), map[string]Class{
			"Invalid IPv4 persistence_granularity specified - 255.255.x.0": ClassGeneral}, ExitErrors},
		{"persistence_timeout missing value is 360", vsConf(" persistence_timeout"), nil, ExitOK},
		{"delay_loop missing", vsConf(" delay_loop"), map[string]Class{"missing a parameter": ClassMissingParameter}, ExitMissingParameter},
	})
}

func TestPersistenceGranularity(t *testing.T) {
	r := parseText(t, vsConf(" persistence_granularity 255.255.255.0"))
	if vs := firstVS(t, r); vs.PersistenceGranularity != 0xffffff00 || vs.PersistenceTimeout != 360 {
		t.Errorf("granularity %#x timeout %d", vs.PersistenceGranularity, vs.PersistenceTimeout)
	}
	r = parseText(t, "virtual_server fwmark 3 {\n persistence_granularity 64\n lb_algo rr\n lb_kind DR\n real_server 2001:db8::2 {\n }\n}\n")
	if vs := firstVS(t, r); vs.PersistenceGranularity != 64 || vs.Family != "inet6" {
		t.Errorf("v6 granularity %d family %s (%q)", vs.PersistenceGranularity, vs.Family, messages(r))
	}
	r = parseText(t, vsConf(" persistence_granularity 0xffffff00"))
	if vs := firstVS(t, r); vs.PersistenceGranularity != 0xffffff00 || len(r.Diagnostics) != 0 {
		t.Errorf("inet_aton form: %#x %q", vs.PersistenceGranularity, messages(r))
	}
}

func TestVirtualServerIdentity(t *testing.T) {
	runMsgCases(t, []msgCase{
		{"bad address with port", "virtual_server <vip> 8080 {\n lb_algo rr\n}\n", map[string]Class{
			"Invalid virtual server IP address/port <vip>/8080 - skipping": ClassGeneral}, ExitErrors},
		{"bad address without port", "virtual_server 1.2.3 {\n}\n", map[string]Class{
			"Invalid virtual server IP address 1.2.3 - skipping": ClassGeneral}, ExitErrors},
		{"bad port", "virtual_server 1.2.3.4 70000 {\n}\n", map[string]Class{
			"number '70000' outside range [1, 65535]":                         ClassInvalidNumber,
			"Invalid virtual server IP address/port 1.2.3.4/70000 - skipping": ClassGeneral}, ExitErrors},
		{"bad fwmark", "virtual_server fwmark x {\n}\n", map[string]Class{
			"virtual server fwmark 'x' must be in [0, 4294967295] - ignoring": ClassGeneral}, ExitErrors},
		{"no argument", "virtual_server {\n}\n", map[string]Class{"missing a parameter": ClassMissingParameter}, ExitMissingParameter},
	})
	// The skipped block's keywords are not read at all.
	r := parseText(t, "virtual_server <vip> 80 {\n lb_algo nonsense\n}\n")
	if hasMessage(r, "nonsense") || len(r.Config.VirtualServers) != 0 {
		t.Errorf("skipped block was read: %q", messages(r))
	}
}

func TestForwardingMethod(t *testing.T) {
	r := parseText(t, vsConf(" lb_kind TUN type gue port 6080 csum"))
	if f := firstVS(t, r).Forwarding; f != (Forwarding{Method: "TUN", TunnelType: "gue", TunnelPort: 6080, Checksum: "csum"}) || len(r.Diagnostics) != 0 {
		t.Errorf("forwarding %+v %q", f, messages(r))
	}
	runMsgCases(t, []msgCase{
		{"lower case", vsConf(" lb_kind dr"), map[string]Class{"PARSER : unknown [dr] routing method for virtual server.": ClassGeneral}, ExitErrors},
		{"FNAT", vsConf(" lvs_method FNAT"), map[string]Class{"PARSER : unknown [FNAT] routing method for virtual server.": ClassGeneral}, ExitErrors},
		{"gue without port", vsConf(" lb_kind TUN type gue"), map[string]Class{"gue tunnels require port, otherwise cannot have port.": ClassGeneral}, ExitErrors},
		{"port without gue", vsConf(" lb_kind TUN port 5"), map[string]Class{"gue tunnels require port, otherwise cannot have port.": ClassGeneral}, ExitErrors},
		{"ipip csum", vsConf(" lb_kind TUN csum"), map[string]Class{"ipip tunnels do not support checksum option.": ClassGeneral}, ExitErrors},
		{"gre remcsum", vsConf(" lb_kind TUN type gre remcsum"), map[string]Class{"gre tunnels do not support remote checksum option.": ClassGeneral}, ExitErrors},
		{"unknown type", vsConf(" lb_kind TUN type vxlan"), map[string]Class{"Unknown tunnel type vxlan for virtual server.": ClassGeneral}, ExitErrors},
		{"missing type", vsConf(" lb_kind TUN type"), map[string]Class{"Missing tunnel type for virtual server.": ClassGeneral}, ExitErrors},
		{"missing port", vsConf(" lb_kind TUN type gue port"), map[string]Class{"Missing port for virtual server gue tunnel.": ClassGeneral}, ExitErrors},
		{"bad port", vsConf(" lb_kind TUN type gue port 0"), map[string]Class{"Invalid gue tunnel port 0 for virtual server.": ClassGeneral}, ExitErrors},
		{"bad option", vsConf(" lb_kind TUN fast"), map[string]Class{"Invalid tunnel option fast for virtual server.": ClassGeneral}, ExitErrors},
	})
	// A tunnel option error keeps the method the keyword named.
	r = parseText(t, vsConf(" lb_kind DR", " lb_kind TUN csum"))
	if f := firstVS(t, r).Forwarding; f.Method != "TUN" || f.TunnelType != "" {
		t.Errorf("after option error: %+v", f)
	}
}

func TestSorryServer(t *testing.T) {
	r := parseText(t, vsConf(" lb_kind DR", " sorry_server 10.0.0.9", " sorry_server_inhibit", " sorry_server_lvs_method TUN"))
	ss := firstVS(t, r).SorryServer
	if ss == nil || ss.Addr != netip.MustParseAddr("10.0.0.9") || ss.Port != 80 || !ss.Inhibit || ss.Forwarding.Method != "TUN" {
		t.Fatalf("sorry server %+v %q", ss, messages(r))
	}
	runMsgCases(t, []msgCase{
		{"inhibit first", vsConf(" sorry_server_inhibit"), map[string]Class{
			"Ignoring sorry_server inhibit used before or without sorry_server": ClassGeneral}, ExitErrors},
		{"method first", vsConf(" sorry_server_lvs_method DR"), map[string]Class{
			"sorry_server forwarding used without sorry_server": ClassGeneral}, ExitErrors},
		{"bad address", vsConf(" sorry_server 10.0.0"), map[string]Class{"Invalid sorry server IP address 10.0.0 - skipping": ClassGeneral}, ExitErrors},
		{"family", vsConf(" sorry_server 2001:db8::1 80"), map[string]Class{
			"Address family of virtual server and sorry server 2001:db8::1 don't match - skipping sorry server.": ClassGeneral}, ExitErrors},
		{"DR port mismatch", vsConf(" lb_kind DR", " sorry_server 10.0.0.9 81"), map[string]Class{
			"WARNING - virtual server [10.0.0.1]:tcp:80 and sorry server ports don't match - resetting": ClassGeneral}, ExitErrors},
		{"matches real server", vsConf(" sorry_server 10.0.0.2 80", " sorry_server_inhibit"), map[string]Class{
			"Virtual server [10.0.0.1]:tcp:80: real server [10.0.0.2]:tcp:80 matches sorry server, but inhibit setting differs, clearing on sorry server": ClassGeneral}, ExitErrors},
	})
}

func TestLVSConfigMarshalsToJSON(t *testing.T) {
	r := parseText(t, "virtual_server_group G {\n 10.0.0.1 80\n}\nvirtual_server group G {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n"+vsConf())
	b, err := json.Marshal(r.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`"protocol":"tcp"`, `"lb_kind":{"method":"DR"}`, `"group":"G"`, `"delay_loop":60`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("JSON lacks %s: %s", frag, b)
		}
	}
}
