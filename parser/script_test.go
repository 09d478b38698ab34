package parser

import (
	"reflect"
	"strings"
	"testing"
)

// The expected words come from keepalived 2.2.7's own
// alloc_strvec_quoted_escaped(), compiled on its own and fed these inputs.
func TestSplitShellWords(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  string // the keepalived message, "" when the split succeeds
	}{
		{"spaces", "a b", []string{"a", "b"}, ""},
		{"every white space", "a\tb\fc\vd\re\nf", []string{"a", "b", "c", "d", "e", "f"}, ""},
		{"quoted and bare parts join", `ab"c d"e`, []string{"abc de"}, ""},
		{"single quotes join", `'it''s'`, []string{"its"}, ""},
		{"single quote inside double", `"a'b"`, []string{"a'b"}, ""},
		{"double quote inside single", `'a"b'`, []string{`a"b`}, ""},
		{"quote spans words", `a'b c'd e`, []string{"ab cd", "e"}, ""},
		{"tab escape", `tab\there`, []string{"tab\there"}, ""},
		{"C escapes", `a\Eb\fc\vd\ae\bf\rg\nh`, []string{"a\x1bb\fc\vd\ae\bf\rg\nh"}, ""},
		{"hex keeps the low byte of all digits", `x\x41\x4142`, []string{"xAB"}, ""},
		{"hex three digits", `\x123`, []string{"#"}, ""},
		{"x without hex digit", `\x \xg`, []string{"x", "xg"}, ""},
		{"octal up to three digits", `\101\1011`, []string{"AA1"}, ""},
		{"octal overflow keeps low byte", `\777 \7777`, []string{"\xff", "\xff7"}, ""},
		{"control char", `\cA`, []string{"\x01"}, ""},
		{"lone c at end", `\c`, []string{"c"}, ""},
		{"NUL ends the word", `\0x y\x00z \08`, []string{"", "y", ""}, ""},
		{"other escapes give the char", `a\qb \\ \" \' \ c`, []string{"aqb", `\`, `"`, "'", " c"}, ""},
		{"escaped tab joins", "a\\\tb", []string{"a\tb"}, ""},
		{"escape inside double quotes", `"a\tb\"c"`, []string{"a\tb\"c"}, ""},
		{"escape inside single quotes", `'a\'b'`, []string{"a'b"}, ""},
		{"empty double quotes", `""`, []string{""}, ""},
		{"empty single quotes", `''`, []string{""}, ""},
		{"nothing", "", nil, ""},
		{"blanks", "   ", nil, ""},
		{"command with user and group", `"/tmp/x.sh arg1 'a b'" root grp extra`,
			[]string{"/tmp/x.sh arg1 'a b'", "root", "grp", "extra"}, ""},
		{"open double quote", `"abc`, nil, `String '"abc': missing terminating "`},
		{"open single quote", `'abc`, nil, `String ''abc': missing terminating '`},
		{"open quote after text", `"a b"c" d`, nil, `String '"a b"c" d': missing terminating "`},
		{"open quote before escaped quote and text", `"a\" root`, nil, `String '"a\" root': missing terminating "`},
		// keepalived only notices an open quote when text without a quote or
		// backslash follows it.
		{"open quote ending in escape is accepted", `"abc\"`, []string{`abc"`}, ""},
		{"quote at the very end is accepted", `abc"`, []string{"abc"}, ""},
		{"single quote at the very end", `x'`, []string{"x"}, ""},
		{"trailing backslash", `abc\`, nil, `Missing escape char at end: 'abc\'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitShellWords(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("SplitShellWords(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitShellWords(%q) error = %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitShellWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseScriptLine(t *testing.T) {
	pos := Pos{File: "k.conf", Line: 9}
	tests := []struct {
		name        string
		line        string
		nilScript   bool
		argv        []string
		cmd         string
		user, group string
		pass        Pass
		diags       []string // "class: message"
		exit        int
	}{
		{name: "plain", line: "notify_master /path/to.sh", argv: []string{"/path/to.sh"},
			cmd: "/path/to.sh", pass: PassVRRP},
		{name: "quoted command with arguments", line: `notify_master "/path/to.sh arg1 'a b'"`,
			argv: []string{"/path/to.sh", "arg1", "a b"}, cmd: "/path/to.sh arg1 'a b'", pass: PassVRRP},
		{name: "bare argument is the user", line: "notify_master /path/to.sh arg1",
			argv: []string{"/path/to.sh"}, cmd: "/path/to.sh", user: "arg1", pass: PassVRRP},
		{name: "user and group, rest ignored", line: `notify_backup "/x.sh a" root wheel extra`,
			argv: []string{"/x.sh", "a"}, cmd: "/x.sh a", user: "root", group: "wheel", pass: PassVRRP},
		{name: "vrrp_script ignores extra words", line: "script /bin/true arg1 arg2",
			argv: []string{"/bin/true"}, cmd: "/bin/true", pass: PassVRRP},
		{name: "misc_path ignores extra words", line: `misc_path "/bin/check x" nobody`,
			argv: []string{"/bin/check", "x"}, cmd: "/bin/check x", pass: PassChecker},
		{name: "checker notify", line: "notify_up /x.sh", argv: []string{"/x.sh"}, cmd: "/x.sh", pass: PassChecker},
		{name: "quorum", line: "quorum_down /x.sh", argv: []string{"/x.sh"}, cmd: "/x.sh", pass: PassChecker},
		{name: "startup", line: "startup_script /x.sh", argv: []string{"/x.sh"}, cmd: "/x.sh", pass: PassParent},
		{name: "fifo script", line: "vrrp_notify_fifo_script /x.sh", argv: []string{"/x.sh"}, cmd: "/x.sh", pass: PassParent},
		// 2.2.7 unescapes twice: an escaped tab splits the command.
		{name: "escape applies in both passes", line: `notify_master "/x.sh tab\there \"dq\""`,
			argv: []string{"/x.sh", "tab", "here", "dq"}, cmd: "/x.sh tab\there \"dq\"", pass: PassVRRP},
		{name: "keyword after blanks", line: "  notify_stop\t/x.sh", argv: []string{"/x.sh"}, cmd: "/x.sh", pass: PassVRRP},
		{name: "open quote in the line", line: "notify_master '/x.sh", nilScript: true,
			diags: []string{"unmatched-quote: String 'notify_master '/x.sh': missing terminating '",
				"none: Unable to parse notify script"}, exit: 5},
		{name: "open quote in the command", line: `notify_master "/x.sh 'a"`, nilScript: true,
			diags: []string{"unmatched-quote: String '/x.sh 'a': missing terminating '",
				"none: Unable to parse script '/x.sh 'a' - ignoring"}, exit: 5},
		{name: "trailing backslash is only logged", line: `notify_master /x.sh\`, nilScript: true,
			diags: []string{`none: Missing escape char at end: 'notify_master /x.sh\'`,
				"none: Unable to parse notify script"}, exit: 0},
		{name: "trailing backslash in the command", line: `notify_master "/x.sh \\"`, nilScript: true,
			diags: []string{`none: Missing escape char at end: '/x.sh \'`,
				`none: Unable to parse script '/x.sh \' - ignoring`}, exit: 0},
		{name: "empty command", line: `notify_master ""`, nilScript: true,
			diags: []string{"none: Unable to parse script '' - ignoring"}},
		{name: "startup script failure is an error", line: `startup_script /x.sh\`, nilScript: true,
			diags: []string{`none: Missing escape char at end: 'startup_script /x.sh\'`,
				"none: Unable to parse notify script", "general: Invalid startup script"}, exit: 5},
		{name: "vrrp_script failure leaves it to the end handler", line: `script "/x.sh 'a"`, nilScript: true,
			diags: []string{"unmatched-quote: String '/x.sh 'a': missing terminating '"}, exit: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ds := ParseScriptLine(tt.line, pos)
			var got []string
			for _, d := range ds {
				got = append(got, d.Class.String()+": "+d.Message)
				if d.Pos != pos {
					t.Errorf("diagnostic %q at %v, want %v", d.Message, d.Pos, pos)
				}
			}
			if !reflect.DeepEqual(got, tt.diags) {
				t.Errorf("diagnostics:\n got %q\nwant %q", got, tt.diags)
			}
			if e := ExitCode(ds, false); e != tt.exit {
				t.Errorf("ExitCode = %d, want %d", e, tt.exit)
			}
			if tt.nilScript {
				if s != nil {
					t.Fatalf("script = %+v, want nil", s)
				}
				return
			}
			if s == nil {
				t.Fatal("script is nil")
			}
			kw := strings.Fields(tt.line)[0]
			if s.Keyword != kw || s.Pos != pos || s.UID != -1 || s.GID != -1 {
				t.Errorf("script = %+v", s)
			}
			if !reflect.DeepEqual(s.Argv, tt.argv) || s.Line != tt.cmd || s.User != tt.user || s.Group != tt.group || s.Pass != tt.pass {
				t.Errorf("got argv %q line %q user %q group %q pass %d; want %q %q %q %q %d",
					s.Argv, s.Line, s.User, s.Group, s.Pass, tt.argv, tt.cmd, tt.user, tt.group, tt.pass)
			}
			if s.Checker != (kw == "misc_path") {
				t.Errorf("Checker = %v", s.Checker)
			}
		})
	}
}

