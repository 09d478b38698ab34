package vrrp

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

const staticBlock = `static_ipaddress {
 192.168.77.1/24 dev eth0
}
static_routes {
 10.77.0.0/16 via 192.168.77.254 dev eth0
}
static_rules {
 from 10.77.0.0/16 table 100 priority 200
}
`

// TestNodeStaticsAtStartAndShutdown: static addresses, routes and rules
// are installed when Run starts, whatever the instances' state (here still
// BACKUP), in that order, and removed at shutdown in the reverse order.
func TestNodeStaticsAtStartAndShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeWire{}
		tn := startTestNode(t, f, "10.99.0.1", staticBlock+nodeConf(100, ""), nil)
		synctest.Wait()
		if s := tn.n.States()["VI_1"]; s != StateBackup {
			t.Fatalf("VI_1 is %v", s)
		}
		want := []string{"+a 192.168.77.1/24 dev eth0", "+r 10.77.0.0/16 via 192.168.77.254 dev eth0",
			"+u from 10.77.0.0/16 lookup 100 pref 200"}
		ops := tn.addrs.takeOps()
		if !slices.Equal(ops, want) {
			t.Fatalf("start-up operations %q, want %q", ops, want)
		}
		time.Sleep(5 * time.Second) // VI_1 becomes MASTER; statics untouched
		synctest.Wait()
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, []string{"+a 10.99.0.100/32 dev eth0"}) {
			t.Fatalf("operations as MASTER %q", ops)
		}
		tn.stop(t)
		want = []string{"-a 10.99.0.100/32 dev eth0", "-u from 10.77.0.0/16 lookup 100 pref 200",
			"-r 10.77.0.0/16 via 192.168.77.254 dev eth0", "-a 192.168.77.1/24 dev eth0"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("shutdown operations %q, want %q", ops, want)
		}
	})
}

// TestNodeStaticsOnly: a configuration with statics and no instance runs.
func TestNodeStaticsOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := startTestNode(t, &fakeWire{}, "10.99.0.1", staticBlock, nil)
		synctest.Wait()
		if p := tn.addrs.present(); !slices.Equal(p, []string{"192.168.77.1/24 dev eth0"}) {
			t.Fatalf("addresses %v", p)
		}
		tn.stop(t)
		if p := tn.addrs.present(); len(p) != 0 {
			t.Fatalf("addresses %v after shutdown", p)
		}
	})
}

// TestNodeStaticAlreadyPresent: a static address or route already
// configured counts as ours (keepalived takes "exists" as success), so shutdown removes it;
// a static rule left by a previous run is deleted and added again at
// start.
func TestNodeStaticAlreadyPresent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := startTestNode(t, &fakeWire{}, "10.99.0.1", staticBlock, func(c *NodeConfig) {
			fa := c.Addrs.(*fakeAddressManager)
			fa.addrs["eth0|192.168.77.1/24"] = Address{Prefix: netip.MustParsePrefix("192.168.77.1/24"), Dev: "eth0"}
			fa.routes["10.77.0.0/16 via 192.168.77.254 dev eth0"] = true
			fa.rules["from 10.77.0.0/16 lookup 100 pref 200"] = true
		})
		synctest.Wait()
		want := []string{"-u from 10.77.0.0/16 lookup 100 pref 200", "+u from 10.77.0.0/16 lookup 100 pref 200"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("start-up operations %q, want %q", ops, want)
		}
		tn.stop(t)
		want = []string{"-u from 10.77.0.0/16 lookup 100 pref 200", "-r 10.77.0.0/16 via 192.168.77.254 dev eth0",
			"-a 192.168.77.1/24 dev eth0"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("shutdown operations %q, want %q", ops, want)
		}
	})
}

