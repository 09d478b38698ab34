package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// countingAddrs counts every AddressManager call, failed ones included,
// so that "no netlink request at all" can be checked.
type countingAddrs struct {
	AddressManager
	mu    sync.Mutex
	calls []string
}

func (c *countingAddrs) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}

func (c *countingAddrs) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func (c *countingAddrs) AddAddress(a Address) error {
	c.note("+a " + a.String())
	return c.AddressManager.AddAddress(a)
}

func (c *countingAddrs) DelAddress(a Address) error {
	c.note("-a " + a.String())
	return c.AddressManager.DelAddress(a)
}

func (c *countingAddrs) AddRoute(r VirtualRoute) error {
	c.note("+r " + r.String())
	return c.AddressManager.AddRoute(r)
}

func (c *countingAddrs) DelRoute(r VirtualRoute) error {
	c.note("-r " + r.String())
	return c.AddressManager.DelRoute(r)
}

func (c *countingAddrs) AddRule(r VirtualRule) error {
	c.note("+u " + r.String())
	return c.AddressManager.AddRule(r)
}

func (c *countingAddrs) DelRule(r VirtualRule) error {
	c.note("-u " + r.String())
	return c.AddressManager.DelRule(r)
}

func loadTestConf(t *testing.T, conf string) *parser.Config {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(conf), parser.Options{Host: testHost{}})
	if res.Config == nil || res.ExitCode(false) != 0 {
		t.Fatalf("config: %v", res.Diagnostics)
	}
	return res.Config
}

// reloadInst is one vrrp_instance for the reload tests; extra lines go
// inside it.
func reloadInst(name string, vrid, prio int, vips []string, extra ...string) string {
	return `vrrp_instance ` + name + ` {
 state BACKUP
 interface eth0
 virtual_router_id ` + itoa(vrid) + `
 priority ` + itoa(prio) + `
 advert_int 1
 virtual_ipaddress {
  ` + strings.Join(vips, "\n  ") + `
 }
 ` + strings.Join(extra, "\n ") + `
}
`
}

// masterNode starts a node alone on a fake wire and waits until its
// instances are MASTER (one Master_Down_Interval); spy sees its adverts.
type reloadFixture struct {
	tn    *testNode
	calls *countingAddrs
	spy   *fakeConn
	opens atomic.Int32 // advert sockets opened
}

func startMaster(t *testing.T, conf string) *reloadFixture {
	t.Helper()
	w := &fakeWire{}
	f := &reloadFixture{spy: w.open(netip.MustParseAddr("10.99.0.9"))}
	f.tn = startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
		f.calls = &countingAddrs{AddressManager: c.Addrs}
		c.Addrs = f.calls
		open := c.OpenConn
		c.OpenConn = func(cc ConnConfig) (AdvertConn, error) {
			f.opens.Add(1)
			return open(cc)
		}
	})
	time.Sleep(4 * time.Second)
	synctest.Wait()
	for name, st := range f.tn.n.States() {
		if st != StateMaster {
			t.Fatalf("%s is %v before the reload", name, st)
		}
	}
	f.calls.take()
	f.drain()
	return f
}

// drain returns the (VRID, priority) of the adverts seen so far.
func (f *reloadFixture) drain() [][2]int {
	var out [][2]int
	for {
		select {
		case rx := <-f.spy.in:
			out = append(out, [2]int{int(rx.Data[21]), int(rx.Data[22])})
		default:
			return out
		}
	}
}

