package main

import (
	"fmt"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/parser"
)

// newEngine builds a child's engine from the packages that run it.
func newEngine(role string, cfg *parser.Config, d daemonSettings, log *slog.Logger) (engine, error) {
	switch role {
	case vrrpChild.Role:
		return newVRRPEngine(cfg, d, log)
	case checkerChild.Role:
		return newCheckEngine(cfg, d, log)
	}
	return nil, fmt.Errorf("unknown child role %q", role)
}
