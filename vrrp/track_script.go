package vrrp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// scriptOutcome is how one run of a vrrp_script ended.
type scriptOutcome struct {
	ExitStatus int  // exit code when it exited
	Signal     int  // the signal that killed it, when it did not time out
	TimedOut   bool // it outlived its timeout and we killed its process group
	Err        error
}

// scriptExecFunc runs argv as uid/gid to its end, killing its whole process
// group when timeout passes (SIGTERM, then SIGKILL two seconds later) or ctx
// ends. execScript (track_script_linux.go) is the real one.
type scriptExecFunc func(ctx context.Context, argv []string, uid, gid int, timeout time.Duration) scriptOutcome

// scriptTracker runs one vrrp_script every interval from a timer re-armed
// when it fires, as keepalived does (so a slow script does not stretch the
// period), and reports each result; the state machine keeps rise and fall
// and logs keepalived's "Script `x` now returning N".
type scriptTracker struct {
	name     string
	argv     []string
	uid, gid int
	interval time.Duration
	timeout  time.Duration
	exec     scriptExecFunc
	report   func(name string, o scriptOutcome)
	log      *slog.Logger

	mu      sync.Mutex
	running bool
}

func newScriptTracker(s *parser.VRRPScript, exec scriptExecFunc, report func(string, scriptOutcome), log *slog.Logger) *scriptTracker {
	t := &scriptTracker{name: s.Name, interval: time.Duration(s.Interval) * time.Microsecond,
		timeout: time.Duration(s.Timeout) * time.Microsecond, exec: exec, report: report, log: log,
		uid: -1, gid: -1}
	if s.Script != nil {
		t.argv = s.Script.Argv
		t.uid, t.gid = s.Script.UID, s.Script.GID
	}
	if t.interval <= 0 {
		t.interval = time.Second
	}
	if t.timeout <= 0 {
		t.timeout = t.interval
	}
	return t
}

// Run launches the script at once and then every interval until ctx ends;
// it waits for the runs it started before returning.
func (t *scriptTracker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		tick.Reset(t.interval)
		t.mu.Lock()
		busy := t.running
		t.running = true
		t.mu.Unlock()
		if busy {
			// keepalived 2.2.7 logs this and starts a second copy anyway;
			// we skip the run, as later keepalived releases do.
			t.log.Info("Track script " + t.name + " is already running, expect idle - skipping run")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := t.exec(ctx, t.argv, t.uid, t.gid, t.timeout)
			t.mu.Lock()
			t.running = false
			t.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			if o.Err != nil {
				t.log.Warn("VRRP_Script("+t.name+") cannot run", "err", o.Err)
			}
			t.report(t.name, o)
		}()
	}
}
