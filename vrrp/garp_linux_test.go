//go:build linux

package vrrp

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNARouterRecheck: the Router flag follows the interface's IPv6
// forwarding sysctl, re-read at most every 5 seconds.
func TestNARouterRecheck(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "proc/sys/net/ipv6/conf/eth9")
	os.MkdirAll(dir, 0o755)
	set := func(v string) { os.WriteFile(filepath.Join(dir, "forwarding"), []byte(v+"\n"), 0o644) }
	now := time.Unix(1000, 0)
	s := &garpSender{cfg: GARPConfig{Interface: "eth9", Now: func() time.Time { return now }, SysRoot: root + "/"},
		ifi: &net.Interface{Name: "eth9"}}
	set("0")
	if s.forwarding() {
		t.Fatal("forwarding off read as on")
	}
	set("1")
	now = now.Add(4999 * time.Millisecond)
	if s.forwarding() {
		t.Error("re-read before 5 s")
	}
	now = now.Add(time.Millisecond)
	if !s.forwarding() {
		t.Error("not re-read after 5 s")
	}
}
