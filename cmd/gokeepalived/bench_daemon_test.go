package main

import (
	"log/slog"
	"os"

	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
	"github.com/gokeepalived/gokeepalived/parser"
)

// benchDaemonEnv=1 makes the test binary the gokeepalived daemon itself
// (the command line is the daemon's), its checker child driving an
// in-memory IPVS table instead of the kernel's. It is how the host part of
// the checker benchmark (scripts/bench-check.sh, BENCH_CHECK_HOST_DAEMONS)
// runs gokeepalived where the kernel has no IPVS, beside keepalived 2.2.7
// whose IPVS requests scripts/bench-fake-ipvs.c answers: neither table
// changes while every real server passes its checks, so what is measured
// is the checking. The product has no such mode.
const benchDaemonEnv = "GOKEEPALIVED_BENCH_DAEMON"

func benchDaemonMain() int {
	args := os.Args[1:]
	if role := os.Getenv(childRoleEnv); role == checkerChild.Role {
		cl := parseCommandLine(args, keepalivedOptions)
		d := daemonSettingsFrom(cl, args, os.Stderr)
		return runChildWith(d, role, os.Stderr, func(role string, cfg *parser.Config, d daemonSettings, log *slog.Logger) (engine, error) {
			return newCheckEngineOn(cfg, d, log, &ipvstest.Kernel{})
		})
	}
	return run(args, os.Stdout, os.Stderr)
}
