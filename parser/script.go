package parser

import "strings"

// TEMPORARY until branch `script` lands: the shapes the decoders use.

type Script struct {
	Pos         Pos
	Keyword     string
	Line        string
	Argv        []string
	User, Group string
	UID, GID    int
	Path        string
	Insecure    bool
	Disabled    bool
	Checker     bool
}

func ParseScriptLine(text string, pos Pos) (*Script, Diagnostics) {
	f := strings.Fields(text)
	sc := &Script{Pos: pos, Keyword: f[0], UID: -1, GID: -1}
	if len(f) > 1 {
		sc.Line = f[1]
		sc.Argv = []string{f[1]}
	}
	if len(f) > 2 {
		sc.User = f[2]
	}
	if len(f) > 3 {
		sc.Group = f[3]
	}
	return sc, nil
}
