package check

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"time"
)

// attemptTimedOut tells a timed-out attempt from a refused or failed one.
func attemptTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// reasonOf is keepalived's message for a failed attempt: the probe's
// ProbeError.Reason, else the error text.
func reasonOf(err error) string {
	var pe *ProbeError
	switch {
	case errors.As(err, &pe):
		return pe.Reason
	case err == nil:
		return "failed"
	}
	return err.Error()
}

// attemptLine is the log line of a failed attempt for member m: the probe's
// ProbeError.Line, else fallback. A shared probe names the server it was
// made for, so the line is rewritten with m's names.
func (t *task) attemptLine(err error, m *member, fallback string) string {
	var pe *ProbeError
	if !errors.As(err, &pe) || pe.Line == "" {
		return fallback
	}
	return t.forMember(pe.Line, m)
}

// forMember rewrites a line the probe wrote about the server it was made
// for so that it names member m.
func (t *task) forMember(line string, m *member) string {
	if t.probeRS != "" && t.probeRS != m.rs.name {
		line = strings.Replace(line, t.probeRS, m.rs.name, 1)
	}
	if t.probeVS != "" && t.probeVS != m.rs.vs.name {
		line = strings.Replace(line, t.probeVS, m.rs.vs.name, 1)
	}
	return line
}

// transition applies a checker's UP or DOWN result to every member: the log
// line (one per member, as keepalived has one checker per real server), the
// real server state and the alert. alertAlways drops the condition that the
// checker itself changed state (MISC_CHECK mails on every final result).
func (s *Scheduler) transition(t *task, up bool, line func(m *member) string, body string, alertAlways bool) {
	wasUp, hasRun := t.st.isUp, t.st.hasRun
	for _, m := range t.members {
		if line != nil {
			s.logf("%s", line(m))
		}
		rsWasAlive := m.rs.alive
		s.checkerResult(m, wasUp, hasRun, up)
		if body != "" && (alertAlways || wasUp != up) {
			s.alert(m, rsWasAlive, body)
		}
	}
	t.st.isUp, t.st.hasRun = up, true
}

// finish applies the outcome of the attempt that started at started and
// ended at now, and returns when the task runs next.
func (s *Scheduler) finish(t *task, o Outcome, started, now time.Time) time.Time {
	if !o.OK && errors.Is(o.Err, ErrLocal) {
		// keepalived does not count failures on its own side; each
		// checker logs them and tries again after delay_loop.
		for _, m := range t.members {
			s.logf("%s", t.attemptLine(o.Err, m, reasonOf(o.Err)))
		}
		return now.Add(t.delayLoop())
	}
	logAll := s.logAllFailures || t.cfg.LogAllFailures
	switch t.kind {
	case kindTCP:
		return now.Add(s.finishTCP(t, o, logAll))
	case kindUDP:
		return now.Add(s.finishUDP(t, o, logAll))
	case kindDNS:
		return now.Add(s.finishDNS(t, o, logAll))
	case kindSMTP:
		return now.Add(s.finishSMTP(t, o, logAll))
	case kindHTTP:
		return now.Add(s.finishHTTP(t, o, logAll))
	case kindMisc:
		next := started.Add(s.finishMisc(t, o, logAll))
		if !next.After(now) {
			next = now
		}
		return next
	}
	return now.Add(s.finishPoll(t, o))
}

// finishTCP follows keepalived's tcp_epilog: retries while up and, in
// 2.2.7, also while down (rounds of retry+1 attempts).
func (s *Scheduler) finishTCP(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	if !o.OK && st.isUp && logAll {
		what := "failed"
		if attemptTimedOut(o.Err) {
			what = "timeout"
		}
		for _, m := range t.members {
			s.logf("%s", t.attemptLine(o.Err, m, sprintf("TCP connection to %s %s.", m.rs.name, what)))
		}
	}
	delay := t.delayLoop()
	if o.OK || st.retryIt >= t.retry() {
		st.retryIt = 0
		switch {
		case o.OK && (!st.isUp || !st.hasRun):
			s.transition(t, true, func(m *member) string { return sprintf("TCP connection to %s success.", m.rs.name) },
				"=> TCP CHECK succeed on service <=", false)
		case !o.OK && (st.isUp || !st.hasRun):
			after := st.hasRun && t.retry() > 0
			s.transition(t, false, func(m *member) string {
				if after {
					return sprintf("TCP_CHECK on service %s failed after %d retries.", m.rs.name, t.retry())
				}
				return sprintf("TCP_CHECK on service %s failed.", m.rs.name)
			}, "=> TCP CHECK failed on service <=", false)
		}
	} else {
		delay = t.delayBeforeRetry()
		st.retryIt++
	}
	st.hasRun = true
	return delay
}

