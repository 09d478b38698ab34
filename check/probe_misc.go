package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// ErrDisabled is returned by NewProbe for a checker keepalived removes at
// start-up (a MISC_CHECK whose script is missing, not executable, unsafe
// or has an unknown user). Its real server is then not checked by it.
var ErrDisabled = errors.New("check: checker disabled")

// ScriptRunner runs one MISC_CHECK script to completion.
type ScriptRunner interface {
	// Run starts the script in its own process group as its user, waits
	// for it and, when timeout passes first, ends the whole group
	// (SIGTERM, then SIGKILL). Cancelling ctx kills the group at once.
	Run(ctx context.Context, s *parser.Script, timeout time.Duration) ScriptResult
}

// ScriptResult is how a script ended.
type ScriptResult struct {
	// Status is the exit status when the script exited.
	Status int
	// Signal is the signal that ended it, 0 when it exited.
	Signal int
	// TimedOut is set when it was ended because the timeout passed.
	TimedOut bool
	// Err is set when it could not be started; nothing else is then set.
	Err error
}

// MiscError describes a failed MISC_CHECK run; ProbeError.Err holds it.
type MiscError struct {
	RS, VS   string // FMT_CHK and FMT_VS
	Argv0    string
	Result   ScriptResult
	Disabled bool
}

func (e *MiscError) Error() string { return e.detail() }

// detail is the part of keepalived's line after "failed" / "timed out".
func (e *MiscError) detail() string {
	switch {
	case e.Result.Err != nil:
		return e.Result.Err.Error()
	case e.Result.TimedOut:
		return "timed out"
	case e.Result.Signal != 0:
		return fmt.Sprintf("due to signal %d", e.Result.Signal)
	}
	return fmt.Sprintf("exited with status %d", e.Result.Status)
}

// LogLine is keepalived's line for the failure; retryText is what the
// scheduler knows about retries (" with retry disabled", ", will do 2
// retries", " on retry 1/2", " after 2 retries", or "").
func (e *MiscError) LogLine(retryText string) string {
	if e.Result.TimedOut && e.Result.Err == nil {
		return fmt.Sprintf("Misc check for [%s VS %s] by [%s] timed out%s.", e.RS, e.VS, e.Argv0, retryText)
	}
	return fmt.Sprintf("Misc check for [%s VS %s] by [%s] failed%s (%s).", e.RS, e.VS, e.Argv0, retryText, e.detail())
}

// miscProbe is MISC_CHECK: run the script; exit 0 passes; with
// misc_dynamic, exit 2..255 passes too and sets the weight to status-2.
type miscProbe struct {
	id      probeIdentity
	script  *parser.Script
	timeout time.Duration
	dynamic bool
	weight  int // the real server's configured weight
	runner  ScriptRunner
}

func newMiscProbe(c *parser.Checker, vs *parser.VirtualServer, rs *parser.RealServer, id probeIdentity, env *ProbeEnv) (*miscProbe, error) {
	m := c.Misc
	if m == nil || m.Script == nil || len(m.Script.Argv) == 0 {
		return nil, fmt.Errorf("%w: MISC_CHECK of %s has no misc_path", ErrDisabled, id.rs)
	}
	if m.Script.Disabled {
		return nil, fmt.Errorf("%w: MISC_CHECK script %s of %s cannot be run", ErrDisabled, m.Script.Argv[0], id.rs)
	}
	timeout := m.Timeout
	if timeout == 0 {
		timeout = vs.DelayLoop
	}
	runner := env.Scripts
	if runner == nil {
		runner = defaultScriptRunner()
	}
	return &miscProbe{
		id:      id,
		script:  m.Script,
		timeout: probeDuration(timeout),
		dynamic: m.Dynamic,
		weight:  int(rs.Weight),
		runner:  runner,
	}, nil
}

func (p *miscProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *miscProbe) check(ctx context.Context) Outcome {
	r := p.runner.Run(ctx, p.script, p.timeout)
	if r.Err == nil && !r.TimedOut && r.Signal == 0 {
		switch {
		case r.Status == 0 && p.dynamic:
			return Outcome{OK: true, HasWeight: true, Weight: p.weight}
		case r.Status == 0:
			return Outcome{OK: true}
		case p.dynamic && r.Status >= 2 && r.Status <= 255:
			return Outcome{OK: true, HasWeight: true, Weight: r.Status - 2}
		}
	}
	me := &MiscError{RS: p.id.rs, VS: p.id.vs, Argv0: p.script.Argv[0], Result: r}
	pe := &ProbeError{Reason: me.detail(), Line: me.LogLine(""), Err: me}
	if r.Err != nil {
		pe.Err = fmt.Errorf("%w: %w", ErrLocal, me)
	}
	return failed(pe)
}
