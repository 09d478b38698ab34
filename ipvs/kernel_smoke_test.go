//go:build linux && amd64

package ipvs

// Smoke tests of the VM harness (scripts/vm): they need the VM's IPVS kernel
// and run only there (GOKEEPALIVED_VM=1). They drive the kernel with the
// real ipvsadm and iproute2 only, so they prove the harness, not this
// package's code. The VM is x86-64 only, hence the build constraint.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func vmSmokeOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("runs only in the test VM (make vm-test sets GOKEEPALIVED_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the test VM runs tests as root; euid is not 0")
	}
}

// vmSmokeRun runs a command that must succeed and returns its output.
func vmSmokeRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// vmSmokeFields finds the line of `ipvsadm -Ln` output whose leading fields
// are want, and returns all its fields.
func vmSmokeFields(listing string, want ...string) []string {
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		if len(f) < len(want) {
			continue
		}
		match := true
		for i, w := range want {
			if f[i] != w {
				match = false
				break
			}
		}
		if match {
			return f
		}
	}
	return nil
}

func TestVMSmokeIPVSAdm(t *testing.T) {
	vmSmokeOnly(t)
	const vip = "10.0.0.1:80"
	list := vmSmokeRun(t, "ipvsadm", "-Ln")
	if !strings.HasPrefix(list, "IP Virtual Server version ") {
		t.Fatalf("ipvsadm -Ln does not start with the IPVS version line:\n%s", list)
	}
	if vmSmokeFields(list, "TCP", vip) != nil {
		t.Fatalf("service %s exists before the test (an earlier test left it):\n%s", vip, list)
	}

	vmSmokeRun(t, "ipvsadm", "-A", "-t", vip, "-s", "wrr")
	t.Cleanup(func() {
		// Remove everything the test added, also when it failed.
		exec.Command("ipvsadm", "-C").Run()
	})
	vmSmokeRun(t, "ipvsadm", "-a", "-t", vip, "-r", "10.0.0.2:80", "-g", "-w", "1")
	vmSmokeRun(t, "ipvsadm", "-a", "-t", vip, "-r", "10.0.0.3:8080", "-m", "-w", "3")

	list = vmSmokeRun(t, "ipvsadm", "-Ln")
	if f := vmSmokeFields(list, "TCP", vip); len(f) < 3 || f[2] != "wrr" {
		t.Errorf("service line = %q, want TCP %s wrr\n%s", f, vip, list)
	}
	if f := vmSmokeFields(list, "->", "10.0.0.2:80"); len(f) < 4 || f[2] != "Route" || f[3] != "1" {
		t.Errorf("real server line = %q, want -> 10.0.0.2:80 Route 1\n%s", f, list)
	}
	if f := vmSmokeFields(list, "->", "10.0.0.3:8080"); len(f) < 4 || f[2] != "Masq" || f[3] != "3" {
		t.Errorf("real server line = %q, want -> 10.0.0.3:8080 Masq 3\n%s", f, list)
	}

	vmSmokeRun(t, "ipvsadm", "-C")
	list = vmSmokeRun(t, "ipvsadm", "-Ln")
	if vmSmokeFields(list, "TCP", vip) != nil {
		t.Errorf("service %s still listed after ipvsadm -C:\n%s", vip, list)
	}
}

// TestVMSmokeNetnsNAT builds a network namespace with a veth leg, serves TCP
// inside it, and reaches that server through an IPVS NAT service from the
// VM's root namespace: namespaces, veth and IPVS forwarding all work.
func TestVMSmokeNetnsNAT(t *testing.T) {
	vmSmokeOnly(t)
	ns := fmt.Sprintf("vmsmoke%d", os.Getpid())
	hostIf, nsIf := "vsh"+ns[7:], "vsn"+ns[7:]
	const (
		hostAddr = "10.201.0.1"
		rsAddr   = "10.201.0.2"
		vip      = "10.201.1.1"
	)

	vmSmokeRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	vmSmokeRun(t, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", ns)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostIf).Run() })
	vmSmokeRun(t, "ip", "addr", "add", hostAddr+"/24", "dev", hostIf)
	vmSmokeRun(t, "ip", "link", "set", hostIf, "up")
	vmSmokeRun(t, "ip", "-n", ns, "addr", "add", rsAddr+"/24", "dev", nsIf)
	vmSmokeRun(t, "ip", "-n", ns, "link", "set", nsIf, "up")
	vmSmokeRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
	vmSmokeRun(t, "ip", "-n", ns, "route", "add", "default", "via", hostAddr)
	if out := vmSmokeRun(t, "ip", "-n", ns, "-o", "addr", "show", "dev", nsIf); !strings.Contains(out, rsAddr+"/24") {
		t.Fatalf("namespace %s lacks %s on %s:\n%s", ns, rsAddr, nsIf, out)
	}

	ln := vmSmokeListenIn(t, ns, "tcp4", rsAddr+":8080")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "served by %s\n", ns)
			c.Close()
		}
	}()

	// Directly over the veth first, then through IPVS.
	if got := vmSmokeGet(t, rsAddr+":8080"); got != "served by "+ns {
		t.Fatalf("direct connection to %s:8080 got %q", rsAddr, got)
	}
	vmSmokeRun(t, "ip", "addr", "add", vip+"/32", "dev", "lo")
	t.Cleanup(func() { exec.Command("ip", "addr", "del", vip+"/32", "dev", "lo").Run() })
	vmSmokeRun(t, "ipvsadm", "-A", "-t", vip+":80", "-s", "rr")
	t.Cleanup(func() { exec.Command("ipvsadm", "-D", "-t", vip+":80").Run() })
	vmSmokeRun(t, "ipvsadm", "-a", "-t", vip+":80", "-r", rsAddr+":8080", "-m")
	if got := vmSmokeGet(t, vip+":80"); got != "served by "+ns {
		t.Fatalf("connection to the virtual server %s:80 got %q", vip, got)
	}
	// The connection table shows the connection just made (the counters of
	// --stats lag: the kernel sums them every 2 s).
	conns := vmSmokeRun(t, "ipvsadm", "-Lnc")
	found := false
	for _, line := range strings.Split(conns, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "TCP" && f[4] == vip+":80" && f[5] == rsAddr+":8080" {
			found = true
		}
	}
	if !found {
		t.Errorf("IPVS connection table has no entry %s:80 -> %s:8080:\n%s", vip, rsAddr, conns)
	}
}

// vmSmokeListenIn opens a listener inside network namespace ns: the socket
// is created by a thread that has entered the namespace, and it stays there.
func vmSmokeListenIn(t *testing.T, ns, network, addr string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The thread is left locked (and so discarded when this goroutine
		// ends) because it may stay in the namespace if switching back fails.
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := vmSmokeSetns(target); err != nil {
			ch <- result{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		ln, err := net.Listen(network, addr)
		if err := vmSmokeSetns(self); err == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns, r.err)
	}
	t.Cleanup(func() { r.ln.Close() })
	return r.ln
}

// vmSmokeSysSetns is setns(2) on x86-64; package syscall does not name it.
const vmSmokeSysSetns = 308

func vmSmokeSetns(f *os.File) error {
	_, _, errno := syscall.RawSyscall(vmSmokeSysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// vmSmokeGet connects to addr and returns the first line it sends.
func vmSmokeGet(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && err != io.EOF {
		t.Fatalf("read from %s: %v", addr, err)
	}
	return strings.TrimSuffix(line, "\n")
}
