package parser

import (
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeUsers keeps the real file system but replaces the user database, so
// tests do not depend on the host's accounts.
type fakeUsers struct {
	ScriptSystem
	users  map[string][2]int
	groups map[string]int
	path   string
}

func (f fakeUsers) LookupUser(name string) (int, int, error) {
	if u, ok := f.users[name]; ok {
		return u[0], u[1], nil
	}
	return -1, -1, user.UnknownUserError(name)
}

func (f fakeUsers) LookupGroup(name string) (int, error) {
	if g, ok := f.groups[name]; ok {
		return g, nil
	}
	return -1, user.UnknownGroupError(name)
}

func (f fakeUsers) SearchPath() string { return f.path }

// fakeSys is a fake user database over an invented, safe file system, for
// tests that need no root.
func fakeSys(extra ...string) fakeUsers {
	f := newSys(extra...)
	f.ScriptSystem = fakeFS{
		"/":          {mode: fs.ModeDir | 0o755},
		"/opt":       {mode: fs.ModeDir | 0o755},
		"/opt/ok.sh": {mode: 0o755},
	}
	return f
}

func newSys(extra ...string) fakeUsers {
	f := fakeUsers{
		ScriptSystem: OSScriptSystem(),
		users:        map[string][2]int{"root": {0, 0}, "nobody": {65534, 65534}},
		groups:       map[string]int{"root": 0, "nogroup": 65534},
		path:         "/nonexistent",
	}
	for _, e := range extra {
		if e == "keepalived_script" {
			f.users[e] = [2]int{999, 999}
		}
	}
	return f
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create files owned by other users")
	}
}

// scriptDir makes a directory whose path from / is root-owned and safe: the
// test temp dir sits under the sticky /tmp or a root-owned directory.
func scriptDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func writeScript(t *testing.T, path string, mode fs.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after the write: the umask would strip bits, and setuid needs
	// an explicit chmod.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func mkdir(t *testing.T, path string, mode fs.FileMode) string {
	t.Helper()
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func chown(t *testing.T, path string, uid, gid int) {
	t.Helper()
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func notify(t *testing.T, line string) *Script {
	t.Helper()
	s, ds := ParseScriptLine(line, Pos{File: "k.conf", Line: 5})
	if s == nil {
		t.Fatalf("ParseScriptLine(%q): %v", line, ds)
	}
	return s
}

func diagMessages(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Class.String()+": "+d.Message)
	}
	return out
}

func diagHasMessage(ds Diagnostics, class Class, msg string) bool {
	for _, d := range ds {
		if d.Class == class && d.Message == msg {
			return true
		}
	}
	return false
}

const (
	violation         = "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
	violationInsecure = violation + " There are insecure scripts."
)

