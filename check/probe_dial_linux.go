package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// dialTCP connects to the destination within connect_timeout (bounded by
// ctx too) and says which of keepalived's outcomes it met.
//
// It makes the socket itself rather than through net.Dialer, because a
// checker connects thousands of times a second and net.Dialer's extras
// cost more than the connect: address parsing, keepalive and TCP_NODELAY
// options, getsockname and getpeername, and a goroutine watching ctx. What
// is left is keepalived's sequence: socket, the checker's own options,
// bind, a non-blocking connect, one wait in the runtime's poller, SO_ERROR.
func (o *connOpts) dialTCP(ctx context.Context) (net.Conn, dialKind, error) {
	start := time.Now()
	sa, family, err := o.sockaddr()
	if err != nil {
		return nil, dialLocal, err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		err = os.NewSyscallError("socket", err)
		return nil, classifyDial(ctx, err), err
	}
	if err := o.prepare(fd); err != nil {
		unix.Close(fd)
		return nil, classifyDial(ctx, err), err
	}
	inProgress := false
	switch err := unix.Connect(fd, sa); err {
	case nil:
	case unix.EINPROGRESS:
		inProgress = true
	default:
		unix.Close(fd)
		serr := os.NewSyscallError("connect", err)
		return nil, classifyDial(ctx, serr), serr
	}
	// A non-blocking descriptor handed to os.NewFile joins the runtime's
	// poller, which gives reads and writes deadlines.
	f := os.NewFile(uintptr(fd), "tcp")
	c := &sockConn{File: f, remote: o.remote()}
	if inProgress {
		if err := c.waitConnected(ctx, deadline(ctx, start, o.timeout)); err != nil {
			f.Close()
			return nil, classifyDial(ctx, err), err
		}
	}
	return c, dialOK, nil
}

// sockaddr is the destination as the kernel takes it.
func (o *connOpts) sockaddr() (unix.Sockaddr, int, error) {
	return kernelSockaddr(o.dest.Addr(), o.dest.Port())
}

// kernelSockaddr is addr:port as the kernel takes it, with its address
// family; an IPv6 zone names the interface.
func kernelSockaddr(a netip.Addr, port uint16) (unix.Sockaddr, int, error) {
	if a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Addr: a.Unmap().As4(), Port: int(port)}, unix.AF_INET, nil
	}
	sa := &unix.SockaddrInet6{Addr: a.As16(), Port: int(port)}
	if z := a.Zone(); z != "" {
		ifi, err := net.InterfaceByName(z)
		if err != nil {
			return nil, 0, fmt.Errorf("zone %q of %s: %w", z, a, err)
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	return sa, unix.AF_INET6, nil
}

// prepare applies fwmark, bind_if and bindto (with bind_port), in
// keepalived's order, failing as a local error would.
func (o *connOpts) prepare(fd int) error {
	if o.fwmark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(o.fwmark)); err != nil {
			return fmt.Errorf("Error setting fwmark %d to socket: %w", o.fwmark, err)
		}
	}
	if o.bindIf != "" {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, o.bindIf); err != nil {
			return fmt.Errorf("Checker can't bind to device %s: %w", o.bindIf, err)
		}
	}
	if !o.bindTo.IsValid() {
		return nil
	}
	sa, _, err := kernelSockaddr(o.bindTo, o.bindPort)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}

func (o *connOpts) remote() *net.TCPAddr {
	return &net.TCPAddr{IP: o.dest.Addr().AsSlice(), Port: int(o.dest.Port()), Zone: o.dest.Addr().Zone()}
}

// sockConn is a connected TCP socket as a net.Conn.
type sockConn struct {
	*os.File
	remote *net.TCPAddr
}

var _ net.Conn = (*sockConn)(nil)

// waitConnected waits until the connect in progress completes, fails, or
// the deadline (or ctx) ends it; it returns the connect's result as
// keepalived reads it, from SO_ERROR.
func (c *sockConn) waitConnected(ctx context.Context, dl time.Time) error {
	if err := c.SetWriteDeadline(dl); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var soErr error
	err = rc.Write(func(fd uintptr) bool {
		// The poller may say writable before the connect completed (the
		// readiness it had at registration), and an edge it saw before
		// this call is forgotten, so every call reads the state:
		// SO_ERROR for a failure, then the peer for a success.
		v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			soErr = os.NewSyscallError("getsockopt", err)
		case v == int(unix.EINPROGRESS) || v == int(unix.EALREADY) || v == int(unix.EINTR):
			return false
		case v != 0:
			soErr = os.NewSyscallError("connect", unix.Errno(v))
		default:
			if _, err := unix.Getpeername(int(fd)); err == unix.ENOTCONN {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if soErr != nil {
		return soErr
	}
	return c.SetWriteDeadline(time.Time{})
}

// LocalAddr asks the kernel: checkers never need it on the hot path.
func (c *sockConn) LocalAddr() net.Addr {
	rc, err := c.SyscallConn()
	if err != nil {
		return &net.TCPAddr{}
	}
	var sa unix.Sockaddr
	rc.Control(func(fd uintptr) { sa, _ = unix.Getsockname(int(fd)) })
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return &net.TCPAddr{}
}

func (c *sockConn) RemoteAddr() net.Addr { return c.remote }
