package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestArgumentTables(t *testing.T) {
	base := Command{Argv: []string{"/x/argv.sh", "its", "a'b"}, UID: 0, GID: 0}
	for _, tc := range []struct {
		got  Command
		want []string
	}{
		{InstanceNotifyArgs(base, "VI_1", Backup, 100), []string{"/x/argv.sh", "its", "a'b", "INSTANCE", "VI_1", "BACKUP", "100"}},
		{InstanceNotifyArgs(base, "VI_1", Stop, 90), []string{"/x/argv.sh", "its", "a'b", "INSTANCE", "VI_1", "STOP", "90"}},
		{GroupNotifyArgs(base, "VG_1", Master), []string{"/x/argv.sh", "its", "a'b", "GROUP", "VG_1", "MASTER", "0"}},
		{FIFOScriptArgs(base, "/run/k.fifo"), []string{"/x/argv.sh", "its", "a'b", "/run/k.fifo"}},
	} {
		if strings.Join(tc.got.Argv, "|") != strings.Join(tc.want, "|") {
			t.Errorf("argv %q, want %q", tc.got.Argv, tc.want)
		}
	}
	if len(base.Argv) != 3 {
		t.Error("the configured command was changed")
	}
}

// TestNotifyArgvMatchesKeepalived runs the recording's argv script through
// ExecRunner with the arguments gokeepalived builds and compares what it
// received with what keepalived's runs received (order aside: keepalived
// runs them concurrently).
func TestNotifyArgvMatchesKeepalived(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "argv.sh")
	writeScript(t, script, "#!/bin/sh\nline=$(printf '[%s] ' \"$@\")\necho \"$line\" >>\"$(dirname \"$0\")/argv.out\"\n")
	log, _ := quietLogger(t)
	r := &ExecRunner{Logger: log}
	inst := Command{Argv: []string{script, "its", "a'b"}, UID: -1, GID: -1}
	grp := Command{Argv: []string{script, "group"}, UID: -1, GID: -1}
	for _, c := range []Command{
		GroupNotifyArgs(grp, "VG_1", Backup),
		InstanceNotifyArgs(inst, "VI_1", Backup, 100),
		InstanceNotifyArgs(inst, "VI_1", Master, 100),
		GroupNotifyArgs(grp, "VG_1", Master),
		GroupNotifyArgs(grp, "VG_1", Stop),
		InstanceNotifyArgs(inst, "VI_1", Stop, 100),
	} {
		if res := r.Run(t.Context(), c); !res.OK() {
			t.Fatalf("%v: %v", c.Argv, res)
		}
	}
	got, _ := os.ReadFile(filepath.Join(dir, "argv.out"))
	want := readGolden(t, "notify-argv.txt")
	if sortLines(string(got)) != sortLines(want) {
		t.Errorf("argv differs from keepalived's:\n got %s\nwant %s", got, want)
	}
}

func sortLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	for i := range l {
		l[i] = strings.TrimSpace(l[i])
	}
	for i := range l {
		for j := i + 1; j < len(l); j++ {
			if l[j] < l[i] {
				l[i], l[j] = l[j], l[i]
			}
		}
	}
	return strings.Join(l, "\n")
}

