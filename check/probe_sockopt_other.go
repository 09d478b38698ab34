//go:build !linux

package check

import (
	"errors"
	"syscall"
)

// probeSockopts: bind_if and fwmark are Linux socket options.
func probeSockopts(bindIf string, fwmark uint32, recvErr bool) func(network, address string, c syscall.RawConn) error {
	if bindIf == "" && fwmark == 0 {
		return nil
	}
	return func(string, string, syscall.RawConn) error {
		return errors.New("bind_if and fwmark need Linux")
	}
}
