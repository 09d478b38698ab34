package check

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// connector is where the scheduler's loop sleeps on Linux, and it runs
// TCP_CHECK's connects and HTTP_GET's exchanges the way keepalived's event
// loop does: non-blocking sockets in one epoll set, with a timerfd for the
// next due check. A goroutine per attempt, with its runtime poller
// registration, deadline timer and context, cost about as much CPU as the
// connect itself at thousands of checks a second, and every hand-over
// between goroutines costs wake-ups in the runtime. Here the loop's
// goroutine makes the socket and starts the connect, and it sleeps until a
// socket is ready or the timerfd fires: each wake-up moves every attempt
// that epoll reports on. Other goroutines wake it through an eventfd in
// the set. Everything but kick belongs to the loop's goroutine.
//
// The goroutine sleeps in the runtime's poller, which watches the epoll
// set's own descriptor, not in a blocking epoll_wait. A goroutine that
// stays on its processor for 10 ms is preempted by the runtime's sysmon
// thread and, in a system call, loses the processor; sysmon then sleeps
// until the call returns and polls every 20 µs for a while after. In the
// VM at 100 checks a second that was most of the difference to
// keepalived's CPU. The timerfd, not a read deadline on the descriptor,
// keeps the runtime's timers out of it: moving a deadline wakes the
// thread that sleeps in the poller (an earlier try with deadlines also
// woke about 40 ms late in the VM).
type connector struct {
	epfd, evfd int
	timer      int       // timerfd: the next due check
	armed      time.Time // what timer is set to; zero once it fired
	epoll      *os.File  // epfd in the runtime's poller
	epollRaw   syscall.RawConn
	pending    map[int32]*connAttempt // by descriptor
	timeouts   connTimeouts
	events     []unix.EpollEvent
	buf        []byte // what exchanges read into, one at a time
	closed     bool
	pollReady  func(uintptr) bool // c.pollOnce
	polled     int                // events pollOnce took
	free       []*connAttempt     // ended attempts, to be used again

	// kicked is set by the first kick since the loop last woke from the
	// eventfd; later kicks need not write to it.
	kicked atomic.Bool
	// evMu keeps a kick from writing to the eventfd once close has closed
	// it (the descriptor number could be another file's by then).
	evMu     sync.RWMutex
	evClosed bool
}

// connAttempt is one connect in progress, and for an exchange what
// follows it.
type connAttempt struct {
	deadline time.Time // of the current step
	fd       int32
	heapIdx  int
	// TCP_CHECK: the connect's verdict, for finish.
	finish func(dialKind, error)
	kind   dialKind
	err    error
	// HTTP_GET: the exchange after the connect (nil for TCP_CHECK).
	x *exchange
}

type exchange struct {
	s         streamExchange
	done      func(Outcome)
	timeout   time.Duration
	req       []byte // what is left to send
	connected bool
	reading   bool
	outcome   Outcome
}

var _ loopWaker = (*connector)(nil)

// newConnector makes the epoll set with its eventfd and timerfd; close
// releases them.
func newConnector() (c *connector, err error) {
	c = &connector{epfd: -1, evfd: -1, timer: -1, pending: map[int32]*connAttempt{},
		events: make([]unix.EpollEvent, 256), buf: make([]byte, 4096)}
	c.pollReady = c.pollOnce
	defer func() {
		if err != nil {
			c.release()
		}
	}()
	if c.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if c.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	if c.timer, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	for _, fd := range []int{c.evfd, c.timer} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return nil, os.NewSyscallError("epoll_ctl", err)
		}
	}
	// Only a non-blocking descriptor goes into the runtime's poller.
	if err := unix.SetNonblock(c.epfd, true); err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	c.epoll = os.NewFile(uintptr(c.epfd), "epoll")
	if c.epollRaw, err = c.epoll.SyscallConn(); err != nil {
		return nil, err
	}
	// SetDeadline fails on a file the poller does not watch.
	if err := c.epoll.SetDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("epoll set not in the runtime's poller: %w", err)
	}
	return c, nil
}

