package ipvs_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
)

func opStrings(ops []ipvs.Op) string {
	var b strings.Builder
	for _, o := range ops {
		b.WriteString(o.String() + "\n")
	}
	return b.String()
}

func checkOps(t *testing.T, got []ipvs.Op, want string) {
	t.Helper()
	if g, w := opStrings(got), strings.TrimLeft(want, "\n"); g != w {
		t.Errorf("operations:\n%s\nwant:\n%s", g, w)
	}
}

// The order of a plan: daemons, services added or edited, destinations
// added or edited, then destinations and services deleted; only owned
// entries are deleted.
func TestDiffOrder(t *testing.T) {
	web := ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80)
	old := ipvs.AddrKey(ipvs.TCP, ip("10.0.0.9"), 80)
	foreign := ipvs.AddrKey(ipvs.UDP, ip("10.0.0.8"), 53)
	current := (&ipvs.Table{
		Services: []*ipvs.Service{
			svc(old, "rr", dst("10.0.1.1", 80, ipvs.Route, 1)),
			svc(web, "rr", dst("10.0.1.1", 80, ipvs.Route, 1), dst("10.0.1.2", 80, ipvs.Route, 1),
				dst("10.0.1.3", 80, ipvs.Route, 1), dst("10.0.9.9", 80, ipvs.Route, 1)),
			svc(foreign, "rr", dst("10.0.1.1", 53, ipvs.Masq, 1)),
		},
		Daemons: []ipvs.SyncDaemon{{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 1}},
	}).Normalize()
	owned := ipvs.NewOwned()
	owned.Claim(&ipvs.Table{Services: []*ipvs.Service{
		svc(old, "rr", dst("10.0.1.1", 80, ipvs.Route, 1)),
		svc(web, "rr", dst("10.0.1.1", 80, ipvs.Route, 1), dst("10.0.1.2", 80, ipvs.Route, 1), dst("10.0.1.3", 80, ipvs.Route, 1)),
	}})
	fwm := svc(ipvs.MarkKey(ipvs.IPv4, 5), "sh", dst("10.0.1.1", 0, ipvs.Route, 1))
	desired := (&ipvs.Table{
		Services: []*ipvs.Service{
			svc(web, "wrr", dst("10.0.1.1", 80, ipvs.Route, 1), dst("10.0.1.2", 80, ipvs.Route, 3), dst("10.0.1.4", 80, ipvs.Route, 1)),
			fwm,
		},
		Daemons: []ipvs.SyncDaemon{{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 2}, {State: ipvs.SyncBackup, Interface: "eth0", SyncID: 2}},
	}).Normalize()
	checkOps(t, ipvs.Diff(current, desired, owned), `
stop-daemon master daemon on eth0 syncid 1
start-daemon master daemon on eth0 syncid 2
start-daemon backup daemon on eth0 syncid 2
edit-service TCP 10.0.0.1:80 wrr
add-service FWM 5 sh
edit-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 Route weight 3
add-dest TCP 10.0.0.1:80 -> 10.0.1.4:80 Route weight 1
add-dest FWM 5 -> 10.0.1.1:0 Route weight 1
del-dest TCP 10.0.0.1:80 -> 10.0.1.3:80
del-service TCP 10.0.0.9:80
`)
	// Nothing owned: nothing deleted.
	checkOps(t, ipvs.Diff(current, desired, nil), `
stop-daemon master daemon on eth0 syncid 1
start-daemon master daemon on eth0 syncid 2
start-daemon backup daemon on eth0 syncid 2
edit-service TCP 10.0.0.1:80 wrr
add-service FWM 5 sh
edit-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 Route weight 3
add-dest TCP 10.0.0.1:80 -> 10.0.1.4:80 Route weight 1
add-dest FWM 5 -> 10.0.1.1:0 Route weight 1
`)
	// Equal tables: nothing.
	if ops := ipvs.Diff(desired, desired.Clone(), owned); len(ops) != 0 {
		t.Errorf("equal tables: %v", ops)
	}
}

