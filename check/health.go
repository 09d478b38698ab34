package check

import "github.com/gokeepalived/gokeepalived/parser"

// RSHealth is what the checkers concluded about one real server.
type RSHealth struct {
	// Alive is true when every checker of the server passes (or it has none).
	Alive bool
	// Weight is the weight to program; it starts as the configured weight and
	// MISC_CHECK's misc_dynamic may change it.
	Weight int
}

// Health is the checkers' view that the desired IPVS table is computed from.
// The scheduler implements it; the translation to the IPVS model reads it.
type Health interface {
	RealServer(vs *parser.VirtualServer, rs *parser.RealServer) RSHealth
	// QuorumUp reports whether the virtual server's quorum is met, with
	// keepalived's hysteresis already applied.
	QuorumUp(vs *parser.VirtualServer) bool
}
