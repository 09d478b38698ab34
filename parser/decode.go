package parser

import (
	"fmt"
	"strings"
)

// keyword describes how one keyword of one block is decoded into T.
type keyword[T any] struct {
	handle func(s *stmt, t *T)
	// kind says what may follow the keyword line: nothing, a block of
	// sub-keywords, or a value block whose lines are data.
	kind blockKind
	// pass is the keepalived process that parses this keyword; only root
	// keywords set it, blocks inherit it.
	pass Pass
}

type blockKind int

const (
	plainKeyword blockKind = iota
	subBlock               // `name { sub_keyword ... }`
	valueBlock             // `name { data lines }`
)

// table maps the keywords of one block to their handlers. Tables are
// read-only after package initialisation.
type table[T any] map[string]keyword[T]

// decoder turns an AST into a Config. One decoder serves one parse.
type decoder struct {
	src   *Source
	cfg   *Config
	opts  *Options
	diags Diagnostics
	pass  Pass
	seq   int
	// scripts collects every script keyword for the security pass.
	scripts []*Script
}

// stmt is the view a handler gets of one statement: its words with their
// quoting and positions, and its block if it has one.
type stmt struct {
	d    *decoder
	node *Node
	line *Line
}

func (d *decoder) stmt(n *Node) *stmt {
	return &stmt{d: d, node: n, line: &d.src.Lines[n.Line]}
}

// Keyword is the statement's first word.
func (s *stmt) Keyword() string { return s.line.Words[0].Text }

// Pos is where the keyword was written.
func (s *stmt) Pos() Pos { return s.line.WordPos(0) }

// NArgs counts the words after the keyword.
func (s *stmt) NArgs() int { return len(s.line.Words) - 1 }

// Word returns word i (0 is the keyword), or nil past the end.
func (s *stmt) Word(i int) *Word {
	if i < 0 || i >= len(s.line.Words) {
		return nil
	}
	return &s.line.Words[i]
}

// Arg returns word i (1 is the first argument) and whether it exists.
func (s *stmt) Arg(i int) (string, bool) {
	if w := s.Word(i); w != nil {
		return w.Text, true
	}
	return "", false
}

// ArgPos is where word i was written, or the keyword's position past the end.
func (s *stmt) ArgPos(i int) Pos {
	if i >= 0 && i < len(s.line.Words) {
		return s.line.WordPos(i)
	}
	return s.Pos()
}

// Args returns the words after the keyword as strings.
func (s *stmt) Args() []string {
	out := make([]string, 0, s.NArgs())
	for _, w := range s.line.Words[1:] {
		out = append(out, w.Text)
	}
	return out
}

// Text is the whole logical line, as script keywords re-parse it.
func (s *stmt) Text() string { return s.line.Text }

// Need returns argument i, or reports keepalived's missing-parameter
// condition, on which keepalived exits at once with status 2.
func (s *stmt) Need(i int) (string, bool) {
	if v, ok := s.Arg(i); ok {
		return v, true
	}
	s.d.report(Diagnostic{Pos: s.Pos(), Class: ClassMissingParameter, Terminal: true,
		Message: fmt.Sprintf("*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position %d",
			s.Keyword(), s.line.Words[i-1].Text, i+1)})
	return "", false
}

// Body returns the statement's block nodes (nil when it has none).
func (s *stmt) Body() []*Node {
	if s.node.Body == nil {
		return nil
	}
	return s.node.Body.Nodes
}

// HasBody tells whether a block followed the keyword line.
func (s *stmt) HasBody() bool { return s.node.Body != nil }

// Errorf reports a keepalived config error at the keyword.
func (s *stmt) Errorf(class Class, format string, args ...any) {
	s.d.report(Diagnostic{Pos: s.Pos(), Class: class, Message: fmt.Sprintf(format, args...)})
}

