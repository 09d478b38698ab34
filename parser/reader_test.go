package parser

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// One row per rule or observed example of config-language.md §1-10.
var readerRules = []struct {
	rule  string
	in    string
	id    string
	lines []string
	diags []string
}{
	// §2 physical lines
	{rule: "2 CRLF", in: "a 1\r\nb 2\r\n", lines: []string{"a 1", "b 2"}},
	{rule: "2 no final newline", in: "a 1\nb 2", lines: []string{"a 1", "b 2"}},
	{rule: "2 blank lines", in: "\n\n  \t\na\n\n", lines: []string{"a"}},
	{rule: "2 leading and trailing blanks", in: "  \t a  b \t \n", lines: []string{"a  b"}},
	{rule: "2 NUL ends the line", in: "ab\x00cd\nef\n", lines: []string{"ab", "ef"}},

	// §3.1 comments
	{rule: "3.1 bang line", in: "! Configuration File for keepalived\n", lines: []string{}},
	{rule: "3.1 hash after value", in: "state MASTER            # master\n", lines: []string{"state MASTER"}},
	{rule: "3.1 bang after value", in: "interface eth0 ! bang trailing\n", lines: []string{"interface eth0"}},
	{rule: "3.1 hash without space", in: "advert_int 1#comment-without-space\n", lines: []string{"advert_int 1"}},
	{rule: "3.1 bang inside word", in: "priority 1!0\n", lines: []string{"priority 1"}},
	{rule: "3.1 hash inside word", in: "auth_pass ab#cd\n", lines: []string{"auth_pass ab"}},
	{rule: "3.1 hash in quotes", in: "auth_pass \"ab#cd\"\n", lines: []string{"auth_pass \"ab#cd\""}},
	{rule: "3.1 comment after quotes", in: "notification_email_from \"x y\"#c\n", lines: []string{"notification_email_from \"x y\""}},
	{rule: "3.1 comment swallows brace", in: "authentication {\nauth_pass ab#cd }\n}\n",
		lines: []string{"authentication", "{", "auth_pass ab", "}"}},
	{rule: "3.1 single quotes do not protect", in: "a 'b#c'\n", lines: []string{"a 'b"}},
	{rule: "3.1 unterminated quote", in: "a \"b # c\n",
		lines: []string{"a \"b # c"}, diags: []string{"Unterminated quote 'a \"b # c'", "Unmatched quote: 'a \"b # c'"}},

	// §3.2 escapes
	{rule: "3.2 escaped hash", in: "auth_pass ab\\#cd\n", lines: []string{"auth_pass ab#cd"}},
	{rule: "3.2 escaped bang", in: "x a\\!b\n", lines: []string{"x a!b"}},
	{rule: "3.2 escape kept in quotes", in: "x \"a\\#b\"\n", lines: []string{"x \"a\\#b\""}},
	{rule: "3.2 other escapes kept", in: "x a\\xb\n", lines: []string{"x a\\xb"}},
	{rule: "3.2 escaped quote does not quote", in: "x a\\\"b # c\n", lines: []string{"x a\\\"b"},
		diags: []string{"Unmatched quote: 'x a\\\"b'"}},
	{rule: "3.2 trailing backslash is not a continuation", in: "priority \\\n120\n",
		lines: []string{"priority\\", "120"}},

	// §3.3 _HASH and _BANG
	{rule: "3.3 _HASH starts a comment", in: "auth_pass ab${_HASH}cd\n", lines: []string{"auth_pass ab"}},
	{rule: "3.3 _BANG starts a comment", in: "router_id a/${_BANG}/b\n", lines: []string{"router_id a/"}},
	{rule: "3.3 _HASH in quotes", in: "auth_pass \"ab${_HASH}cd\"\n", lines: []string{"auth_pass \"ab#cd\""}},

	// §4.1 tokens (texts only; words are checked in TestWords)
	{rule: "4.1 unmatched quote", in: "a \"b c\n", lines: []string{"a \"b c"},
		diags: []string{"Unterminated quote 'a \"b c'", "Unmatched quote: 'a \"b c'"}},
	{rule: "4.1 only an unmatched quote", in: "\"b c\n", lines: []string{},
		diags: []string{"Unterminated quote '\"b c'", "Unmatched quote: '\"b c'"}},

	// §5.1 brace splitting
	{rule: "5.1 brace at end", in: "vrrp_instance VI_1 {\nstate MASTER\n}\n",
		lines: []string{"vrrp_instance VI_1", "{", "state MASTER", "}"}},
	{rule: "5.1 brace on own line", in: "vrrp_instance VI_1\n{\nstate MASTER\n}\n",
		lines: []string{"vrrp_instance VI_1", "{", "state MASTER", "}"}},
	{rule: "5.1 block on one line", in: "vrrp_instance VI_1 { state MASTER\ninterface eth0 }\n",
		lines: []string{"vrrp_instance VI_1", "{", "state MASTER", "interface eth0", "}"}},
	{rule: "5.1 auth on one line", in: "authentication { auth_type PASS }\n",
		lines: []string{"authentication", "{", "auth_type PASS", "}"}},
	{rule: "5.1 text after close", in: "a {\n} vrrp_instance VI_2 {\n}\n",
		lines: []string{"a", "{", "}", "vrrp_instance VI_2", "{", "}"}},
	{rule: "5.1 brace inside value", in: "a {\npath /a{b}\n}\n",
		lines: []string{"a", "{", "path /a", "{", "b", "}", "}"}},
	{rule: "5.1 quoted brace", in: "x \"a{b}\" {\n}\n", lines: []string{"x \"a{b}\"", "{", "}"}},
	{rule: "5.1 brace from substitution", in: "$B={\nx $B\n}\n", lines: []string{"x", "{", "}"}},
	{rule: "5.1 unterminated quote stops the brace search", in: "x \"a {\n",
		lines: []string{"x \"a {"}, diags: []string{"Unterminated quote 'x \"a {'", "Unmatched quote: 'x \"a {'"}},

	// §5.5 brace balance
	{rule: "5.5 extra close", in: "a {\n}\n}\n", lines: []string{"a", "{", "}"},
		diags: []string{"Extra '}' found", "Unknown keyword '}'"}},
	{rule: "5.5 missing close", in: "a {\nb {\n", lines: []string{"a", "{", "b", "{", "}", "}"},
		diags: []string{"There are 2 missing '}'s or extra '{'s"}},

	// §7.1 include syntax (files: see reader_include_test.go)
	{rule: "7.1 include alone is a keyword", in: "include\n", lines: []string{"include"}},
	{rule: "7.1 includet is a keyword", in: "includet x\n", lines: []string{"includet x"}},
	{rule: "7.1 include with quotes", in: "include \"x.conf\"\n", lines: []string{},
		diags: []string{"Config files missing '\"x.conf\"'."}},
	{rule: "7.1 include with two names", in: "include a.conf b.conf\n", lines: []string{},
		diags: []string{"Config files missing 'a.conf b.conf'."}},
	{rule: "7.1 include shares no line", in: "a { include f.conf }\n", lines: []string{"a", "{", "}"},
		diags: []string{"Config files missing 'f.conf }'.", "There are 1 missing '}'s or extra '{'s"}},
	{rule: "7.1 include via parameter", in: "$INC=x.conf\ninclude $INC\n", lines: []string{},
		diags: []string{"Config files missing 'x.conf'."}},

	// §8.1 definitions
	{rule: "8.1 definition", in: "$X=1\na $X\n", lines: []string{"a 1"}},
	{rule: "8.1 blanks after =", in: "$X=   a b\nv $X\n", lines: []string{"v a b"}},
	{rule: "8.1 empty value", in: "$E=\nv $E x\n", lines: []string{"v  x"}},
	{rule: "8.1 no blank before =", in: "$X =1\n", lines: []string{"$X =1"}},
	{rule: "8.1 value with comment", in: "$X=a # c\nv $X\n", lines: []string{"v a"}},
	{rule: "8.1 redefinition", in: "$X=1\na $X\n$X=2\na $X\n", lines: []string{"a 1", "a 2"}},
	{rule: "8.1 references resolved at use", in: "$A=$B\n$B=2\na $A\n", lines: []string{"a 2"}},
	{rule: "8.1 override predefined", in: "$_HASH=h\na ${_HASH}\n", lines: []string{"a h"}},
	{rule: "8.1 definition inside block", in: "a {\n$X=1\nb $X\n}\n", lines: []string{"a", "{", "b 1", "}"}},

	// §8.2 substitution
	{rule: "8.2 unbraced needs terminator", in: "$IF=eth0\na $IF.1 ${IF}.1 $IF,x ($IF) $IF\n",
		lines: []string{"a $IF.1 eth0.1 eth0,x (eth0) eth0"}},
	{rule: "8.2 undefined kept", in: "a $NOPE x\n", lines: []string{"a $NOPE x"}},
	{rule: "8.2 undefined braced kept and split", in: "a ${NOPE}\n", lines: []string{"a $", "{", "NOPE", "}"}},
	{rule: "8.2 repeated until none left", in: "$A=${B}${B}\n$B=${C}\n$C=c\nx $A\n", lines: []string{"x cc"}},
	{rule: "8.2 self loop", in: "$IF=${IF}\na $IF\nb\n", lines: []string{"b"},
		diags: []string{"Parameter 'IF' is defined in terms of itself - ignoring line (keepalived 2.2.7 would loop for ever)"}},
	{rule: "8.2 mutual loop", in: "$A=x$B\n$B=y$A\na $A\n", lines: []string{},
		diags: []string{"Parameter 'A' is defined in terms of itself - ignoring line (keepalived 2.2.7 would loop for ever)"}},
	{rule: "8.2 same parameter twice is no loop", in: "$A=1\n$B=$A $A\nx $B $B\n", lines: []string{"x 1 1 1 1"}},
	{rule: "8.2 comment from substitution", in: "$C=a#b\nx $C\n", lines: []string{"x a"}},
	{rule: "8.2 tilde value stops substitution", in: "$S=~SEQ(N,1,2)\n$S n$N\n", lines: []string{"n1", "n2"}},
	{rule: "8.2 too long after substitution", in: "$L=" + strings.Repeat("x", 600) + "\na $L $L\n",
		lines: []string{"a " + strings.Repeat("x", 600) + " $L"},
		diags: []string{"Parameter substitution on line 'a " + strings.Repeat("x", 600) + " $L' would exceed maximum line length"}},

	// §8.3 predefined
	{rule: "8.3 _INSTANCE", id: "node1", in: "a ${_INSTANCE}\n", lines: []string{"a node1"}},
	{rule: "8.3 _PWD", in: "a ${_PWD}\n", lines: []string{"a /cwd"}},
	{rule: "8.3 _RANDOM range", in: "a ${_RANDOM 7 7}.x\n", lines: []string{"a 7.x"}},
	{rule: "8.3 params only for _RANDOM", in: "$X=1\na ${X 2}\n", lines: []string{"a $", "{", "X 2", "}"}},

	// §8.4 multi-line
	{rule: "8.4 multi-line", in: "$VIPS= \\\n   10.0.0.1/24 \\\n   10.0.0.2/24\na {\n$VIPS\n}\n",
		lines: []string{"a", "{", "10.0.0.1/24", "10.0.0.2/24", "}"}},
	{rule: "8.4 text on first line", in: "$M=a \\\nb\nx $M\n", lines: []string{"x a", "b"}},
	{rule: "8.4 blank line ends", in: "$M=a \\\nb \\\n\nc\nx ${M}\n", lines: []string{"c", "x a", "b"}},
	{rule: "8.4 comment line does not end", in: "$M=a \\\n# c\nb\nx $M\n", lines: []string{"x a", "b"}},
	{rule: "8.4 only last reference", in: "$M=a \\\nb\nx $M y\n", lines: []string{"x $M y"}},
	{rule: "8.4 lines are processed", in: "$M=a { \\\n@vm b \\\n$N=3 \\\n}\n$M\nc $N\n",
		lines: []string{"a", "{", "b", "}", "c 3"}},
	{rule: "8.4 nested multi-line", in: "$I=i1 \\\ni2\n$O=o1 \\\n$I \\\no2\n$O\n",
		lines: []string{"o1", "i1", "i2", "o2"}},
	{rule: "8.4 multi-line loop", in: "$M=a \\\n$M\n$M\n", lines: []string{"a"},
		diags: []string{"Parameter 'M' is defined in terms of itself - ignoring line (keepalived 2.2.7 would loop for ever)"}},
	{rule: "8.4 with ~SEQ", in: "$V=a$N \\\nb$N\n~SEQ(N,1,2) $V\n", lines: []string{"a1", "b1", "a2", "b2"}},

	// §9 conditionals
	{rule: "9 match", in: "@vm advert_int 3\n", lines: []string{"advert_int 3"}},
	{rule: "9 no match", in: "@other advert_int 4\n", lines: []string{}},
	{rule: "9 other id", id: "other", in: "@other advert_int 4\n@^vm x\n@vm y\n", lines: []string{"advert_int 4", "x"}},
	{rule: "9 negated", in: "@^vm a\n@^x b\n", lines: []string{"b"}},
	{rule: "9 only the id", in: "@vm\n", lines: []string{}},
	{rule: "9 comment after id", in: "@vm # foo\n", lines: []string{}},
	{rule: "9 case-sensitive", in: "@VM a\n", lines: []string{}},
	{rule: "9 conditional definition", in: "@vm $P=240\n@^vm $P=100\npriority $P\n", lines: []string{"priority 240"}},
	{rule: "9 parameter holding @", in: "$IF_MAIN=@main\n$IF_MAIN priority 240\n$IF_VM=@vm\n$IF_VM priority 1\n",
		lines: []string{"priority 1"}},

	// §10 generators
	{rule: "10 SEQ start step end", in: "~SEQ(N,1,2,5) ${N}.1.1.1/24\n", lines: []string{"1.1.1.1/24", "3.1.1.1/24", "5.1.1.1/24"}},
	{rule: "10 SEQ start end", in: "~SEQ(N,3,1) a$N\n", lines: []string{"a3", "a2", "a1"}},
	{rule: "10 SEQ end", in: "~SEQ(N,3) a$N\n", lines: []string{"a1", "a2", "a3"}},
	{rule: "10 SEQ end 0", in: "~SEQ(N, 0) a$N\n", lines: []string{"a1", "a0"}},
	{rule: "10 SEQ negative end", in: "~SEQ(N,-2) a$N\n", lines: []string{"a-1", "a-2"}},
	{rule: "10 SEQ bases", in: "~SEQ(N,0x10,010) a$N\n", lines: []string{"a16", "a15", "a14", "a13", "a12", "a11", "a10", "a9", "a8"}},
	{rule: "10 SEQx", in: "~SEQx(N,9,11) ${N}::1\n", lines: []string{"9::1", "a::1", "b::1"}},
	{rule: "10 SEQ parameter arguments", in: "$S=2\n$E=3\n~SEQ(N,$S,$E) a$N\n", lines: []string{"a2", "a3"}},
	{rule: "10 nested", in: "~SEQ(A,1,2) ~SEQ(B,5,6) 172.20.${A}.${B}/16\n",
		lines: []string{"172.20.1.5/16", "172.20.1.6/16", "172.20.2.5/16", "172.20.2.6/16"}},
	{rule: "10 LST", in: "~LST(V, a, b) x$V\n", lines: []string{"xa", "xb"}},
	{rule: "10 LST sets", in: "~LST({V1, V2}, {a1, a2}, {b1, b2}) $V1 $V2\n", lines: []string{"a1 a2", "b1 b2"}},
	{rule: "10 LST missing values", in: "~LST({V1,V2},{a},b) [${V1}] [${V2}]\n", lines: []string{"[a] []", "[b] []"}},
	{rule: "10 LST nested with SEQ", in: "~LST(V,a,b) ~SEQ(N,2) ${V}$N\n", lines: []string{"a1", "a2", "b1", "b2"}},
	{rule: "10 variable stays defined", in: "~SEQ(N,2) x\ny $N\n", lines: []string{"x", "x", "y 2"}},
	{rule: "10 generator braces", in: "~SEQ(N,2) vrrp_instance V$N { }\n",
		lines: []string{"vrrp_instance V1", "{", "}", "vrrp_instance V2", "{", "}"}},
	{rule: "10 conditional generator", in: "@vm ~SEQ(N,2) a$N\n@x ~SEQ(N,2) b$N\n", lines: []string{"a1", "a2"}},
	{rule: "10 other tilde passes", in: "~FOO $X\n", lines: []string{"~FOO $X"}},
	{rule: "10 bad step", in: "~SEQ(N,1,0,3) x\n", lines: []string{},
		diags: []string{"Invalid ~SEQ values '~SEQ(N,1,0,3) x'", "Invalid ~SEQ specification '~SEQ(N,1,0,3) x'"}},
	{rule: "10 step away from end", in: "~SEQ(N,1,-1,3) x\n", lines: []string{},
		diags: []string{"Invalid ~SEQ values '~SEQ(N,1,-1,3) x'", "Invalid ~SEQ specification '~SEQ(N,1,-1,3) x'"}},
	{rule: "10 SEQx negative", in: "~SEQx(N,-1,3) x\n", lines: []string{},
		diags: []string{"~SEQx is only valid for positive numbers '~SEQx(N,-1,3) x'", "Invalid ~SEQ specification '~SEQx(N,-1,3) x'"}},
	{rule: "10 no numbers", in: "~SEQ(N) x\n", lines: []string{},
		diags: []string{"Invalid ~SEQ definition '~SEQ(N) x'", "Invalid ~SEQ specification '~SEQ(N) x'"}},
	{rule: "10 no parenthesis", in: "~SEQ N\n", lines: []string{}, diags: []string{"Invalid ~SEQ specification '~SEQ N'"}},
	{rule: "10 no closing parenthesis", in: "~SEQ(N, 3\n", lines: []string{},
		diags: []string{"Invalid ~SEQ definition '~SEQ(N, 3'", "Invalid ~SEQ specification '~SEQ(N, 3'"}},
	{rule: "10 too long", in: "~SEQ(N, 1, 1, " + strings.Repeat("0", 60) + "3) x\n", lines: []string{},
		diags: []string{"~SEQ parameter strings too long '~SEQ(N, 1, 1, " + strings.Repeat("0", 60) + "3) x'",
			"Invalid ~SEQ specification '~SEQ(N, 1, 1, " + strings.Repeat("0", 60) + "3) x'"}},
	{rule: "10 LST too many", in: "~LST({A,B},{1,2,3}) q\n", lines: []string{},
		diags: []string{"~LST specification has too many values '~LST({A,B},{1,2,3}) q'", "Invalid ~LST specification '~LST({A,B},{1,2,3}) q'"}},
	{rule: "10 LST bad", in: "~LST(A)\n", lines: []string{}, diags: []string{"Invalid ~LST specification '~LST(A)'"}},
}

