//go:build linux

package vrrp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

var netnsSeq atomic.Int64

// requireNetns skips unless the test can create network namespaces and run
// the tools named.
func requireNetns(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s in PATH: %v", tool, err)
		}
	}
}

// uniqueName returns a name no other test run uses: gkv + pid + sequence.
func uniqueName(kind string) string {
	return fmt.Sprintf("gkv%s%d-%d", kind, os.Getpid(), netnsSeq.Add(1))
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// scratchNetns makes an empty named network namespace that is removed when
// the test ends, and a netlink handle inside it.
func scratchNetns(t *testing.T) (string, *netlink.Handle) {
	t.Helper()
	name := uniqueName("ns")
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	return name, h
}

// runInNetns runs f on an OS thread that has joined the named namespace.
func runInNetns(t *testing.T, name string, f func()) {
	t.Helper()
	done := make(chan struct{})
	var ferr error
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// The thread is left locked so the runtime discards it afterwards
		// instead of reusing a thread in a foreign namespace.
		ns, err := netns.GetFromName(name)
		if err != nil {
			ferr = err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			ferr = err
			return
		}
		f()
	}()
	<-done
	if ferr != nil {
		t.Fatalf("join netns %s: %v", name, ferr)
	}
}

// topology is scripts/netns-topology.sh's layout: PREFIX-br holds the
// bridge, PREFIX-HOST each host, host i has eth0 with 10.99.0.i/24,
// fd99::i/64 and MAC 02:00:00:00:00:0i.
type topology struct {
	prefix string
	hosts  []string
}

func (tp *topology) ns(host string) string { return tp.prefix + "-" + host }

func topologyScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../scripts/netns-topology.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newTopology brings up the hosts on one bridge and removes everything when
// the test ends.
func newTopology(t *testing.T, hosts ...string) *topology {
	t.Helper()
	requireNetns(t)
	tp := &topology{prefix: uniqueName("t"), hosts: hosts}
	script := topologyScript(t)
	down := func() { _ = exec.Command(script, append([]string{"down", tp.prefix}, hosts...)...).Run() }
	t.Cleanup(down)
	if out, err := exec.Command(script, append([]string{"up", tp.prefix}, hosts...)...).CombinedOutput(); err != nil {
		down()
		t.Fatalf("netns-topology.sh up: %v\n%s", err, out)
	}
	return tp
}

// exec runs a command in one host's namespace.
func (tp *topology) exec(t *testing.T, host string, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "netns", "exec", tp.ns(host)}, args...)...)
}
