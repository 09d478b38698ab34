package parser

import "testing"

func ownMessages(r *Result) []string {
	var out []string
	for _, d := range r.Diagnostics {
		if d.Own {
			out = append(out, d.Message)
		}
	}
	return out
}

func TestLintVRRP(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"strict non-owner drops VIP traffic", instance("strict_mode"), "(VI_1) strict mode turns accept off for a non-owner"},
		{"auth_pass swallowed", instance("authentication {", "auth_type PASS auth_pass 1111", "}"),
			"keyword 'auth_pass' is an extra argument of 'auth_type' on the same line and is ignored; put it on a line of its own"},
		{"priority swallowed", instance("state MASTER priority 100"), "keyword 'priority' is an extra argument of 'state'"},
		{"empty unicast_peer", instance("unicast_peer {", "}"), "(VI_1) unicast is configured but no valid unicast_peer remains: keepalived falls back to multicast"},
		{"malformed unicast_peer", instance("unicast_peer {", "<peer>", "}"), "(VI_1) unicast is configured but no valid unicast_peer remains"},
		{"two peers on a line", instance("unicast_peer {", "10.0.0.1 10.0.0.2", "}"), "(VI_1) unicast_peer line has a second address 10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseText(t, tt.text)
			found := false
			for _, m := range ownMessages(r) {
				if len(m) >= len(tt.want) && m[:len(tt.want)] == tt.want {
					found = true
				}
			}
			if !found {
				t.Errorf("%q not in %q", tt.want, ownMessages(r))
			}
			if ExitCode(r.Diagnostics, true) != 5 {
				t.Errorf("strict exit %d", ExitCode(r.Diagnostics, true))
			}
		})
	}
	clean := []string{
		instance(),
		instance("strict_mode", "priority 255"),
		instance("strict_mode", "version 3", "accept"),
		instance("notify_master \"/bin/echo priority\""),
	}
	for _, text := range clean {
		if r := parseText(t, text); len(ownMessages(r)) != 0 {
			t.Errorf("unexpected lint %q for\n%s", ownMessages(r), text)
		}
	}
}
