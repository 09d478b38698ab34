package check

import (
	"fmt"
	"syscall"
)

// probeSockopts returns a net.Dialer Control function that applies bind_if
// (SO_BINDTODEVICE), fwmark (SO_MARK) and IP(V6)_RECVERR before the socket
// connects, or nil when none is wanted.
func probeSockopts(bindIf string, fwmark uint32, recvErr bool) func(network, address string, c syscall.RawConn) error {
	if bindIf == "" && fwmark == 0 && !recvErr {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if fwmark != 0 {
				if e := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, int(fwmark)); e != nil {
					serr = fmt.Errorf("Error setting fwmark %d to socket: %w", fwmark, e)
					return
				}
			}
			if recvErr {
				// keepalived only logs a failure here.
				if len(network) > 0 && network[len(network)-1] == '6' {
					syscall.SetsockoptInt(int(fd), syscall.SOL_IPV6, syscall.IPV6_RECVERR, 1)
				} else {
					syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_RECVERR, 1)
				}
			}
			if bindIf != "" {
				if e := syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, bindIf); e != nil {
					serr = fmt.Errorf("Checker can't bind to device %s: %w", bindIf, e)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}
