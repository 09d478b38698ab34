package parser

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"time"
)

// GlobalMail is the identity, mail and alert part of global_defs.
type GlobalMail struct {
	// NotificationEmail is the `notification_email { ADDR ... }` list;
	// repeated blocks append.
	NotificationEmail []string `json:"notification_email,omitempty"`
	// NotificationEmailFrom is `notification_email_from`; default
	// root@<local name> when smtp_server is set.
	NotificationEmailFrom string `json:"notification_email_from,omitempty"`
	// SMTPServer is `smtp_server IP|NAME [PORT]`; nil means no mail.
	SMTPServer *SMTPServer `json:"smtp_server,omitempty"`
	// SMTPHeloName is `smtp_helo_name`; default the local name when
	// smtp_server is set.
	SMTPHeloName string `json:"smtp_helo_name,omitempty"`
	// SMTPConnectTimeout is `smtp_connect_timeout SECS`; default 30 s when
	// smtp_server is set.
	SMTPConnectTimeout Micros `json:"smtp_connect_timeout,omitempty"`
	// SMTPAlert, SMTPAlertVRRP and SMTPAlertChecker are `smtp_alert*
	// [BOOL]`; nil means unset, which the instances read as off.
	SMTPAlert        *bool `json:"smtp_alert,omitempty"`
	SMTPAlertVRRP    *bool `json:"smtp_alert_vrrp,omitempty"`
	SMTPAlertChecker *bool `json:"smtp_alert_checker,omitempty"`
	// CheckerLogAllFailures is `checker_log_all_failures [BOOL]`.
	CheckerLogAllFailures bool `json:"checker_log_all_failures,omitempty"`
	// NoEmailFaults is the `no_email_faults` flag.
	NoEmailFaults bool `json:"no_email_faults,omitempty"`
	// NoCheckerEmails is `no_checker_emails [BOOL]`.
	NoCheckerEmails bool `json:"no_checker_emails,omitempty"`
	// RSInitNotifies is `rs_init_notifies [BOOL]`.
	RSInitNotifies bool `json:"rs_init_notifies,omitempty"`

	// gokeepalived extensions (keepalived 2.2.7 rejects these keywords):
	// SMTPStartTLS is `smtp_starttls [BOOL]`: EHLO and STARTTLS before
	// the mail, the server's certificate verified.
	SMTPStartTLS bool `json:"smtp_starttls,omitempty"`
	// SMTPTLSCAFile is `smtp_tls_ca_file PATH`: PEM roots to verify the
	// server with instead of the system's.
	SMTPTLSCAFile string `json:"smtp_tls_ca_file,omitempty"`
	// SMTPAuthUser and SMTPAuthPassword are `smtp_auth_user NAME` and
	// `smtp_auth_password SECRET`: AUTH PLAIN, sent only over STARTTLS.
	// The password is left out of dumps.
	SMTPAuthUser     string `json:"smtp_auth_user,omitempty"`
	SMTPAuthPassword string `json:"-"`
}

// SMTPServer is where alert mails go.
type SMTPServer struct {
	Pos Pos `json:"pos"`
	// Host is the address or name as written.
	Host string `json:"host"`
	// Addr is the address when Host is numeric (names are resolved again
	// when mail is sent).
	Addr netip.Addr `json:"addr,omitempty"`
	Port uint16     `json:"port"`
}

// HostResolver is an optional Host capability: whether a host name
// resolves. Without it gokeepalived resolves through the system only for
// OSHost, and otherwise treats every name but localhost as unresolvable,
// which is what keepalived -t reports on a machine without DNS.
type HostResolver interface {
	ResolveHost(name string) bool
}

var globalMailKeywords = table[GlobalDefs]{
	"router_id":               {handle: gdRouterID},
	"notification_email_from": {handle: gdEmailFrom},
	"smtp_server":             {handle: gdSMTPServer},
	"smtp_helo_name":          {handle: gdSMTPHelo},
	"smtp_connect_timeout":    {handle: gdSMTPTimeout},
	"notification_email":      {kind: valueBlock, handle: gdNotificationEmail},
	"smtp_alert":              {handle: optBoolPtr(func(g *GlobalDefs) **bool { return &g.SMTPAlert }, "Invalid value '%s' for global smtp_alert specified")},
	"smtp_alert_vrrp":         {handle: optBoolPtr(func(g *GlobalDefs) **bool { return &g.SMTPAlertVRRP }, "Invalid value '%s' for global smtp_alert_vrrp specified")},
	"smtp_alert_checker":      {handle: optBoolPtr(func(g *GlobalDefs) **bool { return &g.SMTPAlertChecker }, "Invalid value '%s' for global smtp_alert_checker specified")},
	"checker_log_all_failures": {handle: boolInto(func(g *GlobalDefs) *bool { return &g.CheckerLogAllFailures },
		"Invalid value for checker_log_all_failures specified")},
	"no_email_faults":   {handle: flagInto(func(g *GlobalDefs) *bool { return &g.NoEmailFaults })},
	"no_checker_emails": {handle: boolInto(func(g *GlobalDefs) *bool { return &g.NoCheckerEmails }, "Invalid value '%s' for global no_checker_emails specified")},
	"rs_init_notifies":  {handle: boolInto(func(g *GlobalDefs) *bool { return &g.RSInitNotifies }, "Invalid value '%s' for global rs_init_notifies specified")},

	"smtp_starttls":      {handle: gdSMTPStartTLS},
	"smtp_tls_ca_file":   {handle: gdSMTPExtString(func(g *GlobalDefs) *string { return &g.SMTPTLSCAFile })},
	"smtp_auth_user":     {handle: gdSMTPExtString(func(g *GlobalDefs) *string { return &g.SMTPAuthUser })},
	"smtp_auth_password": {handle: gdSMTPExtString(func(g *GlobalDefs) *string { return &g.SMTPAuthPassword })},
}

