package main

import (
	"os"
	"runtime/debug"
)

// leanGCPercent is the garbage collector's target while a process reads
// its configuration and builds what runs it. At Go's default of 100 the
// heap may grow to twice what is live before a collection, and reading
// the configuration is when a process's heap is largest (the preprocessed
// lines beside the typed configuration), so that peak set each process's
// peak RSS. At 10,000 real servers (make bench-check-host) the daemon's
// peak RSS, parent and checker, went from 81-86 to 74 MB with TCP_CHECK
// and from 111-121 to 94 MB with HTTP_GET, with no more CPU per check.
const leanGCPercent = 20

// leanHeap keeps the collector close behind the live heap until settle is
// called, unless the user set GOGC. Reading the configuration costs a
// little more CPU that way (it happens at start and reload only).
type leanHeap struct {
	old     int  // the target before
	userSet bool // GOGC was set: nothing is changed
}

func startLeanHeap() leanHeap {
	if os.Getenv("GOGC") != "" {
		return leanHeap{userSet: true}
	}
	return leanHeap{old: debug.SetGCPercent(leanGCPercent)}
}

// settle restores the collector's target and gives the memory freed
// since the start (the preprocessed configuration above all) back to the
// system.
func (h leanHeap) settle() {
	if h.userSet {
		return
	}
	debug.SetGCPercent(h.old)
	debug.FreeOSMemory()
}

// settleLean is settle for the checker child, which keeps the lean target:
// its first IPVS programming comes after start-up and was its peak, and
// its checks allocate nothing (TCP_CHECK) or little (about 300 bytes per
// HTTP_GET), so collections are rare and cheap at any target.
func (h leanHeap) settleLean() {
	if h.userSet {
		return
	}
	debug.FreeOSMemory()
}
