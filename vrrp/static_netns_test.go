//go:build linux

package vrrp

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// staticNodeEnv names the configuration file when this test binary is
// re-executed as a node for the static / -V tests; staticNodeVEnv=1 runs
// it with -V.
const (
	staticNodeEnv  = "GKV_VRRP_TEST_STATIC_NODE_CONF"
	staticNodeVEnv = "GKV_VRRP_TEST_STATIC_NODE_V"
)

func init() {
	if conf := os.Getenv(staticNodeEnv); conf != "" {
		os.Exit(runReloadingNode(conf, os.Getenv(staticNodeVEnv) == "1"))
	}
}

// runReloadingNode runs a Node on path in the current network namespace,
// reloads the file on SIGHUP and stops on SIGTERM; dontRelease is -V.
// The netns tests re-execute the test binary into it.
func runReloadingNode(path string, dontRelease bool) int {
	log := slog.New(kaTimeHandler{os.Stderr})
	load := func() *parser.Config {
		res := parser.Load(path, parser.Options{})
		if res.Config == nil || res.ExitCode(false) != 0 {
			log.Error("configuration rejected", "diagnostics", res.Diagnostics)
			return nil
		}
		return res.Config
	}
	cfg := load()
	if cfg == nil {
		return 1
	}
	nc, edges, err := NewLinuxNodeConfig(cfg, log)
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	defer edges.Close()
	nc.LogDetail = true
	nc.DontReleaseVRRP = dontRelease
	n, err := NewNode(nc)
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if c := load(); c != nil {
				if err := n.Reload(c); err != nil {
					log.Error("reload failed: " + err.Error())
				} else {
					log.Info("reload applied")
				}
			}
		}
	}()
	if err := n.Run(ctx); err != nil {
		log.Error(err.Error())
		return 1
	}
	return 0
}

type staticNode struct {
	t       *testing.T
	ns      string
	conf    string
	logPath string
	p       *procHandle
	reloads int
}

func startStaticNode(t *testing.T, ns, dir, text string, dontRelease bool) *staticNode {
	t.Helper()
	sn := &staticNode{t: t, ns: ns, conf: filepath.Join(dir, "keepalived.conf"), logPath: filepath.Join(dir, "log")}
	sn.write(text)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{staticNodeEnv + "=" + sn.conf}
	if dontRelease {
		env = append(env, staticNodeVEnv+"=1")
	}
	sn.p = startProc(t, sn.logPath, env, "ip", "netns", "exec", ns, exe)
	t.Cleanup(func() {
		if sn.p.running() {
			_ = syscall.Kill(sn.p.cmd.Process.Pid, syscall.SIGKILL)
			<-sn.p.done
		}
	})
	return sn
}

func (sn *staticNode) write(text string) {
	if err := os.WriteFile(sn.conf, []byte(text), 0o644); err != nil {
		sn.t.Fatal(err)
	}
}

func (sn *staticNode) log() string { b, _ := os.ReadFile(sn.logPath); return string(b) }

func (sn *staticNode) reload(text string) {
	sn.t.Helper()
	sn.write(text)
	sn.reloads++
	_ = sn.p.cmd.Process.Signal(syscall.SIGHUP)
	if waitFor(3*time.Second, func() bool { return strings.Count(sn.log(), "reload applied") == sn.reloads }) < 0 {
		sn.t.Fatalf("reload %d not applied:\n%s", sn.reloads, logTail(sn.log(), 20))
	}
}

func (sn *staticNode) stop() {
	sn.t.Helper()
	_ = sn.p.cmd.Process.Signal(syscall.SIGTERM)
	sn.p.wait(sn.t, 10*time.Second)
}

// nsShow runs `ip ARGS` in the namespace and returns its output.
func nsShow(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "-n", ns}, args...)...)
}

func staticConf(addr string, table int) string {
	return "static_ipaddress {\n " + addr + " dev eth0\n}\n" +
		"static_routes {\n 10.77.0.0/16 via 10.99.0.254 dev eth0\n}\n" +
		"static_rules {\n from 10.77.0.0/16 table " + itoa(table) + " priority 200\n}\n" +
		"vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n" +
		" advert_int 0.1\n version 3\n virtual_ipaddress {\n  10.99.0.100\n }\n" +
		" virtual_routes {\n  10.66.0.0/16 via 10.99.0.254 dev eth0\n }\n}\n"
}

