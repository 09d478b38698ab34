package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// NFTablesConfig says where the no_accept rules go.
type NFTablesConfig struct {
	// Table is the table name in both the ip and ip6 families
	// (`nftables [TABLE]`); "" is DefaultNFTablesTable.
	Table string
	// Priority is the base chains' priority (`nftables_priority`,
	// keepalived's default -1).
	Priority int
	// NetNSFd, when not 0, is a network namespace file descriptor to work
	// in instead of the caller's namespace (tests).
	NetNSFd int
	// IfIndex gives the index of a device, for IPv6 link-local VIPs; nil
	// is net.InterfaceByName (the caller's namespace).
	IfIndex func(dev string) (int, error)
}

// NFTablesFirewall is the Firewall of keepalived's nftables back-end, over
// nf_tables netlink. Nothing is touched until the first address of a
// family is added; then that family's table is (re)created:
//
//	table ip keepalived {
//		set vips { type ipv4_addr }
//		chain out { type filter hook output priority -1; policy accept; ip saddr @vips drop }
//		chain in  { type filter hook input priority -1; policy accept; ip daddr @vips drop }
//	}
//	table ip6 keepalived {
//		set vips { type ipv6_addr }
//		set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert } }
//		chain out { ...; icmpv6 type @neighbor-discovery accept
//			ip6 saddr fe80::/10 goto out_link_local; ip6 saddr @vips drop }
//		chain in  { ...; icmpv6 type @neighbor-discovery accept
//			ip6 daddr fe80::/10 goto in_link_local; ip6 daddr @vips drop }
//		chain in_link_local { }
//		chain out_link_local { }
//	}
//
// The first link-local VIP adds set vips_link_local { type ipv6_addr .
// iface_index } with `ip6 daddr . iif @vips_link_local drop` in
// in_link_local and `ip6 saddr . oif @vips_link_local drop` in
// out_link_local.
//
// Close deletes the tables it created. It is safe for concurrent use.
type NFTablesFirewall struct {
	cfg NFTablesConfig

	mu     sync.Mutex
	conn   *nftables.Conn
	fams   map[nftables.TableFamily]*nftFamily
	closed bool
}

type nftFamily struct {
	table *nftables.Table
	vips  *nftables.Set
	// ll and llIn/llOut are the IPv6 link-local set and chains; ll is nil
	// until the first link-local VIP.
	ll          *nftables.Set
	llIn, llOut *nftables.Chain
	// count is how many times each address was added and not deleted.
	count map[FirewallAddr]int
}

// NewNFTablesFirewall returns the nftables firewall; it opens nothing yet.
func NewNFTablesFirewall(cfg NFTablesConfig) *NFTablesFirewall {
	if cfg.Table == "" {
		cfg.Table = DefaultNFTablesTable
	}
	return &NFTablesFirewall{cfg: cfg, fams: map[nftables.TableFamily]*nftFamily{}}
}

func (f *NFTablesFirewall) connect() (*nftables.Conn, error) {
	if f.conn != nil {
		return f.conn, nil
	}
	var opts []nftables.ConnOption
	if f.cfg.NetNSFd != 0 {
		opts = append(opts, nftables.WithNetNSFd(f.cfg.NetNSFd))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("vrrp: nftables: %w", err)
	}
	f.conn = c
	return c, nil
}

func addrFamily(a netip.Addr) nftables.TableFamily {
	if a.Is4() {
		return nftables.TableFamilyIPv4
	}
	return nftables.TableFamilyIPv6
}

// key is the counting key of an address: the device only matters for an
// IPv6 link-local one.
func fwKey(a FirewallAddr) FirewallAddr {
	a.Addr = a.Addr.Unmap()
	if !(a.Addr.Is6() && a.Addr.IsLinkLocalUnicast()) {
		a.Dev = ""
	}
	return a
}

// element is the set and element that block a.
func (f *NFTablesFirewall) element(c *nftables.Conn, fs *nftFamily, a FirewallAddr) (*nftables.Set, nftables.SetElement, error) {
	if a.Dev == "" {
		return fs.vips, nftables.SetElement{Key: a.Addr.AsSlice()}, nil
	}
	idx, err := f.ifIndex(a.Dev)
	if err != nil {
		return nil, nftables.SetElement{}, fmt.Errorf("vrrp: nftables: %s on %s: %w", a.Addr, a.Dev, err)
	}
	if fs.ll == nil {
		f.setupLinkLocal(c, fs)
	}
	key := binary.NativeEndian.AppendUint32(a.Addr.AsSlice(), uint32(idx))
	return fs.ll, nftables.SetElement{Key: key}, nil
}

