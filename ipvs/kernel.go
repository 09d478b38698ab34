package ipvs

import (
	"context"
	"errors"
	"syscall"
)

// Kernel is the IPVS table of one network namespace. Implementations
// serialize their calls. The Linux one talks generic netlink (Open); tests
// use the in-memory one in package ipvstest.
type Kernel interface {
	// Dump reads every service with its destinations, and the running
	// sync daemons.
	Dump(ctx context.Context) (*Table, error)
	// Apply performs one command. Errors are the kernel's: EEXIST for an
	// entry that exists, ESRCH for a missing service, ENOENT for a missing
	// destination or an unknown scheduler, wrapped or bare (errors.Is).
	Apply(ctx context.Context, op Op) error
}

// Batcher is implemented by kernels that can take several commands in one
// exchange. The kernel performs them in order, as if applied one by one;
// the result has one error (nil for success) per command.
type Batcher interface {
	ApplyBatch(ctx context.Context, ops []Op) []error
}

// Counter is implemented by kernels that count the netlink requests they
// make, so tests and benchmarks can report them.
type Counter interface {
	Counts() Counts
}

// Counts are netlink requests made, split into table reads (dump requests)
// and changes (one per Op).
type Counts struct {
	Reads  int
	Writes int
}

// Sub is the difference c - o.
func (c Counts) Sub(o Counts) Counts { return Counts{c.Reads - o.Reads, c.Writes - o.Writes} }

// Total is reads plus writes.
func (c Counts) Total() int { return c.Reads + c.Writes }

// Errors the kernel returns that the reconciler treats as drift between
// what it believed and what the kernel holds.
var (
	errExists    = syscall.EEXIST
	errNoService = syscall.ESRCH
	errNoEntry   = syscall.ENOENT
)

func isErrno(err error, e syscall.Errno) bool { return errors.Is(err, e) }
