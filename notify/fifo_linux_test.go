package notify

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFIFOWriteMatchesKeepalived writes the recorded events through real
// FIFOs (notify_fifo and vrrp_notify_fifo) and reads back exactly
// keepalived's bytes.
func TestFIFOWriteMatchesKeepalived(t *testing.T) {
	dir := t.TempDir()
	log, _ := quietLogger(t)
	var fifos FIFOs
	var readers []chan []byte
	for _, name := range []string{"notify.fifo", "vrrp.fifo"} {
		f, err := OpenFIFO(t.Context(), FIFOConfig{Path: filepath.Join(dir, name), UID: -1, GID: -1}, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		fifos = append(fifos, f)
		r, err := os.Open(f.Path()) // the read end, as a reader script opens it
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(r); r.Close(); ch <- b }()
		readers = append(readers, ch)
	}
	for _, l := range recordedVRRPLines() {
		fifos.Write(l)
	}
	for _, f := range fifos {
		if s := f.Stats(); s.Written != 9 || s.Lost != 0 {
			t.Errorf("%s: %+v", f.Path(), s)
		}
	}
	if err := fifos.Close(); err != nil {
		t.Fatal(err)
	}
	want := readGolden(t, "vrrp.fifo.bin")
	for i, ch := range readers {
		if got := <-ch; string(got) != want {
			t.Errorf("fifo %d read %q, want %q", i, got, want)
		}
	}
	for _, name := range []string{"notify.fifo", "vrrp.fifo"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s: a FIFO gokeepalived created must be removed at Close (%v)", name, err)
		}
	}
}

// TestFIFOFullNeverBlocks: with nobody reading, lines fill the pipe and
// then are dropped and counted; Write never blocks.
func TestFIFOFullNeverBlocks(t *testing.T) {
	log, _ := quietLogger(t)
	f, err := OpenFIFO(t.Context(), FIFOConfig{Path: filepath.Join(t.TempDir(), "f"), UID: -1, GID: -1}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := InstanceLine(strings.Repeat("x", 200), Master, 100)
	start := time.Now()
	n := 0
	for f.Stats().Lost == 0 && n < 10000 {
		f.Write(line)
		n++
	}
	if f.Stats().Lost == 0 {
		t.Fatal("no line was lost after 10000 writes to an unread FIFO")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("filling the FIFO took %v", d)
	}
	if w := f.Stats().Written; w*uint64(len(line)) > 1<<20 || w == 0 {
		t.Errorf("written %d lines before the pipe was full", w)
	}
}

// TestFIFOExisting: an existing FIFO is reused and left in place; the mode
// of a created one is 0644 less the umask.
func TestFIFOExisting(t *testing.T) {
	dir := t.TempDir()
	log, _ := quietLogger(t)
	p := filepath.Join(dir, "pre")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFIFO(t.Context(), FIFOConfig{Path: p, UID: -1, GID: -1}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Lstat(p); err != nil {
		t.Errorf("a FIFO gokeepalived did not create must stay: %v", err)
	}

	old := unix.Umask(0o177)
	defer unix.Umask(old)
	p2 := filepath.Join(dir, "new")
	f2, err := OpenFIFO(t.Context(), FIFOConfig{Path: p2, UID: -1, GID: -1}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	st, err := os.Lstat(p2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeNamedPipe == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want a FIFO with 0600 (0644 under keepalived's umask 0177)", st.Mode())
	}

	// A symlink is refused (O_NOFOLLOW), as keepalived does.
	ln := filepath.Join(dir, "link")
	os.Symlink(p, ln)
	if f3, err := OpenFIFO(t.Context(), FIFOConfig{Path: ln, UID: -1, GID: -1}, nil, log); err == nil {
		f3.Close()
		t.Error("opened a FIFO through a symlink")
	}
}

// TestFIFOChown: as root, a created FIFO is given to the configured user
// and group.
func TestFIFOChown(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown")
	}
	log, _ := quietLogger(t)
	p := filepath.Join(t.TempDir(), "f")
	f, err := OpenFIFO(t.Context(), FIFOConfig{Path: p, UID: 65534, GID: 65533}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := os.Lstat(p)
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 65534 || sys.Gid != 65533 {
		t.Errorf("owner %d:%d, want 65534:65533", sys.Uid, sys.Gid)
	}
}

// TestFIFOScript: the FIFO script starts with the path appended, reads the
// lines, and is stopped at Close.
func TestFIFOScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "reader.sh")
	out := filepath.Join(dir, "out")
	writeScript(t, script, "#!/bin/sh\necho \"args: $*\" >"+out+".args\nexec cat \"$2\" >"+out+"\n")
	log, _ := quietLogger(t)
	p := filepath.Join(dir, "fifo")
	f, err := OpenFIFO(context.Background(), FIFOConfig{Path: p, UID: -1, GID: -1, Script: &Command{Argv: []string{script, "one"}, UID: -1, GID: -1}}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(InstanceLine("VI_1", Master, 100))
	want := "INSTANCE \"VI_1\" MASTER 100\n"
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return string(b) == want })
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(out + ".args")
	if string(args) != "args: one "+p+"\n" {
		t.Errorf("script args %q", args)
	}
}
