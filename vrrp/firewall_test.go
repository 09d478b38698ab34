package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeFirewall records what the node asks of its firewall and keeps the
// blocked addresses with their counts, as the nftables one does. present,
// when set, is read at each AddVIPs to see whether the VIPs were already on
// the interface.
type fakeFirewall struct {
	mu      sync.Mutex
	calls   []string
	blocked map[netip.Addr]int
	closed  bool
	present func() []string
}

var _ Firewall = (*fakeFirewall)(nil)

func newFakeFirewall() *fakeFirewall { return &fakeFirewall{blocked: map[netip.Addr]int{}} }

// fwIPs drops the devices (all VIPs of these tests are on eth0).
func fwIPs(addrs []FirewallAddr) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, a.Addr)
	}
	return out
}

func (f *fakeFirewall) AddVIPs(fa []FirewallAddr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	addrs := fwIPs(fa)
	call := fmt.Sprintf("add %v", addrs)
	if f.present != nil {
		call += fmt.Sprintf(" (on the interface: %v)", f.present())
	}
	f.calls = append(f.calls, call)
	for _, a := range addrs {
		f.blocked[a]++
	}
	return nil
}

func (f *fakeFirewall) DelVIPs(fa []FirewallAddr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	addrs := fwIPs(fa)
	f.calls = append(f.calls, fmt.Sprintf("del %v", addrs))
	for _, a := range addrs {
		if f.blocked[a] == 0 {
			return fmt.Errorf("fake firewall: %v is not blocked", a)
		}
		if f.blocked[a]--; f.blocked[a] == 0 {
			delete(f.blocked, a)
		}
	}
	return nil
}

func (f *fakeFirewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "close")
	f.closed = true
	return nil
}

func (f *fakeFirewall) snapshot() (calls []string, blocked []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for a, n := range f.blocked {
		blocked = append(blocked, fmt.Sprintf("%v*%d", a, n))
	}
	slices.Sort(blocked)
	return slices.Clone(f.calls), blocked
}

// TestNodeFirewallNoAccept: a non-owner with no_accept blocks its VIPs
// (before adding them) on becoming MASTER, unblocks them when a higher
// priority router takes over, and closes the firewall at shutdown.
func TestNodeFirewallNoAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		fw := newFakeFirewall()
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, " no_accept\n virtual_ipaddress_excluded {\n  10.99.0.200\n }\n"),
			func(c *NodeConfig) { c.Firewall, fw.present = fw, c.Addrs.(*fakeAddressManager).present })

		time.Sleep(5 * time.Second)
		synctest.Wait()
		if s := a.n.States()["VI_1"]; s != StateMaster {
			t.Fatalf("A is %v, want MASTER", s)
		}
		calls, blocked := fw.snapshot()
		if want := []string{"add [10.99.0.100 10.99.0.200] (on the interface: [])"}; !slices.Equal(calls, want) {
			t.Errorf("firewall calls %q, want %q", calls, want)
		}
		if want := []string{"10.99.0.100*1", "10.99.0.200*1"}; !slices.Equal(blocked, want) {
			t.Errorf("blocked %v, want %v", blocked, want)
		}
		for _, want := range []string{"use_vmac or no_accept/strict specified, but no firewall configured - using nftables",
			"(VI_1) setting firewall drop rule"} {
			if !strings.Contains(a.logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, a.logs)
			}
		}

		// A priority-150 router preempts: A goes back to BACKUP.
		b := startTestNode(t, w, "10.99.0.2", nodeConf(150, ""), nil)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if s := a.n.States()["VI_1"]; s != StateBackup {
			t.Fatalf("A is %v after B started, want BACKUP\n%s", s, a.logs)
		}
		calls, blocked = fw.snapshot()
		if len(calls) != 2 || calls[1] != "del [10.99.0.100 10.99.0.200]" || len(blocked) != 0 {
			t.Errorf("after leaving MASTER: calls %q, blocked %v", calls, blocked)
		}
		if !strings.Contains(a.logs.String(), "(VI_1) removing firewall drop rule") {
			t.Errorf("log lacks the removal line:\n%s", a.logs)
		}
		b.stop(t)
		a.stop(t)
		calls, _ = fw.snapshot()
		if calls[len(calls)-1] != "close" {
			t.Errorf("firewall not closed at shutdown: %q", calls)
		}
	})
}

// TestNodeFirewallShutdownUnblocks: a no_accept MASTER that is stopped
// removes its entries before the firewall is closed.
func TestNodeFirewallShutdownUnblocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fw := newFakeFirewall()
		a := startTestNode(t, &fakeWire{}, "10.99.0.1", nodeConf(100, " no_accept\n"), func(c *NodeConfig) { c.Firewall = fw })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		a.stop(t)
		calls, blocked := fw.snapshot()
		if want := []string{"add [10.99.0.100]", "del [10.99.0.100]", "close"}; !slices.Equal(calls, want) {
			t.Errorf("calls %q, want %q", calls, want)
		}
		if len(blocked) != 0 {
			t.Errorf("still blocked after shutdown: %v", blocked)
		}
	})
}

