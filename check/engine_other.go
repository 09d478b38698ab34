//go:build !linux

package check

import (
	"errors"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// openLinuxIPVS fails: IPVS exists on Linux only.
func openLinuxIPVS(string) (ipvs.Kernel, func() error, error) {
	return nil, nil, errors.New("IPVS exists on Linux only")
}