// release closes the descriptors.
func (c *connector) release() {
	c.evMu.Lock()
	c.evClosed = true
	if c.evfd >= 0 {
		unix.Close(c.evfd)
	}
	c.evMu.Unlock()
	if c.timer >= 0 {
		unix.Close(c.timer)
	}
	if c.epoll != nil {
		c.epoll.Close()
	} else if c.epfd >= 0 {
		unix.Close(c.epfd)
	}
}

// connect makes the socket and starts the connect (keepalived's
// tcp_connect and socket_bind_connect); connect_timeout runs from now,
// the caller's reading of the clock. finish gets the result once: at once
// when the connect fails or succeeds immediately, else from sleep or
// close (dialLocal and errCancelled).
func (c *connector) connect(co *connOpts, now time.Time, finish func(dialKind, error)) {
	if c.closed {
		finish(dialLocal, errCancelled)
		return
	}
	fd, connected, kind, err := dial(co)
	switch {
	case fd < 0:
		finish(kind, err)
	case connected:
		rawClose(fd)
		finish(dialOK, nil)
	default:
		a := c.attempt()
		a.deadline, a.fd, a.finish = now.Add(co.timeout), int32(fd), finish
		c.watch(a)
	}
}

// exchange connects as connect does, then sends x's request and reads the
// answer to the end of the connection, each step within connect_timeout
// (the request when the socket turns writable, each read from the last
// one), as keepalived's http_check does.
func (c *connector) exchange(co *connOpts, now time.Time, x streamExchange, done func(Outcome)) {
	if c.closed {
		done(x.dialFailed(dialLocal, errCancelled))
		return
	}
	fd, _, kind, err := dial(co)
	if fd < 0 {
		done(x.dialFailed(kind, err))
		return
	}
	// Connected at once or not, the request goes when epoll says the
	// socket is writable.
	a := c.attempt()
	a.deadline, a.fd = now.Add(co.timeout), int32(fd)
	a.x = &exchange{s: x, done: done, timeout: co.timeout, req: x.request()}
	c.watch(a)
}

// dial makes a non-blocking socket and starts its connect; fd < 0 means
// it failed at once, with kind and err.
func dial(co *connOpts) (fd int, connected bool, kind dialKind, err error) {
	family := unix.AF_INET6
	if a := co.dest.Addr(); a.Is4() || a.Is4In6() {
		family = unix.AF_INET
	} else if a.Zone() != "" {
		// A zone that names no interface fails before any socket.
		if _, _, err := co.sockaddr(); err != nil {
			return -1, false, dialLocal, err
		}
	}
	fd, err = rawSocket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, false, dialLocal, os.NewSyscallError("socket", err)
	}
	if err := co.prepare(fd); err != nil {
		rawClose(fd)
		return -1, false, classifyErr(err), err
	}
	switch err := rawConnectTo(fd, co.dest); err {
	case nil:
		return fd, true, dialOK, nil
	case unix.EINPROGRESS:
		return fd, false, dialOK, nil
	default:
		rawClose(fd)
		serr := os.NewSyscallError("connect", err)
		return -1, false, classifyErr(serr), serr
	}
}

// watch adds the attempt's socket to the epoll set, waiting for it to
// turn writable.
func (c *connector) watch(a *connAttempt) {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: a.fd}
	if err := rawEpollCtl(c.epfd, unix.EPOLL_CTL_ADD, int(a.fd), &ev); err != nil {
		rawClose(int(a.fd))
		err = os.NewSyscallError("epoll_ctl", err)
		if a.x != nil {
			a.x.done(a.x.s.dialFailed(dialLocal, err))
		} else {
			a.finish(dialLocal, err)
		}
		return
	}
	c.pending[a.fd] = a
	heap.Push(&c.timeouts, a)
}