func TestReaderRules(t *testing.T) {
	for _, tc := range readerRules {
		t.Run(tc.rule, func(t *testing.T) {
			src, ds := readString(tc.in, ReadOptions{ConfigID: tc.id})
			if got := texts(src); !equal(got, tc.lines) {
				t.Errorf("lines:%s\nwant:%s", show(got), show(tc.lines))
			}
			want := tc.diags
			if want == nil {
				want = []string{}
			}
			if got := readerMessages(ds); !equal(got, want) {
				t.Errorf("diagnostics:%s\nwant:%s", show(got), show(want))
			}
			checkBalanced(t, src)
		})
	}
}

func TestGenerationIsBounded(t *testing.T) {
	for _, in := range []string{
		"~SEQ(A,1000) ~SEQ(B,1000) ~SEQ(C,1000) x\n",
		"$S=~SEQ(N,1,2) $S\n$S\n",
	} {
		src, ds := readString(in, ReadOptions{})
		if len(src.Lines) > maxGenerated || ExitCode(ds, false) != ExitErrors {
			t.Errorf("%q: %d lines, exit %d", in, len(src.Lines), ExitCode(ds, false))
		}
		if len(ds) > maxDiagnostics+1 {
			t.Errorf("%q: %d diagnostics", in, len(ds))
		}
		found := false
		for _, d := range ds {
			found = found || strings.HasPrefix(d.Message, "More than 1000000 lines generated")
		}
		if !found {
			t.Errorf("%q: no error about the limit: %v", in, readerMessages(ds[:min(len(ds), 3)]))
		}
	}
}

