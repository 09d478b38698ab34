package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// bootstrapDelay is the fixed part of every checker's first delay after a
// start or a reload; the random warmup is added to it.
const bootstrapDelay = time.Second

// DefaultMaxConcurrent bounds the attempts in flight when Options leaves
// it zero. keepalived has no bound (one event loop, non-blocking sockets);
// a bound keeps descriptors and goroutines in check when many backends
// hang, at the price of delaying checks beyond it.
const DefaultMaxConcurrent = 4096

// Options tunes a Scheduler. The zero value is keepalived's behaviour with
// the system clock.
type Options struct {
	// Log receives keepalived's log lines (the message is keepalived's
	// wording). Nil means slog.Default().
	Log *slog.Logger
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Rand draws the random part of first delays; nil seeds one at random.
	Rand *rand.Rand
	// MaxConcurrent bounds attempts in flight (0: DefaultMaxConcurrent).
	MaxConcurrent int
	// NoDedupe runs every checker block on its own even when several are
	// identical, as keepalived does.
	NoDedupe bool
	// AddressCount tells how many times an address is configured on this
	// host, for virtual servers with ha_suspend; nil means present once.
	AddressCount func(netip.Addr) int
	// WatchFiles reports changes of FILE_CHECK's tracked files (the daemon
	// passes WatchTrackFiles). It is called once per file, so that a file
	// that cannot be watched (its directory is missing) does not stop the
	// others, as in keepalived; such a file is logged and read every
	// second instead. Nil means reading each file every second.
	WatchFiles func(ctx context.Context, paths []string, changed func(path string)) error
}

// Scheduler runs every health check of a configuration with keepalived's
// timing rules and keeps the real and virtual server states that the IPVS
// table is computed from. It implements Health.
type Scheduler struct {
	newProbe     ProbeFactory
	notifier     Notifier
	log          *slog.Logger
	clock        Clock
	rnd          *rand.Rand
	maxConc      int
	dedupe       bool
	addressCount func(netip.Addr) int
	// watchFiles is Options.WatchFiles.
	watchFiles func(ctx context.Context, paths []string, changed func(path string)) error
	// unwatched are the tracked files that could not be watched: they are
	// read every pollInterval instead. It belongs to the loop.
	unwatched map[string]bool

	// mu guards the model and the statistics; the loop holds it while it
	// changes state, Health and Stats take it to read.
	mu                                              sync.RWMutex
	m                                               *model
	logAllFailures, noCheckerEmails, rsInitNotifies bool
	stats                                           Stats

	// The rest belongs to the loop.
	timers  taskHeap
	epoch   time.Time // origin of the timers' keys
	seq     uint64
	ready   []*task // due, waiting for a free slot
	dueBuf  []*task // popDue's result, reused
	running int
	gen     uint64 // bumped by a reload; older results are dropped
	changed bool   // a Health-visible change since the last signal

	// results, reloads and addrEvents queue events for the loop; the
	// goroutine that queues one then kicks the loop's waker.
	results chan result
	kicks   kicker
	// wake is where the loop sleeps: a timer until the first TCP_CHECK
	// or HTTP_GET attempt, then the connector.
	wake waker
	// conn runs TCP_CHECK's connects and HTTP_GET's exchanges in the
	// loop itself (nil until the first one, after Run, and where the loop
	// has no epoll). The loop sets it under mu (tests read it) and reads
	// it without.
	conn connectRunner
	// goroutineConnects runs those attempts one goroutine each instead,
	// as every other probe (tests and benchmarks compare the two).
	goroutineConnects bool
	reloads           chan reloadReq
	changes           chan struct{}
	// addrEvents carries AddressChanged to the loop.
	addrEvents chan addrEvent
	stopped    chan struct{} // closed when Run returns
	runOnce    sync.Once
}

var _ Health = (*Scheduler)(nil)

// Stats are counters of the scheduler's work.
type Stats struct {
	// Checks is the number of attempts started.
	Checks uint64
	// LateTotal and LateMax sum up how long after its due time each
	// attempt started.
	LateTotal, LateMax time.Duration
	// Tasks is the number of distinct checks, Checkers the number of
	// checker blocks they serve.
	Tasks, Checkers int
}

type result struct {
	t   *task
	gen uint64
	o   Outcome
}

type reloadReq struct {
	cfg  *parser.Config
	done chan error
}

// ErrNotRunning is returned by Reload when Run is not running.
var ErrNotRunning = errors.New("check: scheduler not running")

