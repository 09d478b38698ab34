package check

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The connector's system calls on its sockets, epoll set and timerfd go
// around the runtime's system call bookkeeping (syscall.RawSyscall). When
// every processor is idle the runtime's sysmon thread sleeps, and the next
// system call entered the usual way wakes it, so that it could take the
// processor should the call block. The loop wakes from the poller with
// every processor idle, at each of its wake-ups: a futex wake, a thread
// switch and sysmon's polling each time, which in the VM cost more CPU
// than the checks themselves. None of these calls can block: the
// descriptors are non-blocking and epoll_wait is asked with no timeout.

func rawErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func rawSocket(family, typ, proto int) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), uintptr(typ), uintptr(proto))
	return int(fd), rawErr(e)
}

// rawConnectTo connects to dest, building the socket address on the
// stack: through the unix.Sockaddr interface it was an allocation per
// connect. An IPv6 zone (an interface name) is looked up as
// kernelSockaddr does.
func rawConnectTo(fd int, dest netip.AddrPort) error {
	a := dest.Addr()
	var e unix.Errno
	switch {
	case a.Is4() || a.Is4In6():
		raw := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Unmap().As4()}
		putPort(&raw.Port, int(dest.Port()))
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet4)
	default:
		raw := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
		if a.Zone() != "" {
			sa, _, err := kernelSockaddr(a, dest.Port())
			if err != nil {
				return err
			}
			raw.Scope_id = sa.(*unix.SockaddrInet6).ZoneId
		}
		putPort(&raw.Port, int(dest.Port()))
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet6)
	}
	return rawErr(e)
}

// putPort stores port in network byte order.
func putPort(p *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func rawGetsockoptInt(fd, level, opt int) (int, error) {
	var v int32
	l := uint32(unsafe.Sizeof(v))
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	return int(v), rawErr(e)
}

func rawClose(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

func rawRead(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// rawEpollPoll takes the set's ready events without waiting.
func rawEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawEpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return rawErr(e)
}

func rawTimerfdSettime(fd int, spec *unix.ItimerSpec) error {
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(spec)), 0, 0, 0)
	return rawErr(e)
}
