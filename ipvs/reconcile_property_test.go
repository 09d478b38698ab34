package ipvs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
)

// gen draws tables from small pools of keys so that random tables overlap:
// the same service or destination shows up in several tables with other
// attributes.
type gen struct{ r *rand.Rand }

func (g gen) addr(f ipvs.Family, net byte) netip.Addr {
	if f == ipvs.IPv6 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(g.r.IntN(3) + 1), 14: net})
	}
	return netip.AddrFrom4([4]byte{10, net, 0, byte(g.r.IntN(3) + 1)})
}

func (g gen) key() ipvs.ServiceKey {
	f := ipvs.IPv4
	if g.r.IntN(4) == 0 {
		f = ipvs.IPv6
	}
	if g.r.IntN(4) == 0 {
		return ipvs.MarkKey(f, uint32(g.r.IntN(2)+1))
	}
	protos := []ipvs.Protocol{ipvs.TCP, ipvs.UDP, ipvs.SCTP}
	return ipvs.AddrKey(protos[g.r.IntN(2)], g.addr(f, 0), uint16(80+g.r.IntN(2)))
}

func (g gen) service() *ipvs.Service {
	s := &ipvs.Service{ServiceKey: g.key()}
	s.Scheduler = ipvstest.Schedulers[g.r.IntN(4)]
	s.Netmask = ipvs.DefaultNetmask(s.Family)
	if g.r.IntN(3) == 0 {
		s.Flags |= ipvs.FlagPersistent
		s.Timeout = uint32(g.r.IntN(2)*300 + 60)
		if g.r.IntN(2) == 0 {
			if s.Family == ipvs.IPv6 {
				s.Netmask = 64
			} else {
				s.Netmask = 0xffffff00
			}
		}
	}
	if g.r.IntN(4) == 0 {
		s.Flags |= ipvs.FlagSched1
	}
	n := g.r.IntN(5)
	for range n {
		d := ipvs.Destination{Addr: g.addr(s.Family, 1), Port: uint16(80 + g.r.IntN(2)),
			Forward: []ipvs.Forward{ipvs.Masq, ipvs.Route, ipvs.Tunnel}[g.r.IntN(3)],
			Weight:  uint32(g.r.IntN(3))}
		if d.Forward == ipvs.Tunnel {
			if g.r.IntN(3) == 0 {
				other := ipvs.IPv4
				if s.Family == ipvs.IPv4 {
					other = ipvs.IPv6
				}
				d.Addr = g.addr(other, 2)
			}
			switch g.r.IntN(3) {
			case 1:
				d.TunnelType, d.TunnelPort, d.TunnelFlags = ipvs.TunnelGUE, 6080, ipvs.TunnelCsum
			case 2:
				d.TunnelType = ipvs.TunnelGRE
			}
		}
		if g.r.IntN(4) == 0 {
			d.UpperThreshold, d.LowerThreshold = 100, uint32(g.r.IntN(2)*50)
		}
		s.Dests = append(s.Dests, d)
	}
	return s
}

func (g gen) table(max int) *ipvs.Table {
	t := &ipvs.Table{}
	for range g.r.IntN(max + 1) {
		t.Services = append(t.Services, g.service())
	}
	if g.r.IntN(4) == 0 {
		t.Daemons = append(t.Daemons, ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: uint32(g.r.IntN(2))})
	}
	return t.Normalize()
}

