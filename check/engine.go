package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/parser"
)

// ErrIPVSUnavailable is wrapped by the error NewEngine (or Reload) returns
// when the kernel's IPVS cannot be opened. keepalived then stops its
// checker process with exit status 1 (FATAL).
var ErrIPVSUnavailable = errors.New("IPVS unavailable")

// ipvsInitError carries keepalived's message for an IPVS that cannot be
// opened and answers errors.Is(err, ErrIPVSUnavailable).
type ipvsInitError struct{ err error }

func (e *ipvsInitError) Error() string { return "IPVS: Can't initialize ipvs: " + e.err.Error() }
func (e *ipvsInitError) Unwrap() []error {
	return []error{ErrIPVSUnavailable, e.err}
}

// DefaultStopTimeout bounds the IPVS teardown and the last notifications
// at shutdown when EngineOptions leaves StopTimeout zero.
const DefaultStopTimeout = 30 * time.Second

// EngineOptions tune an Engine. The zero value is the daemon's behaviour:
// the Linux IPVS of the current network namespace, real probes, scripts,
// FIFOs and mail as configured.
type EngineOptions struct {
	// Log receives keepalived's log lines; nil means slog.Default().
	Log *slog.Logger
	// Sched tunes the scheduler (clock, randomness, ha_suspend address
	// counts, file watching). Its Log defaults to Log, its WatchFiles to
	// WatchTrackFiles (inotify) on Linux.
	Sched Options
	// Kernel is the IPVS table to drive; nil opens the Linux one of
	// NetNS when the configuration has a virtual server.
	Kernel ipvs.Kernel
	// NetNS is the path of the network namespace whose IPVS is driven;
	// "" means the configuration's net_namespace_ipvs (NAME:
	// /run/netns/NAME, no name: the namespace of pid 1), else the
	// caller's.
	NetNS string
	// NewProbe makes the probes; nil means NewProbe with Probe (the
	// configuration's track files and SSL block are filled in).
	NewProbe ProbeFactory
	// Probe is the environment of the probes NewProbe makes.
	Probe ProbeEnv
	// Notifier receives the notifications; nil means a NotifyAdapter
	// built from the configuration with Notify.
	Notifier Notifier
	// Notify tunes that NotifyAdapter.
	Notify NotifyOptions
	// DontReleaseIPVS leaves the table as it is at shutdown (-I,
	// --dont-release-ipvs).
	DontReleaseIPVS bool
	// StopTimeout bounds the teardown at shutdown; 0 means
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// Addresses is the host's addresses for ha_suspend, watched from
	// Run on when a virtual server has ha_suspend; nil means rtnetlink in
	// the caller's namespace (Linux). Ignored when Sched.AddressCount is
	// set: the caller then reports changes with AddressChanged itself.
	Addresses AddressSource
	// Ready, when set, is called once by Run when the initial table is in
	// IPVS and the checks are about to start: where keepalived's checker
	// tells its parent that it has read its configuration (the parent
	// then logs "Startup complete").
	Ready func()
}

// Engine is keepalived's healthchecker process: the scheduler running the
// checks, the notifications they cause, and the IPVS table kept equal to
// what the configuration and the checks' results ask for.
type Engine struct {
	log      *slog.Logger
	opts     EngineOptions
	sched    *Scheduler
	notifier Notifier
	adapter  *NotifyAdapter // nil when the caller gave a Notifier
	env      atomic.Pointer[ProbeEnv]

	// mu serializes the table's changes and guards what follows.
	mu        sync.Mutex
	cfg       *parser.Config
	kernel    ipvs.Kernel
	closeK    func() error
	rec       *ipvs.Reconciler
	applied   *ipvs.Table // the desired table of the last run
	timeouts  ipvs.Timeouts
	saved     *ipvs.Timeouts // the kernel's timeouts before ours
	started   bool           // the initial table was applied
	stopping  bool
	stats     EngineStats
	runCalled atomic.Bool
	runCtx    context.Context // Run's, for a watch a reload starts
	addrs     *addrWatcher    // nil: the caller reports addresses
	addrsOn   bool            // addrs watches
	addrsWG   sync.WaitGroup
}

