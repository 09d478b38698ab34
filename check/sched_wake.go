package check

import (
	"sync/atomic"
	"time"
)

// waker is where the scheduler's loop sleeps between events. Other
// goroutines queue an event on one of the loop's channels and then kick,
// and the loop takes every queued event after each sleep; so an event is
// never missed, and a burst of them costs one wake.
type waker interface {
	// sleep returns at until (never when it is zero), after a kick, or
	// when connects it runs for the loop have ended (their results are
	// then queued); it returns the time it woke, read once.
	sleep(until time.Time) time.Time
	// kick wakes sleep, now or at its next call. Any goroutine may call
	// it, before or after the loop has run.
	kick()
	// close ends the connects in progress as cancelled, queueing their
	// results, and releases the waker; kicks become no-ops.
	close()
}

// loopWaker is a waker that also runs TCP_CHECK's connects in the loop
// itself (the epoll loop of connector_linux.go).
type loopWaker interface {
	waker
	connectRunner
}

// chanWaker sleeps on the clock's timer and a channel: the waker of a
// clock other than the system's, and of systems without the epoll loop.
type chanWaker struct {
	clock Clock
	timer Timer
	kicks chan struct{}
}

func newChanWaker(c Clock) *chanWaker {
	t := c.NewTimer(time.Hour)
	t.Stop()
	return &chanWaker{clock: c, timer: t, kicks: make(chan struct{}, 1)}
}

func (w *chanWaker) sleep(until time.Time) time.Time {
	var fired <-chan time.Time
	if !until.IsZero() {
		w.timer.Reset(max(until.Sub(w.clock.Now()), 0))
		fired = w.timer.C()
	}
	select {
	case <-w.kicks:
	case <-fired:
	}
	w.timer.Stop()
	return w.clock.Now()
}

func (w *chanWaker) kick() {
	select {
	case w.kicks <- struct{}{}:
	default:
	}
}

func (w *chanWaker) close() { w.timer.Stop() }

// kicker holds the running loop's waker for the goroutines that kick it;
// it does nothing before Run has made one.
type kicker struct{ w atomic.Pointer[waker] }

func (k *kicker) set(w waker) { k.w.Store(&w) }

func (k *kicker) kick() {
	if w := k.w.Load(); w != nil {
		(*w).kick()
	}
}
