package notify

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// DefaultQueueLimit is how many commands one key may have waiting before
// further ones are dropped.
const DefaultQueueLimit = 64

// Queue runs notify commands in the background: the commands of one key (a
// VRRP instance, a sync group, a real server) run in the order they were
// submitted and never two at once; different keys run in parallel. Submit
// never blocks: a key whose backlog is full drops the new command and counts
// it. A worker goroutine exists only while its key has work.
type Queue struct {
	runner Runner
	log    *slog.Logger
	limit  int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	keys   map[string]*keyQueue
	closed bool

	submitted, ran, failed, dropped atomic.Uint64
}

type keyQueue struct {
	pending []Command
}

// QueueOptions configure a Queue.
type QueueOptions struct {
	// Runner runs the commands; nil means an ExecRunner logging to Logger.
	Runner Runner
	Logger *slog.Logger
	// Limit is the per-key backlog; 0 means DefaultQueueLimit.
	Limit int
}

// NewQueue returns a running Queue. Cancelling ctx, or Close, ends it: the
// running commands' process groups are signalled and waiting ones dropped.
func NewQueue(ctx context.Context, o QueueOptions) *Queue {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Runner == nil {
		o.Runner = defaultRunner(o.Logger)
	}
	if o.Limit <= 0 {
		o.Limit = DefaultQueueLimit
	}
	q := &Queue{runner: o.Runner, log: o.Logger, limit: o.Limit, keys: map[string]*keyQueue{}}
	q.ctx, q.cancel = context.WithCancel(ctx)
	return q
}

// Submit queues cmds to run, in order, after everything already queued for
// key. It reports false when the queue is closed or the key's backlog is
// full; the commands that did not fit are dropped and counted.
func (q *Queue) Submit(key string, cmds ...Command) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.ctx.Err() != nil {
		q.dropped.Add(uint64(len(cmds)))
		return false
	}
	kq, running := q.keys[key]
	if !running {
		kq = &keyQueue{}
		q.keys[key] = kq
	}
	ok := true
	for _, c := range cmds {
		if len(kq.pending) >= q.limit {
			q.dropped.Add(1)
			q.log.Warn("notify queue full - dropping script", slog.String("key", key), slog.String("script", c.String()))
			ok = false
			continue
		}
		q.submitted.Add(1)
		kq.pending = append(kq.pending, c)
	}
	if !running {
		q.wg.Add(1)
		go q.work(key, kq)
	}
	return ok
}

func (q *Queue) work(key string, kq *keyQueue) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(kq.pending) == 0 || q.ctx.Err() != nil {
			q.dropped.Add(uint64(len(kq.pending)))
			delete(q.keys, key)
			q.mu.Unlock()
			return
		}
		c := kq.pending[0]
		kq.pending[0] = Command{}
		kq.pending = kq.pending[1:]
		q.mu.Unlock()

		res := q.runner.Run(q.ctx, c)
		q.ran.Add(1)
		if !res.OK() {
			q.failed.Add(1)
		}
	}
}

// Close stops accepting commands, ends the running ones (their process
// groups get each command's kill treatment), drops the waiting ones and
// waits for the workers to finish or ctx to end.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	return q.wait(ctx)
}

// Drain stops accepting commands and waits until everything already
// queued has run, or ctx ends.
func (q *Queue) Drain(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	return q.wait(ctx)
}

func (q *Queue) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// QueueStats counts what a Queue did.
type QueueStats struct {
	Submitted uint64 // accepted by Submit
	Ran       uint64 // finished runs
	Failed    uint64 // runs that did not exit 0 (not started, timed out, killed, non-zero)
	Dropped   uint64 // refused by a full backlog or a closed queue, or dropped at Close
}

// Stats returns the counters.
func (q *Queue) Stats() QueueStats {
	return QueueStats{Submitted: q.submitted.Load(), Ran: q.ran.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load()}
}
