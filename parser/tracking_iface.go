package parser

// LinkbeatIface is one linkbeat_interfaces line: an interface whose link
// state is polled instead of taken from netlink.
type LinkbeatIface struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Type is MII, ETHTOOL or IOCTL; empty means the first that works.
	Type string `json:"type,omitempty"`
}

// InterfaceDelays is one interface_up_down_delays line.
type InterfaceDelays struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Down and Up debounce link changes, 0..255 s; an omitted up delay is 0.
	Down Micros `json:"down_delay"`
	Up   Micros `json:"up_delay"`
}

// TrackGroup is a track_group block: the instances that go to FAULT when a
// static address, route or rule naming the group cannot be restored.
type TrackGroup struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Group is the `group { ... }` block as written.
	Group []string `json:"group,omitempty"`
	// Members are the instances validation found.
	Members []string `json:"members,omitempty"`

	groupSet bool
}

// interfaceKnown is keepalived's interface lookup while parsing.
// dynamic_interfaces (which makes keepalived accept any name) is not yet
// visible to this package's Config; see the tracking branch notes.
func (d *decoder) interfaceKnown(name string) bool {
	return d.opts.Host.InterfaceExists(name)
}

func decodeLinkbeat(s *stmt, c *Config) {
	for _, e := range s.entries() {
		name := e.Keyword()
		if !s.d.interfaceKnown(name) {
			e.Errorf(ClassFatal, "unknown interface %s specified for linkbeat interface", name)
			continue
		}
		lb := &LinkbeatIface{Name: name, Pos: e.Pos()}
		if t, ok := e.Arg(1); ok {
			switch t {
			case "MII", "ETHTOOL", "IOCTL":
				lb.Type = t
			}
			if lb.Type == "" || e.NArgs() > 1 {
				e.ErrorAt(1, ClassGeneral, "extra characters %s in linkbeat interface", t)
			}
		}
		c.LinkbeatIfaces = append(c.LinkbeatIfaces, lb)
	}
}

func decodeUpDownDelays(s *stmt, c *Config) {
	for _, e := range s.entries() {
		name := e.Keyword()
		if !s.d.interfaceKnown(name) {
			e.Errorf(ClassFatal, "unknown interface %s specified for up/down delay", name)
			continue
		}
		if e.NArgs() == 0 {
			e.Logf("No timeouts specified for %s up/down delays", name)
			continue
		}
		if e.NArgs() > 2 {
			e.Logf("Too many parameters for %s up/down delays", name)
		}
		text, _ := e.Arg(1)
		down, ok := e.parseDecimal(1, text, 0, 255*1000000, 6)
		if !ok {
			e.Logf("Invalid down delay %s for %s", text, name)
			continue
		}
		var up uint64
		if text, ok := e.Arg(2); ok {
			if up, ok = e.parseDecimal(2, text, 0, 255*1000000, 6); !ok {
				e.Logf("Invalid up delay %s for %s", text, name)
				continue
			}
		}
		c.InterfaceDelays = append(c.InterfaceDelays, &InterfaceDelays{Name: name, Pos: e.Pos(), Down: Micros(down), Up: Micros(up)})
	}
}

func decodeTrackGroup(s *stmt, c *Config) {
	name, ok := blockName(s, c.TrackGroups, func(g *TrackGroup) string { return g.Name },
		"track_group must have a name - skipping", "track_group %s already defined")
	if !ok {
		return
	}
	g := &TrackGroup{Name: name, Pos: s.Pos()}
	c.TrackGroups = append(c.TrackGroups, g)
	decodeBlock(s.d, s.Body(), trackGroupKeywords, g)
}

var trackGroupKeywords = table[TrackGroup]{
	"group": {kind: valueBlock, handle: func(s *stmt, g *TrackGroup) {
		readGroupList(s, &g.groupSet, &g.Group, "track", g.Name)
	}},
}

// readGroupList reads the `group` block of a sync group or a track group
// (kind is "sync" or "track"). keepalived's track group handler is a copy
// of the sync group's, so a repeated block is a "sync group" in both.
func readGroupList(s *stmt, set *bool, group *[]string, kind, name string) {
	if *set {
		s.Errorf(ClassGeneral, "Group list already specified for sync group %s", name)
		return
	}
	*set = true
	for _, w := range s.words() {
		*group = append(*group, w.Text)
	}
	if len(*group) == 0 {
		s.Errorf(ClassGeneral, "Warning - %s group %s has empty group block", kind, name)
	}
}

// validateTrackGroups resolves the members; keepalived only logs what it
// drops here.
func validateTrackGroups(d *decoder) {
	known := map[string]bool{}
	for _, inst := range d.cfg.Instances {
		known[inst.Name] = true
	}
	kept := d.cfg.TrackGroups[:0]
	for _, g := range d.cfg.TrackGroups {
		if len(g.Group) == 0 {
			d.logf(g.Pos, "Static track group %s has no virtual router(s)", g.Name)
			d.logf(g.Pos, "Static track group %s init fails - removing", g.Name)
			continue
		}
		g.Members = nil
		for _, name := range g.Group {
			if !known[name] {
				d.logf(g.Pos, "vrrp instance %s specified in track group %s doesn't exist - ignoring", name, g.Name)
				continue
			}
			g.Members = append(g.Members, name)
		}
		if len(g.Members) == 0 {
			d.logf(g.Pos, "Static track group %s has no VRRP instance(s)", g.Name)
			d.logf(g.Pos, "Static track group %s init fails - removing", g.Name)
			continue
		}
		kept = append(kept, g)
	}
	for i := len(kept); i < len(d.cfg.TrackGroups); i++ {
		d.cfg.TrackGroups[i] = nil
	}
	d.cfg.TrackGroups = kept
}
