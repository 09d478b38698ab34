package check

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Sentinel errors callers branch on.
var (
	// ErrLocal marks a failure on this side (socket, bind, sockopt,
	// resolving a script): keepalived logs it and tries again after
	// delay_loop without counting it as a failed attempt.
	ErrLocal = errors.New("check: local error")
	// ErrUnsupported is returned by NewProbe for checker types that
	// gokeepalived does not run (BFD_CHECK).
	ErrUnsupported = errors.New("check: unsupported checker")
)

// ProbeError says why an attempt failed, in keepalived's words.
type ProbeError struct {
	// Reason is keepalived's message for the failure, e.g.
	// "HTTP status code error to" or "Read timeout from server [10.0.0.1]:25".
	Reason string
	// Line is the whole log line keepalived writes for this failed attempt
	// when it logs one (the scheduler decides when, from log_all_failures,
	// the retry count and the checker's state).
	Line string
	// Err is the underlying cause, if any.
	Err error
}

func (e *ProbeError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *ProbeError) Unwrap() error { return e.Err }

// ProbeEnv is what probes need from their surroundings. The zero value
// works: real sockets, scripts run with os/exec, no log. Probes wait on
// socket deadlines and timers of the real clock: each attempt is one short
// exchange bounded by connect_timeout, so the scheduler's virtual time does
// not reach inside it.
type ProbeEnv struct {
	// Logger receives the lines keepalived logs from inside a checker
	// regardless of the scheduler (content-length mismatch, unexpected
	// ICMP packets). Nil discards them.
	Logger *slog.Logger
	// Scripts runs MISC_CHECK scripts; nil means ExecScriptRunner.
	Scripts ScriptRunner
	// TrackFiles are the configuration's track_file blocks, which
	// FILE_CHECK refers to by name.
	TrackFiles []*parser.TrackFile
	// SSL is the global SSL block (client certificate for SSL_GET); nil
	// means an anonymous client.
	SSL *parser.SSLContext
	// DNSID returns the query id of a DNS_CHECK attempt; nil means random.
	DNSID func() uint16
}

func (env *ProbeEnv) logger() *slog.Logger {
	if env.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Logger
}

// NewProbe builds the probe for one checker block of rs (a real server of
// vs). The checker's defaults must already be resolved, as parser.Load
// leaves them.
//
// The probe is bound to rs: its log lines name rs and vs, and the weights
// it reports (MISC_CHECK misc_dynamic, FILE_CHECK) are rs's configured
// weight plus the checker's contribution. A caller that lets one probe
// serve several real servers must take the contribution as Outcome.Weight
// minus rs.Weight, not minus each server's own weight.
//
// Errors: ErrUnsupported (BFD_CHECK), ErrDisabled (a MISC_CHECK script
// keepalived would not run), or a configuration it cannot use (an SSL key
// that does not load, a regex RE2 cannot compile).
func NewProbe(c *parser.Checker, vs *parser.VirtualServer, rs *parser.RealServer, env ProbeEnv) (Probe, error) {
	id := probeIdentity{rs: probeRSName(rs, vs), vs: vs.String()}
	switch c.Type {
	case "HTTP_GET", "SSL_GET":
		return newHTTPProbe(c, vs, rs, id, &env)
	case "TCP_CHECK":
		return newTCPProbe(c, id, &env)
	case "SMTP_CHECK":
		return newSMTPProbe(c, rs, id, &env)
	case "DNS_CHECK":
		return newDNSProbe(c, id, &env)
	case "UDP_CHECK":
		return newUDPProbe(c, id, &env)
	case "PING_CHECK":
		return newPingProbe(c, id, &env)
	case "MISC_CHECK":
		return newMiscProbe(c, vs, rs, id, &env)
	case "FILE_CHECK":
		return newFileProbe(c, rs, &env)
	case "BFD_CHECK":
		return nil, fmt.Errorf("%w: BFD_CHECK is not supported by gokeepalived", ErrUnsupported)
	}
	return nil, fmt.Errorf("%w: unknown checker type %q", ErrUnsupported, c.Type)
}

// probeIdentity holds the strings keepalived's log lines name a checker by.
type probeIdentity struct {
	rs string // FMT_CHK: [addr]:proto:port of the real server
	vs string // FMT_VS
}

// probeRSName is keepalived's FMT_RS: the real server's address and port
// with the virtual server's protocol.
func probeRSName(rs *parser.RealServer, vs *parser.VirtualServer) string {
	a := "0.0.0.0"
	if rs.Addr.IsValid() {
		a = rs.Addr.String()
	}
	return fmt.Sprintf("[%s]:%s:%d", a, vs.Protocol, rs.Port)
}

// probeAddrPair is keepalived's inet_sockaddrtopair: [addr]:port.
func probeAddrPair(ap netip.AddrPort) string {
	return fmt.Sprintf("[%s]:%d", ap.Addr(), ap.Port())
}

// probeDuration turns a configuration duration into a time.Duration.
func probeDuration(m parser.Micros) time.Duration { return time.Duration(m) * time.Microsecond }