// What counts as a difference: every field the kernel keeps, but not the
// kernel-owned HASHED flag, the label, or tunnel options of a destination
// that is not tunnelled.
func TestDiffFields(t *testing.T) {
	base := func() *ipvs.Table {
		s := svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80), "wrr", dst("10.0.1.1", 80, ipvs.Tunnel, 1))
		return (&ipvs.Table{Services: []*ipvs.Service{s}}).Normalize()
	}
	for _, tc := range []struct {
		name   string
		change func(s *ipvs.Service)
		want   string
	}{
		{"scheduler", func(s *ipvs.Service) { s.Scheduler = "rr" }, "edit-service"},
		{"flags", func(s *ipvs.Service) { s.Flags = ipvs.FlagSched1 }, "edit-service"},
		{"timeout", func(s *ipvs.Service) { s.Flags, s.Timeout = ipvs.FlagPersistent, 50 }, "edit-service"},
		{"netmask", func(s *ipvs.Service) { s.Netmask = 0xffffff00 }, "edit-service"},
		{"pe", func(s *ipvs.Service) { s.PEName = "sip" }, "edit-service"},
		{"hashed", func(s *ipvs.Service) { s.Flags = ipvs.FlagHashed }, ""},
		{"label", func(s *ipvs.Service) { s.Label = "x" }, ""},
		{"weight", func(s *ipvs.Service) { s.Dests[0].Weight = 0 }, "edit-dest"},
		{"forward", func(s *ipvs.Service) { s.Dests[0].Forward = ipvs.Route }, "edit-dest"},
		{"uthreshold", func(s *ipvs.Service) { s.Dests[0].UpperThreshold = 5 }, "edit-dest"},
		{"lthreshold", func(s *ipvs.Service) { s.Dests[0].LowerThreshold = 5 }, "edit-dest"},
		{"tunnel type", func(s *ipvs.Service) { s.Dests[0].TunnelType = ipvs.TunnelGRE }, "edit-dest"},
		{"tunnel port", func(s *ipvs.Service) { s.Dests[0].TunnelType, s.Dests[0].TunnelPort = ipvs.TunnelGUE, 1 }, "edit-dest"},
		{"port of ipip", func(s *ipvs.Service) { s.Dests[0].TunnelPort = 9 }, ""},
		{"dest port", func(s *ipvs.Service) { s.Dests[0].Port = 81 }, "add-dest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur, want := base(), base()
			tc.change(want.Services[0])
			want.Normalize()
			ops := ipvs.Diff(cur, want, nil)
			got := ""
			if len(ops) > 0 {
				got = ops[0].Kind.String()
			}
			if got != tc.want || len(ops) > 1 {
				t.Errorf("ops %v, want one %q", ops, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	a := ipvs.AddrKey(ipvs.TCP, ip("10.0.0.2"), 80)
	b := ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80)
	tab := &ipvs.Table{Services: []*ipvs.Service{
		svc(ipvs.MarkKey(ipvs.IPv4, 1), "rr"),
		svc(a, "rr", dst("10.0.1.2", 80, ipvs.Masq, 1), dst("10.0.1.1", 80, ipvs.Masq, 1), dst("10.0.1.2", 80, ipvs.Masq, 9)),
		svc(b, "rr"),
		svc(a, "wlc"),
	}}
	tab.Services[0].Flags = ipvs.FlagHashed
	tab.Normalize()
	var keys []string
	for _, s := range tab.Services {
		keys = append(keys, s.ServiceKey.String()+" "+s.Scheduler)
	}
	if got := strings.Join(keys, ", "); got != "TCP 10.0.0.1:80 rr, TCP 10.0.0.2:80 rr, FWM 1 rr" {
		t.Errorf("order %s", got)
	}
	ds := tab.Services[1].Dests
	if len(ds) != 2 || ds[0].Addr != ip("10.0.1.1") || ds[1].Weight != 1 {
		t.Errorf("dests %+v", ds)
	}
	if tab.Services[2].Flags != 0 {
		t.Errorf("HASHED kept")
	}
}

// Drift: the kernel holds something other than the reconciler believed.
// Adds that find the entry become edits, edits that miss it become adds,
// deletes of something already gone are done; the next run reads again.
func TestReconcileDrift(t *testing.T) {
	ctx := context.Background()
	k := &ipvstest.Kernel{}
	r := ipvs.NewReconciler(k, nil)
	key := ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80)
	table := func(w uint32) *ipvs.Table {
		return &ipvs.Table{Services: []*ipvs.Service{svc(key, "wrr", dst("10.0.1.1", 80, ipvs.Route, w), dst("10.0.1.2", 80, ipvs.Route, 1))}}
	}
	if _, err := r.Sync(ctx, table(1)); err != nil {
		t.Fatal(err)
	}
	// Somebody deletes a destination behind our back; an Update that edits
	// it re-adds it.
	s := svc(key, "wrr")
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpDelDest, Service: s, Dest: &ipvs.Destination{Addr: ip("10.0.1.1"), Port: 80}})
	rep, err := r.Update(ctx, table(4))
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, rep.Ops, "add-dest TCP 10.0.0.1:80 -> 10.0.1.1:80 Route weight 4\n")
	if rep.Drift != 1 || rep.Read {
		t.Errorf("drift %d read %v", rep.Drift, rep.Read)
	}
	// The next Update reads the kernel again.
	if rep, err = r.Update(ctx, table(4)); err != nil || !rep.Read || len(rep.Ops) != 0 {
		t.Errorf("after drift: read=%v ops=%v err=%v", rep.Read, rep.Ops, err)
	}
	// Somebody replaces the whole service. An Update cannot see that (it
	// does not read the kernel and no command fails); a Sync does and
	// repairs it.
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpDelService, Service: s})
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddService, Service: svc(key, "rr")})
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddDest, Service: s, Dest: &ipvs.Destination{Addr: ip("10.0.1.2"), Port: 80, Forward: ipvs.Masq, Weight: 9}})
	if rep, err = r.Update(ctx, table(4)); err != nil || len(rep.Ops) != 0 {
		t.Errorf("update: %v %v", rep.Ops, err)
	}
	want := table(4)
	if rep, err = r.Sync(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkOps(t, rep.Ops, `
edit-service TCP 10.0.0.1:80 wrr
add-dest TCP 10.0.0.1:80 -> 10.0.1.1:80 Route weight 4
edit-dest TCP 10.0.0.1:80 -> 10.0.1.2:80 Route weight 1
`)
	sameTable(t, k, table(4))
	// An add that finds the entry becomes an edit.
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddDest, Service: s, Dest: &ipvs.Destination{Addr: ip("10.0.1.3"), Port: 80, Forward: ipvs.Masq, Weight: 9}})
	want = table(4)
	want.Services[0].Dests = append(want.Services[0].Dests, dst("10.0.1.3", 80, ipvs.Route, 2))
	if rep, err = r.Update(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkOps(t, rep.Ops, "edit-dest TCP 10.0.0.1:80 -> 10.0.1.3:80 Route weight 2\n")
	if rep.Drift != 1 {
		t.Errorf("drift %d", rep.Drift)
	}
	sameTable(t, k, want)
}

