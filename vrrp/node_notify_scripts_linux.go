package vrrp

import (
	"context"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// ScriptNotifier is the Notifier keepalived's configuration asks for: each
// instance's and sync group's notify scripts (notify_master ... notify,
// run through a notify.Queue, one queue key per instance or group so
// their scripts keep their order) and the notify FIFO lines. The caller
// opens the FIFOs (notify_fifo, vrrp_notify_fifo) and owns the queue.
// SMTP alerts are not sent yet.
type ScriptNotifier struct {
	queue     *notify.Queue
	fifos     notify.FIFOs
	instances map[string]notify.InstanceScripts
	groups    map[string]notify.GroupScripts
}

var _ Notifier = (*ScriptNotifier)(nil)

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
	sn := &ScriptNotifier{queue: q, fifos: fifos, instances: map[string]notify.InstanceScripts{},
		groups: map[string]notify.GroupScripts{}}
	for _, vi := range cfg.Instances {
		sn.instances[vi.Name] = notify.InstanceScripts{
			Master: scriptCommand(vi.NotifyMaster), Backup: scriptCommand(vi.NotifyBackup),
			Fault: scriptCommand(vi.NotifyFault), Stop: scriptCommand(vi.NotifyStop),
			Deleted: scriptCommand(vi.NotifyDeleted), Generic: scriptCommand(vi.Notify),
			MasterRxLowerPri: scriptCommand(vi.NotifyMasterRxLowerPri),
		}
	}
	for _, g := range cfg.SyncGroups {
		sn.groups[g.Name] = notify.GroupScripts{
			Master: scriptCommand(g.NotifyMaster), Backup: scriptCommand(g.NotifyBackup),
			Fault: scriptCommand(g.NotifyFault), Stop: scriptCommand(g.NotifyStop),
			Generic: scriptCommand(g.Notify),
		}
	}
	return sn
}

// Notify implements Notifier: the FIFO line first (it never blocks), then
// the scripts are queued.
func (sn *ScriptNotifier) Notify(_ context.Context, n Notification) {
	st := notify.State(n.Type)
	if n.Group != "" {
		sn.fifos.Write(notify.GroupLine(n.Group, st))
		if cmds := sn.groups[n.Group].Commands(n.Group, st); len(cmds) > 0 && sn.queue != nil {
			sn.queue.Submit("vrrp_sync_group "+n.Group, cmds...)
		}
		return
	}
	sn.fifos.Write(notify.InstanceLine(n.Instance, st, n.Priority))
	if cmds := sn.instances[n.Instance].Commands(n.Instance, st, n.Priority); len(cmds) > 0 && sn.queue != nil {
		sn.queue.Submit("vrrp_instance "+n.Instance, cmds...)
	}
}
