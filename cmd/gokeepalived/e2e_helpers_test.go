//go:build linux

package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The figures the end-to-end test reports come from e2eClient.outage; check
// it on a made-up sequence of answers.
func TestE2EOutageFigures(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(start int, server string) e2eAnswer {
		return e2eAnswer{start: at(start), end: at(start + 10), server: server}
	}
	fail := func(start, dur int) e2eAnswer {
		return e2eAnswer{start: at(start), end: at(start + dur), err: errors.New("i/o timeout")}
	}
	c := &e2eClient{answers: []e2eAnswer{
		ok(0, "rs1"), ok(60, "rs2"), // last success before the event ends at 70
		fail(120, 400), fail(570, 400), // the event is at 100
		ok(1020, "rs1"), ok(1080, "rs2"), ok(1140, "rs1"),
		fail(5000, 5), // after the window
	}}
	o := c.outage(at(100), at(2000))
	if o.requests != 5 || o.failed != 2 {
		t.Errorf("requests %d failed %d, want 5 and 2", o.requests, o.failed)
	}
	if want := 960 * time.Millisecond; o.longestGap != want || !o.gapFrom.Equal(at(70)) || !o.gapTo.Equal(at(1030)) {
		t.Errorf("longest gap %v from %v to %v, want %v from +70ms to +1030ms", o.longestGap, o.gapFrom, o.gapTo, want)
	}
	if o.servers["rs1"] != 2 || o.servers["rs2"] != 1 {
		t.Errorf("servers %v", o.servers)
	}
	if got := c.since(at(1080)); len(got) != 3 || got[0].server != "rs2" {
		t.Errorf("since(+1080ms) = %v", got)
	}
	// No answer in the window: the gap runs from the last answer before
	// it to the end of the last failure.
	o = c.outage(at(4000), at(6000))
	if o.requests != 1 || o.failed != 1 || o.longestGap != 3855*time.Millisecond {
		t.Errorf("failures only: %+v", o)
	}
}

// Director output reaches the log file whole and the timeline line by line,
// however the writes split it.
func TestE2ELineWriter(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	w := &e2eLineWriter{f: f, onLine: func(l string) { lines = append(lines, l) }}
	for _, chunk := range []string{"Tue Nov 24 21:14:53 2026: (VI_1) Entering MA", "STER STATE\nsecond\nthi", "rd"} {
		w.Write([]byte(chunk))
	}
	if !slices.Equal(lines, []string{"Tue Nov 24 21:14:53 2026: (VI_1) Entering MASTER STATE", "second"}) {
		t.Errorf("lines %q", lines)
	}
	if got := e2eLogDate.ReplaceAllString(lines[0], ""); got != "(VI_1) Entering MASTER STATE" || !e2eKeyLogLines.MatchString(got) {
		t.Errorf("without its date: %q", got)
	}
	b, _ := os.ReadFile(f.Name())
	if string(b) != "Tue Nov 24 21:14:53 2026: (VI_1) Entering MASTER STATE\nsecond\nthird" {
		t.Errorf("log file %q", b)
	}
	if got := e2eTellingLine("Tue Nov 24 21:18:31 2026: Starting\nTue Nov 24 21:18:31 2026: the checker engine is not built yet\nStopped"); got != "the checker engine is not built yet" {
		t.Errorf("telling line %q", got)
	}
}
