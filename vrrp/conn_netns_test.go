//go:build linux

package vrrp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Privileged tests of the advert socket and the GARP/NA sender: two network
// namespaces joined by a veth pair, made and removed by each test.

var codecNetnsSeq atomic.Int32

// codecPair is two namespaces, a and b, with veth ends ifA and ifB.
type codecPair struct {
	a, b     string
	ifA, ifB string
}

func codecNeedRoot(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, raw sockets)")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
}

func codecRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newCodecPair builds the namespaces: a has 10.99.0.1/24, fd99::1/64 and
// MAC 02:00:00:00:00:0a; b has .2 / ::2 and 02:00:00:00:00:0b. DAD is off
// so link-local addresses are usable at once.
func newCodecPair(t *testing.T) *codecPair {
	t.Helper()
	n := codecNetnsSeq.Add(1)
	p := &codecPair{
		a: fmt.Sprintf("vcodec-a-%d-%d", os.Getpid(), n), b: fmt.Sprintf("vcodec-b-%d-%d", os.Getpid(), n),
		ifA: "vca0", ifB: "vcb0",
	}
	for _, ns := range []string{p.a, p.b} {
		codecRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		codecRun(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
		codecRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	codecRun(t, "ip", "link", "add", p.ifA, "netns", p.a, "address", "02:00:00:00:00:0a", "type", "veth",
		"peer", "name", p.ifB, "netns", p.b, "address", "02:00:00:00:00:0b")
	codecRun(t, "ip", "-n", p.a, "addr", "add", "10.99.0.1/24", "dev", p.ifA)
	codecRun(t, "ip", "-n", p.a, "addr", "add", "fd99::1/64", "dev", p.ifA, "nodad")
	codecRun(t, "ip", "-n", p.b, "addr", "add", "10.99.0.2/24", "dev", p.ifB)
	codecRun(t, "ip", "-n", p.b, "addr", "add", "fd99::2/64", "dev", p.ifB, "nodad")
	codecRun(t, "ip", "-n", p.a, "link", "set", p.ifA, "up")
	codecRun(t, "ip", "-n", p.b, "link", "set", p.ifB, "up")
	// IPv6 on a fresh link is usable once its link-local address is there.
	for _, x := range [][2]string{{p.a, p.ifA}, {p.b, p.ifB}} {
		deadline := time.Now().Add(3 * time.Second)
		for {
			out, _ := exec.Command("ip", "-n", x[0], "-6", "addr", "show", "dev", x[1], "scope", "link").Output()
			if strings.Contains(string(out), "fe80::") && !strings.Contains(string(out), "tentative") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no link-local address on %s in %s", x[1], x[0])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return p
}

// inNetns runs f on an OS thread switched into namespace ns, then switches
// back. Sockets opened by f stay in ns.
func inNetns(t *testing.T, ns string, f func()) {
	t.Helper()
	done := make(chan struct{})
	var failure string
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()))
		if err != nil {
			failure = err.Error()
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			failure = err.Error()
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			failure = "setns: " + err.Error()
			return
		}
		f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// The thread stays locked and dies with its goroutine rather
			// than serve others from the wrong namespace.
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
	if failure != "" {
		t.Fatal(failure)
	}
}

func openConn(t *testing.T, ns string, cfg ConnConfig) AdvertConn {
	t.Helper()
	var c AdvertConn
	var err error
	inNetns(t, ns, func() { c, err = NewAdvertConn(cfg) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ifIndexIn(t *testing.T, ns, name string) int {
	t.Helper()
	var idx int
	inNetns(t, ns, func() {
		if ifi, err := net.InterfaceByName(name); err == nil {
			idx = ifi.Index
		}
	})
	return idx
}

func receiveWithin(t *testing.T, c AdvertConn, d time.Duration) Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	rx, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return rx
}

// TestAdvertConnNetns sends our adverts over a veth and receives them with
// our socket on the other side: IPv4 multicast (v2 PASS), IPv4 AH, IPv4
// unicast (v3) and IPv6 multicast (v3); each passes the receiver's checks.
func TestAdvertConnNetns(t *testing.T) {
	codecNeedRoot(t)
	p := newCodecPair(t)
	idxB := ifIndexIn(t, p.b, p.ifB)
	lla := netip.MustParseAddr("fe80::ff:fe00:a")

	cases := []struct {
		name string
		enc  EncoderConfig
		val  ValidatorConfig
		conA ConnConfig
		conB ConnConfig
		ttl  int
	}{
		{name: "v2 PASS multicast",
			enc:  EncoderConfig{Version: 2, VRID: 51, Interval: time.Second, Addrs: addrs("10.99.0.100"), AuthType: AuthPass, AuthData: PassAuthData("1111"), Src: srcA},
			val:  ValidatorConfig{Name: "VI_1", Version: 2, VRID: 51, Interval: time.Second, VIPs: addrs("10.99.0.100"), AuthType: AuthPass, AuthData: PassAuthData("1111")},
			conA: ConnConfig{Interface: p.ifA}, conB: ConnConfig{Interface: p.ifB}, ttl: 255},
		{name: "v2 AH multicast",
			enc:  EncoderConfig{Version: 2, VRID: 53, Interval: time.Second, Addrs: addrs("10.99.0.120"), AuthType: AuthAH, AuthData: PassAuthData("secret12"), Src: srcA},
			val:  ValidatorConfig{Name: "VI_3", Version: 2, VRID: 53, Interval: time.Second, VIPs: addrs("10.99.0.120"), AuthType: AuthAH, AuthData: PassAuthData("secret12")},
			conA: ConnConfig{Interface: p.ifA, AH: true}, conB: ConnConfig{Interface: p.ifB, AH: true}, ttl: 255},
		{name: "v3 IPv4 unicast",
			enc:  EncoderConfig{Version: 3, VRID: 62, Interval: time.Second, Addrs: addrs("10.99.0.150"), Src: srcA, Peers: addrs("10.99.0.2")},
			val:  ValidatorConfig{Name: "VI_6", Version: 3, VRID: 62, Interval: time.Second, VIPs: addrs("10.99.0.150"), Peers: []UnicastPeer{{Addr: srcA, MaxTTL: 255}}, CheckUnicastSrc: true},
			conA: ConnConfig{Interface: p.ifA, UnicastSrc: srcA}, conB: ConnConfig{Interface: p.ifB, UnicastSrc: netip.MustParseAddr("10.99.0.2")}, ttl: 255},
		{name: "v3 IPv6 multicast",
			enc:  EncoderConfig{Version: 3, VRID: 63, Interval: time.Second, Addrs: addrs("fe80::1:100", "fd99::100"), Src: lla},
			val:  ValidatorConfig{Name: "VI_7", IPv6: true, Version: 3, VRID: 63, Interval: time.Second, VIPs: addrs("fe80::1:100", "fd99::100")},
			conA: ConnConfig{Interface: p.ifA, IPv6: true, Src: lla}, conB: ConnConfig{Interface: p.ifB, IPv6: true}, ttl: 255},
		{name: "v3 IPv6 unicast",
			enc:  EncoderConfig{Version: 3, VRID: 64, Interval: time.Second, Addrs: addrs("fd99::164"), Src: srcAU6, Peers: addrs("fd99::2")},
			val:  ValidatorConfig{Name: "VI_9", IPv6: true, Version: 3, VRID: 64, Interval: time.Second, VIPs: addrs("fd99::164"), Peers: []UnicastPeer{{Addr: srcAU6, MaxTTL: 255}}, CheckUnicastSrc: true},
			conA: ConnConfig{Interface: p.ifA, IPv6: true, UnicastSrc: srcAU6}, conB: ConnConfig{Interface: p.ifB, IPv6: true, UnicastSrc: netip.MustParseAddr("fd99::2")}, ttl: 64},
		{name: "v3 IPv6 unicast_ttl",
			enc:  EncoderConfig{Version: 3, VRID: 65, Interval: time.Second, Addrs: addrs("fd99::165"), Src: srcAU6, Peers: addrs("fd99::2")},
			val:  ValidatorConfig{Name: "VI_11", IPv6: true, Version: 3, VRID: 65, Interval: time.Second, VIPs: addrs("fd99::165"), Peers: []UnicastPeer{{Addr: srcAU6, MinTTL: 200, MaxTTL: 200}}, CheckUnicastSrc: true},
			conA: ConnConfig{Interface: p.ifA, IPv6: true, UnicastSrc: srcAU6, UnicastHopLimit: 200}, conB: ConnConfig{Interface: p.ifB, IPv6: true, UnicastSrc: netip.MustParseAddr("fd99::2")}, ttl: 200},
		{name: "v2 IPv4 unicast_ttl",
			enc:  EncoderConfig{Version: 2, VRID: 66, Interval: time.Second, Addrs: addrs("10.99.0.166"), Src: srcA, Peers: addrs("10.99.0.2"), TTL: 10},
			val:  ValidatorConfig{Name: "VI_12", Version: 2, VRID: 66, Interval: time.Second, VIPs: addrs("10.99.0.166"), Peers: []UnicastPeer{{Addr: srcA, MinTTL: 10, MaxTTL: 10}}, CheckUnicastSrc: true},
			conA: ConnConfig{Interface: p.ifA, UnicastSrc: srcA}, conB: ConnConfig{Interface: p.ifB, UnicastSrc: netip.MustParseAddr("10.99.0.2")}, ttl: 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := openConn(t, p.a, c.conA)
			b := openConn(t, p.b, c.conB)
			enc, err := NewEncoder(c.enc)
			if err != nil {
				t.Fatal(err)
			}
			val := NewValidator(c.val)
			for _, prio := range []uint8{150, PriorityStop} {
				dgs, err := enc.Build(prio)
				if err != nil {
					t.Fatal(err)
				}
				for _, dg := range dgs {
					if err := a.Send(dg); err != nil {
						t.Fatal(err)
					}
				}
				rx := receiveWithin(t, b, 2*time.Second)
				if rx.HopLimit != c.ttl || rx.Dst != dgs[0].Dst || rx.IfIndex != idxB || rx.Src != c.enc.Src {
					t.Errorf("received from %s to %s, hop limit %d, ifindex %d; want from %s to %s, %d, %d",
						rx.Src, rx.Dst, rx.HopLimit, rx.IfIndex, c.enc.Src, dgs[0].Dst, c.ttl, idxB)
				}
				r := val.Check(rx, true)
				if r.Verdict != Accept {
					t.Fatalf("rejected: %v %q", r.Reason, r.Log)
				}
				if r.Advert().Priority != prio {
					t.Errorf("priority %d, sent %d", r.Advert().Priority, prio)
				}
			}
			// b's send socket has the drop-all filter: a's adverts are
			// not queued there.
			if n := queuedOn(t, b.(*linuxAdvertConn).send); n != 0 {
				t.Errorf("%d bytes queued on the send socket", n)
			}
		})
	}
}

// queuedOn returns the bytes waiting to be read on a socket (SIOCINQ).
func queuedOn(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
	if ierr != nil {
		t.Fatal(ierr)
	}
	return n
}

// TestAdvertConnCancel: Receive returns when its context ends or the
// connection closes.
func TestAdvertConnCancel(t *testing.T) {
	codecNeedRoot(t)
	p := newCodecPair(t)
	b := openConn(t, p.b, ConnConfig{Interface: p.ifB})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Receive(ctx); err != context.DeadlineExceeded {
		t.Errorf("after deadline: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := b.Receive(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Receive block; the test passes either way
	b.Close()
	select {
	case err := <-errc:
		if err != ErrConnClosed {
			t.Errorf("after close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Receive did not return after Close")
	}
}

// TestReceiveKeepalivedNetns: our socket receives the adverts of a real
// keepalived in the other namespace, they pass our checks, and its
// SIGTERM brings the priority-0 advert.
func TestReceiveKeepalivedNetns(t *testing.T) {
	codecNeedRoot(t, "keepalived")
	p := newCodecPair(t)
	b := openConn(t, p.b, ConnConfig{Interface: p.ifB})
	log, stop := startKeepalivedStoppable(t, p.a, `vrrp_instance VI_1 {
    state MASTER
    interface `+p.ifA+`
    virtual_router_id 51
    priority 255
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        10.99.0.100
        10.99.0.101/24
    }
}
`)
	val := NewValidator(ValidatorConfig{Name: "VI_1", Version: 2, VRID: 51, Interval: time.Second,
		VIPs: addrs("10.99.0.100", "10.99.0.101"), AuthType: AuthPass, AuthData: PassAuthData("1111")})
	// The owner (priority 255, state MASTER) advertises at once.
	rx := receiveWithin(t, b, 5*time.Second)
	r := val.Check(rx, true)
	if r.Verdict != Accept || r.Advert().Priority != 255 {
		t.Fatalf("first advert: %v %q %+v\nkeepalived:\n%s", r.Verdict, r.Log, r.Advert(), log.String())
	}
	stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rx := receiveWithin(t, b, time.Until(deadline))
		r := val.Check(rx, true)
		if r.Verdict != Accept {
			t.Fatalf("advert rejected: %q", r.Log)
		}
		if r.Advert().Priority == PriorityStop {
			break
		}
	}
	if st := val.Stats(); st.PriZeroRcvd != 1 || st.AdvertRcvd < 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestGARPSenderNetns: the sender's GARP and NA leave the interface as the
// frames keepalived sends, and nothing is sent on a NOARP interface.
func TestGARPSenderNetns(t *testing.T) {
	codecNeedRoot(t)
	p := newCodecPair(t)
	var s NeighborAnnouncer
	var err error
	inNetns(t, p.a, func() { s, err = NewGARPSender(GARPConfig{Interface: p.ifA}) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var capARP, capNA *packet.Conn
	inNetns(t, p.b, func() {
		ifi, ierr := net.InterfaceByName(p.ifB)
		if ierr != nil {
			err = ierr
			return
		}
		if capARP, err = packet.Listen(ifi, packet.Raw, etherTypeARP, nil); err != nil {
			return
		}
		capNA, err = packet.Listen(ifi, packet.Raw, etherTypeIPv6, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer capARP.Close()
	defer capNA.Close()

	read := func(c *packet.Conn, want func([]byte) bool) []byte {
		t.Helper()
		buf := make([]byte, 1500)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if want(buf[:n]) {
				return buf[:n]
			}
		}
	}
	vip4 := netip.MustParseAddr("10.99.0.100")
	if err := s.Announce(vip4, nil); err != nil {
		t.Fatal(err)
	}
	got := read(capARP, func(b []byte) bool { return len(b) >= GARPFrameLen })
	want, _ := GARPFrame(macA, vip4)
	if !bytes.Equal(got[:GARPFrameLen], want) {
		t.Errorf("GARP on the wire %x, want %x", got, want)
	}
	vmac := net.HardwareAddr{0, 0, 0x5e, 0, 1, 51}
	if err := s.Announce(vip4, vmac); err != nil {
		t.Fatal(err)
	}
	got = read(capARP, func(b []byte) bool { return len(b) >= GARPFrameLen })
	if want, _ := GARPFrame(vmac, vip4); !bytes.Equal(got[:GARPFrameLen], want) {
		t.Errorf("VMAC GARP %x, want %x", got, want)
	}

	vip6 := netip.MustParseAddr("fd99::100")
	if err := s.Announce(vip6, nil); err != nil {
		t.Fatal(err)
	}
	got = read(capNA, func(b []byte) bool { return len(b) >= NAFrameLen && b[20] == 58 && b[54] == 136 })
	if want, _ := NAFrame(macA, vip6, false); !bytes.Equal(got[:NAFrameLen], want) {
		t.Errorf("NA on the wire %x, want %x", got, want)
	}

	// NOARP: nothing leaves. A VRRP-free marker frame sent afterwards is
	// the first thing the capture sees.
	codecRun(t, "ip", "-n", p.a, "link", "set", p.ifA, "arp", "off")
	if err := s.Announce(netip.MustParseAddr("10.99.0.111"), nil); err != nil {
		t.Fatal(err)
	}
	codecRun(t, "ip", "-n", p.a, "link", "set", p.ifA, "arp", "on")
	marker := netip.MustParseAddr("10.99.0.112")
	if err := s.Announce(marker, nil); err != nil {
		t.Fatal(err)
	}
	got = read(capARP, func(b []byte) bool { return len(b) >= GARPFrameLen })
	if ip := netip.AddrFrom4([4]byte(got[28:32])); ip != marker {
		t.Errorf("first GARP after NOARP is for %s, want %s (sent while NOARP)", ip, marker)
	}
	// The sender's sockets read nothing: traffic from b is not queued.
	frame, _ := GARPFrame(net.HardwareAddr{2, 0, 0, 0, 0, 0x0b}, netip.MustParseAddr("10.99.0.2"))
	if _, err := capARP.WriteTo(frame, &packet.Addr{HardwareAddr: ethBroadcast}); err != nil {
		t.Fatal(err)
	}
	na, _ := NAFrame(net.HardwareAddr{2, 0, 0, 0, 0, 0x0b}, netip.MustParseAddr("fd99::2"), false)
	if _, err := capNA.WriteTo(na, &packet.Addr{HardwareAddr: ethBroadcast}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	gs := s.(*garpSender)
	for _, c := range []*packet.Conn{gs.arp, gs.nd} {
		if st, err := c.Stats(); err != nil || st.Packets != 0 {
			t.Errorf("sender socket queued %+v (%v)", st, err)
		}
	}
}

// codecLogBuf collects keepalived's output while the test reads it; it
// also remembers keepalived's private directory and pid.
type codecLogBuf struct {
	mu  sync.Mutex
	b   strings.Builder
	dir string
	pid int
}

func (l *codecLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *codecLogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startKeepalived runs keepalived's VRRP process in namespace ns with conf
// and stops it (and only it) when the test ends.
func startKeepalived(t *testing.T, ns, conf string) *codecLogBuf {
	t.Helper()
	log, _ := startKeepalivedStoppable(t, ns, conf)
	return log
}

// startKeepalivedStoppable is startKeepalived that also returns a function
// sending SIGTERM (keepalived then resigns with a priority-0 advert).
func startKeepalivedStoppable(t *testing.T, ns, conf string) (*codecLogBuf, func()) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, "keepalived", "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	log := &codecLogBuf{dir: dir}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log.pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() { cmd.Process.Signal(syscall.SIGTERM) }
	t.Cleanup(func() {
		stop()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	return log, stop
}

// TestKeepalivedAcceptsOurAdverts: a real keepalived backup accepts our
// higher-priority adverts (it stays BACKUP past its master down interval)
// and takes over on our priority-0 advert, for v2 PASS, v2 AH, v3 over
// IPv4 and IPv6, and v3 unicast with the old checksum (which keepalived
// must detect and adopt). One keepalived runs one instance per case, so
// the cases share its 4-second wait.
func TestKeepalivedAcceptsOurAdverts(t *testing.T) {
	codecNeedRoot(t, "keepalived")
	type scenario struct {
		name    string
		vrid    uint8
		version uint8
		auth    AuthType
		ipv6    bool
		// unicast: keepalived and we are each other's unicast peer;
		// oldChecksum: we send old_unicast_checksum adverts.
		unicast, oldChecksum bool
	}
	cases := []scenario{
		{name: "v2 PASS", vrid: 51, version: 2, auth: AuthPass},
		{name: "v2 AH", vrid: 52, version: 2, auth: AuthAH},
		{name: "v3 IPv4", vrid: 53, version: 3},
		{name: "v3 IPv6", vrid: 54, version: 3, ipv6: true},
		{name: "v3 IPv4 unicast, old checksum", vrid: 55, version: 3, unicast: true, oldChecksum: true},
	}
	p := newCodecPair(t)
	vipsOf := func(c scenario) []netip.Addr {
		if c.ipv6 {
			return addrs(fmt.Sprintf("fe80::1:%d", c.vrid), fmt.Sprintf("fd99::%d", c.vrid))
		}
		return addrs(fmt.Sprintf("10.99.0.%d", c.vrid+50), fmt.Sprintf("10.99.0.%d", c.vrid+100))
	}
	var conf strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&conf, "vrrp_instance VI_%d {\n state BACKUP\n interface %s\n virtual_router_id %d\n priority 100\n advert_int 1\n version %d\n",
			c.vrid, p.ifA, c.vrid, c.version)
		switch c.auth {
		case AuthPass:
			conf.WriteString(" authentication {\n auth_type PASS\n auth_pass secret12\n }\n")
		case AuthAH:
			conf.WriteString(" authentication {\n auth_type AH\n auth_pass secret12\n }\n")
		}
		if c.unicast {
			conf.WriteString(" unicast_src_ip 10.99.0.1\n unicast_peer {\n 10.99.0.2\n }\n")
		}
		conf.WriteString(" virtual_ipaddress {\n")
		for _, v := range vipsOf(c) {
			fmt.Fprintf(&conf, "  %s\n", v)
		}
		conf.WriteString(" }\n}\n")
	}
	// Our sockets first, so that nothing keepalived sends is missed.
	conns := make([]AdvertConn, len(cases))
	for i, c := range cases {
		cc := ConnConfig{Interface: p.ifB, IPv6: c.ipv6, AH: c.auth == AuthAH}
		switch {
		case c.unicast:
			cc.UnicastSrc = netip.MustParseAddr("10.99.0.2")
		case c.ipv6:
			cc.Src = netip.MustParseAddr("fe80::ff:fe00:b")
		}
		conns[i] = openConn(t, p.b, cc)
	}
	log := startKeepalived(t, p.a, conf.String())

	var wg sync.WaitGroup
	errs := make(chan string, 2*len(cases))
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if msg := runAcceptScenario(conns[i], c.name, c.vrid, c.version, c.auth, c.ipv6, c.unicast, c.oldChecksum, vipsOf(c), log); msg != "" {
				errs <- msg
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if t.Failed() {
		t.Logf("keepalived:\n%s", log)
	}
}

// runAcceptScenario plays one case of TestKeepalivedAcceptsOurAdverts and
// returns what went wrong, if anything.
func runAcceptScenario(conn AdvertConn, name string, vrid, version uint8, auth AuthType, ipv6, unicast, oldChecksum bool,
	vips []netip.Addr, log *codecLogBuf) string {
	src := netip.MustParseAddr("10.99.0.2")
	if ipv6 {
		src = netip.MustParseAddr("fe80::ff:fe00:b")
	}
	ec := EncoderConfig{Version: version, VRID: vrid, Interval: time.Second, Addrs: vips, Src: src,
		AuthType: auth, AuthData: PassAuthData("secret12")}
	var vpeers []UnicastPeer
	if unicast {
		ec.Peers = []netip.Addr{srcA}
		ec.OldUnicastChecksum = oldChecksum
		vpeers = []UnicastPeer{{Addr: srcA, MaxTTL: 255}}
	}
	enc, err := NewEncoder(ec)
	if err != nil {
		return name + ": " + err.Error()
	}
	send := func(prio uint8) error {
		dgs, err := enc.Build(prio)
		if err != nil {
			return err
		}
		for _, dg := range dgs {
			if err := conn.Send(dg); err != nil {
				return err
			}
		}
		return nil
	}
	// keepalived's adverts for this VRID, from the start.
	heard := make(chan Received, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			rx, err := conn.Receive(ctx)
			if err != nil {
				return
			}
			if v, ok := PeekVRID(rx.Data, rx.IPv6); ok && v == vrid {
				heard <- rx
			}
		}
	}()
	// Without valid adverts the backup takes over 3·1 s + skew (0.61 s)
	// after start; 4.2 s of ours at 0.2 s intervals must keep it quiet.
	end := time.After(4200 * time.Millisecond)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		if err := send(200); err != nil {
			return name + ": " + err.Error()
		}
		select {
		case rx := <-heard:
			return fmt.Sprintf("%s: keepalived advertised (%d bytes) although we are master: it refused our adverts", name, len(rx.Data))
		case <-end:
			break loop
		case <-tick.C:
		}
	}
	if strings.Contains(log.String(), fmt.Sprintf("(VI_%d) Entering MASTER STATE", vrid)) {
		return name + ": keepalived became master"
	}
	// Our resignation: keepalived takes over after its skew time.
	if err := send(PriorityStop); err != nil {
		return name + ": " + err.Error()
	}
	var rx Received
	select {
	case rx = <-heard:
	case <-time.After(3 * time.Second):
		return name + ": keepalived did not take over after our priority 0"
	}
	val := NewValidator(ValidatorConfig{Name: "ka", IPv6: ipv6, Version: version, VRID: vrid, Interval: time.Second,
		AuthType: ec.AuthType, AuthData: ec.AuthData, VIPs: vips, Peers: vpeers})
	r := val.Check(rx, true)
	if r.Verdict != Accept || r.Advert().Priority != 100 {
		return fmt.Sprintf("%s: keepalived's advert after our priority 0: %v %q", name, r.Verdict, r.Log)
	}
	if oldChecksum {
		if !strings.Contains(log.String(), fmt.Sprintf("(VI_%d) Setting unicast VRRPv3 checksum to old version", vrid)) {
			return name + ": keepalived did not switch to the old checksum"
		}
		// keepalived 2.2.7 says so but keeps the standard checksum of its
		// one peer (see Encoder.OldChecksumDetected); ours, in its place,
		// sends the same bytes.
		ka, _ := NewEncoder(EncoderConfig{Version: 3, VRID: vrid, Interval: time.Second, Addrs: vips, Src: srcA, Peers: []netip.Addr{src}})
		ka.OldChecksumDetected()
		dgs, _ := ka.Build(100)
		if r.SwitchedToOldChecksum || string(dgs[0].Data[20:]) != string(rx.Data[20:]) {
			return fmt.Sprintf("%s: keepalived's reply %x, ours in its place %x", name, rx.Data[20:], dgs[0].Data[20:])
		}
	}
	return ""
}

// TestKeepalivedOldChecksumQuirk observes what Encoder.OldChecksumDetected
// reproduces: a keepalived master with two unicast peers that detects an
// old-form checksum keeps sending, to both peers, the standard checksum of
// the last peer it had sent to.
func TestKeepalivedOldChecksumQuirk(t *testing.T) {
	codecNeedRoot(t, "keepalived")
	p := newCodecPair(t)
	p2, p3 := netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("10.99.0.3")
	codecRun(t, "ip", "-n", p.b, "addr", "add", "10.99.0.3/24", "dev", p.ifB)
	conn2 := openConn(t, p.b, ConnConfig{Interface: p.ifB, UnicastSrc: p2})
	conn3 := openConn(t, p.b, ConnConfig{Interface: p.ifB, UnicastSrc: p3})
	log := startKeepalived(t, p.a, `vrrp_instance VI_1 {
    state MASTER
    interface `+p.ifA+`
    virtual_router_id 51
    priority 255
    advert_int 1
    version 3
    unicast_src_ip 10.99.0.1
    unicast_peer {
        10.99.0.2
        10.99.0.3
    }
    virtual_ipaddress {
        10.99.0.100
    }
}
`)
	vips := addrs("10.99.0.100")
	ka, _ := NewEncoder(EncoderConfig{Version: 3, VRID: 51, Interval: time.Second, Addrs: vips, Src: srcA, Peers: []netip.Addr{p2, p3}})
	same := func(rx Received, dg Datagram) bool { return string(rx.Data[20:]) == string(dg.Data[20:]) }
	// One advert to both peers, in the standard form.
	r2, r3 := receiveWithin(t, conn2, 3*time.Second), receiveWithin(t, conn3, time.Second)
	dgs, _ := ka.Build(255)
	if !same(r2, dgs[0]) || !same(r3, dgs[1]) {
		t.Fatalf("standard adverts differ:\n%x %x\n%x %x", r2.Data, r3.Data, dgs[0].Data, dgs[1].Data)
	}
	// An old-form advert from peer .2 (lower priority: keepalived stays
	// master, but checks it).
	us, _ := NewEncoder(EncoderConfig{Version: 3, VRID: 51, Interval: time.Second, Addrs: vips, Src: p2,
		Peers: []netip.Addr{srcA}, OldUnicastChecksum: true})
	old, _ := us.Build(100)
	if err := conn2.Send(old[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(log.String(), "Setting unicast VRRPv3 checksum to old version") {
		if time.Now().After(deadline) {
			t.Fatalf("keepalived did not detect the old checksum:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ka.OldChecksumDetected()
	// keepalived answers the lower-priority advert at once and then keeps
	// advertising; skip what was queued before the detection.
	for i := 0; i < 3; i++ {
		r2, r3 = receiveWithin(t, conn2, 2*time.Second), receiveWithin(t, conn3, time.Second)
		dgs, _ = ka.Build(255)
		if same(r2, dgs[0]) && same(r3, dgs[1]) {
			if string(r2.Data[26:28]) != string(r3.Data[26:28]) {
				t.Errorf("copies differ in checksum: %x %x", r2.Data[26:28], r3.Data[26:28])
			}
			return
		}
	}
	t.Errorf("keepalived's adverts after detection %x / %x, ours %x / %x", r2.Data[20:], r3.Data[20:], dgs[0].Data[20:], dgs[1].Data[20:])
}

// TestKeepalivedStatsAgree sends a real keepalived backup a series of good
// and forged adverts, then compares its SIGUSR2 statistics file with ours
// for the same packets: same counters, same layout.
func TestKeepalivedStatsAgree(t *testing.T) {
	codecNeedRoot(t, "keepalived")
	p := newCodecPair(t)
	conn := openConn(t, p.b, ConnConfig{Interface: p.ifB})
	log, _ := startKeepalivedStoppable(t, p.a, `vrrp_instance VI_1 {
    state BACKUP
    interface `+p.ifA+`
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        10.99.0.100
        10.99.0.101
    }
}
`)
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(log.String(), "Entering BACKUP STATE") {
		if time.Now().After(deadline) {
			t.Fatalf("keepalived did not start:\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	src := netip.MustParseAddr("10.99.0.2")
	base := func() EncoderConfig {
		c := v2PassCfg()
		c.Src = src
		return c
	}
	pkt := func(c EncoderConfig, prio uint8, mutate func([]byte)) []byte {
		b := build(t, c, prio)
		if mutate != nil {
			mutate(b)
		}
		return b
	}
	with := func(f func(*EncoderConfig)) EncoderConfig { c := base(); f(&c); return c }
	packets := [][]byte{
		pkt(base(), 200, nil),
		pkt(with(func(c *EncoderConfig) { c.AuthData = PassAuthData("guess") }), 200, nil),
		pkt(with(func(c *EncoderConfig) { c.TTL = 254 }), 200, nil),
		pkt(base(), 200, func(b []byte) { b[26] ^= 0xff }),
		pkt(with(func(c *EncoderConfig) { c.Interval = 2 * time.Second }), 200, nil),
		pkt(with(func(c *EncoderConfig) { c.Addrs = addrs("10.99.0.100", "10.99.0.102") }), 200, nil),
		pkt(with(func(c *EncoderConfig) { c.Addrs = addrs("10.99.0.100") }), 200, nil),
		pkt(with(func(c *EncoderConfig) { c.AuthType = AuthNone }), 200, nil),
		pkt(base(), 200, func(b []byte) { b[20] = 0x22; fixV2Checksum(b) }),
		pkt(base(), 200, func(b []byte) { b[24] = 7; fixV2Checksum(b) }),
		pkt(base(), 200, func(b []byte) { b[21] = 52; fixV2Checksum(b) }),
		pkt(base(), 200, nil),
	}
	val := NewValidator(v2PassValidator())
	for _, b := range packets {
		if err := conn.Send(Datagram{Dst: MulticastGroup4, Data: b}); err != nil {
			t.Fatal(err)
		}
		val.Check(rx4(b), true)
		// Fewer than two adverts per VRID per wake-up reach keepalived's
		// flood guard; a short gap keeps each read separate anyway.
		time.Sleep(20 * time.Millisecond)
	}
	// A padded datagram: IP total length and received length agree, the
	// address count does not.
	padded := append(build(t, base(), 200), 0, 0, 0, 0)
	binary.BigEndian.PutUint16(padded[2:], uint16(len(padded)))
	conn.Send(Datagram{Dst: MulticastGroup4, Data: padded})
	val.Check(rx4(padded), true)

	var want strings.Builder
	WriteStats(&want, []InstanceStats{{Name: "VI_1", Rx: val.Stats()}})
	// keepalived may still be reading its socket: ask again until the
	// dump is complete and settled, at most 3 s.
	statsFile := filepath.Join(log.dir, "keepalived.stats")
	var got []byte
	deadline = time.Now().Add(3 * time.Second)
	for string(got) != want.String() && time.Now().Before(deadline) {
		os.Remove(statsFile)
		codecRun(t, "kill", "-USR2", strconv.Itoa(log.pid))
		for time.Now().Before(deadline) {
			b, err := os.ReadFile(statsFile)
			if err == nil && strings.Count(string(b), "\n") >= 19 {
				got = b
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if string(got) != want.String() {
		t.Errorf("keepalived's stats:\n%s\nours:\n%s", got, want.String())
	}
	st := val.Stats()
	if st.AdvertRcvd < 3 || st.AuthFailure != 1 || st.IPTTLErr != 1 || st.AddrListErr != 2 || st.PacketLenErr != 1 {
		t.Errorf("the forged packets did not reach their checks: %+v", st)
	}
}
