package parser

import "math"

// miscKeywords is the body of MISC_CHECK: the timing group but no
// connection group (connect_timeout there is an unknown keyword).
var miscKeywords = checkerTable(false, table[Checker]{
	"misc_path": {handle: func(s *stmt, c *Checker) {
		// A bare misc_path is not a missing parameter for keepalived: the
		// block end reports that no path was given.
		if s.NArgs() == 0 {
			return
		}
		if sc := s.script(); sc != nil {
			sc.Checker = true
			c.Misc.Script = sc
		}
	}},
	"misc_timeout": {handle: func(s *stmt, c *Checker) {
		if v, ok := checkerUint(s, 0, math.MaxUint32/1000000, "Invalid misc_timeout value '%s'"); ok {
			c.Misc.Timeout = Micros(v * 1000000)
		}
	}},
	"misc_dynamic": {handle: func(s *stmt, c *Checker) { c.Misc.Dynamic = true }},
	"user": {handle: func(s *stmt, c *Checker) {
		user, ok := s.Arg(1)
		if !ok {
			s.Errorf(ClassGeneral, "No user specified for misc checker script %s", miscCmd(c))
			return
		}
		c.Misc.User = user
		c.Misc.Group, _ = s.Arg(2)
	}},
})

// miscCmd renders the command as keepalived's cmd_str does in messages.
func miscCmd(c *Checker) string {
	if c.Misc.Script == nil {
		return ""
	}
	return quoteArgv(c.Misc.Script.Argv)
}

func quoteArgv(argv []string) string {
	out := ""
	for i, a := range argv {
		if i > 0 {
			out += " "
		}
		out += "'" + a + "'"
	}
	return out
}

// miscEnd is keepalived's misc_end_handler. The user named by `user` is
// handed to the script so that the security pass resolves it with the
// script's other settings.
func miscEnd(s *stmt, rs *RealServer, c *Checker) []*Checker {
	sc := c.Misc.Script
	if sc == nil {
		s.Errorf(ClassGeneral, "No script path has been specified for MISC_CHECKER - skipping")
		return nil
	}
	if c.Misc.User != "" {
		sc.User, sc.Group = c.Misc.User, c.Misc.Group
	}
	return []*Checker{c}
}
