package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// quietAddrs is an address manager that records its calls.
type quietAddrs struct {
	mu    sync.Mutex
	calls []string
}

func (q *quietAddrs) note(s string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls = append(q.calls, s)
	return nil
}

func (q *quietAddrs) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.calls
	q.calls = nil
	return c
}

func (q *quietAddrs) AddAddress(a vrrp.Address) error    { return q.note("+a " + a.String()) }
func (q *quietAddrs) DelAddress(a vrrp.Address) error    { return q.note("-a " + a.String()) }
func (q *quietAddrs) AddRoute(r vrrp.VirtualRoute) error { return q.note("+r " + r.String()) }
func (q *quietAddrs) DelRoute(r vrrp.VirtualRoute) error { return q.note("-r " + r.String()) }
func (q *quietAddrs) AddRule(r vrrp.VirtualRule) error   { return q.note("+u " + r.String()) }
func (q *quietAddrs) DelRule(r vrrp.VirtualRule) error   { return q.note("-u " + r.String()) }

// silentConn sends into the void and never receives: a node alone.
type silentConn struct {
	once   sync.Once
	closed chan struct{}
}

func (c *silentConn) Send(vrrp.Datagram) error { return nil }
func (c *silentConn) Receive(ctx context.Context) (vrrp.Received, error) {
	select {
	case <-ctx.Done():
		return vrrp.Received{}, ctx.Err()
	case <-c.closed:
		return vrrp.Received{}, vrrp.ErrConnClosed
	}
}
func (c *silentConn) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

func engineConf(t *testing.T, prio string) *parser.Config {
	t.Helper()
	return loadDumpConfigText(t, `global_defs {
 router_id r1
 script_user root
}
vrrp_script chk {
 script "/bin/true"
 weight 10
}
vrrp_sync_group G {
 group {
  VI_1
 }
 track_script {
  chk
 }
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority `+prio+`
 advert_int 1
 virtual_ipaddress {
  10.99.0.100
 }
}
`, "vm")
}

// TestVRRPEngineSnapshotAndReload: the dumps' snapshot carries the node's
// state, counters, last transition, script result and group state;
// clearing zeroes the counters; a reload changes the priority without a
// netlink request and the dumps follow the new configuration.
func TestVRRPEngineSnapshotAndReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := engineConf(t, "100")
		addrs := &quietAddrs{}
		start := time.Now()
		node, err := vrrp.NewNode(vrrp.NodeConfig{Config: cfg, Logger: slog.New(slog.DiscardHandler), Addrs: addrs,
			OpenConn:   func(vrrp.ConnConfig) (vrrp.AdvertConn, error) { return &silentConn{closed: make(chan struct{})}, nil },
			SourceAddr: func(string, bool) netip.Addr { return netip.MustParseAddr("10.99.0.1") }})
		if err != nil {
			t.Fatal(err)
		}
		e := &vrrpEngine{log: slog.New(slog.DiscardHandler), cfg: cfg, node: node}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- node.Run(ctx) }()
		time.Sleep(5 * time.Second)
		synctest.Wait()

		snap := e.snapshot(false)
		vi := snap.Instances[0]
		if vi.State != dumpStateMaster || !vi.VIPSet || vi.Priority != 100 {
			t.Errorf("instance %+v", vi)
		}
		// the script has not run: INIT, no weight applied
		if s := snap.Scripts[0]; s.InitState != "INIT" || s.Result != 0 {
			t.Errorf("script %+v", s)
		}
		if snap.SyncGroups[0].State != dumpStateMaster {
			t.Errorf("group %+v", snap.SyncGroups[0])
		}
		// master 3.609375 s after start; adverts then at 3.609 and 4.609 s
		if vi.Stats.BecomeMaster != 1 || vi.Stats.AdvertSent != 2 {
			t.Errorf("stats %+v", vi.Stats)
		}
		if got := vi.LastTransition.Sub(start); got != 3609375*time.Microsecond {
			t.Errorf("last transition %v after start", got)
		}
		var buf bytes.Buffer
		if err := writeVRRPStats(&buf, e.snapshot(true)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "    Sent: 2\n  Became master: 1\n") {
			t.Errorf("stats dump:\n%s", buf.String())
		}
		if st := e.snapshot(false).Instances[0].Stats; st != (dumpVRRPStats{}) {
			t.Errorf("stats after clearing %+v", st)
		}

		addrs.take()
		if err := e.Reload(engineConf(t, "150")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if c := addrs.take(); len(c) != 0 {
			t.Errorf("netlink requests on a priority change: %v", c)
		}
		vi = e.snapshot(false).Instances[0]
		if vi.State != dumpStateMaster || vi.Priority != 150 || vi.EffectivePriority != 150 {
			t.Errorf("after reload: state %v priority %d/%d", vi.State, vi.Priority, vi.EffectivePriority)
		}
		// the adverts sent before and right after the reload are counted
		if vi.Stats.AdvertSent != 2 {
			t.Errorf("stats after reload %+v", vi.Stats)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(engineConf(t, "120")); !errors.Is(err, vrrp.ErrNodeNotRunning) {
			t.Errorf("reload of a stopped node: %v", err)
		}
	})
}

// TestVRRPEngineReloadBeforeRun: before the node runs, a reload only
// replaces the configuration Run will use.
func TestVRRPEngineReloadBeforeRun(t *testing.T) {
	e := &vrrpEngine{log: slog.New(slog.DiscardHandler), cfg: engineConf(t, "100")}
	next := engineConf(t, "150")
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	if e.cfg != next {
		t.Error("configuration not replaced")
	}
	if p := e.snapshot(false).Instances[0].Priority; p != 150 {
		t.Errorf("snapshot priority %d", p)
	}
}
