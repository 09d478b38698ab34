package parser

import (
	"fmt"
	"strings"
)

// Script is a command a keyword configures: argv as keepalived would exec
// it, and the user to run it as.
type Script struct {
	Pos     Pos
	Keyword string // e.g. "notify_master"
	// Line is the command string: token 1 of the line after shell-like
	// parsing, before it is split again into Argv.
	Line string
	// Argv is the program and its arguments. ApplyScriptSecurity rewrites
	// Argv[0] the way keepalived does (path search, symlinks resolved).
	Argv []string
	// User and Group are the explicit user/group, "" if none: tokens 2 and 3
	// of a notify-type line, or what the decoder took from a `user` keyword
	// of a vrrp_script or MISC_CHECK block.
	User, Group string
	// UserPos is where User was given; zero means Pos.
	UserPos Pos
	// EndPos is where keepalived gives a vrrp_script or MISC_CHECK its
	// default user: the block's closing line. Zero means Pos.
	EndPos Pos
	// Name is the vrrp_script's name, which its messages quote.
	Name string
	// Pass is the keepalived process that parses and checks the script; the
	// parser sets it from Keyword.
	Pass Pass

	UID, GID int    // resolved by ApplyScriptSecurity, -1 if unresolved
	Path     string // real path of Argv[0] (symlinks followed) after the check
	Insecure bool   // unsafe permissions found
	// Disabled tells that keepalived would not run it: not found, not
	// executable, unsafe while script security is on, unknown user.
	Disabled bool
	// Checker marks a MISC_CHECK script, whose security-violation and
	// disabling messages differ.
	Checker bool
}

// scriptKind groups the keywords by the way keepalived's handlers treat a
// failure: they differ in which messages are config errors and which are
// only logged.
type scriptKind int

const (
	kindNotify  scriptKind = iota // notify_*, quorum_*, FIFO scripts: failures only logged
	kindStartup                   // startup_script, shutdown_script: "Invalid startup script" is an error
	kindTrack                     // vrrp_script's `script`
	kindMisc                      // MISC_CHECK's `misc_path`
)

type keywordInfo struct {
	kind scriptKind
	pass Pass
	// typ is the word keepalived puts in "Invalid user/group for %s script".
	typ string
	// both marks the global notify_fifo_script, which the VRRP and checker
	// processes each check.
	both bool
}

// scriptKeywords lists the keywords whose line keepalived re-parses with the
// shell-like rules and runs as a script.
var scriptKeywords = map[string]keywordInfo{
	"notify":                     {kindNotify, PassVRRP, "notify", false},
	"notify_master":              {kindNotify, PassVRRP, "notify", false},
	"notify_backup":              {kindNotify, PassVRRP, "notify", false},
	"notify_fault":               {kindNotify, PassVRRP, "notify", false},
	"notify_stop":                {kindNotify, PassVRRP, "notify", false},
	"notify_deleted":             {kindNotify, PassVRRP, "notify", false},
	"notify_master_rx_lower_pri": {kindNotify, PassVRRP, "notify", false},
	"notify_up":                  {kindNotify, PassChecker, "notify", false},
	"notify_down":                {kindNotify, PassChecker, "notify", false},
	"quorum_up":                  {kindNotify, PassChecker, "quorum", false},
	"quorum_down":                {kindNotify, PassChecker, "quorum", false},
	"notify_fifo_script":         {kindNotify, PassParent, "notify_fifo", true},
	"vrrp_notify_fifo_script":    {kindNotify, PassParent, "vrrp_notify_fifo", false},
	"lvs_notify_fifo_script":     {kindNotify, PassParent, "lvs_notify_fifo", false},
	"startup_script":             {kindStartup, PassParent, "startup", false},
	"shutdown_script":            {kindStartup, PassParent, "shutdown", false},
	"script":                     {kindTrack, PassVRRP, "", false},
	"misc_path":                  {kindMisc, PassChecker, "", false},
}

