package check

import (
	"context"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// defaultWatchFiles is how the engine's scheduler learns of track file
// changes when the caller does not say: inotify, as keepalived.
var defaultWatchFiles func(ctx context.Context, paths []string, changed func(path string)) error = WatchTrackFiles

// openLinuxIPVS opens the kernel's IPVS of the namespace at nsPath ("" for
// this one).
func openLinuxIPVS(nsPath string) (ipvs.Kernel, func() error, error) {
	k, err := ipvs.Open(nsPath)
	if err != nil {
		return nil, nil, err
	}
	return k, k.Close, nil
}
