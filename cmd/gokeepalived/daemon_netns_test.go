package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemonNode is gokeepalived running as a daemon (-n) in a network
// namespace of its own, with its pid files and dumps in a private directory.
type daemonNode struct {
	t    *testing.T
	ns   string
	dir  string
	conf string
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemonBinary is the gokeepalived to run: the VM has one installed, the
// host builds one.
func daemonBinary(t *testing.T) string {
	if os.Getenv("GOKEEPALIVED_VM") == "1" {
		return "/usr/local/sbin/gokeepalived"
	}
	return buildBinary(t)
}

// newDaemonNamespace makes a namespace holding eth0 (a veth whose peer
// stays inside too) with 10.77.0.1/24, removed when the test ends.
func newDaemonNamespace(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("gkd%d", os.Getpid()%100000)
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s-%d", ns, i)
		if _, err := os.Stat("/run/netns/" + name); os.IsNotExist(err) {
			ns = name
			break
		}
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	run("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "p0")
	run("-n", ns, "link", "set", "lo", "up")
	run("-n", ns, "link", "set", "p0", "up")
	run("-n", ns, "link", "set", "eth0", "up")
	run("-n", ns, "addr", "add", "10.77.0.1/24", "dev", "eth0")
	return ns
}

const daemonTestConf = `global_defs {
    router_id gkd
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 77
    version 3
    priority %d
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.100/24 dev eth0 label eth0:vip
    }
}
%s`

func startDaemon(t *testing.T, bin, ns, conf string, extra ...string) *daemonNode {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &daemonNode{t: t, ns: ns, dir: dir, conf: path, log: &lockedBuffer{}, done: make(chan struct{})}
	args := append([]string{"netns", "exec", ns, bin, "-n", "-l", "-G", "-D", "-f", path,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"),
		"-c", filepath.Join(dir, "checkers.pid")}, extra...)
	n.cmd = exec.Command("ip", args...)
	n.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		select {
		case <-n.done:
		default:
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", n.log.String())
		}
	})
	return n
}

func (n *daemonNode) pid(file string) int {
	pid, err := readPidFile(filepath.Join(n.dir, file))
	if err != nil {
		return 0
	}
	return pid
}

func (n *daemonNode) hasVIP() bool {
	out, _ := exec.Command("ip", "-n", n.ns, "-o", "addr", "show", "dev", "eth0").Output()
	return strings.Contains(string(out), "10.77.0.100/24")
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *daemonNode) signal(sig syscall.Signal) {
	n.t.Helper()
	pid := n.pid("keepalived.pid")
	if pid == 0 {
		n.t.Fatal("no parent pid file")
	}
	if err := syscall.Kill(pid, sig); err != nil {
		n.t.Fatal(err)
	}
}

func (n *daemonNode) count(s string) int { return strings.Count(n.log.String(), s) }

func needDaemonNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2's ip is not installed")
	}
}