// IsScriptKeyword tells whether keepalived re-parses kw's line with the
// shell-like rules and treats its first argument as a script.
func IsScriptKeyword(kw string) bool {
	_, ok := scriptKeywords[kw]
	return ok
}

func infoFor(kw string) keywordInfo {
	if ki, ok := scriptKeywords[kw]; ok {
		return ki
	}
	return keywordInfo{kind: kindNotify, pass: PassVRRP, typ: "notify"}
}

// ParseScriptLine parses the logical line text of a script keyword (keyword
// first) with keepalived's shell-like rules (config-language.md §4.2): token
// 1 is the command string, split again with the same rules into Argv; tokens
// 2 and 3 are the user and group, except for vrrp_script's `script` and
// MISC_CHECK's `misc_path`, which take their user from a `user` keyword and
// ignore extra tokens.
//
// It returns nil when keepalived would drop the script. The diagnostics carry
// keepalived's messages: an unmatched quote is a config error; a trailing
// backslash or an empty command is only logged (SeverityNote, ClassNone), so
// it leaves -t's exit code alone, except for startup/shutdown scripts, whose
// handler reports "Invalid startup script". A vrrp_script or MISC_CHECK whose
// `script`/`misc_path` line gives nil is reported by the block's end handler
// ("No script set for vrrp_script NAME - removing", "No script path has been
// specified for MISC_CHECKER - skipping"); the decoder owns that.
func ParseScriptLine(text string, pos Pos) (*Script, Diagnostics) {
	kw := firstWord(text)
	ki := infoFor(kw)
	var ds Diagnostics
	note := func(format string, args ...any) {
		ds = append(ds, Diagnostic{Pos: pos, Severity: SeverityNote, Class: ClassNone,
			Message: fmt.Sprintf(format, args...), pass: ki.pass})
	}
	fail := func() (*Script, Diagnostics) {
		if ki.kind == kindStartup {
			ds = append(ds, Diagnostic{Pos: pos, Severity: SeverityError, Class: ClassGeneral,
				Message: fmt.Sprintf("Invalid %s script", ki.typ), pass: ki.pass})
		}
		return nil, ds
	}

	words, err := SplitShellWords(text)
	if err != nil {
		ds = append(ds, err.diagnostic(pos, ki.pass))
		if ki.kind == kindNotify || ki.kind == kindStartup {
			note("Unable to parse notify script")
		}
		return fail()
	}
	if len(words) < 2 {
		// keepalived leaves the script without arguments; the general
		// tokeniser has normally stopped such a line already.
		if ki.kind == kindNotify || ki.kind == kindStartup {
			note("Unable to parse script '' - ignoring")
		}
		return fail()
	}
	s := &Script{Pos: pos, Keyword: kw, Line: words[1], Pass: ki.pass, UID: -1, GID: -1,
		Checker: ki.kind == kindMisc}
	argv, err := SplitShellWords(s.Line)
	if err != nil {
		ds = append(ds, err.diagnostic(pos, ki.pass))
	}
	if len(argv) == 0 || err != nil {
		if ki.kind == kindNotify || ki.kind == kindStartup {
			note("Unable to parse script '%s' - ignoring", s.Line)
		}
		return fail()
	}
	s.Argv = argv
	if ki.kind == kindNotify || ki.kind == kindStartup {
		if len(words) > 2 {
			s.User = words[2]
			s.UserPos = pos
		}
		if len(words) > 3 {
			s.Group = words[3]
		}
	}
	return s, ds
}

func firstWord(text string) string {
	t := strings.TrimLeft(text, shellSpace)
	if i := strings.IndexAny(t, shellSpace); i >= 0 {
		return t[:i]
	}
	return t
}

// CmdString renders the script as keepalived's cmd_str() does for its
// messages: every word in single quotes, except a leading redirection.
func (s *Script) CmdString() string {
	var b strings.Builder
	for i, w := range s.Argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 0 && w != "" && (w[0] == '<' || w[0] == '>') {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(w)
		b.WriteByte('\'')
	}
	return b.String()
}

// shellSpace is keepalived's WHITE_SPACE_STR.
const shellSpace = " \t\f\n\r\v"

