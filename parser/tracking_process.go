package parser

// TrackProcess is a vrrp_track_process block: the presence of a process,
// counted between a quorum and a maximum, adjusts the priority of the
// instances that track it.
type TrackProcess struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Process is `process NAME`: matched against /proc/PID/comm, or the
	// command line when Params are given or FullCommand is set.
	Process string `json:"process"`
	// Params are the arguments after the process name.
	Params []string `json:"params,omitempty"`
	// ParamMatch is `param_match`: "exact" (the keyword alone, or implied by
	// Params), "initial" or "partial"; empty when not set.
	ParamMatch string `json:"param_match,omitempty"`
	// Weight is `weight`, -254..254, default 0.
	Weight int `json:"weight"`
	// Reverse is weight's `reverse` option.
	Reverse bool `json:"reverse,omitempty"`
	// Quorum and QuorumMax are `quorum` (default 1) and `quorum_max`
	// (default unlimited, 4294967295); quorum_max 0 means must not run.
	Quorum    uint `json:"quorum"`
	QuorumMax uint `json:"quorum_max"`
	// TerminateDelay and ForkDelay are `terminate_delay` and `fork_delay`;
	// `delay` sets both.
	TerminateDelay Micros `json:"terminate_delay,omitempty"`
	ForkDelay      Micros `json:"fork_delay,omitempty"`
	// FullCommand is `full_command` (also implied by params and param_match).
	FullCommand bool `json:"full_command,omitempty"`
}

// quorumUnlimited is keepalived's UINT_MAX default for quorum_max.
const quorumUnlimited = 4294967295

func decodeTrackProcess(s *stmt, c *Config) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	tp := &TrackProcess{Name: name, Pos: s.Pos(), Quorum: 1, QuorumMax: quorumUnlimited}
	decodeBlock(s.d, s.Body(), trackProcessKeywords, tp)
	if tp.Process == "" {
		s.Errorf(ClassGeneral, "track process '%s' process name not specified", name)
		return
	}
	c.TrackProcesses = append(c.TrackProcesses, tp)
}

var trackProcessKeywords = table[TrackProcess]{
	"process": {handle: func(s *stmt, tp *TrackProcess) {
		path, ok := s.Need(1)
		if !ok {
			return
		}
		if tp.Process != "" {
			s.ErrorAt(1, ClassGeneral, "Process already set for track process %s - ignoring %s", tp.Name, path)
			return
		}
		tp.Process = path
		if s.NArgs() > 1 {
			tp.Params = s.Args()[1:]
			if tp.ParamMatch == "" {
				tp.ParamMatch = "exact"
			}
			tp.FullCommand = true
		}
	}},
	"param_match": {handle: func(s *stmt, tp *TrackProcess) {
		v, ok := s.Arg(1)
		switch {
		case !ok:
			tp.ParamMatch = "exact"
		case v == "initial" || v == "partial":
			tp.ParamMatch = v
		default:
			s.ErrorAt(1, ClassGeneral, "Invalid param_match type %s - ignoring", v)
			return
		}
		tp.FullCommand = true
	}},
	"weight": {handle: func(s *stmt, tp *TrackProcess) {
		text, ok := s.Arg(1)
		if !ok {
			s.Errorf(ClassGeneral, "No weight specified for track process %s - ignoring", tp.Name)
			return
		}
		if tp.Weight != 0 {
			s.ErrorAt(1, ClassGeneral, "Weight already set for track process %s - ignoring %s", tp.Name, text)
			return
		}
		v, ok := s.parseInt(1, text, -254, 254, 10)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "Weight (%s) for vrrp_track_process %s must be between [-254..254] inclusive. Ignoring...", text, tp.Name)
			return
		}
		s.weightReverse(&tp.Reverse, "vrrp_track_process", tp.Name)
		tp.Weight = int(v)
	}},
	"quorum": {handle: func(s *stmt, tp *TrackProcess) {
		text, ok := s.Need(1)
		if !ok {
			return
		}
		v, ok := s.parseUint(1, text, 1, 65535, 10)
		switch {
		case !ok:
			s.ErrorAt(1, ClassGeneral, "Quorum (%s) for vrrp_track_process %s must be between [1..65535] inclusive. Ignoring...", text, tp.Name)
		case uint(v) > tp.QuorumMax:
			s.ErrorAt(1, ClassGeneral, "Quorum is greater than quorum_max - ignoring")
		default:
			tp.Quorum = uint(v)
		}
	}},
	"quorum_max": {handle: func(s *stmt, tp *TrackProcess) {
		text, ok := s.Need(1)
		if !ok {
			return
		}
		v, ok := s.parseUint(1, text, 0, 65535, 10)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "quorum_max (%s) for vrrp_track_process %s must be between [0..65535] inclusive. Ignoring...", text, tp.Name)
			return
		}
		max := uint(v)
		// quorum_max 0 ("must not run") is allowed unless a quorum above 1
		// was set.
		if (max != 0 || tp.Quorum > 1) && max < tp.Quorum {
			s.ErrorAt(1, ClassGeneral, "quorum_max is less than quorum - ignoring")
			return
		}
		tp.QuorumMax = max
		if max == 0 {
			tp.Quorum = 0
		} else if tp.Quorum == 0 {
			tp.Quorum = 1
		}
	}},
	"delay":           {handle: processDelay("", true, true)},
	"terminate_delay": {handle: processDelay("terminate_", true, false)},
	"fork_delay":      {handle: processDelay("fork_", false, true)},
	"full_command":    {handle: func(s *stmt, tp *TrackProcess) { tp.FullCommand = true }},
}

func processDelay(prefix string, terminate, fork bool) func(*stmt, *TrackProcess) {
	return func(s *stmt, tp *TrackProcess) {
		text, ok := s.Need(1)
		if !ok {
			return
		}
		v, ok := s.parseDecimal(1, text, 1, 3600*1000000, 6)
		if !ok {
			s.ErrorAt(1, ClassGeneral, "%sdelay (%s) for vrrp_track_process %s must be between [0.000001..3600] inclusive. Ignoring...", prefix, text, tp.Name)
			return
		}
		if terminate {
			tp.TerminateDelay = Micros(v)
		}
		if fork {
			tp.ForkDelay = Micros(v)
		}
	}
}
