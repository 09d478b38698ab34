package parser

// Tracking entries are the lines of the track_interface, track_script,
// track_file, track_process and track_bfd blocks of a vrrp_instance or a
// vrrp_sync_group (config-keywords §11.5):
//
//	NAME [weight W [reverse|noreverse]]
//
// keepalived resolves NAME while it parses, against the objects defined so
// far in the file, so a vrrp_script written after the instance that tracks it
// is "not found". These functions do the same by looking at what the decoder
// has already put in Config.

// trackKind says which kind of object a tracking block refers to; it selects
// the lookup, the weight range and keepalived's wording.
type trackKind int

const (
	trackInterface trackKind = iota // track_interface: a network interface
	trackScript                     // track_script: a vrrp_script
	trackFile                       // track_file: a track_file block
	trackProcess                    // track_process: a vrrp_track_process
	trackBFD                        // track_bfd: a bfd_instance
)

// TrackEntry is one tracked object of an instance or a sync group.
type TrackEntry struct {
	// Name is the interface, vrrp_script, track_file, vrrp_track_process or
	// bfd_instance name.
	Name string `json:"name"`
	// Weight is the entry's `weight W`, or the tracked object's own weight
	// (0 for interfaces) when the line gives none.
	Weight int `json:"weight"`
	// Reverse is `reverse` (or the object's own reverse flag); `noreverse`
	// clears an inherited one.
	Reverse bool `json:"reverse,omitempty"`
	// WeightSet tells that the line itself gave `weight`, which is what
	// keepalived's owner and sync-group rules look at.
	WeightSet bool `json:"weight_set,omitempty"`
	Pos       Pos  `json:"pos"`
}

// trackRule is what differs between the five kinds: keepalived's five
// allocation functions are copies of one another with small differences in
// range, wording and in what a bad option does to the entry.
type trackRule struct {
	noun string // "track script" etc., in "(%s) <noun> %s not found"
	// min and max bound `weight`; fold254 accepts ±254 and turns it into
	// ±253 with an error (interfaces and scripts).
	min, max int64
	fold254  bool
	// noreverse is accepted as the 4th word.
	noreverse bool
	// badOptionDrops: an unknown 4th word drops the entry instead of only
	// being reported (files and BFD).
	badOptionDrops bool
}

var trackRules = [...]trackRule{
	trackInterface: {noun: "track_interface", min: -254, max: 254, fold254: true},
	trackScript:    {noun: "track_script", min: -254, max: 254, fold254: true, noreverse: true},
	trackFile:      {noun: "track_file", min: -254, max: 254, noreverse: true, badOptionDrops: true},
	trackProcess:   {noun: "track_process", min: -254, max: 254, noreverse: true},
	trackBFD:       {noun: "track_bfd", min: -253, max: 253, noreverse: true, badOptionDrops: true},
}

// parseTrackEntries reads a tracking value block for the vrrp_instance being
// decoded. Like keepalived (which takes the last instance of its list), it
// names the last element of Config.Instances in its messages, so the caller
// must append the instance before decoding its body. Duplicates are detected
// within this block only; a caller that lets a block appear twice should use
// appendTrackEntries with the entries it already has.
func parseTrackEntries(s *stmt, kind trackKind) []*TrackEntry {
	owner := ""
	if n := len(s.d.cfg.Instances); n > 0 {
		owner = s.d.cfg.Instances[n-1].Name
	}
	return appendTrackEntries(s, kind, owner, nil)
}

// appendTrackEntries reads a tracking value block owned by the instance or
// sync group named owner and appends its valid entries to have, reporting
// duplicates of entries already there as keepalived does.
func appendTrackEntries(s *stmt, kind trackKind, owner string, have []*TrackEntry) []*TrackEntry {
	return appendTrackLines(s.entries(), kind, owner, have)
}

// appendTrackLines is appendTrackEntries for lines already taken out of
// their block, as a vrrp_instance keeps them until validation.
func appendTrackLines(lines []*stmt, kind trackKind, owner string, have []*TrackEntry) []*TrackEntry {
	for _, e := range lines {
		if te := parseTrackEntry(e, kind, owner, have); te != nil {
			have = append(have, te)
		}
	}
	return have
}

// parseTrackEntry reads one line; nil means keepalived ignores the line.
func parseTrackEntry(e *stmt, kind trackKind, owner string, have []*TrackEntry) *TrackEntry {
	rule := trackRules[kind]
	name := e.Keyword()
	te := &TrackEntry{Name: name, Pos: e.Pos()}
	if !e.d.resolveTracked(e, kind, owner, te) {
		return nil
	}
	for _, h := range have {
		if h.Name == name {
			e.Errorf(ClassGeneral, "(%s) duplicate %s %s - ignoring", owner, rule.noun, name)
			return nil
		}
	}
	if e.NArgs() == 0 {
		return te
	}
	if opt, _ := e.Arg(1); opt != "weight" {
		e.ErrorAt(1, ClassGeneral, "(%s) %s", owner, unknownTrackOption(kind, name, opt))
		return nil
	}
	if e.NArgs() == 1 {
		e.ErrorAt(1, ClassGeneral, "(%s) weight without value specified for %s %s - ignoring", owner, trackNoun(kind), name)
		return nil
	}
	text, _ := e.Arg(2)
	if w, ok := e.parseInt(2, text, rule.min, rule.max, 10); !ok {
		e.ErrorAt(2, ClassGeneral, "(%s) %s", owner, badTrackWeight(kind, name, text))
	} else {
		if rule.fold254 && (w == 254 || w == -254) {
			e.ErrorAt(2, ClassGeneral, "(%s) weight for %s cannot be +/-254. Setting to +/-253", owner, name)
			w /= 254
			w *= 253
		}
		te.Weight = int(w)
		te.WeightSet = true
	}
	if opt, ok := e.Arg(3); ok {
		switch {
		case opt == "reverse":
			te.Reverse = true
		case opt == "noreverse" && rule.noreverse:
			te.Reverse = false
		default:
			e.ErrorAt(3, ClassGeneral, "(%s) %s", owner, unknownTrackWeightOption(kind, name, opt))
			if rule.badOptionDrops {
				return nil
			}
		}
	}
	return te
}