// ShellSplitError is why SplitShellWords gave up.
type ShellSplitError struct {
	Src string
	// Quote is the quote left open; 0 means a backslash ended the string.
	Quote byte
}

func (e *ShellSplitError) Error() string {
	if e.Quote == 0 {
		return fmt.Sprintf("Missing escape char at end: '%s'", e.Src)
	}
	return fmt.Sprintf("String '%s': missing terminating %c", e.Src, e.Quote)
}

// diagnostic gives the error keepalived's way: an open quote is a config
// error, a trailing backslash only a log line.
func (e *ShellSplitError) diagnostic(pos Pos, pass Pass) Diagnostic {
	if e.Quote == 0 {
		return Diagnostic{Pos: pos, Severity: SeverityNote, Class: ClassNone, Message: e.Error(), pass: pass}
	}
	return Diagnostic{Pos: pos, Severity: SeverityError, Class: ClassUnmatchedQuote, Message: e.Error(), pass: pass}
}

// SplitShellWords splits src the way keepalived 2.2.7's
// alloc_strvec_quoted_escaped() does. It follows that function's quirks on
// purpose, since configs that pass keepalived must pass here:
//   - an open quote is an error only when text follows it with no closing
//     quote and no backslash; a string that ends right after an escape or an
//     opening quote is accepted with the quote left open (`"a\"` → `a"`);
//   - `\xHH...` takes every hex digit that follows and keeps the low byte;
//     `\NNN` takes up to three octal digits, again the low byte;
//   - an escape that yields NUL ends the word there (C string copy), though
//     the rest of the word is still consumed;
//   - escapes apply inside quotes of either kind too.
//
// A nil slice with a nil error means src holds no word.
func SplitShellWords(src string) ([]string, *ShellSplitError) {
	var words []string
	var quote byte
	i := 0
	for i < len(src) {
		for i < len(src) && strings.IndexByte(shellSpace, src[i]) >= 0 {
			i++
		}
		if i >= len(src) {
			break
		}
		var w []byte
	word:
		for i < len(src) {
			stops := shellSpace + `'"\`
			switch quote {
			case '"':
				stops = `"\`
			case '\'':
				stops = `'\`
			}
			j := strings.IndexAny(src[i:], stops)
			if j < 0 {
				if quote != 0 {
					return nil, &ShellSplitError{Src: src, Quote: quote}
				}
				w = append(w, src[i:]...)
				i = len(src)
				break
			}
			w = append(w, src[i:i+j]...)
			i += j
			c := src[i]
			switch {
			case c == '\\':
				i++
				if i >= len(src) {
					return nil, &ShellSplitError{Src: src}
				}
				var b byte
				b, i = unescape(src, i)
				w = append(w, b)
			case quote != 0:
				quote = 0
				i++
			case c == '"' || c == '\'':
				quote = c
				i++
			default:
				break word
			}
		}
		if k := strings.IndexByte(string(w), 0); k >= 0 {
			w = w[:k]
		}
		words = append(words, string(w))
	}
	return words, nil
}

// unescape decodes the escape whose first character (after the backslash) is
// at src[i], returning the byte and the index after the escape.
func unescape(src string, i int) (byte, int) {
	c := src[i]
	switch {
	case c == 'x' && i+1 < len(src) && isHex(src[i+1]):
		var b byte
		i++
		for i < len(src) && isHex(src[i]) {
			b = b<<4 | hexVal(src[i])
			i++
		}
		return b, i
	case c == 'c' && i+1 < len(src):
		return src[i+1] & 0x1f, i + 2
	case c >= '0' && c <= '7':
		b := c - '0'
		i++
		for n := 0; n < 2 && i < len(src) && src[i] >= '0' && src[i] <= '7'; n++ {
			b = b<<3 + (src[i] - '0')
			i++
		}
		return b, i
	}
	switch c {
	case 'a':
		c = '\a'
	case 'b':
		c = '\b'
	case 'E':
		c = 0x1b
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'v':
		c = '\v'
	}
	return c, i + 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
