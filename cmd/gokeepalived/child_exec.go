package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// childRoleEnv tells a re-executed gokeepalived which child it is. An
// environment variable rather than a flag keeps the children's command
// lines identical to the parent's, as keepalived's forked children are.
const childRoleEnv = "GOKEEPALIVED_CHILD"

// execChild is a child started by re-executing our own binary.
type execChild struct {
	cmd *exec.Cmd
}

// execLauncher returns a launcher that runs self with the parent's
// arguments and the child's role in the environment. Children get SIGTERM
// when the parent dies, as keepalived's do (PR_SET_PDEATHSIG).
func execLauncher(self string, args []string) childLauncher {
	return func(k childKind) (childProcess, error) {
		cmd := exec.Command(self, args...)
		cmd.Env = append(os.Environ(), childRoleEnv+"="+k.Role)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s child: %w", k.Role, err)
		}
		return &execChild{cmd}, nil
	}
}

func (c *execChild) Pid() int                 { return c.cmd.Process.Pid }
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
