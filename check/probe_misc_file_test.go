package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// asUs lets a MISC_CHECK probe run its script as the test's own user when
// the test is not root: the parser gives scripts keepalived's default user
// (root when keepalived_script does not exist), which only root can switch
// to.
func asUs(p Probe) Probe {
	if m, ok := p.(*miscProbe); ok && os.Geteuid() != 0 {
		s := *m.script
		s.UID, s.GID = -1, -1
		m.script = &s
	}
	return p
}

// writeScript writes an executable shell script into a fresh directory.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "check.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMiscCheckExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		dynamic bool
		ok      bool
		weight  int // -1: none
		detail  string
	}{
		{name: "exit 0", body: "exit 0", ok: true, weight: -1},
		{name: "exit 1", body: "exit 1", detail: "exited with status 1"},
		{name: "exit 7 without misc_dynamic", body: "exit 7", detail: "exited with status 7"},
		{name: "dynamic exit 0 restores the configured weight", body: "exit 0", dynamic: true, ok: true, weight: 5},
		{name: "dynamic exit 12 sets weight 10", body: "exit 12", dynamic: true, ok: true, weight: 10},
		{name: "dynamic exit 2 sets weight 0", body: "exit 2", dynamic: true, ok: true, weight: 0},
		{name: "dynamic exit 255", body: "exit 255", dynamic: true, ok: true, weight: 253},
		{name: "dynamic exit 1 fails", body: "exit 1", dynamic: true, detail: "exited with status 1"},
		{name: "killed by a signal", body: "kill -KILL $$", detail: "due to signal 9"},
		{name: "arguments are passed", body: `[ "$1" = "a b" ] && [ "$2" = c ]`, ok: true, weight: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeScript(t, tt.body)
			opts := ""
			if tt.dynamic {
				opts = "misc_dynamic"
			}
			p := asUs(newTestProbe(t, ProbeEnv{}, "127.0.0.1", 8080, fmt.Sprintf("MISC_CHECK {\nmisc_path \"%s 'a b' c\"\nmisc_timeout 5\n%s\n}", path, opts)))
			o := p.Check(testCtx(t))
			if o.OK != tt.ok {
				t.Fatalf("OK=%v (%v), want %v", o.OK, o.Err, tt.ok)
			}
			if tt.ok {
				if tt.weight < 0 && o.HasWeight {
					t.Errorf("weight %d reported without misc_dynamic", o.Weight)
				}
				if tt.weight >= 0 && (!o.HasWeight || o.Weight != tt.weight) {
					t.Errorf("weight %d (set %v), want %d", o.Weight, o.HasWeight, tt.weight)
				}
				return
			}
			wantFail(t, o, tt.detail, fmt.Sprintf("Misc check for [[127.0.0.1]:tcp:8080 VS [10.0.0.1]:tcp:80] by [%s] failed (%s).", path, tt.detail))
			var me *MiscError
			if !errors.As(o.Err, &me) {
				t.Fatal("no MiscError")
			}
			if got, want := me.LogLine(" with retry disabled"), fmt.Sprintf("Misc check for [[127.0.0.1]:tcp:8080 VS [10.0.0.1]:tcp:80] by [%s] failed with retry disabled (%s).", path, tt.detail); got != want {
				t.Errorf("LogLine %q, want %q", got, want)
			}
		})
	}
}

// pidAlive tells whether a process exists (and is not a zombie we reaped).
func pidAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) < 3 || f[2] != "Z"
}

func waitPidFile(t *testing.T, path string) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never written", path)
	return 0
}

