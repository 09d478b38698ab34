//go:build !linux

package check

import "errors"

// newConnector: the epoll connector is Linux's; elsewhere every attempt
// runs on its own goroutine.
func newConnector() (connectRunner, error) {
	return nil, errors.ErrUnsupported
}
