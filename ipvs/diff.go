package ipvs

import (
	"cmp"
	"fmt"
	"slices"
)

// OpKind is the kind of one kernel command.
type OpKind uint8

// Operations, in the order a plan applies them.
const (
	OpFlush OpKind = iota + 1
	OpStopDaemon
	OpStartDaemon
	OpAddService
	OpEditService
	OpAddDest
	OpEditDest
	OpDelDest
	OpDelService
)

var opNames = [...]string{
	OpFlush:       "flush",
	OpStopDaemon:  "stop-daemon",
	OpStartDaemon: "start-daemon",
	OpAddService:  "add-service",
	OpEditService: "edit-service",
	OpAddDest:     "add-dest",
	OpEditDest:    "edit-dest",
	OpDelDest:     "del-dest",
	OpDelService:  "del-service",
}

func (k OpKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return fmt.Sprintf("op%d", uint8(k))
}

// Op is one kernel command. Service is set for service and destination
// commands (for destination commands only its key and attributes matter),
// Dest for destination commands, Daemon for daemon commands.
type Op struct {
	Kind    OpKind
	Service *Service
	Dest    *Destination
	Daemon  *SyncDaemon
}

func (o Op) String() string {
	switch o.Kind {
	case OpFlush:
		return "flush"
	case OpStartDaemon, OpStopDaemon:
		return fmt.Sprintf("%s %s", o.Kind, o.Daemon)
	case OpAddService, OpEditService:
		return fmt.Sprintf("%s %s %s", o.Kind, o.Service.ServiceKey, o.Service.attrsString())
	case OpDelService:
		return fmt.Sprintf("%s %s", o.Kind, o.Service.ServiceKey)
	case OpAddDest, OpEditDest:
		return fmt.Sprintf("%s %s -> %s %s", o.Kind, o.Service.ServiceKey, o.Dest.Key(), o.Dest.attrsString())
	case OpDelDest:
		return fmt.Sprintf("%s %s -> %s", o.Kind, o.Service.ServiceKey, o.Dest.Key())
	}
	return o.Kind.String()
}

// Owned is the set of kernel entries gokeepalived created or took over:
// the entries the diff may edit or delete when they are no longer desired.
// Services and destinations of the kernel that are not owned are left
// alone. The zero value owns nothing; a nil *Owned too.
type Owned struct {
	services map[ServiceKey]map[DestKey]struct{}
	daemons  map[SyncState]struct{}
}

// NewOwned returns an empty ownership set.
func NewOwned() *Owned {
	return &Owned{services: map[ServiceKey]map[DestKey]struct{}{}, daemons: map[SyncState]struct{}{}}
}

// Service tells whether the service is owned.
func (o *Owned) Service(k ServiceKey) bool {
	if o == nil {
		return false
	}
	_, ok := o.services[k]
	return ok
}

// Dest tells whether the destination of the service is owned.
func (o *Owned) Dest(k ServiceKey, d DestKey) bool {
	if o == nil {
		return false
	}
	_, ok := o.services[k][d]
	return ok
}

// Daemon tells whether the daemon role is owned.
func (o *Owned) Daemon(s SyncState) bool {
	if o == nil {
		return false
	}
	_, ok := o.daemons[s]
	return ok
}

// Claim makes every entry of the table owned.
func (o *Owned) Claim(t *Table) { o.claim(t, nil) }

// claim is Claim, skipping the services whose index is set in skip.
func (o *Owned) claim(t *Table, skip []bool) {
	for i, s := range t.Services {
		if skip != nil && skip[i] {
			continue
		}
		ds := o.services[s.ServiceKey]
		if ds == nil {
			ds = make(map[DestKey]struct{}, len(s.Dests))
			o.services[s.ServiceKey] = ds
		}
		for i := range s.Dests {
			ds[s.Dests[i].Key()] = struct{}{}
		}
	}
	for _, d := range t.Daemons {
		o.daemons[d.State] = struct{}{}
	}
}

// note records the effect of a successful operation on ownership.
func (o *Owned) note(op Op) {
	switch op.Kind {
	case OpFlush:
		// A flush removes services; daemons keep running.
		clear(o.services)
	case OpStartDaemon:
		o.daemons[op.Daemon.State] = struct{}{}
	case OpStopDaemon:
		delete(o.daemons, op.Daemon.State)
	case OpAddService, OpEditService:
		if o.services[op.Service.ServiceKey] == nil {
			o.services[op.Service.ServiceKey] = map[DestKey]struct{}{}
		}
	case OpDelService:
		delete(o.services, op.Service.ServiceKey)
	case OpAddDest, OpEditDest:
		ds := o.services[op.Service.ServiceKey]
		if ds == nil {
			ds = map[DestKey]struct{}{}
			o.services[op.Service.ServiceKey] = ds
		}
		ds[op.Dest.Key()] = struct{}{}
	case OpDelDest:
		delete(o.services[op.Service.ServiceKey], op.Dest.Key())
	}
}

