package check

import (
	"context"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/notify"
)

// openFIFO opens a notify FIFO and starts its script.
func openFIFO(ctx context.Context, s fifoSpec, r notify.Runner, log *slog.Logger) (fifoWriter, error) {
	return notify.OpenFIFO(ctx, notify.FIFOConfig{Path: s.Path, UID: s.UID, GID: s.GID, Script: s.Script, Kind: s.Kind}, r, log)
}
