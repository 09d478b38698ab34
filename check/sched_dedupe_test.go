package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// twoVS puts the same real server and checker behind two virtual servers,
// the case keepalived checks twice (its issue 2358).
func twoVS(check1, check2 string) string {
	var b strings.Builder
	for i, c := range []string{check1, check2} {
		fmt.Fprintf(&b, "virtual_server 10.0.0.%d 80 {\ndelay_loop 6\nprotocol TCP\nlb_algo rr\nlb_kind NAT\nreal_server 10.0.1.1 80 {\n%s\n}\n}\n", i+1, c)
	}
	return b.String()
}

func TestDedupeIdenticalChecks(t *testing.T) {
	tcp := "TCP_CHECK {\nwarmup 0\nretry 0\n}"
	for _, tc := range []struct {
		name           string
		conf           string
		opts           Options
		tasks, callsAt int // tasks, attempts at t=1
	}{
		{"identical checks share one task", twoVS(tcp, tcp), Options{}, 1, 1},
		{"NoDedupe checks each block, as keepalived", twoVS(tcp, tcp), Options{NoDedupe: true}, 2, 2},
		{"a different parameter keeps them apart", twoVS(tcp, "TCP_CHECK {\nwarmup 0\nretry 1\n}"), Options{}, 2, 2},
		{"a different target keeps them apart", twoVS(tcp, "TCP_CHECK {\nwarmup 0\nretry 0\nconnect_port 81\n}"), Options{}, 2, 2},
		{"HTTP checks differ by the Host their servers imply",
			twoVS("virtualhost a\nHTTP_GET {\nwarmup 0\nurl {\npath /\n}\n}", "virtualhost b\nHTTP_GET {\nwarmup 0\nurl {\npath /\n}\n}"), Options{}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := newSim(t, tc.conf, tc.opts)
			sm.deflt = upUntil(sec(5))
			sm.start().runFor(sec(11))
			st := sm.s.Stats()
			if st.Tasks != tc.tasks || st.Checkers != 2 {
				t.Errorf("tasks %d checkers %d, want %d and 2", st.Tasks, st.Checkers, tc.tasks)
			}
			n := 0
			for _, calls := range sm.calls {
				for _, c := range calls {
					if c == sec(1) {
						n++
					}
				}
			}
			if n != tc.callsAt {
				t.Errorf("%d attempts at 1s, want %d", n, tc.callsAt)
			}
			// Either way, both virtual servers see the server go.
			for vs := range 2 {
				if sm.rs(vs, 0).Alive {
					t.Errorf("VS %d: server still alive", vs)
				}
			}
			removals := sm.lines("Removing service [10.0.1.1]:tcp:80 from VS")
			if len(removals) != 2 {
				t.Errorf("removals %v", removals)
			}
		})
	}
}

// TestDedupeFanOut: a shared check logs and notifies once per member, as
// keepalived does with one checker per virtual server.
func TestDedupeFanOut(t *testing.T) {
	tcp := "TCP_CHECK {\nwarmup 0\nretry 0\n}"
	sm := newSim(t, twoVS(tcp, tcp), Options{})
	sm.deflt = down
	sm.start().runFor(sec(2))
	wantLines(t, sm.logsAt(1), []string{
		"TCP_CHECK on service [10.0.1.1]:tcp:80 failed.",
		"Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.1]:tcp:80",
		"TCP_CHECK on service [10.0.1.1]:tcp:80 failed.",
		"Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.2]:tcp:80",
		"Lost quorum 1-0=1 > 0 for VS [10.0.0.2]:tcp:80",
	})
	var rsDown []string
	for _, e := range sm.notes.events {
		if strings.HasPrefix(e, "RS ") {
			rsDown = append(rsDown, e)
		}
	}
	want := []string{"RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN", "RS [10.0.1.1]:tcp:80 [10.0.0.2]:tcp:80 DOWN"}
	if !slices.Equal(rsDown, want) {
		t.Errorf("got %q want %q", rsDown, want)
	}
}

func TestStripPos(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"TCP","pos":{"file":"a","line":1},"x":1}`:          `{"type":"TCP","x":1}`,
		`{"a":{"Pos":{"line":2}},"pos":{"line":3}}`:                 `{"a":{}}`,
		`{"repos":{"x":1},"pos":{}}`:                                `{"repos":{"x":1}}`,
		`{"path":"/pos\":{","pos":{"file":"x"},"y":[{"pos":{}},2]}`: `{"path":"/pos\":{","y":[{},2]}`,
	} {
		if got := stripPos([]byte(in)); got != want {
			t.Errorf("stripPos(%s) = %s, want %s", in, got, want)
		}
	}
}
