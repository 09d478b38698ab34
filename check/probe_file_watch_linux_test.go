package check

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchTrackFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state")
	other := filepath.Join(dir, "other")
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan string, 16)
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		close(ready)
		done <- WatchTrackFiles(ctx, []string{file}, func(p string) { events <- p })
	}()
	<-ready
	drain := func() {
		for {
			select {
			case <-events:
			case <-time.After(30 * time.Millisecond):
				return
			}
		}
	}
	wait := func(what string) {
		t.Helper()
		select {
		case p := <-events:
			if p != file {
				t.Fatalf("%s: event for %s", what, p)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: no event", what)
		}
		drain()
	}
	// The watch is set up asynchronously: repeat the first write until it
	// is seen.
	for i := 0; ; i++ {
		os.WriteFile(file, []byte("1"), 0o644)
		select {
		case <-events:
		case <-time.After(20 * time.Millisecond):
			if i == 100 {
				t.Fatal("write: no event")
			}
			continue
		}
		break
	}
	drain()
	os.WriteFile(filepath.Join(dir, "tmp"), []byte("2"), 0o644)
	os.Rename(filepath.Join(dir, "tmp"), file)
	wait("move in")
	os.Remove(file)
	wait("delete")
	os.WriteFile(file, []byte("4"), 0o644)
	wait("write again")
	// Another file of the same directory is not reported.
	os.WriteFile(other, []byte("x"), 0o644)
	select {
	case p := <-events:
		t.Errorf("event for %s", p)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WatchTrackFiles: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WatchTrackFiles did not return after cancel")
	}
}
