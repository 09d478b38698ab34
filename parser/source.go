package parser

// Word is one token of a logical line, as keepalived's general tokeniser
// splits it: whitespace separates words, a word that starts with a double
// quote runs to the next double quote (the quotes are removed).
//
// A word keeps only its column: the words of a logical line share its file
// and line (Line.WordPos), and a configuration has about a million words
// at 50,000 real servers, so a full Pos in each one was a third of the
// parser's memory.
type Word struct {
	Text   string
	Col    int32
	Quoted bool
}

// Line is one logical line: what keepalived's keyword dispatcher sees after
// comment stripping, @id selection, $NAME substitution, ~SEQ expansion,
// include splicing and brace splitting. A brace is always a line of its own
// ("{" or "}"), and the braces of a Source are balanced.
type Line struct {
	Pos Pos
	// Text is the whole logical line; script keywords re-parse it with the
	// shell-like rules, as keepalived does.
	Text  string
	Words []Word
}

// WordPos is where word i of the line was written.
func (l *Line) WordPos(i int) Pos {
	return Pos{File: l.Pos.File, Line: l.Pos.Line, Col: int(l.Words[i].Col)}
}

// IsOpen and IsClose tell brace lines apart from keyword lines.
func (l *Line) IsOpen() bool {
	return len(l.Words) == 1 && !l.Words[0].Quoted && l.Words[0].Text == "{"
}
func (l *Line) IsClose() bool {
	return len(l.Words) == 1 && !l.Words[0].Quoted && l.Words[0].Text == "}"
}

// Source is the preprocessed configuration.
type Source struct {
	Lines []Line
	// Files lists every file that was read, main file first, in reading order.
	Files []string
}

// ReadOptions steers the reader the way keepalived's command line does.
type ReadOptions struct {
	// ConfigID selects @id / @^id lines and is ${_INSTANCE}; empty means the
	// host's node name up to the first '.'.
	ConfigID string
	// AllIncludeChecks is keepalived's -e: every include behaves as includea.
	AllIncludeChecks bool
	// Seed seeds ${_RANDOM} when the config sets no random_seed; zero means
	// the time.
	Seed int64
}
