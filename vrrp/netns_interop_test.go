//go:build linux

package vrrp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// interopCase is one VRRP flavour of the failover scenario.
type interopCase struct {
	name    string
	version int
	v6      bool
	unicast bool
	advert  string // advert_int as written
	auth    bool
	vmac    bool // use_vmac: the VIP lives on vrrp.51 with MAC 00:00:5e:00:01:33
}

func (c interopCase) advertDur() time.Duration {
	d, _ := time.ParseDuration(c.advert + "s")
	return d
}

func (c interopCase) vip() netip.Addr {
	if c.v6 {
		return netip.MustParseAddr("fd99::100")
	}
	return netip.MustParseAddr("10.99.0.100")
}

func hostAddr(v6 bool, i int) string {
	if v6 {
		return fmt.Sprintf("fd99::%d", i)
	}
	return fmt.Sprintf("10.99.0.%d", i)
}

// conf is the keepalived.conf of host i (1 = lb1, 2 = lb2) of the pair.
func (c interopCase) conf(i, prio int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n router_id lb%d\n}\n", i)
	fmt.Fprintf(&b, "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n")
	fmt.Fprintf(&b, " priority %d\n advert_int %s\n version %d\n", prio, c.advert, c.version)
	if c.auth {
		b.WriteString(" authentication {\n  auth_type PASS\n  auth_pass secret12\n }\n")
	}
	if c.vmac {
		b.WriteString(" use_vmac\n")
	}
	if c.unicast {
		other := 3 - i
		fmt.Fprintf(&b, " unicast_src_ip %s\n unicast_peer {\n  %s\n }\n", hostAddr(c.v6, i), hostAddr(c.v6, other))
	}
	fmt.Fprintf(&b, " virtual_ipaddress {\n  %s\n }\n}\n", c.vip())
	return b.String()
}

// interopCases run in every pairing; the v3 ones use advert_int 0.1 so
// that a failover takes a fraction of a second (a v2 case takes ~12 s).
var interopCases = []interopCase{
	{name: "v2-pass-ipv4", version: 2, advert: "1", auth: true},
	{name: "v3-ipv4", version: 3, advert: "0.1"},
	{name: "v3-ipv6", version: 3, v6: true, advert: "0.1"},
	{name: "v3-unicast-ipv4", version: 3, unicast: true, advert: "0.1"},
}

// v2Unicast runs in one pairing only, to keep the whole set short.
var v2Unicast = interopCase{name: "v2-unicast-ipv4", version: 2, unicast: true, advert: "1"}

// vmacCase is use_vmac (a macvlan with the virtual router MAC).
var vmacCase = interopCase{name: "v3-vmac-ipv4", version: 3, advert: "0.1", vmac: true}

// vmac6Case is use_vmac for IPv6 (00:00:5e:00:02:33).
var vmac6Case = interopCase{name: "v3-vmac-ipv6", version: 3, v6: true, advert: "0.1", vmac: true}

// allInterop asks for every case in every pairing, keepalived pair
// included (GKV_INTEROP_ALL=1).
func allInterop() bool { return os.Getenv("GKV_INTEROP_ALL") != "" }

func casesFor(extra bool) []interopCase {
	cs := append([]interopCase{}, interopCases...)
	if extra || allInterop() {
		cs = append(cs, v2Unicast)
	}
	return cs
}

type daemonMaker func(t *testing.T, ns, conf string) vrrpDaemon

func makeKeepalived(t *testing.T, ns, conf string) vrrpDaemon { return newKeepalived(t, ns, conf) }

// failoverTimes are the measurements of one run of the scenario.
type failoverTimes struct {
	termVIP, termServed   time.Duration
	crashVIP, crashServed time.Duration
}

const interopPort = 8080

