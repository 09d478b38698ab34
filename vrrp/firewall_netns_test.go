//go:build linux

package vrrp

import (
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"
)

const fwTestPort = 18081

// nsNFT opens an nf_tables connection inside a named namespace.
func nsNFT(t *testing.T, ns string) (*nftables.Conn, int) {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	c, err := nftables.New(nftables.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatalf("nftables in %s: %v", ns, err)
	}
	probe := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: "gkvprobe"}
	c.AddTable(probe)
	c.DelTable(probe)
	if err := c.Flush(); err != nil {
		t.Skipf("no nf_tables in this kernel: %v", err)
	}
	return c, int(h)
}

func hasTable(t *testing.T, c *nftables.Conn, fam nftables.TableFamily, name string) bool {
	t.Helper()
	tabs, err := c.ListTablesOfFamily(fam)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return slices.ContainsFunc(tabs, func(x *nftables.Table) bool { return x.Name == name })
}

// setKeys lists the elements of a set of a table as strings.
func setKeys(t *testing.T, c *nftables.Conn, tab *nftables.Table, name string) []string {
	t.Helper()
	s, err := c.GetSetByName(tab, name)
	if err != nil {
		t.Fatalf("set %s %s: %v", tab.Name, name, err)
	}
	els, err := c.GetSetElements(s)
	if err != nil {
		t.Fatalf("elements of %s: %v", name, err)
	}
	var out []string
	for _, e := range els {
		if a, ok := netip.AddrFromSlice(e.Key); ok {
			out = append(out, a.String())
		} else if len(e.Key) == 1 {
			out = append(out, itoa(int(e.Key[0])))
		}
	}
	slices.Sort(out)
	return out
}

// checkFamily reads one family's table back: base chains in/out at the
// configured priority with an accept policy, the vips set holding want,
// and the rules keepalived puts in each chain.
func checkFamily(t *testing.T, c *nftables.Conn, fam nftables.TableFamily, want []string) {
	t.Helper()
	tab := &nftables.Table{Family: fam, Name: DefaultNFTablesTable}
	chains, err := c.ListChainsOfTableFamily(fam)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*nftables.Chain{}
	for _, ch := range chains {
		if ch.Table.Name == tab.Name {
			got[ch.Name] = ch
		}
	}
	hooks := map[string]*nftables.ChainHook{"in": nftables.ChainHookInput, "out": nftables.ChainHookOutput}
	for name, hook := range hooks {
		ch := got[name]
		if ch == nil {
			t.Fatalf("family %v: no chain %s (have %v)", fam, name, got)
		}
		if ch.Hooknum == nil || *ch.Hooknum != *hook || ch.Priority == nil || *ch.Priority != -1 ||
			ch.Type != nftables.ChainTypeFilter || ch.Policy == nil || *ch.Policy != nftables.ChainPolicyAccept {
			t.Errorf("family %v chain %s: hook %v prio %v type %v policy %v", fam, name, ch.Hooknum, ch.Priority, ch.Type, ch.Policy)
		}
		rules, err := c.GetRules(tab, ch)
		if err != nil {
			t.Fatal(err)
		}
		var verdicts []string
		for _, r := range rules {
			var sets []string
			var offs []uint32
			for _, e := range r.Exprs {
				switch x := e.(type) {
				case *expr.Lookup:
					sets = append(sets, x.SetName)
				case *expr.Payload:
					offs = append(offs, x.Offset)
				case *expr.Verdict:
					sets = append(sets, map[expr.VerdictKind]string{expr.VerdictDrop: "drop", expr.VerdictAccept: "accept",
						expr.VerdictGoto: "goto " + x.Chain}[x.Kind])
				}
			}
			verdicts = append(verdicts, strings.Join(sets, " ")+" @"+itoa(int(offs[len(offs)-1])))
		}
		// Offsets: IPv4 daddr 16 / saddr 12; IPv6 daddr 24 / saddr 8;
		// the ICMPv6 type is byte 0 of the transport header.
		wantRules := map[nftables.TableFamily]map[string][]string{
			nftables.TableFamilyIPv4: {"in": {"vips drop @16"}, "out": {"vips drop @12"}},
			nftables.TableFamilyIPv6: {"in": {"neighbor-discovery accept @0", "goto in_link_local @24", "vips drop @24"},
				"out": {"neighbor-discovery accept @0", "goto out_link_local @8", "vips drop @8"}},
		}[fam][name]
		if !slices.Equal(verdicts, wantRules) {
			t.Errorf("family %v chain %s rules %q, want %q", fam, name, verdicts, wantRules)
		}
	}
	if keys := setKeys(t, c, tab, "vips"); !slices.Equal(keys, want) {
		t.Errorf("family %v vips %v, want %v", fam, keys, want)
	}
	if fam == nftables.TableFamilyIPv6 {
		if keys := setKeys(t, c, tab, "neighbor-discovery"); !slices.Equal(keys, []string{"135", "136"}) {
			t.Errorf("neighbor-discovery %v, want [135 136]", keys)
		}
	}
}