func (f *NFTablesFirewall) ifIndex(dev string) (int, error) {
	if f.cfg.IfIndex != nil {
		return f.cfg.IfIndex(dev)
	}
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

// AddVIPs blocks traffic to and from addrs.
func (f *NFTablesFirewall) AddVIPs(addrs []FirewallAddr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("vrrp: nftables firewall is closed")
	}
	c, err := f.connect()
	if err != nil {
		return err
	}
	type famState struct {
		fs   *nftFamily
		ll   *nftables.Set
		lin  *nftables.Chain
		lout *nftables.Chain
	}
	saved := map[nftables.TableFamily]famState{}
	for fam, fs := range f.fams {
		saved[fam] = famState{fs, fs.ll, fs.llIn, fs.llOut}
	}
	undo := func() {
		for _, a := range addrs {
			a = fwKey(a)
			if fs := f.fams[addrFamily(a.Addr)]; fs != nil {
				if fs.count[a]--; fs.count[a] <= 0 {
					delete(fs.count, a)
				}
			}
		}
		for fam := range f.fams {
			st, ok := saved[fam]
			if !ok {
				delete(f.fams, fam)
				continue
			}
			st.fs.ll, st.fs.llIn, st.fs.llOut = st.ll, st.lin, st.lout
		}
	}
	type pending struct {
		set *nftables.Set
		els []nftables.SetElement
	}
	var add []*pending
	bySet := map[*nftables.Set]*pending{}
	var fresh []netip.Addr
	for _, a := range addrs {
		a = fwKey(a)
		fam := addrFamily(a.Addr)
		fs := f.fams[fam]
		if fs == nil {
			fs = f.setup(c, fam)
			f.fams[fam] = fs
		}
		fs.count[a]++
		if fs.count[a] > 1 {
			continue
		}
		set, el, err := f.element(c, fs, a)
		if err != nil {
			undo()
			f.conn = nil // drop the queued messages with the connection
			return err
		}
		p := bySet[set]
		if p == nil {
			p = &pending{set: set}
			bySet[set] = p
			add = append(add, p)
		}
		p.els = append(p.els, el)
		fresh = append(fresh, a.Addr)
	}
	for _, p := range add {
		if err := c.SetAddElements(p.set, p.els); err != nil {
			undo()
			f.conn = nil
			return fmt.Errorf("vrrp: nftables: add VIPs: %w", err)
		}
	}
	if err := c.Flush(); err != nil {
		// The kernel took nothing of this batch.
		undo()
		return fmt.Errorf("vrrp: nftables: add %v to %s: %w", fresh, f.cfg.Table, err)
	}
	return nil
}

// DelVIPs stops blocking addrs (once per AddVIPs).
func (f *NFTablesFirewall) DelVIPs(addrs []FirewallAddr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.conn == nil {
		return nil
	}
	queued := false
	var errs []error
	for _, a := range addrs {
		a = fwKey(a)
		fs := f.fams[addrFamily(a.Addr)]
		if fs == nil || fs.count[a] == 0 {
			continue
		}
		if fs.count[a]--; fs.count[a] > 0 {
			continue
		}
		delete(fs.count, a)
		set, el, err := f.element(f.conn, fs, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := f.conn.SetDeleteElements(set, []nftables.SetElement{el}); err != nil {
			errs = append(errs, fmt.Errorf("vrrp: nftables: delete %s: %w", a.Addr, err))
			continue
		}
		queued = true
	}
	if queued {
		if err := f.conn.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("vrrp: nftables: delete VIPs from %s: %w", f.cfg.Table, err))
		}
	}
	return errors.Join(errs...)
}

// Close deletes the tables and closes the netlink socket.
func (f *NFTablesFirewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.conn == nil || len(f.fams) == 0 {
		return nil
	}
	for _, fs := range f.fams {
		f.conn.DelTable(fs.table)
	}
	f.fams = nil
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("vrrp: nftables: delete table %s: %w", f.cfg.Table, err)
	}
	return nil
}

