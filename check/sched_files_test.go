package check

import (
	"context"
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
