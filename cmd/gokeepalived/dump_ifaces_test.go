package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestDumpInterfacesFrom(t *testing.T) {
	mac, _ := net.ParseMAC("7e:be:09:3f:84:27")
	ifs := []net.Interface{
		{Index: 1, MTU: 65536, Name: "lo", Flags: net.FlagUp | net.FlagRunning | net.FlagLoopback},
		{Index: 2, MTU: 1500, Name: "vB", HardwareAddr: mac, Flags: net.FlagUp | net.FlagRunning},
		{Index: 3, MTU: 1500, Name: "eth2"},
	}
	addrs := map[string][]net.Addr{
		"lo": {&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)}, &net.IPNet{IP: net.ParseIP("::1"), Mask: net.CIDRMask(128, 128)}},
		"vB": {&net.IPNet{IP: net.ParseIP("2001:db8::2"), Mask: net.CIDRMask(64, 128)}, &net.IPNet{IP: net.ParseIP("10.2.0.2"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("10.2.0.100"), Mask: net.CIDRMask(24, 32)}, &net.IPNet{IP: net.ParseIP("fe80::7cbe:9ff:fe3f:8427"), Mask: net.CIDRMask(64, 128)}},
	}
	inst := []dumpVRRPInstance{
		{Name: "VI_U", Interface: "vB", TrackIfs: []dumpTrack{{Name: "eth2", Weight: -5, Reverse: true}}},
		{Name: "VI_M", Interface: "vB"},
	}
	got := dumpInterfacesFrom(ifs, func(i net.Interface) ([]net.Addr, error) { return addrs[i.Name], nil }, inst)
	var buf bytes.Buffer
	if err := writeVRRPData(&buf, vrrpSnapshot{Interfaces: got}); err != nil {
		t.Fatal(err)
	}
	want := ` Name = vB
   index = 2
   IPv4 address = 10.2.0.2
   IPv6 address = fe80::7cbe:9ff:fe3f:8427
   MAC = 7e:be:09:3f:84:27
   State = UP, RUNNING
   MTU = 1500
   Tracking VRRP instances :
     VI_U, weight 0
     VI_M, weight 0
 Name = eth2
   index = 3
   IPv4 address = (none)
   IPv6 address = (none)
   State = DOWN
   MTU = 1500
   Tracking VRRP instances :
     VI_U, weight -5 reverse
`
	if !strings.HasSuffix(buf.String(), want) {
		t.Errorf("got:\n%s\nwant suffix:\n%s", buf.String(), want)
	}
	if got[0].IPv6.IsValid() {
		t.Errorf("lo has no link-local address, got %v", got[0].IPv6)
	}
}

func TestDumpInterfacesFromSystem(t *testing.T) {
	list, err := dumpInterfacesFromSystem(nil)
	if err != nil {
		t.Skipf("no interface list here: %v", err)
	}
	for _, d := range list {
		if d.Name == "" || d.Index <= 0 {
			t.Errorf("bad interface %+v", d)
		}
	}
}
