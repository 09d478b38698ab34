package parser

// FILE_CHECK and BFD_CHECK follow state kept elsewhere (a track_file, a
// bfd_instance), so they have neither the timing nor the connection group.
// keepalived looks the name up while parsing, among the blocks read so far:
// a track_file or bfd_instance written after the checker is not found.

var fileKeywords = table[Checker]{
	"track_file": {handle: func(s *stmt, c *Checker) {
		name, ok := s.Need(1)
		if !ok {
			return
		}
		tf := findTrackFile(s.d.cfg, name)
		if tf == nil {
			s.Errorf(ClassGeneral, "track_file %s not found", name)
			return
		}
		c.File.TrackFile, c.File.track = name, tf
	}},
	"weight": {handle: func(s *stmt, c *Checker) {
		if s.NArgs() == 0 {
			s.Errorf(ClassGeneral, "track file weight missing")
			return
		}
		text, _ := s.Arg(1)
		w, ok := s.parseInt(1, text, -ipvsWeightLimit, ipvsWeightLimit, 10)
		if !ok {
			s.Errorf(ClassGeneral, "weight for track file must be in [%d..%d] inclusive. Ignoring...", -ipvsWeightLimit, ipvsWeightLimit)
			return
		}
		reverse := false
		if opt, ok := s.Arg(2); ok {
			switch opt {
			case "reverse":
				reverse = true
			case "noreverse":
			default:
				s.Errorf(ClassGeneral, "unknown track file weight option %s - ignoring", opt)
				return
			}
		}
		c.File.Weight, c.File.Reverse, c.File.weightSet = int(w), reverse, true
	}},
}

func findTrackFile(cfg *Config, name string) *TrackFile {
	for _, tf := range cfg.TrackFiles {
		if tf.Name == name {
			return tf
		}
	}
	return nil
}

// fileEnd is keepalived's file_end_handler: without a known track_file the
// checker is dropped; without its own weight it takes the track_file's.
func fileEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if c.File.track == nil {
		s.Errorf(ClassGeneral, "FILE_CHECK has no track_file specified - ignoring")
		return nil
	}
	if !c.File.weightSet {
		c.File.Weight = c.File.track.Weight
	}
	return []*Checker{c}
}

var bfdCheckKeywords = table[Checker]{
	"name": {handle: func(s *stmt, c *Checker) {
		if c.BFD.dropped {
			return
		}
		fail := func(format string, args ...any) {
			s.Errorf(ClassGeneral, format, args...)
			c.BFD.dropped = true
		}
		name, _ := s.Arg(1)
		switch {
		case s.NArgs() != 1:
			fail("BFD_CHECK - No or too many names specified - skipping checker")
		case findBFDInstance(s.d.cfg, name) == nil:
			fail("BFD_CHECK - BFD %s not configured", name)
		case c.BFD.Name != "":
			fail("BFD_CHECK - BFD %s already specified as %s", name, c.BFD.Name)
		case len(name) > bfdNameMax:
			fail("BFD_CHECK - BFD name %s too long", name)
		default:
			c.BFD.Name = name
		}
	}},
	"alpha": {handle: func(s *stmt, c *Checker) {
		if c.BFD.dropped {
			return
		}
		if v, ok := checkerBool(s, "Invalid alpha parameter %s"); ok {
			c.Alpha, c.AlphaSet = v, true
		}
	}},
}

func findBFDInstance(cfg *Config, name string) *BFDInstance {
	for _, b := range cfg.BFDInstances {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// bfdEnd is keepalived's bfd_end_handler, with the name handler's check
// that the real server does not already follow that instance.
func bfdEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	if c.BFD.dropped {
		return nil
	}
	if c.BFD.Name == "" {
		s.Errorf(ClassGeneral, "No name has been specified for BFD_CHECKER - skipping")
		return nil
	}
	for _, other := range rs.Checkers {
		if other.BFD != nil && other.BFD.Name == c.BFD.Name {
			s.Errorf(ClassGeneral, "BFD_CHECK - RS already monitoring %s", c.BFD.Name)
			return nil
		}
	}
	return []*Checker{c}
}