// NewScheduler builds the checkers of cfg. newProbe makes each distinct
// check; notifier receives notify_up/down, quorum and SMTP events (nil:
// LogNotifier). Nothing runs until Run.
func NewScheduler(cfg *parser.Config, newProbe ProbeFactory, notifier Notifier, opts Options) (*Scheduler, error) {
	s := &Scheduler{newProbe: newProbe, notifier: notifier, log: opts.Log, clock: opts.Clock, rnd: opts.Rand,
		maxConc: opts.MaxConcurrent, dedupe: !opts.NoDedupe, watchFiles: opts.WatchFiles, addressCount: opts.AddressCount,
		addrEvents: make(chan addrEvent, 16), changes: make(chan struct{}, 1),
		reloads: make(chan reloadReq, 1), stopped: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.notifier == nil {
		s.notifier = LogNotifier{Log: s.log}
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.rnd == nil {
		s.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if s.maxConc <= 0 {
		s.maxConc = DefaultMaxConcurrent
	}
	s.results = make(chan result, s.maxConc)
	m, pend, err := buildModel(cfg, true)
	if err != nil {
		return nil, err
	}
	s.makeTasks(m, pend, map[checkKey][]oldProbe{})
	s.setGlobals(cfg)
	s.m = m
	s.countTasks()
	return s, nil
}

func (s *Scheduler) setGlobals(cfg *parser.Config) {
	s.logAllFailures = cfg.Global.CheckerLogAllFailures
	s.noCheckerEmails = cfg.Global.NoCheckerEmails
	s.rsInitNotifies = cfg.Global.RSInitNotifies
}

// countTasks counts the tasks and their checkers.
func (s *Scheduler) countTasks() {
	s.stats.Tasks, s.stats.Checkers = len(s.m.tasks), 0
	for _, t := range s.m.tasks {
		s.stats.Checkers += len(t.members)
	}
}

func (s *Scheduler) logf(format string, a ...any) {
	s.log.Info(fmt.Sprintf(format, a...))
}

// Changes delivers a value whenever Health may have changed (a real server
// came or went, a weight or a quorum changed, a reload happened). Values do
// not queue: one pending signal stands for any number of changes, so the
// receiver recomputes the whole desired table.
func (s *Scheduler) Changes() <-chan struct{} { return s.changes }

func (s *Scheduler) signal() {
	if !s.changed {
		return
	}
	s.changed = false
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// RealServer reports a real server of the current configuration. An unknown
// server reads as not alive.
func (s *Scheduler) RealServer(vs *parser.VirtualServer, rs *parser.RealServer) RSHealth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.m.rsIdx[rs]
	if r == nil || r.vs.cfg != vs {
		return RSHealth{}
	}
	return r.health()
}

func (r *rsState) health() RSHealth {
	return RSHealth{Alive: r.alive, Weight: int(realWeight(r.effWeight))}
}

// QuorumUp reports the virtual server's quorum state. While it is down a
// configured sorry server is in the pool and the real servers are not.
func (s *Scheduler) QuorumUp(vs *parser.VirtualServer) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.m.vsIdx[vs]
	return v != nil && v.quorumUp
}

// Stats returns the counters so far.
func (s *Scheduler) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stats
}

// start is keepalived's init_services and register_checkers_thread: real
// servers without a failed checker are alive at once, each virtual server
// gets its quorum init pass, and every checker is armed at 1 s plus a
// random warmup.
func (s *Scheduler) start(now time.Time) {
	s.initSuspend(func(*vsState) bool { return true })
	s.readFilesAtStart(context.Background())
	for _, v := range s.m.vss {
		s.initVS(v)
	}
	for _, v := range s.m.vss {
		for _, r := range v.rss {
			for _, m := range r.members {
				s.logActivation(m)
			}
		}
	}
	s.armAll(now)
}

// logActivation is the line keepalived logs when it arms a checker.
func (s *Scheduler) logActivation(m *member) {
	prefix := "A"
	if m.t != nil && !m.t.enabled {
		prefix = "Dea"
	}
	s.logf("%sctivating healthchecker for service %s for VS %s", prefix, m.rs.name, m.rs.vs.name)
}

// initVS is keepalived's init_service_vs for servers that are not carried
// over from a previous configuration.
func (s *Scheduler) initVS(v *vsState) {
	for _, r := range v.rss {
		if r.numFailed == 0 && !r.alive {
			r.alive = true
			s.changed = true
			if s.rsInitNotifies {
				s.rsNotify(r, false)
			}
		}
	}
	s.updateQuorum(v, true)
	s.changed = true
}

// armAll schedules every task's first run after a start or a reload.
func (s *Scheduler) armAll(now time.Time) {
	for _, t := range s.m.tasks {
		if isFile, watched := s.fileWatched(t); isFile {
			if !watched {
				s.push(t, now.Add(pollInterval))
			}
			continue // read already; inotify says when to read again
		}
		d := bootstrapDelay
		if w := t.warmup(); w > 0 && t.kind != kindPoll {
			d += time.Duration(s.rnd.Int64N(int64(w) + 1))
		}
		s.push(t, now.Add(d))
	}
}

// key is t's position on the scheduler's time line, in nanoseconds from
// the first time it was asked (time.Time.Sub keeps the monotonic reading).
func (s *Scheduler) key(t time.Time) int64 {
	if s.epoch.IsZero() {
		s.epoch = t
	}
	return int64(t.Sub(s.epoch))
}

func (s *Scheduler) push(t *task, due time.Time) {
	t.due = due
	t.dueKey = s.key(due)
	s.seq++
	t.seq = s.seq
	s.timers.push(t)
}

// nextDue is when the earliest queued task is due.
func (s *Scheduler) nextDue() (time.Time, bool) {
	if len(s.timers) == 0 {
		return time.Time{}, false
	}
	return s.timers[0].due, true
}

// popDue removes and returns the tasks due at or before now, earliest
// first. The slice is valid until the next call.
func (s *Scheduler) popDue(now time.Time) []*task {
	out := s.dueBuf[:0]
	defer func() { s.dueBuf = out[:0] }()
	for nowKey := s.key(now); len(s.timers) > 0 && s.timers[0].dueKey <= nowKey; {
		out = append(out, s.timers.pop())
	}
	out = s.skipSuspended(out, now)
	return out
}

// begin marks t as running from now and accounts for its lateness.
func (s *Scheduler) begin(t *task, now time.Time) {
	t.running = true
	t.startAt(now)
	late := max(now.Sub(t.due), 0)
	s.stats.Checks++
	s.stats.LateTotal += late
	s.stats.LateMax = max(s.stats.LateMax, late)
}

// done applies the outcome of t's attempt that ended at now and schedules
// its next one.
func (s *Scheduler) done(t *task, o Outcome, now time.Time) {
	t.running = false
	next := s.finish(t, o, t.started, now)
	if _, watched := s.fileWatched(t); watched {
		if t.again {
			t.again = false
			s.push(t, now)
		}
		return
	}
	s.push(t, next)
}

// attemptURL is the url index an HTTP attempt tests now.
func (t *task) attemptURL() int {
	if t.st.urlIt < 0 {
		return 0
	}
	return t.st.urlIt
}

// callProbe makes one attempt. A probe that panics fails the attempt
// instead of taking the scheduler down.
func callProbe(ctx context.Context, t *task, url int) (o Outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = Outcome{Err: fmt.Errorf("check: %s probe panicked: %v", t.cfg.Type, r)}
		}
	}()
	// HTTP_GET and SSL_GET probes test the url the checker's state names;
	// a probe that is not a URLProber is used for every url.
	if up, ok := t.probe.(URLProber); ok && t.kind == kindHTTP {
		return up.CheckURL(ctx, url)
	}
	return t.probe.Check(ctx)
}

