package vrrp

import (
	"errors"
	"fmt"
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
//		chain out { ...; icmpv6 type @neighbor-discovery accept; ip6 saddr @vips drop }
//		chain in  { ...; icmpv6 type @neighbor-discovery accept; ip6 daddr @vips drop }
//	}
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
	// count is how many times each address was added and not deleted.
	count map[netip.Addr]int
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
	if a.Unmap().Is4() {
		return nftables.TableFamilyIPv4
	}
	return nftables.TableFamilyIPv6
}

// AddVIPs blocks traffic to and from addrs.
func (f *NFTablesFirewall) AddVIPs(addrs []netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("vrrp: nftables firewall is closed")
	}
	c, err := f.connect()
	if err != nil {
		return err
	}
	add := map[nftables.TableFamily][]nftables.SetElement{}
	var fresh []netip.Addr
	created := map[nftables.TableFamily]bool{}
	for _, a := range addrs {
		a = a.Unmap()
		fam := addrFamily(a)
		fs := f.fams[fam]
		if fs == nil {
			fs = f.setup(c, fam)
			f.fams[fam] = fs
			created[fam] = true
		}
		if fs.count[a] == 0 {
			add[fam] = append(add[fam], nftables.SetElement{Key: a.AsSlice()})
			fresh = append(fresh, a)
		}
		fs.count[a]++
	}
	for fam, els := range add {
		if err := c.SetAddElements(f.fams[fam].vips, els); err != nil {
			return fmt.Errorf("vrrp: nftables: add VIPs: %w", err)
		}
	}
	if err := c.Flush(); err != nil {
		// The kernel took nothing of this batch: forget what it held.
		for _, a := range addrs {
			a = a.Unmap()
			if fs := f.fams[addrFamily(a)]; fs != nil {
				if fs.count[a]--; fs.count[a] <= 0 {
					delete(fs.count, a)
				}
			}
		}
		for fam := range created {
			delete(f.fams, fam)
		}
		return fmt.Errorf("vrrp: nftables: add %v to %s: %w", fresh, f.cfg.Table, err)
	}
	return nil
}

// DelVIPs stops blocking addrs (once per AddVIPs).
func (f *NFTablesFirewall) DelVIPs(addrs []netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.conn == nil {
		return nil
	}
	del := map[nftables.TableFamily][]nftables.SetElement{}
	for _, a := range addrs {
		a = a.Unmap()
		fam := addrFamily(a)
		fs := f.fams[fam]
		if fs == nil || fs.count[a] == 0 {
			continue
		}
		if fs.count[a]--; fs.count[a] == 0 {
			delete(fs.count, a)
			del[fam] = append(del[fam], nftables.SetElement{Key: a.AsSlice()})
		}
	}
	if len(del) == 0 {
		return nil
	}
	for fam, els := range del {
		if err := f.conn.SetDeleteElements(f.fams[fam].vips, els); err != nil {
			return fmt.Errorf("vrrp: nftables: delete VIPs: %w", err)
		}
	}
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("vrrp: nftables: delete VIPs from %s: %w", f.cfg.Table, err)
	}
	return nil
}

// Close deletes the tables and closes the netlink socket.
func (f *NFTablesFirewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.conn == nil {
		return nil
	}
	var err error
	if len(f.fams) > 0 {
		for _, fs := range f.fams {
			f.conn.DelTable(fs.table)
		}
		if ferr := f.conn.Flush(); ferr != nil {
			err = fmt.Errorf("vrrp: nftables: delete table %s: %w", f.cfg.Table, ferr)
		}
	}
	f.fams = map[nftables.TableFamily]*nftFamily{}
	return err
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

	keyType, addrLen, daddr, saddr := nftables.TypeIPAddr, uint32(4), uint32(16), uint32(12)
	if fam == nftables.TableFamilyIPv6 {
		keyType, addrLen, daddr, saddr = nftables.TypeIP6Addr, 16, 24, 8
	}
	vips := &nftables.Set{Table: t, Name: "vips", KeyType: keyType}
	// AddSet only fails on a malformed set, which this one is not.
	_ = c.AddSet(vips, nil)

	if fam == nftables.TableFamilyIPv6 {
		nd := &nftables.Set{Table: t, Name: "neighbor-discovery", KeyType: nftables.TypeICMP6Type, Constant: true}
		_ = c.AddSet(nd, []nftables.SetElement{
			{Key: []byte{135}}, {Key: []byte{136}}, // nd-neighbor-solicit, nd-neighbor-advert
		})
		for _, ch := range []*nftables.Chain{in, out} {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
				&expr.Lookup{SourceRegister: 1, SetName: nd.Name, SetID: nd.ID},
				&expr.Verdict{Kind: expr.VerdictAccept},
			}})
		}
	}
	for _, r := range []struct {
		ch  *nftables.Chain
		off uint32
	}{{in, daddr}, {out, saddr}} {
		c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: addrLen},
			&expr.Lookup{SourceRegister: 1, SetName: vips.Name, SetID: vips.ID},
			&expr.Verdict{Kind: expr.VerdictDrop},
		}})
	}
	return &nftFamily{table: t, vips: vips, count: map[netip.Addr]int{}}
}
