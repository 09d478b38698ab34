package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// FIFOConfig is one of global_defs' notify_fifo, vrrp_notify_fifo or
// lvs_notify_fifo with its script.
type FIFOConfig struct {
	// Path is the FIFO's path.
	Path string
	// UID and GID own a FIFO gokeepalived creates; -1 leaves that id alone
	// (keepalived chowns only ids that differ from its own).
	UID, GID int
	// Script is the *_notify_fifo_script as configured (the FIFO's path is
	// appended when it starts); nil for none.
	Script *Command
	// Kind is "", "vrrp_" or "lvs_": the prefix keepalived's messages use.
	Kind string
}

// FIFO is an open notify FIFO. Writes never block: the FIFO is opened read
// and write, non-blocking, so lines nobody reads pile up in the pipe and,
// once the pipe is full, further lines are lost and counted.
type FIFO struct {
	cfg     FIFOConfig
	log     *slog.Logger
	mu      sync.Mutex
	f       *os.File
	created bool

	cancel context.CancelFunc
	script sync.WaitGroup

	written, lost atomic.Uint64
}

// OpenFIFO creates the FIFO if nothing is at the path (mode 0644 less the
// umask, owned by cfg.UID/GID), starts the FIFO script with the path
// appended through runner, and opens the FIFO. The script runs until it
// exits or Close; it is not restarted. runner nil means an ExecRunner.
func OpenFIFO(ctx context.Context, cfg FIFOConfig, runner Runner, log *slog.Logger) (*FIFO, error) {
	if log == nil {
		log = slog.Default()
	}
	if runner == nil {
		runner = &ExecRunner{Logger: log}
	}
	fi := &FIFO{cfg: cfg, log: log}
	err := unix.Mkfifo(cfg.Path, 0o644)
	switch {
	case err == nil:
		fi.created = true
		uid, gid := -1, -1
		if cfg.UID >= 0 && cfg.UID != os.Getuid() {
			uid = cfg.UID
		}
		if cfg.GID >= 0 && cfg.GID != os.Getgid() {
			gid = cfg.GID
		}
		if uid != -1 || gid != -1 {
			if err := os.Lchown(cfg.Path, uid, gid); err != nil {
				log.Info(fmt.Sprintf("Failed to set uid:gid for fifo %s", cfg.Path))
			}
		}
	case errors.Is(err, unix.EEXIST):
	default:
		log.Info(fmt.Sprintf("Unable to create %snotify fifo %s", cfg.Kind, cfg.Path))
		return nil, fmt.Errorf("notify: mkfifo %s: %w", cfg.Path, err)
	}

	sctx, cancel := context.WithCancel(ctx)
	fi.cancel = cancel
	if cfg.Script != nil {
		c := FIFOScriptArgs(*cfg.Script, cfg.Path)
		if c.Name == "" {
			c.Name = cfg.Kind + "notify_fifo_script"
		}
		if c.KillGrace == 0 {
			// keepalived sends SIGTERM at shutdown and SIGKILL to what
			// is left a second later.
			c.KillGrace = StopTimeout
		}
		fi.script.Add(1)
		go func() {
			defer fi.script.Done()
			res := runner.Run(sctx, c)
			if !res.Canceled {
				log.Info(fmt.Sprintf("%snotify fifo script terminated", cfg.Kind), slog.String("result", res.String()))
			}
		}()
	}

	fd, err := unix.Open(cfg.Path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		log.Info(fmt.Sprintf("Unable to open %snotify fifo %s - errno %d", cfg.Kind, cfg.Path, int(errnoOf(err))))
		if fi.created {
			_ = os.Remove(cfg.Path)
		}
		cancel()
		fi.script.Wait()
		return nil, fmt.Errorf("notify: open fifo %s: %w", cfg.Path, err)
	}
	// os.NewFile would put a pipe into the runtime poller, whose writes
	// wait for room; a raw descriptor keeps EAGAIN visible.
	fi.f = os.NewFile(uintptr(fd), cfg.Path)
	return fi, nil
}

// Path is the FIFO's path.
func (fi *FIFO) Path() string { return fi.cfg.Path }

// Write writes one line as a single write. It never blocks; a line that
// does not fit in the pipe is dropped and counted, and Write reports false.
func (fi *FIFO) Write(line []byte) bool {
	if fi == nil {
		return false
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.f == nil {
		fi.lost.Add(1)
		return false
	}
	rc, err := fi.f.SyscallConn()
	if err != nil {
		fi.lost.Add(1)
		return false
	}
	var n int
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		n, werr = unix.Write(int(fd), line)
		return true // never wait for room
	}); err != nil {
		werr = err
	}
	if werr != nil || n != len(line) {
		fi.lost.Add(1)
		return false
	}
	fi.written.Add(1)
	return true
}

// Close removes the FIFO if OpenFIFO created it (first, so a reader that
// reopens it in a loop cannot find it again), closes it, and stops the
// FIFO script (SIGTERM to its process group).
func (fi *FIFO) Close() error {
	if fi == nil {
		return nil
	}
	fi.mu.Lock()
	var err error
	if fi.created {
		if rerr := os.Remove(fi.cfg.Path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("notify: remove fifo: %w", rerr)
		}
		fi.created = false
	}
	if fi.f != nil {
		if cerr := fi.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("notify: close fifo: %w", cerr)
		}
		fi.f = nil
	}
	fi.mu.Unlock()
	fi.cancel()
	fi.script.Wait()
	return err
}

// FIFOStats counts a FIFO's lines.
type FIFOStats struct{ Written, Lost uint64 }

// Stats returns the counters.
func (fi *FIFO) Stats() FIFOStats {
	return FIFOStats{Written: fi.written.Load(), Lost: fi.lost.Load()}
}

// FIFOs is the set of FIFOs one process writes its lines to: notify_fifo
// and vrrp_notify_fifo in the VRRP process, notify_fifo and
// lvs_notify_fifo in the checker process. Nil entries are skipped.
type FIFOs []*FIFO

// Write writes line to every FIFO in the set.
func (fs FIFOs) Write(line []byte) {
	for _, f := range fs {
		if f != nil {
			f.Write(line)
		}
	}
}

// Close closes every FIFO in the set.
func (fs FIFOs) Close() error {
	var errs []error
	for _, f := range fs {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