// Diff computes the ordered operations that turn current into desired:
//
//  1. stop daemons that differ from the desired ones (owned or not: the
//     kernel has one master and one backup slot) or are owned and no longer
//     desired, then start the missing ones;
//  2. add desired services that are missing and edit those whose
//     scheduler, flags, persistence, netmask or engine differ;
//  3. add missing destinations and edit differing ones, service by service,
//     so that a pool never goes empty while it is being changed;
//  4. delete owned destinations that are not desired in services that stay;
//  5. delete owned services that are not desired (the kernel drops their
//     destinations with them).
//
// Entries that are neither desired nor owned are left alone. Both tables
// must be normalized (see Table.Normalize). The result is the smallest set
// of commands for the change: no command is emitted for an entry that
// already matches.
func Diff(current, desired *Table, owned *Owned) []Op {
	ops, _ := diffState(newState(current), desired, indexServices(desired), owned, nil)
	return ops
}

func indexServices(t *Table) map[ServiceKey]*Service {
	m := make(map[ServiceKey]*Service, len(t.Services))
	for _, s := range t.Services {
		m[s.ServiceKey] = s
	}
	return m
}

// diffState is Diff against the indexed form of the current table; want
// indexes desired. prev, when not nil, is the desired table of a previous
// run that the kernel is known to hold in full: services equal to their
// previous version are skipped without looking at the kernel's state, and
// flagged in unchanged (by position in desired).
func diffState(cur *state, desired *Table, want map[ServiceKey]*Service, owned *Owned, prev map[ServiceKey]*Service) (ops []Op, unchanged []bool) {
	var dels []Op
	unchanged = make([]bool, len(desired.Services))
	if prev != nil {
		for i, s := range desired.Services {
			if p := prev[s.ServiceKey]; p != nil && p.sameAttrs(s) && slices.Equal(p.Dests, s.Dests) {
				unchanged[i] = true
			}
		}
	}

	current := make([]SyncDaemon, 0, len(cur.daemons))
	for _, d := range cur.daemons {
		current = append(current, d)
	}
	slices.SortFunc(current, func(a, b SyncDaemon) int { return cmp.Compare(a.State, b.State) })
	ops = diffDaemons(ops, current, desired.Daemons, owned)

	for i, s := range desired.Services {
		if unchanged[i] {
			continue
		}
		c := cur.services[s.ServiceKey]
		switch {
		case c == nil:
			ops = append(ops, Op{Kind: OpAddService, Service: s})
		case !c.svc.sameAttrs(s):
			ops = append(ops, Op{Kind: OpEditService, Service: s})
		}
	}
	for i, s := range desired.Services {
		if unchanged[i] {
			continue
		}
		c := cur.services[s.ServiceKey]
		matched := 0
		for i := range s.Dests {
			d := &s.Dests[i]
			var h Destination
			found := false
			if c != nil {
				h, found = c.dests[d.Key()]
			}
			if found {
				matched++
			}
			switch {
			case !found:
				ops = append(ops, Op{Kind: OpAddDest, Service: s, Dest: d})
			case !h.sameAttrs(d):
				ops = append(ops, Op{Kind: OpEditDest, Service: s, Dest: d})
			}
		}
		if c == nil || matched == len(c.dests) {
			// Every destination in the kernel is a desired one.
			continue
		}
		var wanted map[DestKey]bool
		var gone []Destination
		for k, d := range c.dests {
			if !owned.Dest(s.ServiceKey, k) {
				continue
			}
			if wanted == nil {
				wanted = make(map[DestKey]bool, len(s.Dests))
				for i := range s.Dests {
					wanted[s.Dests[i].Key()] = true
				}
			}
			if !wanted[k] {
				gone = append(gone, d)
			}
		}
		slices.SortFunc(gone, func(a, b Destination) int { return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port)) })
		for i := range gone {
			dels = append(dels, Op{Kind: OpDelDest, Service: s, Dest: &gone[i]})
		}
	}
	ops = append(ops, dels...)
	var delSvcs []*Service
	for k, c := range cur.services {
		if want[k] == nil && owned.Service(k) {
			svc := c.svc
			delSvcs = append(delSvcs, &svc)
		}
	}
	slices.SortFunc(delSvcs, func(a, b *Service) int { return compareKeys(a.ServiceKey, b.ServiceKey) })
	for _, s := range delSvcs {
		ops = append(ops, Op{Kind: OpDelService, Service: s})
	}
	return ops, unchanged
}

func diffDaemons(ops []Op, current, desired []SyncDaemon, owned *Owned) []Op {
	running := map[SyncState]SyncDaemon{}
	for _, d := range current {
		running[d.State] = d
	}
	var starts []Op
	wanted := map[SyncState]bool{}
	for i := range desired {
		d := &desired[i]
		wanted[d.State] = true
		r, ok := running[d.State]
		if ok && d.satisfies(r) {
			continue
		}
		if ok {
			stop := r
			ops = append(ops, Op{Kind: OpStopDaemon, Daemon: &stop})
		}
		starts = append(starts, Op{Kind: OpStartDaemon, Daemon: d})
	}
	for _, r := range current {
		if !wanted[r.State] && owned.Daemon(r.State) {
			stop := r
			ops = append(ops, Op{Kind: OpStopDaemon, Daemon: &stop})
		}
	}
	return append(ops, starts...)
}