// sleep waits until until or the earliest step deadline (the timerfd), a
// kick, or a socket's event, then moves the attempts that epoll reports on
// and ends those that timed out.
func (c *connector) sleep(until time.Time) time.Time {
	if len(c.timeouts) > 0 && (until.IsZero() || c.timeouts[0].deadline.Before(until)) {
		until = c.timeouts[0].deadline
	}
	n := c.wait(until)
	now := time.Now()
	for {
		for _, ev := range c.events[:max(n, 0)] {
			if ev.Fd == int32(c.evfd) {
				// Reset the counter, then take kicks again: a kick
				// after the reset writes anew, and one before it
				// queued its event before the loop takes events.
				var buf [8]byte
				rawRead(c.evfd, buf[:])
				c.kicked.Store(false)
				continue
			}
			if ev.Fd == int32(c.timer) {
				var buf [8]byte
				rawRead(c.timer, buf[:])
				c.armed = time.Time{}
				continue
			}
			if a := c.pending[ev.Fd]; a != nil {
				c.ready(a, now)
			}
		}
		if n < len(c.events) {
			break
		}
		n = c.poll() // more are ready
	}
	for len(c.timeouts) > 0 && !c.timeouts[0].deadline.After(now) {
		a := c.timeouts[0]
		if x := a.x; x != nil {
			switch {
			case !x.connected:
				x.outcome = x.s.dialFailed(dialTimeout, os.ErrDeadlineExceeded)
			case !x.reading:
				x.outcome = x.s.writeFailed(os.ErrDeadlineExceeded)
			default:
				x.outcome = x.s.ended(os.ErrDeadlineExceeded)
			}
		} else {
			a.kind, a.err = dialTimeout, os.ErrDeadlineExceeded
		}
		c.end(a)
	}
	return now
}

// ready moves an attempt whose socket epoll reported on.
func (c *connector) ready(a *connAttempt, now time.Time) {
	x := a.x
	switch {
	case x == nil:
		if c.verdict(a) {
			c.end(a)
		}
	case !x.connected:
		if !c.verdict(a) {
			return
		}
		if a.kind != dialOK {
			x.outcome = x.s.dialFailed(a.kind, a.err)
			c.end(a)
			return
		}
		x.connected = true
		c.send(a, now)
	case !x.reading:
		c.send(a, now)
	default:
		c.receive(a, now)
	}
}

// send writes what is left of the request; once it is all sent the
// attempt waits for the answer.
func (c *connector) send(a *connAttempt, now time.Time) {
	x := a.x
	for len(x.req) > 0 {
		n, err := rawWrite(int(a.fd), x.req)
		if !c.progressed(a, now, err, "write", x.s.writeFailed) {
			return
		}
		x.req = x.req[max(n, 0):]
	}
	x.reading = true
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: a.fd}
	if err := rawEpollCtl(c.epfd, unix.EPOLL_CTL_MOD, int(a.fd), &ev); err != nil {
		x.outcome = x.s.ended(os.NewSyscallError("epoll_ctl", err))
		c.end(a)
		return
	}
	c.rearm(a, now)
}

// receive reads what has arrived, until the stream ends, the reading is
// over or nothing more is there yet.
func (c *connector) receive(a *connAttempt, now time.Time) {
	x := a.x
	for {
		want := x.s.limit(len(c.buf))
		if want == 0 {
			x.outcome = x.s.judge()
			c.end(a)
			return
		}
		n, err := rawRead(int(a.fd), c.buf[:want])
		if !c.progressed(a, now, err, "read", x.s.ended) {
			return
		}
		if n == 0 && err == nil {
			x.outcome = x.s.ended(io.EOF)
			c.end(a)
			return
		}
		if n > 0 {
			x.s.got(c.buf[:n])
		}
	}
}

// progressed tells whether the attempt goes on after a non-blocking read
// or write of its socket returned err (none, or EINTR: try again).
// Otherwise it waits for epoll (EAGAIN: its step deadline re-armed) or has
// ended with fail's verdict on the error.
func (c *connector) progressed(a *connAttempt, now time.Time, err error, op string, fail func(error) Outcome) bool {
	switch {
	case err == nil || errors.Is(err, unix.EINTR):
		return true
	case errors.Is(err, unix.EAGAIN):
		c.rearm(a, now)
	default:
		a.x.outcome = fail(os.NewSyscallError(op, err))
		c.end(a)
	}
	return false
}

// rearm gives the attempt's next step its connect_timeout from now.
func (c *connector) rearm(a *connAttempt, now time.Time) {
	a.deadline = now.Add(a.x.timeout)
	heap.Fix(&c.timeouts, a.heapIdx)
}

