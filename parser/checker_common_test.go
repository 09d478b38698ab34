package parser

import (
	"net/netip"
	"testing"
)

func TestCheckerCommonKeywords(t *testing.T) {
	c, r := oneChecker(t, `TCP_CHECK {
  connect_ip 10.1.1.1
  connect_port 8080
  bindto 10.2.2.2
  bind_port 5000
  bind_if eth0
  fwmark 7
  connect_timeout 2.5
  retry 0
  delay_before_retry 0.5
  warmup 0
  delay_loop 10
  alpha
  log_all_failures yes
}`)
	wantClean(t, r)
	co := c.Conn
	if co.ConnectIP != netip.MustParseAddr("10.1.1.1") || co.ConnectPort != 8080 || !co.ConnectPortSet ||
		co.BindTo != netip.MustParseAddr("10.2.2.2") || co.BindPort != 5000 || co.BindIf != "eth0" ||
		co.FWMark != 7 || co.ConnectTimeout != 2500000 || !co.ConnectTimeoutSet {
		t.Errorf("conn %+v", co)
	}
	if c.Retry != 0 || !c.RetrySet || c.DelayBeforeRetry != 500000 || c.Warmup != 0 || !c.WarmupSet ||
		c.DelayLoop != 10000000 || !c.Alpha || !c.AlphaSet || !c.LogAllFailures || c.TCP == nil {
		t.Errorf("timing %+v", c)
	}
}

func TestCheckerCommonErrors(t *testing.T) {
	for _, tc := range []struct {
		line  string
		msgs  []string
		class Class
	}{
		{"connect_timeout 0", []string{"number '0' outside range [0.000001, 4294.967295]", "connect_timeout 0 invalid - ignoring"}, ClassGeneral},
		{"connect_port 0", []string{"number '0' outside range [1, 65535]", "Invalid checker connect_port '0'"}, ClassGeneral},
		{"bind_port 70000", []string{"Invalid checker bind_port '70000'"}, ClassGeneral},
		{"connect_ip 10.1.1", []string{"Invalid connect_ip address 10.1.1 - ignoring"}, ClassGeneral},
		{"bindto x", []string{"Invalid bindto address x - ignoring"}, ClassGeneral},
		{"bind_if abcdefghijklmnopq", []string{"Interface name abcdefghijklmnopq is too long - ignoring"}, ClassGeneral},
		{"fwmark -1", []string{"negative number '-1'", "Invalid fwmark connection value '-1'"}, ClassGeneral},
		{"retry x", []string{"invalid number 'x'", "Invalid retry connection value 'x'"}, ClassGeneral},
		{"delay_before_retry -1", []string{"Invalid delay_before_retry connection value '-1'"}, ClassGeneral},
		{"warmup x", []string{"Invalid warmup connection value 'x'"}, ClassGeneral},
		{"delay_loop 0", []string{"delay_loop '0' is invalid - ignoring"}, ClassGeneral},
		{"alpha maybe", []string{"Invalid alpha parameter maybe"}, ClassGeneral},
		{"log_all_failures 2", []string{"Invalid log_all_failures parameter 2"}, ClassGeneral},
	} {
		t.Run(tc.line, func(t *testing.T) {
			_, r := oneChecker(t, "TCP_CHECK {\n"+tc.line+"\n}")
			// The number reader's message comes first (invalid-number), the
			// handler's own last.
			for i, m := range tc.msgs {
				class := ClassInvalidNumber
				if i == len(tc.msgs)-1 {
					class = tc.class
				}
				wantDiag(t, r, class, m)
			}
			if got := r.ExitCode(false); got != ExitErrors {
				t.Errorf("exit %d", got)
			}
		})
	}
}

func TestCheckerMissingParameterExits2(t *testing.T) {
	for _, kw := range []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout",
		"fwmark", "retry", "delay_before_retry", "warmup", "delay_loop"} {
		_, r := decodeRS(t, "TCP_CHECK {\n"+kw+"\n}", nil)
		if got := r.ExitCode(false); got != ExitMissingParameter {
			t.Errorf("%s: exit %d, want 2 (%q)", kw, got, messages(r))
		}
	}
}

func TestCheckerFamilyMismatch(t *testing.T) {
	c, r := oneChecker(t, "TCP_CHECK {\nbindto 10.0.0.1\nconnect_ip fe80::1\nbind_if eth0\n}")
	wantDiag(t, r, ClassGeneral, "connect_ip address fe80::1 does not match address family of bindto - skipping")
	if c.Conn.ConnectIP.IsValid() {
		t.Error("connect_ip kept")
	}
	_, r = oneChecker(t, "TCP_CHECK {\nconnect_ip 10.0.0.1\nbindto ::1\n}")
	wantDiag(t, r, ClassGeneral, "bindto address ::1 does not match address family of connect_ip - skipping")
}

func TestCheckerLinkLocal(t *testing.T) {
	rs, r := decodeRS(t, "TCP_CHECK {\nconnect_ip fe80::1\n}\nPING_CHECK {\nconnect_ip fe80::1\nbind_if eth0\n}", nil)
	wantDiag(t, r, ClassGeneral, "Checker link local address fe80::1 requires a bind_if")
	if len(rs.Checkers) != 1 || rs.Checkers[0].Type != "PING_CHECK" {
		t.Fatalf("checkers %+v", rs.Checkers)
	}
}