func TestSubstitutionIsBounded(t *testing.T) {
	// Each level doubles: without keepalived's line length limit this
	// would need 2^40 bytes.
	var b strings.Builder
	b.WriteString("$P0=x\n")
	for i := 1; i <= 40; i++ {
		b.WriteString("$P" + itoa(i) + "=${P" + itoa(i-1) + "}${P" + itoa(i-1) + "}\n")
	}
	b.WriteString("a ${P40}\n")
	src, ds := readString(b.String(), ReadOptions{})
	// keepalived leaves the line half-substituted at its length limit and
	// then splits the "${P..}" left in it at the braces.
	if len(src.Lines) == 0 || len(src.Lines) > 100_000 {
		t.Fatalf("%d lines", len(src.Lines))
	}
	for _, l := range src.Lines {
		if len(l.Text) > maxLine {
			t.Fatalf("line of %d bytes", len(l.Text))
		}
	}
	if len(ds) == 0 || !strings.Contains(ds[0].Message, "would exceed maximum line length") {
		t.Errorf("%v", ds[:min(3, len(ds))])
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestWords(t *testing.T) {
	src, ds := readString("a \"b c\" d\"e f\" 'g h' \"\" x\"\n", ReadOptions{})
	var got []string
	for _, w := range src.Lines[0].Words {
		got = append(got, fmt.Sprintf("%s/%v", w.Text, w.Quoted))
	}
	want := []string{"a/false", "b c/true", "d/false", "e f/true", "'g/false", "h'/false", "/true", "x/false"}
	if !equal(got, want) {
		t.Errorf("got %q", got)
	}
	if len(ds) != 2 || ds[1].Class != ClassUnmatchedQuote || ds[0].Class != ClassGeneral {
		t.Errorf("%v", ds)
	}
}

func TestConfigIDDefaultsToHostName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	host, _, _ = strings.Cut(host, ".")
	src, _ := readBytes("t.conf", []byte("@"+host+" a ${_INSTANCE}\n"), ReadOptions{}, emptyFS{})
	if !equal(texts(src), []string{"a " + host}) {
		t.Errorf("%q", texts(src))
	}
}

func TestRandomIsSeeded(t *testing.T) {
	in := "a ${_RANDOM} ${_RANDOM 1 6} $_RANDOM\n"
	a, _ := readString(in, ReadOptions{Seed: 7})
	b, _ := readString(in, ReadOptions{Seed: 7})
	if !equal(texts(a), texts(b)) {
		t.Errorf("%q != %q", texts(a), texts(b))
	}
	w := a.Lines[0].Words
	for i, max := range []int{32767, 6, 32767} {
		n, err := strconv.Atoi(w[i+1].Text)
		if err != nil || n < 0 || n > max {
			t.Errorf("%q", w[i+1].Text)
		}
	}
}