func TestMiscTimeoutKillsTheGroup(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		signal syscall.Signal
	}{
		// Ends on SIGTERM; its background child must go too.
		{name: "SIGTERM", body: `sleep 30 & echo $! > "$1"; wait`, signal: syscall.SIGTERM},
		// Ignores SIGTERM: SIGKILL follows after the grace period.
		{name: "SIGKILL", body: `trap '' TERM; sleep 30 & echo $! > "$1"; while :; do wait; done`, signal: syscall.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeScript(t, tt.body)
			pidFile := filepath.Join(t.TempDir(), "child.pid")
			s := &parser.Script{Argv: []string{path, pidFile}, UID: -1, GID: -1}
			start := time.Now()
			// Long enough for the script to start and write its child's pid.
			r := ExecScriptRunner{TermGrace: 100 * time.Millisecond}.Run(testCtx(t), s, 400*time.Millisecond)
			el := time.Since(start)
			if !r.TimedOut || r.Signal != int(tt.signal) {
				t.Errorf("result %+v, want timed out by signal %d", r, tt.signal)
			}
			if el < 400*time.Millisecond || el > 3*time.Second {
				t.Errorf("took %v", el)
			}
			child := waitPidFile(t, pidFile)
			for i := 0; i < 100 && pidAlive(child); i++ {
				time.Sleep(5 * time.Millisecond)
			}
			if pidAlive(child) {
				syscall.Kill(child, syscall.SIGKILL)
				t.Errorf("the script's child %d survived", child)
			}
		})
	}
	t.Run("timed out is a failure", func(t *testing.T) {
		path := writeScript(t, "exec sleep 30")
		p := asUs(newTestProbe(t, ProbeEnv{Scripts: ExecScriptRunner{TermGrace: 10 * time.Millisecond}}, "127.0.0.1", 8080, fmt.Sprintf("MISC_CHECK {\nmisc_path %s\n}", path))).(*miscProbe)
		p.timeout = 30 * time.Millisecond
		o := p.Check(testCtx(t))
		wantFail(t, o, "timed out", fmt.Sprintf("Misc check for [[127.0.0.1]:tcp:8080 VS [10.0.0.1]:tcp:80] by [%s] timed out.", path))
	})
	t.Run("cancel", func(t *testing.T) {
		path := writeScript(t, "exec sleep 30")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		r := ExecScriptRunner{}.Run(ctx, &parser.Script{Argv: []string{path}, UID: -1, GID: -1}, time.Minute)
		if time.Since(start) > 2*time.Second || r.Signal != int(syscall.SIGKILL) {
			t.Errorf("result %+v after %v", r, time.Since(start))
		}
	})
}

func TestMiscDefaultTimeoutIsVSDelayLoop(t *testing.T) {
	path := writeScript(t, "exit 0")
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 8080, fmt.Sprintf("delay_loop 3\nMISC_CHECK {\nmisc_path %s\ndelay_loop 2\n}", path)).(*miscProbe)
	if p.timeout != 7*time.Second {
		t.Errorf("misc_timeout %v, want the virtual server's delay_loop 7s", p.timeout)
	}
}

func TestMiscRunsAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	out := filepath.Join(dir, "uid")
	path := writeScript(t, fmt.Sprintf("echo $(id -u) $(id -G) > %s", out))
	// The test's temporary directories are private to root.
	for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		os.Chmod(d, 0o755)
	}
	os.Chmod(filepath.Dir(dir), 0o755)
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 8080, fmt.Sprintf("MISC_CHECK {\nmisc_path %s\nuser nobody\n}", path))
	wantOK(t, p.Check(testCtx(t)))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Uid + " " + u.Gid; strings.TrimSpace(string(b)) != want {
		t.Errorf("ran as uid and groups %q, want nobody's %q", strings.TrimSpace(string(b)), want)
	}
}

func TestMiscDisabledScript(t *testing.T) {
	_, vs, rs, c := probeTestConfig(t, "127.0.0.1", 8080, "MISC_CHECK {\nmisc_path /nonexistent/check.sh\n}")
	if _, err := NewProbe(c, vs, rs, ProbeEnv{}); !errors.Is(err, ErrDisabled) {
		t.Errorf("error %v, want ErrDisabled", err)
	}
}

func TestFileCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "weight")
	const none = math.MinInt // no weight reported
	// The real server's weight is 5; the track_file's weight defaults to 1.
	tests := []struct {
		name    string
		content *string
		opts    string
		ok      bool
		weight  int
	}{
		{name: "missing file reads 0", ok: true, weight: 5},
		{name: "empty", content: ptr(""), ok: true, weight: 5},
		{name: "decimal times weight", content: ptr("3\n"), opts: "weight 2", ok: true, weight: 5 + 6},
		{name: "hex", content: ptr("0x10"), ok: true, weight: 5 + 16},
		{name: "octal", content: ptr("010"), ok: true, weight: 5 + 8},
		{name: "blanks and sign", content: ptr("  -2 rest"), ok: true, weight: 5 - 2},
		{name: "reverse", content: ptr("2"), opts: "weight 3 reverse", ok: true, weight: 5 - 6},
		{name: "text reads 0", content: ptr("abc"), ok: true, weight: 5},
		{name: "fault at -2^31", content: ptr("-2147483648"), ok: false},
		{name: "weight 0: non-zero is down", content: ptr("1"), opts: "weight 0", ok: false},
		{name: "weight 0: zero is up", content: ptr("0"), opts: "weight 0", ok: true, weight: none},
		{name: "weight 0 reverse: zero is down", content: ptr("0"), opts: "weight 0 reverse", ok: false},
		{name: "weight 0 reverse: non-zero is up", content: ptr("9"), opts: "weight 0 reverse", ok: true, weight: none},
		{name: "product clamped to the fault value", content: ptr("2000000000"), opts: "weight -254", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(file)
			if tt.content != nil {
				os.WriteFile(file, []byte(*tt.content), 0o644)
			}
			p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 8080, "FILE_CHECK {\ntrack_file tf\n"+tt.opts+"\n}",
				fmt.Sprintf("track_file tf {\nfile %s\n}", file))
			if p.(FileProber).TrackedPath() != file {
				t.Errorf("TrackedPath %q", p.(FileProber).TrackedPath())
			}
			o := p.Check(testCtx(t))
			if o.OK != tt.ok {
				t.Fatalf("OK=%v (%v), want %v", o.OK, o.Err, tt.ok)
			}
			switch {
			case !tt.ok:
			case tt.weight == none && o.HasWeight:
				t.Errorf("weight %d reported with weight 0", o.Weight)
			case tt.weight != none && (!o.HasWeight || o.Weight != tt.weight):
				t.Errorf("weight %d (set %v), want %d", o.Weight, o.HasWeight, tt.weight)
			}
		})
	}
	t.Run("an out-of-range number keeps the last value", func(t *testing.T) {
		var lc logCapture
		os.WriteFile(file, []byte("4"), 0o644)
		p := newTestProbe(t, ProbeEnv{Logger: slog.New(&lc)}, "127.0.0.1", 8080, "FILE_CHECK {\ntrack_file tf\n}",
			fmt.Sprintf("track_file tf {\nfile %s\n}", file))
		if o := p.Check(testCtx(t)); o.Weight != 9 {
			t.Fatalf("weight %d", o.Weight)
		}
		os.WriteFile(file, []byte("99999999999"), 0o644)
		if o := p.Check(testCtx(t)); o.Weight != 9 {
			t.Errorf("weight %d after an invalid number, want the previous 9", o.Weight)
		}
		if l := lc.lines(); len(l) != 1 || l[0] != "Invalid number 99999999999 read from "+file+" - ignoring" {
			t.Errorf("logged %q", l)
		}
	})
}

func ptr(s string) *string { return &s }

func TestStrtol0(t *testing.T) {
	for s, want := range map[string]int64{
		"12": 12, "-12": -12, "+7": 7, "0x1f": 31, "0X1F": 31, "017": 15, "019": 1, "0x": 0, "0xg": 0,
		" \t\n42abc": 42, "": 0, "-": 0, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	} {
		if got, over := strtol0(s); got != want || over {
			t.Errorf("strtol0(%q) = %d, %v; want %d", s, got, over, want)
		}
	}
	if _, over := strtol0("99999999999999999999"); !over {
		t.Error("no overflow reported")
	}
}

func TestNewProbeUnsupported(t *testing.T) {
	_, vs, rs, c := probeTestConfig(t, "127.0.0.1", 8080, "TCP_CHECK {\n}")
	c.Type = "BFD_CHECK"
	_, err := NewProbe(c, vs, rs, ProbeEnv{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "BFD_CHECK is not supported by gokeepalived") {
		t.Errorf("error %v", err)
	}
}
