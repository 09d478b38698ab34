package parser

import (
	"strings"
	"testing"
)

func TestUnknownKeywordAndBraces(t *testing.T) {
	r := parseText(t, "foo_bar\n{\n}\n")
	if !hasMessage(r, "Unknown keyword 'foo_bar'") || !hasMessage(r, "Unexpected '{' - ignoring") {
		t.Fatalf("got %q", messages(r))
	}
	if got := r.ExitCode(false); got != ExitErrors {
		t.Fatalf("exit %d, want 5", got)
	}
}

func TestScriptSecurityRunsInThePipeline(t *testing.T) {
	r := LoadBytes("k.conf", []byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n notify_master /bin/true\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n"),
		Options{Host: testHost, ReadOptions: ReadOptions{ConfigID: "h"}})
	if !hasMessage(r, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.") {
		t.Fatalf("no security violation in %q", messages(r))
	}
	if got := r.ExitCode(false); got != ExitNoConfig {
		t.Fatalf("exit %d, want 6", got)
	}
}

func TestLintSwallowedKeywordInEveryBlock(t *testing.T) {
	cases := []struct{ name, conf, swallowed string }{
		{"global_defs", "global_defs {\n router_id R1 vrrp_strict\n}\n", "vrrp_strict"},
		{"instance", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51 priority 200\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", "priority"},
		{"flag", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n nopreempt priority 50\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", "priority"},
		{"authentication", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n authentication {\n auth_type PASS auth_pass 1111\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n", "auth_pass"},
		{"checker", "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n connect_timeout 3 retry 2\n }\n }\n}\n", "retry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := parseText(t, c.conf)
			found := false
			for _, d := range r.Diagnostics {
				if d.Own && strings.Contains(d.Message, "keyword '"+c.swallowed+"' is an extra argument") {
					found = true
				}
			}
			if !found {
				t.Fatalf("no lint for %s in %q", c.swallowed, messages(r))
			}
		})
	}
	r := parseText(t, "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1/24 dev eth0 label eth0:0\n }\n}\n")
	for _, d := range r.Diagnostics {
		if d.Own && strings.Contains(d.Message, "extra argument") {
			t.Errorf("false positive: %s", d)
		}
	}
}

func TestMicrosJSONIsSeconds(t *testing.T) {
	for m, want := range map[Micros]string{0: "0", 1000000: "1", 500000: "0.5", 2000001: "2.000001", 60000000: "60"} {
		b, err := m.MarshalJSON()
		if err != nil || string(b) != want {
			t.Errorf("%d µs: %s, %v; want %s", uint64(m), b, err, want)
		}
	}
}

// keepalived prints decimal ranges with "%lu.%*.*lu", so a reader with no
// decimal places still shows the point (observed: "[0., 960000.]").
func TestFormatDecimalLikeKeepalived(t *testing.T) {
	for _, c := range []struct {
		v     uint64
		shift int
		want  string
	}{{0, 0, "0."}, {960000, 0, "960000."}, {1, 6, "0.000001"}, {4294967295, 6, "4294.967295"}, {255000, 3, "255.000"}} {
		if got := formatDecimal(c.v, c.shift); got != c.want {
			t.Errorf("formatDecimal(%d, %d) = %q, want %q", c.v, c.shift, got, c.want)
		}
	}
}