// TestScriptSecurityModes checks keepalived's verdicts on real files run as
// root (notify.md §4.2, "Observed with enable_script_security").
func TestScriptSecurityModes(t *testing.T) {
	needRoot(t)
	type setup func(t *testing.T, dir string) string // returns the script path
	file := func(mode fs.FileMode, uid, gid int) setup {
		return func(t *testing.T, dir string) string {
			p := writeScript(t, filepath.Join(dir, "s.sh"), mode)
			chown(t, p, uid, gid)
			return p
		}
	}
	inDir := func(dmode fs.FileMode, duid int) setup {
		return func(t *testing.T, dir string) string {
			d := mkdir(t, filepath.Join(dir, "d"), dmode)
			chown(t, d, duid, 0)
			return writeScript(t, filepath.Join(d, "s.sh"), 0o755)
		}
	}
	tests := []struct {
		name     string
		setup    setup
		insecure bool
		disabled bool // with enable_script_security
		isScript bool // counts for the summary
	}{
		{"0755 root:root", file(0o755, 0, 0), false, false, true},
		{"0775 root:root", file(0o775, 0, 0), false, false, true},
		{"0757 root:root", file(0o757, 0, 0), true, true, true},
		{"0775 root:nogroup", file(0o775, 0, 65534), true, true, true},
		{"0755 root:nogroup", file(0o755, 0, 65534), false, false, true},
		{"0755 nobody:root", file(0o755, 65534, 0), true, true, true},
		{"0644 not executable", file(0o644, 0, 0), false, true, true},
		{"0700 root", file(0o700, 0, 0), false, false, true},
		{"0777 dir without sticky bit", inDir(0o777, 0), true, true, true},
		{"1777 dir with sticky bit", inDir(0o1777|fs.ModeSticky, 0), false, false, true},
		{"0775 dir group root", inDir(0o775, 0), false, false, true},
		{"0755 dir owned by nobody", inDir(0o755, 65534), true, true, true},
		{"missing", func(t *testing.T, dir string) string { return filepath.Join(dir, "none.sh") }, false, true, false},
		{"fifo is the wrong file type", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, false, true, true},
	}
	for _, tt := range tests {
		for _, enabled := range []bool{true, false} {
			name := tt.name + map[bool]string{true: "/secure", false: "/insecure-mode"}[enabled]
			t.Run(name, func(t *testing.T) {
				dir := scriptDir(t)
				p := tt.setup(t, dir)
				s := notify(t, "notify_master "+p+" root")
				ds := ApplyScriptSecurity([]*Script{s}, ScriptSecurity{Enabled: enabled}, newSys())
				if s.Insecure != tt.insecure {
					t.Errorf("Insecure = %v, want %v (%q)", s.Insecure, tt.insecure, diagMessages(ds))
				}
				wantDisabled := tt.disabled
				if !enabled && tt.insecure {
					wantDisabled = false // unsafe scripts still run without script security
				}
				if strings.Contains(tt.name, "wrong file type") {
					wantDisabled = true // refused even without script security
				}
				if s.Disabled != wantDisabled {
					t.Errorf("Disabled = %v, want %v (%q)", s.Disabled, wantDisabled, diagMessages(ds))
				}
				want := 0
				if !enabled && tt.isScript {
					want = 6
					msg := violation
					if tt.insecure {
						msg = violationInsecure
					}
					if !diagHasMessage(ds, ClassSecurity, msg) {
						t.Errorf("no %q in %q", msg, diagMessages(ds))
					}
				}
				if got := ExitCode(ds, false); got != want {
					t.Errorf("ExitCode = %d, want %d (%q)", got, want, diagMessages(ds))
				}
				if s.UID != 0 || s.GID != 0 {
					t.Errorf("uid:gid = %d:%d, want 0:0", s.UID, s.GID)
				}
			})
		}
	}
}

func TestScriptSecurityMessages(t *testing.T) {
	needRoot(t)
	dir := scriptDir(t)
	ww := writeScript(t, filepath.Join(dir, "ww.sh"), 0o757)
	noexec := writeScript(t, filepath.Join(dir, "noexec.sh"), 0o644)
	sec := ScriptSecurity{Enabled: true, UserSet: true, User: "root"}

	s := notify(t, "notify_master "+ww)
	ds := ApplyScriptSecurity([]*Script{s}, sec, newSys())
	want := []string{"none: Unsafe permissions found for script '" + ww + "' - disabling."}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	s = notify(t, "notify_master "+noexec)
	ds = ApplyScriptSecurity([]*Script{s}, sec, newSys())
	want = []string{"none: WARNING - script '" + noexec + "' is not executable for uid:gid 0:0 - disabling."}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) || !s.Disabled {
		t.Errorf("got %q disabled %v, want %q", got, s.Disabled, want)
	}

	s = notify(t, "notify_master "+filepath.Join(dir, "none.sh"))
	ds = ApplyScriptSecurity([]*Script{s}, ScriptSecurity{UserSet: true, User: "root"}, newSys())
	want = []string{"none: Script " + filepath.Join(dir, "none.sh") + " cannot be accessed - No such file or directory"}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) || !s.Disabled || ExitCode(ds, false) != 0 {
		t.Errorf("got %q disabled %v, want %q", got, s.Disabled, want)
	}
}

