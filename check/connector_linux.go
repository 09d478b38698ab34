package check

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// connector is the scheduler's loop on Linux: it sleeps in epoll_wait
// and makes TCP_CHECK's connects the way keepalived's event loop does,
// non-blocking sockets in one epoll set. A goroutine per attempt, with its
// runtime poller registration, deadline timer and context, cost about as
// much CPU as the connect itself at thousands of checks a second, and
// every hand-over between goroutines costs wake-ups in the runtime. Here
// the loop's goroutine makes the socket, starts the connect and, when it
// sleeps, takes the completed ones from the same epoll_wait that ends its
// sleep at the next due check; the other goroutines wake it through an
// eventfd in the set. Everything but kick belongs to the loop's goroutine.
type connector struct {
	epfd, evfd int
	pending    map[int32]*connAttempt // by descriptor
	timeouts   connTimeouts
	events     []unix.EpollEvent
	closed     bool

	// kicked is set by the first kick since the loop last woke from the
	// eventfd; later kicks need not write to it.
	kicked atomic.Bool
	// evMu keeps a kick from writing to the eventfd once close has closed
	// it (the descriptor number could be another file's by then).
	evMu     sync.RWMutex
	evClosed bool
}

// connAttempt is one connect in progress.
type connAttempt struct {
	deadline time.Time
	finish   func(dialKind, error)
	fd       int32
	heapIdx  int
	// The verdict, once there is one.
	kind dialKind
	err  error
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
		events: make([]unix.EpollEvent, 256)}, nil
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
	sa, family, err := co.sockaddr()
	if err != nil {
		finish(dialLocal, err)
		return
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		finish(dialLocal, os.NewSyscallError("socket", err))
		return
	}
	if err := co.prepare(fd); err != nil {
		unix.Close(fd)
		finish(classifyErr(err), err)
		return
	}
	switch err := unix.Connect(fd, sa); err {
	case nil:
		unix.Close(fd)
		finish(dialOK, nil)
		return
	case unix.EINPROGRESS:
	default:
		unix.Close(fd)
		serr := os.NewSyscallError("connect", err)
		finish(classifyErr(serr), serr)
		return
	}
	a := &connAttempt{deadline: now.Add(co.timeout), finish: finish, fd: int32(fd), heapIdx: -1}
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: a.fd}
	if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		finish(dialLocal, os.NewSyscallError("epoll_ctl", err))
		return
	}
	c.pending[a.fd] = a
	heap.Push(&c.timeouts, a)
}

// sleep waits in epoll_wait until until or the earliest connect_timeout,
// a kick, or a connect's end, then finishes the connects that ended or
// timed out.
func (c *connector) sleep(now, until time.Time) time.Time {
	if len(c.timeouts) > 0 && (until.IsZero() || c.timeouts[0].deadline.Before(until)) {
		until = c.timeouts[0].deadline
	}
	msec := -1
	if !until.IsZero() {
		msec = waitMillis(until.Sub(now))
	}
	for {
		n, err := unix.EpollWait(c.epfd, c.events, msec)
		if err != nil && !errors.Is(err, unix.EINTR) {
			panic(fmt.Sprintf("check: epoll_wait: %v", err))
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
			if a := c.pending[ev.Fd]; a != nil && c.verdict(a) {
				c.end(a)
			}
		}
		if n < len(c.events) {
			break
		}
		msec = 0 // more are ready
	}
	now = time.Now()
	for len(c.timeouts) > 0 && !c.timeouts[0].deadline.After(now) {
		a := c.timeouts[0]
		a.kind, a.err = dialTimeout, os.ErrDeadlineExceeded
		c.end(a)
	}
	return now
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
