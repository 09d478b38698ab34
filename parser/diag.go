package parser

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in the text the user wrote. Line and Col count from 1; a
// zero Pos means the diagnostic is about the configuration as a whole.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity is how a diagnostic is printed; the exit code is chosen from the
// Class, as keepalived does.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
	SeverityNote
)

func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityNote:
		return "note"
	}
	return "error"
}

// MarshalText makes severities readable in --format=json.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Class mirrors keepalived 2.2.7's config_err_t (lib/parser.h). The order
// matters: keepalived keeps the class that comes last in this list, not the
// most severe one, and `-t` maps it to an exit code (see ExitCode).
type Class int

const (
	ClassNone Class = iota
	ClassFileNotFound
	ClassBadInterface
	ClassFatal
	ClassMultipleFiles
	ClassUnknownKeyword
	ClassUnexpectedBOB
	ClassMissingBOB
	ClassUnexpectedEOB
	ClassMissingEOB
	ClassUnmatchedQuote
	ClassMissingParameter
	ClassInvalidNumber
	ClassGeneral
	ClassWarning
	ClassDeprecated
	ClassSecurity
)

var classNames = [...]string{"none", "file-not-found", "bad-interface", "fatal", "multiple-files",
	"unknown-keyword", "unexpected-{", "missing-{", "unexpected-}", "missing-}", "unmatched-quote",
	"missing-parameter", "invalid-number", "general", "warning", "deprecated", "security"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// MarshalText makes classes readable in --format=json.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Pass is the keepalived process whose parse reports a diagnostic. keepalived
// -t parses as the parent, then as the checker, VRRP and BFD children; a
// condition that ends the run (a missing parameter, a failed checked include)
// ends it in the first pass that meets it.
type Pass int

const (
	PassParent Pass = iota
	PassChecker
	PassVRRP
	PassBFD
)

// Diagnostic is one problem found in a configuration, as data.
type Diagnostic struct {
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"severity"`
	Class    Class    `json:"class"`
	Message  string   `json:"message"`
	// Own marks gokeepalived's own lint checks: keepalived says nothing about
	// these, so they leave the exit code alone unless strict mode asks.
	Own bool `json:"gokeepalived,omitempty"`
	// Terminal marks a condition on which keepalived stops at once: a keyword
	// missing its parameter (exit 2) or a failed checked include (exit 6).
	Terminal bool `json:"terminal,omitempty"`

	pass Pass
	seq  int // order of the logical line within its pass
}

// Process is the keepalived process whose pass reports the diagnostic: the
// daemon logs each one in that process only.
func (d Diagnostic) Process() Pass { return d.pass }

func (d Diagnostic) String() string {
	var b strings.Builder
	if p := d.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Own {
		b.WriteString("[gokeepalived] ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is the list a parse produced, in the order they were found.
type Diagnostics []Diagnostic

// HasErrors tells whether any diagnostic would make keepalived -t fail.
func (ds Diagnostics) HasErrors() bool { return ExitCode(ds, false) != 0 }

// Sorted returns the diagnostics ordered by file position, keeping the order
// of discovery for those at the same place.
func (ds Diagnostics) Sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// Exit codes of keepalived 2.2.7's -t.
const (
	ExitOK               = 0
	ExitMissingParameter = 2
	ExitCannotRun        = 4
	ExitErrors           = 5
	ExitNoConfig         = 6 // also script security under -t
)

// ExitCode returns what keepalived 2.2.7 -t exits with for these diagnostics.
// A terminal condition wins, the first one in keepalived's pass order. Then
// the class that comes last in the Class order is kept and mapped: the first
// three classes give 4, security gives 6, anything else 5. gokeepalived's own
// lint checks count (as errors, 5) only when strict is set.
func ExitCode(ds Diagnostics, strict bool) int {
	var first *Diagnostic
	for i := range ds {
		d := &ds[i]
		if !d.Terminal {
			continue
		}
		if first == nil || d.pass < first.pass || (d.pass == first.pass && d.seq < first.seq) {
			first = d
		}
	}
	if first != nil {
		if first.Class == ClassMissingParameter {
			return ExitMissingParameter
		}
		return ExitNoConfig
	}
	highest := ClassNone
	for _, d := range ds {
		c := d.Class
		if d.Own {
			if !strict || d.Severity == SeverityNote {
				continue
			}
			c = ClassGeneral
		}
		if c > highest {
			highest = c
		}
	}
	switch {
	case highest == ClassNone:
		return ExitOK
	case highest <= ClassFatal:
		return ExitCannotRun
	case highest == ClassSecurity:
		return ExitNoConfig
	}
	return ExitErrors
}
