package vrrp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// fsmHost says every interface exists, so configurations load anywhere.
type fsmHost struct{}

func (fsmHost) InterfaceExists(string) bool { return true }
func (fsmHost) Hostname() string            { return "fsmtest" }

// fsmConfig parses a keepalived.conf text; errors fail the test.
func fsmConfig(t testing.TB, text string) *parser.Config {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(text), parser.Options{Host: fsmHost{}})
	for _, d := range res.Diagnostics {
		// scripts run as root in these tests; keepalived's complaint
		// about that does not matter to the state machine
		if d.Severity == parser.SeverityError && !strings.Contains(d.Message, "SECURITY VIOLATION") {
			t.Fatalf("config: %v", d)
		}
	}
	if res.Config == nil {
		t.Fatalf("config: no result: %v", res.Diagnostics)
	}
	return res.Config
}

// fsmInst writes one vrrp_instance block; extra lines go inside it.
func fsmInst(name string, prio int, extra ...string) string {
	return fmt.Sprintf(`vrrp_instance %s {
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24
  }
  %s
}
`, name, prio, strings.Join(extra, "\n  "))
}

var fsmT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fsmNode is one machine with its own virtual clock and a record of
// everything it did, stamped with the virtual time.
type fsmNode struct {
	t    testing.TB
	m    *Machine
	src  netip.Addr
	now  time.Time
	acts []stamped
}

type stamped struct {
	at time.Time
	Action
}

func newFSMNode(t testing.TB, conf string, src string, facts Facts) *fsmNode {
	t.Helper()
	cfg := fsmConfig(t, conf)
	a := netip.MustParseAddr(src)
	if facts.SourceAddr == nil {
		facts.SourceAddr = func(string) netip.Addr { return a }
	}
	m, err := NewMachine(cfg, facts)
	if err != nil {
		t.Fatal(err)
	}
	return &fsmNode{t: t, m: m, src: a, now: fsmT0}
}

func (n *fsmNode) handle(ev Event) []Action {
	acts := n.m.Handle(n.now, ev)
	for _, a := range acts {
		n.acts = append(n.acts, stamped{n.now, a})
	}
	n.checkDeadline()
	return acts
}

func (n *fsmNode) checkDeadline() {
	n.t.Helper()
	if d, ok := n.m.NextDeadline(); ok && d.Before(n.now) {
		n.t.Fatalf("deadline %v before now %v", d.Sub(fsmT0), n.now.Sub(fsmT0))
	}
}

// advance moves the clock to now+d, firing timers on the way.
func (n *fsmNode) advance(d time.Duration) {
	end := n.now.Add(d)
	for {
		next, ok := n.m.NextDeadline()
		if !ok || next.After(end) {
			break
		}
		n.now = next
		n.handle(Timer{})
	}
	n.now = end
}

// at is the virtual time since fsmT0.
func (n *fsmNode) at() time.Duration { return n.now.Sub(fsmT0) }

func (n *fsmNode) state(inst string) State {
	s, ok := n.m.Status(inst)
	if !ok {
		n.t.Fatalf("no instance %s", inst)
	}
	return s.State
}

// first finds the first recorded action after (or at) from matching f.
func (n *fsmNode) first(from time.Time, f func(Action) bool) (stamped, bool) {
	for _, a := range n.acts {
		if !a.at.Before(from) && f(a.Action) {
			return a, true
		}
	}
	return stamped{}, false
}

func (n *fsmNode) logs() []string {
	var out []string
	for _, a := range n.acts {
		if a.Kind == ActLog && !a.Detail {
			out = append(out, a.Msg)
		}
	}
	return out
}

func (n *fsmNode) hasLog(msg string) bool {
	for _, a := range n.acts {
		if a.Kind == ActLog && a.Msg == msg {
			return true
		}
	}
	return false
}

func isKind(k ActionKind) func(Action) bool { return func(a Action) bool { return a.Kind == k } }

func isAdvert(prio int) func(Action) bool {
	return func(a Action) bool { return a.Kind == ActSendAdvert && a.Priority == prio }
}

// fsmNet joins nodes on one segment: an advert sent by one node reaches
// every other node at the same virtual instant. Nodes share the clock.
type fsmNet struct {
	t     testing.TB
	nodes []*fsmNode
	down  map[*fsmNode]bool // crashed nodes neither send nor receive
	cut   bool              // a partition: nothing is delivered
	now   time.Time
	// interval is the advert interval carried to receivers, per node
	interval map[*fsmNode]time.Duration
}

func newFSMNet(t testing.TB, nodes ...*fsmNode) *fsmNet {
	n := &fsmNet{t: t, nodes: nodes, down: map[*fsmNode]bool{}, now: fsmT0, interval: map[*fsmNode]time.Duration{}}
	for _, x := range nodes {
		n.interval[x] = time.Second
	}
	return n
}

// deliver hands node from's adverts in acts to the other running nodes.
func (net *fsmNet) deliver(from *fsmNode, acts []Action) {
	for _, a := range acts {
		if a.Kind != ActSendAdvert || net.down[from] || net.cut {
			continue
		}
		for _, to := range net.nodes {
			if to == from || net.down[to] {
				continue
			}
			to.now = net.now
			net.deliver(to, to.handle(AdvertReceived{Instance: a.Instance, Src: from.src, Priority: a.Priority, Interval: net.interval[from]}))
		}
	}
}

func (net *fsmNet) send(from *fsmNode, ev Event) {
	from.now = net.now
	net.deliver(from, from.handle(ev))
}

func (net *fsmNet) start() {
	for _, x := range net.nodes {
		net.send(x, Start{})
	}
}

// advance runs every node's timers in time order up to now+d.
func (net *fsmNet) advance(d time.Duration) {
	end := net.now.Add(d)
	for {
		var who *fsmNode
		var when time.Time
		for _, x := range net.nodes {
			if net.down[x] {
				continue
			}
			if t, ok := x.m.NextDeadline(); ok && (who == nil || t.Before(when)) {
				who, when = x, t
			}
		}
		if who == nil || when.After(end) {
			break
		}
		net.now = when
		net.send(who, Timer{})
	}
	net.now = end
	for _, x := range net.nodes {
		x.now = end
	}
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
