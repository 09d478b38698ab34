package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (name → content) under a new temporary directory; a
// name ending in '/' is a directory, content "755" on a ".x" name makes an
// executable file.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".x") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestIncludeRelativePaths(t *testing.T) {
	dir := tree(t, map[string]string{
		"main.conf":          "a 1\ninclude inc/a.conf\nz ${_PWD}\n",
		"inc/a.conf":         "b 2\ninclude sub/b.conf\ny ${_PWD}\n",
		"inc/sub/b.conf":     "c 3\n",
		"inc/sub/unused.txt": "",
	})
	src, ds := Read(filepath.Join(dir, "main.conf"), ReadOptions{ConfigID: "vm"})
	if len(ds) != 0 {
		t.Fatalf("diagnostics %v", ds)
	}
	want := []string{"a 1", "b 2", "c 3", "y " + filepath.Join(dir, "inc"), "z " + dir}
	if got := texts(src); !equal(got, want) {
		t.Fatalf("got:%s\nwant:%s", show(got), show(want))
	}
	files := []string{filepath.Join(dir, "main.conf"), filepath.Join(dir, "inc/a.conf"), filepath.Join(dir, "inc/sub/b.conf")}
	if !equal(src.Files, files) {
		t.Errorf("files %q", src.Files)
	}
	if p := src.Lines[2].Pos; p != (Pos{File: files[2], Line: 1, Col: 1}) {
		t.Errorf("position through includes: %v", p)
	}
	if p := src.Lines[4].Pos; p != (Pos{File: files[0], Line: 3, Col: 1}) {
		t.Errorf("position after include: %v", p)
	}
}

func TestIncludeGlobOrder(t *testing.T) {
	dir := tree(t, map[string]string{
		"main.conf":     "include conf.d/*.conf\ninclude {b,a}.inc\ninclude conf.d/{x,[ab]}*.conf\n",
		"conf.d/b.conf": "cb\n", "conf.d/a.conf": "ca\n", "conf.d/.h.conf": "hidden\n",
		"a.inc": "ia\n", "b.inc": "ib\n",
	})
	src, ds := Read(filepath.Join(dir, "main.conf"), ReadOptions{})
	want := []string{"ca", "cb", "ib", "ia", "ca", "cb"}
	if got := texts(src); !equal(got, want) {
		t.Fatalf("got:%s\nwant:%s", show(got), show(want))
	}
	// conf.d/x* matches nothing, but that is not a missing file.
	if len(ds) != 0 {
		t.Errorf("diagnostics %v", ds)
	}
}

