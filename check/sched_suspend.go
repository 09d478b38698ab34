package check

import (
	"context"
	"net/netip"
	"time"
)

// ha_suspend: a virtual server's checkers only run while one of its
// addresses is configured on this host. keepalived counts the addresses
// through netlink; the daemon here reports them through
// Options.AddressCount (at start and after a reload, for new virtual
// servers) and Scheduler.AddressChanged (afterwards). A suspended checker
// keeps its schedule, one wake-up per delay_loop, without testing.

// addrEvent is one address added to or removed from the host.
type addrEvent struct {
	addr  netip.Addr
	added bool
}

// initSuspend sets the address counts of virtual servers with ha_suspend
// that have none yet, and disables their checkers while the count is 0.
func (s *Scheduler) initSuspend(fresh func(v *vsState) bool) {
	for _, v := range s.m.vss {
		if !v.cfg.HASuspend || !fresh(v) {
			continue
		}
		v.haCount = 1
		// keepalived 2.2.7 never matches a group's addresses, which leaves
		// a group's checkers suspended for good; here they run.
		if s.addressCount != nil && v.cfg.GroupName == "" {
			v.haCount = s.addressCount(v.cfg.Addr)
		}
	}
	for _, t := range s.m.tasks {
		v := t.members[0].rs.vs
		t.enabled = !v.cfg.HASuspend || v.haCount > 0
	}
}

// addressChanged is keepalived's update_checker_activity.
func (s *Scheduler) addressChanged(ev addrEvent) {
	for _, v := range s.m.vss {
		if !v.cfg.HASuspend || v.cfg.GroupName != "" || v.cfg.Addr != ev.addr {
			continue
		}
		if ev.added {
			v.haCount++
		} else if v.haCount > 0 {
			v.haCount--
		}
		for _, r := range v.rss {
			for _, m := range r.members {
				t := m.t
				if t == nil || ev.added == t.enabled || (!ev.added && v.haCount != 0) {
					continue
				}
				verb := "Suspending"
				if ev.added {
					verb = "Activating"
				}
				s.logf("%s healthchecker for service %s for VS %s", verb, r.name, v.name)
				t.enabled = ev.added
			}
		}
	}
}

// AddressChanged tells the scheduler that addr was added to or removed from
// an interface of this host, for virtual servers with ha_suspend. It queues
// the event for Run, which takes events in order; after Run has returned
// it fails with ErrNotRunning.
func (s *Scheduler) AddressChanged(ctx context.Context, addr netip.Addr, added bool) error {
	select {
	case <-s.stopped:
		return ErrNotRunning
	default:
	}
	select {
	case s.addrEvents <- addrEvent{addr: addr, added: added}:
		s.kicks.kick()
		return nil
	case <-s.stopped:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
}

// skipSuspended re-arms the suspended tasks among due ones a delay_loop
// later and returns the others.
func (s *Scheduler) skipSuspended(due []*task, now time.Time) []*task {
	out := due[:0]
	for _, t := range due {
		if t.enabled {
			out = append(out, t)
			continue
		}
		s.push(t, now.Add(t.delayLoop()))
	}
	return out
}
