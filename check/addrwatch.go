package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// AddressSource is the host's interface addresses as ha_suspend needs
// them: the Linux implementation is rtnetlink (NewNetlinkAddresses).
type AddressSource interface {
	// Addresses lists the addresses configured now, an address once for
	// each interface that has it.
	Addresses() ([]netip.Addr, error)
	// Watch starts watching address changes and returns once the watch is
	// in place. The channel receives a value whenever the addresses may
	// have changed (values may be merged), and is closed when ctx ends or
	// the watch fails.
	Watch(ctx context.Context) (<-chan struct{}, error)
}

// addrWatchRetry is how long the watcher waits before watching again after
// its watch failed (e.g. the kernel dropped notifications).
// It doubles while watching fails, up to maxAddrWatchRetry.
const addrWatchRetry = time.Second

const maxAddrWatchRetry = time.Minute

// addrWatcher keeps the scheduler's ha_suspend address counts in line with
// the host's addresses, as keepalived's checker process does with its
// netlink reflector. It is level-triggered: on each change it lists the
// addresses again and reports the difference with what it reported
// before, so that a lost or duplicated notification cannot skew a count.
type addrWatcher struct {
	src AddressSource
	log *slog.Logger

	// delivering is held while a change is reported and its count
	// updated, and by hold: a reload then reads counts that match what
	// the scheduler has been told. A one-slot channel rather than a
	// mutex, so that waiting on it is a durable block for synctest.
	delivering chan struct{}

	mu     sync.Mutex
	counts map[netip.Addr]int // as reported to the scheduler
	broken bool               // no list could be had: every address counts as present
}

func newAddrWatcher(src AddressSource, log *slog.Logger) *addrWatcher {
	return &addrWatcher{src: src, log: log, delivering: make(chan struct{}, 1)}
}

// usesHASuspend tells whether a virtual server of cfg has ha_suspend.
func usesHASuspend(cfg *parser.Config) bool {
	if cfg == nil {
		return false
	}
	for _, vs := range cfg.VirtualServers {
		if vs.HASuspend {
			return true
		}
	}
	return false
}

// count is Options.AddressCount: how many interfaces have addr. Before
// open and when the addresses cannot be listed it is 1, so that checkers
// run rather than stay suspended for a reason that is not theirs.
func (w *addrWatcher) count(addr netip.Addr) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil || w.broken {
		return 1
	}
	return w.counts[addr.Unmap().WithZone("")]
}

// hold stops the reports until the function it returns is called. A
// reload holds them: the scheduler takes each report (and applies it)
// before the reload, so that the counts a reload reads for its new
// virtual servers are neither short of nor ahead of what the scheduler
// has been told.
func (w *addrWatcher) hold() (release func()) {
	w.delivering <- struct{}{}
	return func() { <-w.delivering }
}

// open starts the watch, then takes the initial counts (in that order, so
// that no change falls between them).
func (w *addrWatcher) open(ctx context.Context) (<-chan struct{}, error) {
	ch, err := w.src.Watch(ctx)
	if err != nil {
		err = fmt.Errorf("watching addresses: %w", err)
	}
	list, lerr := w.src.Addresses()
	w.mu.Lock()
	defer w.mu.Unlock()
	if lerr != nil {
		w.broken = true
		w.counts = map[netip.Addr]int{}
		return ch, errors.Join(err, fmt.Errorf("listing addresses: %w", lerr))
	}
	w.broken = false
	w.counts = tally(list)
	return ch, err
}

func tally(list []netip.Addr) map[netip.Addr]int {
	m := make(map[netip.Addr]int, len(list))
	for _, a := range list {
		m[a.Unmap()]++
	}
	return m
}

// run reports every change to changed (Scheduler.AddressChanged) until
// ctx ends or changed fails (the scheduler has stopped). ch is what open
// returned; when the watch fails, it is started again a little later.
func (w *addrWatcher) run(ctx context.Context, ch <-chan struct{}, changed func(context.Context, netip.Addr, bool) error) {
	retry := addrWatchRetry
	for {
		if ch == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			var err error
			if ch, err = w.src.Watch(ctx); err != nil {
				w.log.Warn(fmt.Sprintf("Netlink: watching addresses: %v", err))
				ch = nil
				retry = min(2*retry, maxAddrWatchRetry)
				continue
			}
			retry = addrWatchRetry
			// Changes may have been missed meanwhile.
		} else {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					if ctx.Err() == nil {
						w.log.Warn("Netlink: the address watch ended; watching again")
					}
					ch = nil
					continue
				}
			}
		}
		if err := w.sync(ctx, changed); err != nil {
			return
		}
	}
}

// sync lists the addresses and reports what changed since the last time.
// A listing error is logged and leaves the counts as they are. The error
// returned is changed's.
func (w *addrWatcher) sync(ctx context.Context, changed func(context.Context, netip.Addr, bool) error) error {
	list, err := w.src.Addresses()
	if err != nil {
		w.log.Warn(fmt.Sprintf("Netlink: listing addresses: %v", err))
		return nil
	}
	now := tally(list)
	w.mu.Lock()
	if w.broken {
		// Nothing was known; from now on the list is the truth, without
		// reporting (the scheduler has its counts at 1 or more).
		w.broken, w.counts = false, now
		w.mu.Unlock()
		return nil
	}
	var addrs []netip.Addr
	for a, n := range now {
		if n != w.counts[a] {
			addrs = append(addrs, a)
		}
	}
	for a := range w.counts {
		if _, ok := now[a]; !ok {
			addrs = append(addrs, a)
		}
	}
	w.mu.Unlock()
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range addrs {
		for {
			w.mu.Lock()
			d := now[a] - w.counts[a]
			w.mu.Unlock()
			if d == 0 {
				break
			}
			verb := "removed"
			if d > 0 {
				verb = "added"
			}
			w.log.Debug(fmt.Sprintf("Netlink reflector reports IP %s %s", a, verb))
			select {
			case w.delivering <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := changed(ctx, a, d > 0); err != nil {
				<-w.delivering
				return err
			}
			w.mu.Lock()
			if d > 0 {
				w.counts[a]++
			} else if w.counts[a]--; w.counts[a] == 0 {
				delete(w.counts, a)
			}
			w.mu.Unlock()
			<-w.delivering
		}
	}
	return nil
}
