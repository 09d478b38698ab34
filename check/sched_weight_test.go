package check

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// These tests run the real MISC_CHECK and FILE_CHECK probes (NewProbe)
// under the scheduler, so that the weights the probes report are read the
// way the probes mean them.

// sameRS puts real server 10.0.1.1:80 behind one virtual server per
// weight, each with the same checker block.
func sameRS(head, check string, weights ...int) string {
	var b strings.Builder
	b.WriteString(head)
	for i, w := range weights {
		fmt.Fprintf(&b, "virtual_server 10.0.0.%d 80 {\ndelay_loop 1\nprotocol TCP\nlb_algo rr\nlb_kind NAT\n"+
			"real_server 10.0.1.1 80 {\nweight %d\n%s\n}\n}\n", i+1, w, check)
	}
	return b.String()
}

// statusRunner is a ScriptRunner whose script exits with status(now).
type statusRunner struct {
	sm     *sim
	status func(now time.Duration) int
	runs   atomic.Int32
}

func (r *statusRunner) Run(context.Context, *parser.Script, time.Duration) ScriptResult {
	r.runs.Add(1)
	return ScriptResult{Status: r.status(r.sm.elapsed())}
}

func realProbes(env func(sm *sim) ProbeEnv) func(*sim) ProbeFactory {
	return func(sm *sim) ProbeFactory {
		return func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
			return NewProbe(c, vs, rs, env(sm))
		}
	}
}

func wantWeights(t *testing.T, sm *sim, at string, want ...int) {
	t.Helper()
	for i, w := range want {
		h := sm.rs(i, 0)
		if !h.Alive || h.Weight != w {
			t.Errorf("%s: VS %d: alive %v weight %d, want alive with weight %d", at, i+1, h.Alive, h.Weight, w)
		}
	}
}

// TestMiscDynamicWeightShared: misc_dynamic exit 0 keeps each server's
// configured weight and exit N sets it to N-2, whatever the configured
// one (check_misc.c). The same script behind servers of different
// weights ends with the right weight on each; servers of the same weight
// still share one run.
func TestMiscDynamicWeightShared(t *testing.T) {
	runner := &statusRunner{status: func(now time.Duration) int {
		if now >= sec(5) && now < sec(10) {
			return 7
		}
		return 0
	}}
	conf := sameRS("", "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\nmisc_dynamic\n}", 3, 10, 3)
	sm := newSimWith(t, conf, Options{}, realProbes(func(sm *sim) ProbeEnv {
		runner.sm = sm
		return ProbeEnv{Scripts: runner}
	}))
	if st := sm.s.Stats(); st.Tasks != 2 || st.Checkers != 3 {
		t.Errorf("tasks %d checkers %d, want 2 (one per configured weight) and 3", st.Tasks, st.Checkers)
	}
	sm.start().runFor(sec(4.5))
	wantWeights(t, sm, "exit 0", 3, 10, 3)
	sm.runFor(sec(5))
	wantWeights(t, sm, "exit 7", 5, 5, 5)
	wantLines(t, sm.logsAt(5), []string{
		"Changing weight from 3 to 5 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80",
		"Changing weight from 3 to 5 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.3]:tcp:80",
		"Changing weight from 10 to 5 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.2]:tcp:80",
	})
	sm.runFor(sec(5))
	wantWeights(t, sm, "exit 0 again", 3, 10, 3)
	// Two runs a second (one per distinct weight), from 1 s to 14 s.
	if n := runner.runs.Load(); n != 28 {
		t.Errorf("%d script runs, want 28", n)
	}
}

