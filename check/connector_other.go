//go:build !linux

package check

import "errors"

// newConnector: the epoll loop is Linux's; elsewhere the loop sleeps on
// a timer and every attempt runs on its own goroutine.
func newConnector() (loopWaker, error) {
	return nil, errors.ErrUnsupported
}
