package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NetlinkAddressManager installs virtual addresses, routes and rules with
// rtnetlink, as keepalived does (one RTM_NEWADDR / RTM_DELADDR per address).
type NetlinkAddressManager struct {
	h *netlink.Handle
}

var _ AddressManager = (*NetlinkAddressManager)(nil)

// NewNetlinkAddressManager returns a manager for the calling process's
// network namespace.
func NewNetlinkAddressManager() (*NetlinkAddressManager, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("vrrp: netlink handle: %w", err)
	}
	return &NetlinkAddressManager{h: h}, nil
}

// newNetlinkAddressManagerWith wraps an existing handle (tests pass one
// opened in a scratch network namespace).
func newNetlinkAddressManagerWith(h *netlink.Handle) *NetlinkAddressManager {
	return &NetlinkAddressManager{h: h}
}

// Close releases the netlink socket.
func (m *NetlinkAddressManager) Close() { m.h.Close() }

func ipOf(a netip.Addr) net.IP { return net.IP(a.AsSlice()) }

func ipNetOf(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: ipOf(p.Addr()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// mapErr turns the kernel's errno into our sentinels.
func mapErr(op string, what fmt.Stringer, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("vrrp: %s %s: %w", op, what, ErrExist)
	case errors.Is(err, unix.EADDRNOTAVAIL), errors.Is(err, unix.ESRCH), errors.Is(err, unix.ENOENT),
		errors.Is(err, unix.ENODEV):
		return fmt.Errorf("vrrp: %s %s: %w (%w)", op, what, ErrNotExist, err)
	}
	return fmt.Errorf("vrrp: %s %s: %w", op, what, err)
}

func (m *NetlinkAddressManager) link(name string) (netlink.Link, error) {
	l, err := m.h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("interface %s: %w", name, ErrNotExist)
		}
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	return l, nil
}

func (m *NetlinkAddressManager) nlAddr(a Address, add bool) *netlink.Addr {
	na := &netlink.Addr{IPNet: ipNetOf(a.Prefix), Scope: a.Scope}
	if a.Prefix.Addr().Is4() {
		// keepalived sends a broadcast only when `brd` was given;
		// IPv4zero stops the library from computing one.
		na.Broadcast = net.IPv4zero
		if a.Broadcast.IsValid() && add {
			na.Broadcast = ipOf(a.Broadcast)
		}
		if add {
			na.Label = a.Label
		}
	}
	if a.Peer.IsValid() {
		na.Peer = &net.IPNet{IP: ipOf(a.Peer), Mask: na.Mask}
	}
	if !add {
		return na
	}
	var flags int
	if a.Prefix.Addr().Is6() {
		if a.NoDAD {
			flags |= unix.IFA_F_NODAD
		}
		if a.PreferredLft != 0xffffffff {
			na.PreferedLft = int(a.PreferredLft)
			na.ValidLft = 0xffffffff
		}
	}
	if a.HomeAddress {
		flags |= unix.IFA_F_HOMEADDRESS
	}
	if a.MngTmpAddr {
		flags |= unix.IFA_F_MANAGETEMPADDR
	}
	if a.NoPrefixRoute {
		flags |= unix.IFA_F_NOPREFIXROUTE
	}
	if a.AutoJoin {
		flags |= unix.IFA_F_MCAUTOJOIN
	}
	na.Flags = flags
	return na
}

// AddAddress implements AddressManager.
func (m *NetlinkAddressManager) AddAddress(a Address) error {
	l, err := m.link(a.Dev)
	if err != nil {
		return fmt.Errorf("vrrp: add address %s: %w", a, err)
	}
	return mapErr("add address", a, m.h.AddrAdd(l, m.nlAddr(a, true)))
}

// DelAddress implements AddressManager.
func (m *NetlinkAddressManager) DelAddress(a Address) error {
	l, err := m.link(a.Dev)
	if err != nil {
		return fmt.Errorf("vrrp: delete address %s: %w", a, err)
	}
	return mapErr("delete address", a, m.h.AddrDel(l, m.nlAddr(a, false)))
}

