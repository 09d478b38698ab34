//go:build linux

package vrrp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linuxAdvertConn is keepalived's pair of raw sockets for one (interface,
// family, mode): a send socket that never receives (IP_HDRINCL for IPv4)
// and a receive socket that joined the group, bound to it (or to the
// unicast source) and to the interface.
//
// golang.org/x/net/ipv4 would hide some setsockopt calls, but it neither
// offers IPv6 IPV6_CHECKSUM nor a no-receive filter, and its raw IPv4 conn
// parses headers we need verbatim; x/sys/unix with the runtime poller (via
// os.File) is smaller and does exactly what keepalived does.
type linuxAdvertConn struct {
	cfg     ConnConfig
	ifindex int
	send    *os.File
	recv    *os.File

	closeOnce sync.Once
	closed    chan struct{}
	// rmu serializes Receive calls, which share buf and oob.
	rmu sync.Mutex
	buf []byte
	oob []byte
}

var _ AdvertConn = (*linuxAdvertConn)(nil)

// NewAdvertConn opens the advert sockets for cfg. It needs CAP_NET_RAW.
func NewAdvertConn(cfg ConnConfig) (AdvertConn, error) {
	c := &linuxAdvertConn{cfg: cfg, closed: make(chan struct{}),
		buf: make([]byte, 65536), oob: make([]byte, 256)}
	if cfg.Interface != "" {
		ifi, err := net.InterfaceByName(cfg.Interface)
		if err != nil {
			return nil, fmt.Errorf("vrrp: advert socket: %w", err)
		}
		c.ifindex = ifi.Index
	} else if !cfg.unicast() {
		return nil, fmt.Errorf("vrrp: advert socket: multicast needs an interface")
	}
	if cfg.unicast() && cfg.UnicastSrc.Is6() != cfg.IPv6 {
		return nil, fmt.Errorf("vrrp: advert socket: %w: unicast source %s", ErrFamily, cfg.UnicastSrc)
	}
	var err error
	if c.send, err = c.openSend(); err != nil {
		return nil, err
	}
	if c.recv, err = c.openRecv(); err != nil {
		c.send.Close()
		return nil, err
	}
	return c, nil
}

func (c *linuxAdvertConn) family() int {
	if c.cfg.IPv6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

func (c *linuxAdvertConn) proto() int {
	if c.cfg.AH && !c.cfg.IPv6 {
		return ProtoAH
	}
	return ProtoVRRP
}

// rawSocket opens a non-blocking raw socket and runs the setup steps,
// closing it if one fails.
func (c *linuxAdvertConn) rawSocket(name string, steps ...func(fd int) error) (*os.File, error) {
	fd, err := unix.Socket(c.family(), unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, c.proto())
	if err != nil {
		return nil, fmt.Errorf("vrrp: %s socket: %w", name, err)
	}
	for _, step := range steps {
		if err := step(fd); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("vrrp: %s socket on %q: %w", name, c.cfg.Interface, err)
		}
	}
	// A non-blocking descriptor handed to os.NewFile joins the runtime's
	// poller, which gives us deadlines to cancel a blocked Receive.
	return os.NewFile(uintptr(fd), name), nil
}

func sockopt(level, opt, v int) func(fd int) error {
	return func(fd int) error {
		if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
			return fmt.Errorf("setsockopt %d/%d: %w", level, opt, err)
		}
		return nil
	}
}

func (c *linuxAdvertConn) bindToDevice(fd int) error {
	if c.cfg.Interface == "" {
		return nil
	}
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, c.cfg.Interface); err != nil {
		return fmt.Errorf("SO_BINDTODEVICE: %w", err)
	}
	return nil
}

// noReceive attaches a filter that drops everything: the send socket
// would otherwise queue every VRRP packet of the host.
func noReceive(fd int) error {
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}

