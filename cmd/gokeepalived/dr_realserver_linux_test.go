//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// inNetns runs f on an OS thread that has entered the named network
// namespace. The thread is never handed back to the runtime (the goroutine
// ends while locked), so no other code runs in that namespace by accident.
func inNetns(ns string, f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

func needRootAndIP(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
}

func nsOutput(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns exec %s %q: %v\n%s", ns, args, err, out)
	}
	return string(out)
}

// TestDRRealServerInNetns runs start, status and stop against a real kernel
// in a fresh network namespace, and checks with ip and the sysctl files
// what they did.
func TestDRRealServerInNetns(t *testing.T) {
	needRootAndIP(t)
	ns := fmt.Sprintf("gkdr%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	nsOutput(t, ns, "ip", "link", "set", "lo", "up")
	// A fresh namespace has arp_announce 0 and arp_ignore 0; make one value
	// different so that stop's restore is visible.
	nsOutput(t, ns, "sh", "-c", "echo 1 >/proc/sys/net/ipv4/conf/all/arp_announce")
	sysctls := func() string {
		return strings.Join(strings.Fields(nsOutput(t, ns, "cat",
			"/proc/sys/net/ipv4/conf/all/arp_ignore", "/proc/sys/net/ipv4/conf/all/arp_announce",
			"/proc/sys/net/ipv4/conf/lo/arp_ignore", "/proc/sys/net/ipv4/conf/lo/arp_announce")), " ")
	}
	state := t.TempDir() + "/dr.json"
	run := func(args ...string) (code int, out string) {
		var o, e strings.Builder
		err := inNetns(ns, func() {
			code = drRealServerMain(append(args, "--state", state), &o, &e)
		})
		if err != nil {
			t.Fatal(err)
		}
		return code, o.String() + e.String()
	}

	if code, out := run("start", "--vip", "192.0.2.80", "--vip", "2001:db8::80"); code != 0 {
		t.Fatalf("start = %d:\n%s", code, out)
	}
	addrs := nsOutput(t, ns, "ip", "-o", "address", "show", "dev", "lo")
	if !strings.Contains(addrs, "inet 192.0.2.80/32") || !strings.Contains(addrs, "inet6 2001:db8::80/128") {
		t.Errorf("lo after start:\n%s", addrs)
	}
	if got := sysctls(); got != "1 2 1 2" {
		t.Errorf("sysctls after start: %s, want 1 2 1 2", got)
	}
	if code, out := run("status", "--vip", "192.0.2.80"); code != 0 || !strings.Contains(out, "ready: LVS-DR real server") {
		t.Errorf("status = %d:\n%s", code, out)
	}
	if code, out := run("stop", "--vip", "192.0.2.80", "--vip", "2001:db8::80"); code != 0 {
		t.Fatalf("stop = %d:\n%s", code, out)
	}
	addrs = nsOutput(t, ns, "ip", "-o", "address", "show", "dev", "lo")
	if strings.Contains(addrs, "192.0.2.80") || strings.Contains(addrs, "2001:db8::80") {
		t.Errorf("lo after stop:\n%s", addrs)
	}
	if got := sysctls(); got != "0 1 0 0" {
		t.Errorf("sysctls after stop: %s, want the values before start, 0 1 0 0", got)
	}
	if code, out := run("status", "--vip", "192.0.2.80"); code != drStatusNotReady {
		t.Errorf("status after stop = %d:\n%s", code, out)
	}
}
