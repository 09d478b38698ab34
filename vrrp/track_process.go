package vrrp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// processMatcher is one vrrp_track_process's test on a process, as
// keepalived applies it: the command name (/proc/PID/comm, as in
// /proc/PID/stat) or, with full_command or parameters, argv[0] and the
// parameters compared as NUL-separated bytes (exact, partial: a prefix of
// the parameters, initial: the last parameter may be a prefix).
type processMatcher struct {
	name   string
	proc   string
	full   bool
	match  string // "", "exact", "partial", "initial"
	params []byte // NUL-terminated parameters, nil when none
}

func newProcessMatcher(tp *parser.TrackProcess) processMatcher {
	m := processMatcher{name: tp.Name, proc: tp.Process, full: tp.FullCommand, match: tp.ParamMatch}
	if len(tp.Params) > 0 {
		m.params = []byte(strings.Join(tp.Params, "\x00") + "\x00")
	}
	if !m.full && len(m.proc) > 15 {
		// The kernel keeps 15 bytes of the command name.
		m.proc = m.proc[:15]
	}
	return m
}

// matches tests one process given its comm and raw cmdline.
func (m processMatcher) matches(comm string, cmdline []byte) bool {
	name := comm
	var rest []byte
	if m.full || m.match != "" {
		arg0, after, _ := bytes.Cut(cmdline, []byte{0})
		if m.full {
			name = string(arg0)
		}
		rest = after
	}
	if name != m.proc {
		return false
	}
	if m.match == "" {
		return true
	}
	return m.checkParams(rest)
}

func (m processMatcher) checkParams(p []byte) bool {
	if m.match == "exact" && m.params == nil && len(p) == 0 {
		return true
	}
	if len(p) < len(m.params) {
		return false
	}
	switch m.match {
	case "exact":
		return len(p) == len(m.params) && bytes.Equal(p, m.params)
	case "partial":
		return m.params == nil || bytes.Equal(p[:len(m.params)], m.params)
	}
	if m.params == nil {
		return true
	}
	return len(m.params) == 1 || bytes.Equal(p[:len(m.params)-1], m.params[:len(m.params)-1])
}

// processScanner counts matching processes by scanning a proc file system
// (keepalived uses the proc connector; a scan at a short interval gives
// the same counts with a small delay).
type processScanner struct {
	procDir  string
	matchers []processMatcher
	interval time.Duration
	report   func(name string, count int)
}

// Counts scans once.
func (s *processScanner) Counts() map[string]int {
	counts := make(map[string]int, len(s.matchers))
	for _, m := range s.matchers {
		counts[m.name] = 0
	}
	ents, err := os.ReadDir(s.procDir)
	if err != nil {
		return counts
	}
	for _, e := range ents {
		pid := e.Name()
		if pid == "" || pid[0] < '1' || pid[0] > '9' {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(s.procDir, pid, "stat"))
		if err != nil {
			continue
		}
		open := bytes.IndexByte(stat, '(')
		closeIdx := bytes.LastIndexByte(stat, ')')
		if open < 0 || closeIdx < open || closeIdx+2 >= len(stat) || stat[closeIdx+2] == 'Z' {
			continue
		}
		comm := string(stat[open+1 : closeIdx])
		var cmdline []byte
		for _, m := range s.matchers {
			if (m.full || m.match != "") && cmdline == nil {
				cmdline, _ = os.ReadFile(filepath.Join(s.procDir, pid, "cmdline"))
				if cmdline == nil {
					cmdline = []byte{}
				}
			}
			if m.matches(comm, cmdline) {
				counts[m.name]++
			}
		}
	}
	return counts
}

// Run rescans every interval and reports counts that changed.
func (s *processScanner) Run(ctx context.Context, initial map[string]int) {
	if len(s.matchers) == 0 {
		return
	}
	last := initial
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.Counts()
		for _, m := range s.matchers {
			if now[m.name] != last[m.name] {
				s.report(m.name, now[m.name])
			}
		}
		last = now
	}
}
