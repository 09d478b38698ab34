package parser

// PLACEHOLDER: owned by the checker work.

// Checker is one health-checker block of a real_server.
type Checker struct {
	Type string `json:"type"`
	Pos  Pos    `json:"pos"`
}

// checkerBlockKeywords are the checker blocks a real_server accepts.
var checkerBlockKeywords = table[RealServer]{}
