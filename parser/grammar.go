package parser

import (
	"fmt"
	"io"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar is deliberately generic: a statement is a keyword, its
// arguments and an optional block. What a keyword means lives in the keyword
// tables (decode.go and the *_keywords.go files), never here, so one grammar
// serves every block of keepalived.conf.
//
// Line boundaries carry meaning in keepalived (one keyword per logical line),
// so the token stream encodes them by type: the first word of a logical line
// is a Keyword token, the others are Arg tokens, and braces are tokens of
// their own. Each token's Position.Offset is the index of its logical line in
// the Source, which is how the tree points back at words, quoting and the raw
// text that script keywords re-parse.

// AST is a parsed configuration.
type AST struct {
	Nodes []*Node `parser:"@@*"`
}

// Node is a statement with an optional block, or an orphan block: a "{" that
// no statement opened. keepalived reports the latter as "Unexpected '{'" and
// reads its contents in the enclosing block.
type Node struct {
	Keyword lexer.Token `parser:"( @Keyword"`
	Body    *Body       `parser:"  @@? )"`
	Orphan  *Body       `parser:"| @@"`
	// Line is the index of the statement's logical line in the Source.
	Line int
}

// Body is a brace-delimited block: "{" Node* "}". The top level of the
// configuration is parsed by participle from the grammar above; a block
// reaches it as one Block token (the lexer matches the braces, as lexers for
// nested templates do), and its inside is built by a hand-written loop over
// the lines. participle's reflective engine costs about 2 µs and 18
// allocations per logical line (measured: 200 ms for a 101k-line config),
// several times keepalived's whole parse. The declarative grammar for the
// inside of blocks, written out token per line, is refAST in
// grammar_ref_test.go; tests and a fuzz target check that both build the
// same tree.
type Body struct {
	// Open and Close are the line indices of the braces.
	Open, Close int
	Nodes       []*Node
}

var _ participle.Parseable = (*Body)(nil)

// Parse implements participle.Parseable: it takes a Block token. Its nodes
// are filled in by buildBody once participle is done.
func (b *Body) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tokBlock {
		return participle.NextMatch
	}
	b.Open = lex.Next().Pos.Offset
	return nil
}

// buildBody fills a block from the lines after its "{" up to the matching
// "}", which the reader guarantees exists. It returns the index of that "}".
func buildBody(lines []Line, b *Body) int {
	i := b.Open + 1
	for i < len(lines) {
		ln := &lines[i]
		switch {
		case ln.IsClose():
			b.Close = i
			return i
		case ln.IsOpen():
			n := &Node{Line: i, Orphan: &Body{Open: i}}
			i = buildBody(lines, n.Orphan) + 1
			b.Nodes = append(b.Nodes, n)
		default:
			n := &Node{Line: i, Keyword: keywordToken(ln, i)}
			i++
			if i < len(lines) && lines[i].IsOpen() {
				n.Body = &Body{Open: i}
				i = buildBody(lines, n.Body) + 1
			}
			b.Nodes = append(b.Nodes, n)
		}
	}
	b.Close = len(lines) - 1
	return b.Close
}

func keywordToken(ln *Line, idx int) lexer.Token {
	p := ln.WordPos(0)
	return lexer.Token{Type: tokKeyword, Value: ln.Words[0].Text,
		Pos: lexer.Position{Filename: p.File, Offset: idx, Line: p.Line, Column: p.Col}}
}

const (
	tokKeyword lexer.TokenType = -(iota + 2)
	tokArg
	tokOpen
	tokClose
	tokBlock
)

type lineLexerDefinition struct{}

func (lineLexerDefinition) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":     lexer.EOF,
		"Keyword": tokKeyword,
		"Arg":     tokArg,
		"Open":    tokOpen,
		"Close":   tokClose,
		"Block":   tokBlock,
	}
}

// Lex exists to satisfy lexer.Definition; the configuration is always lexed
// from a Source by the reader, never from raw bytes.
func (lineLexerDefinition) Lex(string, io.Reader) (lexer.Lexer, error) {
	return nil, fmt.Errorf("parser: the grammar reads preprocessed lines, not text")
}

// lineLexer turns a Source's logical lines into one token per line: the
// keyword of a statement line, or a brace. It is the lexer of the reference
// grammar.
type lineLexer struct {
	lines []Line
	line  int
}

func (l *lineLexer) Next() (lexer.Token, error) {
	if l.line >= len(l.lines) {
		return lexer.EOFToken(lexer.Position{Offset: len(l.lines)}), nil
	}
	ln := &l.lines[l.line]
	tok := keywordToken(ln, l.line)
	switch {
	case ln.IsOpen():
		tok.Type = tokOpen
	case ln.IsClose():
		tok.Type = tokClose
	}
	l.line++
	return tok, nil
}

// blockLexer is the production lexer: top-level keywords, and each
// top-level block as one Block token.
type blockLexer struct {
	lines []Line
	line  int
}

func (l *blockLexer) Next() (lexer.Token, error) {
	if l.line >= len(l.lines) {
		return lexer.EOFToken(lexer.Position{Offset: len(l.lines)}), nil
	}
	start := l.line
	ln := &l.lines[start]
	tok := keywordToken(ln, start)
	l.line++
	if ln.IsOpen() {
		tok.Type = tokBlock
		for depth := 1; depth > 0 && l.line < len(l.lines); l.line++ {
			switch {
			case l.lines[l.line].IsOpen():
				depth++
			case l.lines[l.line].IsClose():
				depth--
			}
		}
	}
	return tok, nil
}

// Grammar builds the statement grammar. It is cheap to keep one per process
// and safe for concurrent use.
type Grammar struct {
	p *participle.Parser[AST]
}

// NewGrammar builds the participle parser.
func NewGrammar() (*Grammar, error) {
	p, err := participle.Build[AST](
		participle.Lexer(lineLexerDefinition{}),
		participle.UseLookahead(1),
	)
	if err != nil {
		return nil, fmt.Errorf("parser: building grammar: %w", err)
	}
	return &Grammar{p: p}, nil
}

// Parse builds the tree of a Source. The reader balances braces, so a
// failure here is a bug, reported as an error rather than a diagnostic.
func (g *Grammar) Parse(src *Source) (*AST, error) {
	ast, err := g.parseTop(src)
	if err != nil {
		return nil, err
	}
	for _, n := range ast.Nodes {
		buildNode(src.Lines, n)
	}
	return ast, nil
}

// parseTop parses the top level only: blocks keep just their opening line
// until buildNode fills them. Decoding builds and drops one top-level block
// at a time, so the whole tree of a large configuration never sits in
// memory at once.
func (g *Grammar) parseTop(src *Source) (*AST, error) {
	peek, err := lexer.Upgrade(&blockLexer{lines: src.Lines})
	if err != nil {
		return nil, fmt.Errorf("parser: %w", err)
	}
	ast, err := g.p.ParseFromLexer(peek)
	if err != nil {
		return nil, fmt.Errorf("parser: grammar: %w", err)
	}
	return ast, nil
}

// buildNode completes a top-level node from the lines.
func buildNode(lines []Line, n *Node) {
	switch {
	case n.Orphan != nil:
		n.Line = n.Orphan.Open
		buildBody(lines, n.Orphan)
	default:
		n.Line = n.Keyword.Pos.Offset
		if n.Body != nil {
			buildBody(lines, n.Body)
		}
	}
}
