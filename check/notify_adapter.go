package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// NotifyOptions tune a NotifyAdapter.
type NotifyOptions struct {
	// Log receives the adapter's and package notify's lines; nil means
	// slog.Default().
	Log *slog.Logger
	// Runner runs notify scripts and FIFO scripts; nil means an
	// notify.ExecRunner.
	Runner notify.Runner
	// MailDial replaces the SMTP dialer; MailNow the Date header's clock
	// (tests).
	MailDial notify.DialFunc
	MailNow  func() time.Time
	// LookupUser resolves the owner of a FIFO (notify_fifo NAME USER
	// [GROUP]) to uid and gid; nil means the system's user database.
	LookupUser func(userName, group string) (uid, gid int, err error)
}

// NotifyAdapter is the checker side's Notifier over package notify:
// notify_up/notify_down of real servers and quorum_up/quorum_down of
// virtual servers run in the background as their configured users,
// "RS ..." and "VS ..." lines go to notify_fifo and lvs_notify_fifo, and
// SMTP alerts to the configured server. No call blocks.
type NotifyAdapter struct {
	opts NotifyOptions
	log  *slog.Logger

	mu       sync.Mutex
	ctx      context.Context
	routerID string
	mailCfg  notify.MailConfig
	fifoCfgs []fifoSpec
	queue    *notify.Queue
	mailer   *notify.Mailer
	fifos    []fifoWriter
	// oldMailers are replaced mailers still delivering.
	oldMailers []*notify.Mailer
}

var _ Notifier = (*NotifyAdapter)(nil)

// NewNotifyAdapter prepares the notifications of cfg. Nothing is opened
// until Open; notifications before it are dropped.
func NewNotifyAdapter(cfg *parser.Config, o NotifyOptions) *NotifyAdapter {
	n := &NotifyAdapter{opts: o, log: o.Log}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.routerID = cfg.Global.RouterID
	n.mailCfg = mailConfig(&cfg.Global)
	n.fifoCfgs = n.fifoConfigs(cfg)
	return n
}

// Open starts the script queue and the mailer and opens the FIFOs (each
// starting its script). A FIFO that cannot be opened is reported in the
// error and left out; the rest works.
func (n *NotifyAdapter) Open(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queue != nil {
		return errors.New("check: notifications already open")
	}
	n.ctx = ctx
	n.queue = notify.NewQueue(ctx, notify.QueueOptions{Runner: n.opts.Runner, Logger: n.log})
	n.mailer = n.newMailer()
	return n.openFIFOs()
}

func (n *NotifyAdapter) newMailer() *notify.Mailer {
	return notify.NewMailer(n.ctx, n.mailCfg, notify.MailerOptions{Logger: n.log, Dial: n.opts.MailDial, Now: n.opts.MailNow})
}

func (n *NotifyAdapter) openFIFOs() error {
	var errs []error
	n.fifos = n.fifos[:0]
	for _, fc := range n.fifoCfgs {
		f, err := openFIFO(n.ctx, fc, n.opts.Runner, n.log)
		if err != nil {
			errs = append(errs, fmt.Errorf("%snotify_fifo %s: %w", fc.Kind, fc.Path, err))
			continue
		}
		n.fifos = append(n.fifos, f)
	}
	return errors.Join(errs...)
}

// fifoSpec is one notify FIFO as configured (notify.FIFOConfig, which
// exists on Linux only).
type fifoSpec struct {
	Path     string
	UID, GID int
	Script   *notify.Command
	Kind     string
}

// fifoWriter is an open FIFO.
type fifoWriter interface {
	Write(line []byte) bool
	Close() error
}

func (n *NotifyAdapter) writeFIFOs(line []byte) {
	for _, f := range n.fifos {
		f.Write(line)
	}
}

func (n *NotifyAdapter) closeFIFOs() error {
	var errs []error
	for _, f := range n.fifos {
		errs = append(errs, f.Close())
	}
	n.fifos = nil
	return errors.Join(errs...)
}

// Reload takes the notification settings of a new configuration: the
// router id and mail settings apply to the next alert, and the FIFOs are
// closed and opened again when their settings changed (keepalived closes
// and reopens them on every reload; keeping unchanged ones open keeps
// their reader scripts running).
func (n *NotifyAdapter) Reload(cfg *parser.Config) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routerID = cfg.Global.RouterID
	if mc := mailConfig(&cfg.Global); !reflect.DeepEqual(mc, n.mailCfg) {
		n.mailCfg = mc
		if n.mailer != nil {
			n.oldMailers = append(n.oldMailers, n.mailer)
			n.mailer = n.newMailer()
		}
	}
	fcs := n.fifoConfigs(cfg)
	if reflect.DeepEqual(fcs, n.fifoCfgs) {
		return
	}
	n.fifoCfgs = fcs
	if n.queue == nil {
		return
	}
	if err := n.closeFIFOs(); err != nil {
		n.log.Debug("closing notify FIFOs", "err", err)
	}
	if err := n.openFIFOs(); err != nil {
		n.log.Warn(err.Error())
	}
}

