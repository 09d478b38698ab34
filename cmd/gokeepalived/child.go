package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gokeepalived/gokeepalived/parser"
)

// engine is what a child process runs: the VRRP engine or the checkers
// with the IPVS reconciler.
type engine interface {
	// Run works until ctx ends, then shuts down as keepalived does
	// (priority 0 and VIPs removed, or IPVS cleaned up).
	Run(ctx context.Context) error
	// Reload applies a new, already validated configuration, keeping the
	// state of what did not change.
	Reload(cfg *parser.Config) error
	// Dump writes one of the signal-triggered dumps.
	Dump(kind dumpKind) error
}

type dumpKind int

const (
	dumpData dumpKind = iota
	dumpStats
	dumpStatsClear
	dumpJSON
)

// errNotBuilt is returned by an engine factory for a role whose engine is
// not part of this build yet.
var errNotBuilt = errors.New("not built yet")

// engineFactory builds the engine for a child role.
type engineFactory func(role string, cfg *parser.Config, d daemonSettings, log *slog.Logger) (engine, error)

// childPidFile is the pid file of a child role.
func childPidFile(p pidPaths, role string) string {
	if role == vrrpChild.Role {
		return p.VRRP
	}
	return p.Checker
}

func kindOf(role string) childKind {
	if role == vrrpChild.Role {
		return vrrpChild
	}
	return checkerChild
}

// runChild is a child process: it reads the configuration itself, as
// keepalived's children do, runs its engine, reloads on SIGHUP and stops
// on SIGTERM.
func runChild(d daemonSettings, role string, stderr io.Writer) int {
	return runChildWith(d, role, stderr, newEngine)
}

func runChildWith(d daemonSettings, role string, stderr io.Writer, factory engineFactory) int {
	kind := kindOf(role)
	if stop := startCPUProfile(role, stderr); stop != nil {
		defer stop()
	}
	heap := startLeanHeap()
	res := parser.Load(d.ConfigFile, d.parseOptions())
	log := d.newLogger(identFor(kind.Ident, res.Config.Root), stderr)
	pass := parser.PassVRRP
	if role == checkerChild.Role {
		pass = parser.PassChecker
	}
	if code := startupProblem(res, pass, log); code >= 0 {
		return exitConfig
	}
	d.applyUmask(res.Config, log)
	if d.DumpConf {
		logConfig(res.Config, log)
	}
	pidFile := childPidFile(d.pidPathsFor(res.Config), role)
	if err := writePidFile(pidFile, os.Getpid()); err != nil {
		log.Info(fmt.Sprintf("%s child process: cannot write pidfile", kind.Short))
		return exitFatal
	}
	defer removePidFile(pidFile, os.Getpid())

	eng, err := factory(role, res.Config, d, log)
	if role == checkerChild.Role {
		heap.settleLean()
	} else {
		heap.settle()
	}
	if err != nil {
		log.Error(fmt.Sprintf("%s: %v", kind.Ident, err))
		return exitFatal
	}
	reportReady()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON, sigStatsClear)
	defer signal.Stop(sigs)
	signal.Ignore(syscall.SIGPIPE)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				log.Error(err.Error())
				return exitFatal
			}
			log.Info("Stopped")
			return 0
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT:
				log.Info("Stopping")
				cancel()
			case syscall.SIGHUP:
				reloadChild(d, eng, log)
			case syscall.SIGUSR1:
				dumpOrLog(eng, dumpData, log)
			case syscall.SIGUSR2:
				dumpOrLog(eng, dumpStats, log)
			case sigStatsClear:
				dumpOrLog(eng, dumpStatsClear, log)
			case sigJSON:
				dumpOrLog(eng, dumpJSON, log)
			}
		}
	}
}

// reloadChild parses the new configuration first and keeps the running
// one when it is not valid: keepalived's child exits instead, taking the
// whole daemon down and leaving VIPs behind.
func reloadChild(d daemonSettings, eng engine, log *slog.Logger) {
	log.Info("Reloading")
	heap := startLeanHeap()
	defer heap.settle()
	res := parser.Load(d.ConfigFile, d.parseOptions())
	if code := res.ExitCode(false); code == 2 || code == 6 || res.Source == nil {
		for _, diag := range res.Diagnostics {
			log.Info(diag.String())
		}
		log.Error("New configuration is not valid; keeping the running one")
		return
	}
	if err := eng.Reload(res.Config); err != nil {
		log.Error(fmt.Sprintf("Reload failed: %v", err))
		return
	}
	log.Info("Reload finished")
}

func dumpOrLog(eng engine, kind dumpKind, log *slog.Logger) {
	if err := eng.Dump(kind); err != nil {
		log.Error(err.Error())
	}
}