func (f *reloadFixture) reload(t *testing.T, conf string) {
	t.Helper()
	if err := f.tn.n.Reload(loadTestConf(t, conf)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	synctest.Wait()
}

var vip100 = []string{"10.99.0.100"}

// TestNodeReloadIdentical: the same configuration again makes no address
// manager call at all, no state change, no notification and no GARP; the
// master sends one advert before the reload and one at once after it (its
// advert timer restarts, as keepalived's reload_master), then goes on.
func TestNodeReloadIdentical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conf := reloadInst("VI_1", 51, 100, vip100, "garp_master_delay 0")
		f := startMaster(t, conf)
		garps, notes := f.tn.rec.snapshot()
		before := f.tn.n.Snapshot(false).Instances[0]
		f.reload(t, conf)
		if c := f.calls.take(); len(c) != 0 {
			t.Errorf("address manager calls on an identical reload: %v", c)
		}
		if n := f.opens.Load(); n != 1 {
			t.Errorf("%d advert sockets opened, want the one of the start (kept)", n)
		}
		g2, n2 := f.tn.rec.snapshot()
		if len(g2) != len(garps) || len(n2) != len(notes) {
			t.Errorf("GARPs %v -> %v, notifications %v -> %v", garps, g2, notes, n2)
		}
		after := f.tn.n.Snapshot(false).Instances[0]
		if after.Status.State != StateMaster || after.LastTransition != before.LastTransition {
			t.Errorf("after reload %v (last transition %v, was %v)", after.Status.State, after.LastTransition, before.LastTransition)
		}
		if after.Stats.BecomeMaster != 1 || after.Stats.AdvertSent != before.Stats.AdvertSent+2 {
			t.Errorf("stats %+v, before %+v", after.Stats, before.Stats)
		}
		if a := f.drain(); !slices.Equal(a, [][2]int{{51, 100}, {51, 100}}) {
			t.Errorf("adverts at the reload %v, want two", a)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if a := f.drain(); len(a) != 3 {
			t.Errorf("adverts in 3 s after the reload: %v", a)
		}
		if p := f.tn.addrs.present(); !slices.Equal(p, []string{"10.99.0.100/32 dev eth0"}) {
			t.Errorf("addresses %v", p)
		}
		f.tn.stop(t)
	})
}

// TestNodeReloadPriority: a new priority goes into the next adverts and
// the dumps without leaving MASTER.
func TestNodeReloadPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startMaster(t, reloadInst("VI_1", 51, 100, vip100))
		f.reload(t, reloadInst("VI_1", 51, 150, vip100))
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		if a := f.drain(); !slices.Equal(a, [][2]int{{51, 100}, {51, 150}, {51, 150}}) {
			t.Errorf("adverts %v, want the old priority once then the new one", a)
		}
		st := f.tn.n.Snapshot(false).Instances[0].Status
		if st.State != StateMaster || st.BasePriority != 150 || st.EffectivePriority != 150 {
			t.Errorf("status %+v", st)
		}
		if c := f.calls.take(); len(c) != 0 {
			t.Errorf("address manager calls: %v", c)
		}
		f.tn.stop(t)
	})
}

// TestNodeReloadVIPAdded: one new VIP is one AddAddress and a GARP burst.
func TestNodeReloadVIPAdded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startMaster(t, reloadInst("VI_1", 51, 100, vip100, "garp_master_delay 0"))
		g0, _ := f.tn.rec.snapshot()
		f.reload(t, reloadInst("VI_1", 51, 100, []string{"10.99.0.100", "10.99.0.101"}, "garp_master_delay 0"))
		if c := f.calls.take(); !slices.Equal(c, []string{"+a 10.99.0.101/32 dev eth0"}) {
			t.Errorf("address manager calls %v, want one AddAddress", c)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		g1, _ := f.tn.rec.snapshot()
		if !slices.Contains(g1[len(g0):], "eth0 10.99.0.101") {
			t.Errorf("no GARP for the new VIP: %v", g1[len(g0):])
		}
		f.tn.stop(t)
	})
}

// TestNodeReloadVIPRemoved: a VIP that left the configuration is one
// DelAddress and nothing else.
func TestNodeReloadVIPRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startMaster(t, reloadInst("VI_1", 51, 100, []string{"10.99.0.100", "10.99.0.101"}, "garp_master_delay 0"))
		g0, _ := f.tn.rec.snapshot()
		f.reload(t, reloadInst("VI_1", 51, 100, vip100, "garp_master_delay 0"))
		if c := f.calls.take(); !slices.Equal(c, []string{"-a 10.99.0.101/32 dev eth0"}) {
			t.Errorf("address manager calls %v, want one DelAddress", c)
		}
		if g1, _ := f.tn.rec.snapshot(); len(g1) != len(g0) {
			t.Errorf("GARPs after a removal: %v", g1[len(g0):])
		}
		if p := f.tn.addrs.present(); !slices.Equal(p, []string{"10.99.0.100/32 dev eth0"}) {
			t.Errorf("addresses %v", p)
		}
		f.tn.stop(t)
		if p := f.tn.addrs.present(); len(p) != 0 {
			t.Errorf("addresses left at shutdown: %v", p)
		}
	})
}

