package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestRespawnBackoff(t *testing.T) {
	var b respawnBackoff
	var got []time.Duration
	for range 10 {
		got = append(got, b.delay(time.Second))
	}
	want := []time.Duration{0, 1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("delays %v, want %v seconds", got, want)
		}
	}
	if d := b.delay(time.Minute); d != 0 {
		t.Errorf("a child that ran a minute waits %v, want 0", d)
	}
	if d := b.delay(time.Second); d != 0 {
		t.Errorf("after a long run the back-off restarts at %v, want 0", d)
	}
	if d := b.delay(time.Second); d != time.Second {
		t.Errorf("second quick death waits %v, want 1s", d)
	}
}

func TestPermanentExit(t *testing.T) {
	tests := []struct {
		exit childExit
		code int
		msg  string
	}{
		{childExit{Status: 1}, 1, "Keepalived_vrrp exited with permanent error FATAL. Terminating"},
		{childExit{Status: 2}, 2, "Keepalived_vrrp exited with permanent error CONFIG. Terminating"},
		{childExit{Status: 4}, 4, "Keepalived_vrrp exited with permanent error missing permission. Terminating"},
		{childExit{Status: 3}, 0, ""},
		{childExit{Signal: syscall.SIGKILL}, 0, ""},
	}
	for _, tt := range tests {
		code, msg := permanentExit(vrrpChild, tt.exit)
		if code != tt.code || msg != tt.msg {
			t.Errorf("permanentExit(%+v) = %d %q, want %d %q", tt.exit, code, msg, tt.code, tt.msg)
		}
	}
	if got := describeExit(checkerChild, childExit{Signal: syscall.SIGKILL}); got != "Keepalived_healthcheckers exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?" {
		t.Errorf("describeExit(SIGKILL) = %q", got)
	}
}

// fakeChild is a child process the test ends by hand.
type fakeChild struct {
	pid     int
	kind    childKind
	exit    chan childExit
	mu      sync.Mutex
	signals []os.Signal
	// onTerm is how the child reacts to SIGTERM; nil ignores it.
	onTerm *childExit
}

func (f *fakeChild) Pid() int { return f.pid }
func (f *fakeChild) Signal(s os.Signal) error {
	f.mu.Lock()
	f.signals = append(f.signals, s)
	f.mu.Unlock()
	if s == syscall.SIGKILL {
		f.exit <- childExit{Signal: syscall.SIGKILL}
	} else if s == syscall.SIGTERM && f.onTerm != nil {
		f.exit <- *f.onTerm
	}
	return nil
}
func (f *fakeChild) Wait() childExit { return <-f.exit }
func (f *fakeChild) Ready() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}
func (f *fakeChild) got() []os.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]os.Signal(nil), f.signals...)
}

type fakeLauncher struct {
	mu       sync.Mutex
	started  []*fakeChild
	nextPid  int
	ignoreTE bool
}

func (l *fakeLauncher) launch(k childKind) (childProcess, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextPid++
	c := &fakeChild{pid: 100 + l.nextPid, kind: k, exit: make(chan childExit, 2)}
	if !l.ignoreTE {
		c.onTerm = &childExit{}
	}
	l.started = append(l.started, c)
	return c, nil
}

func (l *fakeLauncher) children(role string) []*fakeChild {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*fakeChild
	for _, c := range l.started {
		if c.kind.Role == role {
			out = append(out, c)
		}
	}
	return out
}

type supervisorRun struct {
	launcher *fakeLauncher
	signals  chan os.Signal
	logs     *bytes.Buffer
	logMu    *sync.Mutex
	status   chan int
}

