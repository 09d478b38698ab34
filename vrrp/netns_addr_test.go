//go:build linux

package vrrp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/parser"
)

// TestNetlinkAddressManager installs a VIP set with every option keepalived
// passes, checks what `ip` sees, and removes it, in a scratch namespace.
func TestNetlinkAddressManager(t *testing.T) {
	requireNetns(t)
	ns, h := scratchNetns(t)
	run(t, "ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	run(t, "ip", "-n", ns, "addr", "add", "10.0.0.1/24", "dev", "eth0")
	run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	run(t, "ip", "-n", ns, "link", "set", "peer0", "up")

	m := newNetlinkAddressManagerWith(h)
	vip := Address{Prefix: netip.MustParsePrefix("10.0.0.100/32"), Dev: "eth0"}
	lbl := Address{Prefix: netip.MustParsePrefix("10.0.0.101/24"), Dev: "eth0", Label: "eth0:vip",
		Broadcast: netip.MustParseAddr("10.0.0.255")}
	scoped := Address{Prefix: netip.MustParsePrefix("10.0.0.102/32"), Dev: "eth0", Scope: 253}
	v6 := Address{Prefix: netip.MustParsePrefix("fd00::100/128"), Dev: "eth0", NoDAD: true}
	for _, a := range []Address{vip, lbl, scoped, v6} {
		if err := m.AddAddress(a); err != nil {
			t.Fatalf("AddAddress(%s): %v", a, err)
		}
	}
	if err := m.AddAddress(vip); !errors.Is(err, ErrExist) {
		t.Errorf("second AddAddress: %v, want ErrExist", err)
	}
	out := run(t, "ip", "-n", ns, "addr", "show", "dev", "eth0")
	for _, want := range []string{
		"inet 10.0.0.100/32 scope global eth0",
		"inet 10.0.0.101/24 brd 10.0.0.255 scope global secondary eth0:vip",
		"inet 10.0.0.102/32 scope link eth0",
		"inet6 fd00::100/128 scope global nodad",
		"preferred_lft 0sec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ip addr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "10.0.0.100/32 brd") {
		t.Errorf("a /32 VIP got a broadcast address keepalived does not set:\n%s", out)
	}
	if ok, err := m.HasAddress(lbl); err != nil || !ok {
		t.Errorf("HasAddress = %v, %v", ok, err)
	}
	for _, a := range []Address{vip, lbl, scoped, v6} {
		if err := m.DelAddress(a); err != nil {
			t.Errorf("DelAddress(%s): %v", a, err)
		}
	}
	if err := m.DelAddress(vip); !errors.Is(err, ErrNotExist) {
		t.Errorf("second DelAddress: %v, want ErrNotExist", err)
	}
	if err := m.AddAddress(Address{Prefix: vip.Prefix, Dev: "nosuch0"}); !errors.Is(err, ErrNotExist) {
		t.Errorf("AddAddress on a missing interface: %v, want ErrNotExist", err)
	}
	out = run(t, "ip", "-n", ns, "addr", "show", "dev", "eth0")
	if strings.Contains(out, "10.0.0.10") || strings.Contains(out, "fd00::100") {
		t.Errorf("addresses left behind:\n%s", out)
	}
}

// TestNetlinkRoutesAndRules drives virtual_routes and virtual_rules from a
// parsed configuration through the installed set.
func TestNetlinkRoutesAndRules(t *testing.T) {
	requireNetns(t)
	ns, h := scratchNetns(t)
	run(t, "ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	run(t, "ip", "-n", ns, "addr", "add", "10.0.0.1/24", "dev", "eth0")
	run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	run(t, "ip", "-n", ns, "link", "set", "peer0", "up")

	res := parser.LoadBytes("test.conf", []byte(`vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.100
 }
 virtual_routes {
  192.168.7.0/24 via 10.0.0.254 dev eth0
  blackhole 192.168.8.0/24
  192.168.9.0/24 dev eth0 table 100 metric 5
 }
 virtual_rules {
  from 10.0.0.100 table 100
  to 192.168.10.0/24 fwmark 0x10/0xff lookup 100 priority 200
 }
}
`), parser.Options{Host: testHost{}})
	vi := res.Config.Instances[0]
	var routes []VirtualRoute
	for _, r := range vi.Routes {
		routes = append(routes, VirtualRoute{Config: r})
	}
	var rules []VirtualRule
	for _, r := range vi.Rules {
		rules = append(rules, VirtualRule{Config: r})
	}
	if len(routes) != 3 || len(rules) != 2 {
		t.Fatalf("parsed %d routes, %d rules: %v", len(routes), len(rules), res.Diagnostics)
	}
	s := newInstalledSet(newNetlinkAddressManagerWith(h), []Address{addressFromConfig(vi.VIPs[0], "eth0")}, routes, rules)
	if err := s.Install(); err != nil {
		t.Fatalf("Install: %v", err)
	}
	r4 := run(t, "ip", "-n", ns, "route", "show", "table", "all")
	for _, want := range []string{
		"192.168.7.0/24 via 10.0.0.254 dev eth0 proto keepalived",
		"blackhole 192.168.8.0/24 proto keepalived",
		// keepalived adds routes with scope universe unless told.
		"192.168.9.0/24 dev eth0 table 100 proto keepalived metric 5",
	} {
		if !strings.Contains(r4, want) {
			t.Errorf("routes lack %q:\n%s", want, r4)
		}
	}
	ru := run(t, "ip", "-n", ns, "rule", "show")
	for _, want := range []string{"from 10.0.0.100 lookup 100", "200:\tfrom all to 192.168.10.0/24 fwmark 0x10/0xff lookup 100"} {
		if !strings.Contains(ru, want) {
			t.Errorf("rules lack %q:\n%s", want, ru)
		}
	}
	if err := s.Install(); err != nil {
		t.Errorf("second Install: %v", err)
	}
	if err := s.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if r := run(t, "ip", "-n", ns, "route", "show", "table", "all"); strings.Contains(r, "192.168.") {
		t.Errorf("routes left:\n%s", r)
	}
	if r := run(t, "ip", "-n", ns, "rule", "show"); strings.Contains(r, "lookup 100") {
		t.Errorf("rules left:\n%s", r)
	}
}