// runFailover is the scenario: lb1 (priority 100) and lb2 (priority 80)
// start; the VIP lands on lb1 and the client is served by lb1; lb1 gets
// SIGTERM and lb2 takes the VIP, the client's neighbour entry moves to lb2
// (our GARP/NA) and it is served by lb2; lb1 comes back and preempts; lb1
// crashes and lb2 takes over again.
func runFailover(t *testing.T, c interopCase, mkMaster, mkBackup daemonMaker) failoverTimes {
	tp := newTopology(t, "lb1", "lb2", "client")
	vip := c.vip()
	w1, w2, wc := newNSWatcher(t, tp.ns("lb1")), newNSWatcher(t, tp.ns("lb2")), newNSWatcher(t, tp.ns("client"))
	th1, th2, thc := newNSThread(t, tp.ns("lb1")), newNSThread(t, tp.ns("lb2")), newNSThread(t, tp.ns("client"))
	serveName(t, th1, interopPort, "lb1")
	serveName(t, th2, interopPort, "lb2")
	target := netip.AddrPortFrom(vip, interopPort)
	mac1, mac2 := "02:00:00:00:00:01", "02:00:00:00:00:02"
	macOK := func(got, want string) bool {
		// With use_vmac the VIP answers with the virtual router MAC, but
		// the master's own ARP requests for the client leave the parent
		// with the VIP as sender address and rewrite the client's entry
		// to the parent's MAC: real keepalived 2.2.7 does the same here.
		return got == want || (c.vmac && (got == "00:00:5e:00:01:33" || got == "00:00:5e:00:02:33"))
	}

	a := mkMaster(t, tp.ns("lb1"), c.conf(1, 100))
	b := mkBackup(t, tp.ns("lb2"), c.conf(2, 80))
	dump := func() string {
		return fmt.Sprintf("\nlb1 (%s):\n%slb2 (%s):\n%s", a.Kind(), logTail(a.Log(), 40), b.Kind(), logTail(b.Log(), 40))
	}
	adv := c.advertDur()
	// Both nodes start within milliseconds, and at advert_int 0.1 their
	// first master-down timers can end together: both become master and
	// send gratuitous ARPs, and the client may keep the loser's MAC until
	// the winner's second batch, garp_master_delay (5 s) later, as it
	// would with keepalived. The wait covers that batch.
	const garpMasterDelay = 5 * time.Second
	startup := 4*adv + garpMasterDelay + 2*time.Second
	failover := 4*adv + 2*time.Second

	served := func(by string, d time.Duration) time.Duration {
		return waitFor(d, func() bool { return askName(thc, target, 100*time.Millisecond) == by })
	}
	expectMaster := func(step string, start time.Time, on, off *nsWatcher, name, mac string, d time.Duration) (vipT, servedT time.Duration) {
		t.Helper()
		if waitFor(d, func() bool { return on.hasAddr(vip) }) < 0 {
			t.Fatalf("%s: VIP %s never appeared on %s%s", step, vip, name, dump())
		}
		vipT = time.Since(start)
		if waitFor(d, func() bool { return !off.hasAddr(vip) }) < 0 {
			t.Fatalf("%s: VIP %s still on the other node%s", step, vip, dump())
		}
		if served(name, d) < 0 {
			t.Fatalf("%s: client never served by %s (neighbour %q)%s", step, name, wc.neigh(vip), dump())
		}
		servedT = time.Since(start)
		if got := wc.neigh(vip); !macOK(got, mac) {
			t.Errorf("%s: client's neighbour entry for %s is %q, want %s's %s%s", step, vip, got, name, mac, dump())
		}
		return vipT, servedT
	}

	b.Start(t)
	a.Start(t)
	expectMaster("start", time.Now(), w1, w2, "lb1", mac1, startup)

	var ft failoverTimes
	start := time.Now()
	a.Term(t)
	ft.termVIP, ft.termServed = expectMaster("SIGTERM of lb1", start, w2, w1, "lb2", mac2, failover)
	a.Wait(t)

	a.Start(t)
	expectMaster("preemption by lb1", time.Now(), w1, w2, "lb1", mac1, startup)

	// Crash at a random phase of the advert cycle, as a real crash is.
	time.Sleep(time.Duration(rand.Int64N(int64(adv))))
	// A crashed node leaves its VIP behind; only lb2's must matter.
	start = time.Now()
	a.Crash(t)
	if waitFor(failover, func() bool { return w2.hasAddr(vip) }) < 0 {
		t.Fatalf("crash of lb1: VIP never appeared on lb2%s", dump())
	}
	ft.crashVIP = time.Since(start)
	if served("lb2", failover) < 0 {
		t.Fatalf("crash of lb1: client never served by lb2 (neighbour %q)%s", wc.neigh(vip), dump())
	}
	ft.crashServed = time.Since(start)
	if got := wc.neigh(vip); !macOK(got, mac2) {
		t.Errorf("crash of lb1: client's neighbour entry is %q, want lb2's %s", got, mac2)
	}
	b.Term(t)
	b.Wait(t)
	if w2.hasAddr(vip) {
		t.Errorf("lb2 kept the VIP after SIGTERM%s", dump())
	}
	t.Logf("%s master=%s backup=%s: SIGTERM→VIP %v, →served %v; crash→VIP %v, →served %v",
		c.name, a.Kind(), b.Kind(), ft.termVIP.Round(time.Millisecond), ft.termServed.Round(time.Millisecond),
		ft.crashVIP.Round(time.Millisecond), ft.crashServed.Round(time.Millisecond))
	return ft
}

// TestInteropKeepalivedPair is the sanity check of the scenario itself:
// two real keepalived nodes; one case unless GKV_INTEROP_ALL is set.
func TestInteropKeepalivedPair(t *testing.T) {
	requireNetns(t, "keepalived")
	cases := casesFor(true)
	if !allInterop() {
		cases = []interopCase{interopCases[1]}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runFailover(t, c, makeKeepalived, makeKeepalived)
		})
	}
}

// TestInteropGoPair: two gokeepalived nodes.
func TestInteropGoPair(t *testing.T) {
	requireNetns(t)
	for _, c := range append(casesFor(false), vmacCase, vmac6Case) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runFailover(t, c, makeGoNode, makeGoNode)
		})
	}
}

// TestInteropGoMasterKeepalivedBackup: gokeepalived holds priority 100,
// keepalived 2.2.7 priority 80.
func TestInteropGoMasterKeepalivedBackup(t *testing.T) {
	requireNetns(t, "keepalived")
	for _, c := range append(casesFor(false), vmacCase, vmac6Case) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runFailover(t, c, makeGoNode, makeKeepalived)
		})
	}
}

// TestInteropKeepalivedMasterGoBackup: keepalived 2.2.7 holds priority
// 100, gokeepalived priority 80.
func TestInteropKeepalivedMasterGoBackup(t *testing.T) {
	requireNetns(t, "keepalived")
	for _, c := range append(casesFor(true), vmacCase, vmac6Case) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runFailover(t, c, makeKeepalived, makeGoNode)
		})
	}
}