// Close lets the scripts already queued (the shutdown's omega
// notifications) and the mails under way finish until ctx ends, then
// stops them and closes the FIFOs.
func (n *NotifyAdapter) Close(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queue == nil {
		return nil
	}
	var errs []error
	if err := n.queue.Drain(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := n.queue.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, m := range append(n.oldMailers, n.mailer) {
		_ = m.Wait(ctx)
		if err := m.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	n.oldMailers = nil
	if err := n.closeFIFOs(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RealServer runs the real server's notify_up or notify_down and writes
// its FIFO line.
func (n *NotifyAdapter) RealServer(ev RSEvent) {
	script, what := ev.RS.NotifyDown, "notify_down"
	if ev.Up {
		script, what = ev.RS.NotifyUp, "notify_up"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queue == nil {
		return
	}
	if c, ok := scriptCommand(script, what+" "+ev.RSName); ok {
		if ev.Stopping {
			c = c.ForStop()
		}
		n.queue.Submit("rs "+ev.VSName+" "+ev.RSName, c)
	}
	n.writeFIFOs(notify.RSLine(ev.RSName, ev.VSName, ev.Up))
}

// Quorum runs the virtual server's quorum_up or quorum_down and writes its
// FIFO line.
func (n *NotifyAdapter) Quorum(ev QuorumEvent) {
	script, what := ev.VS.QuorumDown, "quorum_down"
	if ev.Up {
		script, what = ev.VS.QuorumUp, "quorum_up"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queue == nil {
		return
	}
	if c, ok := scriptCommand(script, what+" "+ev.VSName); ok {
		if ev.Stopping {
			c = c.ForStop()
		}
		n.queue.Submit("vs "+ev.VSName, c)
	}
	n.writeFIFOs(notify.VSLine(ev.VSName, ev.Up))
}

// Alert sends the alert mail. The scheduler has already applied
// keepalived's conditions (smtp_alert of the real or virtual server after
// the global smtp_alert / smtp_alert_checker defaults, no_checker_emails).
func (n *NotifyAdapter) Alert(a Alert) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mailer == nil {
		return
	}
	n.mailer.Send(alertMail(n.routerID, a))
}

// alertMail is keepalived's subject for the alert, with the scheduler's
// body.
func alertMail(routerID string, a Alert) notify.Mail {
	if a.RSName != "" {
		return notify.RealServerMail(routerID, a.RSName, a.VSName, a.Up, a.Body)
	}
	m := notify.VirtualServerMail(routerID, a.VSName, a.Up, false, false, 0, 0, 0, 0)
	m.Body = a.Body
	return m
}

// scriptCommand is the command of a configured script; a missing or
// disabled one (script security refused it) is not run.
func scriptCommand(s *parser.Script, name string) (notify.Command, bool) {
	if s == nil || s.Disabled || len(s.Argv) == 0 {
		return notify.Command{}, false
	}
	return notify.Command{Argv: append([]string(nil), s.Argv...), UID: s.UID, GID: s.GID, Name: name}, true
}

// mailConfig is global_defs' mail part.
func mailConfig(g *parser.GlobalDefs) notify.MailConfig {
	mc := notify.MailConfig{
		HeloName:       g.SMTPHeloName,
		From:           g.NotificationEmailFrom,
		To:             append([]string(nil), g.NotificationEmail...),
		ConnectTimeout: time.Duration(g.SMTPConnectTimeout) * time.Microsecond,
		StartTLS:       g.SMTPStartTLS,
		AuthUser:       g.SMTPAuthUser,
		AuthPassword:   g.SMTPAuthPassword,
	}
	if g.SMTPServer != nil {
		mc.Server, mc.Port = g.SMTPServer.Host, g.SMTPServer.Port
	}
	return mc
}

// fifoConfigs are the checker process's FIFOs: notify_fifo and
// lvs_notify_fifo.
func (n *NotifyAdapter) fifoConfigs(cfg *parser.Config) []fifoSpec {
	var out []fifoSpec
	for _, f := range []struct {
		nf   parser.NotifyFIFO
		kind string
	}{{cfg.Global.NotifyFIFO, ""}, {cfg.Global.LVSNotifyFIFO, "lvs_"}} {
		if f.nf.Name == "" {
			continue
		}
		fc := fifoSpec{Path: f.nf.Name, UID: -1, GID: -1, Kind: f.kind}
		if f.nf.User != "" {
			uid, gid, err := n.lookupUser(f.nf.User, f.nf.Group)
			if err != nil {
				n.log.Warn(fmt.Sprintf("%snotify_fifo %s: %v", f.kind, f.nf.Name, err))
			} else {
				fc.UID, fc.GID = uid, gid
			}
		}
		if c, ok := scriptCommand(f.nf.Script, f.kind+"notify_fifo_script"); ok {
			fc.Script = &c
		}
		out = append(out, fc)
	}
	return out
}

func (n *NotifyAdapter) lookupUser(name, group string) (int, int, error) {
	if n.opts.LookupUser != nil {
		return n.opts.LookupUser(name, group)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return -1, -1, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return -1, -1, err
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}