// HasAddress reports whether the address is configured on its device.
func (m *NetlinkAddressManager) HasAddress(a Address) (bool, error) {
	l, err := m.link(a.Dev)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	fam := netlink.FAMILY_V4
	if a.Prefix.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	list, err := m.h.AddrList(l, fam)
	if err != nil {
		return false, fmt.Errorf("vrrp: list addresses of %s: %w", a.Dev, err)
	}
	for _, x := range list {
		if x.IP.Equal(ipOf(a.Prefix.Addr())) {
			return true, nil
		}
	}
	return false, nil
}

var routeTypeNumbers = map[string]int{"unicast": unix.RTN_UNICAST, "local": unix.RTN_LOCAL,
	"broadcast": unix.RTN_BROADCAST, "brd": unix.RTN_BROADCAST, "anycast": unix.RTN_ANYCAST,
	"multicast": unix.RTN_MULTICAST, "blackhole": unix.RTN_BLACKHOLE, "unreachable": unix.RTN_UNREACHABLE,
	"prohibit": unix.RTN_PROHIBIT, "throw": unix.RTN_THROW, "nat": unix.RTN_NAT, "xresolve": unix.RTN_XRESOLVE}

func (m *NetlinkAddressManager) nlRoute(r VirtualRoute) (*netlink.Route, error) {
	c := r.Config
	nr := &netlink.Route{Table: int(c.Table), Priority: int(c.Metric), Protocol: netlink.RouteProtocol(c.Protocol),
		Scope: netlink.Scope(c.Scope), Family: netlink.FAMILY_V4}
	if c.Family == 6 {
		nr.Family = netlink.FAMILY_V6
	}
	if c.Dst.IsValid() && !c.Default {
		nr.Dst = ipNetOf(c.Dst)
	}
	if c.Src.IsValid() {
		nr.Src = ipOf(c.Src)
	}
	if c.Via.IsValid() {
		nr.Gw = ipOf(c.Via)
	}
	if c.Type != "" {
		t, ok := routeTypeNumbers[c.Type]
		if !ok {
			return nil, fmt.Errorf("route type %s not supported", c.Type)
		}
		nr.Type = t
	}
	if c.Dev != "" {
		l, err := m.link(c.Dev)
		if err != nil {
			return nil, err
		}
		nr.LinkIndex = l.Attrs().Index
	}
	for _, nh := range c.Nexthops {
		ni := &netlink.NexthopInfo{}
		if nh.Via.IsValid() {
			ni.Gw = ipOf(nh.Via)
		}
		if nh.Dev != "" {
			l, err := m.link(nh.Dev)
			if err != nil {
				return nil, err
			}
			ni.LinkIndex = l.Attrs().Index
		}
		if nh.Weight > 0 {
			ni.Hops = int(nh.Weight) - 1
		}
		nr.MultiPath = append(nr.MultiPath, ni)
	}
	for k, v := range c.Options {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "lock "))
		switch k {
		case "mtu":
			nr.MTU = n
		case "advmss":
			nr.AdvMSS = n
		case "hoplimit":
			nr.Hoplimit = n
		case "initcwnd":
			nr.InitCwnd = n
		case "initrwnd":
			nr.InitRwnd = n
		case "window":
			nr.Window = n
		case "onlink":
			nr.Flags |= int(netlink.FLAG_ONLINK)
			err = nil
		case "protocol", "mode":
			err = nil
		default:
			return nil, fmt.Errorf("route option %s not supported", k)
		}
		if err != nil {
			return nil, fmt.Errorf("route option %s %s: %w", k, v, err)
		}
	}
	return nr, nil
}

// AddRoute implements AddressManager.
func (m *NetlinkAddressManager) AddRoute(r VirtualRoute) error {
	nr, err := m.nlRoute(r)
	if err != nil {
		return fmt.Errorf("vrrp: add route %s: %w", r, err)
	}
	return mapErr("add route", r, m.h.RouteAdd(nr))
}

// DelRoute implements AddressManager.
func (m *NetlinkAddressManager) DelRoute(r VirtualRoute) error {
	nr, err := m.nlRoute(r)
	if err != nil {
		return fmt.Errorf("vrrp: delete route %s: %w", r, err)
	}
	return mapErr("delete route", r, m.h.RouteDel(nr))
}