// wait sets the timer to until (zero: no timer needed) and sleeps until
// the epoll set has an event; it returns the number of events (0: until
// had come already, or an interruption).
func (c *connector) wait(until time.Time) int {
	if !until.IsZero() && !until.Equal(c.armed) {
		// From a fresh reading: the loop's own is from before its work.
		d := time.Until(until)
		if d <= 0 {
			return c.poll()
		}
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
		if err := rawTimerfdSettime(c.timer, &spec); err != nil {
			panic(fmt.Sprintf("check: timerfd_settime: %v", err))
		}
		c.armed = until
	}
	if err := c.epollRaw.Read(c.pollReady); err != nil {
		panic(fmt.Sprintf("check: waiting on the epoll set: %v", err))
	}
	return c.polled
}

// pollOnce is wait's callback from the runtime's poller. It is taken as a
// func value once, in newConnector (pollReady): a closure made at each
// wait was two allocations per wake-up.
func (c *connector) pollOnce(uintptr) bool {
	c.polled = c.poll()
	return c.polled != 0
}

// poll takes the set's ready events, without waiting.
func (c *connector) poll() int {
	n, err := rawEpollPoll(c.epfd, c.events)
	if err != nil && !errors.Is(err, unix.EINTR) {
		panic(fmt.Sprintf("check: epoll_wait: %v", err))
	}
	return n
}

func (c *connector) kick() {
	if c.kicked.Swap(true) {
		return // a kick is on its way to the loop
	}
	c.evMu.RLock()
	defer c.evMu.RUnlock()
	if !c.evClosed {
		one := [8]byte{1}
		if _, err := unix.Write(c.evfd, one[:]); err != nil && !errors.Is(err, unix.EAGAIN) {
			panic(fmt.Sprintf("check: eventfd write: %v", err))
		}
	}
}

// close cancels the connects in progress and releases the descriptors.
func (c *connector) close() {
	if c.closed {
		return
	}
	c.closed = true
	for len(c.timeouts) > 0 {
		a := c.timeouts[0]
		a.kind, a.err = dialLocal, errCancelled
		if a.x != nil {
			a.x.outcome = a.x.s.dialFailed(dialLocal, errCancelled)
		}
		c.end(a)
	}
	c.release()
}

// verdict reads the connect's result once epoll says the socket is
// writable (connected) or in error, as keepalived's socket_state does, and
// tells whether the attempt is over.
func (c *connector) verdict(a *connAttempt) bool {
	v, err := rawGetsockoptInt(int(a.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		a.kind, a.err = dialLocal, os.NewSyscallError("getsockopt", err)
	case v == int(unix.EINPROGRESS) || v == int(unix.EALREADY):
		return false // epoll reports it again when it completes
	case v != 0:
		a.err = os.NewSyscallError("connect", unix.Errno(v))
		a.kind = classifyErr(a.err)
	default:
		a.kind, a.err = dialOK, nil
	}
	return true
}

// end closes the attempt's socket, which also takes it out of the
// epoll set, and delivers its verdict.
func (c *connector) end(a *connAttempt) {
	delete(c.pending, a.fd)
	heap.Remove(&c.timeouts, a.heapIdx)
	rawClose(int(a.fd))
	a.fd = -1
	if x := a.x; x != nil {
		x.done(x.outcome)
	} else {
		a.finish(a.kind, a.err)
	}
	*a = connAttempt{heapIdx: -1}
	c.free = append(c.free, a)
}

// attempt is an unused connAttempt: one that ended, or a new one. The
// attempts in flight are at most the scheduler's concurrency bound, so the
// free list stays that small.
func (c *connector) attempt() *connAttempt {
	if n := len(c.free); n > 0 {
		a := c.free[n-1]
		c.free = c.free[:n-1]
		return a
	}
	return &connAttempt{heapIdx: -1}
}

// classifyErr is classifyDial for attempts without a context.
func classifyErr(err error) dialKind {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return dialTimeout
	}
	if errors.Is(err, errCancelled) {
		return dialLocal
	}
	return classifyDial(nil, err)
}

// connTimeouts orders attempts by deadline.
type connTimeouts []*connAttempt

func (h connTimeouts) Len() int           { return len(h) }
func (h connTimeouts) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h connTimeouts) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *connTimeouts) Push(x any) {
	a := x.(*connAttempt)
	a.heapIdx = len(*h)
	*h = append(*h, a)
}
func (h *connTimeouts) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	a.heapIdx = -1
	return a
}
