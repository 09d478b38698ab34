package check

import (
	"context"
	"log/slog"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Notifier is what the scheduler tells the outside world about state
// changes. The notify package implements it for real (scripts run as the
// script user, notify FIFOs, SMTP); LogNotifier only logs. Calls are made
// from the scheduler's loop and must not block: a real implementation hands
// the work to its own goroutines, as keepalived forks and does not wait.
type Notifier interface {
	// RealServer reports that a real server's alive flag changed (or, with
	// rs_init_notifies, that it was inserted at start). The implementation
	// runs rs.NotifyUp or rs.NotifyDown as configured and writes
	// "RS <RSName> <VSName> UP|DOWN\n" to the notify FIFOs.
	RealServer(ev RSEvent)
	// Quorum reports a virtual server quorum change: vs.QuorumUp or
	// vs.QuorumDown, and "VS <VSName> UP|DOWN\n" to the notify FIFOs.
	Quorum(ev QuorumEvent)
	// Alert asks for an SMTP alert when mail is configured.
	Alert(a Alert)
}

// RSEvent is a real server transition.
type RSEvent struct {
	VS *parser.VirtualServer
	RS *parser.RealServer
	// VSName and RSName are keepalived's identities, e.g. "[10.0.0.1]:tcp:80".
	VSName, RSName string
	Up             bool
	// Stopping is set for the notifications of a shutdown (omega): the
	// scripts are then killed after one second.
	Stopping bool
}

// QuorumEvent is a virtual server quorum transition.
type QuorumEvent struct {
	VS       *parser.VirtualServer
	VSName   string
	Up       bool
	Stopping bool
}

// Alert is one SMTP alert. keepalived's subject is
// "[ROUTER_ID] Realserver <RSName> of virtual server <VSName> - UP|DOWN" when
// RSName is set, else "[ROUTER_ID] Virtualserver <VSName> - UP|DOWN"; Body is
// the one body line, e.g. "=> TCP CHECK failed on service <=".
type Alert struct {
	VSName, RSName string
	Up             bool
	Body           string
}

// LogNotifier logs what a real notifier would do. It stands in until the
// notify package provides scripts, FIFOs and mail.
type LogNotifier struct {
	Log *slog.Logger
}

var _ Notifier = LogNotifier{}

func (n LogNotifier) logger() *slog.Logger {
	if n.Log == nil {
		return slog.Default()
	}
	return n.Log
}

// RealServer logs the notify script that would run.
func (n LogNotifier) RealServer(ev RSEvent) {
	script := ev.RS.NotifyDown
	if ev.Up {
		script = ev.RS.NotifyUp
	}
	n.logger().LogAttrs(context.Background(), slog.LevelDebug, "real server notification",
		slog.String("rs", ev.RSName), slog.String("vs", ev.VSName), slog.String("state", upDown(ev.Up)),
		slog.String("script", scriptLine(script)))
}

// Quorum logs the quorum script that would run.
func (n LogNotifier) Quorum(ev QuorumEvent) {
	script := ev.VS.QuorumDown
	if ev.Up {
		script = ev.VS.QuorumUp
	}
	n.logger().LogAttrs(context.Background(), slog.LevelDebug, "quorum notification",
		slog.String("vs", ev.VSName), slog.String("state", upDown(ev.Up)), slog.String("script", scriptLine(script)))
}

// Alert logs the alert's body.
func (n LogNotifier) Alert(a Alert) {
	n.logger().LogAttrs(context.Background(), slog.LevelDebug, "smtp alert",
		slog.String("rs", a.RSName), slog.String("vs", a.VSName), slog.String("state", upDown(a.Up)), slog.String("body", a.Body))
}

func scriptLine(s *parser.Script) string {
	if s == nil {
		return ""
	}
	return s.Line
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}
