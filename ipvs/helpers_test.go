package ipvs_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// destLine is a destination line of ipvsadm -Ln (lvs.md §11: address
// and port in 28 columns, forward in 7, weight in 6, two zero counters in
// 10 each).
func destLine(addrPort, fwd string, weight int) string {
	return fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", addrPort, fwd, weight, 0, 0)
}

const header = "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func svc(k ipvs.ServiceKey, sched string, dests ...ipvs.Destination) *ipvs.Service {
	return &ipvs.Service{ServiceKey: k, Scheduler: sched, Netmask: ipvs.DefaultNetmask(k.Family), Dests: dests}
}

func dst(a string, port uint16, fwd ipvs.Forward, w uint32) ipvs.Destination {
	return ipvs.Destination{Addr: ip(a), Port: port, Forward: fwd, Weight: w}
}

// sameTable compares the kernel's table with the desired one, field by
// field.
func sameTable(t *testing.T, k ipvs.Kernel, want *ipvs.Table) {
	t.Helper()
	got, err := k.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got.Normalize()
	w := want.Clone().Normalize()
	if len(got.Services) != len(w.Services) {
		t.Fatalf("kernel has %d services, want %d", len(got.Services), len(w.Services))
	}
	for i, g := range got.Services {
		ws := w.Services[i]
		g.Label, ws.Label = "", ""
		if fmt.Sprintf("%+v", *g) != fmt.Sprintf("%+v", *ws) {
			t.Errorf("kernel service\n %+v\nwant\n %+v", *g, *ws)
		}
	}
}
