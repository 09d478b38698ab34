package check

import "github.com/gokeepalived/gokeepalived/parser"

// InitialHealth is the checkers' view at start-up, before any check has
// run, as keepalived builds its first table: a real server is alive unless
// it is alpha and has checkers (an alpha server without checkers has none
// failing), its weight is the configured one, and the quorum is the result
// of the initial pass, live weight >= quorum + hysteresis (with
// keepalived's unsigned 32-bit sum).
type InitialHealth struct{}

var _ Health = InitialHealth{}

// RealServer reports the start-up state of rs.
func (InitialHealth) RealServer(_ *parser.VirtualServer, rs *parser.RealServer) RSHealth {
	return RSHealth{Alive: !rs.Alpha || len(rs.Checkers) == 0, Weight: int(rs.Weight)}
}

// QuorumUp is the initial quorum pass.
func (h InitialHealth) QuorumUp(vs *parser.VirtualServer) bool {
	var live int64
	for _, rs := range vs.RealServers {
		if st := h.RealServer(vs, rs); st.Alive {
			live += int64(clampWeight(st.Weight))
		}
	}
	return live >= int64(vs.Quorum+vs.Hysteresis)
}
