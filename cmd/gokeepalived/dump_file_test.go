package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateDumpGolden = flag.Bool("update-dumps", false, "rewrite testdata/dumps/golden/*")

func TestDumpDir(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"", "/tmp"},
		{"/var/tmp/ka", "/var/tmp/ka"},
		{"relative/dir", "/tmp"},
		{"~/tmp", "/tmp"},
	} {
		got := dumpDir(func(k string) string {
			if k == "TMPDIR" {
				return c.env
			}
			return ""
		})
		if got != c.want {
			t.Errorf("TMPDIR=%q: dumpDir = %q, want %q", c.env, got, c.want)
		}
	}
}

func TestDumpPathNaming(t *testing.T) {
	plain := dumpNaming{Dir: "/tmp"}
	ns := dumpNaming{Dir: "/tmp", DataUseInstance: true, NetNamespace: "blue"}
	inst := dumpNaming{Dir: "/run/x", DataUseInstance: true, Instance: "web"}
	both := dumpNaming{Dir: "/tmp", DataUseInstance: true, NetNamespace: "blue", Instance: "web"}
	unused := dumpNaming{Dir: "/tmp", NetNamespace: "blue", Instance: "web"} // data_use_instance off
	noNames := dumpNaming{Dir: "/tmp", DataUseInstance: true}
	for _, c := range []struct {
		n    dumpNaming
		k    dumpFileKind
		want string
	}{
		{plain, dumpKindVRRPData, "/tmp/keepalived.data"},
		{plain, dumpKindCheckData, "/tmp/keepalived_check.data"},
		{plain, dumpKindParentData, "/tmp/keepalived_parent.data"},
		{plain, dumpKindVRRPStats, "/tmp/keepalived.stats"},
		{plain, dumpKindVRRPJSON, "/tmp/keepalived.json"},
		{ns, dumpKindVRRPData, "/tmp/keepalived.blue.data"},
		{inst, dumpKindCheckData, "/run/x/keepalived_check.web.data"},
		{both, dumpKindParentData, "/tmp/keepalived_parent.blue_web.data"},
		// keepalived 2.2.7 names stats and JSON without the instance
		{both, dumpKindVRRPStats, "/tmp/keepalived.stats"},
		{both, dumpKindVRRPJSON, "/tmp/keepalived.json"},
		{unused, dumpKindVRRPData, "/tmp/keepalived.data"},
		{noNames, dumpKindVRRPData, "/tmp/keepalived.data"},
	} {
		if got := dumpPath(c.k, c.n); got != c.want {
			t.Errorf("dumpPath(%v, %+v) = %q, want %q", c.k, c.n, got, c.want)
		}
	}
}

func TestDumpNamingFromConfig(t *testing.T) {
	cfg := loadDumpConfigText(t, "instance web\nglobal_defs {\n data_use_instance\n}\n", "h")
	n := dumpNamingFromConfig(cfg, func(string) string { return "/var/tmp" })
	if got := dumpPath(dumpKindVRRPData, n); got != "/var/tmp/keepalived.web.data" {
		t.Errorf("path = %q", got)
	}
}

