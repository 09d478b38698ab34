package check

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/parser"
)

// vsState is one virtual server's live state: its real servers, quorum and
// sorry server.
type vsState struct {
	cfg  *parser.VirtualServer
	name string
	rss  []*rsState
	// quorum and hyst are the configured values, already capped by the
	// parser the way keepalived caps them.
	quorum, hyst int64
	// quorumUp is keepalived's quorum_state_up.
	quorumUp bool
	// haCount is how many times the address is configured on this host
	// (ha_suspend).
	haCount int
	// sorryActive says the sorry server is in the pool (keepalived marks it
	// alive).
	sorryActive bool
}

// rsState is one real server of one virtual server.
type rsState struct {
	vs   *vsState
	cfg  *parser.RealServer
	name string
	// alive is keepalived's ISALIVE: every checker passes.
	alive bool
	// numFailed counts the checkers that are down.
	numFailed int
	// iweight is the configured weight; effWeight adds every dynamic
	// checker contribution (misc_dynamic), unclamped as in keepalived.
	iweight, effWeight int64
	members            []*member
}

// member ties one checker block of one real server to the task that runs
// it. Several members share a task when their checks are identical.
type member struct {
	rs  *rsState
	cfg *parser.Checker
	t   *task
	// migKey identifies the block's type-specific settings for a reload.
	migKey checkKey
	// curWeight is this checker's contribution to the real server's weight
	// (MISC_CHECK misc_dynamic).
	curWeight int64
}

// realWeight clamps a weight to what IPVS accepts, as keepalived's
// real_weight does.
func realWeight(w int64) int64 {
	switch {
	case w < 0:
		return 0
	case w > math.MaxInt32:
		return math.MaxInt32
	}
	return w
}

// inKernel approximates keepalived's rs->set: alive servers are in the
// pool unless the sorry server replaced them; inhibited ones always are.
func (r *rsState) inKernel() bool {
	return (r.alive && !r.vs.sorryActive) || r.cfg.Inhibit
}

// vsName is keepalived's FMT_VS. A group VS is numbered by its position
// among the virtual servers that use the same group.
func vsName(vs *parser.VirtualServer, ordinal int) string {
	if vs.GroupName != "" {
		return fmt.Sprintf("[%s]:%d", vs.GroupName, ordinal)
	}
	return vs.String()
}

// rsName is keepalived's FMT_RS: the real server's address and port with
// the virtual server's protocol.
func rsName(vs *parser.VirtualServer, addr netip.Addr, port uint16) string {
	a := "0.0.0.0"
	if addr.IsValid() {
		a = addr.String()
	}
	return fmt.Sprintf("[%s]:%s:%d", a, vs.Protocol, port)
}

// setCheckerUp is keepalived's set_checker_state for one member: it keeps
// the real server's failed-checker count in step with the checker.
func (m *member) setCheckerUp(wasUp, up bool) {
	if wasUp == up {
		return
	}
	if !up {
		m.rs.numFailed++
	} else if m.rs.numFailed > 0 {
		m.rs.numFailed--
	}
}

// checkerResult is keepalived's update_svr_checker_state for one member:
// wasUp and hasRun are the checker's flags before this result.
func (s *Scheduler) checkerResult(m *member, wasUp, hasRun, up bool) {
	if wasUp == up {
		if !hasRun && (m.cfg.Alpha || !up) {
			s.rsNotify(m.rs, false)
		}
		return
	}
	if up {
		if m.rs.numFailed <= 1 {
			s.setAlive(m.rs, true)
		}
	} else if m.rs.numFailed == 0 {
		s.setAlive(m.rs, false)
	}
	m.setCheckerUp(wasUp, up)
}

// setAlive is keepalived's perform_svr_state: log, flip alive, notify,
// re-evaluate quorum.
func (s *Scheduler) setAlive(r *rsState, alive bool) {
	if r.alive == alive {
		return
	}
	var verb, prep string
	switch {
	case alive && r.cfg.Inhibit:
		verb, prep = "Enabling", "of"
	case alive:
		verb, prep = "Adding", "to"
	case r.cfg.Inhibit:
		verb, prep = "Disabling", "of"
	default:
		verb, prep = "Removing", "from"
	}
	s.logf("%s service %s %s VS %s", verb, r.name, prep, r.vs.name)
	r.alive = alive
	s.changed = true
	s.rsNotify(r, false)
	s.updateQuorum(r.vs, false)
}

// rsNotify is keepalived's do_rs_notifies.
func (s *Scheduler) rsNotify(r *rsState, stopping bool) {
	s.notifier.RealServer(RSEvent{VS: r.vs.cfg, RS: r.cfg, VSName: r.vs.name, RSName: r.name, Up: r.alive, Stopping: stopping})
}

// setWeight is keepalived's update_svr_wgt.
func (s *Scheduler) setWeight(r *rsState, w int64, updateQuorum bool) {
	oldW, newW := realWeight(r.effWeight), realWeight(w)
	r.effWeight = w
	if oldW == newW {
		return
	}
	state := "active"
	if !r.alive {
		state = "inactive"
	}
	s.logf("Changing weight from %d to %d for %s service %s of VS %s", oldW, newW, state, r.name, r.vs.name)
	s.changed = true
	if updateQuorum {
		s.updateQuorum(r.vs, false)
	}
}

// alert sends a checker's SMTP alert under keepalived's conditions: the
// checker itself changed state, the real server has smtp_alert, and the
// server's alive flag changed or no_checker_emails is off.
func (s *Scheduler) alert(m *member, rsWasAlive bool, body string) {
	if !m.rs.cfg.SMTPAlert {
		return
	}
	if rsWasAlive == m.rs.alive && s.noCheckerEmails {
		return
	}
	s.notifier.Alert(Alert{VSName: m.rs.vs.name, RSName: m.rs.name, Up: m.rs.alive, Body: body})
}
