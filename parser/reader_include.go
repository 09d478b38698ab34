package parser

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// incFlags are keepalived's include checks (include_t).
type incFlags uint8

const (
	incR   incFlags = 1 << iota // read: a match could not be read
	incM                        // match: a file or directory in the pattern is missing
	incW                        // wildcard_match: a wildcard matched nothing
	incB                        // brace_match: an alternative of {a,b} is missing
	incAll = incR | incM | incW | incB
)

// srcFile is one file being read.
type srcFile struct {
	name string // as positions show it: the path from the working directory
	dir  string // where its relative includes resolve; "" is the working directory
	text string
	off  int
	// lineOff is where the current physical line starts in text: lines the
	// reader did not rewrite are cut from text instead of copied.
	lineOff int
	line    int
	col     int
	info    fs.FileInfo
}

// frame is one include (or the main file): the files its pattern matched,
// read one after the other.
type frame struct {
	pattern string
	typ     incFlags
	saved   incFlags // include_check when the include was met
	base    string   // directory the matches are relative to
	matches []string
	next    int
	cur     *srcFile
	at      Pos // the include line
	main    bool
}

// dirOf is the directory keepalived chdir()s to for a file called name read
// from dir: only a name with a '/' moves it.
func dirOf(dir, name string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return dir
	}
	d := name[:i]
	if i == 0 {
		d = "/"
	}
	return joinPath(dir, d)
}

