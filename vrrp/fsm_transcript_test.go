package vrrp

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// transcriptLine keeps the lines of a keepalived log that the state
// machine is responsible for (the runner logs the rest: netlink reports,
// per-address GARP lines, process start and stop).
var transcriptLine = regexp.MustCompile("^(\\(VI_1\\) |VRRP_Script\\(|Script `)")

// TestKeepalivedTranscript replays the scenario of testdata/fsm/record.sh
// and compares our log lines with what keepalived 2.2.7 logged (-D) in
// that scenario, line for line.
func TestKeepalivedTranscript(t *testing.T) {
	f, err := os.Open("testdata/fsm/track.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "Tue Nov 24 20:58:07 2026: message"
		_, msg, ok := strings.Cut(sc.Text(), "2026: ")
		if ok && transcriptLine.MatchString(msg) && !strings.HasPrefix(msg, "(VI_1) Sending/queueing") {
			want = append(want, msg)
		}
	}
	conf := "vrrp_script chk {\n script \"/bin/true\"\n interval 1\n fall 2\n rise 2\n}\n" +
		fsmInst("VI_1", 100, "track_script {\n chk\n }")
	n := newFSMNode(t, conf, "10.77.0.1", Facts{})
	n.handle(Start{})
	// the scenario: the script runs every second from start; it fails from
	// 6 s to 10 s; the interface is down from 17 s to 20 s; SIGTERM at 26 s.
	type ev struct {
		at time.Duration
		e  Event
	}
	var evs []ev
	for k := 0; k < 26; k++ {
		status := 0
		if k >= 6 && k < 10 {
			status = 1
		}
		evs = append(evs, ev{time.Duration(k)*time.Second + ms(50), ScriptResult{Script: "chk", ExitStatus: status}})
	}
	evs = append(evs, ev{17 * time.Second, InterfaceChanged{"eth0", false}}, ev{20 * time.Second, InterfaceChanged{"eth0", true}},
		ev{26 * time.Second, Shutdown{}})
	slices.SortStableFunc(evs, func(a, b ev) int { return int(a.at - b.at) })
	for _, e := range evs {
		n.advance(fsmT0.Add(e.at).Sub(n.now))
		n.handle(e.e)
	}
	var got []string
	for _, a := range n.acts {
		if a.Kind == ActLog && transcriptLine.MatchString(a.Msg) {
			got = append(got, a.Msg)
		}
	}
	if len(want) < 20 {
		t.Fatalf("transcript has only %d lines", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("log lines differ from keepalived's\n got: %q\nwant: %q", got, want)
	}
}

// readTranscript returns the state machine's lines of a recorded log.
func readTranscript(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		_, msg, ok := strings.Cut(line, "2026: ")
		if ok && transcriptLine.MatchString(msg) && !strings.HasPrefix(msg, "(VI_1) Sending/queueing") {
			out = append(out, msg)
		}
	}
	if len(out) < 5 {
		t.Fatalf("%s: only %d lines", name, len(out))
	}
	return out
}

func nodeLines(nodes ...*fsmNode) []string {
	var out []string
	for _, n := range nodes {
		for _, a := range n.acts {
			if a.Kind == ActLog && transcriptLine.MatchString(a.Msg) {
				out = append(out, a.Msg)
			}
		}
	}
	return out
}