func startSupervisor(t *testing.T, dontRespawn, ignoreTerm bool) *supervisorRun {
	t.Helper()
	r := &supervisorRun{
		launcher: &fakeLauncher{ignoreTE: ignoreTerm},
		signals:  make(chan os.Signal, 1),
		logs:     &bytes.Buffer{},
		logMu:    &sync.Mutex{},
		status:   make(chan int, 1),
	}
	h := slog.NewTextHandler(lockedWriter{r.logMu, r.logs}, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	s := &supervisor{
		kinds:       []childKind{vrrpChild, checkerChild},
		launch:      r.launcher.launch,
		log:         slog.New(h),
		dontRespawn: dontRespawn,
		childWait:   5 * time.Second,
	}
	go func() { r.status <- s.run(context.Background(), r.signals) }()
	synctest.Wait()
	return r
}

func (r *supervisorRun) log() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSupervisorRespawnsWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startSupervisor(t, false, false)
		if n := len(r.launcher.children("vrrp")); n != 1 {
			t.Fatalf("%d VRRP children started, want 1", n)
		}
		// A quick death restarts at once, the next waits 1 s.
		r.launcher.children("vrrp")[0].exit <- childExit{Signal: syscall.SIGKILL}
		synctest.Wait()
		if n := len(r.launcher.children("vrrp")); n != 2 {
			t.Fatalf("after the first death %d VRRP children, want 2", n)
		}
		r.launcher.children("vrrp")[1].exit <- childExit{Signal: syscall.SIGKILL}
		synctest.Wait()
		if n := len(r.launcher.children("vrrp")); n != 2 {
			t.Fatalf("the second death restarted at once")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(r.launcher.children("vrrp")); n != 3 {
			t.Fatalf("not restarted 1 s after the second death (%d children)", n)
		}
		for _, want := range []string{
			"Starting VRRP child process, pid=101",
			"Starting Healthcheck child process, pid=102",
			"VRRP child process(101) died: Respawning",
			"Restart of VRRP process delayed 1 seconds to limit respawn rate",
			"Startup complete",
		} {
			if !strings.Contains(r.log(), want) {
				t.Errorf("log lacks %q:\n%s", want, r.log())
			}
		}
		if n := len(r.launcher.children("checker")); n != 1 {
			t.Errorf("the checker child was restarted too (%d)", n)
		}
		r.signals <- syscall.SIGTERM
		if got := <-r.status; got != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0", got)
		}
	})
}

func TestSupervisorStopsOnPermanentError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startSupervisor(t, false, false)
		r.launcher.children("checker")[0].exit <- childExit{Status: exitFatal}
		if got := <-r.status; got != exitFatal {
			t.Errorf("exit status %d, want %d", got, exitFatal)
		}
		if !strings.Contains(r.log(), "Keepalived_healthcheckers exited with permanent error FATAL. Terminating") {
			t.Errorf("log:\n%s", r.log())
		}
		if sigs := r.launcher.children("vrrp")[0].got(); len(sigs) == 0 || sigs[0] != syscall.SIGTERM {
			t.Errorf("VRRP child got %v, want SIGTERM", sigs)
		}
	})
}

func TestSupervisorDontRespawn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startSupervisor(t, true, false)
		r.launcher.children("vrrp")[0].exit <- childExit{Signal: syscall.SIGSEGV}
		if got := <-r.status; got != 0 {
			t.Errorf("exit status %d, want 0", got)
		}
		if !strings.Contains(r.log(), "VRRP child process(101) died: Exiting") {
			t.Errorf("log:\n%s", r.log())
		}
		if n := len(r.launcher.children("vrrp")); n != 1 {
			t.Errorf("respawned with -R")
		}
	})
}

func TestSupervisorForwardsSignals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startSupervisor(t, false, false)
		for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON, sigStatsClear} {
			r.signals <- s
			synctest.Wait()
		}
		vrrp := r.launcher.children("vrrp")[0].got()
		check := r.launcher.children("checker")[0].got()
		if want := []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON, sigStatsClear}; !sameSignals(vrrp, want) {
			t.Errorf("VRRP child got %v, want %v", vrrp, want)
		}
		if want := []os.Signal{syscall.SIGHUP, syscall.SIGUSR1}; !sameSignals(check, want) {
			t.Errorf("checker child got %v, want %v", check, want)
		}
		r.signals <- syscall.SIGINT
		<-r.status
	})
}

func TestSupervisorKillsChildrenThatDoNotStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startSupervisor(t, false, true)
		start := time.Now()
		r.signals <- syscall.SIGTERM
		<-r.status
		if waited := time.Since(start); waited != 5*time.Second {
			t.Errorf("children killed after %v, want child_wait_time 5s", waited)
		}
		if !strings.Contains(r.log(), "vrrp process failed to die - forcing termination") {
			t.Errorf("log:\n%s", r.log())
		}
	})
}

func sameSignals(a, b []os.Signal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
