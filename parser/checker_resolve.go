package parser

import "net/netip"

// connEnd is the end handler of the checkers whose only block-end check is
// keepalived's check_conn_opts on a connect_ip written in the block.
func connEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if linkLocalNeedsBindIf(s.d, c.Pos, c.Conn.ConnectIP, c.Conn.BindIf) {
		return nil
	}
	return []*Checker{c}
}

// linkLocalNeedsBindIf reports keepalived's check_conn_opts error: an IPv6
// link-local destination means nothing without an interface.
func linkLocalNeedsBindIf(d *decoder, at Pos, dst netip.Addr, bindIf string) bool {
	if dst.Is6() && !dst.Is4In6() && dst.IsLinkLocalUnicast() && bindIf == "" {
		d.errorf(at, ClassGeneral, "Checker link local address %s requires a bind_if", dst)
		return true
	}
	return false
}

// checkerInherit is what a checker inherits: the real server's settings,
// already completed from its virtual server the way keepalived completes
// them (retry, warmup and delay_before_retry may still be unset: keepalived
// leaves them unset on both levels unless written).
type checkerInherit struct {
	// Addr and Port are the real server's address and port as written.
	Addr netip.Addr
	Port uint16
	// Alpha is the real server's alpha (else the virtual server's).
	Alpha bool
	// ConnectTimeout is the real server's connect_timeout (else the
	// virtual server's, 5 s by default).
	ConnectTimeout Micros
	// DelayLoop is the real server's delay_loop (else the virtual server's,
	// 60 s by default).
	DelayLoop Micros
	// Retry, Warmup and DelayBeforeRetry are the real server's (else the
	// virtual server's) when set.
	Retry               uint32
	RetrySet            bool
	Warmup              Micros
	WarmupSet           bool
	DelayBeforeRetry    Micros
	DelayBeforeRetrySet bool
}

// Type defaults keepalived applies when nobody sets retry or
// delay_before_retry (check_api.c queue_checker and the type handlers).
const (
	defaultCheckerRetry            = 1
	defaultCheckerDelayBeforeRetry = 1000000
)

// checkerDefaultRetry is the retry a checker of this type gets when neither
// it nor its real server (nor virtual server) sets one.
func checkerDefaultRetry(typ string) uint32 {
	switch typ {
	case "DNS_CHECK":
		return 3
	case "MISC_CHECK":
		return 0
	}
	return defaultCheckerRetry
}

// checkerDefaultDelayBeforeRetry is the type's delay_before_retry; 0 means
// the checker's own delay_loop (DNS_CHECK).
func checkerDefaultDelayBeforeRetry(typ string) Micros {
	switch typ {
	case "HTTP_GET", "SSL_GET":
		return 3000000
	case "DNS_CHECK":
		return 0
	}
	return defaultCheckerDelayBeforeRetry
}

// resolveCheckerDefaults completes c in place from what it inherits, as
// keepalived's validate_check_config does: checker, then real server (with
// the virtual server behind it), then the checker type's default. FILE_CHECK
// and BFD_CHECK inherit only alpha: they have no timers of their own.
func resolveCheckerDefaults(c *Checker, in checkerInherit) {
	if !c.AlphaSet {
		c.Alpha = in.Alpha
	}
	if c.Type == "FILE_CHECK" || c.Type == "BFD_CHECK" {
		return
	}
	if !c.RetrySet {
		c.Retry = checkerDefaultRetry(c.Type)
		if in.RetrySet {
			c.Retry = in.Retry
		}
	}
	if !c.DelayLoopSet {
		c.DelayLoop = in.DelayLoop
	}
	if !c.WarmupSet {
		c.Warmup = c.DelayLoop
		if in.WarmupSet {
			c.Warmup = in.Warmup
		}
	}
	if !c.DelayBeforeRetrySet {
		switch def := checkerDefaultDelayBeforeRetry(c.Type); {
		case in.DelayBeforeRetrySet:
			c.DelayBeforeRetry = in.DelayBeforeRetry
		case def != 0:
			c.DelayBeforeRetry = def
		default:
			c.DelayBeforeRetry = c.DelayLoop
		}
	}
	if c.Conn != nil {
		resolveCheckerConn(c.Conn, in)
	}
}

// resolveCheckerConn fills the destination (connect_ip/connect_port over
// the real server's address and port) and the connect_timeout.
func resolveCheckerConn(co *CheckerConn, in checkerInherit) {
	if !co.ConnectTimeoutSet {
		co.ConnectTimeout = in.ConnectTimeout
	}
	addr, port := in.Addr, in.Port
	if co.ConnectIP.IsValid() {
		addr = co.ConnectIP
	}
	if co.ConnectPortSet {
		port = co.ConnectPort
	}
	co.Dest = netip.AddrPortFrom(addr, port)
}

// resolveMiscTimeout is the misc_timeout a MISC_CHECK runs with: its own,
// else the virtual server's delay_loop (not the real server's).
func resolveMiscTimeout(m *MiscCheck, vsDelayLoop Micros) Micros {
	if m.Timeout != 0 {
		return m.Timeout
	}
	return vsDelayLoop
}