// TestTrackScriptSecurity: a vrrp_script's failures are config errors (exit
// 5), unlike a notify script's.
func TestTrackScriptSecurity(t *testing.T) {
	needRoot(t)
	dir := scriptDir(t)
	ww := writeScript(t, filepath.Join(dir, "ww.sh"), 0o757)
	noexec := writeScript(t, filepath.Join(dir, "noexec.sh"), 0o644)
	track := func(path string) *Script {
		s := notify(t, "script "+path)
		s.Name = "chk"
		return s
	}
	sec := ScriptSecurity{Enabled: true, UserSet: true, User: "root"}
	tests := []struct {
		name string
		s    *Script
		sec  ScriptSecurity
		want []string
		exit int
	}{
		{"insecure", track(ww), sec, []string{"none: Unsafe permissions found for script '" + ww + "' - disabling.",
			"general: Disabling track script chk due to insecure"}, 5},
		{"missing", track(filepath.Join(dir, "none")), sec, []string{
			"none: Script " + filepath.Join(dir, "none") + " cannot be accessed - No such file or directory",
			"general: Disabling track script chk since not found/accessible"}, 5},
		{"not executable, no security", track(noexec), ScriptSecurity{UserSet: true, User: "root"}, []string{
			"none: WARNING - script '" + noexec + "' is not executable for uid:gid 0:0 - disabling.",
			"security: " + violation}, 6},
		{"file test is not a script", track("</etc/passwd"), ScriptSecurity{UserSet: true, User: "root"}, nil, 0},
		{"file test with blanks", track(`"<\\ /etc/passwd"`), ScriptSecurity{UserSet: true, User: "root"}, nil, 0},
		// The command is split again, so "<" alone is the program, as in
		// keepalived.
		{"file test split into words", track(`"< /etc/passwd"`), ScriptSecurity{UserSet: true, User: "root"}, []string{
			"none: Cannot find script < in path - disabling",
			"general: Disabling track script chk since not found/accessible"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := ApplyScriptSecurity([]*Script{tt.s}, tt.sec, newSys())
			if got := diagMessages(ds); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got := ExitCode(ds, false); got != tt.exit {
				t.Errorf("ExitCode = %d, want %d", got, tt.exit)
			}
		})
	}
}

