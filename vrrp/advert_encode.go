package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// EncoderConfig is what an instance's adverts are made of. Fields follow
// the vrrp_instance keywords named in their comments.
type EncoderConfig struct {
	// Version is `version` (2 or 3).
	Version uint8
	// VRID is `virtual_router_id`.
	VRID uint8
	// Interval is `advert_int`.
	Interval time.Duration
	// Addrs are the `virtual_ipaddress` entries that go in the advert, in
	// configuration order, all of the instance's family.
	Addrs []netip.Addr
	// AuthType and AuthData come from the `authentication` block
	// (VRRPv2 over IPv4 only); AuthData is PassAuthData(auth_pass).
	AuthType AuthType
	AuthData [AuthDataLen]byte
	// Src is the source address: `unicast_src_ip`/`mcast_src_ip`, else the
	// interface's primary IPv4 address or IPv6 link-local address.
	Src netip.Addr
	// Group is the multicast destination (`mcast_dst_ip`,
	// `vrrp_mcast_group4/6`); the zero value means 224.0.0.18 / ff02::12.
	Group netip.Addr
	// Peers are the `unicast_peer` addresses; none means multicast.
	Peers []netip.Addr
	// TTL is the IPv4 TTL: 255, or `unicast_ttl` for unicast instances.
	// 0 means 255. (The IPv6 hop limit is set on the socket.)
	TTL uint8
	// OldUnicastChecksum is `old_unicast_checksum`: VRRPv3 unicast adverts
	// over IPv4 are summed with the multicast group (OldChecksumGroup) in
	// the pseudo-header instead of the peer, as keepalived ≤ 1.3.6 did.
	OldUnicastChecksum bool
	// OldChecksumGroup is vrrp_mcast_group4 for OldUnicastChecksum; zero
	// means 224.0.0.18.
	OldChecksumGroup netip.Addr
}

// Datagram is one packet ready for AdvertConn.Send: for IPv4 the whole
// datagram including the IP header, for IPv6 the VRRP message.
type Datagram struct {
	Dst  netip.Addr
	Data []byte
}

// Encoder builds an instance's adverts as keepalived does, keeping the two
// counters that change from one advert to the next: the IPv4 ID (first
// advert 1, +1 per advert, 0 skipped on wrap; all unicast copies of one
// advert share it) and the AH sequence number (first 1, +1 per advert).
// An Encoder belongs to one goroutine.
type Encoder struct {
	cfg   EncoderConfig
	ipID  uint16
	ahSeq uint32
	// lastDst is the destination the last unicast copy was summed for;
	// frozenDst, once valid, is used for every copy (see
	// OldChecksumDetected).
	lastDst, frozenDst netip.Addr
}

// NewEncoder checks the configuration and returns an Encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.Version != 2 && cfg.Version != 3 {
		return nil, fmt.Errorf("vrrp encoder: %w %d", ErrVersion, cfg.Version)
	}
	if len(cfg.Addrs) > MaxAddrs {
		return nil, fmt.Errorf("vrrp encoder: %w: %d addresses", ErrField, len(cfg.Addrs))
	}
	ipv6 := cfg.family6()
	for _, a := range append(append([]netip.Addr{}, cfg.Addrs...), cfg.Peers...) {
		if a.Is6() != ipv6 {
			return nil, fmt.Errorf("vrrp encoder: %w: %s", ErrFamily, a)
		}
	}
	if !ipv6 && !cfg.Src.Is4() {
		return nil, fmt.Errorf("vrrp encoder: %w: IPv4 source address needed, have %v", ErrFamily, cfg.Src)
	}
	if cfg.Group.IsValid() && cfg.Group.Is6() != ipv6 {
		return nil, fmt.Errorf("vrrp encoder: %w: group %s", ErrFamily, cfg.Group)
	}
	// Authentication exists in version 2 only, and AH over IPv4 only.
	if cfg.Version == 3 || (ipv6 && cfg.AuthType == AuthAH) {
		cfg.AuthType, cfg.AuthData = AuthNone, [AuthDataLen]byte{}
	}
	if !cfg.Group.IsValid() {
		cfg.Group = MulticastGroup4
		if ipv6 {
			cfg.Group = MulticastGroup6
		}
	}
	if !cfg.OldChecksumGroup.IsValid() {
		cfg.OldChecksumGroup = MulticastGroup4
	}
	if cfg.TTL == 0 {
		cfg.TTL = AdvertTTL
	}
	cfg.Addrs = append([]netip.Addr(nil), cfg.Addrs...)
	cfg.Peers = append([]netip.Addr(nil), cfg.Peers...)
	return &Encoder{cfg: cfg}, nil
}

