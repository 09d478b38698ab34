package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Command is one run of a script: what keepalived would exec and as whom.
type Command struct {
	// Argv is the program and its arguments as the parser left them:
	// Argv[0] is the resolved path, which is both the file executed and
	// argv[0]. No shell is involved.
	Argv []string
	// UID and GID are the user and group the script runs as (parser.Script
	// UID/GID after script security); -1 keeps gokeepalived's own.
	UID, GID int
	// Timeout bounds the run; 0 means none (keepalived's notify scripts).
	// When it expires the whole process group is signalled, see KillGrace.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL to the process
	// group at the timeout or at cancellation. 0 sends SIGKILL straight
	// away, as keepalived does for STOP scripts.
	KillGrace time.Duration
	// Name labels the run in logs (e.g. "notify_master VI_1").
	Name string
}

// With returns a copy of c with args appended to its argv, leaving c alone.
func (c Command) With(args ...string) Command {
	argv := make([]string, 0, len(c.Argv)+len(args))
	argv = append(argv, c.Argv...)
	c.Argv = append(argv, args...)
	return c
}

// String renders the argv as keepalived's messages do: each word quoted.
func (c Command) String() string {
	var b strings.Builder
	for i, w := range c.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(w)
		b.WriteByte('\'')
	}
	return b.String()
}

// Result is how a run ended.
type Result struct {
	Pid int
	// ExitStatus is the exit code, or -1 when the process was killed by a
	// signal or never started.
	ExitStatus int
	// Signal is the signal that killed it, 0 if none.
	Signal int
	// TimedOut tells that the run outlived Command.Timeout and its process
	// group was killed.
	TimedOut bool
	// Canceled tells that the context ended the run.
	Canceled bool
	// Err is set when the script could not be started.
	Err      error
	Duration time.Duration
}

// OK tells whether the script ran and exited with status 0.
func (r Result) OK() bool { return r.Err == nil && r.ExitStatus == 0 && !r.TimedOut && r.Signal == 0 }

func (r Result) String() string {
	switch {
	case r.Err != nil:
		return "not started: " + r.Err.Error()
	case r.TimedOut:
		return "timed out"
	case r.Signal != 0:
		return "killed by signal " + strconv.Itoa(r.Signal)
	}
	return "exit status " + strconv.Itoa(r.ExitStatus)
}

// Runner runs one command to its end. Implementations must kill the
// command's whole process group when its timeout expires or ctx ends.
type Runner interface {
	Run(ctx context.Context, c Command) Result
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, c Command) Result

func (f RunnerFunc) Run(ctx context.Context, c Command) Result { return f(ctx, c) }

// State is a word keepalived puts in notify arguments, FIFO lines and mails.
type State string

// The VRRP states and events keepalived reports.
const (
	Master           State = "MASTER"
	Backup           State = "BACKUP"
	Fault            State = "FAULT"
	Stop             State = "STOP"
	Deleted          State = "DELETED"
	MasterRxLowerPri State = "MASTER_RX_LOWER_PRI" // FIFO only
	MasterPriority   State = "MASTER_PRIORITY"     // FIFO only
	BackupPriority   State = "BACKUP_PRIORITY"     // FIFO only
)

// InstanceNotifyArgs is the argv of an instance's generic `notify` script:
// the configured words, then INSTANCE, the name, the state and the
// effective priority.
func InstanceNotifyArgs(c Command, name string, s State, priority int) Command {
	return c.With("INSTANCE", name, string(s), strconv.Itoa(priority))
}

// GroupNotifyArgs is the argv of a sync group's generic `notify` script: the
// configured words, then GROUP, the name, the state and 0.
func GroupNotifyArgs(c Command, name string, s State) Command {
	return c.With("GROUP", name, string(s), "0")
}

// FIFOScriptArgs is the argv of a notify_fifo_script (and the vrrp_/lvs_
// ones): the configured words and the FIFO's path.
func FIFOScriptArgs(c Command, fifoPath string) Command {
	return c.With(fifoPath)
}

// State-specific scripts (notify_master, notify_backup, notify_fault,
// notify_stop, notify_deleted, notify_master_rx_lower_pri), real-server
// notify_up/notify_down and quorum_up/quorum_down get exactly their
// configured words: run the Command as it is.

// StopTimeout is how long keepalived lets a script started for a STOP
// notification, or at shutdown, run before it kills the process group.
const StopTimeout = time.Second

// ForStop returns c as keepalived runs scripts for a STOP notification or
// at shutdown: SIGKILL to the process group after StopTimeout.
func (c Command) ForStop() Command {
	c.Timeout, c.KillGrace = StopTimeout, 0
	return c
}

// ErrEmptyCommand is returned for a Command without argv.
var ErrEmptyCommand = fmt.Errorf("notify: empty command")
