package main

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeDRSystem is an in-memory host: lo's addresses and the sysctls.
type fakeDRSystem struct {
	lo      []netip.Prefix
	sysctls map[string]string
	failOn  string // an action whose String() contains this fails
	writes  []string
}

func newFakeDRSystem() *fakeDRSystem {
	return &fakeDRSystem{
		lo: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("::1/128")},
		sysctls: map[string]string{
			"net/ipv4/conf/all/arp_ignore": "0", "net/ipv4/conf/all/arp_announce": "0",
			"net/ipv4/conf/lo/arp_ignore": "0", "net/ipv4/conf/lo/arp_announce": "0",
		},
	}
}

func (f *fakeDRSystem) LoopbackAddrs() ([]netip.Prefix, error) { return slices.Clone(f.lo), nil }

func (f *fakeDRSystem) AddLoopbackAddr(p netip.Prefix) error {
	if f.failOn != "" && strings.Contains("add "+p.String(), f.failOn) {
		return errors.New("injected failure")
	}
	if slices.Contains(f.lo, p) {
		return errors.New("file exists")
	}
	f.lo = append(f.lo, p)
	f.writes = append(f.writes, "add "+p.String())
	return nil
}

func (f *fakeDRSystem) DelLoopbackAddr(p netip.Prefix) error {
	f.lo = slices.DeleteFunc(f.lo, func(q netip.Prefix) bool { return q == p })
	f.writes = append(f.writes, "del "+p.String())
	return nil
}

