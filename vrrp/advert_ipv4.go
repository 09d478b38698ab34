package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// IPv4Header is the part of an IPv4 header keepalived reads and writes.
// keepalived sends IPv4 adverts on a raw socket with IP_HDRINCL, so it
// builds this header itself; a raw socket also delivers it on receive.
type IPv4Header struct {
	// HeaderLen is the header length in bytes (IHL·4); 20 on send.
	HeaderLen int
	TOS       uint8
	TotalLen  uint16
	ID        uint16
	// FragOff holds the flags and the fragment offset as on the wire;
	// keepalived sends 0 (DF clear).
	FragOff  uint16
	TTL      uint8
	Protocol uint8
	// Checksum is the header checksum; keepalived leaves 0 and the kernel
	// fills it, our encoder fills it too so that captures are valid.
	Checksum uint16
	Src, Dst netip.Addr
}

// parseIPv4Header decodes the fixed header and checks that b holds the
// whole header including options.
func parseIPv4Header(b []byte) (IPv4Header, error) {
	var h IPv4Header
	if len(b) < ipv4HeaderLen {
		return h, fmt.Errorf("%w: IPv4 packet of %d bytes", ErrTooShort, len(b))
	}
	if b[0]>>4 != 4 {
		return h, fmt.Errorf("%w: IP version %d in an IPv4 packet", ErrField, b[0]>>4)
	}
	h.HeaderLen = int(b[0]&0x0f) * 4
	if h.HeaderLen < ipv4HeaderLen || len(b) < h.HeaderLen {
		return h, fmt.Errorf("%w: IPv4 header length %d in %d bytes", ErrTooShort, h.HeaderLen, len(b))
	}
	h.TOS = b[1]
	h.TotalLen = binary.BigEndian.Uint16(b[2:4])
	h.ID = binary.BigEndian.Uint16(b[4:6])
	h.FragOff = binary.BigEndian.Uint16(b[6:8])
	h.TTL = b[8]
	h.Protocol = b[9]
	h.Checksum = binary.BigEndian.Uint16(b[10:12])
	h.Src = netip.AddrFrom4([4]byte(b[12:16]))
	h.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	return h, nil
}

// put writes a 20-byte header (no options) into b.
func (h *IPv4Header) put(b []byte) {
	b[0] = 4<<4 | ipv4HeaderLen/4
	b[1] = h.TOS
	binary.BigEndian.PutUint16(b[2:4], h.TotalLen)
	binary.BigEndian.PutUint16(b[4:6], h.ID)
	binary.BigEndian.PutUint16(b[6:8], h.FragOff)
	b[8] = h.TTL
	b[9] = h.Protocol
	binary.BigEndian.PutUint16(b[10:12], h.Checksum)
	s, d := h.Src.As4(), h.Dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
}

// Packet is a received or encoded advert with what surrounds it: the IPv4
// header and, for auth_type AH, the AH header. For IPv6 the kernel owns the
// IP header, so only Src, Dst and HopLimit are known (from recvmsg).
type Packet struct {
	IPv6 bool
	// IP is the IPv4 header (zero for IPv6).
	IP IPv4Header
	// AH is the IPsec AH header when the IPv4 protocol is 51.
	AH *AHHeader
	// Advert is the VRRP message; nil when it could not be decoded.
	Advert *Advert
	// VRRP is the raw VRRP message (from its first byte to the end of the
	// received data).
	VRRP []byte
}

// PeekVRID returns the VRID of a received packet without validating it, as
// keepalived does to find the instance an advert belongs to: data is the
// IPv4 datagram from its header on (raw IPv4 socket), or the VRRP message
// (raw IPv6 socket). ok is false when data is too short to hold the IP
// header, the AH header if any, and the 8-byte VRRP header; keepalived logs
// "IPv4 VRRP packet too short" then and stops reading the socket for now.
func PeekVRID(data []byte, ipv6 bool) (vrid uint8, ok bool) {
	off, err := vrrpOffset(data, ipv6)
	if err != nil {
		return 0, false
	}
	return data[off+1], true
}

