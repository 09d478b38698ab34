package vrrp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Run watches the files with inotify on their directories (so that files
// created, replaced by rename or deleted are seen), as keepalived does,
// until ctx ends. It reports a value only when it changes.
func (w *trackFileWatcher) Run(ctx context.Context) error {
	if len(w.files) == 0 {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("vrrp: inotify: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	type target struct{ name, base string }
	byWD := map[int32][]target{}
	last := map[string]int64{}
	for name, path := range w.files {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		dir := filepath.Dir(abs)
		wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_MOVE)
		if err != nil {
			w.log.Warn("track_file "+name+": cannot watch "+dir, "err", err)
			continue
		}
		byWD[int32(wd)] = append(byWD[int32(wd)], target{name, filepath.Base(abs)})
		if v, ok := readTrackFile(path); ok {
			last[name] = v
		}
		w.files[name] = abs
	}
	go func() {
		<-ctx.Done()
		_ = f.SetReadDeadline(aLongTimeAgo)
	}()
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := f.Read(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("vrrp: inotify read: %w", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_ISDIR != 0 {
				continue
			}
			base := cString(nameBytes)
			for _, t := range byWD[ev.Wd] {
				if t.base != base {
					continue
				}
				var v int64
				if ev.Mask&(unix.IN_MOVED_FROM|unix.IN_DELETE) == 0 {
					var ok bool
					if v, ok = readTrackFile(w.files[t.name]); !ok {
						w.log.Info(fmt.Sprintf("Invalid number %d read from %s - ignoring", v, w.files[t.name]))
						continue
					}
				}
				if old, seen := last[t.name]; seen && old == v {
					continue
				}
				last[t.name] = v
				w.report(t.name, v)
			}
		}
	}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// aLongTimeAgo is a read deadline that wakes a blocked Read at once.
var aLongTimeAgo = time.Unix(1, 0)
