package vrrp

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// ScriptNotifier is the Notifier keepalived's configuration asks for: each
// instance's and sync group's notify scripts (notify_master ... notify,
// run through a notify.Queue, one queue key per instance or group so
// their scripts keep their order), the notify FIFO lines and, once
// EnableMail was called, the smtp_alert mails. The caller owns the queue
// and opens the FIFOs (notify_fifo, vrrp_notify_fifo), or has the
// notifier do it (ManageFIFOs). It follows a reload
// through ReloadConfig (the Node calls it in order with the
// notifications).
type ScriptNotifier struct {
	queue *notify.Queue
	// fifoMu guards fifos, which a reload may replace while CloseFIFOs
	// runs at shutdown.
	fifoMu    sync.Mutex
	fifos     notify.FIFOs
	openFIFOs func(*parser.Config) notify.FIFOs
	fifoKey   string
	cfg       *parser.Config
	instances map[string]instanceNotify
	groups    map[string]groupNotify

	// mail
	newMailer     func(notify.MailConfig) MailSender
	mailer        MailSender
	mailCfg       notify.MailConfig
	routerID      string
	noEmailFaults bool
	// lastMailed is keepalived's last_email_state, by "i|" or "g|" + name.
	lastMailed map[string]notify.State
}

type instanceNotify struct {
	scripts notify.InstanceScripts
	// deleted is notify_deleted: an instance gone at reload reports
	// DELETED; without it FAULT, with no state script (keepalived's
	// backward-compatible way).
	deleted bool
	mail    bool // smtp_alert
}

type groupNotify struct {
	scripts notify.GroupScripts
	mail    bool
}

// MailSender sends an alert mail in the background and never blocks
// (notify.Mailer).
type MailSender interface {
	Send(notify.Mail) bool
}

var (
	_ Notifier       = (*ScriptNotifier)(nil)
	_ ConfigReloader = (*ScriptNotifier)(nil)
	_ MailSender     = (*notify.Mailer)(nil)
)

// scriptCommand turns a parsed notify script into what notify runs.
func scriptCommand(s *parser.Script) *notify.Command {
	if s == nil || len(s.Argv) == 0 {
		return nil
	}
	return &notify.Command{Argv: s.Argv, UID: s.UID, GID: s.GID, Name: s.Keyword}
}

// NewScriptNotifier reads the notify scripts of every instance and sync
// group of cfg.
func NewScriptNotifier(cfg *parser.Config, q *notify.Queue, fifos notify.FIFOs) *ScriptNotifier {
	sn := &ScriptNotifier{queue: q, fifos: fifos, lastMailed: map[string]notify.State{}}
	sn.load(cfg)
	return sn
}

func (sn *ScriptNotifier) load(cfg *parser.Config) {
	sn.cfg = cfg
	key := fifoKeyOf(cfg)
	if sn.openFIFOs != nil && key != sn.fifoKey {
		sn.fifoMu.Lock()
		_ = sn.fifos.Close()
		sn.fifos = sn.openFIFOs(cfg)
		sn.fifoMu.Unlock()
	}
	sn.fifoKey = key
	sn.instances = map[string]instanceNotify{}
	sn.groups = map[string]groupNotify{}
	for _, vi := range cfg.Instances {
		sn.instances[vi.Name] = instanceNotify{
			scripts: notify.InstanceScripts{
				Master: scriptCommand(vi.NotifyMaster), Backup: scriptCommand(vi.NotifyBackup),
				Fault: scriptCommand(vi.NotifyFault), Stop: scriptCommand(vi.NotifyStop),
				Deleted: scriptCommand(vi.NotifyDeleted), Generic: scriptCommand(vi.Notify),
				MasterRxLowerPri: scriptCommand(vi.NotifyMasterRxLowerPri),
			},
			deleted: vi.SendDeleted,
			mail:    vi.SMTPAlert,
		}
	}
	g := &cfg.Global
	for _, sg := range cfg.SyncGroups {
		// a group's smtp_alert defaults to smtp_alert_vrrp, then smtp_alert
		mail := false
		switch {
		case sg.SMTPAlert != nil:
			mail = *sg.SMTPAlert
		case g.SMTPAlertVRRP != nil:
			mail = *g.SMTPAlertVRRP
		case g.SMTPAlert != nil:
			mail = *g.SMTPAlert
		}
		sn.groups[sg.Name] = groupNotify{
			scripts: notify.GroupScripts{
				Master: scriptCommand(sg.NotifyMaster), Backup: scriptCommand(sg.NotifyBackup),
				Fault: scriptCommand(sg.NotifyFault), Stop: scriptCommand(sg.NotifyStop),
				Generic: scriptCommand(sg.Notify),
			},
			mail: mail,
		}
	}
	sn.routerID = g.RouterID
	sn.noEmailFaults = g.NoEmailFaults
	mc := mailConfigOf(g)
	if sn.newMailer != nil && (sn.mailer == nil || !reflect.DeepEqual(mc, sn.mailCfg)) {
		sn.mailer = sn.newMailer(mc)
	}
	sn.mailCfg = mc
}

