package main

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDaemonDontReleaseVRRP runs the daemon with -V and a static address:
// SIGTERM leaves the master's VIP on the interface (and logs no
// priority-0 advert) but removes the static address, which goes even
// with -V.
func TestDaemonDontReleaseVRRP(t *testing.T) {
	needDaemonNetns(t)
	bin := daemonBinary(t)
	ns := newDaemonNamespace(t)
	conf := fmt.Sprintf(daemonTestConf, 100, "static_ipaddress {\n    192.168.79.1/24 dev eth0\n}\n")
	n := startDaemon(t, bin, ns, conf, "-V")
	addrs := func() string {
		out, _ := exec.Command("ip", "-n", ns, "-o", "addr", "show", "dev", "eth0").Output()
		return string(out)
	}
	waitFor(t, "the VIP and the static address", 10*time.Second, func() bool {
		return n.hasVIP() && strings.Contains(addrs(), "192.168.79.1/24")
	})
	before := len(n.log.String())
	n.signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	if !n.hasVIP() {
		t.Error("-V: the VIP was removed at shutdown")
	}
	if strings.Contains(addrs(), "192.168.79.1") {
		t.Error("-V: the static address was kept at shutdown")
	}
	if l := n.log.String()[before:]; strings.Contains(l, "sent 0 priority") || strings.Contains(l, "removing VIPs") {
		t.Errorf("-V: the log tells of a release:\n%s", l)
	}
}
