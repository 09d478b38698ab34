package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Wire constants of VRRP (RFC 3768 for version 2, RFC 5798 for version 3) as
// keepalived uses them.
const (
	// ProtoVRRP is the IP protocol number (IPv4) / next header (IPv6) of VRRP.
	ProtoVRRP = 112
	// ProtoAH is the IPv4 protocol number keepalived puts in the IP header of
	// VRRPv2 adverts with `auth_type AH`.
	ProtoAH = 51
	// AdvertTTL is the TTL / hop limit of every multicast advert and the only
	// value a multicast receiver accepts (RFC 5798 §5.1.1.3).
	AdvertTTL = 255
	// AdvertTOS is the IPv4 TOS / IPv6 traffic class keepalived sends with
	// (precedence "internetwork control").
	AdvertTOS = 0xc0
	// TypeAdvertisement is the only VRRP packet type.
	TypeAdvertisement = 1
	// PriorityStop is the priority a master sends when it resigns.
	PriorityStop = 0
	// PriorityOwner is the priority of the address owner.
	PriorityOwner = 255

	// AuthDataLen is the size of the VRRPv2 authentication data field.
	AuthDataLen = 8
	// advertHeaderLen is the fixed part of every VRRP message.
	advertHeaderLen = 8
	// ipv4HeaderLen is the IPv4 header keepalived builds (no options).
	ipv4HeaderLen = 20
	// MaxAddrs is the largest address count one advert can carry.
	MaxAddrs = 255
)

// Default multicast groups (vrrp_mcast_group4 / vrrp_mcast_group6).
var (
	MulticastGroup4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	MulticastGroup6 = netip.MustParseAddr("ff02::12")
)

// AuthType is the VRRPv2 "Auth Type" field (RFC 2338 §5.3.6).
type AuthType uint8

// Authentication types keepalived knows.
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1 // simple text password
	AuthAH   AuthType = 2 // IPsec AH, HMAC-MD5-96
)