// TestDaemonLifecycle runs the VRRP side as keepalived's daemon: pid files,
// reloads (identical, invalid, changed), a killed VRRP child and SIGTERM.
func TestDaemonLifecycle(t *testing.T) {
	needDaemonNetns(t)
	bin := daemonBinary(t)
	ns := newDaemonNamespace(t)
	n := startDaemon(t, bin, ns, fmt.Sprintf(daemonTestConf, 100, ""))

	waitFor(t, "the VIP on the master", 10*time.Second, n.hasVIP)
	parent, child := n.pid("keepalived.pid"), n.pid("vrrp.pid")
	if parent == 0 || child == 0 || parent == child {
		t.Fatalf("pid files: parent %d, VRRP child %d", parent, child)
	}
	if _, err := os.Stat(filepath.Join(n.dir, "checkers.pid")); !os.IsNotExist(err) {
		t.Error("a checker pid file without any virtual_server")
	}

	t.Run("identical reload changes nothing", func(t *testing.T) {
		mon := exec.Command("ip", "-n", ns, "-4", "monitor", "address")
		var events lockedBuffer
		mon.Stdout = &events
		if err := mon.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = mon.Process.Kill(); _ = mon.Wait() }()
		time.Sleep(200 * time.Millisecond) // let the monitor subscribe
		entering := n.count("Entering")
		n.signal(syscall.SIGHUP)
		waitFor(t, "the reload", 5*time.Second, func() bool { return n.count("Reload finished") >= 1 })
		time.Sleep(time.Second)
		if e := events.String(); e != "" {
			t.Errorf("netlink address events during an identical reload:\n%s", e)
		}
		if !n.hasVIP() || n.count("Entering") != entering {
			t.Errorf("state changed on an identical reload (VIP present: %v)", n.hasVIP())
		}
	})

	t.Run("invalid configuration is refused", func(t *testing.T) {
		good, err := os.ReadFile(n.conf)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(n.conf, []byte("vrrp_instance VI_1 {\n    virtual_router_id\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		n.signal(syscall.SIGHUP)
		waitFor(t, "the refusal", 5*time.Second, func() bool { return n.count("keeping the running one") >= 1 })
		if !n.hasVIP() || n.pid("vrrp.pid") != child {
			t.Error("an invalid reload disturbed the running node")
		}
		if err := os.WriteFile(n.conf, good, 0o644); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("changed priority is applied", func(t *testing.T) {
		if err := os.WriteFile(n.conf, []byte(fmt.Sprintf(daemonTestConf, 150, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		before := n.count("Reload finished")
		n.signal(syscall.SIGHUP)
		waitFor(t, "the reload", 5*time.Second, func() bool { return n.count("Reload finished") > before || n.count("Reload failed") > 0 })
		if n.count("Reload failed") > 0 {
			t.Fatalf("reload with a changed priority failed")
		}
		n.signal(syscall.SIGUSR1)
		data := filepath.Join(n.dir, "keepalived.data")
		waitFor(t, "the data dump", 5*time.Second, func() bool {
			b, _ := os.ReadFile(data)
			return strings.Contains(string(b), "Effective priority = 150")
		})
		if !n.hasVIP() {
			t.Error("the VIP left during the reload")
		}
	})

	t.Run("killed VRRP child is respawned", func(t *testing.T) {
		if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a new VRRP child", 5*time.Second, func() bool {
			p := n.pid("vrrp.pid")
			return p != 0 && p != child
		})
		if n.count(fmt.Sprintf("VRRP child process(%d) died: Respawning", child)) != 1 {
			t.Error("no respawn line in the log")
		}
		waitFor(t, "the VIP back on the master", 10*time.Second, n.hasVIP)
	})

	t.Run("SIGTERM removes the VIP and exits", func(t *testing.T) {
		start := time.Now()
		n.signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(2 * time.Second):
			t.Fatal("still running 2 s after SIGTERM")
		}
		t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
		if n.hasVIP() {
			t.Error("VIP left on the interface")
		}
		for _, f := range []string{"keepalived.pid", "vrrp.pid"} {
			if _, err := os.Stat(filepath.Join(n.dir, f)); !os.IsNotExist(err) {
				t.Errorf("%s left behind", f)
			}
		}
	})
}

// TestVMDaemonPidFiles runs both children, which needs IPVS: the test VM.
func TestVMDaemonPidFiles(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("skipped: the checker child needs IPVS, which only the test VM has (make vm-test VM_PKGS=./cmd/gokeepalived)")
	}
	needDaemonNetns(t)
	ns := newDaemonNamespace(t)
	vs := `virtual_server 10.77.0.100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.77.0.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`
	n := startDaemon(t, daemonBinary(t), ns, fmt.Sprintf(daemonTestConf, 100, vs))
	waitFor(t, "three pid files", 10*time.Second, func() bool {
		return n.pid("keepalived.pid") != 0 && n.pid("vrrp.pid") != 0 && n.pid("checkers.pid") != 0
	})
	waitFor(t, "Startup complete", 10*time.Second, func() bool { return n.count("Startup complete") == 1 })
	out, err := exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-Ln").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "TCP  10.77.0.100:80 wrr") {
		t.Errorf("ipvsadm -Ln: %v\n%s", err, out)
	}
	n.signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGTERM")
	}
	for _, f := range []string{"keepalived.pid", "vrrp.pid", "checkers.pid"} {
		if _, err := os.Stat(filepath.Join(n.dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind", f)
		}
	}
	out, _ = exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-Ln").CombinedOutput()
	if strings.Contains(string(out), "10.77.0.100:80") {
		t.Errorf("virtual server left in IPVS after SIGTERM:\n%s", out)
	}
}