// TestFileCheckWeightShared: a FILE_CHECK adds value × weight to every
// server tracking the file, whatever their configured weights, also when
// one probe serves them all; FAULT takes them down and drops the
// contribution, leaving FAULT restores it without a weight change line
// (track_file.c).
func TestFileCheckWeightShared(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	write := func(v string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("4\n")
	head := fmt.Sprintf("track_file f {\nfile %s\n}\n", file)
	conf := sameRS(head, "FILE_CHECK {\ntrack_file f\nweight 2\n}", 3, 10)
	sm := newSimWith(t, conf, Options{}, realProbes(func(sm *sim) ProbeEnv {
		return ProbeEnv{TrackFiles: sm.cfg.TrackFiles}
	}))
	if st := sm.s.Stats(); st.Tasks != 1 || st.Checkers != 2 {
		t.Errorf("tasks %d checkers %d, want 1 and 2", st.Tasks, st.Checkers)
	}
	sm.start()
	wantWeights(t, sm, "read at start", 11, 18)
	sm.runFor(sec(2.5))
	write("1")
	sm.runFor(sec(1))
	wantWeights(t, sm, "value 1", 5, 12)
	wantLines(t, sm.logsAt(3), []string{
		"Changing weight from 11 to 5 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80",
		"Changing weight from 18 to 12 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.2]:tcp:80",
	})
	write("-2000000000")
	sm.runFor(sec(1))
	for vs := range 2 {
		if sm.rs(vs, 0).Alive {
			t.Errorf("VS %d: alive in FAULT", vs+1)
		}
	}
	write("-1")
	sm.runFor(sec(1))
	wantWeights(t, sm, "value -1", 1, 8)
	wantLines(t, sm.logsAt(5), []string{
		"Adding service [10.0.1.1]:tcp:80 to VS [10.0.0.1]:tcp:80",
		"Gained quorum 1+0=1 <= 1 for VS [10.0.0.1]:tcp:80",
		"Adding service [10.0.1.1]:tcp:80 to VS [10.0.0.2]:tcp:80",
		"Gained quorum 1+0=1 <= 8 for VS [10.0.0.2]:tcp:80",
	})
}

// TestFileCheckReloadMovesFile: a reload that points the track_file at
// another file makes a new probe that reads it; the checker keeps its
// state.
func TestFileCheckReloadMovesFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for p, v := range map[string]string{a: "1", b: "3"} {
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := "FILE_CHECK {\ntrack_file f\nweight 1\n}"
	sm := newSimWith(t, sameRS(fmt.Sprintf("track_file f {\nfile %s\n}\n", a), check, 10), Options{},
		realProbes(func(sm *sim) ProbeEnv { return ProbeEnv{TrackFiles: sm.cfg.TrackFiles} }))
	sm.start().runFor(sec(2.5))
	wantWeights(t, sm, "file a", 11)
	sm.cfg = loadConfig(t, sameRS(fmt.Sprintf("track_file f {\nfile %s\n}\n", b), check, 10))
	if err := sm.s.reload(sm.cfg, sm.now); err != nil {
		t.Fatal(err)
	}
	wantWeights(t, sm, "file b after the reload", 13)
	sm.runFor(sec(2))
	wantWeights(t, sm, "file b later", 13)
	if got := append(sm.lines("Adding service"), sm.lines("Removing service")...); len(got) != 0 {
		t.Errorf("the server changed state: %v", got)
	}
}

// errRunner is a ScriptRunner that cannot start its script.
type errRunner struct{}

func (errRunner) Run(context.Context, *parser.Script, time.Duration) ScriptResult {
	return ScriptResult{Err: os.ErrPermission}
}

// TestMiscLocalErrorShared: a script that cannot be started is a local
// error: each server sharing the check logs it under its own name, and it
// does not count against them.
func TestMiscLocalErrorShared(t *testing.T) {
	conf := sameRS("", "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\n}", 3, 10)
	sm := newSimWith(t, conf, Options{}, realProbes(func(*sim) ProbeEnv { return ProbeEnv{Scripts: errRunner{}} }))
	if st := sm.s.Stats(); st.Tasks != 1 {
		t.Fatalf("tasks %d, want 1", st.Tasks)
	}
	sm.start().runFor(sec(2.5))
	wantLines(t, sm.logsAt(1), []string{
		"Misc check for [[10.0.1.1]:tcp:80 VS [10.0.0.1]:tcp:80] by [/usr/bin/true] failed (permission denied).",
		"Misc check for [[10.0.1.1]:tcp:80 VS [10.0.0.2]:tcp:80] by [/usr/bin/true] failed (permission denied).",
	})
	wantWeights(t, sm, "after local errors", 3, 10)
}

// TestUncreatableCheckers: a checker NewProbe refuses is dropped and its
// server behaves as if the block was absent. BFD_CHECK, which gokeepalived
// does not run, is reported; a disabled MISC_CHECK script is not, since
// reading the configuration already logged keepalived's line for it.
func TestUncreatableCheckers(t *testing.T) {
	for _, tc := range []struct {
		name, head, check string
		reported          bool
	}{
		{"BFD_CHECK", "bfd_instance b {\nneighbor_ip 10.0.1.1\n}\n", "BFD_CHECK {\nname b\n}", true},
		{"disabled MISC_CHECK", "", "MISC_CHECK {\nmisc_path /nonexistent/script\n}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := sameRS(tc.head, tc.check, 3)
			sm := newSimWith(t, conf, Options{}, realProbes(func(*sim) ProbeEnv { return ProbeEnv{} }))
			if st := sm.s.Stats(); st.Tasks != 0 || st.Checkers != 0 {
				t.Errorf("tasks %d checkers %d, want none", st.Tasks, st.Checkers)
			}
			sm.start().runFor(sec(3))
			wantWeights(t, sm, "without its checker", 3)
			lines := sm.lines("cannot create checker - ignoring")
			if len(lines) != 1 {
				t.Fatalf("lines %v, want one", lines)
			}
			if got := lines[0].level >= slog.LevelInfo; got != tc.reported {
				t.Errorf("reported at level %v, want reported %v", lines[0].level, tc.reported)
			}
		})
	}
}

