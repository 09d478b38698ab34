package vrrp

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// trackFileWatcher follows track_files and reports each new value; Run is
// inotify on Linux.
type trackFileWatcher struct {
	files  map[string]string // track_file name -> path
	report func(name string, value int64)
	log    *slog.Logger
}

// Values reads every file now (the machine's Facts at start).
func (w *trackFileWatcher) Values() map[string]int64 {
	out := map[string]int64{}
	for name, path := range w.files {
		if v, ok := readTrackFile(path); ok {
			out[name] = v
		}
	}
	return out
}

// readTrackFile reads a track_file as keepalived does: the first 127 bytes
// parsed like strtol(buf, NULL, 0) (leading blanks, a sign, 0x/0 prefixes,
// digits up to the first other character); a missing, empty or unparsable
// file reads as 0. ok is false for a value outside the 32-bit range, which
// keepalived ignores ("Invalid number ... - ignoring").
func readTrackFile(path string) (v int64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, true
	}
	defer f.Close()
	buf := make([]byte, 127)
	n, _ := f.Read(buf)
	if n <= 0 {
		return 0, true
	}
	v, overflow := cStrtol(string(buf[:n]))
	if overflow || v < -1<<31 || v > 1<<31 {
		return v, false
	}
	return v, true
}

// cStrtol is strtol(s, NULL, 0) on a 64-bit long.
func cStrtol(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isDigitIn(s[2], 16):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	end := 0
	for end < len(s) && isDigitIn(s[end], base) {
		end++
	}
	if end == 0 {
		return 0, false
	}
	u, err := strconv.ParseUint(s[:end], base, 64)
	if err != nil || (!neg && u > 1<<63-1) || (neg && u > 1<<63) {
		if neg {
			return -1 << 63, true
		}
		return 1<<63 - 1, true
	}
	if neg {
		return -int64(u), false
	}
	return int64(u), false
}

func isDigitIn(c byte, base int) bool {
	var d int
	switch {
	case c >= '0' && c <= '9':
		d = int(c - '0')
	case c >= 'a' && c <= 'z':
		d = int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		d = int(c-'A') + 10
	default:
		return false
	}
	return d < base
}
