package vrrp

import (
	"net/netip"

	"github.com/gokeepalived/gokeepalived/parser"
)

// DefaultNFTablesTable is the table keepalived uses when `nftables` is
// given without a name, or when no_accept needs a firewall and none is
// configured.
const DefaultNFTablesTable = "keepalived"

// Firewall blocks traffic to and from the virtual addresses of a MASTER
// that must not accept it (no_accept, or strict mode's default, for an
// instance that is not the address owner). The runner calls AddVIPs when
// such an instance installs its addresses and DelVIPs when it removes them;
// Close undoes everything at shutdown. Addresses are counted: an address
// added twice stays blocked until it is deleted twice.
type Firewall interface {
	AddVIPs(addrs []FirewallAddr) error
	DelVIPs(addrs []FirewallAddr) error
	Close() error
}

// FirewallAddr is one blocked address and the device it is on (which
// matters for IPv6 link-local addresses only).
type FirewallAddr struct {
	Addr netip.Addr
	Dev  string
}

// fwAddrs are the addresses of an instance the firewall blocks: its
// virtual_ipaddress and virtual_ipaddress_excluded, as keepalived puts both
// lists in its sets.
func fwAddrs(ni *nodeInstance) []FirewallAddr {
	var out []FirewallAddr
	for _, l := range [][]*parser.IPAddress{ni.cfg.VIPs, ni.cfg.EVIPs} {
		for _, a := range l {
			dev := a.Dev
			if dev == "" {
				dev = instanceDev(ni.cfg)
			}
			out = append(out, FirewallAddr{Addr: a.Addr.Addr().Unmap(), Dev: dev})
		}
	}
	return out
}

// needsFirewall reports whether an instance's VIPs are blocked while it is
// MASTER: accept off and not the address owner.
func needsFirewall(accept bool, priority int) bool {
	return !accept && priority != 255
}

// logFirewallChoice logs, as keepalived does while reading the
// configuration, that nftables is used because an instance needs a
// firewall (accept off, or use_vmac) and `nftables` was not configured.
// Without a firewall it logs keepalived's warning of a build without
// nftables instead.
func (n *Node) logFirewallChoice(c *parser.Config) {
	if n.cfg.Firewall != nil && c.Global.NFTables != "" {
		return
	}
	for _, vi := range c.Instances {
		if !vi.Accept || vi.UseVMAC {
			if n.cfg.Firewall == nil {
				n.warnNoAccept()
			} else {
				n.log.Info("use_vmac or no_accept/strict specified, but no firewall configured - using nftables")
			}
			return
		}
	}
}

// fwAdd puts the instance's addresses in the firewall (keepalived does it
// before adding the VIPs).
func (n *Node) fwAdd(ni *nodeInstance) {
	if ni == nil || ni.fwSet {
		return
	}
	if n.cfg.Firewall == nil {
		return
	}
	n.logf(true, "(%s) setting firewall drop rule", ni.cfg.Name)
	addrs := fwAddrs(ni)
	if err := n.cfg.Firewall.AddVIPs(addrs); err != nil {
		n.logErr(err)
		return
	}
	ni.fw, ni.fwSet = addrs, true
}

// fwDel takes out of the firewall what fwAdd put there (after the VIPs are
// removed).
func (n *Node) fwDel(ni *nodeInstance) {
	if ni == nil || !ni.fwSet {
		return
	}
	n.logf(true, "(%s) removing firewall drop rule", ni.cfg.Name)
	n.logErr(n.cfg.Firewall.DelVIPs(ni.fw))
	ni.fw, ni.fwSet = nil, false
}

// fwCarry moves a reloaded instance's firewall entries to its new
// configuration: a MASTER whose VIPs are set and whose accept mode is off
// blocks its new address list, anything else blocks nothing. New entries go
// in before old ones come out, so addresses kept stay blocked throughout.
func (n *Node) fwCarry(old, cur *nodeInstance, install bool) {
	if install && needsFirewall(cur.cfg.Accept, cur.cfg.Priority) {
		n.fwAdd(cur)
	}
	n.fwDel(old)
}

func (n *Node) closeFirewall() {
	// keepalived -V leaves its firewall rules in place with the VIPs.
	if n.cfg.Firewall != nil && !n.cfg.DontReleaseVRRP {
		n.logErr(n.cfg.Firewall.Close())
	}
}
