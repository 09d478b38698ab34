package check

// liveWeight is keepalived's weigh_live_realservers: the clamped weights of
// the alive real servers.
func (v *vsState) liveWeight() int64 {
	var sum int64
	for _, r := range v.rss {
		if r.alive {
			sum += realWeight(r.effWeight)
		}
	}
	return sum
}

// updateQuorum is keepalived's update_quorum_state. init is the pass made
// when the topology is built at start and after a reload: it may start the
// virtual server with its sorry server in.
func (s *Scheduler) updateQuorum(v *vsState, init bool) {
	w := v.liveWeight()
	threshold := v.quorum + v.hyst
	if v.quorumUp {
		threshold = v.quorum - v.hyst
	}
	switch {
	case !v.quorumUp && w >= threshold:
		v.quorumUp = true
		s.changed = true
		s.logf("Gained quorum %d+%d=%d <= %d for VS %s", v.quorum, v.hyst, threshold, w, v.name)
		if v.cfg.SorryServer != nil && v.sorryActive {
			verb := "Removing"
			if v.cfg.SorryServer.Inhibit {
				verb = "Disabling"
			}
			s.logf("%s sorry server %s from VS %s", verb, rsName(v.cfg, v.cfg.SorryServer.Addr, v.cfg.SorryServer.Port), v.name)
			v.sorryActive = false
			s.logf("Adding alive servers to the pool for VS %s", v.name)
		}
		s.quorumNotify(v, init, threshold, w, false)
	case (v.quorumUp && (w == 0 || w < threshold)) ||
		(init && !v.quorumUp && v.cfg.SorryServer != nil && !v.sorryActive):
		v.quorumUp = false
		s.changed = true
		what := "Lost quorum"
		if init {
			what = "Starting with quorum down"
		}
		s.logf("%s %d-%d=%d > %d for VS %s", what, v.quorum, v.hyst, threshold, w, v.name)
		if v.cfg.SorryServer != nil && !v.sorryActive {
			verb := "Adding"
			if v.cfg.SorryServer.Inhibit {
				verb = "Enabling"
			}
			s.logf("%s sorry server %s to VS %s", verb, rsName(v.cfg, v.cfg.SorryServer.Addr, v.cfg.SorryServer.Port), v.name)
			s.logf("Removing alive servers from the pool for VS %s", v.name)
			v.sorryActive = true
		}
		s.quorumNotify(v, init, threshold, w, false)
	}
}

// quorumNotify is keepalived's do_vs_notifies. The mail body always shows
// a plus sign, as keepalived's does.
func (s *Scheduler) quorumNotify(v *vsState, init bool, threshold, w int64, stopping bool) {
	if stopping && !v.cfg.Omega {
		return
	}
	s.notifier.Quorum(QuorumEvent{VS: v.cfg, VSName: v.name, Up: v.quorumUp, Stopping: stopping})
	if !v.cfg.SMTPAlert {
		return
	}
	body := "=> Shutting down <="
	if !stopping {
		var what string
		switch {
		case v.quorumUp && init:
			what = "Starting with quorum up"
		case v.quorumUp:
			what = "Gained quorum"
		case init:
			what = "Starting with quorum down"
		default:
			what = "Lost quorum"
		}
		body = sprintf("=> %s %d+%d=%d <= %d <=", what, v.quorum, v.hyst, threshold, w)
	}
	s.notifier.Alert(Alert{VSName: v.name, Up: v.quorumUp, Body: body})
}

// quorumLossCheck is keepalived's update_vs_notifies: after real servers
// are removed by a reload (or at shutdown) the quorum may be gone, which
// is notified but never brings a sorry server in.
func (s *Scheduler) quorumLossCheck(v *vsState, stopping bool) {
	threshold := v.quorum - v.hyst
	w := v.liveWeight()
	if stopping || (v.quorumUp && (w == 0 || w < threshold)) {
		v.quorumUp = false
		s.changed = true
		s.quorumNotify(v, false, threshold, w, stopping)
	}
}
