package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

const capturedDir = "testdata/dumps/keepalived-2.2.7"

// fakeHost has every interface, so that configurations naming test
// interfaces validate anywhere.
type fakeHost struct{ name string }

func (fakeHost) InterfaceExists(name string) bool { return !strings.HasPrefix(name, "vrrp") }
func (h fakeHost) Hostname() string               { return h.name }

func loadDumpConfig(t *testing.T, path string) *parser.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// the host name of the machine the captures were made on
	return loadDumpConfigText(t, string(data), "vm")
}

func loadDumpConfigText(t *testing.T, text, hostname string) *parser.Config {
	t.Helper()
	res := parser.LoadBytes("keepalived.conf", []byte(text), parser.Options{Host: fakeHost{hostname}})
	// 6 is keepalived's warning that scripts run without script
	// security, which it then does: the capture was made so.
	if code := res.ExitCode(false); res.Config == nil || (code != 0 && code != 6) {
		var msgs []string
		for _, d := range res.Diagnostics {
			msgs = append(msgs, d.String())
		}
		t.Fatalf("config does not load (exit %d): %s", res.ExitCode(false), strings.Join(msgs, "\n"))
	}
	// The script security pass depends on this machine's files; fix what
	// keepalived resolved when the capture was made.
	for _, s := range res.Config.VRRPScripts {
		fixTrue(s.Script)
	}
	for _, vi := range res.Config.Instances {
		for _, sc := range []*parser.Script{vi.NotifyBackup, vi.NotifyMaster, vi.NotifyFault, vi.Notify} {
			fixTrue(sc)
		}
	}
	for _, g := range res.Config.SyncGroups {
		for _, sc := range []*parser.Script{g.NotifyBackup, g.NotifyMaster, g.NotifyFault, g.Notify} {
			fixTrue(sc)
		}
	}
	return res.Config
}

// fixTrue sets what keepalived's script check resolved for true(1) on
// the capturing machine.
func fixTrue(s *parser.Script) {
	if s != nil && len(s.Argv) > 0 && (s.Argv[0] == "/bin/true" || s.Argv[0] == "/usr/bin/true") {
		s.Path, s.UID, s.GID, s.Insecure = "/usr/bin/true", 0, 0, false
	}
}

func tv(sec, usec int64) time.Time { return time.Unix(sec, usec*1000).UTC() }

// capturedSnapshot is the state keepalived was in when the files in
// testdata/dumps/keepalived-2.2.7 were written, put into our snapshot
// the way the VRRP engine will: configuration, then the state
// machine's status, then the counters.
func capturedSnapshot(t *testing.T) vrrpSnapshot {
	cfg := loadDumpConfig(t, filepath.Join(capturedDir, "keepalived.conf"))
	snap := vrrpSnapshotFromConfig(cfg)
	src := netip.MustParseAddr("10.1.0.166")
	statuses := []vrrp.InstanceStatus{
		{Name: "VI_1", State: vrrp.StateMaster, WantState: vrrp.StateMaster, BasePriority: 150, EffectivePriority: 160,
			MasterAdverInt: time.Second, MasterDownInterval: 3375 * time.Millisecond, Deadline: tv(1795554583, 457949),
			VIPsSet: true, SourceAddr: src},
		{Name: "VI_2", State: vrrp.StateMaster, WantState: vrrp.StateMaster, BasePriority: 100, EffectivePriority: 100,
			MasterAdverInt: time.Second, MasterDownInterval: 3609375 * time.Microsecond, Deadline: tv(1795554583, 671964),
			VIPsSet: true, SourceAddr: src},
	}
	last := []time.Time{tv(1795554581, 457812), tv(1795554581, 671826)}
	for i := range snap.Instances {
		vi := &snap.Instances[i]
		vi.applyStatus(statuses[i])
		vi.LastTransition = last[i]
		vi.FDIn, vi.FDOut = 13, 14
		vi.Stats = dumpVRRPStats{AdvertSent: 2, BecomeMaster: 1}
	}
	snap.Scripts[0].Result = 1
	return snap
}

// sections splits a .data dump into its "------< X >------" sections.
func sections(text string) map[string]string {
	out := map[string]string{}
	name := ""
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(l, "------< ") {
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "------< "), " >------")
		}
		out[name] += l
	}
	return out
}

// dropLines removes lines we deliberately do not print (see the report:
// the nftables library lines).
func dropLines(text string, prefixes ...string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		skip := false
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				skip = true
			}
		}
		if !skip {
			b.WriteString(l)
		}
	}
	return b.String()
}

func readCaptured(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(capturedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func diffText(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s: first difference at line %d:\n got: %q\nwant: %q", what, i+1, gl, wl)
			return
		}
	}
}