// EngineStats count the engine's work on the IPVS table.
type EngineStats struct {
	// Reconciles is the number of times the table was brought in line.
	Reconciles uint64
	// Ops and Failed count the kernel commands done and refused.
	Ops, Failed uint64
	// LastError is the last reconcile's error, "" when it went through.
	LastError string
	// LastApplied is when the table was last brought in line.
	LastApplied time.Time
}

// NewEngine builds the checkers of cfg and opens IPVS when cfg has a
// virtual server. Nothing runs until Run. An IPVS that cannot be opened
// gives an error wrapping ErrIPVSUnavailable with keepalived's message.
func NewEngine(cfg *parser.Config, opts EngineOptions) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("check: NewEngine without a configuration")
	}
	e := &Engine{log: opts.Log, opts: opts, cfg: cfg}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.opts.StopTimeout <= 0 {
		e.opts.StopTimeout = DefaultStopTimeout
	}
	e.setEnv(cfg)
	factory := opts.NewProbe
	if factory == nil {
		factory = func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
			return NewProbe(c, vs, rs, *e.env.Load())
		}
	}
	e.notifier = opts.Notifier
	if e.notifier == nil {
		no := opts.Notify
		if no.Log == nil {
			no.Log = e.log
		}
		e.adapter = NewNotifyAdapter(cfg, no)
		e.notifier = e.adapter
	}
	if err := e.openKernel(cfg); err != nil {
		return nil, err
	}
	so := opts.Sched
	if so.Log == nil {
		so.Log = e.log
	}
	if so.AddressCount == nil {
		src := opts.Addresses
		if src == nil {
			src = defaultAddressSource()
		}
		if src != nil {
			e.addrs = newAddrWatcher(src, e.log)
			so.AddressCount = e.addrs.count
		}
	}
	if so.WatchFiles == nil {
		so.WatchFiles = defaultWatchFiles
	}
	s, err := NewScheduler(cfg, factory, e.notifier, so)
	if err != nil {
		e.closeKernel()
		return nil, err
	}
	e.sched = s
	return e, nil
}

// setEnv makes the probe environment of cfg: the caller's, with the
// configuration's track files and SSL block unless the caller set them.
func (e *Engine) setEnv(cfg *parser.Config) {
	env := e.opts.Probe
	if env.TrackFiles == nil {
		env.TrackFiles = cfg.TrackFiles
	}
	if env.SSL == nil {
		env.SSL = cfg.SSL
	}
	if env.Logger == nil {
		env.Logger = e.log
	}
	e.env.Store(&env)
}

// openKernel opens IPVS the first time a configuration has a virtual
// server, as keepalived's ipvs_start does.
func (e *Engine) openKernel(cfg *parser.Config) error {
	if e.kernel != nil || len(cfg.VirtualServers) == 0 {
		return nil
	}
	e.log.Info("Initializing ipvs")
	if e.opts.Kernel != nil {
		e.kernel = e.opts.Kernel
	} else {
		k, closer, err := openLinuxIPVS(ipvsNamespace(e.opts.NetNS, cfg))
		if err != nil {
			ie := &ipvsInitError{err}
			e.log.Info(ie.Error())
			return ie
		}
		e.kernel, e.closeK = k, closer
	}
	e.rec = ipvs.NewReconciler(e.kernel, e.log)
	return nil
}

// ipvsNamespace is the path of the namespace whose IPVS the engine drives.
func ipvsNamespace(path string, cfg *parser.Config) string {
	switch {
	case path != "" || !cfg.Root.NetNamespaceIPVSSet:
		return path
	case cfg.Root.NetNamespaceIPVS == "":
		return "/proc/1/ns/net"
	}
	return "/run/netns/" + cfg.Root.NetNamespaceIPVS
}

