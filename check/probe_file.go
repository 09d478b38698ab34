package check

import (
	"context"
	"fmt"
	"math"
	"os"
	"sync"

	"github.com/gokeepalived/gokeepalived/parser"
)

// FileProber is implemented by the FILE_CHECK probe. keepalived does not
// poll the file: it re-reads it when inotify reports that it was written
// or moved in (and counts deletion as 0), so the scheduler watches
// TrackedPath and calls Check on each change (and once at start).
type FileProber interface {
	Probe
	TrackedPath() string
}

// fileProbe is FILE_CHECK: the file's number, times the weight (negated
// with reverse), is added to the real server's weight; at or below -2^31
// the checker is down. With weight 0, any non-zero number means down
// (zero means down with reverse).
type fileProbe struct {
	name     string
	path     string
	weight   int64
	reverse  bool
	rsWeight int64
	log      func(string)

	mu   sync.Mutex
	last int64 // the last valid number read; an invalid one keeps it
}

var _ FileProber = (*fileProbe)(nil)

func newFileProbe(c *parser.Checker, rs *parser.RealServer, env *ProbeEnv) (*fileProbe, error) {
	if c.File == nil || c.File.TrackFile == "" {
		return nil, fmt.Errorf("check: FILE_CHECK without track_file")
	}
	var tf *parser.TrackFile
	for _, t := range env.TrackFiles {
		if t.Name == c.File.TrackFile {
			tf = t
		}
	}
	if tf == nil {
		return nil, fmt.Errorf("check: FILE_CHECK: track_file %s not found", c.File.TrackFile)
	}
	lg := env.logger()
	return &fileProbe{
		name:     tf.Name,
		path:     tf.File,
		weight:   int64(c.File.Weight),
		reverse:  c.File.Reverse,
		rsWeight: int64(rs.Weight),
		log:      func(s string) { lg.Info(s) },
	}, nil
}

func (p *fileProbe) TrackedPath() string { return p.path }

// Check reads the file now and reports the state and weight it gives.
func (p *fileProbe) Check(ctx context.Context) Outcome {
	v, ok, bad := readTrackFileValue(p.path)
	p.mu.Lock()
	if ok {
		p.last = v
	} else if bad != "" {
		p.log(fmt.Sprintf("Invalid number %s read from %s - ignoring", bad, p.path))
	}
	v = p.last
	p.mu.Unlock()

	status := trackFileStatus(v, p.weight, p.reverse)
	if status == math.MinInt32 {
		return failed(&ProbeError{Reason: fmt.Sprintf("tracked file %s now FAULT state", p.name),
			Line: fmt.Sprintf("tracked file %s now FAULT state", p.path)})
	}
	if p.weight == 0 {
		return Outcome{OK: true}
	}
	return Outcome{OK: true, HasWeight: true, Weight: int(p.rsWeight + status)}
}

// trackFileStatus is keepalived's status of a tracked file for one
// tracker: MinInt32 means fault, anything else is the weight to add.
func trackFileStatus(v, weight int64, reverse bool) int64 {
	if weight == 0 {
		if (v != 0) != reverse {
			return math.MinInt32
		}
		return 0
	}
	mult := int64(1)
	if reverse {
		mult = -1
	}
	s := v * weight * mult
	return max(math.MinInt32, min(math.MaxInt32, s))
}

// readTrackFileValue reads the first number of the file (at most 127
// bytes, strtol with base 0). A missing or empty file, or text that is not
// a number, reads as 0. A number outside -2^31..2^31 is invalid: ok is
// false and bad is its text for the log line.
func readTrackFileValue(path string) (v int64, ok bool, bad string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, true, ""
	}
	defer f.Close()
	buf := make([]byte, 127)
	n, _ := f.Read(buf)
	if n <= 0 {
		return 0, true, ""
	}
	v, overflow := strtol0(string(buf[:n]))
	if overflow || v < math.MinInt32 || v > math.MaxInt32+1 {
		return 0, false, fmt.Sprint(v)
	}
	return v, true, ""
}

// strtol0 is strtol(s, NULL, 0): leading blanks, a sign, then a 0x hex,
// 0 octal or decimal number, as far as it goes; no number gives 0. On
// overflow it returns the clamped value and true.
func strtol0(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && hexDigit(s[i+2]) >= 0:
		base, i = 16, i+2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	var u uint64
	overflow := false
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		if u > (math.MaxUint64-uint64(d))/base {
			overflow = true
			continue
		}
		u = u*base + uint64(d)
	}
	switch {
	case neg && (overflow || u > 1<<63):
		return math.MinInt64, true
	case !neg && (overflow || u > math.MaxInt64):
		return math.MaxInt64, true
	case neg:
		return -int64(u), false
	}
	return int64(u), false
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
