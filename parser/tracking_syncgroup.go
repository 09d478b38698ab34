package parser

// SyncGroup is a vrrp_sync_group block: instances that change state
// together, with tracking shared by all of them.
type SyncGroup struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Group is the `group { ... }` block as written; nil when absent or
	// empty.
	Group []string `json:"group"`
	// Members are the instances validation accepted from Group.
	Members []string `json:"members,omitempty"`
	// Tracking shared by every member (config-keywords §11.5 syntax).
	TrackInterfaces []*TrackEntry `json:"track_interface,omitempty"`
	TrackScripts    []*TrackEntry `json:"track_script,omitempty"`
	TrackFiles      []*TrackEntry `json:"track_file,omitempty"`
	TrackProcesses  []*TrackEntry `json:"track_process,omitempty"`
	TrackBFDs       []*TrackEntry `json:"track_bfd,omitempty"`
	// Group transition scripts: notify_master, notify_backup, notify_fault,
	// notify_stop and notify (called with GROUP NAME STATE PRIORITY).
	NotifyMaster *Script `json:"notify_master,omitempty"`
	NotifyBackup *Script `json:"notify_backup,omitempty"`
	NotifyFault  *Script `json:"notify_fault,omitempty"`
	NotifyStop   *Script `json:"notify_stop,omitempty"`
	Notify       *Script `json:"notify,omitempty"`
	// SMTPAlert is smtp_alert; nil inherits smtp_alert_vrrp, then smtp_alert.
	SMTPAlert *bool `json:"smtp_alert,omitempty"`
	// NotifyPriorityChanges is notify_priority_changes; nil inherits the
	// global setting.
	NotifyPriorityChanges *bool `json:"notify_priority_changes,omitempty"`
	// TrackingWeight is sync_group_tracking_weight (or the deprecated
	// global_tracking): members keep their weighted trackers.
	TrackingWeight bool `json:"sync_group_tracking_weight,omitempty"`

	groupSet bool
}

func decodeSyncGroup(s *stmt, c *Config) {
	// keepalived skips the whole block, so nothing inside is reported.
	name, ok := blockName(s, c.SyncGroups, func(g *SyncGroup) string { return g.Name },
		"vrrp_sync_group must have a name - skipping", "vrrp sync group %s already defined")
	if !ok {
		return
	}
	g := &SyncGroup{Name: name, Pos: s.Pos()}
	// Appended first: the tracking entries and messages refer to it while
	// its block is read, as keepalived's last-entry lookups do.
	c.SyncGroups = append(c.SyncGroups, g)
	decodeBlock(s.d, s.Body(), syncGroupKeywords, g)
}

var syncGroupKeywords = table[SyncGroup]{
	"group": {kind: valueBlock, handle: func(s *stmt, g *SyncGroup) {
		readGroupList(s, &g.groupSet, &g.Group, "sync", g.Name)
	}},
	"track_interface": {kind: valueBlock, handle: groupTrack(trackInterface, func(g *SyncGroup) *[]*TrackEntry { return &g.TrackInterfaces })},
	"track_script":    {kind: valueBlock, handle: groupTrack(trackScript, func(g *SyncGroup) *[]*TrackEntry { return &g.TrackScripts })},
	"track_file":      {kind: valueBlock, handle: groupTrack(trackFile, func(g *SyncGroup) *[]*TrackEntry { return &g.TrackFiles })},
	"track_process":   {kind: valueBlock, handle: groupTrack(trackProcess, func(g *SyncGroup) *[]*TrackEntry { return &g.TrackProcesses })},
	"track_bfd":       {kind: valueBlock, handle: groupTrack(trackBFD, func(g *SyncGroup) *[]*TrackEntry { return &g.TrackBFDs })},
	"notify_master":   {handle: groupNotify("notify_master", func(g *SyncGroup) **Script { return &g.NotifyMaster })},
	"notify_backup":   {handle: groupNotify("notify_backup", func(g *SyncGroup) **Script { return &g.NotifyBackup })},
	"notify_fault":    {handle: groupNotify("notify_fault", func(g *SyncGroup) **Script { return &g.NotifyFault })},
	"notify_stop":     {handle: groupNotify("notify_stop", func(g *SyncGroup) **Script { return &g.NotifyStop })},
	"notify":          {handle: groupNotify("notify", func(g *SyncGroup) **Script { return &g.Notify })},
	"smtp_alert": {handle: func(s *stmt, g *SyncGroup) {
		v, ok := s.boolAt("Invalid vrrp_group smtp_alert parameter %s")
		if !ok {
			return
		}
		g.SMTPAlert = &v
	}},
	"notify_priority_changes": {handle: func(s *stmt, g *SyncGroup) {
		v, ok := s.boolAt("(%s) Invalid value '%s' for sync group notify_priority_changes specified", g.Name)
		if !ok {
			return
		}
		g.NotifyPriorityChanges = &v
	}},
	"global_tracking": {handle: func(s *stmt, g *SyncGroup) {
		s.Errorf(ClassGeneral, "(%s) global_tracking is deprecated. Use track_interface/script/file on the sync group", g.Name)
		g.TrackingWeight = true
	}},
	"sync_group_tracking_weight": {handle: func(s *stmt, g *SyncGroup) { g.TrackingWeight = true }},
}

