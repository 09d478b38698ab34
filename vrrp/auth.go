package vrrp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"net/netip"
)

// VRRPv2 authentication as keepalived implements it (authentication block,
// IPv4 only). RFC 3768 removed it from the protocol; keepalived still sends
// and checks it, and a mixed group must agree on it.

// PassAuthData turns an auth_pass into the 8-byte authentication field:
// the first 8 bytes of the password, NUL padded (keepalived truncates longer
// passwords with "Truncating auth_pass to 8 characters"). The same bytes key
// the HMAC of auth_type AH.
func PassAuthData(pass string) [AuthDataLen]byte {
	var d [AuthDataLen]byte
	copy(d[:], pass)
	return d
}

// equalAuthData compares two authentication fields in constant time, as
// keepalived does.
func equalAuthData(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// The IPsec AH header keepalived puts between the IPv4 header and the VRRP
// message (RFC 2402 layout): 12 fixed bytes and a 96-bit ICV.
const (
	ahHeaderLen  = 24
	ahICVOffset  = 12
	ahICVLen     = 12
	ahPayloadLen = 4 // (24 bytes / 4) - 2, RFC 2402 §2.2
)

// AHHeader is the AH header of an auth_type AH advert.
type AHHeader struct {
	NextHeader uint8
	PayloadLen uint8
	Reserved   uint16
	// SPI is the sender's IPv4 source address (keepalived's choice: there
	// is no key exchange, so the source address names the association).
	SPI [4]byte
	// Seq is the sequence number: +1 per advert, the first is 1.
	Seq uint32
	// ICV is HMAC-MD5 truncated to 96 bits.
	ICV [ahICVLen]byte
}

func parseAH(b []byte) AHHeader {
	var h AHHeader
	h.NextHeader = b[0]
	h.PayloadLen = b[1]
	h.Reserved = binary.BigEndian.Uint16(b[2:4])
	copy(h.SPI[:], b[4:8])
	h.Seq = binary.BigEndian.Uint32(b[8:12])
	copy(h.ICV[:], b[12:24])
	return h
}

func (h *AHHeader) put(b []byte) {
	b[0] = h.NextHeader
	b[1] = h.PayloadLen
	binary.BigEndian.PutUint16(b[2:4], h.Reserved)
	copy(b[4:8], h.SPI[:])
	binary.BigEndian.PutUint32(b[8:12], h.Seq)
	copy(b[12:24], h.ICV[:])
}

// SPIAddr is the SPI read as an IPv4 address.
func (h *AHHeader) SPIAddr() netip.Addr { return netip.AddrFrom4(h.SPI) }

// ahICV computes the AH integrity check value keepalived sends and expects:
// HMAC-MD5 keyed with the 8-byte password over the IPv4 header with its
// mutable fields zeroed (TOS, flags/fragment offset, header checksum, and
// the TTL for unicast instances only), followed by the AH header with a
// zero ICV and the VRRP message (rest), truncated to 96 bits.
func ahICV(key [AuthDataLen]byte, iphdr, rest []byte, unicast bool) [ahICVLen]byte {
	ip := make([]byte, len(iphdr))
	copy(ip, iphdr)
	ip[1] = 0           // TOS
	ip[6], ip[7] = 0, 0 // flags, fragment offset
	ip[10], ip[11] = 0, 0
	if unicast {
		ip[8] = 0 // TTL
	}
	m := hmac.New(md5.New, key[:])
	m.Write(ip)
	m.Write(rest[:ahICVOffset])
	m.Write(make([]byte, ahICVLen))
	m.Write(rest[ahHeaderLen:])
	var icv [ahICVLen]byte
	copy(icv[:], m.Sum(nil))
	return icv
}
