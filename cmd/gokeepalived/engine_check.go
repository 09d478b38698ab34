package main

import (
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/gokeepalived/gokeepalived/check"
	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/parser"
)

// checkEngine is the checker child: the health checks driving IPVS.
type checkEngine struct {
	d   daemonSettings
	log *slog.Logger
	eng *check.Engine

	mu  sync.Mutex
	cfg *parser.Config
	ctx context.Context
}

func newCheckEngine(cfg *parser.Config, d daemonSettings, log *slog.Logger) (*checkEngine, error) {
	return newCheckEngineOn(cfg, d, log, nil)
}

// newCheckEngineOn is newCheckEngine driving kernel (nil: the Linux IPVS
// table the configuration names).
func newCheckEngineOn(cfg *parser.Config, d daemonSettings, log *slog.Logger, kernel ipvs.Kernel) (*checkEngine, error) {
	eng, err := check.NewEngine(cfg, check.EngineOptions{Log: log, DontReleaseIPVS: d.DontReleaseIPVS, Kernel: kernel})
	if err != nil {
		return nil, err
	}
	return &checkEngine{d: d, log: log, eng: eng, cfg: cfg, ctx: context.Background()}, nil
}

func (c *checkEngine) Run(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	if c.d.MetricsChecker != "" {
		go func() {
			h := metricsHandler(func(m *promSet) { collectCheckMetrics(m, c.snapshot()) })
			if err := serveMetrics(ctx, c.d.MetricsChecker, h, c.log); err != nil {
				c.log.Error(err.Error())
			}
		}()
	}
	return c.eng.Run(ctx)
}

func (c *checkEngine) Reload(cfg *parser.Config) error {
	c.mu.Lock()
	ctx := c.ctx
	c.mu.Unlock()
	if err := c.eng.Reload(ctx, cfg); err != nil {
		return err
	}
	c.mu.Lock()
	c.cfg = cfg
	c.mu.Unlock()
	return nil
}

func (c *checkEngine) Dump(kind dumpKind) error {
	if kind != dumpData {
		return nil // the parent forwards only SIGUSR1 to the checker
	}
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	return checkDumper{Naming: dumpNamingFromConfig(cfg, os.Getenv), PID: os.Getpid(), Log: c.log, Snapshot: c.snapshot}.Data()
}

// snapshot is the configured checker view with the engine's running state
// laid over it. Both list virtual and real servers in configuration order.
func (c *checkEngine) snapshot() checkSnapshot {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	snap := checkSnapshotFromConfig(cfg)
	run := c.eng.Snapshot()
	for i := range snap.VirtualServers {
		if i >= len(run.VirtualServers) {
			break
		}
		vs, rvs := &snap.VirtualServers[i], run.VirtualServers[i]
		vs.QuorumStateUp = rvs.QuorumUp
		alive := false
		for j := range vs.RealServers {
			if j >= len(rvs.RealServers) {
				break
			}
			rs, rrs := &vs.RealServers[j], rvs.RealServers[j]
			rs.Alive, rs.EffectiveWeight, rs.FailedCheckers = rrs.Alive, rrs.Weight, rrs.FailedCheckers
			rs.Set = rrs.InKernel
			alive = alive || rrs.Alive
		}
		vs.Alive = alive || rvs.SorryActive
	}
	return snap
}