// mailConfigOf is global_defs' mail part.
func mailConfigOf(g *parser.GlobalDefs) notify.MailConfig {
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

// fifoKeyOf is what the VRRP FIFOs are opened from (positions aside).
func fifoKeyOf(cfg *parser.Config) string {
	key := ""
	for _, f := range []parser.NotifyFIFO{cfg.Global.NotifyFIFO, cfg.Global.VRRPNotifyFIFO} {
		key += fmt.Sprintf("%q %q %q|", f.Name, f.User, f.Group)
		if s := f.Script; s != nil {
			key += fmt.Sprintf("%q %d %d %v|", s.Argv, s.UID, s.GID, s.Disabled)
		}
	}
	return key
}

// ManageFIFOs has the notifier open the notify FIFOs itself with open,
// now and again when a reload changes notify_fifo or vrrp_notify_fifo
// (the old ones are closed then); it replaces the FIFOs given to
// NewScriptNotifier. Call it before the Node runs, and CloseFIFOs at the
// end.
func (sn *ScriptNotifier) ManageFIFOs(open func(*parser.Config) notify.FIFOs) {
	sn.fifoMu.Lock()
	defer sn.fifoMu.Unlock()
	_ = sn.fifos.Close()
	sn.openFIFOs = open
	sn.fifos = open(sn.cfg)
}

// CloseFIFOs closes the notify FIFOs.
func (sn *ScriptNotifier) CloseFIFOs() error {
	sn.fifoMu.Lock()
	defer sn.fifoMu.Unlock()
	err := sn.fifos.Close()
	sn.fifos = nil
	return err
}

func (sn *ScriptNotifier) writeFIFOs(line []byte) {
	sn.fifoMu.Lock()
	defer sn.fifoMu.Unlock()
	sn.fifos.Write(line)
}

// EnableMail turns on smtp_alert: newMailer makes the sender for
// global_defs' mail settings, now and again when a reload changes them.
// Call it before the Node runs.
func (sn *ScriptNotifier) EnableMail(newMailer func(notify.MailConfig) MailSender) {
	sn.newMailer = newMailer
	sn.mailer = newMailer(sn.mailCfg)
}

// ReloadConfig implements ConfigReloader: the scripts, mail flags and mail
// settings of the new configuration apply to the next notification.
func (sn *ScriptNotifier) ReloadConfig(cfg *parser.Config) { sn.load(cfg) }

// Notify implements Notifier: the FIFO line first (it never blocks), then
// the scripts are queued, then the alert mail is handed to the mailer,
// which sends it in the background.
func (sn *ScriptNotifier) Notify(_ context.Context, n Notification) {
	st := notify.State(n.Type)
	if n.Group != "" {
		g := sn.groups[n.Group]
		sn.writeFIFOs(notify.GroupLine(n.Group, st))
		if n.FIFOOnly {
			return
		}
		if cmds := g.scripts.Commands(n.Group, st); len(cmds) > 0 && sn.queue != nil {
			sn.queue.Submit("vrrp_sync_group "+n.Group, cmds...)
		}
		sn.mail("g|"+n.Group, g.mail, st, func() (notify.Mail, bool) { return notify.VRRPGroupMail(sn.routerID, n.Group, st) })
		return
	}
	in := sn.instances[n.Instance]
	scripts := in.scripts
	if st == notify.Deleted && !in.deleted {
		// no notify_deleted: FAULT everywhere, but notify_fault does not run
		st = notify.Fault
		scripts.Fault = nil
	}
	sn.writeFIFOs(notify.InstanceLine(n.Instance, st, n.Priority))
	if n.FIFOOnly {
		return
	}
	if cmds := scripts.Commands(n.Instance, st, n.Priority); len(cmds) > 0 && sn.queue != nil {
		sn.queue.Submit("vrrp_instance "+n.Instance, cmds...)
	}
	sn.mail("i|"+n.Instance, in.mail, st, func() (notify.Mail, bool) { return notify.VRRPInstanceMail(sn.routerID, n.Instance, st) })
}

// mail is vrrp_smtp_notifier: one mail per state change of an object with
// smtp_alert, FAULT left out with no_email_faults.
func (sn *ScriptNotifier) mail(key string, enabled bool, st notify.State, build func() (notify.Mail, bool)) {
	if sn.mailer == nil || !notify.ShouldMailVRRP(enabled, sn.noEmailFaults, sn.lastMailed[key], st) {
		return
	}
	m, ok := build()
	if !ok {
		return
	}
	sn.mailer.Send(m)
	sn.lastMailed[key] = st
}