// TestScriptSymlinks: keepalived keeps the name as written when the resolved
// directory holds the same file under it, and checks both paths.
func TestScriptSymlinks(t *testing.T) {
	needRoot(t)
	dir := scriptDir(t)
	a := mkdir(t, filepath.Join(dir, "a"), 0o755)
	b := mkdir(t, filepath.Join(dir, "b"), 0o755)
	real := writeScript(t, filepath.Join(b, "real.sh"), 0o755)
	if err := os.Symlink("real.sh", filepath.Join(b, "alias.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(a, "other.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(a, "real.sh")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, argv0 string }{
		{filepath.Join(b, "alias.sh"), filepath.Join(b, "alias.sh")},
		{filepath.Join(a, "other.sh"), real},
		{filepath.Join(a, "real.sh"), real},
		{filepath.Join(a, "..", "b", ".", "real.sh"), real},
	}
	for _, tt := range tests {
		s := notify(t, `notify_master "`+tt.path+` arg"`)
		ds := ApplyScriptSecurity([]*Script{s}, ScriptSecurity{Enabled: true, UserSet: true, User: "root"}, newSys())
		if s.Argv[0] != tt.argv0 || s.Path != real || s.Disabled || s.Argv[1] != "arg" {
			t.Errorf("%s: argv %q path %q disabled %v (%q), want argv[0] %q path %q",
				tt.path, s.Argv, s.Path, s.Disabled, diagMessages(ds), tt.argv0, real)
		}
	}

	// The link name's own path is checked too: an unsafe directory holding
	// the alias makes it unsafe although the target is safe.
	c := mkdir(t, filepath.Join(dir, "c"), 0o777)
	if err := os.Link(real, filepath.Join(c, "hard.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hard.sh", filepath.Join(c, "soft.sh")); err != nil {
		t.Fatal(err)
	}
	s := notify(t, "notify_master "+filepath.Join(c, "soft.sh"))
	ApplyScriptSecurity([]*Script{s}, ScriptSecurity{Enabled: true, UserSet: true, User: "root"}, newSys())
	if !s.Insecure || !s.Disabled {
		t.Errorf("script behind an unsafe directory: insecure %v disabled %v", s.Insecure, s.Disabled)
	}
}

// TestScriptNotRoot: a script that runs as another user needs no protection,
// unless its file is setuid root.
func TestScriptNotRoot(t *testing.T) {
	needRoot(t)
	dir := scriptDir(t)
	ww := writeScript(t, filepath.Join(dir, "ww.sh"), 0o757)
	suid := writeScript(t, filepath.Join(dir, "suid.sh"), 0o4757|fs.ModeSetuid)
	mine := writeScript(t, filepath.Join(dir, "mine.sh"), 0o700)
	chown(t, mine, 65534, 65534)
	rootOnly := writeScript(t, filepath.Join(dir, "rootonly.sh"), 0o700)

	sec := ScriptSecurity{Enabled: true}
	s := notify(t, "notify_master "+ww+" nobody")
	ds := ApplyScriptSecurity([]*Script{s}, sec, newSys())
	if s.Insecure || s.Disabled || s.UID != 65534 || s.GID != 65534 || len(ds) != 0 {
		t.Errorf("world-writable run as nobody: %+v %q", s, diagMessages(ds))
	}
	s = notify(t, "notify_master "+suid+" nobody")
	ApplyScriptSecurity([]*Script{s}, sec, newSys())
	if !s.Insecure || !s.Disabled {
		t.Errorf("setuid-root world-writable run as nobody: insecure %v disabled %v", s.Insecure, s.Disabled)
	}
	s = notify(t, "notify_master "+mine+" nobody")
	ApplyScriptSecurity([]*Script{s}, sec, newSys())
	if s.Disabled {
		t.Errorf("owner-executable script run as its owner is disabled")
	}
	s = notify(t, "notify_master "+rootOnly+" nobody")
	ds = ApplyScriptSecurity([]*Script{s}, sec, newSys())
	if !s.Disabled || !diagHasMessage(ds, ClassNone, "WARNING - script '"+rootOnly+"' is not executable for uid:gid 65534:65534 - disabling.") {
		t.Errorf("0700 root script run as nobody: disabled %v %q", s.Disabled, diagMessages(ds))
	}
	// With root's group the script needs protection again.
	s = notify(t, "notify_master "+ww+" nobody root")
	ApplyScriptSecurity([]*Script{s}, sec, newSys())
	if s.GID != 0 || !s.Insecure || !s.Disabled {
		t.Errorf("run as nobody:root: gid %d insecure %v disabled %v", s.GID, s.Insecure, s.Disabled)
	}
}

func TestScriptPathSearch(t *testing.T) {
	needRoot(t)
	dir := scriptDir(t)
	bin := mkdir(t, filepath.Join(dir, "bin"), 0o755)
	other := mkdir(t, filepath.Join(dir, "other"), 0o755)
	writeScript(t, filepath.Join(other, "tool"), 0o644)
	writeScript(t, filepath.Join(bin, "tool"), 0o755)
	writeScript(t, filepath.Join(other, "locked"), 0o644)
	sys := newSys()
	sys.path = other + ":" + bin
	root := ScriptSecurity{UserSet: true, User: "root"}

	s := notify(t, `notify_master "tool -x"`)
	ds := ApplyScriptSecurity([]*Script{s}, root, sys)
	want := []string{
		"none: WARNING - script `tool` resolved by path search to `" + bin + "/tool`. Please specify full path.",
		"security: " + violation,
	}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) || s.Argv[0] != bin+"/tool" || s.Argv[1] != "-x" {
		t.Errorf("got %q argv %q, want %q", got, s.Argv, want)
	}

	s = notify(t, "notify_master locked")
	ds = ApplyScriptSecurity([]*Script{s}, root, sys)
	want = []string{"none: Permissions failure for script locked in path - disabling"}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) || !s.Disabled {
		t.Errorf("got %q, want %q", got, want)
	}
	s = notify(t, "notify_master missing")
	ds = ApplyScriptSecurity([]*Script{s}, root, sys)
	want = []string{"none: Cannot find script missing in path - disabling"}
	if got := diagMessages(ds); !reflect.DeepEqual(got, want) || !s.Disabled || ExitCode(ds, false) != 0 {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestScriptUsers covers user resolution with a fake user database; the
// outcomes were observed with keepalived 2.2.7 -t (config-language.md §12.3,
// notify.md §4.1, the corpus logs).
func TestScriptUsers(t *testing.T) {
	const ok = "/opt/ok.sh"
	at := func(line int) Pos { return Pos{File: "k.conf", Line: line} }
	mk := func(line string, pos int) *Script {
		s, _ := ParseScriptLine(line, at(pos))
		return s
	}
	trackAt := func(pos, end int) *Script {
		s := mk("script "+ok, pos)
		s.Name, s.EndPos = "chk", at(end)
		return s
	}
	tests := []struct {
		name    string
		scripts []*Script
		sec     ScriptSecurity
		extra   []string
		want    []string // "line class: message"
		exit    int
		uid     int // of the first script
	}{
		{name: "default root without security", scripts: []*Script{mk("notify_master "+ok, 9)},
			want: []string{"9 none: Script user 'keepalived_script' does not exist", "0 security: " + violation},
			exit: 6, uid: 0},
		{name: "no default user with security", scripts: []*Script{mk("notify_master "+ok, 9), mk("notify_backup "+ok, 10)},
			sec: ScriptSecurity{Enabled: true},
			want: []string{"9 none: Script user 'keepalived_script' does not exist",
				"9 general: Unable to set default user keepalived_script for script",
				"9 none: Failed to set default user for notify script " + ok + " - ignoring",
				"10 none: Failed to set default user for notify script " + ok + " - ignoring"},
			exit: 5, uid: -1},
		{name: "track script default user fails at block end", scripts: []*Script{trackAt(5, 6)},
			sec: ScriptSecurity{Enabled: true},
			want: []string{"6 none: Script user 'keepalived_script' does not exist",
				"6 general: Unable to set default user keepalived_script for script",
				"6 general: Unable to set default user for vrrp script chk - removing"},
			exit: 5, uid: -1},
		{name: "startup script is resolved first", scripts: []*Script{mk("notify_master "+ok, 9), mk("startup_script "+ok, 3)},
			sec: ScriptSecurity{Enabled: true},
			want: []string{"3 none: Script user 'keepalived_script' does not exist",
				"3 general: Unable to set default user keepalived_script for script",
				"3 none: Failed to set default user for startup script " + ok + " - ignoring",
				"3 general: Invalid startup script",
				"9 none: Failed to set default user for notify script " + ok + " - ignoring"},
			exit: 5, uid: -1},
		{name: "keepalived_script user exists", scripts: []*Script{mk("notify_master "+ok, 9)},
			sec: ScriptSecurity{Enabled: true}, extra: []string{"keepalived_script"}, uid: 999},
		{name: "keepalived_script user without security", scripts: []*Script{mk("notify_master "+ok, 9)},
			extra: []string{"keepalived_script"}, want: []string{"0 security: " + violation}, exit: 6, uid: 999},
		{name: "script_user root", scripts: []*Script{mk("notify_master "+ok, 9)},
			sec: ScriptSecurity{Enabled: true, UserSet: true, User: "root", UserPos: at(2)}, uid: 0},
		{name: "script_user with group", scripts: []*Script{mk("notify_master "+ok, 9)},
			sec: ScriptSecurity{Enabled: true, UserSet: true, User: "nobody", Group: "root", UserPos: at(2)}, uid: 65534},
		{name: "bad script_user drops default-user scripts even without security",
			scripts: []*Script{mk("notify_master "+ok, 9), trackAt(12, 14), mk("notify_backup "+ok+" root", 10)},
			sec:     ScriptSecurity{UserSet: true, User: "consul", UserPos: at(2)},
			want: []string{"2 none: Script user 'consul' does not exist",
				"2 general: Error setting global script uid/gid",
				"9 none: Failed to set default user for notify script " + ok + " - ignoring",
				"14 general: Unable to set default user for vrrp script chk - removing",
				"0 security: " + violation},
			exit: 6, uid: -1},
		{name: "bare argument taken as unknown user is only logged",
			scripts: []*Script{mk("notify_master "+ok+" arg1", 9)}, sec: ScriptSecurity{Enabled: true},
			want: []string{"9 none: Script user 'arg1' does not exist",
				"9 none: Invalid user/group for notify script " + ok + " - ignoring"},
			exit: 0, uid: -1},
		{name: "unknown user drops the script before the summary",
			scripts: []*Script{mk("notify_master "+ok+" arg1", 9)},
			want: []string{"9 none: Script user 'arg1' does not exist",
				"9 none: Invalid user/group for notify script " + ok + " - ignoring"},
			exit: 0, uid: -1},
		{name: "unknown group", scripts: []*Script{mk("quorum_up "+ok+" root wheel", 9)},
			sec: ScriptSecurity{NoVRRPInstances: true},
			want: []string{"9 none: Script group 'wheel' does not exist",
				"9 none: Invalid user/group for quorum script " + ok + " - ignoring"},
			exit: 0, uid: -1},
		{name: "startup script with unknown user", scripts: []*Script{mk("shutdown_script "+ok+" arg1", 4)},
			want: []string{"4 none: Script user 'arg1' does not exist",
				"4 none: Invalid user/group for shutdown script " + ok + " - ignoring",
				"4 general: Invalid shutdown script"},
			exit: 5, uid: -1},
		{name: "fifo script with unknown user", scripts: []*Script{mk("lvs_notify_fifo_script "+ok+" arg1", 4)},
			want: []string{"4 none: Script user 'arg1' does not exist",
				"4 none: Invalid user/group for lvs_notify_fifo script " + ok + " - ignoring"},
			uid: -1},
		{name: "track script with unknown user", scripts: []*Script{func() *Script {
			s := trackAt(5, 7)
			s.User, s.UserPos = "ghost", at(6)
			return s
		}()},
			want: []string{"6 none: Script user 'ghost' does not exist",
				"6 general: Unable to set uid/gid for script '" + ok + "'"},
			exit: 5, uid: -1},
		{name: "misc script with unknown user", scripts: []*Script{func() *Script {
			s := mk("misc_path "+ok, 5)
			s.User, s.UserPos = "ghost", at(6)
			return s
		}()},
			want: []string{"6 none: Script user 'ghost' does not exist",
				"6 general: Failed to set uid/gid for misc checker script '" + ok + "' - removing"},
			exit: 5, uid: -1},
		{name: "misc script default user", scripts: []*Script{func() *Script {
			s := mk("misc_path "+ok, 5)
			s.EndPos = at(7)
			return s
		}()},
			sec: ScriptSecurity{Enabled: true},
			want: []string{"7 none: Script user 'keepalived_script' does not exist",
				"7 general: Unable to set default user keepalived_script for script",
				"7 general: Unable to set default user for misc script '" + ok + "' - removing"},
			exit: 5, uid: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := ApplyScriptSecurity(tt.scripts, tt.sec, fakeSys(tt.extra...))
			var got []string
			for _, d := range ds {
				got = append(got, strings.TrimSpace(strings.Join([]string{strconv.Itoa(d.Pos.Line), d.Class.String() + ":", d.Message}, " ")))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("diagnostics:\n got %q\nwant %q", got, tt.want)
			}
			if e := ExitCode(ds, false); e != tt.exit {
				t.Errorf("ExitCode = %d, want %d", e, tt.exit)
			}
			if s := tt.scripts[0]; s.UID != tt.uid || (tt.uid < 0) != s.Disabled {
				t.Errorf("first script uid %d disabled %v, want uid %d", s.UID, s.Disabled, tt.uid)
			}
		})
	}
}

// TestScriptSecuritySummaries: each process that has scripts says so in its
// own words; a process with nothing to run checks nothing.
func TestScriptSecuritySummaries(t *testing.T) {
	const ok = "/opt/ok.sh"
	parse := func(line string) *Script {
		s, _ := ParseScriptLine(line, Pos{Line: 1})
		return s
	}
	root := ScriptSecurity{UserSet: true, User: "root"}
	tests := []struct {
		name    string
		scripts []*Script
		sec     ScriptSecurity
		want    []string
	}{
		{"all three processes", []*Script{parse("notify_master " + ok), parse("misc_path " + ok), parse("startup_script " + ok)}, root,
			[]string{"SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.",
				"SECURITY VIOLATION - check scripts are being executed but script_security not enabled.",
				violation}},
		{"notify_fifo_script counts for both children", []*Script{parse("notify_fifo_script " + ok)}, root,
			[]string{"SECURITY VIOLATION - check scripts are being executed but script_security not enabled.", violation}},
		{"no virtual servers", []*Script{parse("notify_fifo_script " + ok)},
			ScriptSecurity{UserSet: true, User: "root", NoVirtualServers: true}, []string{violation}},
		{"vrrp_script without instances", []*Script{parse("script " + ok)},
			ScriptSecurity{UserSet: true, User: "root", NoVRRPInstances: true}, nil},
		{"vrrp and lvs fifo scripts", []*Script{parse("vrrp_notify_fifo_script " + ok), parse("lvs_notify_fifo_script /nonexistent")}, root,
			[]string{violation}},
		{"enabled", []*Script{parse("notify_master " + ok)}, ScriptSecurity{Enabled: true, UserSet: true, User: "root"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := ApplyScriptSecurity(tt.scripts, tt.sec, fakeSys())
			var got []string
			for _, d := range ds {
				if d.Class == ClassSecurity {
					got = append(got, d.Message)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestScriptSecurityFake runs the check on an invented file system, so the
// ownership rules are covered without root.
func TestScriptSecurityFake(t *testing.T) {
	fsys := fakeFS{
		"/":              {mode: fs.ModeDir | 0o755},
		"/opt":           {mode: fs.ModeDir | 0o755},
		"/opt/ok.sh":     {mode: 0o755},
		"/opt/ww.sh":     {mode: 0o757},
		"/opt/gw.sh":     {mode: 0o775, gid: 100},
		"/opt/theirs.sh": {mode: 0o755, uid: 1000},
		"/home":          {mode: fs.ModeDir | 0o755, uid: 1000},
		"/home/x.sh":     {mode: 0o755},
		"/tmp":           {mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"/tmp/x.sh":      {mode: 0o755},
	}
	tests := []struct {
		path     string
		insecure bool
	}{
		{"/opt/ok.sh", false}, {"/opt/ww.sh", true}, {"/opt/gw.sh", true}, {"/opt/theirs.sh", true},
		{"/home/x.sh", true}, {"/tmp/x.sh", false},
	}
	for _, tt := range tests {
		s := notify(t, "notify_master "+tt.path)
		s.User = "root"
		ds := ApplyScriptSecurity([]*Script{s}, ScriptSecurity{Enabled: true}, fsys)
		if s.Insecure != tt.insecure || s.Disabled != tt.insecure {
			t.Errorf("%s: insecure %v disabled %v, want %v (%q)", tt.path, s.Insecure, s.Disabled, tt.insecure, diagMessages(ds))
		}
	}
}

type fakeFile struct {
	mode     fs.FileMode
	uid, gid uint32
}

type fakeFS map[string]fakeFile

type fakeInfo struct {
	name string
	f    fakeFile
}

func (i fakeInfo) Name() string       { return filepath.Base(i.name) }
func (i fakeInfo) Size() int64        { return 0 }
func (i fakeInfo) Mode() fs.FileMode  { return i.f.mode }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.f.mode.IsDir() }
func (i fakeInfo) Sys() any {
	return &syscall.Stat_t{Uid: i.f.uid, Gid: i.f.gid, Ino: uint64(len(i.name))}
}

func (f fakeFS) LookupUser(name string) (int, int, error) {
	if name == "root" {
		return 0, 0, nil
	}
	return -1, -1, user.UnknownUserError(name)
}
func (f fakeFS) LookupGroup(name string) (int, error) { return -1, user.UnknownGroupError(name) }
func (f fakeFS) Lstat(p string) (fs.FileInfo, error) {
	if ff, ok := f[p]; ok {
		return fakeInfo{p, ff}, nil
	}
	return nil, &fs.PathError{Op: "lstat", Path: p, Err: syscall.ENOENT}
}
func (f fakeFS) Stat(p string) (fs.FileInfo, error)    { return f.Lstat(p) }
func (f fakeFS) EvalSymlinks(p string) (string, error) { _, err := f.Lstat(p); return p, err }
func (f fakeFS) SearchPath() string                    { return "/opt" }
