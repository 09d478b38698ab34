package vrrp

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// fakeWire is an Ethernet segment for adverts: whatever one fakeConn sends
// reaches every other one (multicast) or the one holding the destination
// (unicast).
type fakeWire struct {
	mu    sync.Mutex
	conns []*fakeConn
}

type fakeConn struct {
	w      *fakeWire
	src    netip.Addr
	in     chan Received
	closed chan struct{}
	once   sync.Once
}

var _ AdvertConn = (*fakeConn)(nil)

func (w *fakeWire) open(src netip.Addr) *fakeConn {
	c := &fakeConn{w: w, src: src, in: make(chan Received, 64), closed: make(chan struct{})}
	w.mu.Lock()
	w.conns = append(w.conns, c)
	w.mu.Unlock()
	return c
}

func (c *fakeConn) Send(dg Datagram) error {
	select {
	case <-c.closed:
		return ErrConnClosed
	default:
	}
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	for _, o := range c.w.conns {
		if o == c || (!dg.Dst.IsMulticast() && dg.Dst != o.src) {
			continue
		}
		select {
		case <-o.closed:
		case o.in <- Received{IPv6: dg.Dst.Is6(), Data: append([]byte(nil), dg.Data...), Src: c.src, Dst: dg.Dst, HopLimit: 255}:
		default:
		}
	}
	return nil
}

func (c *fakeConn) Receive(ctx context.Context) (Received, error) {
	select {
	case rx := <-c.in:
		return rx, nil
	case <-ctx.Done():
		return Received{}, ctx.Err()
	case <-c.closed:
		return Received{}, ErrConnClosed
	}
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// recorder collects what a node announced and notified.
type recorder struct {
	mu       sync.Mutex
	garps    []string
	notifies []string
}

func (r *recorder) Notify(_ context.Context, n Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifies = append(r.notifies, n.Instance+" "+n.Type)
}

func (r *recorder) announce(iface string, a netip.Addr) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.garps = append(r.garps, iface+" "+a.String())
	return nil
}

func (r *recorder) snapshot() (garps, notifies []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.garps), slices.Clone(r.notifies)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testNode struct {
	n      *Node
	addrs  *fakeAddressManager
	rec    *recorder
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func nodeConf(prio int, extra string) string {
	return `vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority ` + itoa(prio) + `
 advert_int 1
 authentication {
  auth_type PASS
  auth_pass secret12
 }
 virtual_ipaddress {
  10.99.0.100
 }
` + extra + `}
`
}

func startTestNode(t *testing.T, w *fakeWire, src string, conf string, mod func(*NodeConfig)) *testNode {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(conf), parser.Options{Host: testHost{}})
	if res.Config == nil || res.ExitCode(false) != 0 {
		t.Fatalf("config: %v", res.Diagnostics)
	}
	tn := &testNode{addrs: newFakeAddressManager("eth0"), rec: &recorder{}, logs: &syncBuffer{}}
	srcAddr := netip.MustParseAddr(src)
	cfg := NodeConfig{
		Config: res.Config, Logger: slog.New(slog.NewTextHandler(tn.logs, nil)), LogDetail: true,
		Addrs: tn.addrs, Notifier: tn.rec, Announce: tn.rec.announce,
		OpenConn:   func(cc ConnConfig) (AdvertConn, error) { return w.open(srcAddr), nil },
		SourceAddr: func(string, bool) netip.Addr { return srcAddr },
	}
	if mod != nil {
		mod(&cfg)
	}
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn.n = n
	ctx, cancel := context.WithCancel(t.Context())
	tn.cancel = cancel
	tn.done = make(chan error, 1)
	go func() { tn.done <- n.Run(ctx) }()
	return tn
}

