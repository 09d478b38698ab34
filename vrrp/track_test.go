package vrrp

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestScriptTrackerSchedule: the first run is immediate, then one every
// interval from the timer (not from the end of the run); a run that is
// still going when the timer fires makes the tracker skip that run.
func TestScriptTrackerSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var starts []time.Duration
		var results []scriptOutcome
		durations := []time.Duration{100 * time.Millisecond, 2500 * time.Millisecond, 0, 0, 0}
		n := 0
		exec := func(ctx context.Context, argv []string, uid, gid int, timeout time.Duration) scriptOutcome {
			mu.Lock()
			starts = append(starts, time.Since(start))
			d := durations[n]
			n++
			mu.Unlock()
			if timeout != 3*time.Second {
				t.Errorf("timeout %v, want the interval", timeout)
			}
			time.Sleep(d)
			return scriptOutcome{ExitStatus: n}
		}
		s := &parser.VRRPScript{Name: "chk", Script: &parser.Script{Argv: []string{"/bin/true"}, UID: -1, GID: -1},
			Interval: 3_000_000}
		ctx, cancel := context.WithCancel(t.Context())
		tr := newScriptTracker(s, exec, func(name string, o scriptOutcome) {
			mu.Lock()
			results = append(results, o)
			mu.Unlock()
		}, quietLog())
		done := make(chan struct{})
		go func() { tr.Run(ctx); close(done) }()
		time.Sleep(9*time.Second + time.Millisecond)
		cancel()
		<-done
		want := []time.Duration{0, 3 * time.Second, 6 * time.Second, 9 * time.Second}
		if len(starts) != len(want) {
			t.Fatalf("starts %v, want %v", starts, want)
		}
		for i := range want {
			if starts[i] != want[i] {
				t.Errorf("run %d started at %v, want %v", i, starts[i], want[i])
			}
		}
		if len(results) != 4 {
			t.Errorf("results %v: want 4", results)
		}
	})
}

func TestScriptTrackerSkipsBusyRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		runs := 0
		exec := func(ctx context.Context, argv []string, uid, gid int, timeout time.Duration) scriptOutcome {
			mu.Lock()
			runs++
			mu.Unlock()
			select {
			case <-time.After(2500 * time.Millisecond):
			case <-ctx.Done():
			}
			return scriptOutcome{}
		}
		s := &parser.VRRPScript{Name: "slow", Script: &parser.Script{Argv: []string{"/x"}}, Interval: 1_000_000}
		ctx, cancel := context.WithCancel(t.Context())
		tr := newScriptTracker(s, exec, func(string, scriptOutcome) {}, quietLog())
		done := make(chan struct{})
		go func() { tr.Run(ctx); close(done) }()
		// Runs at 0 (until 2.5), skipped at 1 and 2, run at 3 (until 5.5),
		// skipped at 4 and 5, run at 6.
		time.Sleep(6*time.Second + time.Millisecond)
		cancel()
		<-done
		if runs != 3 {
			t.Errorf("%d runs, want 3", runs)
		}
	})
}

func TestCStrtol(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"42\n", 42}, {"  -7", -7}, {"0x10", 16}, {"010", 8}, {"+5abc", 5}, {"abc", 0}, {"", 0},
		{"0", 0}, {"0x", 0}, {"-0x1F", -31}, {"9z", 9}, {"08", 0},
	}
	for _, tt := range tests {
		if got, _ := cStrtol(tt.in); got != tt.want {
			t.Errorf("cStrtol(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestReadTrackFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if v, ok := readTrackFile(p); v != 0 || !ok {
		t.Errorf("missing file = %d, %v", v, ok)
	}
	_ = os.WriteFile(p, nil, 0o644)
	if v, ok := readTrackFile(p); v != 0 || !ok {
		t.Errorf("empty file = %d, %v", v, ok)
	}
	_ = os.WriteFile(p, []byte("0x20\n"), 0o644)
	if v, ok := readTrackFile(p); v != 32 || !ok {
		t.Errorf("0x20 = %d, %v", v, ok)
	}
	_ = os.WriteFile(p, []byte("99999999999"), 0o644)
	if _, ok := readTrackFile(p); ok {
		t.Errorf("out-of-range value accepted")
	}
}

func TestProcessMatcher(t *testing.T) {
	cmd := []byte("/usr/sbin/nginx\x00-g\x00daemon off;\x00")
	tests := []struct {
		tp   parser.TrackProcess
		want bool
	}{
		{parser.TrackProcess{Process: "nginx"}, true},
		{parser.TrackProcess{Process: "ngin"}, false},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true}, true},
		{parser.TrackProcess{Process: "nginx", FullCommand: true}, false},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "exact", Params: []string{"-g", "daemon off;"}}, true},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "exact", Params: []string{"-g"}}, false},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "partial", Params: []string{"-g"}}, true},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "partial", Params: []string{"-g", "daemon"}}, false},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "initial", Params: []string{"-g", "daemon"}}, true},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "initial", Params: []string{"-x"}}, false},
		{parser.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true, ParamMatch: "exact"}, false},
	}
	for i, tt := range tests {
		m := newProcessMatcher(&tt.tp)
		if got := m.matches("nginx", cmd); got != tt.want {
			t.Errorf("%d %+v: matches = %v, want %v", i, tt.tp, got, tt.want)
		}
	}
	long := newProcessMatcher(&parser.TrackProcess{Process: "averyveryverylongname"})
	if !long.matches("averyveryveryl"+"o", nil) {
		t.Errorf("names longer than the kernel's 15 bytes must match on their first 15")
	}
}

