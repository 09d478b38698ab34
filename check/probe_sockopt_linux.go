package check

import (
	"fmt"
	"syscall"
)

// probeSockopts returns a net.Dialer Control function that applies bind_if
// (SO_BINDTODEVICE) and fwmark (SO_MARK) before the socket connects, or
// nil when neither is set.
func probeSockopts(bindIf string, fwmark uint32) func(network, address string, c syscall.RawConn) error {
	if bindIf == "" && fwmark == 0 {
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