// TestNFTablesFirewallNetns builds keepalived's tables in a namespace,
// reads them back, and checks that traffic to the VIPs from another host
// is dropped while they are in the set (IPv6 neighbour discovery still
// resolving them) and passes once they are taken out.
func TestNFTablesFirewallNetns(t *testing.T) {
	requireNetns(t)
	_, noPing := exec.LookPath("ping")
	tp := newTopology(t, "lb", "client")
	vip4, vip6, vipLL := netip.MustParseAddr("10.99.0.100"), netip.MustParseAddr("fd99::100"), netip.MustParseAddr("fe80::100")
	tp.exec(t, "lb", "ip", "addr", "add", "10.99.0.100/32", "dev", "eth0")
	tp.exec(t, "lb", "ip", "addr", "add", "fd99::100/128", "dev", "eth0", "nodad")
	tp.exec(t, "lb", "ip", "addr", "add", "fe80::100/64", "dev", "eth0", "nodad")
	c, fd := nsNFT(t, tp.ns("lb"))
	lw := newNSWatcher(t, tp.ns("lb"))
	ifIndex := func(dev string) (int, error) {
		l, err := lw.h.LinkByName(dev)
		if err != nil {
			return 0, err
		}
		return l.Attrs().Index, nil
	}
	fa := []FirewallAddr{{Addr: vip4, Dev: "eth0"}, {Addr: vip6, Dev: "eth0"}, {Addr: vipLL, Dev: "eth0"}}
	llPort := netip.AddrPortFrom(vipLL.WithZone("eth0"), fwTestPort)
	th, thc := newNSThread(t, tp.ns("lb")), newNSThread(t, tp.ns("client"))
	serveName(t, th, fwTestPort, "lb")
	cw := newNSWatcher(t, tp.ns("client"))

	// A table left by a crashed run is replaced, not added to.
	stale := NewNFTablesFirewall(NFTablesConfig{Priority: -1, NetNSFd: fd})
	if err := stale.AddVIPs([]FirewallAddr{{Addr: netip.MustParseAddr("10.99.0.77")}}); err != nil {
		t.Fatalf("stale table: %v", err)
	}

	fw := NewNFTablesFirewall(NFTablesConfig{Priority: -1, NetNSFd: fd, IfIndex: ifIndex})
	t.Cleanup(func() { _ = fw.Close() })
	if err := fw.AddVIPs(fa); err != nil {
		t.Fatal(err)
	}
	checkFamily(t, c, nftables.TableFamilyIPv4, []string{"10.99.0.100"})
	checkFamily(t, c, nftables.TableFamilyIPv6, []string{"fd99::100"})
	if _, err := exec.LookPath("nft"); err == nil {
		out := tp.exec(t, "lb", "nft", "list", "ruleset")
		for _, want := range []string{"table ip keepalived", "table ip6 keepalived", "type filter hook input priority filter - 1; policy accept;",
			"ip daddr @vips drop", "ip saddr @vips drop", "ip6 daddr @vips drop", "ip6 saddr @vips drop",
			"icmpv6 type @neighbor-discovery accept", "nd-neighbor-solicit", "nd-neighbor-advert",
			"ip6 daddr fe80::/10 goto in_link_local", "ip6 saddr fe80::/10 goto out_link_local",
			"type ipv6_addr . iface_index", "ip6 daddr . iif @vips_link_local drop", "ip6 saddr . oif @vips_link_local drop",
			"elements = { fe80::100 . \"eth0\" }"} {
			if !strings.Contains(out, want) {
				t.Errorf("nft list ruleset lacks %q:\n%s", want, out)
			}
		}
		t.Logf("nft list ruleset:\n%s", out)
	}

	blocked := func(a netip.Addr) bool {
		return askName(thc, netip.AddrPortFrom(a, fwTestPort), 300*time.Millisecond) == ""
	}
	for _, a := range []netip.Addr{vip4, vip6} {
		if !blocked(a) {
			t.Errorf("TCP to %v connected while it is in the set", a)
		}
	}
	if got := askName(thc, llPort, 300*time.Millisecond); got != "" {
		t.Errorf("TCP to %v connected while it is in the link-local set", llPort)
	}
	if noPing != nil {
		t.Log("no ping in PATH: ICMP not checked")
	} else if err := exec.Command("ip", "netns", "exec", tp.ns("client"), "ping", "-c1", "-W1", vip4.String()).Run(); err == nil {
		t.Errorf("ping %v answered while it is in the set", vip4)
	}
	if got := askName(thc, netip.MustParseAddrPort("10.99.0.1:18081"), time.Second); got != "lb" {
		t.Errorf("the real address is blocked too: %q", got)
	}
	// Neighbour discovery of the blocked IPv6 VIP still works.
	if mac := cw.neigh(vip6); mac != "02:00:00:00:00:01" {
		t.Errorf("client's neighbour entry for %v is %q: NS/NA must pass", vip6, mac)
	}

	if err := fw.DelVIPs(fa); err != nil {
		t.Fatal(err)
	}
	checkFamily(t, c, nftables.TableFamilyIPv4, nil)
	for _, a := range []netip.Addr{vip4, vip6} {
		if got := askName(thc, netip.AddrPortFrom(a, fwTestPort), time.Second); got != "lb" {
			t.Errorf("TCP to %v after DelVIPs: %q, want lb", a, got)
		}
	}
	if got := askName(thc, llPort, time.Second); got != "lb" {
		t.Errorf("TCP to %v after DelVIPs: %q, want lb", llPort, got)
	}
	if noPing != nil {
	} else if out, err := exec.Command("ip", "netns", "exec", tp.ns("client"), "ping", "-c1", "-W1", vip4.String()).CombinedOutput(); err != nil {
		t.Errorf("ping %v after DelVIPs: %v\n%s", vip4, err, out)
	}

	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		if hasTable(t, c, fam, DefaultNFTablesTable) {
			t.Errorf("table of family %v left after Close", fam)
		}
	}
}

