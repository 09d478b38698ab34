package parser

// VRRPScript is a vrrp_script block: a command run periodically whose exit
// status adjusts the priority of the instances that track it.
type VRRPScript struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Script is `script`: only its first word is the command line, split
	// shell-like into argv.
	Script *Script `json:"script"`
	// Interval is `interval` in whole seconds, default 1.
	Interval Micros `json:"interval"`
	// Timeout is `timeout` in whole seconds; zero means the interval.
	Timeout Micros `json:"timeout,omitempty"`
	// Weight is `weight`, -253..253, default 0 (failure means FAULT).
	Weight int `json:"weight"`
	// Reverse is weight's `reverse` option.
	Reverse bool `json:"reverse,omitempty"`
	// Rise and Fall are `rise` and `fall`, default 1.
	Rise uint `json:"rise"`
	Fall uint `json:"fall"`
	// User and Group are `user USER [GROUP]`; empty means the default
	// script user.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// UserPos is where `user` was given.
	UserPos Pos `json:"-"`
	// InitFail is `init_fail`: the script starts in the failed state.
	InitFail bool `json:"init_fail,omitempty"`
}

// weightReverse reads the word after a tracked object's `weight W`: only
// `reverse` is known. what leads keepalived's message for another word.
func (s *stmt) weightReverse(reverse *bool, what, name string) {
	switch opt, ok := s.Arg(2); {
	case !ok:
	case opt == "reverse":
		*reverse = true
	default:
		s.ErrorAt(2, ClassGeneral, "%s %s unknown weight option %s", what, name, opt)
	}
}

// maxScriptSeconds is keepalived's UINT_MAX / TIMER_HZ.
const maxScriptSeconds = 4294

func decodeVRRPScript(s *stmt, c *Config) {
	name, ok := s.Need(1)
	if !ok {
		return
	}
	vs := &VRRPScript{Name: name, Pos: s.Pos(), Interval: 1000000, Rise: 1, Fall: 1}
	decodeBlock(s.d, s.Body(), vrrpScriptKeywords, vs)
	if vs.Script == nil {
		s.Errorf(ClassGeneral, "No script set for vrrp_script %s - removing", name)
		return
	}
	// keepalived names the script in its security messages and gives it its
	// default user at the block's closing brace.
	vs.Script.Name = name
	if b := s.node.Body; b != nil {
		vs.Script.EndPos = s.d.src.Lines[b.Close].Pos
	}
	if vs.User != "" {
		// The script's own USER/GROUP slot is how the security pass learns
		// who runs it.
		vs.Script.User, vs.Script.Group = vs.User, vs.Group
		vs.Script.UserPos = vs.UserPos
	}
	c.VRRPScripts = append(c.VRRPScripts, vs)
}

var vrrpScriptKeywords = table[VRRPScript]{
	"script": {handle: func(s *stmt, vs *VRRPScript) {
		// keepalived reads the command only if there is one: a bare
		// `script` leaves the block without a script, not exit 2.
		if s.NArgs() == 0 {
			return
		}
		sc := s.script()
		if sc == nil || len(sc.Argv) == 0 {
			return
		}
		// A second `script` replaces the first, which then never runs and
		// must not reach the security check.
		if vs.Script != nil {
			s.d.forgetScript(vs.Script)
		}
		vs.Script = sc
	}},
	"interval": {handle: func(s *stmt, vs *VRRPScript) {
		v, ok := s.uintValue(1, 0, maxScriptSeconds)
		if !ok {
			if s.NArgs() > 0 {
				text, _ := s.Arg(1)
				s.ErrorAt(1, ClassGeneral, "(%s): vrrp script interval '%s' must be between 1 and %d - ignoring", vs.Name, text, maxScriptSeconds)
			}
			return
		}
		if v == 0 {
			s.ErrorAt(1, ClassGeneral, "(%s): vrrp script interval must be greater than 0, setting to 1", vs.Name)
			v = 1
		}
		vs.Interval = Micros(v * 1000000)
	}},
	"timeout": {handle: func(s *stmt, vs *VRRPScript) {
		v, ok := s.uintValue(1, 0, maxScriptSeconds)
		if !ok {
			if s.NArgs() > 0 {
				text, _ := s.Arg(1)
				s.ErrorAt(1, ClassGeneral, "(%s): vrrp script timeout '%s' invalid - ignoring", vs.Name, text)
			}
			return
		}
		if v == 0 {
			s.ErrorAt(1, ClassGeneral, "(%s): vrrp script timeout must be greater than 0, setting to 1", vs.Name)
			v = 1
		}
		vs.Timeout = Micros(v * 1000000)
	}},
	"weight": {handle: func(s *stmt, vs *VRRPScript) {
		text, ok := s.Need(1)
		if !ok {
			return
		}
		// keepalived 2.2.7 stores an out-of-range weight anyway; the spec
		// asks to keep the previous value instead (config-language §4.4).
		if v, ok := s.parseInt(1, text, -253, 253, 10); ok {
			vs.Weight = int(v)
		} else {
			s.ErrorAt(1, ClassGeneral, "vrrp_script %s weight %s must be in [-253, 253]", vs.Name, text)
		}
		s.weightReverse(&vs.Reverse, "vrrp_script", vs.Name)
	}},
	"rise": {handle: func(s *stmt, vs *VRRPScript) { vs.Rise = scriptCount(s, vs, "rise") }},
	"fall": {handle: func(s *stmt, vs *VRRPScript) { vs.Fall = scriptCount(s, vs, "fall") }},
	"user": {handle: func(s *stmt, vs *VRRPScript) {
		user, ok := s.Need(1)
		if !ok {
			return
		}
		vs.User = user
		vs.Group, _ = s.Arg(2)
		vs.UserPos = s.Pos()
	}},
	"init_fail": {handle: func(s *stmt, vs *VRRPScript) { vs.InitFail = true }},
}

// scriptCount reads rise or fall, which fall back to 1 when invalid.
func scriptCount(s *stmt, vs *VRRPScript, kw string) uint {
	text, ok := s.Need(1)
	if !ok {
		return 1
	}
	v, ok := s.parseUint(1, text, 1, 2147483647, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "(%s): vrrp script %s value '%s' invalid, defaulting to 1", vs.Name, kw, text)
		return 1
	}
	return uint(v)
}

// forgetScript drops a script recorded by s.script() that keepalived
// discarded later in the same block.
func (d *decoder) forgetScript(sc *Script) {
	for i, x := range d.scripts {
		if x == sc {
			d.scripts = append(d.scripts[:i], d.scripts[i+1:]...)
			return
		}
	}
}
