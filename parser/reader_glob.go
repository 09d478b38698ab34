package parser

import (
	"io/fs"
	"os"
	"sort"
	"strings"
)

// fileSystem is what the reader needs from the operating system, so tests
// and the fuzzer can read from memory.
type fileSystem interface {
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	ReadFile(name string) ([]byte, error)
	Getwd() (string, error)
}

type osFS struct{}

func (osFS) Stat(n string) (fs.FileInfo, error)      { return os.Stat(n) }
func (osFS) Lstat(n string) (fs.FileInfo, error)     { return os.Lstat(n) }
func (osFS) ReadDir(n string) ([]fs.DirEntry, error) { return os.ReadDir(n) }
func (osFS) ReadFile(n string) ([]byte, error)       { return os.ReadFile(n) }
func (osFS) Getwd() (string, error)                  { return os.Getwd() }

// maxAlternatives bounds csh brace expansion ({a,b}{c,d}... grows fast).
const maxAlternatives = 1024

// globResult is what keepalived learns from glob() with GLOB_MARK and
// GLOB_BRACE and its own opendir/lstat hooks: the matches (directories end
// in '/'), how many literal names and directories were missing, and whether
// any wildcard was expanded.
type globResult struct {
	matches                   []string
	missingFiles, missingDirs int
	wildcards                 bool
}

// globPattern expands pattern, relative to base when it is not absolute.
// Each brace alternative is globbed on its own and its matches sorted, as
// glibc does, so "{b,a}.conf" reads b.conf first.
func globPattern(fsys fileSystem, base, pattern string) globResult {
	var g globResult
	for _, alt := range expandBraces(pattern) {
		n := len(g.matches)
		g.globOne(fsys, base, alt)
		sort.Strings(g.matches[n:])
	}
	return g
}

func hasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// unescape drops glob's backslash escapes from a literal name.
func globUnescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (g *globResult) globOne(fsys fileSystem, base, pattern string) {
	mark := func(fsPath, shown string) string {
		if fi, err := fsys.Stat(fsPath); err == nil && fi.IsDir() && !strings.HasSuffix(shown, "/") {
			return shown + "/"
		}
		return shown
	}
	if !hasMagic(pattern) {
		name := globUnescape(pattern)
		if _, err := fsys.Lstat(joinPath(base, name)); err != nil {
			g.missingFiles++
			return
		}
		g.matches = append(g.matches, mark(joinPath(base, name), name))
		return
	}
	abs := strings.HasPrefix(pattern, "/")
	parts := strings.Split(strings.Trim(pattern, "/"), "/")
	prefixes := []string{""}
	if abs {
		prefixes[0] = "/"
	}
	for i, part := range parts {
		last := i == len(parts)-1
		var next []string
		for _, pre := range prefixes {
			dir := pre
			if dir == "" {
				dir = "."
			}
			if !hasMagic(part) {
				cand := pre + globUnescape(part)
				if pre != "" && !strings.HasSuffix(pre, "/") {
					cand = pre + "/" + globUnescape(part)
				}
				if _, err := fsys.Lstat(joinPath(base, cand)); err != nil {
					g.missingFiles++
					continue
				}
				next = append(next, cand)
				continue
			}
			g.wildcards = true
			ents, err := fsys.ReadDir(joinPath(base, dir))
			if err != nil {
				g.missingDirs++
				continue
			}
			for _, e := range ents {
				if !fnmatch(part, e.Name()) {
					continue
				}
				cand := pre + e.Name()
				if pre != "" && !strings.HasSuffix(pre, "/") {
					cand = pre + "/" + e.Name()
				}
				if !last {
					if fi, err := fsys.Stat(joinPath(base, cand)); err != nil || !fi.IsDir() {
						continue
					}
				}
				next = append(next, cand)
			}
		}
		prefixes = next
		if len(prefixes) == 0 {
			return
		}
	}
	for _, p := range prefixes {
		if strings.HasSuffix(pattern, "/") && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		g.matches = append(g.matches, mark(joinPath(base, p), p))
	}
}

// hasBrace is keepalived's have_brace: an unescaped '{' decides whether a
// missing file is a match or a brace_match failure.
func hasBrace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		} else if s[i] == '{' {
			return true
		}
	}
	return false
}

// expandBraces is csh brace expansion as glibc's GLOB_BRACE does it: the
// first brace group is replaced by each of its comma-separated alternatives
// in turn, and the results expanded again. A '{' without its '}' is literal.
func expandBraces(s string) []string {
	out := make([]string, 0, 1)
	var expand func(s string)
	expand = func(s string) {
		if len(out) >= maxAlternatives {
			return
		}
		open := -1
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' {
				i++
			} else if s[i] == '{' {
				open = i
				break
			}
		}
		if open < 0 {
			out = append(out, s)
			return
		}
		var alts []string
		depth, start, closeAt := 0, open+1, -1
	scan:
		for i := open + 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '{':
				depth++
			case '}':
				if depth == 0 {
					alts = append(alts, s[start:i])
					closeAt = i
					break scan
				}
				depth--
			case ',':
				if depth == 0 {
					alts = append(alts, s[start:i])
					start = i + 1
				}
			}
		}
		if closeAt < 0 {
			out = append(out, s)
			return
		}
		for _, a := range alts {
			expand(s[:open] + a + s[closeAt+1:])
		}
	}
	expand(s)
	return out
}

// fnmatch matches one path component as fnmatch(3) with FNM_PERIOD: '*',
// '?', bracket expressions with '!' or '^', backslash escapes; a leading
// '.' only matches a literal '.'.
func fnmatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
		return false
	}
	return match(pattern, name)
}

func match(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if match(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			ok, n := matchClass(p, s[0])
			if n == 0 { // no closing ']': a literal '['
				if s[0] != '[' {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			if !ok {
				return false
			}
			p, s = p[n:], s[1:]
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}

// matchClass matches c against the bracket expression at the start of p
// and returns its length, or 0 if it is not closed.
func matchClass(p string, c byte) (bool, int) {
	i := 1
	neg := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		neg = true
		i++
	}
	ok := false
	for first := true; i < len(p); first = false {
		if p[i] == ']' && !first {
			return ok != neg, i + 1
		}
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			if hi == '\\' && i+2 < len(p) {
				i++
				hi = p[i+1]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			ok = true
		}
	}
	return false, 0
}