// Run runs the checks until ctx ends, then makes keepalived's shutdown
// transitions (every real server down, with omega notifications) and
// returns once every attempt in flight has returned. It may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	first := false
	s.runOnce.Do(func() { first = true })
	if !first {
		return errors.New("check: Run called twice")
	}
	s.mu.Lock()
	s.start(s.clock.Now())
	s.mu.Unlock()
	s.signal()

	defer close(s.stopped)
	s.wake = newChanWaker(s.clock)
	s.kicks.set(s.wake)
	defer context.AfterFunc(ctx, s.kicks.kick)()
	runCtx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	fileEvents, watchFailed := make(chan string, 16), make(chan string, 16)
	watch := s.startWatch(runCtx, fileEvents, watchFailed)
	// The clock is read once per wake and once per attempt started: under
	// emulation (the benchmark VM) clock reads are not free.
	now := s.clock.Now()
	for {
		if ctx.Err() != nil {
			cancelAll()
			watch.stop()
			// The connects' cancelled results fit in s.results, which
			// holds one per attempt in flight.
			s.wake.close()
			s.mu.Lock()
			s.conn = nil
			s.mu.Unlock()
			s.stop()
			return nil
		}
	events:
		for {
			select {
			case r := <-s.results:
				if ctx.Err() != nil {
					// Stopping: the attempt may have been cancelled by
					// it, which says nothing about the server.
					s.running--
					continue
				}
				s.complete(r, now)
			case ev := <-s.addrEvents:
				s.mu.Lock()
				s.addressChanged(ev)
				s.mu.Unlock()
			case p := <-fileEvents:
				s.fileChanged(p, now)
			case p := <-watchFailed:
				s.unwatched[p] = true
				s.fileChanged(p, now)
			case req := <-s.reloads:
				s.mu.Lock()
				err := s.reload(req.cfg, now)
				s.mu.Unlock()
				if err == nil {
					watch.stop()
					watch = s.startWatch(runCtx, fileEvents, watchFailed)
				}
				s.signal()
				req.done <- err
			default:
				break events
			}
		}
		s.dispatch(runCtx, now)
		until, _ := s.nextDue()
		now = s.wake.sleep(until)
	}
}