// The outcomes of config-language.md §7.3 and §12.3, observed with
// keepalived -t.
func TestIncludeChecks(t *testing.T) {
	files := map[string]string{
		"inc2/g.conf": "g\n", "dir/": "", "subd/": "", "exec.x": "x\n", "other.conf": "o\n",
	}
	for _, tc := range []struct {
		name  string
		main  string
		opts  ReadOptions
		lines []string
		diags []string
		class Class
		exit  int
	}{
		{name: "include missing", main: "include missing.conf\n",
			diags: []string{"Config files missing 'missing.conf'."}},
		{name: "include no wildcard match", main: "include dir/*.nothing\n"},
		{name: "include some missing", main: "include inc2/{g,h}.conf\n", lines: []string{"g"},
			diags: []string{"Some config files missing: \"inc2/{g,h}.conf\"."}},
		{name: "includer missing", main: "includer missing.conf\n",
			diags: []string{"Config files missing 'missing.conf'."}},
		{name: "includem missing", main: "includem missing.conf\n",
			diags: []string{"Config files missing 'missing.conf'."}, class: ClassGeneral, exit: 6},
		{name: "includem all braces missing is a brace failure", main: "includem inc2/{x,y}.conf\n",
			diags: []string{"Config files missing 'inc2/{x,y}.conf'."}},
		{name: "includew", main: "includew dir/*.nothing\n",
			diags: []string{"No config files matched 'dir/*.nothing'."}, class: ClassGeneral, exit: 6},
		{name: "includea", main: "includea dir/*.nothing\n",
			diags: []string{"No config files matched 'dir/*.nothing'."}, class: ClassGeneral, exit: 6},
		{name: "includeb", main: "includeb inc2/{g,h}.conf\n",
			diags: []string{"Some config files missing: \"inc2/{g,h}.conf\"."}, class: ClassGeneral, exit: 6},
		{name: "includem missing directory", main: "includem nodir/*.conf\n",
			diags: []string{"Config files missing 'nodir/*.conf'."}, class: ClassGeneral, exit: 6},
		{name: "directory skipped", main: "include subd*\n",
			diags: []string{"Configuration file 'subd/' is a directory - skipping"}},
		{name: "directory with includer", main: "includer subd*\n",
			diags: []string{"Configuration file 'subd/' is a directory - skipping"}, class: ClassGeneral, exit: 6},
		{name: "executable skipped", main: "include exec.x\n",
			diags: []string{"Configuration file 'exec.x' is not a regular non-executable file - skipping"}},
		{name: "executable with includea", main: "includea exec.x\n",
			diags: []string{"Configuration file 'exec.x' is not a regular non-executable file - skipping"}, class: ClassGeneral, exit: 6},
		{name: "include_check all", main: "global_defs {\ninclude_check\n}\ninclude nope.conf\n",
			lines: []string{"global_defs", "{", "include_check", "}"},
			diags: []string{"Config files missing 'nope.conf'."}, class: ClassGeneral, exit: 6},
		{name: "include_check only for later includes", main: "include nope.conf\nglobal_defs {\ninclude_check\n}\n",
			lines: []string{"global_defs", "{", "include_check", "}"},
			diags: []string{"Config files missing 'nope.conf'."}},
		{name: "include_check outside global_defs", main: "vrrp_instance X {\ninclude_check\n}\ninclude nope.conf\n",
			lines: []string{"vrrp_instance X", "{", "include_check", "}"},
			diags: []string{"Config files missing 'nope.conf'."}},
		{name: "include_check read", main: "global_defs {\ninclude_check read\n}\ninclude nope.conf\ninclude subd*\n",
			lines: []string{"global_defs", "{", "include_check read", "}"},
			diags: []string{"Config files missing 'nope.conf'.", "Configuration file 'subd/' is a directory - skipping"},
			class: ClassGeneral, exit: 6},
		{name: "include_check minus", main: "global_defs {\ninclude_check\ninclude_check -match\n}\ninclude nope.conf\n",
			lines: []string{"global_defs", "{", "include_check", "include_check -match", "}"},
			diags: []string{"Config files missing 'nope.conf'."}},
		{name: "include_check unknown and duplicate",
			main:  "global_defs {\ninclude_check readable match +brace_match\n}\ninclude nope.conf\n",
			lines: []string{"global_defs", "{", "include_check readable match +brace_match", "}"},
			diags: []string{"Unknown include_check type 'readable' - ignoring", "Duplicate include_check 'match' specified - ignoring",
				"Config files missing 'nope.conf'."}, class: ClassNone, exit: 5},
		{name: "-e", main: "include nope.conf\n", opts: ReadOptions{AllIncludeChecks: true},
			diags: []string{"Config files missing 'nope.conf'."}, class: ClassGeneral, exit: 6},
		{name: "include_check restored after the included file",
			main:  "include setcheck.conf\ninclude nope.conf\n",
			lines: []string{"global_defs", "{", "include_check", "}"},
			diags: []string{"Config files missing 'nope.conf'."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := map[string]string{"main.conf": tc.main, "setcheck.conf": "global_defs {\ninclude_check\n}\n"}
			for k, v := range files {
				fs[k] = v
			}
			dir := tree(t, fs)
			src, ds := Read(filepath.Join(dir, "main.conf"), tc.opts)
			lines := tc.lines
			if lines == nil {
				lines = []string{}
			}
			if got := texts(src); !equal(got, lines) {
				t.Errorf("lines:%s\nwant:%s", show(got), show(lines))
			}
			diags := tc.diags
			if diags == nil {
				diags = []string{}
			}
			if got := messages(ds); !equal(got, diags) {
				t.Errorf("diagnostics:%s\nwant:%s", show(got), show(diags))
			}
			if len(ds) > 0 {
				last := ds[len(ds)-1]
				if last.Class != tc.class || last.Terminal != (tc.exit == 6) {
					t.Errorf("class %v terminal %v, want %v", last.Class, last.Terminal, tc.class)
				}
				if last.Class == ClassNone && last.Severity != SeverityWarning {
					t.Errorf("unchecked include failure should be a warning")
				}
			}
			if got := ExitCode(ds, false); got != tc.exit {
				t.Errorf("exit %d, want %d", got, tc.exit)
			}
			checkBalanced(t, src)
		})
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := tree(t, map[string]string{
		"main.conf": "m\ninclude a.conf\n",
		"a.conf":    "a {\ninclude b.conf\n}\n",
	})
	// Reaching a.conf by another name must still be seen as a loop.
	b := "b\ninclude ../" + filepath.Base(dir) + "/a.conf\ninclude main.conf\n"
	if err := os.WriteFile(filepath.Join(dir, "b.conf"), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	src, ds := Read(filepath.Join(dir, "main.conf"), ReadOptions{})
	if got, want := texts(src), []string{"m", "a", "{", "b", "}"}; !equal(got, want) {
		t.Fatalf("got:%s", show(got))
	}
	want := []string{
		"Configuration file '../" + filepath.Base(dir) + "/a.conf' includes itself - skipping (keepalived 2.2.7 would recurse until it runs out of file descriptors)",
		"Configuration file 'main.conf' includes itself - skipping (keepalived 2.2.7 would recurse until it runs out of file descriptors)",
	}
	if got := messages(ds); !equal(got, want) {
		t.Fatalf("got:%s", show(got))
	}
	if ds[0].Pos.Line != 2 || ds[0].Class != ClassGeneral || ExitCode(ds, false) != ExitErrors {
		t.Errorf("diagnostic %+v", ds[0])
	}
}

func TestMainFile(t *testing.T) {
	dir := tree(t, map[string]string{"subd/": "", "exec.x": "a\n", "ok.conf": "a\n"})
	for _, tc := range []struct {
		path, msg string
	}{
		{filepath.Join(dir, "missing.conf"), "Config files missing '" + filepath.Join(dir, "missing.conf") + "'."},
		{filepath.Join(dir, "subd"), "Configuration file '" + filepath.Join(dir, "subd") + "/' is a directory - skipping"},
		{filepath.Join(dir, "exec.x"), "Configuration file '" + filepath.Join(dir, "exec.x") + "' is not a regular non-executable file - skipping"},
	} {
		src, ds := Read(tc.path, ReadOptions{})
		if len(src.Lines) != 0 || len(ds) != 2 {
			t.Fatalf("%s: %v", tc.path, ds)
		}
		if d := ds[0]; d.Message != tc.msg || d.Class != ClassFileNotFound || d.Severity != SeverityError {
			t.Errorf("%s: %+v", tc.path, d)
		}
		if d := ds[1]; d.Message != "Failed to open configuration file" || d.Class != ClassNone {
			t.Errorf("%s: %+v", tc.path, d)
		}
	}
	src, ds := Read(filepath.Join(dir, "ok.conf"), ReadOptions{})
	if len(ds) != 0 || !equal(texts(src), []string{"a"}) {
		t.Errorf("ok.conf: %v %v", texts(src), ds)
	}
}

func TestReadBytesIncludesRelativeToName(t *testing.T) {
	dir := tree(t, map[string]string{"inc/x.conf": "x\n"})
	src, ds := ReadBytes(filepath.Join(dir, "virtual.conf"), []byte("include inc/x.conf\n"), ReadOptions{})
	if len(ds) != 0 || !equal(texts(src), []string{"x"}) {
		t.Errorf("%v %v", texts(src), ds)
	}
}

func TestExitOrderOfTerminalConditions(t *testing.T) {
	dir := tree(t, map[string]string{})
	_, ds := Read(writeFile(t, dir, "main.conf", "a\nb\nincludem x.conf\nc\nincludem y.conf\n"), ReadOptions{})
	if len(ds) != 2 || ds[0].seq != 2 || ds[1].seq != 3 || ds[0].pass != PassParent {
		t.Fatalf("%+v", ds)
	}
	if ExitCode(ds, false) != ExitNoConfig {
		t.Errorf("exit %d", ExitCode(ds, false))
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