// A service the kernel refuses (unknown scheduler) is reported with the
// kernel's error; its destinations are not tried; the rest goes ahead.
func TestReconcileFailure(t *testing.T) {
	k := &ipvstest.Kernel{}
	r := ipvs.NewReconciler(k, nil)
	bad := svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80), "nosuch", dst("10.0.1.1", 80, ipvs.Route, 1))
	good := svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.2"), 80), "rr", dst("10.0.1.1", 80, ipvs.Route, 1))
	rep, err := r.Sync(context.Background(), &ipvs.Table{Services: []*ipvs.Service{bad, good}})
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("error %v, want ENOENT", err)
	}
	if len(rep.Failed) != 2 || len(rep.Ops) != 2 || k.Counts().Writes != 3 {
		t.Errorf("failed %v ops %v writes %d", rep.Failed, rep.Ops, k.Counts().Writes)
	}
}

func TestTeardownFake(t *testing.T) {
	ctx := context.Background()
	k := &ipvstest.Kernel{}
	foreign := svc(ipvs.AddrKey(ipvs.UDP, ip("10.0.0.8"), 53), "rr")
	mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddService, Service: foreign})
	r := ipvs.NewReconciler(k, nil)
	tab := &ipvs.Table{Services: []*ipvs.Service{svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80), "wrr",
		dst("10.0.1.1", 80, ipvs.Route, 1), dst("10.0.1.2", 80, ipvs.Route, 1))}}
	if _, err := r.Sync(ctx, tab); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Teardown(ctx, ipvs.StopRemoveEach)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, rep.Ops, `
del-dest TCP 10.0.0.1:80 -> 10.0.1.1:80
del-dest TCP 10.0.0.1:80 -> 10.0.1.2:80
del-service TCP 10.0.0.1:80
`)
	if got := dump(t, k); len(got.Services) != 1 || got.Services[0].ServiceKey != foreign.ServiceKey {
		t.Errorf("left %v", got.Services)
	}
}

// Start flushes everything first when lvs_flush asks for it.
func TestStartFlush(t *testing.T) {
	for _, flush := range []bool{false, true} {
		k := &ipvstest.Kernel{}
		mustApply(t, k, ipvs.Op{Kind: ipvs.OpAddService, Service: svc(ipvs.AddrKey(ipvs.UDP, ip("10.0.0.8"), 53), "rr")})
		r := ipvs.NewReconciler(k, nil)
		c := &ipvs.Config{FlushAtStart: flush, Table: ipvs.Table{Services: []*ipvs.Service{svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80), "rr")}}}
		rep, err := r.Start(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		want := "add-service TCP 10.0.0.1:80 rr\n"
		if flush {
			want = "flush\n" + want
		}
		checkOps(t, rep.Ops, want)
		if n := len(dump(t, k).Services); n != map[bool]int{false: 2, true: 1}[flush] {
			t.Errorf("flush=%v: %d services left", flush, n)
		}
	}
}