// TestNodeStaticReload: an identical reload makes no address manager call;
// a changed one deletes what left and adds what came, nothing else.
func TestNodeStaticReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inst := reloadInst("VI_1", 51, 100, vip100, "garp_master_delay 0")
		f := startMaster(t, staticBlock+inst)
		f.reload(t, staticBlock+inst)
		if c := f.calls.take(); len(c) != 0 {
			t.Fatalf("identical reload made calls %q", c)
		}
		changed := strings.Replace(staticBlock, "192.168.77.1/24", "192.168.78.1/24", 1)
		changed = strings.Replace(changed, "table 100", "table 101", 1)
		f.reload(t, changed+inst)
		want := []string{"-u from 10.77.0.0/16 lookup 100 pref 200", "-a 192.168.77.1/24 dev eth0",
			"+a 192.168.78.1/24 dev eth0", "+u from 10.77.0.0/16 lookup 101 pref 200"}
		if c := f.calls.take(); !slices.Equal(c, want) {
			t.Fatalf("reload calls %q, want %q", c, want)
		}
		f.reload(t, inst)
		want = []string{"-u from 10.77.0.0/16 lookup 101 pref 200", "-r 10.77.0.0/16 via 192.168.77.254 dev eth0",
			"-a 192.168.78.1/24 dev eth0"}
		if c := f.calls.take(); !slices.Equal(c, want) {
			t.Fatalf("reload calls %q, want %q", c, want)
		}
		f.reload(t, staticBlock+inst)
		f.tn.stop(t)
		if p := f.tn.addrs.present(); len(p) != 0 {
			t.Fatalf("addresses after shutdown %v", p)
		}
	})
}

// TestNodeDontReleaseShutdown: with -V a MASTER's shutdown sends no
// priority-0 advert, removes no VIP, route or rule and keeps its VMAC, but
// the static objects go and STOP is still notified.
func TestNodeDontReleaseShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vmacUndone := false
		w := &fakeWire{}
		spy := w.open(netip.MustParseAddr("10.99.0.9"))
		conf := staticBlock + nodeConf(100, " use_vmac\n virtual_routes {\n  10.66.0.0/16 dev eth0\n }\n")
		tn := startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
			c.DontReleaseVRRP = true
			c.Addrs.(*fakeAddressManager).devs["vrrp.51"] = true
			c.SetupVMAC = func(*parser.VRRPInstance) (func(), error) { return func() { vmacUndone = true }, nil }
		})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if s := tn.n.States()["VI_1"]; s != StateMaster {
			t.Fatalf("VI_1 is %v", s)
		}
		tn.addrs.takeOps()
		drainSpy(spy)
		logged := len(tn.logs.String())
		tn.stop(t)
		synctest.Wait()
		want := []string{"-u from 10.77.0.0/16 lookup 100 pref 200", "-r 10.77.0.0/16 via 192.168.77.254 dev eth0",
			"-a 192.168.77.1/24 dev eth0"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("shutdown operations %q, want only the statics' %q", ops, want)
		}
		if p := tn.addrs.present(); !slices.Equal(p, []string{"10.99.0.100/32 dev vrrp.51"}) {
			t.Errorf("addresses after shutdown %v, want the VIP kept", p)
		}
		for _, prio := range drainSpy(spy) {
			if prio == 0 {
				t.Errorf("a priority-0 advert was sent")
			}
		}
		if vmacUndone {
			t.Errorf("the VMAC was deleted")
		}
		if _, notes := tn.rec.snapshot(); notes[len(notes)-1] != "VI_1 STOP" {
			t.Errorf("notifications %v, want STOP last", notes)
		}
		if l := tn.logs.String()[logged:]; strings.Contains(l, "sent 0 priority") || strings.Contains(l, "removing VIPs") {
			t.Errorf("log tells of a release that did not happen:\n%s", l)
		}
	})
}

// TestNodeShutdownReleases is the counterpart without -V: the same MASTER
// sends a priority-0 advert, removes its VIP and route, deletes its VMAC.
func TestNodeShutdownReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vmacUndone := false
		w := &fakeWire{}
		spy := w.open(netip.MustParseAddr("10.99.0.9"))
		conf := nodeConf(100, " use_vmac\n virtual_routes {\n  10.66.0.0/16 dev eth0\n }\n")
		tn := startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
			c.Addrs.(*fakeAddressManager).devs["vrrp.51"] = true
			c.SetupVMAC = func(*parser.VRRPInstance) (func(), error) { return func() { vmacUndone = true }, nil }
		})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		tn.addrs.takeOps()
		drainSpy(spy)
		tn.stop(t)
		want := []string{"-r 10.66.0.0/16 dev eth0", "-a 10.99.0.100/32 dev vrrp.51"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("shutdown operations %q, want %q", ops, want)
		}
		if !slices.Contains(drainSpy(spy), 0) {
			t.Errorf("no priority-0 advert")
		}
		if !vmacUndone {
			t.Errorf("the VMAC was kept")
		}
	})
}