// timeoutRunner records the timeouts its scripts run with.
type timeoutRunner struct {
	mu       sync.Mutex
	timeouts map[time.Duration]int
}

func (r *timeoutRunner) Run(_ context.Context, _ *parser.Script, timeout time.Duration) ScriptResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timeouts[timeout]++
	return ScriptResult{}
}

// TestSharingKeyOutsideTheBlock: what a probe takes from outside its
// checker block keeps identical blocks apart: a MISC_CHECK without
// misc_timeout times out after its virtual server's delay_loop (the parser
// already writes it into the block; the key holds it for a block without
// it), and an SMTP_CHECK names its real server in its messages.
func TestSharingKeyOutsideTheBlock(t *testing.T) {
	t.Run("MISC_CHECK timeout", func(t *testing.T) {
		r := &timeoutRunner{timeouts: map[time.Duration]int{}}
		check := "MISC_CHECK {\nwarmup 0\ndelay_loop 1\nmisc_path /usr/bin/true\n}"
		conf := replaceNth(sameRS("", check, 1, 1), "delay_loop 1\nprotocol", "delay_loop 4\nprotocol", 2)
		sm := newSimWith(t, conf, Options{}, realProbes(func(*sim) ProbeEnv { return ProbeEnv{Scripts: r} }))
		if st := sm.s.Stats(); st.Tasks != 2 {
			t.Errorf("tasks %d, want 2", st.Tasks)
		}
		sm.start().runFor(sec(1.5))
		if r.timeouts[sec(1)] != 1 || r.timeouts[sec(4)] != 1 {
			t.Errorf("timeouts %v, want one run with 1s and one with 4s", r.timeouts)
		}
	})
	t.Run("SMTP_CHECK real server", func(t *testing.T) {
		conf := `virtual_server 10.0.0.1 25 {
delay_loop 6
protocol TCP
real_server 10.0.1.1 25 {
SMTP_CHECK {
connect_ip 10.0.2.1
}
}
real_server 10.0.1.2 25 {
SMTP_CHECK {
connect_ip 10.0.2.1
}
}
}
`
		sm := newSim(t, conf, Options{})
		if st := sm.s.Stats(); st.Tasks != 2 {
			t.Errorf("tasks %d, want 2", st.Tasks)
		}
	})
}

