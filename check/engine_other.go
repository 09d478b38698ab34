//go:build !linux

package check

import (
	"context"
	"errors"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// openLinuxIPVS fails: IPVS exists on Linux only.
func openLinuxIPVS(string) (ipvs.Kernel, func() error, error) {
	return nil, nil, errors.New("IPVS exists on Linux only")
}

// defaultWatchFiles is nil: the scheduler reads track files every second.
var defaultWatchFiles func(ctx context.Context, paths []string, changed func(path string)) error
