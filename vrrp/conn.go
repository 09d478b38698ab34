package vrrp

import (
	"context"
	"errors"
	"net/netip"
)

// AdvertConn sends and receives the adverts of the instances that share
// one interface, address family and mode (multicast, or unicast from one
// source address), as keepalived's socket pool does. Received packets are
// for every VRID on that link: dispatch them with PeekVRID and check them
// with the instance's Validator.
type AdvertConn interface {
	// Send transmits one datagram built by an Encoder: a whole IPv4
	// datagram (the socket has IP_HDRINCL), or an IPv6 VRRP message (the
	// kernel adds the header and the checksum).
	Send(dg Datagram) error
	// Receive waits for the next packet. It returns ctx.Err() when ctx ends
	// and ErrConnClosed after Close.
	Receive(ctx context.Context) (Received, error)
	// Close releases the sockets; a Receive in progress returns.
	Close() error
}

// ErrConnClosed is returned by Receive and Send after Close.
var ErrConnClosed = errors.New("vrrp: advert connection closed")

// ConnConfig says which adverts an AdvertConn carries.
type ConnConfig struct {
	// Interface is the instance's `interface` (the VMAC when adverts are
	// sent on it). Empty only for unicast without an interface.
	Interface string
	// IPv6 selects the family.
	IPv6 bool
	// AH opens the IPv4 sockets for protocol 51 (auth_type AH) instead of
	// 112.
	AH bool
	// Group is the multicast group to join and receive on (zero: 224.0.0.18
	// or ff02::12). Ignored when UnicastSrc is set.
	Group netip.Addr
	// UnicastSrc is `unicast_src_ip` (or the interface address) of a
	// unicast instance: the receive socket is bound to it, and IPv6 adverts
	// are sent from it. Zero means multicast.
	UnicastSrc netip.Addr
	// Src is the IPv6 source of multicast adverts (the interface's
	// link-local address, or mcast_src_ip); zero lets the kernel choose.
	// IPv4 sources are in the header the Encoder builds.
	Src netip.Addr
	// UnicastHopLimit is `unicast_ttl` for IPv6 unicast; 0 keeps the
	// kernel's default (64), as keepalived does.
	UnicastHopLimit int
	// RcvBuf is `kernel_rx_buf_size` (0: the kernel's default).
	RcvBuf int
}

func (c *ConnConfig) group() netip.Addr {
	if c.Group.IsValid() {
		return c.Group
	}
	if c.IPv6 {
		return MulticastGroup6
	}
	return MulticastGroup4
}

func (c *ConnConfig) unicast() bool { return c.UnicastSrc.IsValid() }
