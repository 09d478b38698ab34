package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// childKind is one of keepalived's worker processes.
type childKind struct {
	// Role selects the child's job when the binary is re-executed.
	Role string
	// Ident is keepalived's syslog ident and the name its exit messages use.
	Ident string
	// Short is the name in respawn messages ("VRRP child process(12) died").
	Short string
	// Restart is the name in "Restart of VRRP process delayed ...".
	Restart string
	// Term is the name in "checker process failed to die - forcing
	// termination".
	Term string
}

var (
	vrrpChild    = childKind{Role: "vrrp", Ident: "Keepalived_vrrp", Short: "VRRP", Restart: "VRRP", Term: "vrrp"}
	checkerChild = childKind{Role: "checker", Ident: "Keepalived_healthcheckers", Short: "Healthcheck", Restart: "Healthcheck", Term: "checker"}
)

// Exit statuses a child uses to tell the parent that restarting it cannot
// help (keepalived's KEEPALIVED_EXIT_FATAL, _CONFIG, _MISSING_PERMISSION).
const (
	exitFatal             = 1
	exitConfig            = 2
	exitMissingPermission = 4
)

// childExit is how a child process ended.
type childExit struct {
	Status int            // exit status when Signal is 0
	Signal syscall.Signal // terminating signal, 0 if it exited
}

// childProcess is a started child. The supervisor owns it until Wait returns.
type childProcess interface {
	Pid() int
	Signal(os.Signal) error
	Wait() childExit
	// Ready is closed when the child has read its configuration.
	Ready() <-chan struct{}
}

// childLauncher starts a child of the given kind.
type childLauncher func(childKind) (childProcess, error)

// respawnBackoff is keepalived's restart rate limit: a child that ran for
// a minute or more restarts at once; otherwise the delays run 0, 1, 2, 4,
// ... 32, 60, 60 seconds.
type respawnBackoff struct {
	next time.Duration
}

func (b *respawnBackoff) delay(ranFor time.Duration) time.Duration {
	if ranFor >= time.Minute {
		b.next = 0
		return 0
	}
	d := b.next
	switch {
	case d == 0:
		b.next = time.Second
	case d > 30*time.Second:
		b.next = time.Minute
	default:
		b.next = 2 * d
	}
	return d
}

// permanentExit returns the parent's exit status when the child's exit
// means it must not be restarted, with keepalived's message, or 0.
func permanentExit(kind childKind, e childExit) (int, string) {
	if e.Signal != 0 {
		return 0, ""
	}
	var why string
	switch e.Status {
	case exitFatal:
		why = "FATAL"
	case exitConfig:
		why = "CONFIG"
	case exitMissingPermission:
		why = "missing permission"
	default:
		return 0, ""
	}
	return e.Status, fmt.Sprintf("%s exited with permanent error %s. Terminating", kind.Ident, why)
}

// describeExit is keepalived's line for a non-permanent child death, or "".
func describeExit(kind childKind, e childExit) string {
	switch {
	case e.Signal == syscall.SIGSEGV:
		return kind.Ident + " exited due to segmentation fault (SIGSEGV)."
	case e.Signal != 0:
		extra := ""
		if e.Signal == syscall.SIGKILL {
			extra = " - has rlimit_rttime been exceeded?"
		}
		return fmt.Sprintf("%s exited due to signal %d (%s)%s", kind.Ident, int(e.Signal), signalDescription(e.Signal), extra)
	case e.Status != 0:
		return fmt.Sprintf("%s exited with status %d", kind.Ident, e.Status)
	}
	return ""
}

// signalDescription is strsignal(3)'s text, which keepalived's line quotes.
func signalDescription(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "Killed"
	case syscall.SIGTERM:
		return "Terminated"
	case syscall.SIGABRT:
		return "Aborted"
	case syscall.SIGINT:
		return "Interrupt"
	case syscall.SIGHUP:
		return "Hangup"
	}
	return s.String()
}

// supervisor is keepalived's parent process: it starts the children,
// forwards signals to them, restarts a child that dies and stops them all
// on SIGTERM/SIGINT.
type supervisor struct {
	kinds       []childKind
	launch      childLauncher
	log         *slog.Logger
	dontRespawn bool
	// childWait is how long children get to stop before SIGKILL
	// (keepalived's child_wait_time, default 5 s).
	childWait time.Duration
	// onReady runs once every child first started has read its
	// configuration (systemd's READY=1).
	onReady func()
}

