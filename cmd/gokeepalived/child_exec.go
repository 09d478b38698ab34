package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// childRoleEnv tells a re-executed gokeepalived which child it is. An
// environment variable rather than a flag keeps the children's command
// lines identical to the parent's, as keepalived's forked children are.
const childRoleEnv = "GOKEEPALIVED_CHILD"

// execChild is a child started by re-executing our own binary.
type execChild struct {
	cmd   *exec.Cmd
	ready chan struct{}
}

// readyFDEnv names the descriptor on which a child reports that it has
// read its configuration, by closing it after writing one byte.
const readyFDEnv = "GOKEEPALIVED_READY_FD"

// reportReady tells the parent, if there is one, that this child is ready.
func reportReady() {
	fd, err := strconv.Atoi(os.Getenv(readyFDEnv))
	if err != nil || fd < 3 {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	_, _ = f.Write([]byte{1})
	f.Close()
}

// execLauncher returns a launcher that runs self with the parent's
// arguments and the child's role in the environment. Children get SIGTERM
// when the parent dies, as keepalived's do (PR_SET_PDEATHSIG).
func execLauncher(self string, args []string) childLauncher {
	return func(k childKind) (childProcess, error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("start %s child: %w", k.Role, err)
		}
		defer w.Close()
		cmd := exec.Command(self, args...)
		cmd.Env = append(os.Environ(), childRoleEnv+"="+k.Role, readyFDEnv+"=3")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
		cmd.ExtraFiles = []*os.File{w}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			r.Close()
			return nil, fmt.Errorf("start %s child: %w", k.Role, err)
		}
		c := &execChild{cmd: cmd, ready: make(chan struct{})}
		go func() {
			defer r.Close()
			var b [1]byte
			if n, _ := r.Read(b[:]); n == 1 {
				close(c.ready)
			}
		}()
		return c, nil
	}
}

func (c *execChild) Pid() int                 { return c.cmd.Process.Pid }
func (c *execChild) Ready() <-chan struct{}   { return c.ready }
func (c *execChild) Signal(s os.Signal) error { return c.cmd.Process.Signal(s) }

func (c *execChild) Wait() childExit {
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return childExit{Status: exitFatal}
	}
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return childExit{Status: c.cmd.ProcessState.ExitCode()}
	}
	if ws.Signaled() {
		return childExit{Signal: ws.Signal()}
	}
	return childExit{Status: ws.ExitStatus()}
}