// The same state must give keepalived's bytes, section by section.
func TestVRRPDataMatchesKeepalived(t *testing.T) {
	snap := capturedSnapshot(t)
	var buf bytes.Buffer
	if err := writeVRRPData(&buf, snap); err != nil {
		t.Fatal(err)
	}
	got, want := sections(buf.String()), sections(readCaptured(t, "keepalived.data"))
	nft := []string{" nftables ", " libnftnl "}
	diffText(t, "Global definitions", got["Global definitions"], dropLines(want["Global definitions"], nft...))
	diffText(t, "VRRP Topology", got["VRRP Topology"], want["VRRP Topology"])
	diffText(t, "VRRP Scripts", got["VRRP Scripts"], want["VRRP Scripts"])
}

func TestParentDataMatchesKeepalived(t *testing.T) {
	cfg := loadDumpConfig(t, filepath.Join(capturedDir, "keepalived.conf"))
	var buf bytes.Buffer
	if err := writeParentData(&buf, dumpGlobalsFromConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	want := dropLines(readCaptured(t, "keepalived_parent.data"), " nftables ", " libnftnl ")
	diffText(t, "keepalived_parent.data", buf.String(), want)
}

func TestVRRPStatsMatchesKeepalived(t *testing.T) {
	snap := capturedSnapshot(t)
	var buf bytes.Buffer
	if err := writeVRRPStats(&buf, snap); err != nil {
		t.Fatal(err)
	}
	diffText(t, "keepalived.stats", buf.String(), readCaptured(t, "keepalived.stats"))

	// After STATS_CLEAR keepalived counted from zero: one advert sent.
	for i := range snap.Instances {
		snap.Instances[i].Stats = dumpVRRPStats{AdvertSent: 1}
	}
	buf.Reset()
	if err := writeVRRPStats(&buf, snap); err != nil {
		t.Fatal(err)
	}
	diffText(t, "keepalived.stats after clear", buf.String(), readCaptured(t, "keepalived.stats.after-clear"))
}

const capturedBackupDir = "testdata/dumps/keepalived-2.2.7-backup"

// capturedBackupSnapshot is the second capture: two VRRPv3 BACKUP
// instances in a sync group, one unicast, one multicast.
func capturedBackupSnapshot(t *testing.T) vrrpSnapshot {
	cfg := loadDumpConfig(t, filepath.Join(capturedBackupDir, "keepalived.conf"))
	snap := vrrpSnapshotFromConfig(cfg)
	master, src := netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.2.0.2")
	statuses := []vrrp.InstanceStatus{
		{Name: "VI_U", State: vrrp.StateBackup, WantState: vrrp.StateBackup, BasePriority: 100, EffectivePriority: 100,
			MasterAdverInt: time.Second, MasterDownInterval: 3609375 * time.Microsecond, Deadline: tv(1795554912, 42948),
			MasterAddr: master, MasterPriority: 200, SourceAddr: src},
		{Name: "VI_M", State: vrrp.StateBackup, WantState: vrrp.StateBackup, BasePriority: 100, EffectivePriority: 100,
			MasterAdverInt: 500 * time.Millisecond, MasterDownInterval: 1804687 * time.Microsecond, Deadline: tv(1795554910, 714302),
			MasterAddr: master, MasterPriority: 200, SourceAddr: src},
	}
	last := []time.Time{tv(1795554903, 212891), tv(1795554903, 223890)}
	rcvd := []uint64{3, 9}
	for i := range snap.Instances {
		vi := &snap.Instances[i]
		vi.applyStatus(statuses[i])
		vi.LastTransition = last[i]
		vi.FDIn, vi.FDOut = 13+2*i, 14+2*i
		vi.Stats = dumpVRRPStats{AdvertRcvd: rcvd[i]}
	}
	snap.SyncGroups[0].State = dumpStateBackup
	return snap
}

func TestBackupDumpsMatchKeepalived(t *testing.T) {
	snap := capturedBackupSnapshot(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(capturedBackupDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var buf bytes.Buffer
	if err := writeVRRPData(&buf, snap); err != nil {
		t.Fatal(err)
	}
	got, want := sections(buf.String()), sections(read("keepalived.data"))
	diffText(t, "Global definitions", got["Global definitions"], dropLines(want["Global definitions"], " nftables ", " libnftnl "))
	diffText(t, "VRRP Topology", got["VRRP Topology"], want["VRRP Topology"])
	diffText(t, "VRRP Sync groups", got["VRRP Sync groups"], want["VRRP Sync groups"])
	buf.Reset()
	if err := writeVRRPStats(&buf, snap); err != nil {
		t.Fatal(err)
	}
	diffText(t, "keepalived.stats", buf.String(), read("keepalived.stats"))
	buf.Reset()
	if err := writeVRRPJSON(&buf, snap); err != nil {
		t.Fatal(err)
	}
	diffText(t, "keepalived.json", buf.String(), read("keepalived.json"))
}

func TestVRRPJSONMatchesKeepalived(t *testing.T) {
	snap := capturedSnapshot(t)
	var buf bytes.Buffer
	if err := writeVRRPJSON(&buf, snap); err != nil {
		t.Fatal(err)
	}
	diffText(t, "keepalived.json", buf.String(), readCaptured(t, "keepalived.json"))
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
