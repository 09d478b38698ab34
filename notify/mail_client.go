package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
)

// Outcomes of one delivery, for callers branching on why a mail was lost.
var (
	ErrSMTPConnect = errors.New("notify: smtp connect failed")
	ErrSMTPTimeout = errors.New("notify: smtp server timed out")
	ErrSMTPClosed  = errors.New("notify: smtp server closed the connection")
	ErrSMTPStatus  = errors.New("notify: smtp server refused a command")
	ErrSMTPIO      = errors.New("notify: smtp connection error")
	ErrSMTPTLS     = errors.New("notify: smtp STARTTLS/AUTH failed")
)

// session is one SMTP conversation, keepalived's state machine written as
// straight-line code: every reply is awaited for at most the connect
// timeout; a wrong code, an oversized reply or a read error moves on to
// QUIT.
type session struct {
	ctx  context.Context // ends the conversation at shutdown
	cfg  *MailConfig
	log  *slog.Logger
	conn net.Conn
	host string // [ip]:port, keepalived's FMT_SMTP_HOST
	buf  []byte // unparsed reply bytes
}

// reply is one complete server reply: its code and every line.
type reply struct {
	code  int
	lines []string
}

// errQuit marks a failure after which the session still says QUIT.
type errQuit struct{ err error }

func (e errQuit) Error() string { return e.err.Error() }
func (e errQuit) Unwrap() error { return e.err }

// send writes one command, cut to keepalived's buffer.
func (s *session) send(cmd string) error {
	cmd = truncate(cmd, smtpBufferMax)
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.connectTimeout()))
	if _, err := io.WriteString(s.conn, cmd); err != nil {
		s.log.Info(fmt.Sprintf("Cannot send data to remote SMTP server %s.", s.host))
		return fmt.Errorf("%w: %w", ErrSMTPIO, err)
	}
	return nil
}

// read waits for the next complete reply. Like keepalived it skips the
// continuation lines of a multi-line reply (4th character '-') and takes
// the code of the last line, and gives up on replies over 1 KiB.
func (s *session) read() (reply, error) {
	var r reply
	tmp := make([]byte, smtpBufferMax)
	for {
		for {
			i := bytes.Index(s.buf, []byte("\r\n"))
			if i < 0 {
				break
			}
			line := string(s.buf[:i])
			s.buf = s.buf[i+2:]
			r.lines = append(r.lines, line)
			if len(line) > 3 && line[3] == '-' {
				continue
			}
			r.code = replyCode(line)
			return r, nil
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(s.cfg.connectTimeout()))
		n, err := s.conn.Read(tmp[:smtpBufferMax-len(s.buf)])
		if n > 0 {
			if len(s.buf)+n >= smtpBufferMax {
				s.log.Info(fmt.Sprintf("Received buffer from remote SMTP server %s overflow our get read buffer length.", s.host))
				s.buf = nil
				return r, errQuit{fmt.Errorf("%w: reply too long", ErrSMTPIO)}
			}
			s.buf = append(s.buf, tmp[:n]...)
			continue
		}
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ne) && ne.Timeout() && s.ctx != nil && s.ctx.Err() != nil:
			s.log.Info(fmt.Sprintf("SMTP alert to %s abandoned at shutdown.", s.host))
			return r, fmt.Errorf("notify: smtp: %w", s.ctx.Err())
		case errors.As(err, &ne) && ne.Timeout():
			s.log.Info(fmt.Sprintf("Timeout reading data to remote SMTP server %s.", s.host))
			return r, errQuit{ErrSMTPTimeout}
		case errors.Is(err, io.EOF):
			s.log.Info(fmt.Sprintf("Remote SMTP server %s has closed the connection.", s.host))
			return r, ErrSMTPClosed
		default:
			s.log.Info(fmt.Sprintf("Error reading data from remote SMTP server %s.", s.host))
			return r, errQuit{fmt.Errorf("%w: %w", ErrSMTPIO, err)}
		}
	}
}