func (c *linuxAdvertConn) openSend() (*os.File, error) {
	steps := []func(int) error{sockopt(unix.SOL_SOCKET, unix.SO_RCVBUF, 0)}
	if c.cfg.IPv6 {
		steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0),
			sockopt(unix.IPPROTO_IPV6, unix.IPV6_CHECKSUM, 6))
		if !c.cfg.unicast() {
			steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, AdvertTTL))
		}
	} else {
		steps = append(steps, sockopt(unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0),
			sockopt(unix.IPPROTO_IP, unix.IP_HDRINCL, 1))
	}
	steps = append(steps, c.bindToDevice)
	if !c.cfg.unicast() {
		if c.cfg.IPv6 {
			steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, c.ifindex),
				sockopt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0))
		} else {
			steps = append(steps, func(fd int) error {
				return unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(c.ifindex)})
			}, sockopt(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0))
		}
	}
	if c.cfg.IPv6 {
		steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_TCLASS, AdvertTOS))
	} else {
		steps = append(steps, sockopt(unix.IPPROTO_IP, unix.IP_TOS, AdvertTOS))
	}
	steps = append(steps, noReceive)
	return c.rawSocket("advert send", steps...)
}

func (c *linuxAdvertConn) openRecv() (*os.File, error) {
	var steps []func(int) error
	if c.cfg.RcvBuf > 0 {
		steps = append(steps, sockopt(unix.SOL_SOCKET, unix.SO_RCVBUF, c.cfg.RcvBuf))
	}
	if c.cfg.IPv6 {
		steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0))
	} else {
		steps = append(steps, sockopt(unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0))
	}
	if c.cfg.unicast() {
		// Bind before the address exists, as it may only be added later.
		if c.cfg.IPv6 {
			steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1))
		} else {
			steps = append(steps, sockopt(unix.IPPROTO_IP, unix.IP_FREEBIND, 1))
		}
		steps = append(steps, func(fd int) error { return unix.Bind(fd, c.sockaddr(c.cfg.UnicastSrc)) })
	} else {
		g := c.cfg.group()
		steps = append(steps, func(fd int) error {
			if c.cfg.IPv6 {
				return unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_ADD_MEMBERSHIP,
					&unix.IPv6Mreq{Multiaddr: g.As16(), Interface: uint32(c.ifindex)})
			}
			return unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP,
				&unix.IPMreqn{Multiaddr: g.As4(), Ifindex: int32(c.ifindex)})
		}, func(fd int) error {
			// Bound to the group, the socket sees no unicast VRRP.
			return unix.Bind(fd, c.sockaddr(g))
		})
	}
	if c.cfg.IPv6 {
		steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1),
			sockopt(unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1))
	} else {
		steps = append(steps, sockopt(unix.IPPROTO_IP, unix.IP_PKTINFO, 1))
	}
	steps = append(steps, c.bindToDevice)
	if c.cfg.IPv6 {
		steps = append(steps, sockopt(unix.IPPROTO_IPV6, unix.IPV6_CHECKSUM, 6))
	}
	return c.rawSocket("advert receive", steps...)
}

func (c *linuxAdvertConn) sockaddr(a netip.Addr) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4()}
	}
	sa := &unix.SockaddrInet6{Addr: a.As16()}
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		sa.ZoneId = uint32(c.ifindex)
	}
	return sa
}

func (c *linuxAdvertConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Send transmits dg. Multicast goes out with MSG_DONTROUTE, as keepalived
// sends it; IPv6 carries the source and interface as IPV6_PKTINFO and, for
// unicast with unicast_ttl, the hop limit.
func (c *linuxAdvertConn) Send(dg Datagram) error {
	if c.isClosed() {
		return ErrConnClosed
	}
	if dg.Dst.Is6() != c.cfg.IPv6 {
		return fmt.Errorf("vrrp: send to %s: %w", dg.Dst, ErrFamily)
	}
	flags := 0
	if dg.Dst.IsMulticast() {
		flags = unix.MSG_DONTROUTE
	}
	var oob []byte
	if c.cfg.IPv6 {
		src := c.cfg.Src
		if c.cfg.unicast() {
			src = c.cfg.UnicastSrc
		}
		info := unix.Inet6Pktinfo{Ifindex: uint32(c.ifindex)}
		if src.IsValid() {
			info.Addr = src.As16()
		}
		oob = unix.PktInfo6(&info)
		if c.cfg.unicast() && c.cfg.UnicastHopLimit > 0 {
			oob = append(oob, hopLimitCmsg(c.cfg.UnicastHopLimit)...)
		}
	}
	rc, err := c.send.SyscallConn()
	if err != nil {
		return fmt.Errorf("vrrp: send: %w", err)
	}
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), dg.Data, oob, c.sockaddr(dg.Dst), flags)
		return !errors.Is(serr, unix.EAGAIN)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("vrrp: send advert to %s on %s: %w", dg.Dst, c.cfg.Interface, err)
	}
	return nil
}

