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
}

// Body is a brace-delimited block: "{" Node* "}". Its Parse method is
// the hot path of the whole parser, hand-written against participle's
// PeekingLexer: participle's reflective engine costs about 2 µs and 18
// allocations per logical line (measured: 200 ms for a 101k-line config),
// several times keepalived's whole parse. The declarative form of exactly this
// grammar is refAST in grammar_ref_test.go; tests and the fuzz target check
// that both build the same tree.
type Body struct {
	Open  lexer.Token
	Nodes []*Node
	Close lexer.Token
}

var _ participle.Parseable = (*Body)(nil)

// Parse implements participle.Parseable.
func (b *Body) Parse(lex *lexer.PeekingLexer) error {
	open := lex.Peek()
	if open.Type != tokOpen {
		return participle.NextMatch
	}
	b.Open = *lex.Next()
	// Blocks nest only a few levels deep, so recursion is bounded by the
	// nesting depth of the configuration, which the reader caps.
	for {
		t := lex.Peek()
		switch t.Type {
		case tokClose:
			b.Close = *lex.Next()
			return nil
		case tokKeyword:
			n := &Node{Keyword: *lex.Next()}
			if lex.Peek().Type == tokOpen {
				n.Body = &Body{}
				if err := n.Body.Parse(lex); err != nil {
					return err
				}
			}
			b.Nodes = append(b.Nodes, n)
		case tokOpen:
			n := &Node{Orphan: &Body{}}
			if err := n.Orphan.Parse(lex); err != nil {
				return err
			}
			b.Nodes = append(b.Nodes, n)
		default:
			return &participle.UnexpectedTokenError{Unexpected: *t}
		}
	}
}

const (
	tokKeyword lexer.TokenType = -(iota + 2)
	tokArg
	tokOpen
	tokClose
)

type lineLexerDefinition struct{}

func (lineLexerDefinition) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":     lexer.EOF,
		"Keyword": tokKeyword,
		"Arg":     tokArg,
		"Open":    tokOpen,
		"Close":   tokClose,
	}
}

// Lex exists to satisfy lexer.Definition; the configuration is always lexed
// from a Source by the reader, never from raw bytes.
func (lineLexerDefinition) Lex(string, io.Reader) (lexer.Lexer, error) {
	return nil, fmt.Errorf("parser: the grammar reads preprocessed lines, not text")
}

// lineLexer turns a Source's logical lines into tokens.
type lineLexer struct {
	lines []Line
	line  int
	word  int
}

func (l *lineLexer) Next() (lexer.Token, error) {
	for l.line < len(l.lines) {
		ln := &l.lines[l.line]
		if l.word >= 1 {
			l.line++
			l.word = 0
			continue
		}
		w := &ln.Words[l.word]
		tok := lexer.Token{Value: w.Text, Pos: lexer.Position{
			Filename: w.Pos.File, Offset: l.line, Line: w.Pos.Line, Column: w.Pos.Col}}
		switch {
		case l.word > 0:
			tok.Type = tokArg
		case ln.IsOpen():
			tok.Type = tokOpen
		case ln.IsClose():
			tok.Type = tokClose
		default:
			tok.Type = tokKeyword
		}
		l.word++
		return tok, nil
	}
	return lexer.EOFToken(lexer.Position{Offset: len(l.lines)}), nil
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
	peek, err := lexer.Upgrade(&lineLexer{lines: src.Lines})
	if err != nil {
		return nil, fmt.Errorf("parser: %w", err)
	}
	ast, err := g.p.ParseFromLexer(peek)
	if err != nil {
		return nil, fmt.Errorf("parser: grammar: %w", err)
	}
	return ast, nil
}
