//go:build !linux

package check

import "errors"

func openPingSocket(v6 bool) (pingSocket, bool, error) {
	return nil, false, errors.New("PING_CHECK needs Linux")
}
