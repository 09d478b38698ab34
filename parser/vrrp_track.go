package parser

// TrackedInterface is one track_interface entry.
type TrackedInterface struct {
	Pos  Pos    `json:"pos"`
	Name string `json:"name"`
	// Weight is `weight W` (-253..253); 0 means a down interface is a FAULT.
	Weight  int  `json:"weight"`
	Reverse bool `json:"reverse,omitempty"`
}

// TrackRef is one track_script, track_file, track_process or track_bfd
// entry. Names are resolved in validateVRRP, where the weight defaults to
// the tracked object's own.
type TrackRef struct {
	Pos     Pos    `json:"pos"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
	Reverse bool   `json:"reverse,omitempty"`

	// entry is the line, read again once the tracked object is known:
	// keepalived checks the name before the options.
	entry *stmt
}

func decodeTrackInterfaces(s *stmt, vi *VRRPInstance) {
	for _, e := range s.entries() {
		if t := parseTrackInterface(e, vi.Name, vi.TrackInterfaces); t != nil {
			vi.TrackInterfaces = append(vi.TrackInterfaces, t)
		}
	}
}

// parseTrackInterface is keepalived's alloc_track_if; owner names the
// instance or sync group in messages.
func parseTrackInterface(e *stmt, owner string, have []*TrackedInterface) *TrackedInterface {
	name := e.Keyword()
	if !lookupInterface(e.d, name) {
		e.Errorf(ClassGeneral, "(%s) tracked interface %s doesn't exist", owner, name)
		return nil
	}
	for _, t := range have {
		if t.Name == name {
			e.Errorf(ClassGeneral, "(%s) duplicate track_interface %s - ignoring", owner, name)
			return nil
		}
	}
	t := &TrackedInterface{Pos: e.Pos(), Name: name}
	if e.NArgs() >= 1 {
		if e.Word(1).Text != "weight" {
			e.ErrorAt(1, ClassGeneral, "(%s) unknown track_interface %s option %s - ignoring", owner, name, e.Word(1).Text)
			return nil
		}
		if e.NArgs() == 1 {
			e.ErrorAt(1, ClassGeneral, "(%s) weight without value specified for track_interface %s - ignoring", owner, name)
			return nil
		}
		w, ok := e.intValue(2, -254, 254)
		switch {
		case !ok:
			e.ErrorAt(2, ClassGeneral, "(%s) weight %s for %s must be between [-253..253] inclusive. Ignoring...", owner, e.Word(2).Text, name)
			w = 0
		case w == 254 || w == -254:
			e.ErrorAt(2, ClassGeneral, "(%s) weight for %s cannot be +/-254. Setting to +/-253", owner, name)
			w = w / 254 * 253
		}
		t.Weight = int(w)
		if e.NArgs() >= 3 {
			if e.Word(3).Text == "reverse" {
				t.Reverse = true
			} else {
				e.ErrorAt(3, ClassGeneral, "(%s) unknown track_interace %s weight option %s - ignoring", owner, name, e.Word(3).Text)
			}
		}
	}
	return t
}

// trackRefBlock decodes track_script/track_file/track_process/track_bfd:
// the lines are kept and read when validation resolves the names.
func trackRefBlock(kw string) func(*stmt, *VRRPInstance) {
	return func(s *stmt, vi *VRRPInstance) {
		list := trackList(vi, kw)
		for _, e := range s.entries() {
			*list = append(*list, &TrackRef{Pos: e.Pos(), Name: e.Keyword(), entry: e})
		}
	}
}

func trackList(vi *VRRPInstance, kw string) *[]*TrackRef {
	switch kw {
	case "track_script":
		return &vi.TrackScripts
	case "track_file":
		return &vi.TrackFiles
	case "track_process":
		return &vi.TrackProcesses
	}
	return &vi.TrackBFDs
}

// instanceTrackKind holds what differs between keepalived's four track allocators.
// The message formats take the owner, the tracked name and the offending
// word as %[1]s, %[2]s and %[3]s.
type instanceTrackKind struct {
	noun     string // "script", "file", "process", "bfd" in messages
	min, max int64
	clamp254 bool // ±254 accepted and changed to ±253
	// stopOnBadReverse drops the entry on an unknown reverse word.
	stopOnBadReverse bool
	badWeight        string
	badReverse       string
	badOption        string
}

var instanceTrackKinds = map[string]instanceTrackKind{
	"track_script": {noun: "script", min: -254, max: 254, clamp254: true,
		badWeight:  "(%[1]s) track script %[2]s: weight must be between [-253..253] inclusive, ignoring...",
		badReverse: "(%[1]s) unknown track_script %[2]s weight option %[3]s - ignoring",
		badOption:  "(%[1]s) unknown track script option %[3]s - ignoring"},
	"track_file": {noun: "file", min: -254, max: 254, stopOnBadReverse: true,
		badWeight:  "(%[1]s) weight for track file %[2]s must be in [-254..254] inclusive. Ignoring...",
		badReverse: "(%[1]s) unknown track file %[2]s weight option %[3]s - ignoring",
		badOption:  "(%[1]s) unknown track file option %[3]s - ignoring"},
	"track_process": {noun: "process", min: -254, max: 254,
		badWeight:  "(%[1]s) weight for track process %[2]s must be in [-254..254] inclusive. Ignoring...",
		badReverse: "(%[1]s) unknown track_process %[2]s weight option %[3]s - ignoring",
		badOption:  "(%[1]s) unknown track process option %[3]s - ignoring"},
	"track_bfd": {noun: "bfd", min: -253, max: 253, stopOnBadReverse: true,
		badWeight:  "(%[1]s) weight for track bfd %[2]s must be in [-253..253] inclusive. Ignoring...",
		badReverse: "(%[1]s) unknown track bfd %[2]s weight option %[3]s - ignoring",
		badOption:  "(%[1]s) unknown track bfd %[2]s option %[3]s - ignoring"},
}

// resolveTrackRefs checks one instance's list against the tracked objects
// that exist, in keepalived's order: name, duplicate, then options. It
// returns the entries keepalived keeps.
func resolveTrackRefs(d *decoder, owner, kw string, refs []*TrackRef) []*TrackRef {
	k := instanceTrackKinds[kw]
	var out []*TrackRef
	for _, r := range refs {
		e := r.entry
		weight, reverse, found := trackedDefaults(d, kw, r)
		if !found {
			d.errorf(r.Pos, ClassGeneral, "(%s) track %s %s not found, ignoring...", owner, k.noun, r.Name)
			continue
		}
		dup := false
		for _, o := range out {
			if o.Name == r.Name {
				dup = true
			}
		}
		if dup {
			d.errorf(r.Pos, ClassGeneral, "(%s) duplicate %s %s - ignoring", owner, kw, r.Name)
			continue
		}
		if e != nil && e.NArgs() >= 1 {
			if e.Word(1).Text != "weight" {
				e.ErrorAt(1, ClassGeneral, k.badOption, owner, r.Name, e.Word(1).Text)
				continue
			}
			if e.NArgs() == 1 {
				e.ErrorAt(1, ClassGeneral, "(%s) weight without value specified for track %s %s - ignoring", owner, k.noun, r.Name)
				continue
			}
			if w, ok := e.intValue(2, k.min, k.max); !ok {
				e.ErrorAt(2, ClassGeneral, k.badWeight, owner, r.Name, "")
			} else if k.clamp254 && (w == 254 || w == -254) {
				e.ErrorAt(2, ClassGeneral, "(%s) weight for %s cannot be +/-254. Setting to +/-253", owner, r.Name)
				weight = int(w / 254 * 253)
			} else {
				weight = int(w)
			}
			if e.NArgs() >= 3 {
				switch e.Word(3).Text {
				case "reverse":
					reverse = true
				case "noreverse":
					reverse = false
				default:
					e.ErrorAt(3, ClassGeneral, k.badReverse, owner, r.Name, e.Word(3).Text)
					if k.stopOnBadReverse {
						continue
					}
				}
			}
		}
		r.Weight, r.Reverse = weight, reverse
		out = append(out, r)
	}
	return out
}

// trackedDefaults finds the tracked object a reference names and returns
// its default weight. keepalived looks names up while parsing, so an
// object defined after the instance is not found.
func trackedDefaults(d *decoder, kw string, r *TrackRef) (weight int, reverse, found bool) {
	before := func(p Pos) bool { return d.lineIndex(p) < d.lineIndex(r.Pos) }
	switch kw {
	case "track_script":
		for _, o := range d.cfg.VRRPScripts {
			if o.Name == r.Name && before(o.Pos) {
				return o.Weight, false, true
			}
		}
	case "track_file":
		for _, o := range d.cfg.TrackFiles {
			if o.Name == r.Name && before(o.Pos) {
				return o.Weight, false, true
			}
		}
	case "track_process":
		for _, o := range d.cfg.TrackProcesses {
			if o.Name == r.Name && before(o.Pos) {
				return o.Weight, false, true
			}
		}
	case "track_bfd":
		for _, o := range d.cfg.BFDInstances {
			if o.Name == r.Name && before(o.Pos) {
				return o.Weight, false, true
			}
		}
	}
	return 0, false, false
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
