package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeVRRPEngine holds counters the way an engine does, behind a lock.
type fakeVRRPEngine struct {
	mu   sync.Mutex
	snap vrrpSnapshot
}

func (e *fakeVRRPEngine) snapshot(clear bool) vrrpSnapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.snap
	out.Instances = append([]dumpVRRPInstance(nil), e.snap.Instances...)
	if clear {
		for i := range e.snap.Instances {
			e.snap.Instances[i].Stats = dumpVRRPStats{}
		}
	}
	return out
}

func TestVRRPDumperWritesFiles(t *testing.T) {
	dir := t.TempDir()
	var logBuf bytes.Buffer
	eng := &fakeVRRPEngine{snap: capturedSnapshot(t)}
	d := vrrpDumper{
		Naming:   dumpNaming{Dir: dir},
		PID:      77,
		Log:      slog.New(slog.NewTextHandler(&logBuf, nil)),
		Snapshot: eng.snapshot,
	}
	if err := d.Data(); err != nil {
		t.Fatal(err)
	}
	if err := d.JSON(); err != nil {
		t.Fatal(err)
	}
	if err := d.Stats(true); err != nil {
		t.Fatal(err)
	}
	cleared := readFileT(t, filepath.Join(dir, "keepalived.stats"))
	if err := d.Stats(false); err != nil {
		t.Fatal(err)
	}
	after := readFileT(t, filepath.Join(dir, "keepalived.stats"))

	// STATS_CLEAR printed the counters, then they were zero
	if !strings.Contains(cleared, "    Sent: 2\n  Became master: 1\n") {
		t.Errorf("cleared dump lost the counters:\n%s", cleared)
	}
	if strings.Contains(after, "Sent: 2") || !strings.Contains(after, "    Sent: 0\n  Became master: 0\n") {
		t.Errorf("counters not zeroed:\n%s", after)
	}
	if data := readFileT(t, filepath.Join(dir, "keepalived.data")); !strings.Contains(data, " VRRP Instance = VI_1\n") {
		t.Errorf("data dump:\n%s", data)
	}
	if js := readFileT(t, filepath.Join(dir, "keepalived.json")); !strings.HasPrefix(js, `[{"data":{"iname":"VI_1"`) {
		t.Errorf("json dump: %s", js)
	}
	for _, f := range []string{"keepalived.data", "keepalived.json", "keepalived.stats"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	logs := logBuf.String()
	for _, want := range []string{
		"Printing VRRP data for process(77) on signal",
		"Printing VRRP as json for process(77) on signal",
		"Printing and clearing VRRP stats for process(77) on signal",
		"Printing VRRP stats for process(77) on signal",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestVRRPDumperNoJSONWithoutInstances(t *testing.T) {
	dir := t.TempDir()
	d := vrrpDumper{Naming: dumpNaming{Dir: dir}, Snapshot: func(bool) vrrpSnapshot { return vrrpSnapshot{} }}
	if err := d.JSON(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keepalived.json")); !os.IsNotExist(err) {
		t.Errorf("keepalived.json written without instances (%v)", err)
	}
}

func TestCheckAndParentDumpers(t *testing.T) {
	dir := t.TempDir()
	cs := checkGoldenSnapshot(t)
	n := dumpNaming{Dir: dir, DataUseInstance: true, Instance: "lb"}
	if err := (checkDumper{Naming: n, Snapshot: func() checkSnapshot { return cs }}).Data(); err != nil {
		t.Fatal(err)
	}
	if err := parentDump(n, cs.Globals, 1, nil); err != nil {
		t.Fatal(err)
	}
	if s := readFileT(t, filepath.Join(dir, "keepalived_check.lb.data")); !strings.Contains(s, "------< LVS Topology >------") {
		t.Errorf("check data:\n%s", s)
	}
	if s := readFileT(t, filepath.Join(dir, "keepalived_parent.lb.data")); !strings.HasPrefix(s, "------< Global definitions >------\n") || strings.Contains(s, "LVS Topology") {
		t.Errorf("parent data:\n%s", s)
	}
}
