package main

import (
	"io"
	"log/slog"
)

// vrrpDumper does the VRRP child's signal dumps. An engine's
// Dump(kind) calls Data, Stats(false), Stats(true) or JSON.
type vrrpDumper struct {
	Naming dumpNaming
	PID    int
	Log    *slog.Logger
	// Snapshot copies the engine's state. With clearStats it zeroes the
	// counters in the same critical section, after copying them, so that
	// nothing counted between the copy and the reset is lost
	// (STATS_CLEAR).
	Snapshot func(clearStats bool) vrrpSnapshot
}

func (d vrrpDumper) logf(k dumpFileKind, clear bool) {
	if d.Log != nil {
		d.Log.Info(dumpLogMessage(k, clear, d.PID))
	}
}

// Data writes keepalived.data (SIGUSR1).
func (d vrrpDumper) Data() error {
	d.logf(dumpKindVRRPData, false)
	snap := d.Snapshot(false)
	return writeDumpFile(dumpPath(dumpKindVRRPData, d.Naming), func(w io.Writer) error { return writeVRRPData(w, snap) })
}

// Stats writes keepalived.stats (SIGUSR2); clear also zeroes the
// counters (STATS_CLEAR).
func (d vrrpDumper) Stats(clear bool) error {
	d.logf(dumpKindVRRPStats, clear)
	snap := d.Snapshot(clear)
	return writeDumpFile(dumpPath(dumpKindVRRPStats, d.Naming), func(w io.Writer) error { return writeVRRPStats(w, snap) })
}

// JSON writes keepalived.json (SIGRTMIN+2); like keepalived, nothing
// when there is no VRRP instance.
func (d vrrpDumper) JSON() error {
	d.logf(dumpKindVRRPJSON, false)
	snap := d.Snapshot(false)
	if !vrrpJSONWanted(snap) {
		return nil
	}
	return writeDumpFile(dumpPath(dumpKindVRRPJSON, d.Naming), func(w io.Writer) error { return writeVRRPJSON(w, snap) })
}

// checkDumper does the checker child's SIGUSR1 dump. The stats and JSON
// signals are VRRP-only: the parent does not forward them here.
type checkDumper struct {
	Naming   dumpNaming
	PID      int
	Log      *slog.Logger
	Snapshot func() checkSnapshot
}

// Data writes keepalived_check.data.
func (d checkDumper) Data() error {
	if d.Log != nil {
		d.Log.Info(dumpLogMessage(dumpKindCheckData, false, d.PID))
	}
	snap := d.Snapshot()
	return writeDumpFile(dumpPath(dumpKindCheckData, d.Naming), func(w io.Writer) error { return writeCheckData(w, snap) })
}

// parentDump writes keepalived_parent.data for the parent's SIGUSR1,
// before it forwards the signal to the children.
func parentDump(n dumpNaming, g dumpGlobals, pid int, log *slog.Logger) error {
	if log != nil {
		log.Info(dumpLogMessage(dumpKindParentData, false, pid))
	}
	return writeDumpFile(dumpPath(dumpKindParentData, n), func(w io.Writer) error { return writeParentData(w, g) })
}
