// Package ipvstest provides an in-memory IPVS kernel for tests of code that
// drives package ipvs. It answers like the Linux kernel does (EEXIST,
// ESRCH, ENOENT, EINVAL in the same cases), reports the kernel-owned
// HASHED flag, and counts requests the way the Linux driver does. It is a
// test tool, never a mode of the product.
package ipvstest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"syscall"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// Schedulers are the scheduler names the fake kernel has modules for.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// Kernel is an in-memory IPVS table. The zero value is empty and ready.
type Kernel struct {
	mu       sync.Mutex
	services []*ipvs.Service // in insertion order, as a hash table would not be
	daemons  []ipvs.SyncDaemon
	counts   ipvs.Counts

	// Fail, when set, is asked before each Apply; a non-nil error is
	// returned instead of performing the command.
	Fail func(ipvs.Op) error
}

var (
	_ ipvs.Kernel  = (*Kernel)(nil)
	_ ipvs.Counter = (*Kernel)(nil)
	_ ipvs.Batcher = (*Kernel)(nil)
)

// ApplyBatch performs the commands in order, as the kernel does with the
// messages of one batch.
func (k *Kernel) ApplyBatch(ctx context.Context, ops []ipvs.Op) []error {
	errs := make([]error, len(ops))
	for i, op := range ops {
		errs[i] = k.Apply(ctx, op)
	}
	return errs
}

// Counts returns the requests made so far: a Dump counts one request for
// the service list, one per service for its destinations and one for the
// daemons, as the netlink driver makes them; each Apply counts one write.
func (k *Kernel) Counts() ipvs.Counts {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.counts
}

// Dump returns a copy of the table, services in insertion order and
// destinations in insertion order (unsorted, as the kernel's hash lists).
func (k *Kernel) Dump(ctx context.Context) (*ipvs.Table, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.counts.Reads += 2 + len(k.services)
	t := &ipvs.Table{Daemons: slices.Clone(k.daemons)}
	for _, s := range k.services {
		c := *s
		c.Dests = slices.Clone(s.Dests)
		c.Label = ""
		t.Services = append(t.Services, &c)
	}
	return t, nil
}

// Apply performs one command with the kernel's checks.
func (k *Kernel) Apply(ctx context.Context, op ipvs.Op) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.counts.Writes++
	if k.Fail != nil {
		if err := k.Fail(op); err != nil {
			return err
		}
	}
	switch op.Kind {
	case ipvs.OpFlush:
		k.services = nil
		return nil
	case ipvs.OpStartDaemon:
		for _, d := range k.daemons {
			if d.State == op.Daemon.State {
				return syscall.EEXIST
			}
		}
		d := *op.Daemon
		if d.Port == 0 {
			d.Port = 8848
		}
		if d.MaxLen == 0 {
			d.MaxLen = 1472
		}
		if d.TTL == 0 {
			d.TTL = 1
		}
		if !d.Group.IsValid() {
			d.Group = netip.MustParseAddr("224.0.0.81")
		}
		k.daemons = append(k.daemons, d)
		return nil
	case ipvs.OpStopDaemon:
		for i, d := range k.daemons {
			if d.State == op.Daemon.State {
				k.daemons = slices.Delete(k.daemons, i, i+1)
				return nil
			}
		}
		return syscall.ESRCH
	}

	key := op.Service.ServiceKey
	key.Addr = key.Addr.Unmap()
	i := slices.IndexFunc(k.services, func(s *ipvs.Service) bool { return s.ServiceKey == key })
	switch op.Kind {
	case ipvs.OpAddService, ipvs.OpEditService:
		if op.Kind == ipvs.OpAddService && i >= 0 {
			return syscall.EEXIST
		}
		if op.Kind == ipvs.OpEditService && i < 0 {
			return syscall.ESRCH
		}
		if err := checkService(op.Service); err != nil {
			return err
		}
		s := *op.Service
		s.ServiceKey = key
		s.Flags = s.Flags&^ipvs.FlagHashed | ipvs.FlagHashed
		s.Label = ""
		if i < 0 {
			s.Dests = nil
			k.services = append(k.services, &s)
		} else {
			s.Dests = k.services[i].Dests
			k.services[i] = &s
		}
		return nil
	case ipvs.OpDelService:
		if i < 0 {
			return syscall.ESRCH
		}
		k.services = slices.Delete(k.services, i, i+1)
		return nil
	}

	if i < 0 {
		return syscall.ESRCH
	}
	svc := k.services[i]
	d := *op.Dest
	d.Addr = d.Addr.Unmap()
	j := slices.IndexFunc(svc.Dests, func(x ipvs.Destination) bool { return x.Key() == d.Key() })
	switch op.Kind {
	case ipvs.OpAddDest, ipvs.OpEditDest:
		// Like the kernel, values are checked before the lookup.
		if err := checkDest(svc, &d); err != nil {
			return err
		}
		if op.Kind == ipvs.OpAddDest && j >= 0 {
			return syscall.EEXIST
		}
		if op.Kind == ipvs.OpEditDest && j < 0 {
			return syscall.ENOENT
		}
		if d.Forward != ipvs.Tunnel {
			d.TunnelType, d.TunnelPort, d.TunnelFlags = 0, 0, 0
		}
		if j < 0 {
			svc.Dests = append(svc.Dests, d)
		} else {
			svc.Dests[j] = d
		}
		return nil
	case ipvs.OpDelDest:
		if j < 0 {
			return syscall.ENOENT
		}
		svc.Dests = slices.Delete(svc.Dests, j, j+1)
		return nil
	}
	return fmt.Errorf("ipvstest: unknown operation %d", op.Kind)
}

func checkService(s *ipvs.Service) error {
	if !slices.Contains(Schedulers, s.Scheduler) {
		return syscall.ENOENT
	}
	if s.Family == ipvs.IPv6 && (s.Netmask < 1 || s.Netmask > 128) {
		return syscall.EINVAL
	}
	if s.FWMark == 0 && (!s.Addr.IsValid() || ipvs.FamilyOf(s.Addr) != s.Family) {
		return syscall.EINVAL
	}
	if s.FWMark == 0 && s.Protocol != ipvs.TCP && s.Protocol != ipvs.UDP && s.Protocol != ipvs.SCTP {
		return syscall.EPROTONOSUPPORT
	}
	return nil
}

func checkDest(svc *ipvs.Service, d *ipvs.Destination) error {
	if d.Weight > ipvs.MaxWeight || d.LowerThreshold > d.UpperThreshold {
		return syscall.ERANGE
	}
	if d.Family() != svc.Family && d.Forward != ipvs.Tunnel {
		return syscall.EINVAL
	}
	if d.Forward == ipvs.Tunnel && d.TunnelType == ipvs.TunnelGUE && d.TunnelPort == 0 {
		return syscall.EINVAL
	}
	return nil
}
