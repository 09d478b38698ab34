//go:build !linux

package vrrp

import (
	"context"
	"errors"
)

// Run is only implemented with Linux's inotify.
func (w *trackFileWatcher) Run(ctx context.Context) error {
	if len(w.files) == 0 {
		return nil
	}
	return errors.New("vrrp: track_file needs Linux (inotify)")
}