func (e *Engine) closeKernel() {
	if e.closeK != nil {
		if err := e.closeK(); err != nil {
			e.log.Debug("closing IPVS", "err", err)
		}
		e.closeK = nil
	}
}

// Scheduler is the engine's scheduler (for AddressChanged and Stats).
func (e *Engine) Scheduler() *Scheduler { return e.sched }

// Run starts the notifications, puts the initial table into IPVS, runs the
// checks and keeps the table in line with their results until ctx ends.
// Then it makes keepalived's shutdown: every real server is shut down
// (omega notifications), and the table is torn down as lvs_flush_on_stop
// says, unless DontReleaseIPVS. It may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.runCalled.CompareAndSwap(false, true) {
		return errors.New("check: Engine.Run called twice")
	}
	if e.adapter != nil {
		// The shutdown's notifications (omega) are made after ctx ends:
		// the adapter lives until stop closes it.
		if err := e.adapter.Open(context.WithoutCancel(ctx)); err != nil {
			e.log.Warn(err.Error())
		}
	}
	// The address watch ends with Run, before Run returns.
	watchCtx, endWatch := context.WithCancel(ctx)
	defer e.addrsWG.Wait()
	defer endWatch()
	e.mu.Lock()
	e.runCtx = watchCtx
	e.startAddrWatch(watchCtx, e.cfg)
	e.start(ctx)
	e.mu.Unlock()
	if e.opts.Ready != nil {
		e.opts.Ready()
	}

	schedDone := make(chan error, 1)
	go func() { schedDone <- e.sched.Run(ctx) }()
	var retry <-chan time.Time
	backoff := ReconcileRetry
	for {
		select {
		case <-e.sched.Changes():
		case <-retry:
		case err := <-schedDone:
			e.stop(context.WithoutCancel(ctx))
			return err
		}
		if ctx.Err() != nil {
			// The scheduler's shutdown transitions: the table is torn
			// down (or kept) once it has finished.
			retry = nil
			continue
		}
		e.mu.Lock()
		e.reconcile(ctx)
		failed := e.stats.LastError != ""
		e.mu.Unlock()
		retry = nil
		if !failed {
			backoff = ReconcileRetry
			continue
		}
		// keepalived never retries a refused command; a desired table
		// is tried again until the kernel takes it, less and less often
		// so that a command the kernel will never take is not logged
		// every few seconds.
		retry = time.After(backoff)
		backoff = min(2*backoff, maxReconcileRetry)
	}
}

// startAddrWatch starts watching the host's addresses the first time a
// configuration has an ha_suspend virtual server, as keepalived's checker
// process starts its netlink reflector. The scheduler takes the initial
// counts from the watcher when it starts (or reloads). e.mu is held.
func (e *Engine) startAddrWatch(ctx context.Context, cfg *parser.Config) {
	if e.addrs == nil || e.addrsOn || ctx == nil || !usesHASuspend(cfg) {
		return
	}
	e.addrsOn = true
	ch, err := e.addrs.open(ctx)
	if err != nil {
		e.log.Warn(fmt.Sprintf("Netlink: %v", err))
	}
	e.addrsWG.Add(1)
	go func() {
		defer e.addrsWG.Done()
		e.addrs.run(ctx, ch, e.sched.AddressChanged)
	}()
}

// ReconcileRetry is how long the engine waits before trying again to bring
// the table in line after the kernel refused a command or could not be
// read.
// It doubles after each failed try, up to five minutes.
const ReconcileRetry = 5 * time.Second

const maxReconcileRetry = 5 * time.Minute

// start is the checker process's start-up: lvs_timeouts, lvs_flush, then
// every virtual server with the real servers that are alive before any
// check (non-alpha ones), inhibited ones at weight 0 and sorry servers as
// the initial quorum pass puts them.
func (e *Engine) start(ctx context.Context) {
	e.started = true
	if e.rec == nil {
		return
	}
	want := Desired(e.cfg, InitialHealth{})
	e.setTimeouts(want.Timeouts)
	if want.FlushAtStart {
		if _, err := e.rec.Flush(ctx); err != nil {
			e.log.Warn(fmt.Sprintf("IPVS: flushing the table: %v", err))
		}
	}
	e.apply(ctx, want)
}