// connector returns the loop's connector, made at the first TCP_CHECK or
// HTTP_GET attempt, or nil when those run on goroutines. Tests with fake
// probes never make one, and so can run in a synctest bubble, whose clock
// does not move while a goroutine waits on a descriptor.
func (s *Scheduler) connector() connectRunner {
	if s.conn != nil || s.goroutineConnects {
		return s.conn
	}
	var c loopWaker
	err := errors.ErrUnsupported
	if _, sys := s.clock.(systemClock); sys {
		c, err = newConnector()
	}
	if err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			s.logf("Healthchecker: TCP_CHECK and HTTP_GET attempts run one goroutine each: %v", err)
		}
		s.goroutineConnects = true
		return nil
	}
	s.wake.close()
	s.wake = c
	s.kicks.set(c)
	// An event may have kicked the timer's waker since the loop last took
	// events.
	c.kick()
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	return c
}

// stop waits for the attempts in flight, whose results are dropped, then
// makes the shutdown transitions.
func (s *Scheduler) stop() {
	for s.running > 0 {
		<-s.results
		s.running--
	}
	s.mu.Lock()
	s.shutdown()
	s.mu.Unlock()
	s.signal()
}

// dispatch starts due tasks while slots are free, oldest due first; the
// others wait in the ready queue, in order.
func (s *Scheduler) dispatch(ctx context.Context, now time.Time) {
	s.ready = append(s.ready, s.popDue(now)...)
	n := min(len(s.ready), s.maxConc-s.running)
	if n <= 0 {
		return
	}
	start := s.ready[:n]
	s.mu.Lock()
	for _, t := range start {
		s.begin(t, now)
	}
	s.mu.Unlock()
	// Outside the lock: TCP_CHECK's connects are made right here, and
	// Health readers need not wait for them.
	for i, t := range start {
		if i > 0 {
			// Each attempt is timed from its own start: the later ones
			// of a batch begin after the earlier ones' system calls,
			// which must not lengthen every check's period.
			now = s.clock.Now()
			t.startAt(now)
		}
		s.running++
		s.launch(ctx, t, now)
	}
	// Moved down rather than resliced, so that the queue keeps its array
	// and appending to it does not allocate at every wake.
	rest := copy(s.ready, s.ready[n:])
	clear(s.ready[rest:])
	s.ready = s.ready[:rest]
}

func (s *Scheduler) launch(ctx context.Context, t *task, now time.Time) {
	gen, url := s.gen, t.attemptURL()
	// A reload cannot cancel the attempts on the connector: they end
	// within connect_timeout of their last progress, as keepalived's do,
	// and the result of an older generation is dropped.
	if cp, ok := t.probe.(connectProbe); ok && s.connector() != nil {
		t.cancel = nil
		if t.connected == nil {
			// Made once: a task belongs to one generation, and a
			// closure per attempt was an allocation per check.
			t.connected = func(kind dialKind, err error) {
				s.results <- result{t: t, gen: gen, o: cp.outcome(kind, err)}
			}
		}
		s.conn.connect(cp.connectOpts(), now, t.connected)
		return
	}
	if sp, ok := t.probe.(streamProbe); ok {
		if x := sp.stream(url); x != nil && s.connector() != nil {
			t.cancel = nil
			if t.exchanged == nil {
				t.exchanged = func(o Outcome) { s.results <- result{t: t, gen: gen, o: o} }
			}
			s.conn.exchange(sp.connectOpts(), now, x, t.exchanged)
			return
		}
	}
	actx, cancel := context.WithCancel(ctx)
	t.cancel = cancel
	go func() {
		o := callProbe(actx, t, url)
		s.results <- result{t: t, gen: gen, o: o}
		s.kicks.kick()
	}()
}