// TestNodeFirewallNotNeeded: accept mode, or the address owner, never
// touches the firewall and does not log that nftables is used.
func TestNodeFirewallNotNeeded(t *testing.T) {
	for name, conf := range map[string]string{
		"accept": nodeConf(100, " accept\n"),
		"owner":  nodeConf(255, " no_accept\n"),
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fw := newFakeFirewall()
				a := startTestNode(t, &fakeWire{}, "10.99.0.1", conf, func(c *NodeConfig) { c.Firewall = fw })
				time.Sleep(5 * time.Second)
				synctest.Wait()
				if s := a.n.States()["VI_1"]; s != StateMaster {
					t.Fatalf("A is %v, want MASTER", s)
				}
				a.stop(t)
				calls, _ := fw.snapshot()
				if want := []string{"close"}; !slices.Equal(calls, want) {
					t.Errorf("calls %q, want only %q", calls, want)
				}
				if name == "accept" && strings.Contains(a.logs.String(), "firewall") {
					t.Errorf("firewall logged for an accept instance:\n%s", a.logs)
				}
			})
		})
	}
}

// TestNodeFirewallStrictDefault: vrrp_strict turns accept off by default,
// so a strict non-owner MASTER blocks its VIPs.
func TestNodeFirewallStrictDefault(t *testing.T) {
	conf := `global_defs {
 vrrp_strict
}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.99.0.100
 }
}
`
	synctest.Test(t, func(t *testing.T) {
		fw := newFakeFirewall()
		a := startTestNode(t, &fakeWire{}, "10.99.0.1", conf, func(c *NodeConfig) { c.Firewall = fw })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		calls, blocked := fw.snapshot()
		if want := []string{"add [10.99.0.100]"}; !slices.Equal(calls, want) || !slices.Equal(blocked, []string{"10.99.0.100*1"}) {
			t.Errorf("calls %q blocked %v, want %q", calls, blocked, want)
		}
		a.stop(t)
	})
}

// TestNodeFirewallNone: without a firewall the node logs keepalived's
// warning once, at start, and still installs the VIPs.
func TestNodeFirewallNone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &fakeWire{}
		a := startTestNode(t, w, "10.99.0.1", nodeConf(100, " no_accept\n"), nil)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if p := a.addrs.present(); !slices.Equal(p, []string{"10.99.0.100/32 dev eth0"}) {
			t.Errorf("addresses %v", p)
		}
		a.stop(t)
		const warn = "Warning - firewall needed due to use_vmac or no_accept/strict but not configured"
		logs := a.logs.String()
		if c := strings.Count(logs, warn); c != 1 {
			t.Errorf("warning logged %d times, want 1:\n%s", c, logs)
		}
		// keepalived warns while reading the configuration.
		if w, m := strings.Index(logs, warn), strings.Index(logs, "Entering MASTER STATE"); w < 0 || m < 0 || w > m {
			t.Errorf("warning not logged before MASTER:\n%s", logs)
		}
		if strings.Contains(a.logs.String(), "using nftables") {
			t.Errorf("claims to use nftables without a firewall:\n%s", a.logs)
		}
	})
}

// TestNodeFirewallReload: a MASTER reloaded from no_accept to accept
// unblocks its VIPs; reloaded back with one more VIP it blocks the new
// list, the kept address never leaving the set.
func TestNodeFirewallReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fw := newFakeFirewall()
		a := startTestNode(t, &fakeWire{}, "10.99.0.1", nodeConf(100, " no_accept\n"), func(c *NodeConfig) { c.Firewall = fw })
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if err := a.n.Reload(loadTestConf(t, nodeConf(100, " accept\n"))); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		calls, blocked := fw.snapshot()
		if want := []string{"add [10.99.0.100]", "del [10.99.0.100]"}; !slices.Equal(calls, want) || len(blocked) != 0 {
			t.Fatalf("after reload to accept: calls %q blocked %v, want %q", calls, blocked, want)
		}
		if s := a.n.States()["VI_1"]; s != StateMaster {
			t.Fatalf("A is %v after reload", s)
		}
		if err := a.n.Reload(loadTestConf(t, nodeConf(100, " no_accept\n"))); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := a.n.Reload(loadTestConf(t, nodeConf(100, " no_accept\n virtual_ipaddress_excluded {\n  10.99.0.200\n }\n"))); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		calls, blocked = fw.snapshot()
		want := []string{"add [10.99.0.100]", "del [10.99.0.100]", "add [10.99.0.100]",
			"add [10.99.0.100 10.99.0.200]", "del [10.99.0.100]"}
		if !slices.Equal(calls, want) || !slices.Equal(blocked, []string{"10.99.0.100*1", "10.99.0.200*1"}) {
			t.Errorf("after reloads: calls %q blocked %v, want %q", calls, blocked, want)
		}
		a.stop(t)
		if _, blocked := fw.snapshot(); len(blocked) != 0 {
			t.Errorf("still blocked after shutdown: %v", blocked)
		}
	})
}
