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
	AddVIPs(addrs []netip.Addr) error
	DelVIPs(addrs []netip.Addr) error
	Close() error
}

// fwAddrs are the addresses of an instance the firewall blocks: its
// virtual_ipaddress and virtual_ipaddress_excluded, as keepalived puts both
// lists in its sets.
func fwAddrs(ni *nodeInstance) []netip.Addr {
	var out []netip.Addr
	for _, l := range [][]*parser.IPAddress{ni.cfg.VIPs, ni.cfg.EVIPs} {
		for _, a := range l {
			out = append(out, a.Addr.Addr())
		}
	}
	return out
}

// needsFirewall reports whether an instance's VIPs are blocked while it is
// MASTER: accept off and not the address owner.
func needsFirewall(accept bool, priority int) bool {
	return !accept && priority != 255
}
