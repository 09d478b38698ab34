//go:build linux

package vrrp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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
		})
	}
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
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(conf, []byte(`vrrp_instance VI_1 {
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
`), 0o644)
	b := openConn(t, p.b, ConnConfig{Interface: p.ifB})
	cmd := exec.Command("ip", "netns", "exec", p.a, "keepalived", "-n", "-l", "-D", "-P", "-f", conf,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	val := NewValidator(ValidatorConfig{Name: "VI_1", Version: 2, VRID: 51, Interval: time.Second,
		VIPs: addrs("10.99.0.100", "10.99.0.101"), AuthType: AuthPass, AuthData: PassAuthData("1111")})
	// The owner (priority 255, state MASTER) advertises at once.
	rx := receiveWithin(t, b, 5*time.Second)
	r := val.Check(rx, true)
	if r.Verdict != Accept || r.Advert().Priority != 255 {
		t.Fatalf("first advert: %v %q %+v\nkeepalived:\n%s", r.Verdict, r.Log, r.Advert(), log.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
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
}

// startKeepalived runs keepalived's VRRP process in namespace ns with conf
// and stops it (and only it) when the test ends.
func startKeepalived(t *testing.T, ns, conf string) *strings.Builder {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, "keepalived", "-n", "-l", "-D", "-P", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	log := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	return log
}

// TestKeepalivedAcceptsOurAdverts: a real keepalived backup accepts our
// higher-priority adverts (it stays BACKUP past its master down interval)
// and takes over on our priority-0 advert, for v2 PASS, v2 AH, v3 over
// IPv4 and v3 over IPv6.
func TestKeepalivedAcceptsOurAdverts(t *testing.T) {
	codecNeedRoot(t, "keepalived")
	cases := []struct {
		name, auth, version string
		ipv6                bool
	}{
		{name: "v2 PASS", auth: "authentication {\n auth_type PASS\n auth_pass secret12\n }", version: "2"},
		{name: "v2 AH", auth: "authentication {\n auth_type AH\n auth_pass secret12\n }", version: "2"},
		{name: "v3 IPv4", version: "3"},
		{name: "v3 IPv6", version: "3", ipv6: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newCodecPair(t)
			vips := addrs("10.99.0.100", "10.99.0.101")
			src := netip.MustParseAddr("10.99.0.2")
			if c.ipv6 {
				vips = addrs("fe80::1:100", "fd99::100")
				src = netip.MustParseAddr("fe80::ff:fe00:b")
			}
			var vipLines strings.Builder
			for _, v := range vips {
				vipLines.WriteString("        " + v.String() + "\n")
			}
			log := startKeepalived(t, p.a, `vrrp_instance VI_1 {
    state BACKUP
    interface `+p.ifA+`
    virtual_router_id 51
    priority 100
    advert_int 1
    version `+c.version+`
    `+c.auth+`
    virtual_ipaddress {
`+vipLines.String()+`    }
}
`)
			enc := EncoderConfig{Version: uint8(c.version[0] - '0'), VRID: 51, Interval: time.Second, Addrs: vips, Src: src}
			cc := ConnConfig{Interface: p.ifB, IPv6: c.ipv6, Src: src}
			switch {
			case strings.Contains(c.auth, "PASS"):
				enc.AuthType, enc.AuthData = AuthPass, PassAuthData("secret12")
			case strings.Contains(c.auth, "AH"):
				enc.AuthType, enc.AuthData = AuthAH, PassAuthData("secret12")
				cc.AH = true
			}
			conn := openConn(t, p.b, cc)
			e, err := NewEncoder(enc)
			if err != nil {
				t.Fatal(err)
			}
			send := func(prio uint8) {
				dgs, err := e.Build(prio)
				if err != nil {
					t.Fatal(err)
				}
				for _, dg := range dgs {
					if err := conn.Send(dg); err != nil {
						t.Fatal(err)
					}
				}
			}
			// keepalived's backup would take over 3·1 s + skew (0.61 s)
			// after start without valid adverts; 4.2 s of ours at 0.2 s
			// intervals must keep it quiet.
			ctx, cancel := context.WithTimeout(context.Background(), 4200*time.Millisecond)
			defer cancel()
			heard := make(chan Received, 1)
			go func() {
				if rx, err := conn.Receive(ctx); err == nil {
					heard <- rx
				}
			}()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
		loop:
			for {
				send(200)
				select {
				case rx := <-heard:
					t.Fatalf("keepalived advertised (%d bytes) although we are master: it refused our adverts\n%s", len(rx.Data), log)
				case <-ctx.Done():
					break loop
				case <-tick.C:
				}
			}
			if strings.Contains(log.String(), "Entering MASTER STATE") {
				t.Fatalf("keepalived became master:\n%s", log)
			}
			// Our resignation: keepalived takes over after its skew time.
			send(PriorityStop)
			val := NewValidator(ValidatorConfig{Name: "ka", IPv6: c.ipv6, Version: enc.Version, VRID: 51, Interval: time.Second,
				AuthType: enc.AuthType, AuthData: enc.AuthData, VIPs: vips})
			rx := receiveWithin(t, conn, 3*time.Second)
			if r := val.Check(rx, true); r.Verdict != Accept || r.Advert().Priority != 100 {
				t.Fatalf("keepalived's advert after our priority 0: %v %q\n%s", r.Verdict, r.Log, log)
			}
		})
	}
}