func (tn *testNode) stop(t *testing.T) {
	t.Helper()
	tn.cancel()
	if err := <-tn.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestNodeFailover: two nodes on a fake wire, in virtual time. The
// priority-100 node becomes master one Master_Down_Interval after start,
// installs the VIP and sends 5 GARPs; when it is shut down it resigns
// (priority 0) and removes the VIP, and the backup takes over after its
// Skew_Time, (256-80)/256 s.
func TestNodeFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		start := time.Now()
		b := startTestNode(t, w, "10.99.0.2", nodeConf(80, ""), nil)
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, ""), nil)
		vip := []string{"10.99.0.100/32 dev eth0"}

		// A's Master_Down_Interval is 3 s + 609.375 ms.
		time.Sleep(3609*time.Millisecond - time.Since(start))
		synctest.Wait()
		if p := a.addrs.present(); len(p) != 0 {
			t.Fatalf("VIP on A before its down timer expired: %v", p)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if p := a.addrs.present(); !slices.Equal(p, vip) {
			t.Fatalf("A's addresses %v at %v, want the VIP", p, time.Since(start))
		}
		if s := a.n.States()["VI_1"]; s != StateMaster {
			t.Errorf("A is %v", s)
		}
		if s := b.n.States()["VI_1"]; s != StateBackup {
			t.Errorf("B is %v", s)
		}
		garps, notes := a.rec.snapshot()
		if len(garps) != 5 || garps[0] != "eth0 10.99.0.100" {
			t.Errorf("A's GARPs %v, want 5 on eth0", garps)
		}
		if !slices.Equal(notes, []string{"VI_1 BACKUP", "VI_1 MASTER"}) {
			t.Errorf("A's notifications %v", notes)
		}
		// Adverts keep B in BACKUP well past its own down interval.
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if p := b.addrs.present(); len(p) != 0 {
			t.Fatalf("B took the VIP while A advertised: %v\n%s", p, b.logs)
		}
		// The second GARP burst came garp_master_delay (5 s) later.
		if garps, _ := a.rec.snapshot(); len(garps) != 10 {
			t.Errorf("A sent %d GARPs in 10 s, want 10", len(garps))
		}

		stopAt := time.Now()
		a.stop(t)
		if p := a.addrs.present(); len(p) != 0 {
			t.Errorf("A kept %v after shutdown", p)
		}
		if _, notes := a.rec.snapshot(); notes[len(notes)-1] != "VI_1 STOP" {
			t.Errorf("A's last notification %v, want STOP", notes)
		}
		time.Sleep(687*time.Millisecond - time.Since(stopAt))
		synctest.Wait()
		if p := b.addrs.present(); len(p) != 0 {
			t.Fatalf("B took over before its skew time: %v", p)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if p := b.addrs.present(); !slices.Equal(p, vip) {
			t.Fatalf("B's addresses %v %v after A resigned", p, time.Since(stopAt))
		}
		for _, want := range []string{"(VI_1) Backup received priority 0 advertisement", "(VI_1) Entering MASTER STATE",
			"(VI_1) setting VIPs.", "Sending gratuitous ARP on eth0 for 10.99.0.100"} {
			if !strings.Contains(b.logs.String(), want) {
				t.Errorf("B's log lacks %q", want)
			}
		}
		b.stop(t)
	})
}

// TestNodeSlowNotifierDoesNotDelayAdverts: a notifier that blocks for a
// long time must not stop the master from advertising.
func TestNodeSlowNotifierDoesNotDelayAdverts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		block := make(chan struct{})
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, ""), func(c *NodeConfig) {
			c.Notifier = notifierFunc(func(ctx context.Context, n Notification) { <-block })
		})
		spy := w.open(netip.MustParseAddr("10.99.0.9"))
		time.Sleep(3700 * time.Millisecond)
		got := 0
		deadline := time.After(5 * time.Second)
	loop:
		for {
			select {
			case <-spy.in:
				got++
			case <-deadline:
				break loop
			}
		}
		if got < 4 {
			t.Errorf("%d adverts in 5 s with a stuck notifier", got)
		}
		close(block)
		a.stop(t)
	})
}

type notifierFunc func(context.Context, Notification)

func (f notifierFunc) Notify(ctx context.Context, n Notification) { f(ctx, n) }

// TestNodeScriptLowersPriority: a failing weighted vrrp_script lowers the
// master's advertised priority; the runner feeds results to the machine.
func TestNodeScriptLowersPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		var mu sync.Mutex
		fail := false
		conf := "global_defs {\n script_user root\n enable_script_security\n}\nvrrp_script chk {\n script \"/bin/true\"\n interval 1\n weight -30\n}\n" +
			nodeConf(100, " track_script {\n  chk\n }\n")
		a := startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
			c.RunScript = func(ctx context.Context, argv []string, uid, gid int, timeout time.Duration) scriptOutcome {
				mu.Lock()
				defer mu.Unlock()
				if fail {
					return scriptOutcome{ExitStatus: 1}
				}
				return scriptOutcome{}
			}
		})
		spy := w.open(netip.MustParseAddr("10.99.0.9"))
		time.Sleep(4 * time.Second)
		mu.Lock()
		fail = true
		mu.Unlock()
		time.Sleep(3 * time.Second)
		var last *Packet
		for len(spy.in) > 0 {
			rx := <-spy.in
			p, err := ParsePacket(rx.Data, false)
			if err != nil {
				t.Fatal(err)
			}
			last = p
		}
		if last == nil || last.Advert.Priority != 70 {
			t.Errorf("last advert %+v, want priority 70\n%s", last, a.logs)
		}
		if !strings.Contains(a.logs.String(), "(VI_1) Changing effective priority from 100 to 70") {
			t.Errorf("log lacks the priority change:\n%s", a.logs)
		}
		a.stop(t)
	})
}

