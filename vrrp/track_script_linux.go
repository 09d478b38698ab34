package vrrp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// scriptKillGrace is keepalived's delay between SIGTERM and SIGKILL to a
// timed-out script's process group.
const scriptKillGrace = 2 * time.Second

// execScript runs a vrrp_script: execve of argv (no shell), stdio on
// /dev/null, its own process group, run as uid/gid when not -1. At the
// timeout the process group gets SIGTERM and, if the script is still there
// two seconds later, SIGKILL; children it left behind are killed too.
func execScript(ctx context.Context, argv []string, uid, gid int, timeout time.Duration) scriptOutcome {
	if len(argv) == 0 {
		return scriptOutcome{ExitStatus: -1, Err: errors.New("vrrp: empty script")}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return scriptOutcome{ExitStatus: -1, Err: fmt.Errorf("vrrp: open %s: %w", os.DevNull, err)}
	}
	defer devnull.Close()
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Stdin: devnull, Stdout: devnull, Stderr: devnull,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}}
	if (uid >= 0 && uid != os.Geteuid()) || (gid >= 0 && gid != os.Getegid()) {
		cred := &syscall.Credential{Uid: uint32(os.Geteuid()), Gid: uint32(os.Getegid()), NoSetGroups: false}
		if uid >= 0 {
			cred.Uid = uint32(uid)
		}
		if gid >= 0 {
			cred.Gid = uint32(gid)
			cred.Groups = []uint32{uint32(gid)}
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		return scriptOutcome{ExitStatus: -1, Err: fmt.Errorf("vrrp: exec %s: %w", argv[0], err)}
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	terminating := false
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-ctx.Done():
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			werr = <-done
			break wait
		case <-timer.C:
			if !terminating {
				terminating = true
				_ = syscall.Kill(-pgid, syscall.SIGTERM)
				timer.Reset(scriptKillGrace)
			} else {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				timer.Reset(10 * time.Second)
			}
		}
	}
	// Whatever the script left in its group goes with it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	o := scriptOutcome{}
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		ws, _ := ee.Sys().(syscall.WaitStatus)
		switch {
		case ws.Exited():
			o.ExitStatus = ws.ExitStatus()
		case ws.Signaled():
			o.ExitStatus = -1
			sig := ws.Signal()
			if terminating && (sig == syscall.SIGTERM || sig == syscall.SIGKILL) {
				o.TimedOut = true
			} else {
				o.Signal = int(sig)
			}
		}
	default:
		o.ExitStatus, o.Err = -1, werr
	}
	return o
}
