package check

import "context"

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
