package check

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// WatchTrackFiles reports changes of tracked files as keepalived notices
// them: it watches each file's directory with inotify and calls changed
// with the file's path when the file is closed after writing, moved in,
// moved away or deleted (FILE_CHECK then reads it again; a missing file
// reads as 0). It returns when ctx ends, or at once with an error when the
// watch cannot be set up. changed is called from one goroutine, in order.
func WatchTrackFiles(ctx context.Context, paths []string, changed func(path string)) error {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("check: inotify: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()

	type key struct {
		wd   int32
		name string
	}
	watched := map[key][]string{}
	for _, p := range paths {
		// Like keepalived, follow symlinks to the real file (or, when it
		// does not exist yet, to its real directory).
		real := p
		if r, err := filepath.EvalSymlinks(p); err == nil {
			real = r
		} else if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			real = filepath.Join(d, filepath.Base(p))
		}
		wd, err := syscall.InotifyAddWatch(fd, filepath.Dir(real),
			syscall.IN_CLOSE_WRITE|syscall.IN_DELETE|syscall.IN_MOVE)
		if err != nil {
			return fmt.Errorf("check: watching %s: %w", p, err)
		}
		k := key{int32(wd), filepath.Base(real)}
		watched[k] = append(watched[k], p)
	}

	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	buf := make([]byte, 64*1024)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("check: inotify read: %w", err)
		}
		for b := buf[:n]; len(b) >= syscall.SizeofInotifyEvent; {
			wd := int32(binary.NativeEndian.Uint32(b[0:]))
			mask := binary.NativeEndian.Uint32(b[4:])
			nameLen := int(binary.NativeEndian.Uint32(b[12:]))
			end := syscall.SizeofInotifyEvent + nameLen
			if end > len(b) {
				break
			}
			name := string(b[syscall.SizeofInotifyEvent:end])
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			b = b[end:]
			if mask&syscall.IN_ISDIR != 0 {
				continue
			}
			for _, p := range watched[key{wd, name}] {
				changed(p)
			}
		}
	}
}
