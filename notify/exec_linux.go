package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ExecRunner runs commands as keepalived does: execve of Argv[0] with no
// shell, stdin/stdout/stderr on /dev/null, a process group of its own,
// SIGTERM when gokeepalived dies (parent-death signal), gid, the single
// supplementary group and uid of the Command, and gokeepalived's
// environment. At the timeout or when ctx ends the whole process group is
// signalled, so children the script left behind go too.
type ExecRunner struct {
	// Logger receives the outcome of every run (exit status 0 at debug
	// level, failures at info or warn); nil means slog.Default().
	Logger *slog.Logger
}

var _ Runner = (*ExecRunner)(nil)

func (r *ExecRunner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Run starts c and waits for it.
func (r *ExecRunner) Run(ctx context.Context, c Command) Result {
	start := time.Now()
	res := r.run(ctx, c)
	res.Duration = time.Since(start)
	r.report(c, res)
	return res
}

func (r *ExecRunner) run(ctx context.Context, c Command) Result {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Result{ExitStatus: -1, Err: ErrEmptyCommand}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return Result{ExitStatus: -1, Err: fmt.Errorf("notify: open %s: %w", os.DevNull, err)}
	}
	defer devnull.Close()

	cmd := &exec.Cmd{
		Path:   c.Argv[0],
		Args:   c.Argv,
		Stdin:  devnull,
		Stdout: devnull,
		Stderr: devnull,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGTERM,
		},
	}
	if cred := credential(c.UID, c.GID); cred != nil {
		cmd.SysProcAttr.Credential = cred
	}
	if err := ctx.Err(); err != nil {
		return Result{ExitStatus: -1, Canceled: true, Err: fmt.Errorf("notify: %s not started: %w", c.Argv[0], err)}
	}
	if err := cmd.Start(); err != nil {
		return Result{ExitStatus: -1, Err: fmt.Errorf("notify: exec %s: %w", c.Argv[0], err)}
	}
	pgid := cmd.Process.Pid
	res := Result{Pid: pgid}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var werr error
	select {
	case werr = <-done:
	case <-timeout:
		res.TimedOut = true
		werr = killGroup(pgid, c.KillGrace, done)
	case <-ctx.Done():
		res.Canceled = true
		werr = killGroup(pgid, c.KillGrace, done)
	}
	res.ExitStatus = -1
	var ee *exec.ExitError
	switch {
	case werr == nil:
		res.ExitStatus = 0
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = int(ws.Signal())
		} else {
			res.ExitStatus = ee.ExitCode()
		}
	default:
		res.Err = fmt.Errorf("notify: wait %s: %w", c.Argv[0], werr)
	}
	return res
}

// killGroup ends a run: SIGTERM to the process group and SIGKILL grace
// later (at once when grace is 0). The SIGKILL goes to the group even when
// the leader has gone, so nothing the script started survives it.
func killGroup(pgid int, grace time.Duration, done <-chan error) error {
	if grace > 0 {
		_ = unix.Kill(-pgid, unix.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case err := <-done:
			_ = unix.Kill(-pgid, unix.SIGKILL)
			return err
		case <-t.C:
		}
	}
	_ = unix.Kill(-pgid, unix.SIGKILL)
	return <-done
}

// credential is what the child switches to; nil when it is us already.
func credential(uid, gid int) *syscall.Credential {
	if uid < 0 && gid < 0 {
		return nil
	}
	ouid, ogid := os.Getuid(), os.Getgid()
	if uid < 0 {
		uid = ouid
	}
	if gid < 0 {
		gid = ogid
	}
	if uid == ouid && gid == ogid && ouid != 0 {
		// An unprivileged gokeepalived cannot call setgroups; it already
		// is the script's user.
		return nil
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{uint32(gid)}}
}

func (r *ExecRunner) report(c Command, res Result) {
	l := r.log()
	name := c.Name
	if name == "" && len(c.Argv) > 0 {
		name = c.Argv[0]
	}
	attrs := []any{slog.String("script", name), slog.Int("pid", res.Pid), slog.Duration("duration", res.Duration)}
	switch {
	case res.Err != nil && len(c.Argv) > 0:
		l.Warn(fmt.Sprintf("Error exec-ing command '%s', error %d: %v", c.Argv[0], errnoOf(res.Err), unwrapErrno(res.Err)), attrs...)
	case res.Err != nil:
		l.Warn(res.Err.Error(), attrs...)
	case res.TimedOut:
		l.Warn(fmt.Sprintf("Script %s timed out", c.String()), attrs...)
	case res.Canceled:
		l.Info(fmt.Sprintf("Script %s terminated", c.String()), attrs...)
	case res.Signal != 0:
		l.Info(fmt.Sprintf("Script %s killed by signal %d", c.String(), res.Signal), attrs...)
	case res.ExitStatus != 0:
		l.Info(fmt.Sprintf("Script %s exited with status %d", c.String(), res.ExitStatus), attrs...)
	default:
		// keepalived logs nothing for a notify script that worked.
		l.Debug(fmt.Sprintf("Script %s exited with status 0", c.String()), attrs...)
	}
}

func errnoOf(err error) int {
	var en syscall.Errno
	if errors.As(err, &en) {
		return int(en)
	}
	return 0
}

func unwrapErrno(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}

func defaultRunner(log *slog.Logger) Runner { return &ExecRunner{Logger: log} }