func drainSpy(c *fakeConn) []int {
	var prios []int
	for {
		select {
		case rx := <-c.in:
			prios = append(prios, int(rx.Data[22]))
		default:
			return prios
		}
	}
}

// TestReleaseUnset drives the runner's action execution directly: an
// instance leaving MASTER while the machine does not record its addresses
// as set (ActCancelGARP without ActDelVIPs). By default nothing is
// removed; -X removes the addresses we installed; -V every configured one
// present. A non-forced ActDelVIPs with -V also removes one not ours.
func TestReleaseUnset(t *testing.T) {
	conf := reloadInst("VI_1", 51, 100, []string{"10.99.0.100", "10.99.0.101"})
	for _, tt := range []struct {
		name     string
		x, v     bool
		del      bool // the batch has ActDelVIPs
		wantLeft []string
	}{
		{name: "default", wantLeft: []string{"10.99.0.100/32 dev eth0", "10.99.0.101/32 dev eth0"}},
		{name: "-X", x: true, wantLeft: []string{"10.99.0.101/32 dev eth0"}},
		{name: "-V", v: true},
		{name: "-X -V", x: true, v: true},
		{name: "DelVIPs", del: true, wantLeft: []string{"10.99.0.101/32 dev eth0"}},
		{name: "DelVIPs -X", x: true, del: true, wantLeft: []string{"10.99.0.101/32 dev eth0"}},
		{name: "DelVIPs -V", v: true, del: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fa := newFakeAddressManager("eth0")
			n, err := NewNode(NodeConfig{Config: loadTestConf(t, conf), Addrs: fa, Logger: slog.New(slog.DiscardHandler), ReleaseVIPs: tt.x, DontReleaseVRRP: tt.v,
				OpenConn:   func(ConnConfig) (AdvertConn, error) { return (&fakeWire{}).open(netip.MustParseAddr("10.99.0.1")), nil },
				SourceAddr: func(string, bool) netip.Addr { return netip.MustParseAddr("10.99.0.1") }})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.setup(); err != nil {
				t.Fatal(err)
			}
			ni := n.insts["VI_1"]
			// 10.99.0.100 is ours; 10.99.0.101 was there before us.
			fa.addrs["eth0|10.99.0.101/32"] = ni.vips.addrs[1]
			if err := ni.vips.Install(); err != nil {
				t.Fatal(err)
			}
			acts := []Action{{Kind: ActLog, Msg: "(VI_1) Entering BACKUP STATE"}, {Kind: ActCancelGARP, Instance: "VI_1"}}
			if tt.del {
				acts = append(acts, Action{Kind: ActDelVIPs, Instance: "VI_1", Accept: true})
			}
			n.exec(acts)
			if p := fa.present(); !slices.Equal(p, tt.wantLeft) {
				t.Errorf("addresses left %v, want %v", p, tt.wantLeft)
			}
		})
	}
}

// TestNodeDontReleaseStartStatics: with -V a static address already there
// (left by a previous run) is deleted and added again at start, so it is
// ours and goes at shutdown.
func TestNodeDontReleaseStartStatics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := startTestNode(t, &fakeWire{}, "10.99.0.1", staticBlock, func(c *NodeConfig) {
			c.DontReleaseVRRP = true
			fa := c.Addrs.(*fakeAddressManager)
			fa.addrs["eth0|192.168.77.1/24"] = Address{Prefix: netip.MustParsePrefix("192.168.77.1/24"), Dev: "eth0"}
		})
		synctest.Wait()
		want := []string{"-a 192.168.77.1/24 dev eth0", "+a 192.168.77.1/24 dev eth0",
			"+r 10.77.0.0/16 via 192.168.77.254 dev eth0", "+u from 10.77.0.0/16 lookup 100 pref 200"}
		if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
			t.Fatalf("start-up operations %q, want %q", ops, want)
		}
		tn.stop(t)
		if p := tn.addrs.present(); len(p) != 0 {
			t.Fatalf("addresses after shutdown %v", p)
		}
	})
}

