package ipvs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Reconciler makes a kernel table look like a desired one. It remembers
// which entries it owns (everything it was ever asked to hold and has not
// removed since) so that entries of other programs are left alone, and the
// table as it left it, so that a reload only costs the commands it needs.
// Its methods may be called from several goroutines; they run one at a
// time.
type Reconciler struct {
	mu    sync.Mutex
	k     Kernel
	log   *slog.Logger
	owned *Owned
	known *state // nil: unknown, the next run reads the kernel
	// prev is the desired table of the last run if the kernel took all of
	// it, by service; nil otherwise.
	prev map[ServiceKey]*Service
}

// NewReconciler returns a reconciler over k that owns nothing yet. A nil
// logger discards.
func NewReconciler(k Kernel, log *slog.Logger) *Reconciler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{k: k, log: log, owned: NewOwned()}
}

// Report says what one run did.
type Report struct {
	// Read is set when the kernel table was read for this run.
	Read bool
	// Ops are the commands the kernel accepted, in order. A command that
	// met drift (an add that found the entry, an edit that did not) appears
	// in the form that succeeded.
	Ops []Op
	// Drift counts commands that found the kernel other than expected.
	Drift int
	// Failed lists the commands the kernel refused, with why.
	Failed []OpError
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// OpError is a command the kernel refused.
type OpError struct {
	Op  Op
	Err error
}

func (e OpError) Error() string { return fmt.Sprintf("ipvs: %s: %v", e.Op, e.Err) }
func (e OpError) Unwrap() error { return e.Err }

// Err joins the failures, nil when there were none.
func (r *Report) Err() error {
	if len(r.Failed) == 0 {
		return nil
	}
	errs := make([]error, len(r.Failed))
	for i, f := range r.Failed {
		errs[i] = f
	}
	return errors.Join(errs...)
}

// Sync reads the kernel table, then applies the smallest ordered set of
// commands that makes it hold desired (see Diff). desired is normalized in
// place and kept until the next run: the caller must not change it after
// the call (build a new table for the next one). The returned error is the
// reading error or the joined command failures (also in the report);
// commands that can go ahead do.
func (r *Reconciler) Sync(ctx context.Context, desired *Table) (*Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.known, r.prev = nil, nil
	return r.run(ctx, desired)
}

// Update is Sync without reading the kernel when the reconciler already
// knows the table: it diffs against the state its previous run left. When a
// command finds the kernel different from that state (someone else changed
// our entries), the command is corrected on the spot and the next run reads
// the kernel again; changes nobody's command runs into stay unseen until
// the next Sync. Services equal to their version of the previous run are
// not compared again. desired is kept, as with Sync.
func (r *Reconciler) Update(ctx context.Context, desired *Table) (*Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.run(ctx, desired)
}

func (r *Reconciler) run(ctx context.Context, desired *Table) (*Report, error) {
	start := time.Now()
	rep := &Report{}
	if r.known == nil {
		cur, err := r.k.Dump(ctx)
		if err != nil {
			return rep, fmt.Errorf("ipvs: reading the kernel table: %w", err)
		}
		rep.Read = true
		r.known = newState(cur.Normalize())
	}
	desired.Normalize()
	index := indexServices(desired)
	ops, unchanged := diffState(r.known, desired, index, r.owned, r.prev)
	r.execute(ctx, ops, rep)
	// What is desired is ours from now on, even where nothing had to
	// change (unchanged services were claimed by an earlier run).
	r.owned.claim(desired, unchanged)
	rep.Elapsed = time.Since(start)
	err := r.finish(ctx, rep)
	if r.known != nil {
		r.prev = index
	}
	return rep, err
}

func (r *Reconciler) finish(ctx context.Context, rep *Report) error {
	if rep.Drift > 0 || len(rep.Failed) > 0 || ctx.Err() != nil {
		r.known, r.prev = nil, nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return rep.Err()
}

// batchMin is the plan size from which a kernel that can batch gets the
// commands in batches of batchSize; smaller plans (a reload's few changes)
// go one command at a time.
const (
	batchMin  = 16
	batchSize = 128
)

// execute applies ops in order. Destination commands for a service that
// could not be created are not attempted (or, in a batch, are reported
// failed without a retry).
func (r *Reconciler) execute(ctx context.Context, ops []Op, rep *Report) {
	b, batching := r.k.(Batcher)
	batching = batching && len(ops) >= batchMin
	var failedSvc map[ServiceKey]bool
	for len(ops) > 0 {
		if ctx.Err() != nil {
			return
		}
		chunk := ops[:1]
		var errs []error
		if batching {
			chunk = ops[:min(len(ops), batchSize)]
			errs = b.ApplyBatch(ctx, chunk)
		}
		ops = ops[len(chunk):]
		for i, op := range chunk {
			if op.Dest != nil && failedSvc[op.Service.ServiceKey] {
				rep.Failed = append(rep.Failed, OpError{op, errors.New("service was not created")})
				continue
			}
			var first error
			if batching {
				first = errs[i]
			} else {
				first = r.k.Apply(ctx, op)
			}
			done, drift, err := r.recover(ctx, op, first)
			if drift {
				rep.Drift++
			}
			if err != nil {
				r.log.Error(fmt.Sprintf("IPVS cmd %s error: %v", op, err))
				rep.Failed = append(rep.Failed, OpError{op, err})
				if op.Kind == OpAddService {
					if failedSvc == nil {
						failedSvc = map[ServiceKey]bool{}
					}
					failedSvc[op.Service.ServiceKey] = true
				}
				continue
			}
			if done.Kind != 0 {
				r.log.Debug("IPVS " + done.String())
				rep.Ops = append(rep.Ops, done)
				if r.known != nil {
					r.known.apply(done)
				}
				r.owned.note(done)
			}
		}
	}
}

// recover takes the kernel's answer err to op and corrects drift the way
// keepalived tolerates it, but converging: an add that finds the entry
// becomes an edit, an edit that misses it becomes an add, a delete of
// something already gone is done. It returns the command that succeeded
// (Kind 0 when nothing was needed).
func (r *Reconciler) recover(ctx context.Context, op Op, err error) (done Op, drift bool, _ error) {
	if err == nil {
		return op, false, nil
	}
	var retry OpKind
	switch {
	case op.Kind == OpAddService && isErrno(err, errExists):
		retry = OpEditService
	case op.Kind == OpEditService && (isErrno(err, errNoService) || isErrno(err, errNoEntry)):
		retry = OpAddService
	case op.Kind == OpAddDest && isErrno(err, errExists):
		retry = OpEditDest
	case op.Kind == OpEditDest && isErrno(err, errNoEntry):
		retry = OpAddDest
	case op.Kind == OpDelDest && isErrno(err, errNoEntry),
		op.Kind == OpDelService && isErrno(err, errNoService),
		op.Kind == OpStopDaemon && isErrno(err, errNoService):
		return op, true, nil // already in the state we wanted
	default:
		return Op{}, false, err
	}
	again := op
	again.Kind = retry
	if err2 := r.k.Apply(ctx, again); err2 != nil {
		return Op{}, true, fmt.Errorf("%w (after %s: %w)", err2, op.Kind, err)
	}
	return again, true, nil
}

// Start is a daemon's first run: with FlushAtStart (lvs_flush) the whole
// kernel table is flushed first, then the table is synced. The reports of
// both steps are merged.
func (r *Reconciler) Start(ctx context.Context, c *Config) (*Report, error) {
	start := time.Now()
	var flushed *Report
	if c.FlushAtStart {
		var err error
		if flushed, err = r.Flush(ctx); err != nil {
			return flushed, err
		}
	}
	rep, err := r.Sync(ctx, &c.Table)
	if flushed != nil {
		rep.Ops = append(flushed.Ops, rep.Ops...)
	}
	rep.Elapsed = time.Since(start)
	return rep, err
}

// Flush empties the whole kernel table, ours or not (lvs_flush).
func (r *Reconciler) Flush(ctx context.Context) (*Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prev = nil
	start := time.Now()
	rep := &Report{}
	r.execute(ctx, []Op{{Kind: OpFlush}}, rep)
	if len(rep.Failed) == 0 {
		// A flush leaves daemons running; the state keeps them.
		if r.known == nil {
			r.known = newState(&Table{})
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, r.finish(ctx, rep)
}

// Teardown removes what the reconciler owns as mode says: each destination
// then each service, only the services, a flush of the whole table, or
// nothing. Owned sync daemons are stopped in every mode but StopKeep.
func (r *Reconciler) Teardown(ctx context.Context, mode StopMode) (*Report, error) {
	if mode == StopKeep {
		return &Report{}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prev = nil
	start := time.Now()
	rep := &Report{}
	if r.known == nil {
		cur, err := r.k.Dump(ctx)
		if err != nil {
			return rep, fmt.Errorf("ipvs: reading the kernel table: %w", err)
		}
		rep.Read = true
		r.known = newState(cur.Normalize())
	}
	cur := r.known.table()
	var ops []Op
	if mode == StopFlush {
		ops = append(ops, Op{Kind: OpFlush})
	}
	for i := range cur.Daemons {
		if r.owned.Daemon(cur.Daemons[i].State) {
			ops = append(ops, Op{Kind: OpStopDaemon, Daemon: &cur.Daemons[i]})
		}
	}
	if mode != StopFlush {
		for _, s := range cur.Services {
			if !r.owned.Service(s.ServiceKey) {
				continue
			}
			if mode == StopRemoveEach {
				for i := range s.Dests {
					if r.owned.Dest(s.ServiceKey, s.Dests[i].Key()) {
						ops = append(ops, Op{Kind: OpDelDest, Service: s, Dest: &s.Dests[i]})
					}
				}
			}
			ops = append(ops, Op{Kind: OpDelService, Service: s})
		}
	}
	r.execute(ctx, ops, rep)
	rep.Elapsed = time.Since(start)
	return rep, r.finish(ctx, rep)
}

// Owned is a copy of what the reconciler owns.
func (r *Reconciler) Owned() *Owned {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := NewOwned()
	for k, ds := range r.owned.services {
		m := make(map[DestKey]struct{}, len(ds))
		for d := range ds {
			m[d] = struct{}{}
		}
		c.services[k] = m
	}
	for s := range r.owned.daemons {
		c.daemons[s] = struct{}{}
	}
	return c
}