// family6 tells the instance's family from its first VIP, else its first
// peer, else its source address, as keepalived does.
func (c *EncoderConfig) family6() bool {
	switch {
	case len(c.Addrs) > 0:
		return c.Addrs[0].Is6()
	case len(c.Peers) > 0:
		return c.Peers[0].Is6()
	}
	return c.Src.Is6()
}

// SetSource changes the source address (keepalived follows the interface's
// primary address when none is configured).
func (e *Encoder) SetSource(src netip.Addr) { e.cfg.Src = src }

// SetOldUnicastChecksum switches the configured `old_unicast_checksum`
// on or off: every VRRPv3 IPv4 unicast copy is summed with the multicast
// group in the pseudo-header.
func (e *Encoder) SetOldUnicastChecksum(on bool) { e.cfg.OldUnicastChecksum = on }

// OldChecksumDetected is what the sender does when the Validator reports
// SwitchedToOldChecksum, reproducing keepalived 2.2.7 exactly rather than
// what its log line promises: 2.2.7 patches its stored advert for the old
// form only if it was already in that mode (it is not yet at that point),
// and in the old mode it stops following the destination of each copy. So
// from then on every copy carries the standard checksum of one fixed
// destination: the peer the last copy was sent to, or the first peer if
// none was sent yet. With one peer the adverts do not change at all.
func (e *Encoder) OldChecksumDetected() {
	if e.frozenDst.IsValid() || len(e.cfg.Peers) == 0 {
		return
	}
	e.frozenDst = e.lastDst
	if !e.frozenDst.IsValid() {
		e.frozenDst = e.cfg.Peers[0]
	}
}

// ResetAH restarts the AH sequence numbers, as keepalived does when an
// instance becomes master again after its counter cycled.
func (e *Encoder) ResetAH() { e.ahSeq = 0 }

// Advert returns the advert message (without IP header) for a priority.
func (e *Encoder) Advert(prio uint8) *Advert {
	c := &e.cfg
	a := &Advert{
		Version:  c.Version,
		Type:     TypeAdvertisement,
		VRID:     c.VRID,
		Priority: prio,
		Interval: IntervalField(c.Version, c.Interval),
		Addrs:    c.Addrs,
	}
	if c.Version == 2 {
		// keepalived's non-standard VRRPv2 over IPv6 carries the auth
		// type but has no room for the password.
		a.AuthType = c.AuthType
		if c.AuthType == AuthPass && !c.family6() {
			a.AuthData = c.AuthData
		}
	}
	return a
}

// Build returns the datagrams of one advert with the given priority: one to
// the multicast group, or one per unicast peer in configuration order. It
// advances the IPv4 ID and the AH sequence number once.
func (e *Encoder) Build(prio uint8) ([]Datagram, error) {
	c := &e.cfg
	a := e.Advert(prio)
	dsts := c.Peers
	unicast := len(dsts) > 0
	if !unicast {
		dsts = []netip.Addr{c.Group}
	}
	if c.family6() {
		out := make([]Datagram, 0, len(dsts))
		for _, d := range dsts {
			b, err := a.Marshal(c.Src, d)
			if err != nil {
				return nil, fmt.Errorf("vrrp encoder: %w", err)
			}
			out = append(out, Datagram{Dst: d, Data: b})
		}
		return out, nil
	}
	e.ipID++
	if e.ipID == 0 {
		e.ipID++
	}
	if a.AuthType == AuthAH && e.ahSeq <= 0xfffffffd {
		e.ahSeq++
	}
	out := make([]Datagram, 0, len(dsts))
	for _, d := range dsts {
		h := IPv4Header{TOS: AdvertTOS, ID: e.ipID, TTL: c.TTL, Src: c.Src, Dst: d}
		csumDst := d
		switch {
		case !unicast || c.Version != 3:
		case c.OldUnicastChecksum:
			csumDst = c.OldChecksumGroup
		case e.frozenDst.IsValid():
			csumDst = e.frozenDst
		default:
			e.lastDst = d
		}
		b, err := MarshalIPv4(h, a, csumDst, e.ahSeq, c.AuthData, unicast)
		if err != nil {
			return nil, fmt.Errorf("vrrp encoder: %w", err)
		}
		out = append(out, Datagram{Dst: d, Data: b})
	}
	return out, nil
}
