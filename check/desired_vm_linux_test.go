package check

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/vishvananda/netns"
)

// These tests need the IPVS test VM (scripts/vm sets GOKEEPALIVED_VM=1),
// where ipvsadm, iproute2 and keepalived are installed.

var vmSeq atomic.Int32

func vmNamespace(t *testing.T, prefix string) string {
	t.Helper()
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the IPVS test VM (GOKEEPALIVED_VM=1; run make vm-test)")
	}
	for _, tool := range []string{"ip", "ipvsadm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), vmSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	nsRun(t, name, "ip", "link", "set", "lo", "up")
	return name
}

func nsRun(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s in %s: %v: %s", strings.Join(args, " "), ns, err, out)
	}
	return string(out)
}

// applyConfig puts Desired(conf, InitialHealth) into the namespace's table.
func applyConfig(t *testing.T, ns, conf string) *ipvs.Report {
	return applyConfigHealth(t, ns, conf, InitialHealth{})
}

func applyConfigHealth(t *testing.T, ns, conf string, h Health) *ipvs.Report {
	t.Helper()
	k, err := ipvs.Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	want := Desired(load(t, conf), h)
	rep, err := ipvs.NewReconciler(k, nil).Sync(context.Background(), &want.Table)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVMDesiredLVSDR(t *testing.T) {
	ns := vmNamespace(t, "gkdr")
	rep := applyConfig(t, ns, lvsDR)
	if len(rep.Ops) != 3 {
		t.Errorf("%d operations, want add-service and two add-dest: %v", len(rep.Ops), rep.Ops)
	}
	got := nsRun(t, ns, "ipvsadm", "-Ln")
	// lvs.md §11, trailing blanks included.
	want := "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  172.16.0.248:80 wrr\n" +
		"  -> 172.20.0.151:80              Route   1      0          0         \n" +
		"  -> 172.20.0.152:80              Route   1      0          0         \n"
	if got != want {
		t.Errorf("ipvsadm -Ln:\n%q\nwant:\n%q", got, want)
	}
}

// listenIn opens a TCP listener inside a network namespace (the socket
// stays there after the thread returns to its own namespace) and accepts
// and closes connections until the test ends.
func listenIn(t *testing.T, ns, addr string) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		t.Fatal(err)
	}
	l, lerr := net.Listen("tcp", addr)
	if err := netns.Set(orig); err != nil {
		t.Fatalf("cannot return to the original namespace: %v", err)
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// sideBySide are configurations for which keepalived's checker and
// gokeepalived must produce the same table once the checks pass. Real
// servers 10.0.1.1 and 10.0.1.2 (and 2001:db8:1::1) listen on port 80 in
// keepalived's namespace, so TCP_CHECKs pass.
var sideBySide = map[string]string{
	"lvs-dr": `
virtual_server 172.16.0.248 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.0.1.1 80 {
        weight 1
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 10.0.1.2 80 {
        weight 1
        TCP_CHECK { connect_timeout 1 }
    }
}`,
	"fwmark-group-persistence": `
virtual_server_group web {
    10.0.0.1-3 80
    192.168.202.8/30 443
    fwmark 5
}
virtual_server group web {
    protocol TCP
    lb_algo sh
    sh-port
    sh-fallback
    lb_kind DR
    persistence_timeout 30
    persistence_granularity 255.255.255.0
    real_server 10.0.1.1 80 { TCP_CHECK { connect_timeout 1 } }
    real_server 10.0.1.2 8080 { lvs_method NAT }
}
virtual_server fwmark 9 {
    lb_algo mh
    mh-port
    lb_kind DR
    real_server 10.0.1.1 80 { weight 3 }
}`,
	"ipv6-udp-ops-tun": `
virtual_server 2001:db8::1 53 {
    protocol UDP
    ops
    lb_algo rr
    real_server 2001:db8:1::1 53 {
        uthreshold 100
        lthreshold 10
    }
    real_server 10.0.1.7 53 { lvs_method TUN type gue port 6080 csum }
}
virtual_server 2001:db8::2 443 {
    protocol TCP
    persistence_timeout 600
    persistence_granularity 64
    real_server 2001:db8:1::1 443 { weight 70000 }
}`,
	"failing-checks": `
virtual_server 10.0.0.1 81 {
    delay_loop 1
    protocol TCP
    lb_kind NAT
    real_server 10.0.1.1 81 {
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 10.0.1.2 81 {
        inhibit_on_failure
        TCP_CHECK { connect_timeout 1 }
    }
    real_server 10.0.1.2 80 {
        TCP_CHECK { connect_timeout 1 }
    }
}`,
	"inhibit-sorry-quorum": `
virtual_server 10.0.0.1 80 {
    protocol TCP
    lb_kind DR
    quorum 3
    hysteresis 2
    sorry_server 10.0.9.9 80
    real_server 10.0.1.1 80 { weight 2 }
    real_server 10.0.1.2 80 {
        inhibit_on_failure
        weight 1
    }
}
virtual_server 10.0.0.2 80 {
    protocol TCP
    inhibit_on_failure
    sorry_server 10.0.9.8 80
    sorry_server_inhibit
    real_server 10.0.1.1 80 { TCP_CHECK { connect_timeout 1 } }
    real_server 10.0.1.2 80 { alpha }
}`,
}

// TestVMSideBySideKeepalived runs keepalived's checker and gokeepalived on
// the same configuration, each in its own namespace, and compares their
// `ipvsadm -Ln` once keepalived's table has settled.
func TestVMSideBySideKeepalived(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the IPVS test VM (GOKEEPALIVED_VM=1; run make vm-test)")
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Skip("keepalived is not installed in this VM image")
	}
	for name, conf := range sideBySide {
		h := Health(InitialHealth{})
		if name == "failing-checks" {
			// What the checkers conclude: nothing listens on port 81.
			h = health{dead: map[string]bool{"10.0.1.1:81": true, "10.0.1.2:81": true}}
		}
		t.Run(name, func(t *testing.T) {
			ka := vmNamespace(t, "gkka")
			ours := vmNamespace(t, "gkours")
			nsRun(t, ka, "ip", "link", "add", "rs0", "type", "dummy")
			nsRun(t, ka, "ip", "link", "set", "rs0", "up")
			for _, a := range []string{"10.0.1.1/24", "10.0.1.2/24"} {
				nsRun(t, ka, "ip", "addr", "add", a, "dev", "rs0")
			}
			nsRun(t, ka, "ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "rs0", "nodad")
			for _, a := range []string{"10.0.1.1:80", "10.0.1.2:80", "10.0.1.2:8080", "[2001:db8:1::1]:80"} {
				listenIn(t, ka, a)
			}

			applyConfigHealth(t, ours, conf, h)
			want := nsRun(t, ours, "ipvsadm", "-Ln")
			if !strings.Contains(want, "  -> ") {
				t.Fatalf("gokeepalived's table has no destination:\n%s", want)
			}
			ourTable := dumpNS(t, ours)

			got, kaTable, log := runKeepalived(t, ka, conf, want)
			if got != want {
				t.Errorf("keepalived's table:\n%s\ngokeepalived's:\n%s\nkeepalived's log:\n%s", got, want, log)
			}
			// The fields ipvsadm does not show (tunnel type, port and
			// checksum, address family of destinations) must agree too.
			if a, b := fmt.Sprintf("%+v", kaTable), fmt.Sprintf("%+v", ourTable); a != b {
				t.Errorf("netlink view differs:\nkeepalived   %s\ngokeepalived %s", a, b)
			}
		})
	}
}

// dumpNS reads a namespace's table with our driver, as comparable text.
func dumpNS(t *testing.T, ns string) []string {
	t.Helper()
	k, err := ipvs.Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	tab, err := k.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range tab.Normalize().Services {
		s.Label = ""
		out = append(out, fmt.Sprintf("%+v", *s))
	}
	return out
}

// runKeepalived starts keepalived's checker process on conf in ns and
// returns `ipvsadm -Ln` as soon as it equals want, or after 20 s, the
// table as our driver reads it, and keepalived's log. keepalived is
// stopped (SIGTERM, its own pid only) before returning.
func runKeepalived(t *testing.T, ns, conf, want string) (string, []string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command("ip", "netns", "exec", ns, "keepalived", "-n", "-l", "-C", "-f", cfg,
		"-p", filepath.Join(dir, "k.pid"), "-c", filepath.Join(dir, "c.pid"), "-r", filepath.Join(dir, "v.pid"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err := exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-Ln").CombinedOutput()
		if err != nil {
			t.Fatalf("ipvsadm: %v: %s", err, out)
		}
		if got = string(out); got == want {
			// Stable: still the same a moment later (a failing check
			// would take a server out within a second or two).
			time.Sleep(2 * time.Second)
			out, _ := exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-Ln").CombinedOutput()
			if got = string(out); got == want {
				break
			}
		}
	}
	table := dumpNS(t, ns)
	stop()
	return got, table, log.String()
}
