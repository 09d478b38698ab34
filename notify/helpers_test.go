package notify

import (
	"io"
	"regexp"
	"strconv"
	"sync"
)

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func itoa(i int) string { return strconv.Itoa(i) }

func mustRegexp(s string) *regexp.Regexp { return regexp.MustCompile(s) }