// TestExecEnvironment: no shell, stdin/stdout/stderr on /dev/null, a
// process group of its own, gokeepalived's
// environment, and the exit status reported and logged.
func TestExecEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "env.sh")
	writeScript(t, script, `#!/bin/sh
in=$(readlink /proc/$$/fd/0)
out=$(readlink /proc/$$/fd/1)
err=$(readlink /proc/$$/fd/2)
{
  echo "pid=$$"
  echo "pgid=$(cut -d' ' -f5 /proc/$$/stat)"
  echo "stdin=$in"
  echo "stdout=$out"
  echo "stderr=$err"
  echo "marker=$GOKA_TEST_MARKER"
  echo "arg=$1"
} >`+out+`
exit 3
`)
	t.Setenv("GOKA_TEST_MARKER", "kept")
	log, logs := quietLogger(t)
	r := &ExecRunner{Logger: log}
	res := r.Run(t.Context(), Command{Argv: []string{script, "$HOME;echo x"}, UID: -1, GID: -1, Name: "notify_master VI_1"})
	if res.ExitStatus != 3 || res.OK() || res.Err != nil {
		t.Fatalf("result %+v, want exit status 3", res)
	}
	b, _ := os.ReadFile(out)
	kv := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		kv[k] = v
	}
	if kv["pid"] != kv["pgid"] || kv["pid"] != strconv.Itoa(res.Pid) {
		t.Errorf("pid %s pgid %s (Result.Pid %d): the script must lead its own process group", kv["pid"], kv["pgid"], res.Pid)
	}
	if kv["stdin"] != "/dev/null" || kv["stdout"] != "/dev/null" || kv["stderr"] != "/dev/null" {
		t.Errorf("stdin %q stdout %q stderr %q, want /dev/null", kv["stdin"], kv["stdout"], kv["stderr"])
	}
	if kv["marker"] != "kept" {
		t.Error("the environment was not passed on")
	}
	if kv["arg"] != "$HOME;echo x" {
		t.Errorf("argument %q: it went through a shell", kv["arg"])
	}
	if !strings.Contains(logs.String(), "exited with status 3") {
		t.Errorf("exit status not logged:\n%s", logs.String())
	}

	res = r.Run(t.Context(), Command{Argv: []string{filepath.Join(dir, "missing")}, UID: -1, GID: -1})
	if res.Err == nil || !errors.Is(res.Err, os.ErrNotExist) {
		t.Errorf("missing script: %+v", res)
	}
	if !strings.Contains(logs.String(), "Error exec-ing command '"+filepath.Join(dir, "missing")+"', error 2") {
		t.Errorf("exec failure not logged with keepalived's words:\n%s", logs.String())
	}
}

// TestTimeoutKillsProcessGroup: a hanging script and the children it
// started are all gone when Run returns at the timeout, also when they
// ignore SIGTERM.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace time.Duration
		trap  string
	}{
		{"SIGKILL at once", 0, ""},
		{"SIGTERM then SIGKILL", 200 * time.Millisecond, "trap '' TERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pids := filepath.Join(dir, "pids")
			script := filepath.Join(dir, "hang.sh")
			writeScript(t, script, "#!/bin/sh\n"+tc.trap+"\nsleep 300 &\necho $! >>"+pids+"\n(sleep 300; true) &\necho $! >>"+pids+"\necho $$ >>"+pids+"\nwhile :; do sleep 1; done\n")
			log, logs := quietLogger(t)
			r := &ExecRunner{Logger: log}
			timeout := 300 * time.Millisecond
			start := time.Now()
			res := r.Run(t.Context(), Command{Argv: []string{script}, UID: -1, GID: -1, Timeout: timeout, KillGrace: tc.grace})
			el := time.Since(start)
			if !res.TimedOut || res.OK() {
				t.Fatalf("result %+v, want a timeout", res)
			}
			if el < timeout || el > timeout+tc.grace+2*time.Second {
				t.Errorf("Run returned after %v, timeout %v grace %v", el, timeout, tc.grace)
			}
			if !strings.Contains(logs.String(), "timed out") {
				t.Errorf("timeout not logged:\n%s", logs.String())
			}
			f, err := os.Open(pids)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				pid, _ := strconv.Atoi(sc.Text())
				n++
				waitFor(t, func() bool { return !alive(pid) })
			}
			if n != 3 {
				t.Fatalf("%d pids recorded, want 3", n)
			}
		})
	}
}

// alive tells whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestCancelKillsScript: cancelling the context ends a run the same way.
func TestCancelKillsScript(t *testing.T) {
	log, _ := quietLogger(t)
	r := &ExecRunner{Logger: log}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := r.Run(ctx, Command{Argv: []string{"/bin/sleep", "300"}, UID: -1, GID: -1})
	if !res.Canceled || res.Signal != int(unix.SIGKILL) {
		t.Errorf("result %+v, want cancelled by SIGKILL", res)
	}
	if res := r.Run(ctx, Command{Argv: []string{"/bin/true"}, UID: -1, GID: -1}); res.Err == nil {
		t.Error("a cancelled context must not start scripts")
	}
}