var ruleActions = map[string]uint8{"table": unix.FR_ACT_TO_TBL, "goto": unix.FR_ACT_GOTO, "nop": unix.FR_ACT_NOP,
	"blackhole": unix.FR_ACT_BLACKHOLE, "unreachable": unix.FR_ACT_UNREACHABLE, "prohibit": unix.FR_ACT_PROHIBIT}

func nlRule(r VirtualRule) (*netlink.Rule, error) {
	c := r.Config
	nr := netlink.NewRule()
	nr.Family = netlink.FAMILY_V4
	if c.Family == 6 {
		nr.Family = netlink.FAMILY_V6
	}
	nr.Priority = int(c.Priority)
	nr.Invert = c.Not
	if c.From.IsValid() {
		nr.Src = ipNetOf(c.From)
	}
	if c.To.IsValid() {
		nr.Dst = ipNetOf(c.To)
	}
	nr.IifName, nr.OifName = c.IIf, c.OIf
	switch c.Action {
	case "", "table":
		nr.Table = int(c.Table)
	case "goto":
		nr.Goto = int(c.Goto)
	}
	if a, ok := ruleActions[c.Action]; ok {
		nr.Type = a
	}
	for k, v := range c.Options {
		switch k {
		case "fwmark":
			mark, mask, hasMask := strings.Cut(v, "/")
			n, err := strconv.ParseUint(mark, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("rule fwmark %s: %w", v, err)
			}
			nr.Mark = uint32(n)
			if hasMask {
				mk, err := strconv.ParseUint(mask, 0, 32)
				if err != nil {
					return nil, fmt.Errorf("rule fwmark %s: %w", v, err)
				}
				m32 := uint32(mk)
				nr.Mask = &m32
			}
		case "tos", "dsfield":
			n, err := strconv.ParseUint(v, 0, 8)
			if err != nil {
				return nil, fmt.Errorf("rule tos %s: %w", v, err)
			}
			nr.Tos = uint(n)
		case "suppress_prefixlength", "sup_pl":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("rule %s %s: %w", k, v, err)
			}
			nr.SuppressPrefixlen = n
		case "suppress_ifgroup", "sup_group":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("rule %s %s: %w", k, v, err)
			}
			nr.SuppressIfgroup = n
		case "ipproto":
			p, ok := map[string]int{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP, "icmp": unix.IPPROTO_ICMP,
				"ipv6-icmp": unix.IPPROTO_ICMPV6, "icmpv6": unix.IPPROTO_ICMPV6, "sctp": unix.IPPROTO_SCTP}[v]
			if !ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("rule ipproto %s not supported", v)
				}
				p = n
			}
			nr.IPProto = p
		case "sport", "dport":
			lo, hi, _ := strings.Cut(v, "-")
			if hi == "" {
				hi = lo
			}
			a, err1 := strconv.ParseUint(lo, 10, 16)
			b, err2 := strconv.ParseUint(hi, 10, 16)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("rule %s %s invalid", k, v)
			}
			pr := netlink.NewRulePortRange(uint16(a), uint16(b))
			if k == "sport" {
				nr.Sport = pr
			} else {
				nr.Dport = pr
			}
		case "uidrange":
			lo, hi, _ := strings.Cut(v, "-")
			a, err1 := strconv.ParseUint(lo, 10, 32)
			b, err2 := strconv.ParseUint(hi, 10, 32)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("rule uidrange %s invalid", v)
			}
			nr.UIDRange = netlink.NewRuleUIDRange(uint32(a), uint32(b))
		case "tunnel-id":
			n, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("rule tunnel-id %s: %w", v, err)
			}
			nr.TunID = uint(n)
		default:
			return nil, fmt.Errorf("rule option %s not supported", k)
		}
	}
	return nr, nil
}

// AddRule implements AddressManager.
func (m *NetlinkAddressManager) AddRule(r VirtualRule) error {
	nr, err := nlRule(r)
	if err != nil {
		return fmt.Errorf("vrrp: add rule %s: %w", r, err)
	}
	return mapErr("add rule", r, m.h.RuleAdd(nr))
}

// DelRule implements AddressManager.
func (m *NetlinkAddressManager) DelRule(r VirtualRule) error {
	nr, err := nlRule(r)
	if err != nil {
		return fmt.Errorf("vrrp: delete rule %s: %w", r, err)
	}
	return mapErr("delete rule", r, m.h.RuleDel(nr))
}
