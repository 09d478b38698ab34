package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/gokeepalived/gokeepalived/parser"
)

// loadInstance parses a one-instance configuration in a host with eth0 and
// eth1, the way other packages must call the parser.
func loadInstance(t *testing.T, text string) (*parser.Config, *parser.VRRPInstance) {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(text), parser.Options{Host: testHost{}})
	if res.Config == nil || len(res.Config.Instances) == 0 {
		t.Fatalf("no instance parsed: %v", res.Diagnostics)
	}
	return res.Config, res.Config.Instances[0]
}

func TestAddressDefaults(t *testing.T) {
	_, vi := loadInstance(t, `vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.100
  10.0.0.101/24 dev eth1 label eth1:vip scope link brd +
 }
 virtual_ipaddress_excluded {
  fd00::1
  fd00::2/64 -nodad
 }
}
`)
	got := []Address{}
	for _, a := range vi.VIPs {
		got = append(got, addressFromConfig(a, vi.Interface))
	}
	for _, a := range vi.EVIPs {
		got = append(got, addressFromConfig(a, vi.Interface))
	}
	want := []Address{
		{Prefix: netip.MustParsePrefix("10.0.0.100/32"), Dev: "eth0"},
		{Prefix: netip.MustParsePrefix("10.0.0.101/24"), Dev: "eth1", Label: "eth1:vip", Scope: 253,
			Broadcast: netip.MustParseAddr("10.0.0.255")},
		{Prefix: netip.MustParsePrefix("fd00::1/128"), Dev: "eth0", NoDAD: true, PreferredLft: 0},
		{Prefix: netip.MustParsePrefix("fd00::2/64"), Dev: "eth0", NoDAD: false, PreferredLft: 0xffffffff},
	}
	if !slices.Equal(got, want) {
		t.Errorf("addresses\n got %+v\nwant %+v", got, want)
	}
}

func TestInstalledSetIdempotent(t *testing.T) {
	f := newFakeAddressManager("eth0")
	v1 := Address{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Dev: "eth0"}
	v2 := Address{Prefix: netip.MustParsePrefix("10.0.0.2/32"), Dev: "eth0"}
	// An administrator configured v2 before we started.
	if err := f.AddAddress(v2); err != nil {
		t.Fatal(err)
	}
	f.takeOps()
	s := newInstalledSet(f, []Address{v1, v2}, nil, nil)
	if err := s.Install(); err != nil {
		t.Fatalf("Install: %v", err)
	}
	if err := s.Install(); err != nil {
		t.Fatalf("second Install: %v", err)
	}
	if ops := f.takeOps(); !slices.Equal(ops, []string{"+a 10.0.0.1/32 dev eth0"}) {
		t.Errorf("install ops %q", ops)
	}
	if !s.Owned(v1) || s.Owned(v2) {
		t.Errorf("owned v1=%v v2=%v", s.Owned(v1), s.Owned(v2))
	}
	if err := s.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := s.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if ops := f.takeOps(); !slices.Equal(ops, []string{"-a 10.0.0.1/32 dev eth0"}) {
		t.Errorf("remove ops %q", ops)
	}
	if p := f.present(); !slices.Equal(p, []string{"10.0.0.2/32 dev eth0"}) {
		t.Errorf("present %q", p)
	}
	// Someone else deleted ours meanwhile: removal is still clean.
	_ = s.Install()
	_ = f.DelAddress(v1)
	if err := s.Remove(); err != nil {
		t.Errorf("Remove after external delete: %v", err)
	}
}

func TestInstalledSetOrderAndPurge(t *testing.T) {
	_, vi := loadInstance(t, `vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.100
 }
 virtual_routes {
  192.168.7.0/24 via 10.0.0.254 dev eth0
 }
 virtual_rules {
  from 10.0.0.100 table 100
 }
}
`)
	f := newFakeAddressManager("eth0")
	var routes []VirtualRoute
	for _, r := range vi.Routes {
		routes = append(routes, VirtualRoute{Config: r})
	}
	var rules []VirtualRule
	for _, r := range vi.Rules {
		rules = append(rules, VirtualRule{Config: r})
	}
	s := newInstalledSet(f, []Address{addressFromConfig(vi.VIPs[0], "eth0")}, routes, rules)
	if err := s.Install(); err != nil {
		t.Fatal(err)
	}
	want := []string{"+a 10.0.0.100/32 dev eth0", "+r 192.168.7.0/24 via 10.0.0.254 dev eth0",
		"+u from 10.0.0.100/32 lookup 100 pref " + itoa(int(vi.Rules[0].Priority))}
	if ops := f.takeOps(); !slices.Equal(ops, want) {
		t.Errorf("install ops\n got %q\nwant %q", ops, want)
	}
	_ = s.Remove()
	wantDel := []string{"-u " + want[2][3:], "-r " + want[1][3:], "-a " + want[0][3:]}
	if ops := f.takeOps(); !slices.Equal(ops, wantDel) {
		t.Errorf("remove ops\n got %q\nwant %q", ops, wantDel)
	}
	// Left over by a crashed predecessor: Purge removes it although it
	// is not ours.
	_ = f.AddAddress(addressFromConfig(vi.VIPs[0], "eth0"))
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if p := f.present(); len(p) != 0 {
		t.Errorf("after purge %q", p)
	}
}

func TestInstalledSetReportsFailures(t *testing.T) {
	f := newFakeAddressManager("eth0")
	bad := Address{Prefix: netip.MustParsePrefix("10.0.0.9/32"), Dev: "eth9"}
	good := Address{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Dev: "eth0"}
	s := newInstalledSet(f, []Address{bad, good}, nil, nil)
	err := s.Install()
	if !errors.Is(err, ErrNotExist) {
		t.Errorf("Install error %v, want ErrNotExist for the missing interface", err)
	}
	if !s.Owned(good) {
		t.Errorf("a failure stopped the remaining addresses")
	}
}