// reconcile brings the table in line with the configuration and the
// checkers' current view.
func (e *Engine) reconcile(ctx context.Context) {
	if e.rec == nil || !e.started || e.stopping {
		return
	}
	e.apply(ctx, Desired(e.cfg, e.sched.Snapshot()))
}

func (e *Engine) apply(ctx context.Context, want *ipvs.Config) {
	table := want.Table.Clone()
	rep, err := e.rec.Update(ctx, &want.Table)
	e.stats.Reconciles++
	e.stats.LastApplied = time.Now()
	if rep != nil {
		e.stats.Ops += uint64(len(rep.Ops))
		e.stats.Failed += uint64(len(rep.Failed))
	}
	e.applied = table.Normalize()
	if err != nil {
		e.stats.LastError = err.Error()
		if rep == nil || len(rep.Failed) == 0 {
			// Command failures were logged one by one by the reconciler.
			e.log.Warn(fmt.Sprintf("IPVS: %v", err))
		}
		return
	}
	e.stats.LastError = ""
}

// timeoutKernel is implemented by kernels whose connection timeouts can be
// read and set (the Linux one).
type timeoutKernel interface {
	Timeouts() (ipvs.Timeouts, error)
	SetTimeouts(ipvs.Timeouts) error
}

// setTimeouts applies lvs_timeouts, saving the kernel's values first so
// they can be restored; a configuration without them restores the saved
// values (a reload that removed the keyword).
func (e *Engine) setTimeouts(t ipvs.Timeouts) {
	tk, ok := e.kernel.(timeoutKernel)
	if !ok || t == e.timeouts {
		return
	}
	if t == (ipvs.Timeouts{}) {
		e.restoreTimeouts()
		return
	}
	if e.saved == nil {
		cur, err := tk.Timeouts()
		if err != nil {
			e.log.Info("Failed to set ipvs timeouts")
			return
		}
		e.saved = &cur
	}
	if err := tk.SetTimeouts(t); err != nil {
		e.log.Info("Failed to set ipvs timeouts")
		return
	}
	e.timeouts = t
}

func (e *Engine) restoreTimeouts() {
	tk, ok := e.kernel.(timeoutKernel)
	if !ok || e.saved == nil {
		return
	}
	if err := tk.SetTimeouts(*e.saved); err != nil {
		e.log.Info("Failed to set ipvs timeouts")
	}
	e.saved, e.timeouts = nil, ipvs.Timeouts{}
}

// stop is the end of the checker process once the scheduler has made its
// shutdown transitions: the table torn down as configured, the saved
// timeouts restored, the last notifications given StopTimeout to go out.
func (e *Engine) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.StopTimeout)
	defer cancel()
	e.mu.Lock()
	e.stopping = true
	if e.rec != nil {
		mode := Desired(e.cfg, InitialHealth{}).Stop
		if e.opts.DontReleaseIPVS {
			mode = ipvs.StopKeep
		}
		rep, err := e.rec.Teardown(ctx, mode)
		if rep != nil {
			e.stats.Ops += uint64(len(rep.Ops))
			e.stats.Failed += uint64(len(rep.Failed))
		}
		if err != nil && (rep == nil || len(rep.Failed) == 0) {
			e.log.Warn(fmt.Sprintf("IPVS: %v", err))
		}
		e.restoreTimeouts()
	}
	e.closeKernel()
	e.mu.Unlock()
	if e.adapter != nil {
		if err := e.adapter.Close(ctx); err != nil {
			e.log.Debug("closing notifications", "err", err)
		}
	}
}

