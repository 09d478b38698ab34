package parser

import "math"

// The timing keywords are shared by virtual_server and real_server; only
// their messages differ, so each takes the words keepalived uses.

func timingRetry(s *stmt, t *Timing) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	v, ok := s.parseUint(1, text, 1, math.MaxUint32, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "retry value invalid - %s", text)
		return
	}
	t.Retry, t.RetrySet = uint32(v), true
}

// timerArg reads a TIMER in [min, max] µs and reports `what '%s' invalid -
// ignoring` on top of the number message, as keepalived's handlers do.
func timerArg(s *stmt, min, max Micros, what string, quoted bool) (Micros, bool) {
	v, ok := s.timerValue(1, min, max)
	if ok {
		return v, true
	}
	if text, present := s.Arg(1); present {
		if quoted {
			s.ErrorAt(1, ClassGeneral, "%s '%s' invalid - ignoring", what, text)
		} else {
			s.ErrorAt(1, ClassGeneral, "%s %s invalid - ignoring", what, text)
		}
	}
	return 0, false
}

func timingDelayBeforeRetry(s *stmt, t *Timing, what string) {
	if v, ok := timerArg(s, 0, maxTimer, what, true); ok {
		t.DelayBeforeRetry, t.DelayBeforeRetrySet = v, true
	}
}

func timingWarmup(s *stmt, t *Timing, who string) {
	if v, ok := timerArg(s, 0, maxTimer, who+" warmup", true); ok {
		t.Warmup, t.WarmupSet = v, true
	}
}

func timingConnectTimeout(s *stmt, t *Timing, who string) {
	if v, ok := timerArg(s, 1, math.MaxUint32, who+" connect_timeout", false); ok {
		t.ConnectTimeout, t.connectTimeoutSet = v, true
	}
}

func timingDelayLoop(s *stmt, t *Timing, what string) {
	if v, ok := timerArg(s, 1, maxTimer, what, true); ok {
		t.DelayLoop, t.delayLoopSet = v, true
	}
}
