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

// streamProbe is a probe whose attempt is one exchange on a TCP
// connection (HTTP_GET): connect, send a request, read to the end of the
// connection. The scheduler runs such attempts on its connector too.
type streamProbe interface {
	URLProber
	connectOpts() *connOpts
	// stream begins an attempt on url i, or returns nil when the attempt
	// needs a goroutine (SSL_GET).
	stream(url int) streamExchange
}

// streamExchange is one attempt of a streamProbe, fed by the connector.
type streamExchange interface {
	request() []byte
	// dialFailed and writeFailed are the verdicts on a failed connect
	// (errCancelled when the loop stops) and a request that could not be
	// sent.
	dialFailed(kind dialKind, err error) Outcome
	writeFailed(err error) Outcome
	// limit is how many bytes the next read may take, at most n; 0 ends
	// the reading and the response is judged.
	limit(n int) int
	got(b []byte)
	// ended is the verdict when a read returns err: io.EOF at the end of
	// the stream, a timeout, or an error.
	ended(err error) Outcome
	judge() Outcome
}

// connectRunner runs the connects of connectProbes and the exchanges of
// streamProbes in the scheduler's loop (connector_linux.go).
type connectRunner interface {
	// connect starts a connect bounded by co's connect_timeout; finish
	// gets its result once, on the loop's goroutine: before connect
	// returns when it is known at once, else when the loop wakes
	// (errCancelled when the loop stops).
	connect(co *connOpts, now time.Time, finish func(dialKind, error))
	// exchange runs x on a connection to co's destination, each step
	// bounded by co's connect_timeout; done gets its verdict once, as
	// finish does.
	exchange(co *connOpts, now time.Time, x streamExchange, done func(Outcome))
}