// extensionNote tells -t's reader that a keyword is gokeepalived's own:
// a note that never changes the exit code, even with --strict.
func extensionNote(s *stmt) {
	s.d.report(Diagnostic{Pos: s.Pos(), Severity: SeverityNote, Own: true,
		Message: fmt.Sprintf("%s is a gokeepalived extension: keepalived 2.2.7 does not know this keyword", s.Keyword())})
}

func gdSMTPStartTLS(s *stmt, g *GlobalDefs) {
	extensionNote(s)
	if v, ok := s.optBool("Invalid value '%s' for global smtp_starttls specified"); ok {
		g.SMTPStartTLS = v
	}
}

func gdSMTPExtString(field func(*GlobalDefs) *string) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		extensionNote(s)
		if v, ok := s.Need(1); ok {
			*field(g) = v
		}
	}
}

func optBoolPtr(field func(*GlobalDefs) **bool, format string) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		if v, ok := s.optBool(format); ok {
			*field(g) = &v
		}
	}
}

func gdRouterID(s *stmt, g *GlobalDefs) {
	if v, ok := s.argOr("routerid name missing - ignoring"); ok {
		g.RouterID, g.RouterIDSet = v, true
	}
}

func gdEmailFrom(s *stmt, g *GlobalDefs) {
	if v, ok := s.argOr("emailfrom missing - ignoring"); ok {
		g.NotificationEmailFrom = v
	}
}

func gdSMTPHelo(s *stmt, g *GlobalDefs) {
	if v, ok := s.Arg(1); ok {
		g.SMTPHeloName = v
	}
}

func gdSMTPTimeout(s *stmt, g *GlobalDefs) {
	const max = math.MaxUint32 / 1000000
	v, ok := s.uintValue(1, 0, max)
	if !ok {
		if s.NArgs() >= 1 {
			s.Errorf(ClassGeneral, "smtp_connect_timeout '%s' must be in [0, %d] - ignoring", s.Word(1).Text, max)
		}
		return
	}
	if v == 0 {
		// keepalived's own spelling.
		s.Errorf(ClassGeneral, "smtp_conect_timeout must be greater than 0, setting to 1")
		v = 1
	}
	g.SMTPConnectTimeout = Micros(v) * second
}

func gdNotificationEmail(s *stmt, g *GlobalDefs) {
	words := s.words()
	if len(words) == 0 {
		s.Errorf(ClassGeneral, "Warning - empty notification_email block")
		return
	}
	for _, w := range words {
		g.NotificationEmail = append(g.NotificationEmail, w.Text)
	}
}

// gdSMTPServer follows keepalived: a word without '-' or '/' is first tried
// as a numeric address, then (like any other word) as a host name; the port
// is read, with its messages, by each attempt.
func gdSMTPServer(s *stmt, g *GlobalDefs) {
	host, ok := s.Need(1)
	if !ok {
		return
	}
	portText, portIdx := "25", 1
	if p, ok := s.Arg(2); ok {
		portText, portIdx = p, 2
	}
	readPort := func() (uint16, bool) {
		if portIdx == 1 {
			return 25, true
		}
		p, ok := s.parseUint(portIdx, portText, 1, 65535, 10)
		return uint16(p), ok
	}
	if !strings.ContainsAny(host, "-/") {
		if port, ok := readPort(); ok {
			if a, ok := parseIP(host); ok && a.Is6() == strings.Contains(host, ":") {
				g.SMTPServer = &SMTPServer{Pos: s.Pos(), Host: host, Addr: a, Port: port}
				return
			}
		}
	}
	if port, ok := readPort(); ok && resolveHost(s.d, host) {
		srv := &SMTPServer{Pos: s.Pos(), Host: host, Port: port}
		if a, ok := parseIP(host); ok {
			srv.Addr = a
		}
		g.SMTPServer = srv
		return
	}
	// keepalived parses into the one server field, so a bad smtp_server
	// also drops an earlier good one.
	g.SMTPServer = nil
	s.Errorf(ClassGeneral, "Invalid smtp server %s %s", host, portText)
}

// resolveHost answers getaddrinfo's question for a host name.
func resolveHost(d *decoder, name string) bool {
	if r, ok := d.opts.Host.(HostResolver); ok {
		return r.ResolveHost(name)
	}
	if _, ok := d.opts.Host.(osHost); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, name)
		return err == nil && len(addrs) > 0
	}
	switch name {
	case "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback":
		return true
	}
	return false
}