func TestWriteDumpFileReplacesAtomicallyWith0600(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.data")
	if err := os.WriteFile(path, []byte("old content, longer than the new one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// a reader holding the old file keeps seeing the old content
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := writeDumpFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "new\n" {
		t.Errorf("content = %q", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	seen, _ := io.ReadAll(old)
	if !strings.HasPrefix(string(seen), "old content") {
		t.Errorf("the old file's reader sees %q", seen)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left files: %v", entries)
	}
}

func TestWriteDumpFileDoesNotFollowSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keepalived.stats")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if err := writeDumpFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "x\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("symlink target overwritten: %q", b)
	}
	if fi, _ := os.Lstat(path); fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("path is still a symlink")
	}
}

func TestWriteDumpFileErrorKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.json")
	if err := os.WriteFile(path, []byte("[]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := writeDumpFile(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "[]\n" {
		t.Errorf("old file changed: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left: %v", entries)
	}
	if err := writeDumpFile(filepath.Join(dir, "missing", "x.data"), func(io.Writer) error { return nil }); err == nil {
		t.Error("no error for a missing directory")
	}
}

func TestDumpLogMessages(t *testing.T) {
	for _, c := range []struct {
		k     dumpFileKind
		clear bool
		want  string
	}{
		{dumpKindVRRPData, false, "Printing VRRP data for process(42) on signal"},
		{dumpKindVRRPStats, false, "Printing VRRP stats for process(42) on signal"},
		{dumpKindVRRPStats, true, "Printing and clearing VRRP stats for process(42) on signal"},
		{dumpKindVRRPJSON, false, "Printing VRRP as json for process(42) on signal"},
		{dumpKindCheckData, false, "Printing checker data for process(42) on signal"},
		{dumpKindParentData, false, "Printing parent data for process(42) on signal"},
	} {
		if got := dumpLogMessage(c.k, c.clear, 42); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// goldenSnapshot exercises the branches the keepalived captures do not:
// FAULT and INIT states, IPv6, VMAC, AH, preempt delay, notify scripts,
// tracked files and processes, interfaces, a failing running script.
func goldenSnapshot(t *testing.T) vrrpSnapshot {
	cfg := loadDumpConfigText(t, `
global_defs {
  router_id golden
  vrrp_garp_master_refresh 60
  lvs_flush_on_stop VS
  vrrp_strict
  max_auto_priority -1
}
vrrp_script chk_web {
  script "/usr/bin/true web"
  interval 2
  timeout 3
  weight -20 reverse
  rise 2
  fall 3
}
vrrp_track_file tf1 {
  file /run/tf1
}
vrrp_instance V6 {
  state BACKUP
  interface eth1
  use_vmac vrrp.50
  virtual_router_id 50
  priority 90
  advert_int 0.25
  native_ipv6
  virtual_ipaddress {
    2001:db8::50/64
  }
  track_script {
    chk_web
  }
  track_file {
    tf1 weight 3
  }
  track_interface {
    eth2 weight -10
  }
  notify_fault "/usr/bin/true fault"
  notify_stop "/usr/bin/true stop"
}
vrrp_instance V4 {
  state BACKUP
  interface eth1
  virtual_router_id 51
  priority 254
  version 2
  advert_int 3
  nopreempt
  preempt_delay 1.5
  authentication {
    auth_type AH
    auth_pass abc
  }
  virtual_ipaddress {
    192.0.2.1/32
    192.0.2.9/24 brd 192.0.2.255 dev eth2 scope link label eth2:vip
  }
  track_script {
    chk_web weight 5
  }
}
`, "golden-host")
	for _, s := range cfg.VRRPScripts {
		fixTrue(s.Script)
	}
	for _, vi := range cfg.Instances {
		fixTrue(vi.NotifyFault)
		fixTrue(vi.NotifyStop)
	}
	snap := vrrpSnapshotFromConfig(cfg)
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	v6, v4 := &snap.Instances[0], &snap.Instances[1]
	v6.State, v6.WantState = dumpStateFault, dumpStateBackup
	v6.Faults = 2
	v6.ScriptsInit = 1
	v6.LastTransition = base
	v6.MasterDownTimer = 850 * time.Millisecond
	v6.SrcIP = netip.MustParseAddr("fe80::1")
	v6.EffectivePriority, v6.TotalPriority = 70, 70
	v6.Stats = dumpVRRPStats{AdvertRcvd: 1 << 40, PacketLenErr: 2, IPTTLErr: 3, InvalidTypeRcvd: 4, AddrListErr: 5,
		InvalidAuthType: 6, AuthTypeMismatch: 7, AuthFailure: 8, PriZeroRcvd: 9, PriZeroSent: 10, ReleaseMaster: 11}
	v4.State, v4.WantState = dumpStateInit, dumpStateInit
	v4.LastTransition = base.Add(time.Second)
	v4.ReadTimeout = base.Add(4 * time.Second)
	v4.FDIn, v4.FDOut = 7, 8
	snap.Scripts[0].Result = 1
	snap.Scripts[0].State = "running"
	snap.Scripts[0].InitState = "INIT"
	snap.Interfaces = []dumpInterface{
		{Name: "eth1", Index: 2, IPv4: netip.MustParseAddr("192.0.2.2"), IPv6: netip.MustParseAddr("fe80::1"),
			MAC: "52:54:00:12:34:56", Up: true, Running: true, MTU: 1500,
			Tracking: []dumpTrack{{Name: "V6"}, {Name: "V4"}}},
		{Name: "eth2", Index: 3, Up: false, MTU: 9000, Tracking: []dumpTrack{{Name: "V6", Weight: -10}}},
	}
	return snap
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "dumps", "golden", name)
	if *updateDumpGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-dumps to create)", err)
	}
	if !bytes.Equal(got, want) {
		diffText(t, name, string(got), string(want))
	}
}

func TestDumpGolden(t *testing.T) {
	snap := goldenSnapshot(t)
	for _, c := range []struct {
		name  string
		write func(io.Writer, vrrpSnapshot) error
	}{
		{"keepalived.data", writeVRRPData},
		{"keepalived.stats", writeVRRPStats},
		{"keepalived.json", writeVRRPJSON},
	} {
		var buf bytes.Buffer
		if err := c.write(&buf, snap); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, c.name, buf.Bytes())
	}
	var buf bytes.Buffer
	if err := writeParentData(&buf, snap.Globals); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "keepalived_parent.data", buf.Bytes())
}

// The golden snapshot's files still parse for the exporters.
func TestDumpGoldenParsesForExporters(t *testing.T) {
	d, s, j := ourFiles(t, goldenSnapshot(t))
	v := exporterParse(t, d, s, j)
	if got := v.Mehdy["V6"]; got == nil || got.State != 3 || got.WantState != 1 || got.VRID != 50 || len(got.VIPs) != 1 {
		t.Errorf("V6 = %+v", got)
	}
	if got := v.Stats["V6"]["advert_rcvd"]; got != 1<<40 {
		t.Errorf("advert_rcvd = %d", got)
	}
	if len(v.Scripts) != 1 || v.Scripts[0].Status != "BAD" || v.Scripts[0].State != "running" {
		t.Errorf("scripts = %+v", v.Scripts)
	}
}
