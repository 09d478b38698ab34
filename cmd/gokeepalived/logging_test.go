package main

import (
	"bytes"
	"context"
	"log/slog"
	"log/syslog"
	"testing"
	"time"
)

func TestParseFacility(t *testing.T) {
	tests := []struct {
		in   string
		want syslog.Priority
		ok   bool
	}{
		{"0", syslog.LOG_LOCAL0, true},
		{"7", syslog.LOG_LOCAL7, true},
		{"local3", syslog.LOG_LOCAL3, true},
		{"user", syslog.LOG_USER, true},
		{"daemon", syslog.LOG_DAEMON, true},
		{"8", 0, false},
		{"local8", 0, false},
		{"local", 0, false},
		{"kern", 0, false},
	}
	for _, tt := range tests {
		got, err := parseFacility(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseFacility(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if _, err := parseFacility("kern"); err == nil || err.Error() != "Invalid log facility 'kern'" {
		t.Errorf("message %v", err)
	}
}

func TestConsoleLineFormat(t *testing.T) {
	var buf bytes.Buffer
	h := &lineHandler{sinks: []logSink{&consoleSink{w: &buf}}}
	r := slog.NewRecord(time.Date(2026, 11, 4, 9, 5, 7, 0, time.UTC), slog.LevelInfo, "(VI_1) Entering MASTER STATE", 0)
	r.AddAttrs(slog.String("instance", "VI_1"))
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if want := "Wed Nov  4 09:05:07 2026: (VI_1) Entering MASTER STATE\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
