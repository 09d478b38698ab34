package check

import (
	"context"
	"fmt"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// kind groups checker types by the retry and recovery rules they follow.
type kind uint8

const (
	kindTCP  kind = iota // TCP_CHECK: retries also while down
	kindUDP              // UDP_CHECK, PING_CHECK: no retries while down
	kindDNS              // DNS_CHECK
	kindMisc             // MISC_CHECK: period measured start to start
	kindSMTP             // SMTP_CHECK: every round makes retry+1 attempts
	kindHTTP             // HTTP_GET, SSL_GET: one url per attempt
	kindPoll             // FILE_CHECK, BFD_CHECK: state follows each result
)

func kindOf(typ string) kind {
	switch typ {
	case "TCP_CHECK":
		return kindTCP
	case "UDP_CHECK", "PING_CHECK":
		return kindUDP
	case "DNS_CHECK":
		return kindDNS
	case "MISC_CHECK":
		return kindMisc
	case "SMTP_CHECK":
		return kindSMTP
	case "HTTP_GET", "SSL_GET":
		return kindHTTP
	}
	return kindPoll
}

// ckState is the per-checker state keepalived keeps in checker_t (and
// http_checker_t for the url walk).
type ckState struct {
	isUp, hasRun bool
	// retryIt is keepalived's retry_it: failures counted so far.
	retryIt uint32
	// urlIt is the url the next attempt tests; -1 once the walk passed the
	// last one. failedURL is the url that took the checker down, or -1.
	urlIt, failedURL int
}

// task runs one check on its own schedule. Identical checkers of several
// real servers (the same backend behind several virtual servers) share one
// task; its results are applied to every member.
type task struct {
	key   checkKey
	kind  kind
	cfg   *parser.Checker // the first member's block: timing and type
	probe Probe
	// probeRS and probeVS name the server the probe was made for; its log
	// lines are rewritten for the other members. probeWeight is that
	// server's configured weight, which the weights the probe reports
	// (Outcome.Weight) are relative to.
	probeRS, probeVS string
	probeWeight      int64
	// members are in configuration order.
	members []*member
	st      ckState

	due     time.Time
	dueKey  int64  // due on the scheduler's time line (Scheduler.key)
	seq     uint64 // order among tasks due at the same time
	heapIdx int    // position in the timer heap, -1 when not queued
	// running is set while an attempt is in flight; started is when it
	// began.
	running bool
	// again asks for another attempt as soon as this one ends (a tracked
	// file changed while it was being read).
	again bool
	// enabled is false while ha_suspend suspends the task.
	enabled bool
	started time.Time
	cancel  context.CancelFunc
	// connected and exchanged hand the connector's verdict on an attempt
	// to the loop (made at the task's first attempt there).
	connected func(dialKind, error)
	exchanged func(Outcome)
}

func (t *task) retry() uint32 { return t.cfg.Retry }

func (t *task) delayLoop() time.Duration { return micros(t.cfg.DelayLoop) }

// startAt notes when the attempt starts.
func (t *task) startAt(now time.Time) {
	t.started = now
}

func (t *task) delayBeforeRetry() time.Duration { return micros(t.cfg.DelayBeforeRetry) }

func (t *task) warmup() time.Duration { return micros(t.cfg.Warmup) }

func (t *task) numURLs() int {
	if t.cfg.HTTP == nil {
		return 0
	}
	return len(t.cfg.HTTP.URLs)
}

func micros(m parser.Micros) time.Duration { return time.Duration(m) * time.Microsecond }

// pollInterval is how often FILE_CHECK and BFD_CHECK probes are asked,
// since they have no delay_loop of their own (keepalived reacts to inotify
// and BFD events instead).
const pollInterval = time.Second

type urlCfg = parser.URLCheck

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
