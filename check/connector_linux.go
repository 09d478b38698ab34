package check

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// connector is where the scheduler's loop sleeps on Linux, and it runs
// TCP_CHECK's connects and HTTP_GET's exchanges the way keepalived's event
// loop does: non-blocking sockets in one epoll set. A goroutine per
// attempt, with its runtime poller registration, deadline timer and
// context, cost about as much CPU as the connect itself at thousands of
// checks a second, and every hand-over between goroutines costs wake-ups
// in the runtime. Here the loop's goroutine makes the socket and starts
// the connect, and it sleeps in epoll_wait until a socket is ready or its
// next due check: each wake-up moves every attempt that epoll reports on.
// Other goroutines wake it through an eventfd in the set. Everything but
// kick belongs to the loop's goroutine.
//
// Sleeping in the runtime's poller instead (the epoll set as an os.File
// with a read deadline) was tried: in the VM it cost about as much CPU but
// woke 40 ms late at the median, against a few ms here.
type connector struct {
	epfd, evfd int
	pending    map[int32]*connAttempt // by descriptor
	timeouts   connTimeouts
	events     []unix.EpollEvent
	buf        []byte // what exchanges read into, one at a time
	closed     bool

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

// newConnector makes the epoll set and its eventfd; close releases them.
func newConnector() (loopWaker, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &connector{epfd: epfd, evfd: evfd, pending: map[int32]*connAttempt{},
		events: make([]unix.EpollEvent, 256), buf: make([]byte, 4096)}, nil
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
		unix.Close(fd)
		finish(dialOK, nil)
	default:
		c.watch(&connAttempt{deadline: now.Add(co.timeout), fd: int32(fd), heapIdx: -1, finish: finish})
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
	c.watch(&connAttempt{deadline: now.Add(co.timeout), fd: int32(fd), heapIdx: -1,
		x: &exchange{s: x, done: done, timeout: co.timeout, req: x.request()}})
}

// dial makes a non-blocking socket and starts its connect; fd < 0 means
// it failed at once, with kind and err.
func dial(co *connOpts) (fd int, connected bool, kind dialKind, err error) {
	sa, family, err := co.sockaddr()
	if err != nil {
		return -1, false, dialLocal, err
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, false, dialLocal, os.NewSyscallError("socket", err)
	}
	if err := co.prepare(fd); err != nil {
		unix.Close(fd)
		return -1, false, classifyErr(err), err
	}
	switch err := unix.Connect(fd, sa); err {
	case nil:
		return fd, true, dialOK, nil
	case unix.EINPROGRESS:
		return fd, false, dialOK, nil
	default:
		unix.Close(fd)
		serr := os.NewSyscallError("connect", err)
		return -1, false, classifyErr(serr), serr
	}
}

// watch adds the attempt's socket to the epoll set, waiting for it to
// turn writable.
func (c *connector) watch(a *connAttempt) {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: a.fd}
	if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, int(a.fd), &ev); err != nil {
		unix.Close(int(a.fd))
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

// sleep waits in epoll_wait until until or the earliest step deadline, a
// kick, or a socket's event, then moves the attempts that epoll reports on
// and ends those that timed out.
func (c *connector) sleep(until time.Time) time.Time {
	if len(c.timeouts) > 0 && (until.IsZero() || c.timeouts[0].deadline.Before(until)) {
		until = c.timeouts[0].deadline
	}
	msec := -1
	if !until.IsZero() {
		// From a fresh reading: the loop's own is from before its work.
		msec = waitMillis(time.Until(until))
	}
	var now time.Time
	for first := true; ; first = false {
		n, err := unix.EpollWait(c.epfd, c.events, msec)
		if err != nil && !errors.Is(err, unix.EINTR) {
			panic(fmt.Sprintf("check: epoll_wait: %v", err))
		}
		if first {
			now = time.Now()
		}
		for _, ev := range c.events[:max(n, 0)] {
			if ev.Fd == int32(c.evfd) {
				// Reset the counter, then take kicks again: a kick
				// after the reset writes anew, and one before it
				// queued its event before the loop takes events.
				var buf [8]byte
				unix.Read(c.evfd, buf[:])
				c.kicked.Store(false)
				continue
			}
			if a := c.pending[ev.Fd]; a != nil {
				c.ready(a, now)
			}
		}
		if n < len(c.events) {
			break
		}
		msec = 0 // more are ready
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
		n, err := unix.Write(int(a.fd), x.req)
		if !c.progressed(a, now, err, "write", x.s.writeFailed) {
			return
		}
		x.req = x.req[max(n, 0):]
	}
	x.reading = true
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: a.fd}
	if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_MOD, int(a.fd), &ev); err != nil {
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
		n, err := unix.Read(int(a.fd), c.buf[:want])
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

// waitMillis is epoll_wait's timeout for d, rounded up: waking early
// would only mean sleeping again.
func waitMillis(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(min((d+time.Millisecond-1)/time.Millisecond, math.MaxInt32))
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
	c.evMu.Lock()
	c.evClosed = true
	unix.Close(c.evfd)
	c.evMu.Unlock()
	unix.Close(c.epfd)
}

// verdict reads the connect's result once epoll says the socket is
// writable (connected) or in error, as keepalived's socket_state does, and
// tells whether the attempt is over.
func (c *connector) verdict(a *connAttempt) bool {
	v, err := unix.GetsockoptInt(int(a.fd), unix.SOL_SOCKET, unix.SO_ERROR)
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
	unix.Close(int(a.fd))
	a.fd = -1
	if a.x != nil {
		a.x.done(a.x.outcome)
		return
	}
	a.finish(a.kind, a.err)
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
