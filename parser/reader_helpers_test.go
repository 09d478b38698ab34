package parser

import (
	"io/fs"
	"strings"
	"testing"
)

// emptyFS is a file system with nothing in it, so that reading from memory
// never touches the host's files.
type emptyFS struct{}

func (emptyFS) Stat(n string) (fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "stat", Path: n, Err: fs.ErrNotExist}
}
func (emptyFS) Lstat(n string) (fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "lstat", Path: n, Err: fs.ErrNotExist}
}
func (emptyFS) ReadDir(n string) ([]fs.DirEntry, error) {
	return nil, &fs.PathError{Op: "open", Path: n, Err: fs.ErrNotExist}
}
func (emptyFS) ReadFile(n string) ([]byte, error) {
	return nil, &fs.PathError{Op: "open", Path: n, Err: fs.ErrNotExist}
}
func (emptyFS) Getwd() (string, error) { return "/cwd", nil }

func readString(input string, opts ReadOptions) (*Source, Diagnostics) {
	if opts.ConfigID == "" {
		opts.ConfigID = "vm"
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	return readBytes("test.conf", []byte(input), opts, emptyFS{})
}

func texts(src *Source) []string {
	out := []string{}
	for _, l := range src.Lines {
		out = append(out, l.Text)
	}
	return out
}

func readerMessages(ds Diagnostics) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Message)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func show(s []string) string { return "\n\t" + strings.Join(s, "\n\t") }

// checkBalanced fails when braces in the output do not pair up, which the
// grammar relies on.
func checkBalanced(t testing.TB, src *Source) {
	t.Helper()
	depth := 0
	for _, l := range src.Lines {
		switch {
		case l.IsOpen():
			depth++
		case l.IsClose():
			depth--
		}
		if depth < 0 {
			t.Fatalf("unbalanced '}' at %s", l.Pos)
		}
	}
	if depth != 0 {
		t.Fatalf("%d unclosed '{'", depth)
	}
}
