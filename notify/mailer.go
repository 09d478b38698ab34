package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSMTPConnectTimeout is smtp_connect_timeout's default.
const DefaultSMTPConnectTimeout = 30 * time.Second

// MailConfig is global_defs' mail part as the Mailer needs it.
type MailConfig struct {
	// Server is smtp_server's address or host name; Port its port (0
	// means 25).
	Server string
	Port   uint16
	// HeloName is smtp_helo_name (the parser fills in the local name).
	HeloName string
	// From is notification_email_from, To the notification_email list.
	From string
	To   []string
	// ConnectTimeout is smtp_connect_timeout; it bounds the connect and
	// each wait for a reply. 0 means DefaultSMTPConnectTimeout.
	ConnectTimeout time.Duration

	// gokeepalived extensions, off unless configured: smtp_starttls
	// switches to EHLO and STARTTLS; smtp_auth_user / smtp_auth_password
	// add AUTH PLAIN (only over TLS).
	StartTLS     bool
	AuthUser     string
	AuthPassword string
	// TLS is the client TLS configuration (smtp_tls_ca_file's roots); nil
	// means the system roots, with Server as the name to verify.
	TLS *tls.Config
}

// Enabled tells whether keepalived would send anything: a server and at
// least one recipient.
func (c *MailConfig) Enabled() bool { return c != nil && c.Server != "" && len(c.To) > 0 }

// helo is the HELO name; keepalived says "localhost" when it has none.
func (c *MailConfig) helo() string {
	if c.HeloName == "" {
		return "localhost"
	}
	return c.HeloName
}

// TLSConfigFromCAFile builds MailConfig.TLS for smtp_tls_ca_file: the
// server is verified against the PEM certificates in path only.
func TLSConfigFromCAFile(path string) (*tls.Config, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp_tls_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("notify: smtp_tls_ca_file %s: no PEM certificate found", path)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func (c *MailConfig) extended() bool { return c.StartTLS || c.AuthUser != "" }

func (c *MailConfig) connectTimeout() time.Duration {
	if c.ConnectTimeout <= 0 {
		return DefaultSMTPConnectTimeout
	}
	return c.ConnectTimeout
}

func (c *MailConfig) port() uint16 {
	if c.Port == 0 {
		return 25
	}
	return c.Port
}

func (c *MailConfig) tlsConfig() *tls.Config {
	if c.TLS != nil {
		t := c.TLS.Clone()
		if t.ServerName == "" {
			t.ServerName = c.Server
		}
		return t
	}
	return &tls.Config{ServerName: c.Server, MinVersion: tls.VersionTLS12}
}

// resolve gives the address to dial and keepalived's [ip]:port text.
func (c *MailConfig) resolve(ctx context.Context) (addr, host string, err error) {
	port := strconv.Itoa(int(c.port()))
	ip, perr := netip.ParseAddr(c.Server)
	if perr != nil {
		rctx, cancel := context.WithTimeout(ctx, c.connectTimeout())
		defer cancel()
		ips, lerr := net.DefaultResolver.LookupNetIP(rctx, "ip", c.Server)
		if lerr != nil || len(ips) == 0 {
			return "", "[" + c.Server + "]:" + port, fmt.Errorf("notify: resolve %s: %w", c.Server, lerr)
		}
		ip = ips[0].Unmap()
	}
	return net.JoinHostPort(ip.String(), port), "[" + ip.String() + "]:" + port, nil
}

// ErrMailDisabled is Deliver's answer when there is no smtp_server or no
// notification_email address.
var ErrMailDisabled = errors.New("notify: mail not configured (smtp_server and notification_email)")

// DialFunc opens the connection to the mail server (net.Dialer.DialContext
// by default).
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// DefaultMaxInFlight bounds the alerts a Mailer has under way at once.
const DefaultMaxInFlight = 64

// MailerOptions configure a Mailer.
type MailerOptions struct {
	Logger *slog.Logger
	// Dial replaces the TCP dialer (tests).
	Dial DialFunc
	// Now gives the Date header's time; nil means time.Now (local time).
	Now func() time.Time
	// MaxInFlight bounds concurrent deliveries; further alerts are dropped
	// and counted. 0 means DefaultMaxInFlight.
	MaxInFlight int
}

// Mailer sends alert mails the way keepalived does: one connection per
// alert, opened at once, alerts independent of each other, no queue and no
// retry. Send never blocks its caller.
type Mailer struct {
	cfg  MailConfig
	log  *slog.Logger
	dial DialFunc
	now  func() time.Time
	sem  chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool

	sent, failed, dropped atomic.Uint64
}

// NewMailer returns a Mailer for cfg. Cancelling ctx or Close aborts the
// deliveries under way.
func NewMailer(ctx context.Context, cfg MailConfig, o MailerOptions) *Mailer {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	cfg.To = append([]string(nil), cfg.To...)
	m := &Mailer{cfg: cfg, log: o.Logger, dial: o.Dial, now: o.Now, sem: make(chan struct{}, o.MaxInFlight)}
	m.ctx, m.cancel = context.WithCancel(ctx)
	return m
}

// Send starts delivering mail in the background and returns at once. It
// reports false when nothing was started: mail is not configured (no
// server or no recipient, as keepalived), the Mailer is closed, or too many
// deliveries are under way (counted as dropped).
func (m *Mailer) Send(mail Mail) bool {
	if !m.cfg.Enabled() {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.ctx.Err() != nil {
		m.dropped.Add(1)
		return false
	}
	select {
	case m.sem <- struct{}{}:
	default:
		m.dropped.Add(1)
		m.log.Warn("too many SMTP alerts under way - dropping", slog.String("subject", mail.Subject))
		return false
	}
	now := m.now()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() { <-m.sem }()
		if err := deliver(m.ctx, &m.cfg, m.dial, now, m.log, mail); err != nil {
			m.failed.Add(1)
			return
		}
		m.sent.Add(1)
	}()
	return true
}

// Deliver sends mail and waits for the outcome; for callers that want the
// error (tests, a future "send test mail" command).
func (m *Mailer) Deliver(ctx context.Context, mail Mail) error {
	if !m.cfg.Enabled() {
		return ErrMailDisabled
	}
	err := deliver(ctx, &m.cfg, m.dial, m.now(), m.log, mail)
	if err != nil {
		m.failed.Add(1)
	} else {
		m.sent.Add(1)
	}
	return err
}

// Wait waits until the deliveries under way have ended, or ctx ends.
func (m *Mailer) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close refuses further alerts, aborts the deliveries under way and waits
// for them to end (or ctx).
func (m *Mailer) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	return m.Wait(ctx)
}

// MailStats counts alerts.
type MailStats struct {
	Sent    uint64 // the server accepted the message (250 after DATA)
	Failed  uint64 // connection, timeout or SMTP errors: logged and lost
	Dropped uint64 // not started: Mailer closed or too many under way
}

// Stats returns the counters.
func (m *Mailer) Stats() MailStats {
	return MailStats{Sent: m.sent.Load(), Failed: m.failed.Load(), Dropped: m.dropped.Load()}
}
