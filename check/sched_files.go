package check

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// FILE_CHECK has no timer of its own: keepalived reads the tracked file at
// start and again whenever inotify reports a change. The scheduler does the
// same when Options.WatchFiles is set (the daemon passes WatchTrackFiles);
// without it, each FILE_CHECK is read every pollInterval.

// fileTask tells whether t follows a tracked file, and which.
func (t *task) fileTask() (string, bool) {
	fp, ok := t.probe.(FileProber)
	if !ok {
		return "", false
	}
	return fp.TrackedPath(), true
}

// readFilesAtStart reads every tracked file before the servers are first
// inserted, so a server whose file says FAULT starts down without a
// transition, as in keepalived's init_service_rs.
func (s *Scheduler) readFilesAtStart(ctx context.Context) {
	for _, t := range s.m.tasks {
		if _, ok := t.fileTask(); !ok {
			continue
		}
		o := callProbe(ctx, t, 0)
		// alpha does not apply: the state is known from the start.
		if o.OK != t.st.isUp {
			for _, m := range t.members {
				m.setCheckerUp(t.st.isUp, o.OK)
			}
		}
		t.st.isUp, t.st.hasRun = o.OK, true
		if !o.OK || !o.HasWeight {
			continue
		}
		for _, m := range t.members {
			m.curWeight = t.contribution(o)
			m.rs.effWeight += m.curWeight
		}
	}
}

// rereadFiles applies a fresh read of every tracked file after a reload,
// with the usual transitions.
func (s *Scheduler) rereadFiles(ctx context.Context) {
	for _, t := range s.m.tasks {
		if _, ok := t.fileTask(); ok {
			s.finishPoll(t, callProbe(ctx, t, 0))
		}
	}
}

// filePaths are the tracked files of the current configuration.
func (s *Scheduler) filePaths() []string {
	var paths []string
	for _, t := range s.m.tasks {
		if p, ok := t.fileTask(); ok && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return paths
}

// fileWatched tells whether t follows a tracked file and whether that
// file is watched (else it is read every pollInterval).
func (s *Scheduler) fileWatched(t *task) (isFile, watched bool) {
	p, ok := t.fileTask()
	if !ok {
		return false, false
	}
	return true, s.watchFiles != nil && !s.unwatched[p]
}

// fileWatch runs Options.WatchFiles for each current tracked file and
// forwards changes to the loop.
type fileWatch struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startWatch watches each tracked file on its own. A file whose watch
// fails is sent to failed, and the loop reads it every pollInterval.
func (s *Scheduler) startWatch(ctx context.Context, events, failed chan<- string) *fileWatch {
	paths := s.filePaths()
	s.unwatched = map[string]bool{}
	if s.watchFiles == nil || len(paths) == 0 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &fileWatch{cancel: cancel}
	for _, p := range paths {
		w.wg.Go(func() {
			err := s.watchFiles(wctx, []string{p}, func(p string) {
				select {
				case events <- p:
					s.kicks.kick()
				case <-wctx.Done():
				}
			})
			if err == nil || wctx.Err() != nil {
				return
			}
			s.log.Error("cannot watch tracked file - reading it every second", slog.String("file", p), slog.Any("error", err))
			select {
			case failed <- p:
				s.kicks.kick()
			case <-wctx.Done():
			}
		})
	}
	return w
}

func (w *fileWatch) stop() {
	if w == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
}

// fileChanged queues every task following path to run now.
func (s *Scheduler) fileChanged(path string, now time.Time) {
	for _, t := range s.m.tasks {
		p, ok := t.fileTask()
		if !ok || p != path {
			continue
		}
		switch {
		case t.running:
			t.again = true
		case t.heapIdx < 0 && !slices.Contains(s.ready, t):
			s.push(t, now)
		}
	}
}