// TestNodeReloadRenamed: instances are matched by VRID and interface, not
// by name: a renamed MASTER stays MASTER with its VIP and its counters.
func TestNodeReloadRenamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startMaster(t, reloadInst("VI_1", 51, 100, vip100))
		_, n0 := f.tn.rec.snapshot()
		f.reload(t, reloadInst("VI_X", 51, 100, vip100))
		if c := f.calls.take(); len(c) != 0 {
			t.Errorf("address manager calls: %v", c)
		}
		if s := f.tn.n.States(); len(s) != 1 || s["VI_X"] != StateMaster {
			t.Errorf("states %v", s)
		}
		snap := f.tn.n.Snapshot(false)
		if snap.Instances[0].Stats.Name != "VI_X" || snap.Instances[0].Stats.BecomeMaster != 1 {
			t.Errorf("stats %+v", snap.Instances[0].Stats)
		}
		if _, n1 := f.tn.rec.snapshot(); len(n1) != len(n0) {
			t.Errorf("notifications %v", n1[len(n0):])
		}
		f.tn.stop(t)
		if _, n := f.tn.rec.snapshot(); n[len(n)-1] != "VI_X STOP" {
			t.Errorf("last notification %v", n)
		}
	})
}

// TestNodeReloadDeleted: an instance that left sends priority 0, removes
// its VIP and notifies DELETED (the ScriptNotifier turns it into FAULT
// without notify_deleted); the other one
// is untouched.
func TestNodeReloadDeleted(t *testing.T) {
	for _, tc := range []struct {
		extra, note string
	}{{"", "VI_2 DELETED"}, {"notify_deleted", "VI_2 DELETED"}} {
		t.Run(tc.extra, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				vi1 := reloadInst("VI_1", 51, 100, vip100)
				f := startMaster(t, vi1+reloadInst("VI_2", 52, 100, []string{"10.99.0.102"}, tc.extra))
				_, n0 := f.tn.rec.snapshot()
				f.reload(t, vi1)
				if c := f.calls.take(); !slices.Equal(c, []string{"-a 10.99.0.102/32 dev eth0"}) {
					t.Errorf("address manager calls %v", c)
				}
				a := f.drain()
				if !slices.Contains(a, [2]int{52, 0}) || !slices.Contains(a, [2]int{51, 100}) {
					t.Errorf("adverts %v, want VRID 52 priority 0", a)
				}
				if _, n1 := f.tn.rec.snapshot(); !slices.Equal(n1[len(n0):], []string{tc.note}) {
					t.Errorf("notifications %v, want %s", n1[len(n0):], tc.note)
				}
				if s := f.tn.n.States(); len(s) != 1 || s["VI_1"] != StateMaster {
					t.Errorf("states %v", s)
				}
				f.tn.stop(t)
			})
		})
	}
}

// TestNodeReloadNew: an instance added by the reload starts as at start-up
// (BACKUP, then MASTER after its down timer) while the old one stays.
func TestNodeReloadNew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vi1 := reloadInst("VI_1", 51, 100, vip100)
		f := startMaster(t, vi1)
		_, n0 := f.tn.rec.snapshot()
		f.reload(t, vi1+reloadInst("VI_2", 52, 100, []string{"10.99.0.102"}))
		if s := f.tn.n.States(); s["VI_1"] != StateMaster || s["VI_2"] != StateBackup {
			t.Errorf("states %v", s)
		}
		if _, n1 := f.tn.rec.snapshot(); !slices.Equal(n1[len(n0):], []string{"VI_2 BACKUP"}) {
			t.Errorf("notifications %v", n1[len(n0):])
		}
		// the start-up clean-up of the new instance's addresses only
		for _, c := range f.calls.take() {
			if !strings.Contains(c, "10.99.0.102") {
				t.Errorf("reload touched %s", c)
			}
		}
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if s := f.tn.n.States(); s["VI_2"] != StateMaster {
			t.Errorf("VI_2 is %v after its down timer", s["VI_2"])
		}
		if c := f.calls.take(); !slices.Equal(c, []string{"+a 10.99.0.102/32 dev eth0"}) {
			t.Errorf("address manager calls %v", c)
		}
		f.tn.stop(t)
	})
}