func TestCmdString(t *testing.T) {
	s := &Script{Argv: []string{"/x.sh", "a b", ""}}
	if got, want := s.CmdString(), `'/x.sh' 'a b' ''`; got != want {
		t.Errorf("CmdString = %s, want %s", got, want)
	}
	s = &Script{Argv: []string{"</etc/x", "y"}}
	if got, want := s.CmdString(), `</etc/x 'y'`; got != want {
		t.Errorf("CmdString = %s, want %s", got, want)
	}
}

func TestIsScriptKeyword(t *testing.T) {
	for _, kw := range []string{"notify", "notify_master", "notify_master_rx_lower_pri", "quorum_up",
		"startup_script", "lvs_notify_fifo_script", "script", "misc_path"} {
		if !IsScriptKeyword(kw) {
			t.Errorf("IsScriptKeyword(%q) = false", kw)
		}
	}
	for _, kw := range []string{"notify_fifo", "user", "misc_timeout", "Notify_master"} {
		if IsScriptKeyword(kw) {
			t.Errorf("IsScriptKeyword(%q) = true", kw)
		}
	}
}

func FuzzSplitShellWords(f *testing.F) {
	for _, s := range []string{`a "b c" 'd'`, `\x41\101\cA`, `"abc\"`, `abc\`, `'x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitShellWords(s)
		if err != nil && words != nil {
			t.Fatalf("words %q with error %v", words, err)
		}
		for _, w := range words {
			if strings.IndexByte(w, 0) >= 0 {
				t.Fatalf("word %q holds NUL", w)
			}
		}
	})
}