// TestKeepalivedPair replays testdata/fsm/record_pair.sh: two nodes on one
// link, preemption by a higher priority, SIGTERM and takeover, restart and
// preemption again; each node's lines must be keepalived's.
func TestKeepalivedPair(t *testing.T) {
	inst := func(prio int) string {
		return strings.Replace(fsmInst("VI_1", prio), "virtual_router_id 51", "virtual_router_id 62", 1)
	}
	b := newFSMNode(t, inst(100), "10.77.1.2", Facts{})
	a1 := newFSMNode(t, inst(150), "10.77.1.1", Facts{})
	a2 := newFSMNode(t, inst(150), "10.77.1.1", Facts{})
	net := newFSMNet(t, b)
	net.send(b, Start{})
	net.advance(5 * time.Second)
	net.nodes = append(net.nodes, a1)
	net.send(a1, Start{})
	net.advance(6 * time.Second)
	net.send(a1, Shutdown{})
	net.down[a1] = true
	net.advance(2 * time.Second)
	net.nodes = append(net.nodes, a2)
	net.send(a2, Start{})
	net.advance(6 * time.Second)
	net.send(a2, Shutdown{})
	net.send(b, Shutdown{})

	if got, want := nodeLines(a1, a2), readTranscript(t, "testdata/fsm/pair_a.log"); !slices.Equal(got, want) {
		t.Errorf("node A differs from keepalived\n got: %q\nwant: %q", got, want)
	}
	if got, want := nodeLines(b), readTranscript(t, "testdata/fsm/pair_b.log"); !slices.Equal(got, want) {
		t.Errorf("node B differs from keepalived\n got: %q\nwant: %q", got, want)
	}
	// and the takeover after SIGTERM took Skew_Time(100)
	m, ok := b.first(fsmT0.Add(11*time.Second), isKind(ActAddVIPs))
	if !ok || m.at.Sub(fsmT0.Add(11*time.Second)) != 609375*time.Microsecond {
		t.Errorf("takeover at %v", m.at.Sub(fsmT0))
	}
}

// TestKeepalivedSplitBrain replays testdata/fsm/record_split.sh: a
// partition makes both nodes MASTER; when it heals, the lower one yields.
// The recording healed at a phase where A's advert reached B first; the
// replay heals at such a phase too (B's advert first is
// TestAdvertReactions' "master answers lower priority").
func TestKeepalivedSplitBrain(t *testing.T) {
	inst := func(prio int) string {
		return strings.Replace(fsmInst("VI_1", prio), "virtual_router_id 51", "virtual_router_id 63", 1)
	}
	a := newFSMNode(t, inst(150), "10.77.2.1", Facts{})
	b := newFSMNode(t, inst(100), "10.77.2.2", Facts{})
	net := newFSMNet(t, a, b)
	net.start()
	net.advance(6 * time.Second)
	net.cut = true
	net.advance(ms(8200))
	if a.state("VI_1") != StateMaster || b.state("VI_1") != StateMaster {
		t.Fatalf("no split brain: %v/%v", a.state("VI_1"), b.state("VI_1"))
	}
	net.cut = false
	net.advance(ms(2800))
	net.send(a, Shutdown{})
	net.send(b, Shutdown{})
	if got, want := nodeLines(a), readTranscript(t, "testdata/fsm/split_a.log"); !slices.Equal(got, want) {
		t.Errorf("node A differs from keepalived\n got: %q\nwant: %q", got, want)
	}
	if got, want := nodeLines(b), readTranscript(t, "testdata/fsm/split_b.log"); !slices.Equal(got, want) {
		t.Errorf("node B differs from keepalived\n got: %q\nwant: %q", got, want)
	}
}

// TestKeepalivedSyncGroup replays testdata/fsm/record_sync.sh: two
// members that go MASTER together, into FAULT together when one link goes
// down, back to BACKUP and MASTER together, then SIGTERM.
func TestKeepalivedSyncGroup(t *testing.T) {
	conf := syncConf("", "priority 90")
	n := newFSMNode(t, conf, "10.77.3.1", Facts{})
	n.handle(Start{})
	n.advance(6 * time.Second)
	n.handle(InterfaceChanged{"eth1", false})
	n.advance(3 * time.Second)
	n.handle(InterfaceChanged{"eth1", true})
	n.advance(6 * time.Second)
	n.handle(Shutdown{})
	line := regexp.MustCompile(`^(\(VI_[12]\) |VRRP_Group\()`)
	var want, got []string
	data, err := os.ReadFile("testdata/fsm/sync.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if _, msg, ok := strings.Cut(l, "2026: "); ok && line.MatchString(msg) && !strings.Contains(msg, "Sending/queueing") {
			want = append(want, msg)
		}
	}
	for _, a := range n.acts {
		if a.Kind == ActLog && line.MatchString(a.Msg) {
			got = append(got, a.Msg)
		}
	}
	if len(want) < 20 || !slices.Equal(got, want) {
		t.Errorf("differs from keepalived\n got: %q\nwant: %q", got, want)
	}
}

