package ipvs_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
)

// scaleTable has the size of keepalived issue 2318: 2,300 services and
// 37,000 destinations.
func scaleTable() *ipvs.Table {
	t := &ipvs.Table{}
	for i := range 2300 {
		s := &ipvs.Service{ServiceKey: ipvs.AddrKey(ipvs.TCP, netip.AddrFrom4([4]byte{10, 100 + byte(i/62500), byte(i / 250 % 250), byte(i%250 + 1)}), 80),
			Scheduler: "wrr", Netmask: 0xffffffff}
		n := 16
		if i < 200 {
			n = 17
		}
		for j := range n {
			s.Dests = append(s.Dests, ipvs.Destination{Addr: netip.AddrFrom4([4]byte{172, 16 + byte(j), byte(i / 250), byte(i%250 + 1)}), Port: 80, Forward: ipvs.Route, Weight: 1})
		}
		t.Services = append(t.Services, s)
	}
	return t
}

// BenchmarkReconcileScale measures the reconciler's own cost (the kernel
// is the in-memory one) for a reload of the 37,000-destination table that
// changes one weight: one edit, no read.
func BenchmarkReconcileScale(b *testing.B) {
	ctx := context.Background()
	k := &ipvstest.Kernel{}
	r := ipvs.NewReconciler(k, nil)
	base := scaleTable()
	if _, err := r.Sync(ctx, base.Clone()); err != nil {
		b.Fatal(err)
	}
	tables := [2]*ipvs.Table{base.Clone(), base.Clone()}
	tables[1].Services[1000].Dests[3].Weight = 5
	var inRun time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		desired := tables[(i+1)%2].Clone()
		before := k.Counts()
		b.StartTimer()
		rep, err := r.Update(ctx, desired)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if w := k.Counts().Sub(before).Writes; w != 1 || len(rep.Ops) != 1 {
			b.Fatalf("%d writes: %v", w, rep.Ops)
		}
		inRun += rep.Elapsed
		n++
		b.StartTimer()
	}
	// The run's own measure, without the garbage collection that the
	// table copies between runs cause.
	b.ReportMetric(float64(inRun.Microseconds())/float64(n)/1000, "ms/reload")
}

// BenchmarkDiffScale is the diff alone on the same change.
func BenchmarkDiffScale(b *testing.B) {
	cur := scaleTable().Normalize()
	want := cur.Clone()
	want.Services[1000].Dests[3].Weight = 5
	owned := ipvs.NewOwned()
	owned.Claim(cur)
	for b.Loop() {
		if ops := ipvs.Diff(cur, want, owned); len(ops) != 1 {
			b.Fatalf("%v", ops)
		}
	}
}