// vrrpOffset finds the VRRP header in a received packet, requiring the
// fixed 8 bytes to be there.
func vrrpOffset(data []byte, ipv6 bool) (int, error) {
	if ipv6 {
		if len(data) < advertHeaderLen {
			return 0, fmt.Errorf("%w: IPv6 VRRP packet too short - %d bytes", ErrTooShort, len(data))
		}
		return 0, nil
	}
	if len(data) < ipv4HeaderLen {
		return 0, fmt.Errorf("%w: IPv4 VRRP packet too short - %d bytes", ErrTooShort, len(data))
	}
	ihl := int(data[0]&0x0f) * 4
	off := ihl
	if data[9] == ProtoAH {
		off += ahHeaderLen
		if len(data) < off+advertHeaderLen {
			return 0, fmt.Errorf("%w: IPv4 VRRP packet with AH too short - %d bytes", ErrTooShort, len(data))
		}
	}
	if ihl < ipv4HeaderLen || len(data) < off+advertHeaderLen {
		return 0, fmt.Errorf("%w: IPv4 VRRP packet too short - %d bytes", ErrTooShort, len(data))
	}
	return off, nil
}

// ParsePacket decodes a received packet: data is the IPv4 datagram from its
// header on, or the IPv6 payload. It fails only when the headers themselves
// are cut short; a VRRP message whose length disagrees with its address
// count leaves Advert nil (the Validator reports it as a length error).
func ParsePacket(data []byte, ipv6 bool) (*Packet, error) {
	off, err := vrrpOffset(data, ipv6)
	if err != nil {
		return nil, err
	}
	p := &Packet{IPv6: ipv6, VRRP: data[off:]}
	if !ipv6 {
		if p.IP, err = parseIPv4Header(data); err != nil {
			return nil, err
		}
		if p.IP.Protocol == ProtoAH {
			ah := parseAH(data[p.IP.HeaderLen:])
			p.AH = &ah
		}
	}
	if a, err := ParseAdvert(p.VRRP, ipv6); err == nil {
		p.Advert = a
	}
	return p, nil
}

// MarshalIPv4 encodes a whole IPv4 datagram as keepalived sends it with
// IP_HDRINCL: 20-byte header with TOS 0xc0 (h.TOS), no DF, the given ID and
// TTL, protocol 112 (or 51 with AH), then the AH header when auth is AH,
// then the VRRP message whose checksum is computed for h.Src and
// checksumDst (h.Dst normally; the multicast group for
// old_unicast_checksum). key is the 8-byte password for AH.
func MarshalIPv4(h IPv4Header, a *Advert, checksumDst netip.Addr, ahSeq uint32, key [AuthDataLen]byte, unicast bool) ([]byte, error) {
	if a.IPv6() {
		return nil, fmt.Errorf("%w: IPv6 addresses in an IPv4 advert", ErrFamily)
	}
	if !h.Src.Is4() || !h.Dst.Is4() {
		return nil, fmt.Errorf("%w: IPv4 header needs IPv4 addresses (%s → %s)", ErrFamily, h.Src, h.Dst)
	}
	msg, err := a.Marshal(h.Src, checksumDst)
	if err != nil {
		return nil, err
	}
	withAH := a.Version == 2 && a.AuthType == AuthAH
	n := ipv4HeaderLen + len(msg)
	h.Protocol = ProtoVRRP
	if withAH {
		n += ahHeaderLen
		h.Protocol = ProtoAH
	}
	h.HeaderLen = ipv4HeaderLen
	h.TotalLen = uint16(n)
	b := make([]byte, n)
	h.Checksum = 0
	h.put(b)
	off := ipv4HeaderLen
	if withAH {
		ah := AHHeader{NextHeader: ProtoVRRP, PayloadLen: ahPayloadLen, SPI: h.Src.As4(), Seq: ahSeq}
		ah.put(b[off:])
		copy(b[off+ahHeaderLen:], msg)
		icv := ahICV(key, b[:ipv4HeaderLen], b[ipv4HeaderLen:], unicast)
		copy(b[off+ahICVOffset:], icv[:])
		off += ahHeaderLen
	} else {
		copy(b[off:], msg)
	}
	binary.BigEndian.PutUint16(b[10:12], internetChecksum(b[:ipv4HeaderLen]))
	return b, nil
}