// finishUDP follows keepalived's udp_epilog and icmp_epilog: retries only
// while up; while down one attempt per delay_loop.
func (s *Scheduler) finishUDP(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	ping := t.cfg.Type == "PING_CHECK"
	if !o.OK && st.isUp && logAll {
		for _, m := range t.members {
			var line string
			switch {
			case ping && attemptTimedOut(o.Err):
				line = sprintf("ICMP connection to address %s timeout.", m.rs.name)
			case ping:
				line = sprintf("ICMP connection to %s of %s failed.", m.rs.name, m.rs.vs.name)
			default:
				line = sprintf("UDP connection to %s failed.", m.rs.name)
			}
			s.logf("%s", t.attemptLine(o.Err, m, line))
		}
	}
	delay := t.delayLoop()
	if o.OK || ((st.isUp || !st.hasRun) && st.retryIt >= t.retry()) {
		st.retryIt = 0
		switch {
		case o.OK && (!st.isUp || !st.hasRun):
			s.transition(t, true, func(m *member) string {
				if ping {
					return sprintf("ICMP connection to %s success.", m.rs.name)
				}
				return sprintf("UDP connection to %s success.", m.rs.name)
			}, map[bool]string{true: "=> ICMP CHECK succeed on service <=", false: "=> UDP CHECK succeed on service <="}[ping], false)
		case !o.OK && (st.isUp || !st.hasRun):
			after := st.hasRun && t.retry() > 0
			s.transition(t, false, func(m *member) string {
				switch {
				case ping && after:
					return sprintf("ICMP CHECK on service %s of %s failed after %d retries.", m.rs.name, m.rs.vs.name, t.retry())
				case ping:
					return sprintf("ICMP CHECK on service %s failed.", m.rs.name)
				case after:
					return sprintf("UDP_CHECK on service %s failed after %d retries.", m.rs.name, t.retry())
				}
				return sprintf("UDP_CHECK on service %s failed.", m.rs.name)
			}, map[bool]string{true: "=> ICMP CHECK failed on service <=", false: "=> UDP CHECK failed on service <="}[ping], false)
		}
	} else if st.isUp {
		delay = t.delayBeforeRetry()
		st.retryIt++
	}
	st.hasRun = true
	return delay
}

// finishDNS follows keepalived's dns_final.
func (s *Scheduler) finishDNS(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	if !o.OK {
		if st.isUp || !st.hasRun {
			if logAll || st.retryIt >= t.retry() {
				msg := reasonOf(o.Err)
				if st.hasRun && st.retryIt >= t.retry() {
					msg += sprintf(" after %d retries", t.retry())
				}
				for _, m := range t.members {
					s.logf("DNS_CHECK (%s) %s", m.rs.name, msg)
				}
			}
			if st.retryIt < t.retry() {
				st.retryIt++
				st.hasRun = true
				return t.delayBeforeRetry()
			}
			s.transition(t, false, nil, "=> DNS_CHECK: failed on service <=", false)
		}
	} else if !st.isUp || !st.hasRun {
		s.transition(t, true, nil, "=> DNS_CHECK: succeed on service <=", false)
	}
	st.retryIt = 0
	return t.delayLoop()
}

// finishSMTP follows keepalived's smtp_final: the failure count restarts
// with every round, so every round makes retry+1 attempts, also at start
// and while down.
func (s *Scheduler) finishSMTP(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	if !o.OK {
		msg := reasonOf(o.Err)
		if (st.isUp || !st.hasRun) && (logAll || st.retryIt >= t.retry()) {
			for range t.members {
				s.logf("SMTP_CHECK %s", msg)
			}
		}
		st.retryIt++
		if st.retryIt <= t.retry() {
			return t.delayBeforeRetry()
		}
		if st.isUp || !st.hasRun {
			s.transition(t, false, nil, "=> CHECK failed on service : "+msg+" <=", false)
		}
		st.retryIt = 0
		return t.delayLoop()
	}
	st.retryIt = 0
	if !st.isUp || !st.hasRun {
		s.transition(t, true, func(m *member) string { return sprintf("Remote SMTP server %s succeed on service.", m.rs.name) },
			"=> CHECK succeed on service <=", false)
	}
	st.hasRun = true
	st.retryIt = 0
	return t.delayLoop()
}

// finishPoll handles FILE_CHECK and BFD_CHECK: no retries, the state
// follows each result. FILE_CHECK follows keepalived's
// process_update_checker_track_file_status: a new value while up changes
// the weight (logged), FAULT takes the checker down and then drops its
// contribution silently, and leaving FAULT sets the contribution silently
// before the checker comes up.
func (s *Scheduler) finishPoll(t *task, o Outcome) time.Duration {
	switch {
	case o.OK && t.st.isUp && t.st.hasRun:
		s.applyDynamicWeight(t, o)
	case o.OK:
		for _, m := range t.members {
			contrib := t.contribution(o)
			m.rs.effWeight += contrib - m.curWeight
			m.curWeight = contrib
		}
		s.transition(t, true, nil, "", false)
	case t.st.isUp || !t.st.hasRun:
		s.transition(t, false, nil, "", false)
		for _, m := range t.members {
			m.rs.effWeight -= m.curWeight
			m.curWeight = 0
		}
	}
	return pollInterval
}

// contribution is what outcome o adds to the weight of every server the
// task checks. A probe reports a weight of the server it was made for (its
// configured weight plus the checker's contribution), so the contribution
// is taken against that server's weight, not each member's: a FILE_CHECK
// shared by servers of different weights adds the same amount to each.
// (A misc_dynamic MISC_CHECK, which sets an absolute weight, is shared only
// by servers of the same configured weight: see checkerKeys.)
func (t *task) contribution(o Outcome) int64 {
	if !o.HasWeight {
		return 0
	}
	return int64(o.Weight) - t.probeWeight
}

// applyDynamicWeight turns a reported weight into each member's
// contribution, as keepalived does for misc_dynamic and tracked files, and
// updates the real servers whose weight moved.
func (s *Scheduler) applyDynamicWeight(t *task, o Outcome) {
	contrib := t.contribution(o)
	for _, m := range t.members {
		if contrib == m.curWeight {
			continue
		}
		w := m.rs.effWeight - m.curWeight + contrib
		m.curWeight = contrib
		s.setWeight(m.rs, w, true)
	}
}