// TestNetnsStatics: a real Node installs its static address (already
// present: it becomes ours), route and rule at start; an identical reload produces no netlink event at all
// (`ip monitor address route rule` stays silent); a changed one replaces
// the address and the rule and leaves the route; shutdown removes them.
func TestNetnsStatics(t *testing.T) {
	requireNetns(t)
	tp := newTopology(t, "lb1")
	ns := tp.ns("lb1")
	dir := t.TempDir()
	// Already there, as after a crash: keepalived takes it as its own.
	run(t, "ip", "-n", ns, "addr", "add", "192.168.77.1/24", "dev", "eth0")
	sn := startStaticNode(t, ns, dir, staticConf("192.168.77.1/24", 100), false)
	has := func(out, s string) bool { return strings.Contains(out, s) }
	if waitFor(5*time.Second, func() bool {
		return has(nsShow(t, ns, "addr", "show", "dev", "eth0"), "10.99.0.100/32") &&
			has(nsShow(t, ns, "addr", "show", "dev", "eth0"), "192.168.77.1/24")
	}) < 0 {
		t.Fatalf("no static address or VIP:\n%s", logTail(sn.log(), 20))
	}
	if r := nsShow(t, ns, "route", "show"); !has(r, "10.77.0.0/16 via 10.99.0.254 dev eth0") {
		t.Errorf("no static route:\n%s", r)
	}
	if r := nsShow(t, ns, "rule", "show"); !has(r, "200:\tfrom 10.77.0.0/16 lookup 100") {
		t.Errorf("no static rule:\n%s", r)
	}

	monPath := filepath.Join(dir, "monitor")
	mon := startProc(t, monPath, nil, "ip", "-n", ns, "monitor", "address", "route", "rule")
	t.Cleanup(func() {
		if mon.running() {
			_ = syscall.Kill(mon.cmd.Process.Pid, syscall.SIGKILL)
			<-mon.done
		}
	})
	monitor := func() string { b, _ := os.ReadFile(monPath); return string(b) }
	time.Sleep(300 * time.Millisecond)
	sn.reload(staticConf("192.168.77.1/24", 100))
	time.Sleep(500 * time.Millisecond)
	if m := monitor(); m != "" {
		t.Errorf("netlink events on an identical reload:\n%s", m)
	}

	sn.reload(staticConf("192.168.78.1/24", 101))
	if waitFor(2*time.Second, func() bool { return has(nsShow(t, ns, "addr", "show", "dev", "eth0"), "192.168.78.1/24") }) < 0 {
		t.Fatalf("new static address missing:\n%s", logTail(sn.log(), 20))
	}
	time.Sleep(200 * time.Millisecond)
	if a := nsShow(t, ns, "addr", "show", "dev", "eth0"); has(a, "192.168.77.1/24") || !has(a, "10.99.0.100/32") {
		t.Errorf("addresses after the reload:\n%s", a)
	}
	if r := nsShow(t, ns, "rule", "show"); has(r, "lookup 100") || !has(r, "200:\tfrom 10.77.0.0/16 lookup 101") {
		t.Errorf("rules after the reload:\n%s", r)
	}
	if m := monitor(); has(m, "10.77.0.0/16 via") {
		t.Errorf("the unchanged static route was touched:\n%s", m)
	}

	sn.stop()
	if a := nsShow(t, ns, "addr", "show", "dev", "eth0"); has(a, "192.168.78.1") || has(a, "10.99.0.100") {
		t.Errorf("addresses left after shutdown:\n%s", a)
	}
	if r := nsShow(t, ns, "route", "show"); has(r, "10.77.0.0/16") || has(r, "10.66.0.0/16") {
		t.Errorf("routes left after shutdown:\n%s", r)
	}
	if r := nsShow(t, ns, "rule", "show"); has(r, "10.77.0.0/16") {
		t.Errorf("rules left after shutdown:\n%s", r)
	}
}

// TestNetnsDontRelease: with -V a real MASTER's shutdown leaves its VIP and
// virtual route and logs no priority-0 advert, while the static address
// still goes.
func TestNetnsDontRelease(t *testing.T) {
	requireNetns(t)
	tp := newTopology(t, "lb1")
	ns := tp.ns("lb1")
	sn := startStaticNode(t, ns, t.TempDir(), staticConf("192.168.77.1/24", 100), true)
	if waitFor(5*time.Second, func() bool {
		return strings.Contains(nsShow(t, ns, "route", "show"), "10.66.0.0/16")
	}) < 0 {
		t.Fatalf("never MASTER with its virtual route:\n%s", logTail(sn.log(), 20))
	}
	sn.stop()
	a := nsShow(t, ns, "addr", "show", "dev", "eth0")
	if !strings.Contains(a, "10.99.0.100/32") || strings.Contains(a, "192.168.77.1") {
		t.Errorf("addresses after a -V shutdown (want the VIP, not the static one):\n%s", a)
	}
	if r := nsShow(t, ns, "route", "show"); !strings.Contains(r, "10.66.0.0/16") || strings.Contains(r, "10.77.0.0/16") {
		t.Errorf("routes after a -V shutdown (want the virtual route, not the static one):\n%s", r)
	}
	if l := sn.log(); strings.Contains(l, "sent 0 priority") || !strings.Contains(l, "Entering MASTER STATE") {
		t.Errorf("log:\n%s", logTail(l, 20))
	}
}
