//go:build unix

package check

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// ExecScriptRunner runs scripts with os/exec: own process group, stdio on
// /dev/null, the environment inherited, the script's uid and gid (and, when
// we are root, that gid as the only supplementary group, as keepalived
// sets them).
type ExecScriptRunner struct {
	// TermGrace is how long a timed-out script has between SIGTERM and
	// SIGKILL; zero means keepalived's 2 s.
	TermGrace time.Duration
}

func defaultScriptRunner() ScriptRunner { return ExecScriptRunner{} }

func (r ExecScriptRunner) Run(ctx context.Context, s *parser.Script, timeout time.Duration) ScriptResult {
	grace := r.TermGrace
	if grace == 0 {
		grace = 2 * time.Second
	}
	// Exec argv[0] as configured (ApplyScriptSecurity already made it a
	// full path); a shebang script then sees the same $0 as with keepalived.
	cmd := exec.Command(s.Argv[0])
	cmd.Args = s.Argv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	switch {
	case s.UID < 0 || s.GID < 0:
	case os.Geteuid() == 0:
		// As keepalived: the script's gid is its only supplementary group.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(s.UID), Gid: uint32(s.GID), Groups: []uint32{uint32(s.GID)}}
	case s.UID != os.Geteuid() || s.GID != os.Getegid():
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(s.UID), Gid: uint32(s.GID), NoSetGroups: true}
	}
	if err := startScript(cmd); err != nil {
		return ScriptResult{Err: err}
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	timedOut, termSent := false, false
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-ctx.Done():
			syscall.Kill(-pgid, syscall.SIGKILL)
			err = <-done
			break wait
		case <-timer.C:
			timedOut = true
			sig := syscall.SIGKILL
			if !termSent {
				sig, termSent = syscall.SIGTERM, true
			}
			if e := syscall.Kill(-pgid, sig); errors.Is(e, syscall.ESRCH) {
				err = <-done
				break wait
			}
			timer.Reset(grace)
		}
	}
	// Children the script left behind in its group go with it.
	syscall.Kill(-pgid, syscall.SIGKILL)
	return scriptResult(err, timedOut)
}

func scriptResult(err error, timedOut bool) ScriptResult {
	if err == nil {
		return ScriptResult{}
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return ScriptResult{Err: err}
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		return ScriptResult{Status: ee.ExitCode()}
	}
	if ws.Signaled() {
		sig := ws.Signal()
		return ScriptResult{Signal: int(sig), TimedOut: timedOut && (sig == syscall.SIGTERM || sig == syscall.SIGKILL)}
	}
	return ScriptResult{Status: ws.ExitStatus()}
}
