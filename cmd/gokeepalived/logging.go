package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// parseFacility reads -S as keepalived does: 0-7 or local0-local7 for the
// local facilities, or user or daemon.
func parseFacility(s string) (syslog.Priority, error) {
	n := strings.TrimPrefix(s, "local")
	if v, err := strconv.Atoi(n); err == nil && v >= 0 && v <= 7 && (n == s || len(n) == 1) {
		return syslog.LOG_LOCAL0 + syslog.Priority(v)<<3, nil
	}
	switch s {
	case "user":
		return syslog.LOG_USER, nil
	case "daemon":
		return syslog.LOG_DAEMON, nil
	}
	return 0, fmt.Errorf("Invalid log facility '%s'", s)
}

// consoleTimeLayout is strftime's %c in the C locale, which keepalived
// prefixes console lines with.
const consoleTimeLayout = "Mon Jan _2 15:04:05 2006"

// logSink is one destination of log lines.
type logSink interface {
	writeLine(level slog.Level, t time.Time, msg string) error
}

// consoleSink writes keepalived's `-l` lines: "Tue Nov 24 20:32:46 2026: msg".
type consoleSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *consoleSink) writeLine(_ slog.Level, t time.Time, msg string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.w, "%s: %s\n", t.Format(consoleTimeLayout), msg)
	return err
}

// syslogSink sends lines to syslog under keepalived's ident.
type syslogSink struct {
	w *syslog.Writer
}

func newSyslogSink(facility syslog.Priority, ident string) (*syslogSink, error) {
	w, err := syslog.New(facility|syslog.LOG_INFO, ident)
	if err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	return &syslogSink{w}, nil
}

func (s *syslogSink) writeLine(level slog.Level, _ time.Time, msg string) error {
	switch {
	case level >= slog.LevelError:
		return s.w.Err(msg)
	case level >= slog.LevelWarn:
		return s.w.Warning(msg)
	case level >= slog.LevelInfo:
		return s.w.Info(msg)
	}
	return s.w.Debug(msg)
}

// lineHandler is a slog.Handler printing only the message, so that the
// lines operators grep for read exactly as keepalived's. Attributes (the
// instance, the virtual server) are for structured consumers and are not
// repeated in the text.
type lineHandler struct {
	sinks []logSink
	level slog.Level
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var first error
	for _, s := range h.sinks {
		if err := s.writeLine(r.Level, r.Time, r.Message); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lineHandler) WithGroup(string) slog.Handler      { return h }
