package check

import (
	"context"
	"time"
)

// Probe is one checker (HTTP_GET, TCP_CHECK, ...) bound to one real server.
// Check makes a single attempt; retries, delays and state belong to the
// scheduler, so that every checker type shares keepalived's timing rules.
type Probe interface {
	Check(ctx context.Context) Outcome
}

// Outcome is the result of one attempt.
type Outcome struct {
	// OK is true when the attempt passed.
	OK bool
	// Weight is the real server's new weight when HasWeight is set
	// (MISC_CHECK with misc_dynamic reports one through its exit code).
	Weight    int
	HasWeight bool
	// Err says why the attempt failed; keepalived's log lines quote it.
	Err error
}

// connectProbe is a probe whose whole attempt is one TCP connect
// (TCP_CHECK). The scheduler runs such attempts on its connector, without
// a goroutine each, and asks the probe for the verdict.
type connectProbe interface {
	Probe
	connectOpts() *connOpts
	outcome(dialKind, error) Outcome
}

// connectRunner runs the connects of connectProbes in the scheduler's
// loop (connector_linux.go).
type connectRunner interface {
	// connect starts a connect bounded by co's connect_timeout; finish
	// gets its result once, on the loop's goroutine: before connect
	// returns when it is known at once, else when the loop wakes
	// (errCancelled when the loop stops).
	connect(co *connOpts, now time.Time, finish func(dialKind, error))
}