func (f *fakeDRSystem) ReadSysctl(path string) (string, error) {
	v, ok := f.sysctls[path]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

func (f *fakeDRSystem) WriteSysctl(path, value string) error {
	if f.failOn != "" && strings.Contains(path, f.failOn) {
		return errors.New("injected failure")
	}
	f.sysctls[path] = value
	f.writes = append(f.writes, path+"="+value)
	return nil
}

func runDR(t *testing.T, sys drSystem, state string, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := drRealServerRun(append([]string{"--state", state}, args...), &o, &e, func() (drSystem, error) { return sys, nil })
	return code, o.String(), e.String()
}

func TestDRStartStopRestoresEverything(t *testing.T) {
	sys := newFakeDRSystem()
	sys.sysctls["net/ipv4/conf/all/arp_announce"] = "1"
	sys.sysctls["net/ipv4/conf/lo/arp_ignore"] = "1" // already as needed: left untouched
	state := filepath.Join(t.TempDir(), "sub", "dr.json")
	before := map[string]string{}
	for k, v := range sys.sysctls {
		before[k] = v
	}

	if code, _, e := runDR(t, sys, state, "status", "--vip", "10.0.0.100"); code != drStatusNotReady {
		t.Fatalf("status before start = %d, want %d (%s)", code, drStatusNotReady, e)
	}
	code, out, e := runDR(t, sys, state, "start", "--vip", "10.0.0.100")
	if code != 0 {
		t.Fatalf("start = %d: %s", code, e)
	}
	// The sysctls come before the address, so the host never answers ARP
	// for a VIP it holds.
	want := []string{
		"net/ipv4/conf/all/arp_ignore=1", "net/ipv4/conf/all/arp_announce=2",
		"net/ipv4/conf/lo/arp_announce=2", "add 10.0.0.100/32",
	}
	if !slices.Equal(sys.writes, want) {
		t.Errorf("start wrote %q, want %q", sys.writes, want)
	}
	if !strings.Contains(out, "sysctl net.ipv4.conf.all.arp_announce=2 (was 1)") || !strings.Contains(out, "ip address add 10.0.0.100/32 dev lo") {
		t.Errorf("start printed:\n%s", out)
	}
	code, out, _ = runDR(t, sys, state, "status", "--vip", "10.0.0.100")
	if code != 0 || !strings.Contains(out, "VIP 10.0.0.100/32: on lo (added by dr-realserver start)") ||
		!strings.Contains(out, "net.ipv4.conf.all.arp_announce = 2 (set by dr-realserver start; was 1)") {
		t.Errorf("status after start = %d:\n%s", code, out)
	}
	// A second start changes nothing.
	sys.writes = nil
	if code, _, _ := runDR(t, sys, state, "start", "--vip", "10.0.0.100"); code != 0 || len(sys.writes) != 0 {
		t.Errorf("second start = %d, wrote %q", code, sys.writes)
	}
	sys.writes = nil
	if code, _, e := runDR(t, sys, state, "stop", "--vip", "10.0.0.100"); code != 0 {
		t.Fatalf("stop = %d: %s", code, e)
	}
	if sys.writes[0] != "del 10.0.0.100/32" {
		t.Errorf("stop did not remove the VIP first: %q", sys.writes)
	}
	for k, v := range before {
		if sys.sysctls[k] != v {
			t.Errorf("after stop %s = %s, want %s", k, sys.sysctls[k], v)
		}
	}
	if len(sys.lo) != 2 {
		t.Errorf("lo after stop: %v", sys.lo)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after a complete stop: %v", err)
	}
}

func TestDRStopLeavesWhatStartDidNotDo(t *testing.T) {
	sys := newFakeDRSystem()
	pre := netip.MustParsePrefix("10.0.0.7/32")
	sys.lo = append(sys.lo, pre)
	state := filepath.Join(t.TempDir(), "dr.json")
	code, out, _ := runDR(t, sys, state, "start", "--vip", "10.0.0.7")
	if code != 0 || !strings.Contains(out, "already on lo") {
		t.Fatalf("start = %d:\n%s", code, out)
	}
	// Someone changes a sysctl after start: stop must not overwrite it.
	sys.sysctls["net/ipv4/conf/lo/arp_ignore"] = "2"
	code, out, _ = runDR(t, sys, state, "stop", "--vip", "10.0.0.7")
	if code != 0 {
		t.Fatalf("stop = %d", code)
	}
	if !slices.Contains(sys.lo, pre) {
		t.Error("stop removed a VIP that start did not add")
	}
	if !strings.Contains(out, "not added by dr-realserver start") || !strings.Contains(out, "changed since start; left alone") {
		t.Errorf("stop printed:\n%s", out)
	}
	if sys.sysctls["net/ipv4/conf/lo/arp_ignore"] != "2" || sys.sysctls["net/ipv4/conf/all/arp_ignore"] != "0" {
		t.Errorf("sysctls after stop: %v", sys.sysctls)
	}
}

func TestDRSysctlsStayWhileAnIPv4VIPRemains(t *testing.T) {
	sys := newFakeDRSystem()
	state := filepath.Join(t.TempDir(), "dr.json")
	if code, _, e := runDR(t, sys, state, "start", "--vip", "10.0.0.1,2001:db8::1", "--vip=10.0.0.2"); code != 0 {
		t.Fatalf("start: %s", e)
	}
	for _, p := range []string{"10.0.0.1/32", "10.0.0.2/32", "2001:db8::1/128"} {
		if !slices.Contains(sys.lo, netip.MustParsePrefix(p)) {
			t.Errorf("%s not on lo", p)
		}
	}
	if code, out, _ := runDR(t, sys, state, "stop", "--vip", "10.0.0.1"); code != 0 || !strings.Contains(out, "ARP sysctls kept") {
		t.Errorf("stop of one VIP = %d:\n%s", code, out)
	}
	if sys.sysctls["net/ipv4/conf/all/arp_ignore"] != "1" {
		t.Error("sysctls restored while 10.0.0.2 is still a VIP")
	}
	if code, _, _ := runDR(t, sys, state, "stop", "--vip", "10.0.0.2", "--vip", "2001:db8::1"); code != 0 {
		t.Fatal("stop")
	}
	if sys.sysctls["net/ipv4/conf/all/arp_ignore"] != "0" || len(sys.lo) != 2 {
		t.Errorf("after the last stop: lo %v sysctls %v", sys.lo, sys.sysctls)
	}
}

func TestDRIPv6OnlyLeavesARPAlone(t *testing.T) {
	sys := newFakeDRSystem()
	state := filepath.Join(t.TempDir(), "dr.json")
	if code, _, _ := runDR(t, sys, state, "start", "--vip", "2001:db8::5"); code != 0 {
		t.Fatal("start")
	}
	if !slices.Equal(sys.writes, []string{"add 2001:db8::5/128"}) {
		t.Errorf("writes %q", sys.writes)
	}
	if code, _, _ := runDR(t, sys, state, "status", "--vip", "2001:db8::5"); code != 0 {
		t.Error("an IPv6 VIP on lo is ready without ARP sysctls")
	}
}

func TestDRFailureKeepsARecordOfWhatWasDone(t *testing.T) {
	sys := newFakeDRSystem()
	sys.failOn = "add 10.0.0.9"
	state := filepath.Join(t.TempDir(), "dr.json")
	if code, _, e := runDR(t, sys, state, "start", "--vip", "10.0.0.9"); code != 1 || !strings.Contains(e, "injected failure") {
		t.Fatalf("start = %d: %s", code, e)
	}
	st, err := drStateStore{state}.load()
	if err != nil || len(st.Sysctls) != 4 || len(st.VIPs) != 0 {
		t.Fatalf("state after a failed start: %+v %v", st, err)
	}
	sys.failOn = ""
	if code, _, _ := runDR(t, sys, state, "stop", "--vip", "10.0.0.9"); code != 0 {
		t.Fatal("stop")
	}
	if sys.sysctls["net/ipv4/conf/all/arp_announce"] != "0" {
		t.Error("stop after a failed start did not restore the sysctls")
	}
}

func TestDRCommandLine(t *testing.T) {
	sys := newFakeDRSystem()
	state := filepath.Join(t.TempDir(), "dr.json")
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"start"}, exitUsage, "start needs --vip ADDR"},
		{[]string{"reload", "--vip", "10.0.0.1"}, exitUsage, "Usage"},
		{[]string{"start", "--vip", "10.0.0.0/24"}, exitUsage, "host address"},
		{[]string{"start", "--vip", "bogus"}, exitUsage, "not an IP address"},
		{[]string{"start", "--vip", "127.0.0.2"}, exitUsage, "cannot be"},
		{[]string{"start", "--vip"}, exitUsage, "needs a value"},
		{[]string{"start", "stop", "--vip", "10.0.0.1"}, exitUsage, "unexpected argument"},
	} {
		code, _, e := runDR(t, sys, state, c.args...)
		if code != c.code || !strings.Contains(e, c.err) {
			t.Errorf("%q = %d %q, want %d %q", c.args, code, e, c.code, c.err)
		}
	}
	if len(sys.writes) != 0 {
		t.Errorf("bad command lines changed the system: %q", sys.writes)
	}
	if code, _, _ := runCLI("dr-realserver", "--help"); code != 0 {
		t.Error("gokeepalived dr-realserver --help")
	}
}