func TestCheckerGroupsPerType(t *testing.T) {
	for _, tc := range []struct{ block, kw string }{
		{"MISC_CHECK", "connect_timeout 3"},
		{"MISC_CHECK", "nb_get_retry 3"},
		{"TCP_CHECK", "nb_get_retry 3"},
		{"FILE_CHECK", "retry 3"},
		{"FILE_CHECK", "dynamic"},
		{"BFD_CHECK", "delay_loop 3"},
	} {
		_, r := decodeRS(t, tc.block+" {\n"+tc.kw+"\n}", nil)
		kw := tc.kw[:len(tc.kw)-2]
		if tc.kw == "dynamic" {
			kw = "dynamic"
		}
		wantDiag(t, r, ClassUnknownKeyword, "Unknown keyword '"+kw+"'")
	}
}

func TestResolveCheckerDefaults(t *testing.T) {
	rsAddr := netip.MustParseAddr("10.0.0.2")
	base := checkerInherit{Addr: rsAddr, Port: 80, ConnectTimeout: 5000000, DelayLoop: 6000000}
	for _, tc := range []struct {
		name          string
		text          string
		in            checkerInherit
		retry         uint32
		dbr, warm, dl Micros
	}{
		{"http defaults", "HTTP_GET {\nurl {\npath /\n}\n}", base, 1, 3000000, 6000000, 6000000},
		{"tcp defaults", "TCP_CHECK {\n}", base, 1, 1000000, 6000000, 6000000},
		{"dns defaults", "DNS_CHECK {\n}", base, 3, 6000000, 6000000, 6000000},
		{"dns own loop", "DNS_CHECK {\ndelay_loop 2\n}", base, 3, 2000000, 2000000, 2000000},
		{"misc defaults", "MISC_CHECK {\nmisc_path /bin/true\n}", base, 0, 1000000, 6000000, 6000000},
		{"rs values", "TCP_CHECK {\n}", checkerInherit{Addr: rsAddr, DelayLoop: 6000000, Retry: 4, RetrySet: true,
			Warmup: 7, WarmupSet: true, DelayBeforeRetry: 9, DelayBeforeRetrySet: true}, 4, 9, 7, 6000000},
		{"own values", "TCP_CHECK {\nretry 2\ndelay_before_retry 1.5\nwarmup 0\n}",
			checkerInherit{Addr: rsAddr, DelayLoop: 6000000, Retry: 4, RetrySet: true}, 2, 1500000, 0, 6000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := oneChecker(t, tc.text)
			resolveCheckerDefaults(c, tc.in)
			if c.Retry != tc.retry || c.DelayBeforeRetry != tc.dbr || c.Warmup != tc.warm || c.DelayLoop != tc.dl {
				t.Errorf("retry %d dbr %v warmup %v delay_loop %v", c.Retry, c.DelayBeforeRetry, c.Warmup, c.DelayLoop)
			}
		})
	}
}

func TestResolveCheckerConn(t *testing.T) {
	in := checkerInherit{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80, ConnectTimeout: 5000000, DelayLoop: 60000000, Alpha: true}
	c, _ := oneChecker(t, "TCP_CHECK {\nconnect_port 81\n}")
	resolveCheckerDefaults(c, in)
	if c.Conn.Dest != netip.MustParseAddrPort("10.0.0.2:81") || c.Conn.ConnectTimeout != 5000000 || !c.Alpha {
		t.Errorf("%+v %+v", c, c.Conn)
	}
	c, _ = oneChecker(t, "TCP_CHECK {\nconnect_ip 10.9.9.9\nconnect_timeout 1\nalpha no\n}")
	resolveCheckerDefaults(c, in)
	if c.Conn.Dest != netip.MustParseAddrPort("10.9.9.9:80") || c.Conn.ConnectTimeout != 1000000 || c.Alpha {
		t.Errorf("%+v %+v", c, c.Conn)
	}
	if got := resolveMiscTimeout(&MiscCheck{}, 60000000); got != 60000000 {
		t.Errorf("misc timeout %v", got)
	}
}

func TestValidateCheckersLinkLocalFromRS(t *testing.T) {
	rs, r := decodeRS(t, "TCP_CHECK {\n}\nTCP_CHECK {\nbind_if eth0\n}", nil)
	d := &decoder{src: r.Source, cfg: r.Config, opts: &Options{Host: testHost}}
	for _, c := range rs.Checkers {
		resolveCheckerDefaults(c, checkerInherit{Addr: netip.MustParseAddr("fe80::2"), Port: 80})
	}
	out := validateCheckers(d, rs.Checkers)
	if len(out) != 1 || out[0].Conn.BindIf != "eth0" {
		t.Fatalf("kept %d", len(out))
	}
	if !hasMessage(&Result{Diagnostics: d.diags}, "Checker link local address fe80::2 requires a bind_if") {
		t.Errorf("got %q", d.diags)
	}
}