func hopLimitCmsg(hl int) []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.IPPROTO_IPV6
	h.Type = unix.IPV6_HOPLIMIT
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], uint32(hl))
	return b
}

// Receive reads the next packet with its source, destination, hop limit
// and arrival interface. Truncated packets are skipped, as keepalived
// skips them. Concurrent calls are served one after the other.
func (c *linuxAdvertConn) Receive(ctx context.Context) (Received, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.isClosed() {
			return Received{}, ErrConnClosed
		}
		if err := ctx.Err(); err != nil {
			return Received{}, err
		}
		c.recv.SetReadDeadline(time.Time{})
		stop := context.AfterFunc(ctx, func() { c.recv.SetReadDeadline(time.Unix(1, 0)) })
		rx, truncated, err := c.readOne()
		stop()
		if err != nil {
			switch {
			case c.isClosed():
				return Received{}, ErrConnClosed
			case ctx.Err() != nil:
				return Received{}, ctx.Err()
			case errors.Is(err, os.ErrDeadlineExceeded):
				// The cancellation of an earlier call, arriving late.
				continue
			}
			return Received{}, fmt.Errorf("vrrp: receive on %s: %w", c.cfg.Interface, err)
		}
		if truncated || len(rx.Data) == 0 {
			continue
		}
		return rx, nil
	}
}

func (c *linuxAdvertConn) readOne() (Received, bool, error) {
	rc, err := c.recv.SyscallConn()
	if err != nil {
		return Received{}, false, err
	}
	var (
		n, oobn, flags int
		from           unix.Sockaddr
		rerr           error
	)
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, flags, from, rerr = unix.Recvmsg(int(fd), c.buf, c.oob, unix.MSG_TRUNC)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return Received{}, false, err
	}
	if flags&unix.MSG_TRUNC != 0 || n > len(c.buf) {
		return Received{}, true, nil
	}
	rx := Received{IPv6: c.cfg.IPv6, Data: append([]byte(nil), c.buf[:n]...), HopLimit: -1}
	switch sa := from.(type) {
	case *unix.SockaddrInet4:
		rx.Src = netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		rx.Src = netip.AddrFrom16(sa.Addr)
	}
	if flags&unix.MSG_CTRUNC == 0 {
		c.parseCmsgs(c.oob[:oobn], &rx)
	}
	if !c.cfg.IPv6 && n >= ipv4HeaderLen {
		rx.Dst = netip.AddrFrom4([4]byte(rx.Data[16:20]))
		rx.HopLimit = int(rx.Data[8])
	}
	return rx, false, nil
}

func (c *linuxAdvertConn) parseCmsgs(oob []byte, rx *Received) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT && len(m.Data) >= 4:
			rx.HopLimit = int(int32(binary.NativeEndian.Uint32(m.Data)))
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= unix.SizeofInet6Pktinfo:
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&m.Data[0]))
			rx.Dst = netip.AddrFrom16(info.Addr)
			rx.IfIndex = int(info.Ifindex)
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= unix.SizeofInet4Pktinfo:
			info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&m.Data[0]))
			rx.IfIndex = int(info.Ifindex)
		}
	}
}

// Close closes both sockets; a blocked Receive returns ErrConnClosed.
func (c *linuxAdvertConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = errors.Join(c.send.Close(), c.recv.Close())
	})
	if err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, syscall.EBADF) {
		return fmt.Errorf("vrrp: close advert sockets: %w", err)
	}
	return nil
}