// TestNodeNoAcceptNetns runs a gokeepalived node as MASTER in a namespace:
// with no_accept a client cannot reach the VIP and the table exists until
// the node stops; with accept the VIP answers and no table is made.
func TestNodeNoAcceptNetns(t *testing.T) {
	requireNetns(t)
	for _, mode := range []string{"no_accept", "accept"} {
		t.Run(mode, func(t *testing.T) {
			tp := newTopology(t, "lb", "client")
			c, _ := nsNFT(t, tp.ns("lb"))
			th, thc := newNSThread(t, tp.ns("lb")), newNSThread(t, tp.ns("client"))
			serveName(t, th, fwTestPort, "lb")
			vip := netip.MustParseAddr("10.99.0.100")
			d := newGoNode(t, tp.ns("lb"), `vrrp_instance VI_1 {
 state MASTER
 interface eth0
 virtual_router_id 51
 priority 100
 version 3
 advert_int 0.1
 `+mode+`
 virtual_ipaddress {
  10.99.0.100/24
 }
}
`)
			d.Start(t)
			w := newNSWatcher(t, tp.ns("lb"))
			if waitFor(5*time.Second, func() bool { return w.hasAddr(vip) }) < 0 {
				t.Fatalf("VIP never installed:\n%s", d.Log())
			}
			got := askName(thc, netip.AddrPortFrom(vip, fwTestPort), 500*time.Millisecond)
			table := hasTable(t, c, nftables.TableFamilyIPv4, DefaultNFTablesTable)
			if mode == "no_accept" {
				if got != "" || !table {
					t.Errorf("no_accept MASTER: client got %q, table present %v\n%s", got, table, d.Log())
				}
				if !strings.Contains(d.Log(), "use_vmac or no_accept/strict specified, but no firewall configured - using nftables") {
					t.Errorf("log lacks the nftables line:\n%s", d.Log())
				}
			} else if got != "lb" || table {
				t.Errorf("accept MASTER: client got %q, table present %v\n%s", got, table, d.Log())
			}
			d.Term(t)
			d.Wait(t)
			if hasTable(t, c, nftables.TableFamilyIPv4, DefaultNFTablesTable) {
				t.Errorf("table left after the node stopped:\n%s", d.Log())
			}
		})
	}
}