// replyCode reads the 3-digit code at the start of a reply line, -1 when
// there is none.
func replyCode(line string) int {
	if len(line) < 3 {
		return -1
	}
	code := 0
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return -1
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// step sends cmd (none if empty) and expects code; name is keepalived's
// name of the step in its error message.
func (s *session) step(cmd string, code int, name string) (reply, error) {
	if cmd != "" {
		if err := s.send(cmd); err != nil {
			return reply{}, err
		}
	}
	r, err := s.read()
	if err != nil {
		return r, err
	}
	if r.code != code {
		s.log.Info(fmt.Sprintf("Error processing %s cmd on SMTP server %s. SMTP status code = %d", name, s.host, r.code))
		return r, errQuit{fmt.Errorf("%w: %s answered %d", ErrSMTPStatus, name, r.code)}
	}
	return r, nil
}

// run is the whole conversation after the connection is made.
func (s *session) run(data []byte) error {
	err := s.dialogue(data)
	var q errQuit
	if errors.As(err, &q) {
		if errors.Is(err, ErrSMTPTimeout) {
			// keepalived would wait one more timeout for the QUIT reply
			// of a server that already stopped answering; say QUIT and
			// hang up instead.
			_ = s.send("QUIT\r\n")
			return err
		}
		if s.send("QUIT\r\n") == nil {
			_, _ = s.read()
		}
	}
	return err
}

func (s *session) dialogue(data []byte) error {
	if _, err := s.step("", 220, "(E)SMTP"); err != nil {
		return err
	}
	if s.cfg.extended() {
		if err := s.extensions(); err != nil {
			return err
		}
	} else if _, err := s.step("HELO "+s.cfg.helo()+"\r\n", 250, "HELO"); err != nil {
		return err
	}
	if _, err := s.step("MAIL FROM:<"+s.cfg.From+">\r\n", 250, "MAIL"); err != nil {
		return err
	}
	for _, to := range s.cfg.To {
		if _, err := s.step("RCPT TO:<"+to+">\r\n", 250, "RCPT"); err != nil {
			return err
		}
	}
	if _, err := s.step("DATA\r\n", 354, "DATA"); err != nil {
		return err
	}
	if _, err := s.step(string(data), 250, "BODY"); err != nil {
		return err
	}
	s.log.Debug("SMTP alert successfully sent.")
	if err := s.send("QUIT\r\n"); err != nil {
		return nil // the mail is delivered
	}
	_, _ = s.read()
	return nil
}

// extensions is gokeepalived's STARTTLS and AUTH PLAIN, in place of HELO:
// EHLO, STARTTLS and a TLS handshake, EHLO again, AUTH.
func (s *session) extensions() error {
	r, err := s.step("EHLO "+s.cfg.helo()+"\r\n", 250, "EHLO")
	if err != nil {
		return err
	}
	if s.cfg.StartTLS {
		if !hasExtension(r, "STARTTLS") {
			s.log.Warn(fmt.Sprintf("SMTP server %s does not offer STARTTLS - not sending", s.host))
			return errQuit{fmt.Errorf("%w: STARTTLS not offered", ErrSMTPTLS)}
		}
		if _, err := s.step("STARTTLS\r\n", 220, "STARTTLS"); err != nil {
			return err
		}
		tc := tls.Client(s.conn, s.cfg.tlsConfig())
		_ = tc.SetDeadline(time.Now().Add(s.cfg.connectTimeout()))
		if err := tc.Handshake(); err != nil {
			s.log.Warn(fmt.Sprintf("TLS handshake with SMTP server %s failed: %v", s.host, err))
			return fmt.Errorf("%w: %w", ErrSMTPTLS, err)
		}
		_ = tc.SetDeadline(time.Time{})
		s.conn, s.buf = tc, nil
		if r, err = s.step("EHLO "+s.cfg.helo()+"\r\n", 250, "EHLO"); err != nil {
			return err
		}
	}
	if s.cfg.AuthUser == "" {
		return nil
	}
	if _, isTLS := s.conn.(*tls.Conn); !isTLS {
		s.log.Warn(fmt.Sprintf("SMTP AUTH to %s needs smtp_starttls - not sending the password in clear", s.host))
		return errQuit{fmt.Errorf("%w: AUTH without TLS", ErrSMTPTLS)}
	}
	if !hasAuthPlain(r) {
		s.log.Warn(fmt.Sprintf("SMTP server %s does not offer AUTH PLAIN", s.host))
		return errQuit{fmt.Errorf("%w: AUTH PLAIN not offered", ErrSMTPTLS)}
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + s.cfg.AuthUser + "\x00" + s.cfg.AuthPassword))
	_, err = s.step("AUTH PLAIN "+cred+"\r\n", 235, "AUTH")
	return err
}

// hasExtension tells whether an EHLO reply lists keyword.
func hasExtension(r reply, keyword string) bool {
	for _, l := range r.lines[min(1, len(r.lines)):] {
		if len(l) <= 4 {
			continue
		}
		if f := strings.Fields(l[4:]); len(f) > 0 && strings.EqualFold(f[0], keyword) {
			return true
		}
	}
	return false
}

func hasAuthPlain(r reply) bool {
	for _, l := range r.lines[min(1, len(r.lines)):] {
		if len(l) <= 4 {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(l[4:], "=", " "))
		if len(f) > 0 && strings.EqualFold(f[0], "AUTH") {
			for _, m := range f[1:] {
				if strings.EqualFold(m, "PLAIN") {
					return true
				}
			}
		}
	}
	return false
}

// deliver makes one connection and sends m.
func deliver(ctx context.Context, cfg *MailConfig, dial DialFunc, now time.Time, log *slog.Logger, m Mail) error {
	addr, host, err := cfg.resolve(ctx)
	if err != nil {
		log.Info(fmt.Sprintf("SMTP connection ERROR to %s.", host))
		return fmt.Errorf("%w: %w", ErrSMTPConnect, err)
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout())
	conn, err := dial(dctx, "tcp", addr)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			log.Info(fmt.Sprintf("Timeout opening connection to remote SMTP server %s.", host))
			return fmt.Errorf("%w: %w", ErrSMTPTimeout, err)
		}
		log.Info(fmt.Sprintf("SMTP connection ERROR to %s.", host))
		return fmt.Errorf("%w: %w", ErrSMTPConnect, err)
	}
	s := &session{ctx: ctx, cfg: cfg, log: log, conn: conn, host: host}
	// Cancellation (shutdown) ends the conversation at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	defer func() { _ = s.conn.Close() }()
	return s.run(Message(now, cfg.From, cfg.To, m))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}