// TestNodeStartRemovesLeftoverVIP: a VIP present before start (a crashed
// predecessor) is removed before the instance starts, with or without -V.
func TestNodeStartRemovesLeftoverVIP(t *testing.T) {
	for _, v := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			tn := startTestNode(t, &fakeWire{}, "10.99.0.1", nodeConf(100, ""), func(c *NodeConfig) {
				c.DontReleaseVRRP = v
				fa := c.Addrs.(*fakeAddressManager)
				fa.addrs["eth0|10.99.0.100/32"] = Address{Prefix: netip.MustParsePrefix("10.99.0.100/32"), Dev: "eth0"}
			})
			synctest.Wait()
			if p := tn.addrs.present(); len(p) != 0 {
				t.Errorf("-V=%v: left-over VIP kept at start: %v", v, p)
			}
			tn.stop(t)
		})
	}
}

// TestStaticReloadDontRelease: with -V a static address that leaves the
// configuration is deleted on reload even when it was not ours; without
// -V it stays.
func TestStaticReloadDontRelease(t *testing.T) {
	for _, v := range []bool{false, true} {
		fa := newFakeAddressManager("eth0")
		n, err := NewNode(NodeConfig{Config: loadTestConf(t, staticBlock), Addrs: fa, DontReleaseVRRP: v,
			Logger: slog.New(slog.DiscardHandler), OpenConn: func(ConnConfig) (AdvertConn, error) { return nil, nil }})
		if err != nil {
			t.Fatal(err)
		}
		n.startStatics()
		// Someone else's address now, as far as the node knows.
		delete(n.statics.ours, "a|eth0|192.168.77.1/24")
		fa.takeOps()
		n.reloadStatics(loadTestConf(t, strings.Replace(staticBlock, "192.168.77.1/24", "192.168.78.1/24", 1)))
		want := []string{"+a 192.168.78.1/24 dev eth0"}
		if v {
			want = append([]string{"-a 192.168.77.1/24 dev eth0"}, want...)
		}
		if ops := fa.takeOps(); !slices.Equal(ops, want) {
			t.Errorf("-V=%v: reload operations %q, want %q", v, ops, want)
		}
	}
}

// TestNodeReloadDontReleaseVIP: a MASTER reloads a configuration without
// one of its VIPs that it does not hold as its own; with -V that VIP is
// deleted anyway, without -V it stays.
func TestNodeReloadDontReleaseVIP(t *testing.T) {
	for _, v := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			two := reloadInst("VI_1", 51, 100, []string{"10.99.0.100", "10.99.0.101"}, "garp_master_delay 0")
			tn := startTestNode(t, &fakeWire{}, "10.99.0.1", two, func(c *NodeConfig) { c.DontReleaseVRRP = v })
			time.Sleep(4 * time.Second)
			synctest.Wait()
			if s := tn.n.States()["VI_1"]; s != StateMaster {
				t.Fatalf("VI_1 is %v", s)
			}
			if err := tn.n.call(func() {
				ni := tn.n.insts["VI_1"]
				ni.vips.disown(ni.vips.addrs[1])
			}); err != nil {
				t.Fatal(err)
			}
			tn.addrs.takeOps()
			if err := tn.n.Reload(loadTestConf(t, reloadInst("VI_1", 51, 100, vip100, "garp_master_delay 0"))); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			var want []string
			if v {
				want = []string{"-a 10.99.0.101/32 dev eth0"}
			}
			if ops := tn.addrs.takeOps(); !slices.Equal(ops, want) {
				t.Errorf("-V=%v: reload operations %q, want %q", v, ops, want)
			}
			tn.stop(t)
		})
	}
}
