//go:build linux

package vrrp

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reloadNodeEnv names the configuration file when this test binary is
// re-executed as a VRRP node that reloads it on SIGHUP.
const reloadNodeEnv = "GKV_VRRP_TEST_RELOAD_NODE_CONF"

func init() {
	// Before TestMain: the re-executed binary is a node, not a test run.
	if conf := os.Getenv(reloadNodeEnv); conf != "" {
		os.Exit(runReloadingNode(conf, false))
	}
}

// TestNetnsReloadKeepsVIP: a real Node, MASTER with its VIP, reloads an
// identical configuration: `ip monitor address` in its namespace records
// nothing and the VIP stays. A second reload adding a VIP shows the
// monitor does see changes: exactly that address appears.
func TestNetnsReloadKeepsVIP(t *testing.T) {
	requireNetns(t)
	tp := newTopology(t, "lb1")
	ns := tp.ns("lb1")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	text := func(vips ...string) string {
		return "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n" +
			" advert_int 0.1\n version 3\n virtual_ipaddress {\n  " + strings.Join(vips, "\n  ") + "\n }\n}\n"
	}
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(text("10.99.0.100"))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "log")
	node := startProc(t, logPath, []string{reloadNodeEnv + "=" + conf}, "ip", "netns", "exec", ns, exe)
	t.Cleanup(func() {
		if node.running() {
			_ = syscall.Kill(node.cmd.Process.Pid, syscall.SIGKILL)
			<-node.done
		}
	})
	nodeLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	w := newNSWatcher(t, ns)
	vip, vip2 := netip.MustParseAddr("10.99.0.100"), netip.MustParseAddr("10.99.0.101")
	if waitFor(5*time.Second, func() bool { return w.hasAddr(vip) }) < 0 {
		t.Fatalf("no VIP:\n%s", logTail(nodeLog(), 20))
	}

	monPath := filepath.Join(dir, "monitor")
	mon := startProc(t, monPath, nil, "ip", "-n", ns, "monitor", "address")
	t.Cleanup(func() {
		if mon.running() {
			_ = syscall.Kill(mon.cmd.Process.Pid, syscall.SIGKILL)
			<-mon.done
		}
	})
	monitor := func() string { b, _ := os.ReadFile(monPath); return string(b) }
	// ip monitor subscribes at once; give it a moment to be scheduled.
	time.Sleep(300 * time.Millisecond)

	reload := func(n int) {
		t.Helper()
		_ = node.cmd.Process.Signal(syscall.SIGHUP)
		if waitFor(3*time.Second, func() bool { return strings.Count(nodeLog(), "reload applied") == n }) < 0 {
			t.Fatalf("reload %d not applied:\n%s", n, logTail(nodeLog(), 20))
		}
	}
	reload(1)
	time.Sleep(500 * time.Millisecond)
	if m := monitor(); m != "" {
		t.Errorf("address events on an identical reload:\n%s", m)
	}
	if !w.hasAddr(vip) {
		t.Error("VIP gone after an identical reload")
	}
	if l := nodeLog(); strings.Contains(l[strings.Index(l, "reload applied"):], "Entering") {
		t.Errorf("state change:\n%s", logTail(nodeLog(), 20))
	}

	write(text("10.99.0.100", "10.99.0.101"))
	reload(2)
	if waitFor(2*time.Second, func() bool { return strings.Contains(monitor(), "10.99.0.101") }) < 0 {
		t.Fatalf("the monitor did not see the added VIP:\n%s", monitor())
	}
	time.Sleep(200 * time.Millisecond)
	// one event (ip prints its lifetimes on a second line)
	if m := monitor(); strings.Count(m, " inet") != 1 || strings.Contains(m, "Deleted") || strings.Contains(m, "10.99.0.100") {
		t.Errorf("address events adding one VIP:\n%s", m)
	}
	if !w.hasAddr(vip) || !w.hasAddr(vip2) {
		t.Error("VIPs missing after the second reload")
	}
	_ = node.cmd.Process.Signal(syscall.SIGTERM)
	node.wait(t, 10*time.Second)
	if w.hasAddr(vip) || w.hasAddr(vip2) {
		t.Error("VIPs left after shutdown")
	}
}