func (s *Scheduler) complete(r result, now time.Time) {
	s.running--
	if r.t.cancel != nil {
		r.t.cancel()
	}
	if r.gen != s.gen {
		return // the task belongs to a configuration a reload replaced
	}
	s.mu.Lock()
	if errors.Is(r.o.Err, errCancelled) {
		// Cut short by us, not by the server: nothing to count or log.
		r.t.running = false
		s.push(r.t, now.Add(r.t.delayLoop()))
		s.mu.Unlock()
		return
	}
	s.done(r.t, r.o, now)
	s.mu.Unlock()
	s.signal()
}

// Reload replaces the configuration while Run runs, keeping the state of
// unchanged servers and checkers as keepalived does on SIGHUP. It waits for
// Run to take the request; after Run has returned it fails with
// ErrNotRunning.
func (s *Scheduler) Reload(ctx context.Context, cfg *parser.Config) error {
	req := reloadReq{cfg: cfg, done: make(chan error, 1)}
	select {
	case <-s.stopped:
		return ErrNotRunning
	default:
	}
	select {
	case s.reloads <- req:
		s.kicks.kick()
	case <-s.stopped:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-s.stopped:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrNotRunning // stopped before it took the request
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdown is keepalived's clear_services at exit without
// lvs_flush_on_stop: every real server is shut down, alive ones notified
// with omega, then each virtual server's quorum goes down.
func (s *Scheduler) shutdown() {
	for _, v := range s.m.vss {
		for _, r := range v.rss {
			inhibited := ""
			if r.cfg.Inhibit && !r.alive {
				inhibited = "(inhibited) "
			}
			s.logf("Shutting down %sservice %s from VS %s", inhibited, r.name, v.name)
			if !r.alive {
				continue
			}
			r.alive = false
			s.changed = true
			if !v.cfg.Omega {
				continue
			}
			s.rsNotify(r, true)
			if r.cfg.SMTPAlert {
				s.notifier.Alert(Alert{VSName: v.name, RSName: r.name, Up: false, Body: "=> Shutting down <="})
			}
		}
		s.quorumLossCheck(v, true)
		v.sorryActive = false
	}
}

// taskHeap orders tasks by due time, then by the order they were queued.
// It is a binary heap written out rather than container/heap: at tens of
// thousands of checks a second the interface calls and time.Time
// comparisons of the generic one showed up in profiles.
type taskHeap []*task

func (h taskHeap) less(i, j int) bool {
	if h[i].dueKey != h[j].dueKey {
		return h[i].dueKey < h[j].dueKey
	}
	return h[i].seq < h[j].seq
}

func (h taskHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}

func (h *taskHeap) push(t *task) {
	t.heapIdx = len(*h)
	*h = append(*h, t)
	h.up(t.heapIdx)
}

// pop removes and returns the earliest task.
func (h *taskHeap) pop() *task {
	old := *h
	n := len(old) - 1
	old.swap(0, n)
	t := old[n]
	old[n] = nil
	*h = old[:n]
	h.down(0)
	t.heapIdx = -1
	return t
}

func (h taskHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		j = i
	}
}

func (h taskHeap) down(i int) {
	n := len(h)
	for {
		j := 2*i + 1
		if j >= n {
			return
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		i = j
	}
}

// healthSnapshot is the scheduler's Health at one instant.
type healthSnapshot struct {
	rs map[*parser.RealServer]rsSnap
	vs map[*parser.VirtualServer]bool
}

type rsSnap struct {
	vs *parser.VirtualServer
	h  RSHealth
}

func (h *healthSnapshot) RealServer(vs *parser.VirtualServer, rs *parser.RealServer) RSHealth {
	if r, ok := h.rs[rs]; ok && r.vs == vs {
		return r.h
	}
	return RSHealth{}
}

func (h *healthSnapshot) QuorumUp(vs *parser.VirtualServer) bool { return h.vs[vs] }

// Snapshot copies the state of every real and virtual server under one
// read lock, for the engine to compute the whole desired table from:
// asking server by server took the lock tens of thousands of times per
// pass, each time waiting behind the checks' updates.
func (s *Scheduler) Snapshot() Health {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := &healthSnapshot{rs: make(map[*parser.RealServer]rsSnap, len(s.m.rsIdx)), vs: make(map[*parser.VirtualServer]bool, len(s.m.vsIdx))}
	for cfg, r := range s.m.rsIdx {
		h.rs[cfg] = rsSnap{vs: r.vs.cfg, h: r.health()}
	}
	for cfg, v := range s.m.vsIdx {
		h.vs[cfg] = v.quorumUp
	}
	return h
}
