package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestDefaultPidPaths(t *testing.T) {
	tests := []struct {
		instance string
		useDir   bool
		want     pidPaths
	}{
		{"", false, pidPaths{"/run/keepalived.pid", "/run/vrrp.pid", "/run/checkers.pid", "/run/bfd.pid"}},
		{"", true, pidPaths{"/run/keepalived/keepalived.pid", "/run/keepalived/vrrp.pid", "/run/keepalived/checkers.pid", "/run/keepalived/bfd.pid"}},
		{"lb1", false, pidPaths{"/run/keepalived/keepalived_lb1.pid", "/run/keepalived/vrrp_lb1.pid", "/run/keepalived/checkers_lb1.pid", "/run/keepalived/bfd_lb1.pid"}},
	}
	for _, tt := range tests {
		if got := defaultPidPaths("/run", tt.instance, tt.useDir); got != tt.want {
			t.Errorf("defaultPidPaths(%q, %v) = %+v, want %+v", tt.instance, tt.useDir, got, tt.want)
		}
	}
}

func TestPidFileLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keepalived.pid")
	if err := writePidFile(path, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte(strconv.Itoa(os.Getpid()) + "\n"); string(b) != string(want) {
		t.Fatalf("pid file holds %q, want %q", b, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if pidFileLive(path, os.Getpid()) {
		t.Error("our own pid counted as another running daemon")
	}
	if !pidFileLive(path, 1) {
		t.Error("a live process (this test) not seen as running")
	}
	removePidFile(path, os.Getpid()+1)
	if _, err := os.Stat(path); err != nil {
		t.Error("removed a pid file naming another process")
	}
	removePidFile(path, os.Getpid())
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("pid file not removed by its owner")
	}
}

func TestStalePidFileIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vrrp.pid")
	// Pid numbers above the kernel's pid_max (4194304 at most) never exist.
	if err := os.WriteFile(path, []byte("4194309\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pidFileLive(path, os.Getpid()) {
		t.Fatal("stale pid file counted as a running daemon")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("stale pid file left behind")
	}
}