// Reload replaces the configuration while Run runs, as keepalived does on
// SIGHUP: the scheduler keeps the state of unchanged servers and
// checkers, the notifications follow the new global settings, and the
// table is brought in line with the new configuration at once (lvs_flush
// is not applied again). It fails with ErrNotRunning when Run is not
// running, and with ErrIPVSUnavailable when the new configuration is the
// first to have a virtual server and IPVS cannot be opened.
func (e *Engine) Reload(ctx context.Context, cfg *parser.Config) error {
	if cfg == nil {
		return errors.New("check: Reload without a configuration")
	}
	if !e.runCalled.Load() {
		return ErrNotRunning
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping {
		return ErrNotRunning
	}
	if e.rec != nil && len(cfg.VirtualServers) > 0 {
		e.log.Info("Reinitializing ipvs")
	}
	if err := e.openKernel(cfg); err != nil {
		return err
	}
	e.startAddrWatch(e.runCtx, cfg)
	old := e.env.Load()
	e.setEnv(cfg)
	if e.adapter != nil {
		e.adapter.Reload(cfg)
	}
	release := func() {}
	if e.addrs != nil {
		release = e.addrs.hold()
	}
	err := e.sched.Reload(ctx, cfg)
	release()
	if err != nil {
		e.env.Store(old)
		if e.adapter != nil {
			e.adapter.Reload(e.cfg)
		}
		return err
	}
	e.cfg = cfg
	if e.rec != nil && e.started {
		want := Desired(cfg, e.sched)
		e.setTimeouts(want.Timeouts)
		e.apply(ctx, want)
	}
	return nil
}

// Config is the configuration the engine runs.
func (e *Engine) Config() *parser.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Snapshot is the engine's state for dumps and metrics.
type Snapshot struct {
	// VirtualServers are the configuration's virtual servers in file
	// order with the checkers' view of them.
	VirtualServers []VSSnapshot
	// Table is the desired IPVS table last applied (normalized), nil
	// before the first run or without IPVS.
	Table *ipvs.Table
	// IPVS counts the work on the table; Sched the scheduler's.
	IPVS  EngineStats
	Sched Stats
	// Netlink counts the requests made to the kernel, when the kernel
	// counts them (the Linux one and the in-memory one do).
	Netlink ipvs.Counts
}

// VSSnapshot is one virtual server.
type VSSnapshot struct {
	// Name is keepalived's identity, e.g. "[10.0.0.1]:tcp:80" or
	// "[group]:1".
	Name        string
	QuorumUp    bool
	SorryActive bool
	RealServers []RSSnapshot
}

// RSSnapshot is one real server.
type RSSnapshot struct {
	Name  string
	Alive bool
	// Weight is the effective weight (configured weight plus dynamic
	// checker contributions), clamped as IPVS takes it.
	Weight int64
	// FailedCheckers counts the checkers that are down; Checkers all of
	// them.
	FailedCheckers, Checkers int
	// InKernel is keepalived's "set": the checkers' view puts the server
	// in IPVS (alive and not replaced by the sorry server, or inhibited).
	InKernel bool
}

// Snapshot returns the engine's current state.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	snap := Snapshot{IPVS: e.stats}
	if e.applied != nil {
		snap.Table = e.applied.Clone()
	}
	if c, ok := e.kernel.(ipvs.Counter); ok && e.kernel != nil {
		snap.Netlink = c.Counts()
	}
	e.mu.Unlock()
	s := e.sched
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap.Sched = s.stats
	for _, v := range s.m.vss {
		vs := VSSnapshot{Name: v.name, QuorumUp: v.quorumUp, SorryActive: v.sorryActive}
		for _, r := range v.rss {
			vs.RealServers = append(vs.RealServers, RSSnapshot{Name: r.name, Alive: r.alive, Weight: realWeight(r.effWeight),
				FailedCheckers: r.numFailed, Checkers: len(r.members), InKernel: r.inKernel()})
		}
		snap.VirtualServers = append(snap.VirtualServers, vs)
	}
	return snap
}