// TestKeepalivedGARPRefresh compares our advert and GARP timeline with a
// capture of keepalived 2.2.7 (testdata/fsm/record_garp.sh): refresh
// bursts go out with the adverts once garp_master_refresh has passed since
// becoming MASTER. Times are compared to 0.1 s (keepalived's timer drifts
// by a few hundred µs per advert).
func TestKeepalivedGARPRefresh(t *testing.T) {
	data, err := os.ReadFile("testdata/fsm/garp_refresh.txt")
	if err != nil {
		t.Fatal(err)
	}
	type frame struct {
		tenths int
		what   string
	}
	var want []frame
	var t0 float64
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ts float64
		if _, err := fmt.Sscanf(l, "%f", &ts); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if i == 0 {
			t0 = ts
		}
		what := "ARP"
		if strings.Contains(l, "VRRP") {
			what = "advert " + regexp.MustCompile(`prio \d+`).FindString(l)
		}
		want = append(want, frame{int((ts - t0) * 10), what})
	}
	conf := fsmInst("VI_1", 255, "garp_master_delay 0", "garp_master_repeat 1", "garp_master_refresh 3", "garp_master_refresh_repeat 2")
	n := newFSMNode(t, conf, "10.77.5.1", Facts{})
	n.handle(Start{})
	n.advance(time.Microsecond)
	tm := n.now
	n.advance(ms(10966))
	n.handle(Shutdown{})
	var got []frame
	for _, a := range n.acts {
		at := int(a.at.Sub(tm) / (100 * time.Millisecond))
		switch a.Kind {
		case ActSendAdvert:
			got = append(got, frame{at, fmt.Sprintf("advert prio %d", a.Priority)})
		case ActGARP:
			for r := 0; r < a.Repeat; r++ { // one VIP: one frame per round
				got = append(got, frame{at, "ARP"})
			}
		}
	}
	if len(want) < 10 || !slices.Equal(got, want) {
		t.Errorf("timeline differs from keepalived's\n got: %v\nwant: %v", got, want)
	}
}

// TestKeepalivedWeights replays testdata/fsm/record_weights.sh: a weighted
// vrrp_script and a weighted track_file move the priority; the file's
// value drives the instance into FAULT and back.
func TestKeepalivedWeights(t *testing.T) {
	conf := "vrrp_script chkw {\n script \"/bin/true\"\n interval 1\n weight -30\n}\n" +
		"track_file tf {\n file /tmp/tf\n weight 5\n}\n" +
		fsmInst("VI_1", 100, "track_script {\n chkw\n }", "track_file {\n tf\n }")
	n := newFSMNode(t, conf, "10.77.6.1", Facts{TrackFileValue: func(string) int64 { return 2 }})
	n.handle(Start{})
	type ev struct {
		at time.Duration
		e  Event
	}
	var evs []ev
	for k := 0; k < 18; k++ {
		status := 0
		if k >= 5 {
			status = 1
		}
		evs = append(evs, ev{time.Duration(k)*time.Second + ms(50), ScriptResult{Script: "chkw", ExitStatus: status}})
	}
	evs = append(evs,
		ev{8 * time.Second, TrackFileChanged{"tf", 0}},
		ev{10 * time.Second, TrackFileChanged{"tf", -60}},
		ev{13 * time.Second, TrackFileChanged{"tf", 1}},
		ev{18 * time.Second, Shutdown{}})
	slices.SortStableFunc(evs, func(a, b ev) int { return int(a.at - b.at) })
	for _, e := range evs {
		n.advance(fsmT0.Add(e.at).Sub(n.now))
		n.handle(e.e)
	}
	want := readTranscript(t, "testdata/fsm/weights.log")
	if got := nodeLines(n); !slices.Equal(got, want) {
		t.Errorf("log lines differ from keepalived's\n got: %q\nwant: %q", got, want)
	}
}