func (t AuthType) String() string {
	switch t {
	case AuthNone:
		return "none"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return fmt.Sprintf("auth type %d", uint8(t))
}

// Errors returned by ParseAdvert and the other decoders. Callers branch on
// them with errors.Is.
var (
	ErrTooShort = errors.New("vrrp: packet too short")
	ErrLength   = errors.New("vrrp: packet length does not match its address count")
	ErrVersion  = errors.New("vrrp: unknown version")
	ErrFamily   = errors.New("vrrp: addresses of the wrong family")
	ErrField    = errors.New("vrrp: field out of range")
)

// Advert is one VRRP advertisement message: the VRRP header, the addresses
// and (version 2 over IPv4 only) the authentication data. It carries no IP
// header; Packet and Encoder add one.
type Advert struct {
	// Version is 2 or 3.
	Version uint8
	// Type is the packet type; 1 (TypeAdvertisement) for every valid advert.
	Type uint8
	// VRID is the virtual router id (virtual_router_id).
	VRID uint8
	// Priority is the sender's effective priority; 0 when it resigns.
	Priority uint8
	// AuthType is the VRRPv2 Auth Type (0 in version 3).
	AuthType AuthType
	// Interval is "Adver Int" in the packet's own unit: whole seconds in
	// version 2, centiseconds (12 bits) in version 3. Use Duration().
	Interval uint16
	// Reserved is the 4 high bits of the VRRPv3 interval word; 0 on send,
	// ignored on receive, kept so a parsed packet marshals back unchanged.
	Reserved uint8
	// Checksum is the checksum read by ParseAdvert, or written by Marshal.
	Checksum uint16
	// Addrs are the virtual addresses in configuration order; all IPv4 or all
	// IPv6.
	Addrs []netip.Addr
	// AuthData is the VRRPv2 authentication field (IPv4 only): the password
	// NUL padded for PASS, zeros otherwise.
	AuthData [AuthDataLen]byte
}

// IPv6 reports whether the advert carries IPv6 addresses. An advert with no
// address reports false.
func (a *Advert) IPv6() bool { return len(a.Addrs) > 0 && a.Addrs[0].Is6() }

// Duration converts Interval to a time.Duration according to Version.
func (a *Advert) Duration() time.Duration {
	if a.Version == 2 {
		return time.Duration(a.Interval) * time.Second
	}
	return time.Duration(a.Interval) * 10 * time.Millisecond
}

// IntervalField converts an advert_int into the packet's Interval field as
// keepalived does: whole seconds (truncated) for version 2, centiseconds
// masked to 12 bits for version 3.
func IntervalField(version uint8, d time.Duration) uint16 {
	if version == 2 {
		return uint16(uint8(d / time.Second))
	}
	return uint16(d/(10*time.Millisecond)) & 0x0fff
}

// messageLen is the length of the VRRP message for naddr addresses: the
// 8-byte header, the addresses, and the 8 auth bytes of version 2 over IPv4.
func messageLen(version uint8, ipv6 bool, naddr int) int {
	if ipv6 {
		return advertHeaderLen + 16*naddr
	}
	n := advertHeaderLen + 4*naddr
	if version == 2 {
		n += AuthDataLen
	}
	return n
}

// Len is the length of the marshalled message.
func (a *Advert) Len() int { return messageLen(a.Version, a.IPv6(), len(a.Addrs)) }

// ParseAdvert decodes one VRRP message (what follows the IP header, or the
// AH header) of the given address family. The message must be exactly as
// long as its address count says, as keepalived 2.2.7 insists. The type,
// the checksum and the authentication are not checked here: that is the
// Validator's job, so that each failure is counted under its own name.
func ParseAdvert(b []byte, ipv6 bool) (*Advert, error) {
	if len(b) < advertHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooShort, len(b))
	}
	a := &Advert{
		Version:  b[0] >> 4,
		Type:     b[0] & 0x0f,
		VRID:     b[1],
		Priority: b[2],
		Checksum: binary.BigEndian.Uint16(b[6:8]),
	}
	switch a.Version {
	case 2:
		a.AuthType = AuthType(b[4])
		a.Interval = uint16(b[5])
	case 3:
		w := binary.BigEndian.Uint16(b[4:6])
		a.Reserved = uint8(w >> 12)
		a.Interval = w & 0x0fff
	default:
		return nil, fmt.Errorf("%w %d", ErrVersion, a.Version)
	}
	naddr := int(b[3])
	want := messageLen(a.Version, ipv6, naddr)
	if len(b) != want {
		return nil, fmt.Errorf("%w: %d bytes for %d addresses, expected %d", ErrLength, len(b), naddr, want)
	}
	if naddr > 0 {
		a.Addrs = make([]netip.Addr, naddr)
	}
	p := b[advertHeaderLen:]
	for i := range a.Addrs {
		if ipv6 {
			a.Addrs[i] = netip.AddrFrom16([16]byte(p[:16]))
			p = p[16:]
		} else {
			a.Addrs[i] = netip.AddrFrom4([4]byte(p[:4]))
			p = p[4:]
		}
	}
	if a.Version == 2 && !ipv6 {
		copy(a.AuthData[:], p)
	}
	return a, nil
}

// Marshal encodes the advert and fills in its checksum. src and dst are the
// IP source and destination the message will be sent with; they feed the
// pseudo-header of version 3 and of IPv6. For VRRPv3 over IPv4 the
// destination is the real one (each unicast copy differs), except that
// keepalived's old_unicast_checksum puts the multicast group there: pass
// that group as dst to reproduce it. For IPv6 an invalid src leaves the
// checksum 0, as keepalived does when it lets the kernel compute it.
func (a *Advert) Marshal(src, dst netip.Addr) ([]byte, error) {
	b := make([]byte, a.Len())
	if err := a.encode(b); err != nil {
		return nil, err
	}
	if a.IPv6() && !src.IsValid() {
		// The kernel fills it in (IPV6_CHECKSUM).
		a.Checksum = 0
		return b, nil
	}
	a.Checksum = advertChecksum(b, a.Version, a.IPv6(), src, dst)
	binary.BigEndian.PutUint16(b[6:8], a.Checksum)
	return b, nil
}