// TestNodeInstallsEverything: on becoming master the node adds VIPs, then
// eVIPs, routes and rules, and GARPs for VIPs then eVIPs; on shutdown it
// removes them in the reverse order; at start it clears left-overs (an
// eVIP a crashed predecessor left behind).
func TestNodeInstallsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		conf := nodeConf(100, ` virtual_ipaddress_excluded {
  10.99.1.1/24
  fd00::1
 }
 virtual_routes {
  192.168.7.0/24 via 10.99.0.254 dev eth0
 }
 virtual_rules {
  from 10.99.0.100 table 100 priority 100
 }
`)
		var fa *fakeAddressManager
		a := startTestNode(t, w, "10.99.0.1", conf, func(c *NodeConfig) {
			fa = c.Addrs.(*fakeAddressManager)
			// Left over by a crash: must be gone before anything else.
			_ = fa.AddAddress(Address{Prefix: netip.MustParsePrefix("10.99.1.1/24"), Dev: "eth0"})
			fa.takeOps()
		})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		ops := fa.takeOps()
		want := []string{
			"-a 10.99.1.1/24 dev eth0",
			"+a 10.99.0.100/32 dev eth0",
			"+a 10.99.1.1/24 dev eth0",
			"+a fd00::1/128 dev eth0",
			"+r 192.168.7.0/24 via 10.99.0.254 dev eth0",
		}
		if len(ops) != 6 || !slices.Equal(ops[:5], want) || !strings.HasPrefix(ops[5], "+u from 10.99.0.100/32 lookup 100") {
			t.Errorf("operations\n got %q\nwant %q + rule", ops, want)
		}
		garps, _ := a.rec.snapshot()
		if len(garps) != 15 || garps[0] != "eth0 10.99.0.100" || garps[1] != "eth0 10.99.1.1" || garps[2] != "eth0 fd00::1" {
			t.Errorf("GARP/NA %v: want 5 rounds of VIP, eVIP, eVIP", garps)
		}
		a.stop(t)
		ops = fa.takeOps()
		if len(ops) != 5 || !strings.HasPrefix(ops[0], "-u ") || !strings.HasPrefix(ops[1], "-r ") ||
			ops[2] != "-a 10.99.0.100/32 dev eth0" {
			t.Errorf("shutdown operations %q", ops)
		}
		if p := fa.present(); len(p) != 0 {
			t.Errorf("left %v", p)
		}
	})
}

// TestNodeSourceAddressAppears: an instance whose interface has no address
// at start is in FAULT; when the address appears it leaves FAULT and,
// alone on the wire, becomes master advertising from that address.
func TestNodeSourceAddressAppears(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		var mu sync.Mutex
		var src netip.Addr
		updates := make(chan AddrUpdate)
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, ""), func(c *NodeConfig) {
			c.SourceAddr = func(string, bool) netip.Addr {
				mu.Lock()
				defer mu.Unlock()
				return src
			}
			c.WatchAddrs = func(ctx context.Context, report func(AddrUpdate)) error {
				for {
					select {
					case u := <-updates:
						report(u)
					case <-ctx.Done():
						return nil
					}
				}
			}
		})
		spy := w.open(netip.MustParseAddr("10.99.0.9"))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if s := a.n.States()["VI_1"]; s != StateFault {
			t.Fatalf("state %v without a source address, want FAULT", s)
		}
		mu.Lock()
		src = netip.MustParseAddr("10.99.0.1")
		mu.Unlock()
		updates <- AddrUpdate{Dev: "eth0", Prefix: netip.MustParsePrefix("10.99.0.1/24"), New: true}
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if s := a.n.States()["VI_1"]; s != StateMaster {
			t.Fatalf("state %v after the address appeared, want MASTER\n%s", s, a.logs)
		}
		rx := <-spy.in
		p, err := ParsePacket(rx.Data, false)
		if err != nil || p.IP.Src != netip.MustParseAddr("10.99.0.1") {
			t.Errorf("advert %+v, %v: want it from 10.99.0.1", p, err)
		}
		a.stop(t)
	})
}

// TestNodeSyncGroup: two instances in a sync group on one node become
// master together, and both resign at shutdown.
func TestNodeSyncGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		conf := `vrrp_sync_group G {
 group {
  VI_1
  VI_2
 }
}
` + nodeConf(100, "") + strings.NewReplacer("VI_1", "VI_2", "virtual_router_id 51", "virtual_router_id 52",
			"10.99.0.100", "10.99.0.101").Replace(nodeConf(100, ""))
		a := startTestNode(t, w, "10.99.0.1", conf, nil)
		time.Sleep(4 * time.Second)
		synctest.Wait()
		st := a.n.States()
		if st["VI_1"] != StateMaster || st["VI_2"] != StateMaster {
			t.Fatalf("states %v, want both MASTER\n%s", st, a.logs)
		}
		if p := a.addrs.present(); len(p) != 2 {
			t.Errorf("addresses %v, want both VIPs", p)
		}
		if !strings.Contains(a.logs.String(), "VRRP_Group(G) Syncing instances to MASTER state") {
			t.Errorf("log lacks the group sync line:\n%s", a.logs)
		}
		a.stop(t)
		if p := a.addrs.present(); len(p) != 0 {
			t.Errorf("addresses left %v", p)
		}
	})
}