// setup queues the (re)creation of one family's table. A table of the same
// name left by an earlier run is replaced: it is added (a no-op when it
// exists), deleted and created again in the same transaction, as keepalived
// deletes stale tables before building its own.
func (f *NFTablesFirewall) setup(c *nftables.Conn, fam nftables.TableFamily) *nftFamily {
	t := &nftables.Table{Family: fam, Name: f.cfg.Table}
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	prio := nftables.ChainPriority(f.cfg.Priority)
	accept := nftables.ChainPolicyAccept
	out := c.AddChain(&nftables.Chain{Name: "out", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: &prio, Policy: &accept})
	in := c.AddChain(&nftables.Chain{Name: "in", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: &prio, Policy: &accept})
	fs := &nftFamily{table: t, count: map[FirewallAddr]int{}}

	keyType, addrLen, daddr, saddr := nftables.TypeIPAddr, uint32(4), uint32(16), uint32(12)
	if fam == nftables.TableFamilyIPv6 {
		keyType, addrLen, daddr, saddr = nftables.TypeIP6Addr, 16, 24, 8
	}
	fs.vips = &nftables.Set{Table: t, Name: "vips", KeyType: keyType}
	// AddSet only fails on a malformed set, which these are not.
	_ = c.AddSet(fs.vips, nil)

	if fam == nftables.TableFamilyIPv6 {
		fs.llIn = c.AddChain(&nftables.Chain{Name: "in_link_local", Table: t})
		fs.llOut = c.AddChain(&nftables.Chain{Name: "out_link_local", Table: t})
		nd := &nftables.Set{Table: t, Name: "neighbor-discovery", KeyType: nftables.TypeICMP6Type, Constant: true}
		_ = c.AddSet(nd, []nftables.SetElement{
			{Key: []byte{135}}, {Key: []byte{136}}, // nd-neighbor-solicit, nd-neighbor-advert
		})
		// fe80::/10: the first 10 bits of the address.
		mask := make([]byte, 16)
		mask[0], mask[1] = 0xff, 0xc0
		prefix := make([]byte, 16)
		prefix[0], prefix[1] = 0xfe, 0x80
		for _, r := range []struct {
			ch, ll *nftables.Chain
			off    uint32
		}{{in, fs.llIn, daddr}, {out, fs.llOut, saddr}} {
			c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
				&expr.Lookup{SourceRegister: 1, SetName: nd.Name, SetID: nd.ID},
				&expr.Verdict{Kind: expr.VerdictAccept},
			}})
			c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: 16},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 16, Mask: mask, Xor: make([]byte, 16)},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: prefix},
				&expr.Verdict{Kind: expr.VerdictGoto, Chain: r.ll.Name},
			}})
		}
	}
	for _, r := range []struct {
		ch  *nftables.Chain
		off uint32
	}{{in, daddr}, {out, saddr}} {
		c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: addrLen},
			&expr.Lookup{SourceRegister: 1, SetName: fs.vips.Name, SetID: fs.vips.ID},
			&expr.Verdict{Kind: expr.VerdictDrop},
		}})
	}
	return fs
}

// setupLinkLocal queues the set of IPv6 link-local VIPs, keyed by address
// and interface index, and the rules of the link-local chains that use it.
func (f *NFTablesFirewall) setupLinkLocal(c *nftables.Conn, fs *nftFamily) {
	fs.ll = &nftables.Set{Table: fs.table, Name: "vips_link_local", Concatenation: true,
		KeyType: nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeIFIndex)}
	_ = c.AddSet(fs.ll, nil)
	for _, r := range []struct {
		ch  *nftables.Chain
		off uint32
		dev expr.MetaKey
	}{{fs.llIn, 24, expr.MetaKeyIIF}, {fs.llOut, 8, expr.MetaKeyOIF}} {
		c.AddRule(&nftables.Rule{Table: fs.table, Chain: r.ch, Exprs: []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: 16},
			&expr.Meta{Key: r.dev, Register: 2},
			&expr.Lookup{SourceRegister: 1, SetName: fs.ll.Name, SetID: fs.ll.ID},
			&expr.Verdict{Kind: expr.VerdictDrop},
		}})
	}
}
