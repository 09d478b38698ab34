package check

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// fakeFile is a FileProber whose file holds ok (FAULT when false).
type fakeFile struct{ ok atomic.Bool }

func (f *fakeFile) Check(context.Context) Outcome {
	if f.ok.Load() {
		return Outcome{OK: true}
	}
	return Outcome{Err: &ProbeError{Reason: "tracked file f now FAULT state"}}
}
func (f *fakeFile) TrackedPath() string { return "/run/f" }

const fileConf = `track_file f {
file /run/f
}
virtual_server 10.0.0.1 80 {
delay_loop 6
protocol TCP
lb_algo rr
lb_kind NAT
real_server 10.0.1.1 80 {
FILE_CHECK {
track_file f
weight 0
}
}
}
`

// TestSchedFileCheck: the tracked file is read before the first insertion (a
// FAULT server starts down without a transition), then on every change the
// watcher reports, or every second without a watcher.
func TestSchedFileCheck(t *testing.T) {
	for _, watched := range []bool{true, false} {
		name := "polled"
		if watched {
			name = "watched"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				file := &fakeFile{}
				changed := make(chan func(string), 1)
				log := &capture{}
				opts := Options{Log: slogNew(log)}
				if watched {
					opts.WatchFiles = func(ctx context.Context, paths []string, cb func(string)) error {
						if strings.Join(paths, ",") != "/run/f" {
							t.Errorf("watching %q", paths)
						}
						changed <- cb
						<-ctx.Done()
						return nil
					}
				}
				cfg := loadConfig(t, fileConf)
				vs, rs := cfg.VirtualServers[0], cfg.VirtualServers[0].RealServers[0]
				s, err := NewScheduler(cfg, func(*parser.VirtualServer, *parser.RealServer, *parser.Checker) (Probe, error) { return file, nil },
					&recNotifier{}, opts)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- s.Run(ctx) }()
				<-s.Changes()
				if s.RealServer(vs, rs).Alive {
					t.Fatal("alive although its file says FAULT")
				}
				log.mu.Lock()
				for _, l := range log.lines {
					if strings.HasPrefix(l.msg, "Removing service") {
						t.Errorf("a transition at start: %q", l.msg)
					}
				}
				log.mu.Unlock()
				file.ok.Store(true)
				if watched {
					(<-changed)("/run/f")
					synctest.Wait()
				} else {
					time.Sleep(time.Second + time.Millisecond)
				}
				<-s.Changes()
				if !s.RealServer(vs, rs).Alive {
					t.Error("not alive after the file changed")
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// namedFile is a fakeFile at a path of its own.
type namedFile struct {
	fakeFile
	path string
}

func (f *namedFile) TrackedPath() string { return f.path }

// TestSchedFileWatchFails: each tracked file is watched on its own; one
// that cannot be watched is logged and read every second, and the other
// still follows its watch.
func TestSchedFileWatchFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conf := `track_file good {
file /run/good
}
track_file bad {
file /nonexistent/bad
}
virtual_server 10.0.0.1 80 {
delay_loop 6
protocol TCP
real_server 10.0.1.1 80 {
FILE_CHECK {
track_file good
weight 0
}
}
real_server 10.0.1.2 80 {
FILE_CHECK {
track_file bad
weight 0
}
}
}
`
		files := map[string]*namedFile{"good": {path: "/run/good"}, "bad": {path: "/nonexistent/bad"}}
		changed := make(chan func(string), 1)
		log := &capture{}
		opts := Options{Log: slogNew(log), WatchFiles: func(ctx context.Context, paths []string, cb func(string)) error {
			if len(paths) != 1 {
				t.Errorf("watching %q together", paths)
			}
			if paths[0] == "/nonexistent/bad" {
				return errors.New("no such directory")
			}
			changed <- cb
			<-ctx.Done()
			return nil
		}}
		cfg := loadConfig(t, conf)
		vs := cfg.VirtualServers[0]
		s, err := NewScheduler(cfg, func(_ *parser.VirtualServer, _ *parser.RealServer, c *parser.Checker) (Probe, error) {
			return files[c.File.TrackFile], nil
		}, &recNotifier{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		cb := <-changed
		synctest.Wait()
		files["good"].ok.Store(true)
		files["bad"].ok.Store(true)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if s.RealServer(vs, vs.RealServers[0]).Alive {
			t.Error("the watched file was read without a change reported")
		}
		if !s.RealServer(vs, vs.RealServers[1]).Alive {
			t.Error("the unwatched file was not read again")
		}
		cb("/run/good")
		synctest.Wait()
		if !s.RealServer(vs, vs.RealServers[0]).Alive {
			t.Error("the watched file was not read on its change")
		}
		log.mu.Lock()
		found := slices.ContainsFunc(log.lines, func(l logLine) bool { return strings.HasPrefix(l.msg, "cannot watch tracked file") })
		log.mu.Unlock()
		if !found {
			t.Error("the failed watch was not logged")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
