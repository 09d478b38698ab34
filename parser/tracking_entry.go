package parser

import "fmt"

// Tracking entries are the lines of the track_interface, track_script,
// track_file, track_process and track_bfd blocks of a vrrp_instance or a
// vrrp_sync_group (config-keywords §11.5):
//
//	NAME [weight W [reverse|noreverse]]
//
// keepalived resolves NAME while it parses, against the objects defined so
// far in the file, so a vrrp_script written after the instance that tracks it
// is "not found". These functions do the same by comparing where the object
// and the entry were written, so that a vrrp_instance's entries, which are
// read during validation to keep their messages where they have always been,
// see what a sync group's entries (read while parsing) see.

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
	noun string // "track_script" etc., in "(%s) duplicate <noun> %s"
	what string // "track script" etc., in "not found" and "weight without value"
	// min and max bound `weight`; fold254 accepts ±254 and turns it into
	// ±253 with an error (interfaces and scripts).
	min, max int64
	fold254  bool
	// noreverse is accepted as the 4th word.
	noreverse bool
	// badOptionDrops: an unknown 4th word drops the entry instead of only
	// being reported (files and BFD).
	badOptionDrops bool
	// keepalived's wording for an unknown 2nd word, a bad weight and an
	// unknown 4th word: %[1]s is the name, %[2]s the offending word. It
	// differs per kind, down to the "track_interace" misspelling.
	badOption, badWeight, badReverse string
}

var trackRules = [...]trackRule{
	trackInterface: {noun: "track_interface", what: "track_interface", min: -254, max: 254, fold254: true,
		badOption:  "unknown track_interface %[1]s option %[2]s - ignoring",
		badWeight:  "weight %[2]s for %[1]s must be between [-253..253] inclusive. Ignoring...",
		badReverse: "unknown track_interace %[1]s weight option %[2]s - ignoring"},
	trackScript: {noun: "track_script", what: "track script", min: -254, max: 254, fold254: true, noreverse: true,
		badOption:  "unknown track script option %[2]s - ignoring",
		badWeight:  "track script %[1]s: weight must be between [-253..253] inclusive, ignoring...",
		badReverse: "unknown track_script %[1]s weight option %[2]s - ignoring"},
	trackFile: {noun: "track_file", what: "track file", min: -254, max: 254, noreverse: true, badOptionDrops: true,
		badOption:  "unknown track file option %[2]s - ignoring",
		badWeight:  "weight for track file %[1]s must be in [-254..254] inclusive. Ignoring...",
		badReverse: "unknown track file %[1]s weight option %[2]s - ignoring"},
	trackProcess: {noun: "track_process", what: "track process", min: -254, max: 254, noreverse: true,
		badOption:  "unknown track process option %[2]s - ignoring",
		badWeight:  "weight for track process %[1]s must be in [-254..254] inclusive. Ignoring...",
		badReverse: "unknown track_process %[1]s weight option %[2]s - ignoring"},
	trackBFD: {noun: "track_bfd", what: "track bfd", min: -253, max: 253, noreverse: true, badOptionDrops: true,
		badOption:  "unknown track bfd %[1]s option %[2]s - ignoring",
		badWeight:  "weight for track bfd %[1]s must be in [-253..253] inclusive. Ignoring...",
		badReverse: "unknown track bfd %[1]s weight option %[2]s - ignoring"},
}

// reportf reports a message of the rule's about the entry name.
func (rule *trackRule) reportf(e *stmt, word int, owner, format, name, text string) {
	e.ErrorAt(word, ClassGeneral, "(%s) %s", owner, fmt.Sprintf(format, name, text))
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
		rule.reportf(e, 1, owner, rule.badOption, name, opt)
		return nil
	}
	if e.NArgs() == 1 {
		e.ErrorAt(1, ClassGeneral, "(%s) weight without value specified for %s %s - ignoring", owner, rule.what, name)
		return nil
	}
	text, _ := e.Arg(2)
	if w, ok := e.parseInt(2, text, rule.min, rule.max, 10); !ok {
		rule.reportf(e, 2, owner, rule.badWeight, name, text)
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
			rule.reportf(e, 3, owner, rule.badReverse, name, opt)
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
	e.Errorf(ClassGeneral, "(%s) %s %s not found, ignoring...", owner, trackRules[kind].what, name)
	return false
}

// lineIndex is the place of a keyword in the whole configuration (across
// included files), or past the end when the position is unknown.
func (d *decoder) lineIndex(p Pos) int {
	for i := range d.src.Lines {
		l := &d.src.Lines[i]
		if len(l.Words) > 0 && l.WordPos(0) == p {
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
