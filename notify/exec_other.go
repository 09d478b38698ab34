//go:build !linux

package notify

import (
	"context"
	"errors"
	"log/slog"
)

// errNoScripts: keepalived's way of running scripts (process groups,
// parent-death signal) is Linux's; elsewhere the package builds for its
// pure parts and tests only.
var errNoScripts = errors.New("notify: running scripts needs Linux")

func defaultRunner(*slog.Logger) Runner {
	return RunnerFunc(func(context.Context, Command) Result { return Result{ExitStatus: -1, Err: errNoScripts} })
}
