package parser

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// Limits that keep the reader's work and memory bounded on any input.
// keepalived has none of these; configurations that reach them would make it
// spin or exhaust memory.
const (
	maxGenerated    = 1_000_000 // lines made by ~SEQ, ~LST and multi-line parameters
	maxGenerators   = 64        // ~SEQ/~LST nested on one line
	maxIncludeDepth = 64
	maxSubstitution = 10_000 // $NAME replacements on one line
	// A line left half-substituted at keepalived's length limit is split at
	// the braces of its "${...}" and every piece substituted again, which
	// can take exponential time; this bounds the whole read.
	maxTotalSubstitution = 1_000_000
	maxFileSize          = 64 << 20
	maxDiagnostics       = 10_000
)

// Read reads the configuration file at path the way keepalived 2.2.7 reads
// it, with its includes, and returns the logical lines.
func Read(path string, opts ReadOptions) (*Source, Diagnostics) {
	r := newReader(opts, osFS{})
	r.openMain(path)
	return r.run()
}

// ReadBytes reads data as the main configuration file called name: includes
// resolve as they would for a main file of that name.
func ReadBytes(name string, data []byte, opts ReadOptions) (*Source, Diagnostics) {
	return readBytes(name, data, opts, osFS{})
}

func readBytes(name string, data []byte, opts ReadOptions, fsys fileSystem) (*Source, Diagnostics) {
	return newReader(opts, fsys).readMain(name, data)
}

func (r *reader) readMain(name string, data []byte) (*Source, Diagnostics) {
	r.pushFrame(&frame{cur: r.newFile(name, dirOf("", name), data, nil), at: Pos{File: name}, main: true})
	r.src.Files = append(r.src.Files, name)
	return r.run()
}

// cursor tells where the text in the working buffer came from.
type cursor struct {
	file  string
	line  int
	m     colMap
	chain []*def // multi-line parameters whose expansion produced the text
	// The file's text and where the physical line starts in it, for
	// lines that can be cut from it.
	text    string
	lineOff int
}

// lineText is the buffer as a string, without copying it when it is still
// the text of the file at the same place.
func (c *cursor) lineText(b []byte) string {
	if c.text != "" && c.m.segs == nil {
		start := c.lineOff + c.m.base - 1
		if start >= 0 && start+len(b) <= len(c.text) && c.text[start:start+len(b)] == string(b) {
			return c.text[start : start+len(b)]
		}
	}
	return string(b)
}

func (c *cursor) pos(off int) Pos { return Pos{File: c.file, Line: c.line, Col: c.m.col(off)} }

// wordPos is where a word of the cursor's logical line was written.
func (c *cursor) wordPos(w Word) Pos { return Pos{File: c.file, Line: c.line, Col: int(w.Col)} }

// reader holds what keepalived keeps in parser.c's static variables.
type reader struct {
	opts     ReadOptions
	fs       fileSystem
	configID string
	rnd      *rand.Rand
	src      *Source
	diags    Diagnostics

	frames       []*frame // include stack, innermost last
	includeCheck incFlags

	defs  map[string]*def
	seqs  []*seq
	ml    mlState
	mlDef *def // multi-line definition being read
	// maxGen and maxSubst are maxGenerated and maxTotalSubstitution; the
	// fuzzer lowers them so that it spends its time on variety.
	maxGen, maxSubst int
	generated        int
	substitutions    int
	subCapped        bool
	nestCapped       bool
	genCapped        bool

	store    []byte // backing array of buf, which is resliced as text is cut
	buf      []byte
	cur      cursor
	residue  []byte
	resCur   cursor
	hasRes   bool
	regions  []region
	words    []Word // arena the Words of all lines are cut from
	depth    int
	topWord  string // keyword of the last top-level line, to spot global_defs
	inGlobal bool
}

func newReader(opts ReadOptions, fsys fileSystem) *reader {
	id := opts.ConfigID
	if id == "" {
		id, _ = os.Hostname()
		if i := strings.IndexByte(id, '.'); i >= 0 {
			id = id[:i]
		}
	}
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	r := &reader{
		opts:     opts,
		fs:       fsys,
		configID: id,
		rnd:      rand.New(rand.NewPCG(uint64(seed), 0x6b656570616c6976)),
		src:      &Source{},
		store:    make([]byte, 0, 2*maxLine+2),
		maxGen:   maxGenerated,
		maxSubst: maxTotalSubstitution,
	}
	if opts.AllIncludeChecks {
		r.includeCheck = incAll
	}
	r.stdDefinitions()
	return r
}

