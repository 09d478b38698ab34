package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
)

// Engine tests that need notify FIFOs, which exist on Linux only.

// TestEngineNotifications: a real server going down runs its notify_down
// (as configured, as its user), writes the FIFO line to notify_fifo and
// lvs_notify_fifo, and the quorum change runs quorum_down.
func TestEngineNotifications(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "rs.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo1, fifo2 := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "lvs.fifo")
	conf := `global_defs {
    notify_fifo ` + fifo1 + `
    lvs_notify_fifo ` + fifo2 + `
}
virtual_server 10.0.0.1 80 {
    delay_loop 1
    protocol TCP
    quorum 2
    quorum_down "` + script + ` qdown"
    real_server 10.0.1.1 80 {
        weight 1
        notify_down "` + script + ` down 1"
        notify_up "` + script + ` up"
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
    real_server 10.0.1.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
            warmup 0
        }
    }
}`
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var ran []string
		runner := notify.RunnerFunc(func(_ context.Context, c notify.Command) notify.Result {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, fmt.Sprintf("%s uid=%d", strings.Join(c.Argv[1:], " "), c.UID))
			return notify.Result{}
		})
		r := startEngine(t, conf, nil, func(o *EngineOptions) { o.Notify.Runner = runner })
		readers := []*os.File{}
		for _, p := range []string{fifo1, fifo2} {
			f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			readers = append(readers, f)
		}
		after(1500 * time.Millisecond)
		r.probes.set("10.0.1.1", false)
		after(time.Second)
		mu.Lock()
		got := slices.Clone(ran)
		mu.Unlock()
		// Scripts of different objects run in parallel, as keepalived's
		// forks do: their order is not fixed.
		slices.Sort(got)
		uid := r.eng.Config().VirtualServers[0].RealServers[0].NotifyDown.UID
		want := []string{fmt.Sprintf("down 1 uid=%d", uid), fmt.Sprintf("qdown uid=%d", uid)}
		if !slices.Equal(got, want) {
			t.Errorf("scripts ran %q, want %q", got, want)
		}
		for i, f := range readers {
			buf := make([]byte, 4096)
			n, _ := f.Read(buf)
			want := "VS [10.0.0.1]:tcp:80 UP\nRS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\nVS [10.0.0.1]:tcp:80 DOWN\n"
			if string(buf[:n]) != want {
				t.Errorf("fifo %d: %q, want %q", i, buf[:n], want)
			}
		}
		r.stop()
		if _, err := os.Stat(fifo1); !os.IsNotExist(err) {
			t.Errorf("notify FIFO left behind after shutdown: %v", err)
		}
	})
}

// TestEngineWatchesTrackFiles: on Linux the engine's scheduler learns of
// track file changes through inotify unless the caller says otherwise.
func TestEngineWatchesTrackFiles(t *testing.T) {
	e, err := NewEngine(loadConfig(t, "global_defs {\nrouter_id x\n}\n"), EngineOptions{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if e.sched.watchFiles == nil {
		t.Error("no file watcher: FILE_CHECK would poll every second")
	}
}