func TestDRStopAndStatusWithoutVIPUseTheRecord(t *testing.T) {
	sys := newFakeDRSystem()
	state := filepath.Join(t.TempDir(), "dr.json")
	if code, out, _ := runDR(t, sys, state, "status"); code != drStatusNotReady || !strings.Contains(out, "no VIP recorded") {
		t.Errorf("status before start = %d:\n%s", code, out)
	}
	if code, _, e := runDR(t, sys, state, "start", "--vip", "10.0.0.1,10.0.0.2"); code != 0 {
		t.Fatalf("start: %s", e)
	}
	if code, out, _ := runDR(t, sys, state, "status"); code != 0 || !strings.Contains(out, "VIP 10.0.0.2/32: on lo") {
		t.Errorf("status = %d:\n%s", code, out)
	}
	if code, _, e := runDR(t, sys, state, "stop"); code != 0 {
		t.Fatalf("stop: %s", e)
	}
	if len(sys.lo) != 2 || sys.sysctls["net/ipv4/conf/all/arp_ignore"] != "0" {
		t.Errorf("after stop: lo %v sysctls %v", sys.lo, sys.sysctls)
	}
	if code, out, _ := runDR(t, sys, state, "stop"); code != 0 || !strings.Contains(out, "no VIP recorded") {
		t.Errorf("second stop = %d:\n%s", code, out)
	}
}
