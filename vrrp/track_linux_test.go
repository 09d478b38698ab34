package vrrp

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chk.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecScriptExitStatus(t *testing.T) {
	for _, code := range []int{0, 3} {
		p := writeScript(t, "exit "+strconv.Itoa(code)+"\n")
		o := execScript(t.Context(), []string{p}, -1, -1, 5*time.Second)
		if o.Err != nil || o.ExitStatus != code || o.TimedOut || o.Signal != 0 {
			t.Errorf("exit %d: %+v", code, o)
		}
	}
	o := execScript(t.Context(), []string{"/nonexistent/script"}, -1, -1, time.Second)
	if o.Err == nil {
		t.Errorf("missing script: %+v", o)
	}
	p := writeScript(t, "kill -USR1 $$\n")
	o = execScript(t.Context(), []string{p}, -1, -1, 5*time.Second)
	if o.Signal != int(syscall.SIGUSR1) || o.TimedOut {
		t.Errorf("self-signalled script: %+v", o)
	}
}

// TestExecScriptTimeoutKillsGroup: a script that outlives its timeout is
// reported as timed out, and the child it started is killed with it.
func TestExecScriptTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	p := writeScript(t, "sleep 30 &\necho $! > "+pidFile+"\nwait\n")
	start := time.Now()
	o := execScript(t.Context(), []string{p}, -1, -1, 300*time.Millisecond)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v: SIGTERM should have ended it at the timeout", el)
	}
	if !o.TimedOut {
		t.Errorf("outcome %+v, want TimedOut", o)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d of the timed-out script still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExecScriptTermIgnored: a script that ignores SIGTERM gets SIGKILL
// two seconds later and still counts as timed out.
func TestExecScriptTermIgnored(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 2 s")
	}
	p := writeScript(t, "trap '' TERM\nwhile :; do sleep 0.05; done\n")
	start := time.Now()
	o := execScript(t.Context(), []string{p}, -1, -1, 100*time.Millisecond)
	el := time.Since(start)
	if !o.TimedOut || el < 2*time.Second || el > 4*time.Second {
		t.Errorf("outcome %+v after %v, want TimedOut after ~2.1 s", o, el)
	}
}

func TestTrackFileWatcher(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "weight")
	_ = os.WriteFile(p, []byte("5\n"), 0o644)
	got := make(chan int64, 10)
	w := &trackFileWatcher{files: map[string]string{"tf": p}, log: quietLog(),
		report: func(name string, v int64) {
			if name != "tf" {
				t.Errorf("name %q", name)
			}
			got <- v
		}}
	if v := w.Values()["tf"]; v != 5 {
		t.Errorf("initial value %d", v)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	expect := func(want int64) {
		t.Helper()
		select {
		case v := <-got:
			if v != want {
				t.Errorf("value %d, want %d", v, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("no report of %d", want)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the watch be set up
	_ = os.WriteFile(p, []byte("-3"), 0o644)
	expect(-3)
	tmp := filepath.Join(dir, ".new")
	_ = os.WriteFile(tmp, []byte("0x10"), 0o644)
	_ = os.Rename(tmp, p)
	expect(16)
	_ = os.Remove(p)
	expect(0)
	_ = os.WriteFile(filepath.Join(dir, "other"), []byte("7"), 0o644)
	_ = os.WriteFile(p, []byte("0"), 0o644) // unchanged value: no report
	_ = os.WriteFile(p, []byte("1"), 0o644)
	expect(1)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