type supervisedChild struct {
	kind    childKind
	proc    childProcess
	started time.Time
	backoff respawnBackoff
	// readySeen is set once the child first reported ready.
	readySeen bool
}

type readyEvent struct {
	child *supervisedChild
	proc  childProcess
}

type exitEvent struct {
	child *supervisedChild
	proc  childProcess
	exit  childExit
}

// forwardedTo says which children a signal is forwarded to: reload and
// data dumps go to all, the VRRP-only dumps to the VRRP child.
func forwardedTo(sig os.Signal, kind childKind) bool {
	switch sig {
	case syscall.SIGUSR2, sigStatsClear, sigJSON:
		return kind.Role == vrrpChild.Role
	}
	return true
}

// run supervises until a stop signal or a permanent child failure and
// returns the parent's exit status.
func (s *supervisor) run(ctx context.Context, signals <-chan os.Signal) int {
	// Cancelled on return, so that no helper goroutine outlives the loop.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exits := make(chan exitEvent)
	readies := make(chan readyEvent)
	waitingReady := len(s.kinds)
	// One pending restart per child at most, so a timer never blocks.
	restarts := make(chan *supervisedChild, len(s.kinds))
	children := make([]*supervisedChild, 0, len(s.kinds))
	live := 0
	start := func(c *supervisedChild) bool {
		p, err := s.launch(c.kind)
		if err != nil {
			s.log.Error(fmt.Sprintf("%s child process: fork error(%v)", c.kind.Short, err))
			return false
		}
		c.proc, c.started = p, time.Now()
		live++
		s.log.Info(fmt.Sprintf("Starting %s child process, pid=%d", c.kind.Short, p.Pid()))
		go func() { exits <- exitEvent{c, p, p.Wait()} }()
		go func() {
			select {
			case <-p.Ready():
				readies <- readyEvent{c, p}
			case <-ctx.Done():
			}
		}()
		return true
	}
	for _, k := range s.kinds {
		c := &supervisedChild{kind: k}
		children = append(children, c)
		start(c)
	}

	status := 0
	stopping := false
	var killTimer <-chan time.Time
	stop := func() {
		if stopping {
			return
		}
		stopping = true
		s.log.Info("Stopping")
		for _, c := range children {
			if c.proc != nil {
				_ = c.proc.Signal(syscall.SIGTERM)
			}
		}
		killTimer = time.After(s.childWait)
	}
	done := ctx.Done()
	for !stopping || live > 0 {
		select {
		case <-done:
			done = nil
			stop()
		case sig := <-signals:
			if sig == syscall.SIGTERM || sig == syscall.SIGINT {
				stop()
				continue
			}
			if sig == syscall.SIGHUP {
				s.log.Info("Reloading ...")
			}
			for _, c := range children {
				if c.proc != nil && forwardedTo(sig, c.kind) {
					_ = c.proc.Signal(sig)
				}
			}
		case <-killTimer:
			for _, c := range children {
				if c.proc != nil {
					s.log.Info(fmt.Sprintf("%s process failed to die - forcing termination", c.kind.Term))
					_ = c.proc.Signal(syscall.SIGKILL)
				}
			}
		case ev := <-readies:
			if ev.child.readySeen || stopping {
				continue
			}
			ev.child.readySeen = true
			if waitingReady--; waitingReady == 0 {
				s.log.Info("Startup complete")
				if s.onReady != nil {
					s.onReady()
				}
			}
		case c := <-restarts:
			if !stopping && c.proc == nil {
				start(c)
			}
		case ev := <-exits:
			live--
			c := ev.child
			if c.proc == ev.proc {
				c.proc = nil
			}
			if stopping {
				continue
			}
			if code, msg := permanentExit(c.kind, ev.exit); code != 0 {
				s.log.Info(msg)
				status = code
				stop()
				continue
			}
			if line := describeExit(c.kind, ev.exit); line != "" {
				s.log.Info(line)
			}
			if s.dontRespawn {
				s.log.Error(fmt.Sprintf("%s child process(%d) died: Exiting", c.kind.Short, ev.proc.Pid()))
				stop()
				continue
			}
			s.log.Error(fmt.Sprintf("%s child process(%d) died: Respawning", c.kind.Short, ev.proc.Pid()))
			d := c.backoff.delay(time.Since(c.started))
			if d == 0 {
				start(c)
				continue
			}
			s.log.Info(fmt.Sprintf("Restart of %s process delayed %d seconds to limit respawn rate", c.kind.Restart, int(d/time.Second)))
			time.AfterFunc(d, func() { restarts <- c })
		}
	}
	return status
}
