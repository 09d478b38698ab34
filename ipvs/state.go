package ipvs

// state is the reconciler's picture of the kernel table between runs,
// indexed so that applying one operation costs O(1).
type state struct {
	services map[ServiceKey]*stateService
	daemons  map[SyncState]SyncDaemon
}

type stateService struct {
	svc   Service // Dests unused
	dests map[DestKey]Destination
}

func newState(t *Table) *state {
	s := &state{services: make(map[ServiceKey]*stateService, len(t.Services)), daemons: map[SyncState]SyncDaemon{}}
	for _, svc := range t.Services {
		ss := &stateService{svc: *svc, dests: make(map[DestKey]Destination, len(svc.Dests))}
		ss.svc.Dests = nil
		for _, d := range svc.Dests {
			ss.dests[d.Key()] = d
		}
		s.services[svc.ServiceKey] = ss
	}
	for _, d := range t.Daemons {
		s.daemons[d.State] = d
	}
	return s
}

// table renders the state as a normalized Table.
func (s *state) table() *Table {
	t := &Table{Services: make([]*Service, 0, len(s.services))}
	for _, ss := range s.services {
		svc := ss.svc
		svc.Dests = make([]Destination, 0, len(ss.dests))
		for _, d := range ss.dests {
			svc.Dests = append(svc.Dests, d)
		}
		t.Services = append(t.Services, &svc)
	}
	for _, d := range s.daemons {
		t.Daemons = append(t.Daemons, d)
	}
	return t.Normalize()
}

// apply records a command the kernel accepted.
func (s *state) apply(op Op) {
	switch op.Kind {
	case OpFlush:
		clear(s.services)
	case OpStartDaemon:
		s.daemons[op.Daemon.State] = *op.Daemon
	case OpStopDaemon:
		delete(s.daemons, op.Daemon.State)
	case OpAddService, OpEditService:
		ss := s.services[op.Service.ServiceKey]
		if ss == nil {
			ss = &stateService{dests: map[DestKey]Destination{}}
			s.services[op.Service.ServiceKey] = ss
		}
		ss.svc = *op.Service
		ss.svc.Dests = nil
	case OpDelService:
		delete(s.services, op.Service.ServiceKey)
	case OpAddDest, OpEditDest:
		if ss := s.services[op.Service.ServiceKey]; ss != nil {
			ss.dests[op.Dest.Key()] = *op.Dest
		}
	case OpDelDest:
		if ss := s.services[op.Service.ServiceKey]; ss != nil {
			delete(ss.dests, op.Dest.Key())
		}
	}
}
