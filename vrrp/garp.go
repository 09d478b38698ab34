package vrrp

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Gratuitous ARP and unsolicited neighbour advertisement frames, byte for
// byte as keepalived 2.2.7 builds them (vrrp_arp.c, vrrp_ndisc.c): whole
// Ethernet frames, sent on a packet socket.

// NeighborAnnouncer announces that this node now holds an address: a
// gratuitous ARP for IPv4, an unsolicited neighbour advertisement for
// IPv6, sent once per call (repeats and spacing are the caller's).
type NeighborAnnouncer interface {
	// Announce sends one announcement for addr. hw is the link-layer
	// address to announce (the VMAC when the VIP is on one); nil means the
	// interface's own.
	Announce(addr netip.Addr, hw net.HardwareAddr) error
	Close() error
}

const (
	etherTypeARP  = 0x0806
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd

	// GARPFrameLen is the length of a gratuitous ARP frame before the NIC
	// pads it to 60 bytes.
	GARPFrameLen = 14 + 28
	// NAFrameLen is the length of an unsolicited NA frame.
	NAFrameLen = 14 + 40 + 32

	naFlagRouter   = 0x80
	naFlagOverride = 0x20
)

var ethBroadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// allNodes is ff02::1, the destination of unsolicited NAs.
var allNodes = netip.MustParseAddr("ff02::1")

// GARPFrame builds keepalived's gratuitous ARP for ip: an ARP *request*
// broadcast from hw, with the VIP as both sender and target address and
// the broadcast address as target hardware address.
func GARPFrame(hw net.HardwareAddr, ip netip.Addr) ([]byte, error) {
	if len(hw) != 6 {
		return nil, fmt.Errorf("vrrp: gratuitous ARP: %w: hardware address %v", ErrField, hw)
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("vrrp: gratuitous ARP: %w: %s", ErrFamily, ip)
	}
	b := make([]byte, GARPFrameLen)
	copy(b[0:6], ethBroadcast)
	copy(b[6:12], hw)
	binary.BigEndian.PutUint16(b[12:14], etherTypeARP)
	a := b[14:]
	binary.BigEndian.PutUint16(a[0:2], 1) // Ethernet
	binary.BigEndian.PutUint16(a[2:4], etherTypeIPv4)
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:8], 1) // request
	ip4 := ip.As4()
	copy(a[8:14], hw)
	copy(a[14:18], ip4[:])
	copy(a[18:24], ethBroadcast)
	copy(a[24:28], ip4[:])
	return b, nil
}

// NAFrame builds keepalived's unsolicited neighbour advertisement for ip:
// from the VIP itself to ff02::1 (MAC 33:33:00:00:00:01), hop limit 255,
// traffic class and flow label 0, flags Override (and Router when router,
// i.e. when IPv6 forwarding is on for the interface), never Solicited, with
// a target link-layer address option carrying hw.
func NAFrame(hw net.HardwareAddr, ip netip.Addr, router bool) ([]byte, error) {
	if len(hw) != 6 {
		return nil, fmt.Errorf("vrrp: neighbour advertisement: %w: hardware address %v", ErrField, hw)
	}
	if !ip.Is6() || ip.Is4In6() {
		return nil, fmt.Errorf("vrrp: neighbour advertisement: %w: %s", ErrFamily, ip)
	}
	b := make([]byte, NAFrameLen)
	copy(b[0:6], []byte{0x33, 0x33, 0, 0, 0, 1})
	copy(b[6:12], hw)
	binary.BigEndian.PutUint16(b[12:14], etherTypeIPv6)
	h := b[14:54]
	h[0] = 6 << 4
	binary.BigEndian.PutUint16(h[4:6], 32)
	h[6] = 58 // ICMPv6
	h[7] = 255
	src, dst := ip.As16(), allNodes.As16()
	copy(h[8:24], src[:])
	copy(h[24:40], dst[:])
	m := b[54:]
	m[0] = 136 // neighbour advertisement
	flags := byte(naFlagOverride)
	if router {
		flags |= naFlagRouter
	}
	m[4] = flags
	copy(m[8:24], src[:])
	m[24] = 2 // target link-layer address
	m[25] = 1 // in units of 8 bytes
	copy(m[26:32], hw)
	sum := sumBytes(0, src[:])
	sum = sumBytes(sum, dst[:])
	sum += uint32(len(m)) + 58
	binary.BigEndian.PutUint16(m[2:4], ^fold(sumBytes(sum, m)))
	return b, nil
}