// encode writes the message with a zero checksum.
func (a *Advert) encode(b []byte) error {
	if a.Version != 2 && a.Version != 3 {
		return fmt.Errorf("%w %d", ErrVersion, a.Version)
	}
	if len(a.Addrs) > MaxAddrs {
		return fmt.Errorf("%w: %d addresses (at most %d)", ErrField, len(a.Addrs), MaxAddrs)
	}
	if a.Type > 0x0f {
		return fmt.Errorf("%w: type %d", ErrField, a.Type)
	}
	ipv6 := a.IPv6()
	b[0] = a.Version<<4 | a.Type
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = uint8(len(a.Addrs))
	if a.Version == 2 {
		if a.Interval > 0xff {
			return fmt.Errorf("%w: VRRPv2 interval %d s", ErrField, a.Interval)
		}
		b[4] = uint8(a.AuthType)
		b[5] = uint8(a.Interval)
	} else {
		if a.Interval > 0x0fff || a.Reserved > 0x0f {
			return fmt.Errorf("%w: VRRPv3 interval %d cs", ErrField, a.Interval)
		}
		binary.BigEndian.PutUint16(b[4:6], uint16(a.Reserved)<<12|a.Interval)
	}
	b[6], b[7] = 0, 0
	p := b[advertHeaderLen:]
	for _, ip := range a.Addrs {
		if ip.Is6() != ipv6 || !ip.IsValid() || ip.Is4In6() {
			return fmt.Errorf("%w: %s", ErrFamily, ip)
		}
		if ipv6 {
			a16 := ip.As16()
			copy(p, a16[:])
			p = p[16:]
		} else {
			a4 := ip.As4()
			copy(p, a4[:])
			p = p[4:]
		}
	}
	if a.Version == 2 && !ipv6 {
		copy(p, a.AuthData[:])
	}
	return nil
}

// advertChecksum computes the checksum of an encoded message whose checksum
// field is zero (or, to verify, of a received message: the result is 0 when
// the stored checksum is right).
func advertChecksum(msg []byte, version uint8, ipv6 bool, src, dst netip.Addr) uint16 {
	var sum uint32
	switch {
	case ipv6:
		sum = pseudoSum6(src, dst, len(msg))
	case version == 3:
		sum = pseudoSum4(src, dst, len(msg))
	}
	return ^fold(sumBytes(sum, msg))
}

// VerifyChecksum reports whether a received message's checksum is right for
// the given pseudo-header addresses (ignored for VRRPv2 over IPv4).
func VerifyChecksum(msg []byte, version uint8, ipv6 bool, src, dst netip.Addr) bool {
	return advertChecksum(msg, version, ipv6, src, dst) == 0
}

func pseudoSum4(src, dst netip.Addr, n int) uint32 {
	s, d := src.As4(), dst.As4()
	var sum uint32
	sum = sumBytes(sum, s[:])
	sum = sumBytes(sum, d[:])
	return sum + ProtoVRRP + uint32(n)
}

func pseudoSum6(src, dst netip.Addr, n int) uint32 {
	s, d := src.As16(), dst.As16()
	var sum uint32
	sum = sumBytes(sum, s[:])
	sum = sumBytes(sum, d[:])
	return sum + uint32(n>>16) + uint32(n&0xffff) + ProtoVRRP
}

// sumBytes adds b as big-endian 16-bit words to sum (the Internet checksum
// of RFC 1071, before folding); an odd last byte is padded with zero.
func sumBytes(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

// internetChecksum is the RFC 1071 checksum of b.
func internetChecksum(b []byte) uint16 { return ^fold(sumBytes(0, b)) }