// fakeProc writes a /proc look-alike: pid -> (stat state, comm, cmdline).
// dir is a symbolic link swapped atomically to a fresh tree, so a scanner
// never sees a half-written one.
func fakeProc(t *testing.T, dir string, procs map[string][3]string) {
	t.Helper()
	tree, err := os.MkdirTemp(filepath.Dir(dir), "tree")
	if err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(tree, pid)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(d, "stat"), []byte(pid+" ("+p[1]+") "+p[0]+" 1 1 1"), 0o644)
		_ = os.WriteFile(filepath.Join(d, "cmdline"), []byte(p[2]), 0o644)
	}
	_ = os.MkdirAll(filepath.Join(tree, "self"), 0o755)
	link := tree + ".link"
	if err := os.Symlink(tree, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link, dir); err != nil {
		t.Fatal(err)
	}
}

func TestProcessScanner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proc")
	fakeProc(t, dir, map[string][3]string{
		"10": {"S", "haproxy", "/usr/sbin/haproxy\x00-f\x00/etc/h.cfg\x00"},
		"11": {"S", "haproxy", "/usr/sbin/haproxy\x00-f\x00/etc/h.cfg\x00"},
		"12": {"Z", "haproxy", ""},
		"13": {"R", "my (odd) name", "x\x00"},
	})
	s := &processScanner{procDir: dir, matchers: []processMatcher{
		newProcessMatcher(&parser.TrackProcess{Name: "hap", Process: "haproxy"}),
		newProcessMatcher(&parser.TrackProcess{Name: "odd", Process: "my (odd) name"}),
		newProcessMatcher(&parser.TrackProcess{Name: "full", Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: "exact", Params: []string{"-f", "/etc/h.cfg"}}),
	}}
	got := s.Counts()
	if got["hap"] != 2 || got["odd"] != 1 || got["full"] != 2 {
		t.Errorf("counts %v", got)
	}
}

func TestProcessScannerReportsChanges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proc")
	fakeProc(t, dir, map[string][3]string{"10": {"S", "app", "app\x00"}})
	var mu sync.Mutex
	var reports []int
	s := &processScanner{procDir: dir, interval: 10 * time.Millisecond,
		matchers: []processMatcher{newProcessMatcher(&parser.TrackProcess{Name: "a", Process: "app"})},
		report: func(name string, n int) {
			mu.Lock()
			reports = append(reports, n)
			mu.Unlock()
		}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	// The starting counts are taken before the files change, not whenever
	// the goroutine gets to run.
	initial := s.Counts()
	go func() { s.Run(ctx, initial); close(done) }()
	wait := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			l := len(reports)
			mu.Unlock()
			if l >= n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no report %d: %v", n, reports)
	}
	fakeProc(t, dir, map[string][3]string{"10": {"S", "app", "app\x00"}, "20": {"S", "app", "app\x00"}})
	wait(1)
	fakeProc(t, dir, map[string][3]string{})
	wait(2)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if reports[0] != 2 || reports[1] != 0 {
		t.Errorf("reports %v, want [2 0]", reports)
	}
}
