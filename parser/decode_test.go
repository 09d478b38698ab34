package parser

import "testing"

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
