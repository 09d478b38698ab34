//go:build linux

package vrrp

import (
	"bufio"
	"bytes"
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
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// vrrpDaemon is one VRRP node process in a host namespace: real keepalived
// or gokeepalived (this test binary re-executed as a node).
type vrrpDaemon interface {
	Start(t *testing.T)
	// Term sends SIGTERM; Wait waits for the node to exit.
	Term(t *testing.T)
	Wait(t *testing.T)
	// Crash kills the node without letting it resign (SIGKILL of every
	// process it has, parent frozen first).
	Crash(t *testing.T)
	Kind() string
	Log() string
}

// procHandle is a started process and its exit.
type procHandle struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(t *testing.T, logPath string, env []string, args ...string) *procHandle {
	t.Helper()
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	// No Pdeathsig: it fires when the creating OS thread exits, and the
	// namespace threads of these tests do exit. t.Cleanup kills instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		t.Fatalf("start %s: %v", strings.Join(args, " "), err)
	}
	p := &procHandle{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); lf.Close(); close(p.done) }()
	return p
}

func (p *procHandle) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *procHandle) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Errorf("process %d did not exit within %v", p.cmd.Process.Pid, d)
	}
}

// keepalivedDaemon runs keepalived 2.2.7 VRRP-only in the foreground with
// private pid files, as testing.md says.
type keepalivedDaemon struct {
	ns, dir, conf string
	p             *procHandle
}

func newKeepalived(t *testing.T, ns, conf string) *keepalivedDaemon {
	t.Helper()
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Skip("keepalived is not installed")
	}
	dir := t.TempDir()
	d := &keepalivedDaemon{ns: ns, dir: dir, conf: filepath.Join(dir, "keepalived.conf")}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.kill() })
	return d
}

func (d *keepalivedDaemon) Kind() string { return "keepalived" }

func (d *keepalivedDaemon) Start(t *testing.T) {
	t.Helper()
	for _, f := range []string{"pid", "vrrp.pid", "check.pid"} {
		_ = os.Remove(filepath.Join(d.dir, f))
	}
	d.p = startProc(t, filepath.Join(d.dir, "log"), nil, "ip", "netns", "exec", d.ns,
		"keepalived", "-n", "-l", "-D", "-P", "-f", d.conf,
		"-p", filepath.Join(d.dir, "pid"), "-r", filepath.Join(d.dir, "vrrp.pid"), "-c", filepath.Join(d.dir, "check.pid"))
}

func (d *keepalivedDaemon) vrrpPid() int {
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(filepath.Join(d.dir, "vrrp.pid"))
		if err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

func (d *keepalivedDaemon) Term(t *testing.T) {
	t.Helper()
	_ = d.p.cmd.Process.Signal(syscall.SIGTERM)
}

func (d *keepalivedDaemon) Wait(t *testing.T) {
	t.Helper()
	d.p.wait(t, 10*time.Second)
}

func (d *keepalivedDaemon) Crash(t *testing.T) {
	t.Helper()
	parent := d.p.cmd.Process.Pid
	child := d.vrrpPid()
	_ = syscall.Kill(parent, syscall.SIGSTOP)
	if child > 0 {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(parent, syscall.SIGKILL)
	d.p.wait(t, 5*time.Second)
	// The VRRP child must be gone too before the test goes on. Its parent
	// is dead, so it may stay a zombie for a while: that counts as gone.
	for i := 0; child > 0 && i < 500 && processAlive(child); i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// processAlive tells whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

func (d *keepalivedDaemon) kill() {
	if d.p == nil || !d.p.running() {
		return
	}
	child := d.vrrpPid()
	_ = syscall.Kill(d.p.cmd.Process.Pid, syscall.SIGKILL)
	if child > 0 {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	<-d.p.done
}

func (d *keepalivedDaemon) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	return string(b)
}

// nsWatcher answers questions about one host namespace through a netlink
// handle opened in it.
type nsWatcher struct {
	h *netlink.Handle
}

func newNSWatcher(t *testing.T, ns string) *nsWatcher {
	t.Helper()
	n, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h, err := netlink.NewHandleAt(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return &nsWatcher{h: h}
}

func (w *nsWatcher) hasAddr(a netip.Addr) bool {
	fam := netlink.FAMILY_V4
	if a.Is6() {
		fam = netlink.FAMILY_V6
	}
	list, err := w.h.AddrList(nil, fam)
	if err != nil {
		return false
	}
	for _, x := range list {
		if x.IP.Equal(net.IP(a.AsSlice())) {
			return true
		}
	}
	return false
}

// neigh is the link-layer address the namespace has for a (empty if none
// or not reachable/stale/delay/probe/permanent).
func (w *nsWatcher) neigh(a netip.Addr) string {
	fam := netlink.FAMILY_V4
	if a.Is6() {
		fam = netlink.FAMILY_V6
	}
	list, err := w.h.NeighList(0, fam)
	if err != nil {
		return ""
	}
	for _, n := range list {
		if n.IP.Equal(net.IP(a.AsSlice())) && n.HardwareAddr != nil {
			return n.HardwareAddr.String()
		}
	}
	return ""
}

// waitFor polls cond every 2 ms until it holds or d passes; it returns the
// time it took, or -1.
func waitFor(d time.Duration, cond func() bool) time.Duration {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > d {
			return -1
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// nsThread runs functions on one OS thread that lives in a namespace, so
// sockets made there belong to it.
type nsThread struct {
	work chan func()
}

func newNSThread(t *testing.T, ns string) *nsThread {
	t.Helper()
	n := &nsThread{work: make(chan func())}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread dies with this goroutine.
		h, err := netns.GetFromName(ns)
		if err == nil {
			err = netns.Set(h)
			h.Close()
		}
		ready <- err
		if err != nil {
			return
		}
		for f := range n.work {
			f()
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("thread in %s: %v", ns, err)
	}
	t.Cleanup(func() { close(n.work) })
	return n
}

func (n *nsThread) do(f func()) {
	done := make(chan struct{})
	n.work <- func() { f(); close(done) }
	<-done
}

// serveName listens on port in a namespace (all addresses, both families)
// and answers each connection with name.
func serveName(t *testing.T, th *nsThread, port int, name string) {
	t.Helper()
	var ln net.Listener
	var err error
	th.do(func() { ln, err = net.Listen("tcp", ":"+strconv.Itoa(port)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(name + "\n"))
			c.Close()
		}
	}()
}

// askName connects from the client namespace to addr and returns what the
// server said ("" on failure).
func askName(th *nsThread, addr netip.AddrPort, timeout time.Duration) string {
	var c net.Conn
	var err error
	th.do(func() {
		// The socket is made here, in the namespace; the connect waits in
		// the poller.
		d := net.Dialer{Timeout: timeout}
		c, err = d.Dial("tcp", addr.String())
	})
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

// logTail keeps the last lines of a log for failure messages.
func logTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		fmt.Fprintln(&b, "    ", l)
	}
	return b.String()
}

var _ = sync.Mutex{}