func (r *reader) run() (*Source, Diagnostics) {
	for r.readLine() {
		r.emit()
	}
	if r.depth > 0 {
		main := ""
		if len(r.src.Files) > 0 {
			main = r.src.Files[0]
		}
		r.report(Pos{File: main}, ClassMissingEOB, fmt.Sprintf("There are %d missing '}'s or extra '{'s", r.depth))
		for ; r.depth > 0; r.depth-- {
			r.src.Lines = append(r.src.Lines, Line{Pos: Pos{File: main}, Text: "}",
				Words: []Word{{Text: "}"}}})
		}
	}
	return r.src, r.diags
}

func (r *reader) diag(d Diagnostic) {
	if len(r.diags) >= maxDiagnostics {
		if len(r.diags) == maxDiagnostics {
			r.diags = append(r.diags, Diagnostic{Pos: d.Pos, Severity: SeverityError, Class: ClassGeneral,
				Message: "Too many errors - not reporting any more", pass: PassParent, seq: len(r.src.Lines)})
		}
		return
	}
	d.pass = PassParent
	d.seq = len(r.src.Lines)
	r.diags = append(r.diags, d)
}

// report records an error of keepalived's report_config_error.
func (r *reader) report(pos Pos, class Class, msg string) {
	r.diag(Diagnostic{Pos: pos, Severity: SeverityError, Class: class, Message: msg})
}

// emit turns the logical line in the buffer into a Line, keeping the braces
// balanced: keepalived reports an extra '}' and then dispatches it as an
// unknown keyword; here the line is dropped so the grammar never sees it.
func (r *reader) emit() {
	text := r.cur.lineText(r.buf)
	words, quoteErr := r.tokenise(text, &r.cur)
	if quoteErr {
		r.report(r.cur.pos(0), ClassUnmatchedQuote, fmt.Sprintf("Unmatched quote: '%s'", text))
	}
	if text == "}" {
		if r.depth == 0 {
			r.report(r.cur.pos(0), ClassUnexpectedEOB, "Extra '}' found")
			r.report(r.cur.pos(0), ClassUnknownKeyword, "Unknown keyword '}'")
			return
		}
		r.depth--
		if r.depth == 0 {
			r.inGlobal = false
		}
	} else if text == "{" {
		if r.depth == 0 {
			r.inGlobal = r.topWord == "global_defs"
		}
		r.depth++
	} else if len(words) > 0 {
		if r.depth == 0 {
			r.topWord = words[0].Text
		} else if r.depth == 1 && r.inGlobal && words[0].Text == "include_check" && !words[0].Quoted {
			r.setIncludeCheck(words)
		}
	}
	if len(words) == 0 {
		return
	}
	r.src.Lines = append(r.src.Lines, Line{Pos: r.cur.pos(0), Text: text, Words: words})
}

// tokenise is keepalived's general tokeniser (alloc_strvec): blanks separate
// words, a word starting with '"' runs to the next '"', and a '"' inside an
// unquoted word ends it. There are no escapes.
func (r *reader) tokenise(text string, c *cursor) (words []Word, unmatched bool) {
	if cap(r.words)-len(r.words) < 64 {
		r.words = make([]Word, 0, 4096)
	}
	start := len(r.words)
	for i := 0; ; {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i == len(text) {
			break
		}
		col := int32(c.m.col(i))
		if text[i] == '"' {
			j := strings.IndexByte(text[i+1:], '"')
			if j < 0 {
				unmatched = true
				break
			}
			r.words = append(r.words, Word{Text: text[i+1 : i+1+j], Quoted: true, Col: col})
			i += j + 2
			continue
		}
		j := i
		for j < len(text) && !isSpace(text[j]) && text[j] != '"' {
			j++
		}
		r.words = append(r.words, Word{Text: text[i:j], Col: col})
		i = j
	}
	// The full slice expression stops a later append to one line's words
	// from running into the next line's.
	return r.words[start:len(r.words):len(r.words)], unmatched
}