// groupTrack reads a tracking block into the list field names; a block
// written twice adds to the same list, duplicates included in the check.
func groupTrack(kind trackKind, field func(*SyncGroup) *[]*TrackEntry) func(*stmt, *SyncGroup) {
	return func(s *stmt, g *SyncGroup) {
		list := field(g)
		*list = appendTrackEntries(s, kind, g.Name, *list)
	}
}

func groupNotify(kw string, field func(*SyncGroup) **Script) func(*stmt, *SyncGroup) {
	return func(s *stmt, g *SyncGroup) {
		slot := field(g)
		if *slot != nil {
			// keepalived names the ignored script by reading the argument,
			// so a bare keyword here is a missing parameter.
			text, ok := s.Need(1)
			if ok {
				s.ErrorAt(1, ClassGeneral, "vrrp group %s: %s script already specified - ignoring %s", g.Name, kw, text)
			}
			return
		}
		*slot = s.script()
	}
}

// validateSyncGroups is keepalived's sync group indexing: members must be
// existing instances, each in one group only; groups left without members
// are removed.
func validateSyncGroups(d *decoder) {
	known := map[string]bool{}
	for _, inst := range d.cfg.Instances {
		known[inst.Name] = true
	}
	inGroup := map[string]bool{}
	kept := d.cfg.SyncGroups[:0]
	for _, g := range d.cfg.SyncGroups {
		if len(g.Group) == 0 {
			d.errorf(g.Pos, ClassGeneral, "Sync group %s has no virtual router(s). removing", g.Name)
			continue
		}
		g.Members = nil
		for _, name := range g.Group {
			switch {
			case !known[name]:
				d.errorf(g.Pos, ClassGeneral, "Virtual router %s specified in sync group %s doesn't exist - ignoring", name, g.Name)
			case inGroup[name]:
				d.errorf(g.Pos, ClassGeneral, "Virtual router %s cannot exist in more than one sync group; ignoring %s", name, g.Name)
			default:
				inGroup[name] = true
				g.Members = append(g.Members, name)
			}
		}
		if len(g.Members) == 0 {
			d.errorf(g.Pos, ClassGeneral, "Sync group %s, no matching virtual router found in group declaration - removing", g.Name)
			continue
		}
		if len(g.Members) == 1 {
			d.errorf(g.Pos, ClassGeneral, "Sync group %s has only 1 virtual router(s) - this probably isn't what you want", g.Name)
		}
		kept = append(kept, g)
	}
	for i := len(kept); i < len(d.cfg.SyncGroups); i++ {
		d.cfg.SyncGroups[i] = nil
	}
	d.cfg.SyncGroups = kept
}