// ErrorAt reports a keepalived config error at word i.
func (s *stmt) ErrorAt(i int, class Class, format string, args ...any) {
	s.d.report(Diagnostic{Pos: s.ArgPos(i), Class: class, Message: fmt.Sprintf(format, args...)})
}

// Warnf reports a keepalived config error that keepalived words as a
// warning; the class still decides the exit code.
func (s *stmt) Warnf(class Class, format string, args ...any) {
	s.d.report(Diagnostic{Pos: s.Pos(), Severity: SeverityWarning, Class: class, Message: fmt.Sprintf(format, args...)})
}

// Logf reports what keepalived only logs: it is shown but does not change
// keepalived's exit code.
func (s *stmt) Logf(format string, args ...any) {
	s.d.report(Diagnostic{Pos: s.Pos(), Severity: SeverityNote, Message: fmt.Sprintf(format, args...)})
}

// Lintf reports one of gokeepalived's own checks, which keepalived does not
// make; it changes the exit code only under --strict.
func (s *stmt) Lintf(format string, args ...any) {
	s.d.report(Diagnostic{Pos: s.Pos(), Severity: SeverityWarning, Own: true, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) report(diag Diagnostic) {
	diag.pass = d.pass
	diag.seq = d.seq
	if diag.Class == ClassNone && diag.Severity == SeverityError && !diag.Own {
		diag.Severity = SeverityNote
	}
	d.diags = append(d.diags, diag)
}

// errorf reports a validation error, which keepalived prints without a
// position; gokeepalived points at the block it concerns when it can.
func (d *decoder) errorf(at Pos, class Class, format string, args ...any) {
	d.report(Diagnostic{Pos: at, Class: class, Message: fmt.Sprintf(format, args...)})
}

// warnf is errorf with keepalived's warning wording.
func (d *decoder) warnf(at Pos, class Class, format string, args ...any) {
	d.report(Diagnostic{Pos: at, Severity: SeverityWarning, Class: class, Message: fmt.Sprintf(format, args...)})
}

// logf reports what keepalived only logs (no effect on the exit code).
func (d *decoder) logf(at Pos, format string, args ...any) {
	d.report(Diagnostic{Pos: at, Severity: SeverityNote, Message: fmt.Sprintf(format, args...)})
}

// lintf reports one of gokeepalived's own checks.
func (d *decoder) lintf(at Pos, format string, args ...any) {
	d.report(Diagnostic{Pos: at, Severity: SeverityWarning, Own: true, Message: fmt.Sprintf(format, args...)})
}

// blockName is the name of a block that keepalived keeps once per name
// (vrrp_instance, vrrp_sync_group, track_group): false means the block is
// skipped, after noName or dupFormat (which takes the name) is reported.
func blockName[T any](s *stmt, have []*T, nameOf func(*T) string, noName, dupFormat string) (string, bool) {
	if s.NArgs() != 1 {
		s.Errorf(ClassGeneral, "%s", noName)
		return "", false
	}
	name := s.Word(1).Text
	for _, x := range have {
		if nameOf(x) == name {
			s.Errorf(ClassGeneral, dupFormat, name)
			return "", false
		}
	}
	return name, true
}

// decodeBlock dispatches each statement of a block through its table, with
// keepalived's rules for unknown keywords and misplaced braces.
func decodeBlock[T any](d *decoder, nodes []*Node, tbl table[T], t *T) {
	for _, n := range nodes {
		if n.Orphan != nil {
			d.seq = n.Orphan.Open
			d.report(Diagnostic{Pos: d.src.Lines[n.Orphan.Open].Pos,
				Class: ClassUnexpectedBOB, Message: "Unexpected '{' - ignoring"})
			decodeBlock(d, n.Orphan.Nodes, tbl, t)
			continue
		}
		d.seq = n.Line
		s := d.stmt(n)
		kw, ok := tbl[s.Keyword()]
		if !ok {
			s.Errorf(ClassUnknownKeyword, "Unknown keyword '%s'", s.Keyword())
			decodeStrayBody(d, s, tbl, t)
			continue
		}
		switch kw.kind {
		case subBlock:
			if !s.HasBody() {
				s.Errorf(ClassMissingBOB, "Missing '{' at beginning of configuration block")
			}
		case valueBlock:
			if !s.HasBody() {
				if s.NArgs() > 0 {
					s.Errorf(ClassGeneral, "Block %s has extra parameters %s ...", s.Keyword(), s.Word(1).Text)
				} else {
					s.Logf("'{' missing from beginning of block %s", s.Keyword())
				}
			} else if s.NArgs() > 0 {
				s.Errorf(ClassGeneral, "Block %s has extra parameters %s ...", s.Keyword(), s.Word(1).Text)
			}
		}
		prev := d.pass
		if kw.pass != PassParent {
			d.pass = kw.pass
		}
		kw.handle(s, t)
		lintSwallowedKeyword(s, tbl)
		d.pass = prev
		if kw.kind == plainKeyword {
			decodeStrayBody(d, s, tbl, t)
		}
	}
}

// lintSwallowedKeyword spots a keyword that keepalived would swallow as
// an extra argument of another on the same line (`auth_type PASS auth_pass
// 1111`, `virtual_router_id 51 priority 200`): keepalived silently ignores
// it. This is one of gokeepalived's own checks.
func lintSwallowedKeyword[T any](s *stmt, tbl table[T]) {
	for i := 1; i <= s.NArgs(); i++ {
		w := s.Word(i)
		if w.Quoted || w.Text == s.Keyword() {
			continue
		}
		if kw, ok := tbl[w.Text]; ok && kw.kind == plainKeyword {
			s.d.report(Diagnostic{Pos: s.ArgPos(i), Severity: SeverityWarning, Own: true,
				Message: "keyword '" + w.Text + "' is an extra argument of '" + s.Keyword() + "' on the same line and is ignored; put it on a line of its own"})
			return
		}
	}
}

// decodeStrayBody handles a block after a keyword that takes none:
// keepalived ignores the '{' and reads the lines inside as part of the
// enclosing block.
func decodeStrayBody[T any](d *decoder, s *stmt, tbl table[T], t *T) {
	if !s.HasBody() {
		return
	}
	d.seq = s.node.Body.Open
	d.report(Diagnostic{Pos: d.src.Lines[s.node.Body.Open].Pos, Class: ClassUnexpectedBOB,
		Message: "Unexpected '{' - ignoring"})
	decodeBlock(d, s.node.Body.Nodes, tbl, t)
}

// entries returns the data lines of a value block, one statement each.
func (s *stmt) entries() []*stmt {
	out := make([]*stmt, 0, len(s.Body()))
	for _, n := range s.Body() {
		if n.Orphan != nil {
			out = append(out, s.d.flatten(n.Orphan.Nodes)...)
			continue
		}
		out = append(out, s.d.stmt(n))
		if n.Body != nil {
			out = append(out, s.d.flatten(n.Body.Nodes)...)
		}
	}
	return out
}

func (d *decoder) flatten(nodes []*Node) []*stmt {
	var out []*stmt
	for _, n := range nodes {
		if n.Orphan != nil {
			out = append(out, d.flatten(n.Orphan.Nodes)...)
			continue
		}
		out = append(out, d.stmt(n))
		if n.Body != nil {
			out = append(out, d.flatten(n.Body.Nodes)...)
		}
	}
	return out
}

// words returns every word of every line of a value block, for the blocks
// keepalived reads as a flat list (notification_email, group, interfaces).
func (s *stmt) words() []placedWord {
	var out []placedWord
	for _, e := range s.entries() {
		for i, w := range e.line.Words {
			out = append(out, placedWord{Text: w.Text, Pos: e.line.WordPos(i)})
		}
	}
	return out
}

// placedWord is a word of a block's entries with its own position.
type placedWord struct {
	Text string
	Pos  Pos
}

// quote renders a value for a message the way keepalived prints it.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
