//go:build linux

package vrrp

import (
	"context"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestLinkWatcher: taking the peer of a veth down makes the tracked end
// not running; deleting it reports down; unrelated links are not reported.
func TestLinkWatcher(t *testing.T) {
	requireNetns(t)
	name, h := scratchNetns(t)
	run(t, "ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	run(t, "ip", "-n", name, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1")
	for _, l := range []string{"eth0", "peer0", "eth1", "peer1"} {
		run(t, "ip", "-n", name, "link", "set", l, "up")
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	tracked := map[string]bool{"eth0": true}
	// The peer may take a moment to report carrier.
	var initial map[string]bool
	for i := 0; i < 100; i++ {
		if initial, err = linkStates(h, tracked); err == nil && initial["eth0"] {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !initial["eth0"] {
		t.Fatalf("eth0 not up at start: %v %v", initial, err)
	}
	type ev struct {
		name string
		up   bool
	}
	got := make(chan ev, 10)
	w := &linkWatcher{names: tracked, log: quietLog(), report: func(n string, up bool) { got <- ev{n, up} },
		subscribe: func(ch chan<- netlink.LinkUpdate, done <-chan struct{}, o netlink.LinkSubscribeOptions) error {
			o.Namespace = &ns
			return netlink.LinkSubscribeWithOptions(ch, done, o)
		}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, initial) }()
	time.Sleep(50 * time.Millisecond)
	expect := func(want ev) {
		t.Helper()
		select {
		case e := <-got:
			if e != want {
				t.Errorf("report %+v, want %+v", e, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("no report of %+v", want)
		}
	}
	run(t, "ip", "-n", name, "link", "set", "eth1", "down")
	run(t, "ip", "-n", name, "link", "set", "peer0", "down")
	expect(ev{"eth0", false})
	run(t, "ip", "-n", name, "link", "set", "peer0", "up")
	expect(ev{"eth0", true})
	run(t, "ip", "-n", name, "link", "del", "eth0")
	expect(ev{"eth0", false})
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run: %v", err)
	}
}
