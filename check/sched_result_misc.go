package check

import (
	"errors"
	"time"
)

// finishMisc follows keepalived's misc_check_child_thread and returns the
// delay counted from the script's start.
func (s *Scheduler) finishMisc(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	var exitType, reason string
	success, messageOnly := false, false
	var me *MiscError
	errors.As(o.Err, &me)
	if o.OK {
		// keepalived re-sends the weight only when the exit status
		// changed; applying an unchanged weight is a no-op here.
		s.applyDynamicWeight(t, o)
		if !st.isUp || !st.hasRun {
			exitType, success = "succeeded", true
		}
		st.retryIt = 0
	} else if st.isUp || !st.hasRun {
		if (me != nil && me.Result.TimedOut) || (me == nil && attemptTimedOut(o.Err)) {
			exitType = "timed out"
		} else {
			exitType, reason = "failed", reasonOf(o.Err)
		}
		if st.retryIt < t.retry() {
			st.retryIt++
			if logAll {
				messageOnly = true
			} else {
				exitType = ""
			}
		} else {
			st.retryIt = 0
			for _, m := range t.members {
				if m.curWeight != 0 {
					m.rs.effWeight -= m.curWeight
					m.curWeight = 0
					s.changed = true
				}
			}
		}
	}

	if exitType != "" {
		suffix := ""
		if !success {
			r := t.retry()
			plural := "retries"
			if r == 1 {
				plural = "retry"
			}
			switch {
			case r == 0:
				suffix = " with retry disabled"
			case st.retryIt == 1:
				suffix = sprintf(", will do %d %s", r, plural)
			case st.retryIt > 1:
				suffix = sprintf(" on retry %d/%d", st.retryIt-1, r)
			default:
				suffix = sprintf(" after %d %s", r, plural)
			}
		}
		prog := ""
		if t.cfg.Misc != nil && t.cfg.Misc.Script != nil && len(t.cfg.Misc.Script.Argv) > 0 {
			prog = t.cfg.Misc.Script.Argv[0]
		}
		for _, m := range t.members {
			if me != nil {
				s.logf("%s", t.forMember(me.LogLine(suffix), m))
				continue
			}
			if reason != "" {
				s.logf("Misc check for [%s VS %s] by [%s] %s%s (%s).", m.rs.name, m.rs.vs.name, prog, exitType, suffix, reason)
			} else {
				s.logf("Misc check for [%s VS %s] by [%s] %s%s.", m.rs.name, m.rs.vs.name, prog, exitType, suffix)
			}
		}
		if !messageOnly {
			s.transition(t, success, nil, "=> MISC CHECK "+exitType+" on service <=", true)
			if !success {
				for _, m := range t.members {
					m.curWeight = 0
				}
			}
		}
	}
	if st.retryIt > 0 {
		return t.delayBeforeRetry()
	}
	return t.delayLoop()
}
