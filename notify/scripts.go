package notify

// InstanceScripts are a VRRP instance's notify scripts; nil for the ones
// not configured.
type InstanceScripts struct {
	Master, Backup, Fault, Stop, Deleted *Command // notify_master ... notify_deleted
	Generic                              *Command // notify
	MasterRxLowerPri                     *Command // notify_master_rx_lower_pri
}

// Commands is what keepalived runs when the instance enters state s with
// effective priority prio, in its order: the state's own script, then the
// generic notify with INSTANCE NAME STATE PRIO. For STOP both get
// keepalived's one-second limit (ForStop). MASTER_RX_LOWER_PRI runs only
// notify_master_rx_lower_pri; the priority events run nothing.
//
// The caller keeps keepalived's other rules: DELETED is reported as FAULT
// unless the instance has notify_deleted, and a sync-group member entering
// the state its group is already in sends nothing once it has notified.
func (is InstanceScripts) Commands(name string, s State, prio int) []Command {
	var specific *Command
	switch s {
	case Master:
		specific = is.Master
	case Backup:
		specific = is.Backup
	case Fault:
		specific = is.Fault
	case Stop:
		specific = is.Stop
	case Deleted:
		specific = is.Deleted
	case MasterRxLowerPri:
		if is.MasterRxLowerPri == nil {
			return nil
		}
		return []Command{*is.MasterRxLowerPri}
	default:
		return nil
	}
	var cmds []Command
	if specific != nil {
		cmds = append(cmds, *specific)
	}
	if is.Generic != nil {
		cmds = append(cmds, InstanceNotifyArgs(*is.Generic, name, s, prio))
	}
	if s == Stop {
		for i := range cmds {
			cmds[i] = cmds[i].ForStop()
		}
	}
	return cmds
}

// GroupScripts are a sync group's notify scripts (no notify_deleted).
type GroupScripts struct {
	Master, Backup, Fault, Stop *Command
	Generic                     *Command
}

// Commands is what keepalived runs when the group enters state s: the
// state's script, then the generic notify with GROUP NAME STATE 0. For
// STOP keepalived limits only the generic script to one second; the
// group's own notify_stop runs unlimited like any notify script.
func (gs GroupScripts) Commands(name string, s State) []Command {
	var specific *Command
	switch s {
	case Master:
		specific = gs.Master
	case Backup:
		specific = gs.Backup
	case Fault:
		specific = gs.Fault
	case Stop:
		specific = gs.Stop
	default:
		return nil
	}
	var cmds []Command
	if specific != nil {
		cmds = append(cmds, *specific)
	}
	if gs.Generic != nil {
		c := GroupNotifyArgs(*gs.Generic, name, s)
		if s == Stop {
			// keepalived limits the generic script's STOP run, not the
			// group's notify_stop.
			c = c.ForStop()
		}
		cmds = append(cmds, c)
	}
	return cmds
}