// TestReconcileProperties drives random sequences of desired tables over a
// kernel that starts with random entries of somebody else, and checks after
// every run that:
//   - the kernel holds every desired service and destination exactly;
//   - running again (reading the kernel or not) changes nothing;
//   - services and destinations never desired are untouched, and services
//     once desired but no longer are gone.
func TestReconcileProperties(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_VM") == "1" {
		t.Skip("an in-memory test: it runs on the host, not again in the VM")
	}
	ctx := context.Background()
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			g := gen{rand.New(rand.NewPCG(seed, 7))}
			k := &ipvstest.Kernel{}
			foreign := g.table(4)
			for _, s := range foreign.Services {
				mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddService, Service: s})
				for i := range s.Dests {
					mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddDest, Service: s, Dest: &s.Dests[i]})
				}
			}
			foreign.Daemons = nil
			r := ipvs.NewReconciler(k, nil)
			everSvc := map[ipvs.ServiceKey]bool{}
			everDest := map[ipvs.ServiceKey]map[ipvs.DestKey]bool{}
			// gone are the services a run deleted, with somebody else's
			// destinations in them.
			gone := map[ipvs.ServiceKey]bool{}
			for round := range 6 {
				desired := g.table(5)
				for _, s := range desired.Services {
					everSvc[s.ServiceKey] = true
					if everDest[s.ServiceKey] == nil {
						everDest[s.ServiceKey] = map[ipvs.DestKey]bool{}
					}
					for _, d := range s.Dests {
						everDest[s.ServiceKey][d.Key()] = true
					}
				}
				run := r.Update
				if g.r.IntN(2) == 0 {
					run = r.Sync
				}
				if _, err := run(ctx, desired.Clone()); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				got := dump(t, k)
				checkHolds(t, got, desired)
				checkForeign(t, got, foreign, desired, everSvc, everDest, gone)
				for k := range everSvc {
					if desired.Service(k) == nil {
						gone[k] = true
					}
				}

				for name, again := range map[string]func(context.Context, *ipvs.Table) (*ipvs.Report, error){"Update": r.Update, "Sync": r.Sync} {
					rep, err := again(ctx, desired.Clone())
					if err != nil {
						t.Fatalf("round %d: second %s: %v", round, name, err)
					}
					if len(rep.Ops) != 0 || rep.Drift != 0 {
						t.Fatalf("round %d: second %s made changes: %v", round, name, rep.Ops)
					}
				}
			}
		})
	}
}

func mustApply(t *testing.T, k ipvs.Kernel, op ipvs.Op) {
	t.Helper()
	if err := k.Apply(context.Background(), op); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

func dump(t *testing.T, k ipvs.Kernel) *ipvs.Table {
	t.Helper()
	got, err := k.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got.Normalize()
}

func checkHolds(t *testing.T, got, desired *ipvs.Table) {
	t.Helper()
	for _, want := range desired.Services {
		s := got.Service(want.ServiceKey)
		if s == nil {
			t.Fatalf("service %s missing", want.ServiceKey)
		}
		if s.Scheduler != want.Scheduler || s.Flags != want.Flags || s.Timeout != want.Timeout ||
			s.Netmask != want.Netmask || s.PEName != want.PEName {
			t.Fatalf("service %s is %+v, want %+v", want.ServiceKey, *s, *want)
		}
		for _, wd := range want.Dests {
			found := false
			for _, d := range s.Dests {
				if d.Key() == wd.Key() {
					found = true
					if d != wd {
						t.Fatalf("dest %s of %s is %+v, want %+v", wd.Key(), want.ServiceKey, d, wd)
					}
				}
			}
			if !found {
				t.Fatalf("dest %s of %s missing", wd.Key(), want.ServiceKey)
			}
		}
	}
	for _, wd := range desired.Daemons {
		found := false
		for _, d := range got.Daemons {
			found = found || (d.State == wd.State && d.Interface == wd.Interface && d.SyncID == wd.SyncID)
		}
		if !found {
			t.Fatalf("daemon %s not running: %v", wd, got.Daemons)
		}
	}
}

func checkForeign(t *testing.T, got, foreign, desired *ipvs.Table, everSvc map[ipvs.ServiceKey]bool, everDest map[ipvs.ServiceKey]map[ipvs.DestKey]bool, gone map[ipvs.ServiceKey]bool) {
	t.Helper()
	for _, f := range foreign.Services {
		s := got.Service(f.ServiceKey)
		switch {
		case desired.Service(f.ServiceKey) != nil:
		case everSvc[f.ServiceKey]:
			if s != nil {
				t.Fatalf("service %s was ours and is no longer desired, but stays", f.ServiceKey)
			}
			continue
		case s == nil:
			t.Fatalf("foreign service %s was removed", f.ServiceKey)
		case s.Scheduler != f.Scheduler || s.Flags != f.Flags || s.Timeout != f.Timeout:
			t.Fatalf("foreign service %s was edited: %+v", f.ServiceKey, *s)
		}
		for _, fd := range f.Dests {
			if everDest[f.ServiceKey][fd.Key()] || gone[f.ServiceKey] {
				continue
			}
			found := false
			for _, d := range s.Dests {
				if d.Key() == fd.Key() {
					found = true
					if d != fd {
						t.Fatalf("foreign dest %s of %s was edited: %+v", fd.Key(), f.ServiceKey, d)
					}
				}
			}
			if !found {
				t.Fatalf("foreign dest %s of %s was removed", fd.Key(), f.ServiceKey)
			}
		}
	}
	for _, s := range got.Services {
		if everSvc[s.ServiceKey] && desired.Service(s.ServiceKey) == nil && foreign.Service(s.ServiceKey) == nil {
			t.Fatalf("service %s is no longer desired but stays", s.ServiceKey)
		}
	}
}
