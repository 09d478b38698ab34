package check

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// openPingSocket opens an unprivileged ICMP datagram socket, as keepalived
// does; when net.ipv4.ping_group_range forbids it and we are root, a raw
// socket does the same job. (keepalived instead rewrites ping_group_range
// at start-up, a host-wide change this probe does not make.)
func openPingSocket(v6 bool) (pingSocket, bool, error) {
	family, proto := syscall.AF_INET, syscall.IPPROTO_ICMP
	if v6 {
		family, proto = syscall.AF_INET6, syscall.IPPROTO_ICMPV6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, proto)
	if err == nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 128*1024)
		f := os.NewFile(uintptr(fd), "ping")
		defer f.Close()
		pc, err := net.FilePacketConn(f)
		if err != nil {
			return nil, false, fmt.Errorf("ping socket: %w", err)
		}
		return pc, false, nil
	}
	if !(errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)) || os.Geteuid() != 0 {
		return nil, false, fmt.Errorf("ping socket: %w", err)
	}
	network := "ip4:icmp"
	if v6 {
		network = "ip6:ipv6-icmp"
	}
	pc, err := net.ListenPacket(network, "")
	if err != nil {
		return nil, false, fmt.Errorf("raw ICMP socket: %w", err)
	}
	return pc, true, nil
}