// resolveTracked finds the object an entry names and fills in its default
// weight; it reports and returns false when keepalived would not find it.
// keepalived looks names up while parsing, so an object defined after the
// entry is not found even when validation (which reads a vrrp_instance's
// entries) already has it.
func (d *decoder) resolveTracked(e *stmt, kind trackKind, owner string, te *TrackEntry) bool {
	name := te.Name
	at := -1
	before := func(p Pos) bool {
		if at < 0 {
			at = d.lineIndex(te.Pos)
		}
		return d.lineIndex(p) < at
	}
	switch kind {
	case trackInterface:
		if lookupInterface(d, name) {
			return true
		}
		e.Errorf(ClassGeneral, "(%s) tracked interface %s doesn't exist", owner, name)
		return false
	case trackScript:
		for _, sc := range d.cfg.VRRPScripts {
			if sc.Name == name && before(sc.Pos) {
				te.Weight, te.Reverse = sc.Weight, sc.Reverse
				return true
			}
		}
	case trackFile:
		for _, tf := range d.cfg.TrackFiles {
			if tf.Name == name && before(tf.Pos) {
				te.Weight, te.Reverse = tf.Weight, tf.Reverse
				return true
			}
		}
	case trackProcess:
		for _, tp := range d.cfg.TrackProcesses {
			if tp.Name == name && before(tp.Pos) {
				te.Weight, te.Reverse = tp.Weight, tp.Reverse
				return true
			}
		}
	case trackBFD:
		for _, b := range d.cfg.BFDInstances {
			if b.Name == name && b.vrrpKnows() && before(b.Pos) {
				te.Weight, te.Reverse = b.Weight, b.Reverse
				return true
			}
		}
	}
	e.Errorf(ClassGeneral, "(%s) %s %s not found, ignoring...", owner, trackNoun(kind), name)
	return false
}

// lineIndex is the place of a keyword in the whole configuration (across
// included files), or past the end when the position is unknown.
func (d *decoder) lineIndex(p Pos) int {
	for i := range d.src.Lines {
		l := &d.src.Lines[i]
		if len(l.Words) > 0 && l.Words[0].Pos == p {
			return i
		}
	}
	return len(d.src.Lines)
}

// deferTrackBlock keeps a vrrp_instance's track_script, track_file,
// track_process or track_bfd lines for resolveInstanceTracking, so that
// their messages come out in the VRRP pass's validation, as they always have.
func deferTrackBlock(kind trackKind) func(*stmt, *VRRPInstance) {
	return func(s *stmt, vi *VRRPInstance) {
		vi.trackLines[kind] = append(vi.trackLines[kind], s.entries()...)
	}
}

func resolveInstanceTracking(d *decoder, vi *VRRPInstance) {
	vi.TrackScripts = appendTrackLines(vi.trackLines[trackScript], trackScript, vi.Name, nil)
	vi.TrackFiles = appendTrackLines(vi.trackLines[trackFile], trackFile, vi.Name, nil)
	vi.TrackProcesses = appendTrackLines(vi.trackLines[trackProcess], trackProcess, vi.Name, nil)
	vi.TrackBFDs = appendTrackLines(vi.trackLines[trackBFD], trackBFD, vi.Name, nil)
}

// trackNoun is the object's name in keepalived's "not found" and "weight
// without value" messages.
func trackNoun(kind trackKind) string {
	switch kind {
	case trackInterface:
		return "track_interface"
	case trackScript:
		return "track script"
	case trackFile:
		return "track file"
	case trackProcess:
		return "track process"
	}
	return "track bfd"
}

// The three helpers below keep keepalived's wording, which differs per kind
// (including its "track_interace" misspelling).

func unknownTrackOption(kind trackKind, name, opt string) string {
	switch kind {
	case trackInterface:
		return "unknown track_interface " + name + " option " + opt + " - ignoring"
	case trackBFD:
		return "unknown track bfd " + name + " option " + opt + " - ignoring"
	}
	return "unknown " + trackNoun(kind) + " option " + opt + " - ignoring"
}

func badTrackWeight(kind trackKind, name, text string) string {
	switch kind {
	case trackInterface:
		return "weight " + text + " for " + name + " must be between [-253..253] inclusive. Ignoring..."
	case trackScript:
		return "track script " + name + ": weight must be between [-253..253] inclusive, ignoring..."
	case trackFile:
		return "weight for track file " + name + " must be in [-254..254] inclusive. Ignoring..."
	case trackProcess:
		return "weight for track process " + name + " must be in [-254..254] inclusive. Ignoring..."
	}
	return "weight for track bfd " + name + " must be in [-253..253] inclusive. Ignoring..."
}

func unknownTrackWeightOption(kind trackKind, name, opt string) string {
	switch kind {
	case trackInterface:
		return "unknown track_interace " + name + " weight option " + opt + " - ignoring"
	case trackScript:
		return "unknown track_script " + name + " weight option " + opt + " - ignoring"
	case trackFile:
		return "unknown track file " + name + " weight option " + opt + " - ignoring"
	case trackProcess:
		return "unknown track_process " + name + " weight option " + opt + " - ignoring"
	}
	return "unknown track bfd " + name + " weight option " + opt + " - ignoring"
}
