package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// connOpts is a checker's connection group, resolved: where to connect,
// from where, through which device, with which mark, and how long to wait.
type connOpts struct {
	dest     netip.AddrPort
	bindTo   netip.Addr
	bindPort uint16
	bindIf   string
	fwmark   uint32
	timeout  time.Duration
}

func newConnOpts(c *parser.Checker) (connOpts, error) {
	co := c.Conn
	if co == nil {
		return connOpts{}, fmt.Errorf("check: %s has no connection settings", c.Type)
	}
	if !co.Dest.Addr().IsValid() {
		return connOpts{}, fmt.Errorf("check: %s has no destination address", c.Type)
	}
	o := connOpts{
		dest:     co.Dest,
		bindTo:   co.BindTo,
		bindPort: co.BindPort,
		bindIf:   co.BindIf,
		fwmark:   co.FWMark,
		timeout:  probeDuration(co.ConnectTimeout),
	}
	if o.bindIf != "" {
		// An IPv6 link-local destination (or source) is reachable only
		// through the named interface.
		if o.dest.Addr().Is6() && o.dest.Addr().IsLinkLocalUnicast() && o.dest.Addr().Zone() == "" {
			o.dest = netip.AddrPortFrom(o.dest.Addr().WithZone(o.bindIf), o.dest.Port())
		}
		if o.bindTo.Is6() && o.bindTo.IsLinkLocalUnicast() && o.bindTo.Zone() == "" {
			o.bindTo = o.bindTo.WithZone(o.bindIf)
		}
	}
	return o, nil
}

// network is "tcp4"/"udp4" or the v6 variant for the destination.
func (o *connOpts) network(proto string) string {
	if o.dest.Addr().Is4() || o.dest.Addr().Is4In6() {
		return proto + "4"
	}
	return proto + "6"
}

// dialer builds a net.Dialer with the source address, device and mark;
// UDP sockets also ask for ICMP errors (IP_RECVERR), as keepalived's
// UDP_CHECK does, so that host and network unreachable fail the check.
func (o *connOpts) dialer(proto string) *net.Dialer {
	d := &net.Dialer{Timeout: o.timeout, Control: probeSockopts(o.bindIf, o.fwmark, proto == "udp")}
	if o.bindTo.IsValid() {
		ip := net.IP(o.bindTo.AsSlice())
		switch proto {
		case "tcp":
			d.LocalAddr = &net.TCPAddr{IP: ip, Port: int(o.bindPort), Zone: o.bindTo.Zone()}
		case "udp":
			d.LocalAddr = &net.UDPAddr{IP: ip, Port: int(o.bindPort), Zone: o.bindTo.Zone()}
		}
	}
	return d
}

// dialKind sorts connection errors the way keepalived's layer4 does.
type dialKind int

const (
	dialOK      dialKind = iota
	dialTimeout          // connect did not complete within connect_timeout
	dialFailed           // the remote side refused or reset (SO_ERROR set)
	dialUnreach          // connect() failed at once: no route, network down
	dialLocal            // socket, bind or sockopt failure: not counted
)

// classifyDial maps a dial error to keepalived's connect results. Creating
// the socket, setting its options and binding it are local steps; connect
// errors are judged by errno as keepalived's layer4 does.
func classifyDial(ctx context.Context, err error) dialKind {
	if ctx != nil && ctx.Err() == context.Canceled {
		return dialLocal
	}
	if call := dialSyscall(err); call != "" && call != "connect" {
		return dialLocal
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return dialTimeout
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return dialTimeout
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return dialLocal
	}
	switch errno {
	case syscall.ETIMEDOUT:
		return dialTimeout
	case syscall.ENETUNREACH, syscall.ENETDOWN:
		return dialUnreach
	case syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EHOSTUNREACH, syscall.EHOSTDOWN:
		return dialFailed
	}
	return dialLocal
}

// dialSyscall names the system call a dial failed in ("socket", "bind",
// "connect", ...), or "" when the error does not say (a socket option set
// by our Control function, a timeout).
func dialSyscall(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Syscall
	}
	return ""
}

// localError wraps a failure keepalived does not count against the server.
func localError(reason string, err error) *ProbeError {
	return &ProbeError{Reason: reason, Line: reason, Err: fmt.Errorf("%w: %w", ErrLocal, err)}
}

// errCancelled reports an attempt cut short because its context was
// cancelled (shutdown, reload): it says nothing about the server, so it is
// a local error.
var errCancelled = fmt.Errorf("%w: check cancelled", ErrLocal)

// settle turns the failure of an attempt whose context was cancelled into
// a local error, so that stopping a check never counts against a server.
func settle(ctx context.Context, o Outcome) Outcome {
	if !o.OK && ctx.Err() == context.Canceled {
		return cancelled(fmt.Errorf("%w (%w)", errCancelled, o.Err))
	}
	return o
}

// cancelled is the Outcome of an attempt we cut short; err wraps
// errCancelled.
func cancelled(err error) Outcome {
	return failed(&ProbeError{Reason: "check cancelled", Line: "check cancelled", Err: err})
}

// failed is the Outcome of a failed attempt.
func failed(e *ProbeError) Outcome { return Outcome{Err: e} }

// deadline is now + d, or the context's deadline when that comes first.
func deadline(ctx context.Context, now time.Time, d time.Duration) time.Time {
	t := now.Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
		return dl
	}
	return t
}

// isTimeout tells whether an I/O error is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// closeOnCancel closes c when ctx ends before stop is called, so a probe
// blocked in I/O returns promptly on shutdown.
func closeOnCancel(ctx context.Context, c interface{ Close() error }) (stop func() bool) {
	return context.AfterFunc(ctx, func() { c.Close() })
}
