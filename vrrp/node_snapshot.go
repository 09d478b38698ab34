package vrrp

import (
	"errors"
	"time"
)

// NodeSnapshot is the running state of a Node for dumps and metrics,
// taken inside its event loop so that every part is of the same moment.
type NodeSnapshot struct {
	// Instances are in configuration order.
	Instances []InstanceSnapshot
	// Scripts are the tracked vrrp_scripts.
	Scripts []ScriptStatus
	// SyncGroups are in configuration order.
	SyncGroups []SyncGroupStatus
}

// InstanceSnapshot is one instance: the state machine's status, the
// counters and when its state last changed.
type InstanceSnapshot struct {
	Status InstanceStatus
	// Stats are keepalived's vrrp_stats: Rx from the instance's
	// Validator, the rest from the state machine.
	Stats          InstanceStats
	LastTransition time.Time
}

// ErrNodeNotRunning is what Reload reports before Run has started its
// event loop or after it ended.
var ErrNodeNotRunning = errors.New("vrrp: node is not running")

// call runs f inside the event loop and waits for it; it fails when Run
// has not been called, failed to start or has ended.
func (n *Node) call(f func()) error {
	if !n.running.Load() {
		return ErrNodeNotRunning
	}
	// Run has begun: wait for its loop (or its failure).
	select {
	case <-n.ready:
	case <-n.loopDone:
		return ErrNodeNotRunning
	}
	done := make(chan struct{})
	select {
	case n.calls <- func() { f(); close(done) }:
	case <-n.loopDone:
		return ErrNodeNotRunning
	}
	<-done
	return nil
}

// Snapshot reports every instance, script and sync group. With clearStats
// the counters are copied and then zeroed in the same step, as keepalived's
// --signum=STATS_CLEAR does. Outside Run it returns an empty snapshot.
// Safe to call from any goroutine.
func (n *Node) Snapshot(clearStats bool) NodeSnapshot {
	var snap NodeSnapshot
	_ = n.call(func() { snap = n.snapshot(clearStats) })
	return snap
}

func (n *Node) snapshot(clearStats bool) NodeSnapshot {
	var snap NodeSnapshot
	n.mu.Lock()
	last := make(map[string]time.Time, len(n.lastTrans))
	for k, v := range n.lastTrans {
		last[k] = v
	}
	n.mu.Unlock()
	for _, vi := range n.cfg.Config.Instances {
		st, ok := n.m.Status(vi.Name)
		if !ok {
			continue
		}
		is := InstanceSnapshot{Status: st, LastTransition: last[vi.Name]}
		is.Stats.Name = vi.Name
		if c, ok := n.m.Counters(vi.Name); ok {
			is.Stats.AdvertSent = uint32(c.AdvertSent)
			is.Stats.BecomeMaster = uint32(c.BecomeMaster)
			is.Stats.ReleaseMaster = uint32(c.ReleaseMaster)
			is.Stats.PriZeroSent = c.PriZeroSent
		}
		if ni := n.insts[vi.Name]; ni != nil {
			is.Stats.Rx = ni.val.Stats()
			if clearStats {
				ni.val.ClearStats()
			}
		}
		snap.Instances = append(snap.Instances, is)
	}
	if clearStats {
		n.m.ClearCounters()
	}
	snap.Scripts = n.m.Scripts()
	snap.SyncGroups = n.m.SyncGroups()
	return snap
}