// TestRunAsUser: as root the script runs with the resolved uid and gid
// and that gid as its only supplementary group. The test creates a user.
func TestRunAsUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create a user and switch to it")
	}
	useradd, err := exec.LookPath("useradd")
	if err != nil {
		t.Skip("useradd not installed")
	}
	name := fmt.Sprintf("gkn%d", os.Getpid()%100000)
	if out, err := exec.Command(useradd, "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent is 0700
	os.Chmod(dir, 0o755)
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o777)
	os.Chmod(outDir, 0o777)
	script := filepath.Join(dir, "id.sh")
	writeScript(t, script, "#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G)\" >"+outDir+"/id\n")
	log, _ := quietLogger(t)
	res := (&ExecRunner{Logger: log}).Run(t.Context(), Command{Argv: []string{script}, UID: uid, GID: gid})
	if !res.OK() {
		t.Fatalf("%+v", res)
	}
	b, _ := os.ReadFile(filepath.Join(outDir, "id"))
	if want := fmt.Sprintf("%d %d %d\n", uid, gid, gid); string(b) != want {
		t.Errorf("ran as %q, want %q", b, want)
	}
}

func TestForStop(t *testing.T) {
	c := Command{Argv: []string{"/bin/true"}, Timeout: time.Hour, KillGrace: time.Minute}.ForStop()
	if c.Timeout != StopTimeout || c.KillGrace != 0 {
		t.Errorf("%+v", c)
	}
}

// TestParentDeathSignal: when gokeepalived dies, its scripts get SIGTERM
// (keepalived's PR_SET_PDEATHSIG). A copy of the test binary plays
// gokeepalived and is killed with SIGKILL.
func TestParentDeathSignal(t *testing.T) {
	if os.Getenv("GOKA_PDEATH_PIDFILE") != "" {
		t.Skip("helper")
	}
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestParentDeathHelper$")
	cmd.Env = append(os.Environ(), "GOKA_PDEATH_PIDFILE="+pidFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var pid int
	waitFor(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	t.Cleanup(func() {
		if alive(pid) {
			unix.Kill(pid, unix.SIGKILL) // only the script this test started
		}
	})
	cmd.Process.Kill()
	waitFor(t, func() bool { return !alive(pid) })
}

// TestParentDeathHelper is TestParentDeathSignal's stand-in for
// gokeepalived: it runs a script that records its pid and sleeps.
func TestParentDeathHelper(t *testing.T) {
	pidFile := os.Getenv("GOKA_PDEATH_PIDFILE")
	if pidFile == "" {
		t.Skip("helper process of TestParentDeathSignal")
	}
	script := filepath.Join(filepath.Dir(pidFile), "sleep.sh")
	writeScript(t, script, "#!/bin/sh\necho $$ >"+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nexec sleep 300\n")
	(&ExecRunner{}).Run(context.Background(), Command{Argv: []string{script}, UID: -1, GID: -1})
}

// TestQueueRealScriptsOrder: the same guarantee with real processes: each
// script appends its number to its key's file after a short random pause.
func TestQueueRealScriptsOrder(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "append.sh")
	writeScript(t, script, "#!/bin/sh\n[ \"$3\" = 1 ] && sleep 0.02\necho \"$2\" >>\""+dir+"/$1\"\n")
	log, _ := quietLogger(t)
	q := NewQueue(context.Background(), QueueOptions{Logger: log})
	const keys, per = 4, 15
	for i := range per {
		for k := range keys {
			key := "k" + strconv.Itoa(k)
			q.Submit(key, Command{Argv: []string{script, key, strconv.Itoa(i), strconv.Itoa((i + k) % 3)}, UID: -1, GID: -1})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		b, err := os.ReadFile(filepath.Join(dir, "k"+strconv.Itoa(k)))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range per {
			want = append(want, strconv.Itoa(i))
		}
		if got := strings.Fields(string(b)); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("k%d ran in order %v", k, got)
		}
	}
	if s := q.Stats(); s.Ran != keys*per || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}