// TestReloadNewSSLBlock: SSL_GET probes are made again when a reload
// changes the global SSL block; other probes are kept.
func TestReloadNewSSLBlock(t *testing.T) {
	conf := func(ssl string) string {
		return ssl + `virtual_server 10.0.0.1 443 {
delay_loop 6
protocol TCP
real_server 10.0.1.1 443 {
SSL_GET {
url {
path /
}
}
TCP_CHECK {
}
}
}
`
	}
	made := map[string]int{}
	sm := newSimWith(t, conf(""), Options{}, func(sm *sim) ProbeFactory {
		return func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
			made[c.Type]++
			return &simProbe{sim: sm, target: targetOf(c)}, nil
		}
	})
	sm.start().runFor(sec(2))
	if err := sm.s.reload(loadConfig(t, conf("")), sm.now); err != nil {
		t.Fatal(err)
	}
	if err := sm.s.reload(loadConfig(t, conf("SSL {\npassword secret\n}\n")), sm.now); err != nil {
		t.Fatal(err)
	}
	if made["SSL_GET"] != 2 || made["TCP_CHECK"] != 1 {
		t.Errorf("probes made %v, want SSL_GET twice and TCP_CHECK once", made)
	}
}

// TestMiscDynamicReloadNewWeight: a reload that changes the configured
// weight of a server whose misc_dynamic script set its weight keeps the
// weight the script set, without a change on the next run.
func TestMiscDynamicReloadNewWeight(t *testing.T) {
	runner := &statusRunner{status: func(time.Duration) int { return 7 }}
	check := "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\nmisc_dynamic\n}"
	sm := newSimWith(t, sameRS("", check, 3), Options{}, realProbes(func(sm *sim) ProbeEnv {
		runner.sm = sm
		return ProbeEnv{Scripts: runner}
	}))
	sm.start().runFor(sec(1.5))
	wantWeights(t, sm, "exit 7", 5)
	sm.log.lines = nil
	if err := sm.s.reload(loadConfig(t, sameRS("", check, 4)), sm.now); err != nil {
		t.Fatal(err)
	}
	wantWeights(t, sm, "after the reload", 5)
	sm.runFor(sec(3))
	wantWeights(t, sm, "after the next runs", 5)
	if got := sm.lines("Changing weight"); len(got) != 0 {
		t.Errorf("weight changes: %v", got)
	}
}

// TestFileCheckReloadNewWeight: a FILE_CHECK probe kept across a reload
// that changes its server's configured weight still adds value × weight.
func TestFileCheckReloadNewWeight(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("4"), 0o644); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("track_file f {\nfile %s\n}\n", file)
	check := "FILE_CHECK {\ntrack_file f\nweight 2\n}"
	made := 0
	sm := newSimWith(t, sameRS(head, check, 3), Options{}, func(sm *sim) ProbeFactory {
		return func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
			made++
			return NewProbe(c, vs, rs, ProbeEnv{TrackFiles: sm.cfg.TrackFiles})
		}
	})
	sm.start().runFor(sec(1.5))
	wantWeights(t, sm, "weight 3", 11)
	sm.cfg = loadConfig(t, sameRS(head, check, 10))
	if err := sm.s.reload(sm.cfg, sm.now); err != nil {
		t.Fatal(err)
	}
	sm.runFor(sec(2))
	wantWeights(t, sm, "weight 10", 18)
	if made != 1 {
		t.Errorf("%d probes made, want the first one kept", made)
	}
}