func joinPath(dir, name string) string {
	if dir == "" || strings.HasPrefix(name, "/") {
		return name
	}
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// checkInclude recognises "include PATTERN" and "include[rmwba] PATTERN"
// and starts reading the matches. The pattern is the rest of the line,
// blanks and quotes included.
func (r *reader) checkInclude() bool {
	b := r.buf
	if len(b) < 8 || string(b[:7]) != "include" {
		return false
	}
	var typ incFlags
	p := 8
	switch {
	case isSpace(b[7]):
	case isSpace(at(b, 8)) && strings.IndexByte("rmwba", b[7]) >= 0:
		p = 9
		switch b[7] {
		case 'r':
			typ = incR
		case 'm':
			typ = incR | incM
		case 'w':
			typ = incR | incM | incW
		case 'b':
			typ = incR | incB
		case 'a':
			typ = incAll
		}
	default:
		return false
	}
	p += spanBlanks(b, p)
	pattern := string(b[min(p, len(b)):])
	base := ""
	if n := len(r.frames); n > 0 {
		base = r.frames[n-1].cur.dir
	}
	r.openPattern(&frame{pattern: pattern, typ: typ, base: base, at: r.cur.pos(0)})
	return true
}

// openMain reads the -f file; keepalived globs it like an include that
// checks read, match and wildcard_match.
func (r *reader) openMain(path string) {
	fr := &frame{pattern: path, typ: incR | incM | incW, main: true, at: Pos{File: path}}
	r.openPattern(fr)
	if len(r.frames) == 0 {
		// keepalived says this once the main file's frame is gone, so
		// only -e makes it count.
		r.fileError(&frame{main: true, at: fr.at}, incR, "Failed to open configuration file")
	}
}

// fileError is keepalived's file_config_error: the error counts (and, for
// an include, ends the run with "no config") only if the include or
// include_check asks for that check; otherwise it is only logged.
func (r *reader) fileError(fr *frame, check incFlags, msg string) {
	d := Diagnostic{Pos: fr.at, Severity: SeverityWarning, Class: ClassNone, Message: msg}
	if (r.includeCheck|fr.typ)&check != 0 {
		d.Severity = SeverityError
		if fr.main {
			d.Class = ClassFileNotFound
		} else {
			d.Class, d.Terminal = ClassGeneral, true
		}
	}
	r.diag(d)
}

func (r *reader) openPattern(fr *frame) {
	fr.saved = r.includeCheck
	if len(r.frames) >= maxIncludeDepth {
		r.report(fr.at, ClassGeneral, fmt.Sprintf("Includes nested more than %d deep - not reading '%s'", maxIncludeDepth, fr.pattern))
		return
	}
	g := globPattern(r.fs, fr.base, fr.pattern)
	missing := g.missingFiles+g.missingDirs > 0
	if len(g.matches) == 0 {
		if missing {
			check := incM
			if hasBrace(fr.pattern) {
				check = incB
			}
			r.fileError(fr, check, fmt.Sprintf("Config files missing '%s'.", fr.pattern))
		} else if g.wildcards && (r.includeCheck|fr.typ)&incW != 0 {
			r.fileError(fr, incW, fmt.Sprintf("No config files matched '%s'.", fr.pattern))
		}
		return
	}
	if missing {
		r.fileError(fr, incB, fmt.Sprintf("Some config files missing: \"%s\".", fr.pattern))
		if (r.includeCheck|fr.typ)&incB != 0 {
			return
		}
	}
	fr.matches = g.matches
	r.pushFrame(fr)
	if !r.openNext(fr) {
		r.frames = r.frames[:len(r.frames)-1]
	}
}

func (r *reader) pushFrame(fr *frame) {
	fr.saved = r.includeCheck
	r.frames = append(r.frames, fr)
}

// openNext opens the next readable match of the frame, skipping (with
// keepalived's messages) directories, executable or irregular files and
// files that cannot be read.
func (r *reader) openNext(fr *frame) bool {
	for fr.next < len(fr.matches) {
		m := fr.matches[fr.next]
		fr.next++
		if strings.HasSuffix(m, "/") {
			r.fileError(fr, incR, fmt.Sprintf("Configuration file '%s' is a directory - skipping", m))
			continue
		}
		path := joinPath(fr.base, m)
		info, err := r.fs.Stat(path)
		if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 != 0 {
			r.fileError(fr, incR, fmt.Sprintf("Configuration file '%s' is not a regular non-executable file - skipping", m))
			continue
		}
		if r.isOpen(path, info) {
			r.report(fr.at, ClassGeneral, fmt.Sprintf(
				"Configuration file '%s' includes itself - skipping (keepalived 2.2.7 would recurse until it runs out of file descriptors)", m))
			continue
		}
		if info.Size() > maxFileSize {
			r.report(fr.at, ClassGeneral, fmt.Sprintf("Configuration file '%s' is larger than %d bytes - skipping", m, maxFileSize))
			continue
		}
		data, err := r.fs.ReadFile(path)
		if err != nil {
			r.fileError(fr, incR, fmt.Sprintf("Configuration file '%s' open problem (%s) - skipping", m, includeErrText(err)))
			continue
		}
		fr.cur = r.newFile(path, dirOf(fr.base, m), data, info)
		r.src.Files = append(r.src.Files, path)
		return true
	}
	return false
}

func (r *reader) newFile(name, dir string, data []byte, info fs.FileInfo) *srcFile {
	// Reserving for the likely number of lines saves regrowing the biggest
	// slice, which would leave the old copies as garbage at the parser's
	// peak. Brace splitting adds a line for each '{' written after a
	// keyword, the usual style; a '}' is usually alone on its line. Words
	// need no reservation: the tokeniser cuts them from fixed-size chunks.
	n := bytes.Count(data, []byte{'\n'}) + 1 + bytes.Count(data, []byte{'{'})
	r.src.Lines = slices.Grow(r.src.Lines, n)
	return &srcFile{name: name, dir: dir, text: string(data), line: 1, info: info}
}

// errText is strerror's wording, without Go's "open PATH: " prefix.
func includeErrText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// isOpen tells whether the file is already being read further up the
// include stack.
func (r *reader) isOpen(path string, info fs.FileInfo) bool {
	abs, _ := filepath.Abs(path)
	for _, fr := range r.frames {
		f := fr.cur
		if f == nil {
			continue
		}
		if f.info != nil && os.SameFile(f.info, info) {
			return true
		}
		if fa, _ := filepath.Abs(f.name); fa == abs {
			return true
		}
	}
	return false
}

// nextFile ends the current file: include_check goes back to what it was
// when the include was met, and the next match (or the includer) is read.
func (r *reader) nextFile() {
	fr := r.frames[len(r.frames)-1]
	r.includeCheck = fr.saved
	if r.openNext(fr) {
		return
	}
	r.frames = r.frames[:len(r.frames)-1]
}

// setIncludeCheck is keepalived's include_check_set for the global_defs
// keyword include_check, which the reader must honour for the includes that
// follow it.
func (r *reader) setIncludeCheck(words []Word) {
	if len(words) < 2 {
		r.includeCheck = incAll
		return
	}
	for i, w := range words[1:] {
		name, op := w.Text, byte(0)
		if strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+") {
			name, op = name[1:], name[0]
		} else if i == 0 {
			r.includeCheck = 0
		} else {
			r.report(r.cur.wordPos(w), ClassGeneral, fmt.Sprintf("Duplicate include_check '%s' specified - ignoring", w.Text))
			continue
		}
		var f incFlags
		switch name {
		case "read":
			f = incR
		case "match":
			f = incM
		case "wildcard_match":
			f = incW
		case "brace_match":
			f = incB
		default:
			r.report(r.cur.wordPos(w), ClassGeneral, fmt.Sprintf("Unknown include_check type '%s' - ignoring", name))
			continue
		}
		switch op {
		case 0:
			r.includeCheck = incR | f
		case '+':
			r.includeCheck |= f
		default:
			r.includeCheck &^= f
		}
	}
}
