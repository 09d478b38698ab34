package parser

// script parses the statement as a script keyword (shell-like rules,
// optional USER [GROUP]) and records it for the security pass. It returns
// nil, after reporting, when keepalived would drop the line.
func (s *stmt) script() *Script {
	if _, ok := s.Need(1); !ok {
		return nil
	}
	sc, diags := ParseScriptLine(s.Text(), s.Pos())
	for _, diag := range diags {
		s.d.report(diag)
	}
	if sc == nil {
		return nil
	}
	s.d.scripts = append(s.d.scripts, sc)
	return sc
}
