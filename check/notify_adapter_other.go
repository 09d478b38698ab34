//go:build !linux

package check

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/notify"
)

// openFIFO fails: notify FIFOs exist on Linux only.
func openFIFO(context.Context, fifoSpec, notify.Runner, *slog.Logger) (fifoWriter, error) {
	return nil, errors.New("notify FIFOs exist on Linux only")
}
