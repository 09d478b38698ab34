package check

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// adapterRecorder is a notify.Runner that records what it was asked to run.
type adapterRecorder struct {
	mu  sync.Mutex
	ran []notify.Command
}

func (r *adapterRecorder) Run(_ context.Context, c notify.Command) notify.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = append(r.ran, c)
	return notify.Result{}
}

func (r *adapterRecorder) commands() []notify.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ran)
}

// TestNotifyAdapterScripts: a disabled or missing script runs nothing but
// the FIFO line is still written; shutdown scripts get keepalived's
// one-second kill.
func TestNotifyAdapterScripts(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "lvs.fifo")
	cfg := loadConfig(t, `global_defs {
    lvs_notify_fifo `+fifo+`
}
virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 {
        notify_up "/bin/true up"
    }
}`)
	rs := cfg.VirtualServers[0].RealServers[0]
	rs.NotifyDown = &parser.Script{Line: "/nonexistent down", Argv: []string{"/nonexistent", "down"}, Disabled: true}
	rec := &adapterRecorder{}
	n := NewNotifyAdapter(cfg, NotifyOptions{Runner: rec, Log: quietLog()})
	// Before Open nothing happens (and nothing panics).
	n.RealServer(RSEvent{VS: cfg.VirtualServers[0], RS: rs, VSName: "v", RSName: "r", Up: true})
	if err := n.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n.RealServer(RSEvent{VS: cfg.VirtualServers[0], RS: rs, VSName: "[10.0.0.1]:tcp:80", RSName: "[10.0.1.1]:tcp:80", Up: false})
	n.RealServer(RSEvent{VS: cfg.VirtualServers[0], RS: rs, VSName: "[10.0.0.1]:tcp:80", RSName: "[10.0.1.1]:tcp:80", Up: true, Stopping: true})
	n.Quorum(QuorumEvent{VS: cfg.VirtualServers[0], VSName: "[10.0.0.1]:tcp:80", Up: false})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	buf := make([]byte, 4096)
	k, _ := r.Read(buf)
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := "RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\nRS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 UP\nVS [10.0.0.1]:tcp:80 DOWN\n"
	if string(buf[:k]) != want {
		t.Errorf("FIFO %q, want %q", buf[:k], want)
	}
	got := rec.commands()
	if len(got) != 1 || filepath.Base(got[0].Argv[0]) != "true" || strings.Join(got[0].Argv[1:], " ") != "up" || got[0].Timeout != notify.StopTimeout {
		t.Errorf("ran %+v, want only notify_up with the stop timeout", got)
	}
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Errorf("FIFO still there after Close: %v", err)
	}
}

// TestNotifyAdapterReload: a reload that moves the FIFO closes the old one
// and opens the new one; one that keeps it leaves it open.
func TestNotifyAdapterReload(t *testing.T) {
	dir := t.TempDir()
	conf := func(fifo string) *parser.Config {
		return loadConfig(t, "global_defs {\n    notify_fifo "+filepath.Join(dir, fifo)+"\n}\n")
	}
	n := NewNotifyAdapter(conf("a"), NotifyOptions{Runner: &adapterRecorder{}, Log: quietLog()})
	if err := n.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	first := n.fifos[0]
	n.Reload(conf("a"))
	if n.fifos[0] != first {
		t.Error("an unchanged FIFO was reopened")
	}
	n.Reload(conf("b"))
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("old FIFO still there: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "b")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("new FIFO: %v %v", fi, err)
	}
}
