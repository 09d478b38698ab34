package check

import (
	"container/heap"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// connector makes the TCP connects of TCP_CHECK the way keepalived's
// event loop does: non-blocking sockets in one epoll set. A goroutine per
// attempt, with its runtime poller registration, deadline timer and
// context, cost about as much CPU as the connect itself at thousands of
// checks a second. Here the caller (the scheduler's loop) makes the
// socket and starts the connect, and one goroutine reads the results of
// every connect that completes: it waits for the epoll set itself to
// become readable in the runtime's poller, takes the ready sockets with a
// non-blocking epoll_wait, reads SO_ERROR and closes them.
type connector struct {
	epfd int
	ep   *os.File      // epfd, for the runtime's poller and its deadlines
	done chan struct{} // closed when wait returns

	mu       sync.Mutex
	pending  map[int32]*connAttempt // by descriptor
	timeouts connTimeouts
	stopping bool
	// wakeAt is the read deadline wait sleeps until (zero: none); a
	// connect with an earlier deadline moves it.
	wakeAt time.Time

	events []unix.EpollEvent // wait's
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

var _ connectRunner = (*connector)(nil)

// newConnector starts a connector; stop ends it.
func newConnector() (connectRunner, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	// A non-blocking descriptor joins the runtime's poller: an epoll set
	// is readable while any of its sockets is ready.
	c := &connector{epfd: epfd, ep: os.NewFile(uintptr(epfd), "connector"), done: make(chan struct{}),
		pending: map[int32]*connAttempt{}, events: make([]unix.EpollEvent, 256)}
	rc, err := c.ep.SyscallConn()
	if err != nil {
		c.ep.Close()
		return nil, err
	}
	go c.wait(rc)
	return c, nil
}

// connect makes the socket and starts the connect (keepalived's
// tcp_connect and socket_bind_connect); connect_timeout runs from now,
// the caller's reading of the clock.
// finish gets the result once: at once when the connect fails or succeeds
// immediately, else from the connector's goroutine (dialLocal and
// errCancelled once stop has been called).
func (c *connector) connect(co *connOpts, now time.Time, finish func(dialKind, error)) {
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
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		unix.Close(fd)
		finish(dialLocal, errCancelled)
		return
	}
	// Known before epoll can report it: wait looks it up under mu.
	c.pending[a.fd] = a
	heap.Push(&c.timeouts, a)
	ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: a.fd}
	if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		c.forget(a)
		c.mu.Unlock()
		finish(dialLocal, os.NewSyscallError("epoll_ctl", err))
		return
	}
	if c.wakeAt.IsZero() || a.deadline.Before(c.wakeAt) {
		c.wakeAt = a.deadline
		c.ep.SetReadDeadline(a.deadline)
	}
	c.mu.Unlock()
}

// stop ends every attempt in progress as cancelled and waits for their
// results to be delivered.
func (c *connector) stop() {
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	c.ep.SetReadDeadline(time.Unix(1, 0))
	<-c.done
}

// wait reports the connects as they complete or time out.
func (c *connector) wait(rc syscall.RawConn) {
	defer close(c.done)
	defer c.ep.Close()
	var ended []*connAttempt
	stopped := false
	collect := func() {
		ended, stopped = c.collect(ended[:0])
		report(ended)
		clear(ended)
	}
	for !stopped {
		// Read calls the function, and again each time the epoll set
		// turns readable, until it returns true. At the read deadline
		// (the earliest connect_timeout, or stop) it returns an error
		// instead, without calling it.
		err := rc.Read(func(uintptr) bool {
			collect()
			return stopped
		})
		if err != nil && !stopped {
			collect()
		}
	}
}

// collect takes the connects that completed, timed out or, after stop,
// were cancelled, and sets the read deadline to the next timeout. It
// takes every ready socket: the poller reports the epoll set's edges.
func (c *connector) collect(ended []*connAttempt) ([]*connAttempt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		for len(c.timeouts) > 0 {
			a := c.timeouts[0]
			a.kind, a.err = dialLocal, errCancelled
			c.forget(a)
			ended = append(ended, a)
		}
		return ended, true
	}
	for {
		n, err := unix.EpollWait(c.epfd, c.events, 0)
		if err != nil && !errors.Is(err, unix.EINTR) {
			panic(fmt.Sprintf("check: connector epoll_wait: %v", err))
		}
		for _, ev := range c.events[:max(n, 0)] {
			if a := c.pending[ev.Fd]; a != nil && c.verdict(a) {
				c.forget(a)
				ended = append(ended, a)
			}
		}
		if n < len(c.events) {
			break
		}
	}
	for now := time.Now(); len(c.timeouts) > 0 && !c.timeouts[0].deadline.After(now); {
		a := c.timeouts[0]
		a.kind, a.err = dialTimeout, os.ErrDeadlineExceeded
		c.forget(a)
		ended = append(ended, a)
	}
	next := time.Time{}
	if len(c.timeouts) > 0 {
		next = c.timeouts[0].deadline
	}
	if !next.Equal(c.wakeAt) {
		c.wakeAt = next
		c.ep.SetReadDeadline(next)
	}
	return ended, false
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

// forget closes the attempt's socket, which also takes it out of the
// epoll set. c.mu is held.
func (c *connector) forget(a *connAttempt) {
	delete(c.pending, a.fd)
	heap.Remove(&c.timeouts, a.heapIdx)
	unix.Close(int(a.fd))
	a.fd = -1
}

// report delivers the verdicts, outside the lock.
func report(ended []*connAttempt) {
	for _, a := range ended {
		a.finish(a.kind, a.err)
	}
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