// TestNodeReloadFailureKeepsRunning: a configuration whose new socket
// cannot be opened is refused and the old one runs on.
func TestNodeReloadFailureKeepsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		conf := reloadInst("VI_1", 51, 100, vip100)
		tn := startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
			c.OpenConn = func(cc ConnConfig) (AdvertConn, error) {
				if cc.Interface == "eth1" {
					return nil, errors.New("no such socket")
				}
				return w.open(netip.MustParseAddr("10.99.0.1")), nil
			}
		})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		bad := conf + strings.Replace(reloadInst("VI_2", 52, 100, []string{"10.99.0.102"}), "interface eth0", "interface eth1", 1)
		if err := tn.n.Reload(loadTestConf(t, bad)); err == nil || !strings.Contains(err.Error(), "no such socket") {
			t.Fatalf("Reload: %v", err)
		}
		if s := tn.n.States(); len(s) != 1 || s["VI_1"] != StateMaster {
			t.Errorf("states %v", s)
		}
		// and a good one afterwards still applies
		if err := tn.n.Reload(loadTestConf(t, reloadInst("VI_1", 51, 120, vip100))); err != nil {
			t.Fatal(err)
		}
		if st := tn.n.Snapshot(false).Instances[0].Status; st.BasePriority != 120 || st.State != StateMaster {
			t.Errorf("status %+v", st)
		}
		tn.stop(t)
		if err := tn.n.Reload(loadTestConf(t, conf)); err == nil {
			t.Error("Reload after Run ended succeeded")
		}
	})
}

// TestNodeSnapshotCounters: after a failover in virtual time the counters
// tell it; a clearing snapshot returns them and zeroes them.
func TestNodeSnapshotCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		start := time.Now()
		b := startTestNode(t, w, "10.99.0.2", nodeConf(80, ""), nil)
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, ""), nil)
		if s := a.n.Snapshot(false); len(s.Instances) != 0 && s.Instances[0].Status.State == StateMaster {
			t.Fatalf("master at once: %+v", s)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		sa := a.n.Snapshot(false).Instances[0]
		if sa.Status.State != StateMaster || sa.Stats.BecomeMaster != 1 || sa.Stats.AdvertSent != 2 {
			t.Errorf("A: %+v", sa)
		}
		if want := start.Add(3609375 * time.Microsecond); !sa.LastTransition.Equal(want) {
			t.Errorf("A's last transition %v after start, want 3.609375s", sa.LastTransition.Sub(start))
		}
		sb := b.n.Snapshot(false).Instances[0]
		if sb.Status.State != StateBackup || sb.Stats.Rx.AdvertRcvd != 2 || sb.Status.MasterAddr != netip.MustParseAddr("10.99.0.1") {
			t.Errorf("B: %+v", sb)
		}
		a.stop(t)
		time.Sleep(time.Second)
		synctest.Wait()
		sb = b.n.Snapshot(true).Instances[0]
		if sb.Status.State != StateMaster || sb.Stats.BecomeMaster != 1 || sb.Stats.Rx.PriZeroRcvd != 1 ||
			sb.Stats.Rx.AdvertRcvd != 3 || sb.Stats.AdvertSent != 1 {
			t.Errorf("B after the failover: %+v", sb.Stats)
		}
		sb = b.n.Snapshot(false).Instances[0]
		if sb.Stats != (InstanceStats{Name: "VI_1"}) {
			t.Errorf("B's stats after clearing: %+v", sb.Stats)
		}
		if sb.Status.State != StateMaster {
			t.Errorf("clearing changed the state: %v", sb.Status.State)
		}
		b.stop(t)
		if s := b.n.Snapshot(false); len(s.Instances) != 0 {
			t.Errorf("snapshot after Run: %+v", s)
		}
	})
}

// Reload and Snapshot before Run neither block nor change anything.
func TestNodeReloadBeforeRun(t *testing.T) {
	cfg := loadTestConf(t, reloadInst("VI_1", 51, 100, vip100))
	n, err := NewNode(NodeConfig{Config: cfg, Addrs: newFakeAddressManager("eth0"),
		OpenConn: func(ConnConfig) (AdvertConn, error) { return nil, errors.New("not opened") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Reload(cfg); !errors.Is(err, ErrNodeNotRunning) {
		t.Errorf("Reload before Run: %v", err)
	}
	if s := n.Snapshot(false); len(s.Instances) != 0 {
		t.Errorf("Snapshot before Run: %+v", s)
	}
	// Run failing to start (no socket) ends the wait of a concurrent call.
	if err := n.Run(t.Context()); err == nil {
		t.Fatal("Run without a socket succeeded")
	}
	if err := n.Reload(cfg); !errors.Is(err, ErrNodeNotRunning) {
		t.Errorf("Reload after a failed Run: %v", err)
	}
}
