package parser

import (
	"strconv"
	"strings"
)

// TrackFile is a track_file (or deprecated vrrp_track_file) block: a file
// holding a number that adjusts the priority of the instances, or the
// weight of the real servers, that track it.
type TrackFile struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// File is `file PATH` (the first one wins).
	File string `json:"file"`
	// Weight is `weight`, -254..254, default 1.
	Weight int `json:"weight"`
	// Reverse is weight's `reverse` option.
	Reverse bool `json:"reverse,omitempty"`
	// InitFile is set by `init_file`: create the file with InitValue when
	// missing, or always when InitOverwrite (`overwrite`).
	InitFile      bool `json:"init_file,omitempty"`
	InitValue     int  `json:"init_value,omitempty"`
	InitOverwrite bool `json:"init_overwrite,omitempty"`
}

func decodeTrackFile(s *stmt, c *Config) {
	if s.Keyword() == "vrrp_track_file" {
		s.Logf(`"vrrp_track_file" is deprecated, please use "track_file"`)
	}
	name, ok := s.Need(1)
	if !ok {
		return
	}
	tf := &TrackFile{Name: name, Pos: s.Pos(), Weight: 1}
	decodeBlock(s.d, s.Body(), trackFileKeywords, tf)
	if tf.File == "" {
		s.Errorf(ClassGeneral, "No file set for track_file %s - ignoring", name)
		return
	}
	c.TrackFiles = append(c.TrackFiles, tf)
}

var trackFileKeywords = table[TrackFile]{
	"file": {handle: func(s *stmt, tf *TrackFile) {
		path, ok := s.Arg(1)
		switch {
		case !ok:
			s.Errorf(ClassGeneral, "track file file name missing")
		case tf.File != "":
			s.ErrorAt(1, ClassGeneral, "File already set for track file %s - ignoring %s", tf.Name, path)
		default:
			tf.File = path
		}
	}},
	"weight": {handle: func(s *stmt, tf *TrackFile) {
		text, ok := s.Arg(1)
		if !ok {
			s.Errorf(ClassGeneral, "No weight specified for track file %s - ignoring", tf.Name)
			return
		}
		// keepalived takes "weight already set" from the value differing
		// from the default, so `weight 1` may be repeated.
		if tf.Weight != 1 {
			s.ErrorAt(1, ClassGeneral, "Weight already set for track file %s - ignoring %s", tf.Name, text)
			return
		}
		if v, ok := s.parseInt(1, text, -254, 254, 10); ok {
			tf.Weight = int(v)
		} else {
			s.ErrorAt(1, ClassGeneral, "Weight (%s) for track_file %s must be between [-254..254] inclusive. Ignoring...", text, tf.Name)
		}
		s.weightReverse(&tf.Reverse, "track_file", tf.Name)
	}},
	"init_file": {handle: func(s *stmt, tf *TrackFile) {
		tf.InitFile, tf.InitValue = true, 0
		for i := 1; i <= s.NArgs(); i++ {
			word, _ := s.Arg(i)
			word = strings.TrimLeft(word, " \t")
			switch {
			case word != "" && (word[0] == '-' || (word[0] >= '0' && word[0] <= '9')):
				v, ok := s.parseInt(i, word, -2147483648, 2147483647, 10)
				if !ok {
					s.ErrorAt(i, ClassGeneral, "Track file %s init value %s is invalid", tf.Name, word)
					v = 0
				} else if v < -254 || v > 254 {
					s.ErrorAt(i, ClassGeneral, "Track file %s init value %s is outside sensible range [-254, 254]", tf.Name, strconv.FormatInt(v, 10))
				}
				tf.InitValue = int(v)
			case word == "overwrite":
				tf.InitOverwrite = true
			default:
				s.ErrorAt(i, ClassGeneral, "Unknown track file init option %s", word)
			}
		}
	}},
}
