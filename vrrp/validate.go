package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// RxStats are the receive-side counters of one instance, named after the
// fields of keepalived's vrrp_stats that its SIGUSR2 dump
// (/tmp/keepalived.stats, see WriteStats) and its JSON dump print, plus
// three that keepalived only keeps for SNMP (ChkErr, VersErr, VRIDErr) and
// one of our own (IntervalMismatch). The send-side counters belong to
// whoever sends and changes state (InstanceStats).
type RxStats struct {
	AdvertRcvd   uint64 `json:"advert_rcvd"`    // adverts that passed the checks up to the VIP list
	PacketLenErr uint64 `json:"packet_len_err"` // "Packet Errors: Length"
	// AdvertIntervalErr is printed by keepalived 2.2.7 but never counted:
	// it stays 0 here too, so that the dumps agree. IntervalMismatch
	// counts what it was meant to.
	AdvertIntervalErr uint64 `json:"advert_interval_err"`
	IPTTLErr          uint64 `json:"ip_ttl_err"`        // "Packet Errors: TTL"
	InvalidTypeRcvd   uint64 `json:"invalid_type_rcvd"` // "Packet Errors: Invalid Type"
	AddrListErr       uint64 `json:"addr_list_err"`     // "Packet Errors: Address List"
	InvalidAuthType   uint64 `json:"invalid_authtype"`  // "Authentication Errors: Invalid Type"
	AuthTypeMismatch  uint64 `json:"authtype_mismatch"` // "Authentication Errors: Type Mismatch"
	AuthFailure       uint64 `json:"auth_failure"`      // "Authentication Errors: Failure"
	PriZeroRcvd       uint64 `json:"pri_zero_rcvd"`     // "Priority Zero: Received"
	// SNMP-only counters in keepalived (vrrpStatsChecksumErrors, ...).
	ChkErr  uint64 `json:"-"` // checksum errors
	VersErr uint64 `json:"-"` // version errors
	VRIDErr uint64 `json:"-"` // adverts for another VRID handed to this instance
	// IntervalMismatch counts VRRPv2 adverts dropped for their interval.
	IntervalMismatch uint64 `json:"-"`
}

// Verdict is the outcome of checking one received advert, in keepalived's
// three kinds (VRRP_PACKET_OK/KO/DROP).
type Verdict uint8

const (
	// Accept: the advert passed every check; hand it to the state machine.
	Accept Verdict = iota
	// Reject: the advert is invalid (KO). For the state machine it never
	// arrived, but a master still restarts its advert timer (spec §4.4).
	Reject
	// Drop: the advert is not for us (interval mismatch, AH for another
	// protocol, another VRID). Same effect as Reject.
	Drop
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("verdict %d", uint8(v))
}

// Reason says which check an advert failed.
type Reason uint8

// Reasons in the order keepalived checks them.
const (
	ReasonNone Reason = iota
	ReasonTooShort
	ReasonFamily // an IPv4 packet for an IPv6 instance or the reverse
	ReasonVRID
	ReasonAHPresence // AH header present iff auth_type AH
	ReasonLength     // received length ≠ expected from the address count
	ReasonTTL        // multicast TTL / hop limit ≠ 255
	ReasonVersion
	ReasonInvalidAuthType
	ReasonAuthTypeMismatch
	ReasonAuthFailure // wrong password, bad ICV, SPI or replayed sequence
	ReasonAHNextHeader
	ReasonInterval // VRRPv2 Adver Int ≠ ours
	ReasonType
	ReasonAddrCount
	ReasonIPTotalLen
	ReasonChecksum
	ReasonCastMismatch // multicast received by a unicast instance or the reverse
	ReasonVIPCount
	ReasonVIPMissing
	ReasonUnicastSource
	ReasonTTLRange // unicast peer's min_ttl/max_ttl
)

// ChecksumCompat is the state of keepalived's old_unicast_checksum option
// for VRRPv3 unicast over IPv4.
type ChecksumCompat uint8

const (
	// ChecksumCompatNone (the default): the standard checksum, switching to
	// the old form for good if a peer's advert only passes with it.
	ChecksumCompatNone ChecksumCompat = iota
	// ChecksumCompatNever: `old_unicast_checksum never`, no switching.
	ChecksumCompatNever
	// ChecksumCompatConfig: `old_unicast_checksum`, old form from the start.
	ChecksumCompatConfig
	// ChecksumCompatAuto: switched to the old form by a received advert.
	ChecksumCompatAuto
)

// Old reports whether the old (multicast-group) pseudo-header is in use.
func (c ChecksumCompat) Old() bool { return c >= ChecksumCompatConfig }

// UnicastPeer is a `unicast_peer` entry as the receive checks use it.
type UnicastPeer struct {
	Addr netip.Addr
	// MinTTL and MaxTTL are `min_ttl` / `max_ttl` (0 and 255 by default).
	MinTTL, MaxTTL int
}

// ValidatorConfig is what the receive checks compare adverts against.
type ValidatorConfig struct {
	// Name is the instance name, used in the log lines.
	Name     string
	IPv6     bool
	Version  uint8
	VRID     uint8
	Interval time.Duration // advert_int
	AuthType AuthType
	AuthData [AuthDataLen]byte
	// VIPs are the virtual_ipaddress entries carried in adverts.
	VIPs []netip.Addr
	// Peers are the unicast peers; none means a multicast instance.
	Peers []UnicastPeer
	// CheckUnicastSrc is `check_unicast_src` or the global
	// `vrrp_check_unicast_src`.
	CheckUnicastSrc bool
	// ChecksumCompat is the old_unicast_checksum setting.
	ChecksumCompat ChecksumCompat
	// MulticastGroup4 is vrrp_mcast_group4 (zero: 224.0.0.18), the address
	// the old unicast checksum puts in the pseudo-header.
	MulticastGroup4 netip.Addr
}

// Received is one packet as an advert socket delivers it.
type Received struct {
	// IPv6 tells which kind of raw socket it came from.
	IPv6 bool
	// Data is the IPv4 datagram from its header on (raw IPv4 sockets deliver
	// the header), or the VRRP message (raw IPv6 sockets deliver none).
	Data []byte
	// Src is the sender's address (recvmsg's source).
	Src netip.Addr
	// Dst is the destination address (IPV6_PKTINFO); for IPv4 the header's
	// destination is used instead.
	Dst netip.Addr
	// HopLimit is the IPv6 hop limit (IPV6_HOPLIMIT), -1 when unknown; for
	// IPv4 the header's TTL is used instead.
	HopLimit int
	// IfIndex is the interface the packet arrived on, 0 when unknown.
	IfIndex int
}

// Result is the outcome of Check.
type Result struct {
	Verdict Verdict
	Reason  Reason
	// Log is keepalived's log line for the failure, with the "(NAME) "
	// prefix it uses; empty for an accepted advert that needs no message.
	Log string
	// Packet is the decoded packet (nil when too short to decode).
	Packet *Packet
	// SwitchedToOldChecksum is set on the advert that made the instance
	// switch to the old unicast checksum ("Setting unicast VRRPv3 checksum
	// to old version", already in Log): from then on the Validator expects
	// the old form, and the sender must call Encoder.OldChecksumDetected.
	SwitchedToOldChecksum bool
}

// Advert returns the decoded advert of an accepted result.
func (r Result) Advert() *Advert {
	if r.Packet == nil {
		return nil
	}
	return r.Packet.Advert
}

// Validator applies keepalived 2.2.7's receive checks (vrrp_check_packet) to
// the adverts of one instance and counts every failure under keepalived's
// name. It keeps the AH anti-replay sequence number and the unicast
// checksum mode, so one Validator belongs to one instance and one
// goroutine.
type Validator struct {
	cfg   ValidatorConfig
	stats RxStats
	// ahSeq is the highest AH sequence number accepted so far.
	ahSeq uint32
}

// NewValidator returns a Validator for one instance.
func NewValidator(cfg ValidatorConfig) *Validator {
	if !cfg.MulticastGroup4.IsValid() {
		cfg.MulticastGroup4 = MulticastGroup4
	}
	if cfg.Version == 3 || (cfg.IPv6 && cfg.AuthType == AuthAH) {
		cfg.AuthType = AuthNone
	}
	cfg.VIPs = append([]netip.Addr(nil), cfg.VIPs...)
	cfg.Peers = append([]UnicastPeer(nil), cfg.Peers...)
	return &Validator{cfg: cfg}
}

// Stats returns a copy of the counters.
func (v *Validator) Stats() RxStats { return v.stats }

// ClearStats zeroes the counters (keepalived's --signum=STATS_CLEAR).
func (v *Validator) ClearStats() { v.stats = RxStats{} }

// ChecksumCompat returns the current unicast checksum mode.
func (v *Validator) ChecksumCompat() ChecksumCompat { return v.cfg.ChecksumCompat }

// ResetAHSequence forgets the last AH sequence number seen (keepalived
// resets it when the instance becomes master).
func (v *Validator) ResetAHSequence() { v.ahSeq = 0 }

func (v *Validator) unicast() bool { return len(v.cfg.Peers) > 0 }

func (v *Validator) fail(res *Result, verdict Verdict, reason Reason, format string, args ...any) Result {
	res.Verdict = verdict
	res.Reason = reason
	res.Log = fmt.Sprintf("(%s) ", v.cfg.Name) + fmt.Sprintf(format, args...)
	return *res
}

// Check validates one received packet. checkVIPs says whether the address
// count and list are compared with ours: always in MASTER; in BACKUP unless
// skip_check_adv_addr (or vrrp_skip_check_adv_addr) is set and the advert
// comes from the master already accepted — the state machine decides.
//
// The checks and their order are keepalived 2.2.7's. Where keepalived's
// SIGUSR2 dump has a counter for a failure, it is counted there; version
// and checksum errors only have SNMP counters in keepalived (VersErr,
// ChkErr). keepalived 2.2.7 never increments advert_interval_err although
// it prints it; VRRPv2 interval mismatches are counted in IntervalMismatch.
func (v *Validator) Check(rx Received, checkVIPs bool) Result {
	c := &v.cfg
	var res Result
	if rx.IPv6 != c.IPv6 {
		return v.fail(&res, Drop, ReasonFamily, "received an advert of the other address family")
	}
	p, err := ParsePacket(rx.Data, rx.IPv6)
	if err != nil {
		// keepalived logs this without the instance name, before it knows
		// which instance the packet is for.
		res.Verdict, res.Reason, res.Log = Reject, ReasonTooShort, trimErr(err)
		return res
	}
	res.Packet = p
	vrrp := p.VRRP
	version, typ, vrid, naddr := vrrp[0]>>4, vrrp[0]&0x0f, vrrp[1], int(vrrp[3])
	if vrid != c.VRID {
		v.stats.VRIDErr++
		return v.fail(&res, Drop, ReasonVRID, "received an advert for VRID %d", vrid)
	}

	expected := 0
	ttl := rx.HopLimit
	src, dst := rx.Src, rx.Dst
	if !rx.IPv6 {
		expected = p.IP.HeaderLen
		hasAH := p.IP.Protocol == ProtoAH
		if hasAH != (c.AuthType == AuthAH) {
			v.stats.AuthTypeMismatch++
			if hasAH {
				return v.fail(&res, Reject, ReasonAHPresence, "Received AH header but auth type not AH")
			}
			return v.fail(&res, Reject, ReasonAHPresence, "No AH header but auth type is AH")
		}
		if hasAH {
			expected += ahHeaderLen
		}
		ttl = int(p.IP.TTL)
		src, dst = p.IP.Src, p.IP.Dst
	}
	expected += messageLen(version, rx.IPv6, naddr)
	if len(rx.Data) != expected {
		v.stats.PacketLenErr++
		word := "short"
		if len(rx.Data) > expected {
			word = "long"
		}
		return v.fail(&res, Reject, ReasonLength, "vrrp packet too %s, length %d and expect %d", word, len(rx.Data), expected)
	}
	if !v.unicast() && ttl != -1 && ttl != AdvertTTL {
		v.stats.IPTTLErr++
		return v.fail(&res, Reject, ReasonTTL, "invalid TTL/HL. Received %d and expect %d", ttl, AdvertTTL)
	}
	if version != c.Version {
		v.stats.VersErr++
		return v.fail(&res, Reject, ReasonVersion, "wrong version. Received %d and expect %d", version, c.Version)
	}
	if p.Advert == nil {
		// Only an unknown version makes a message of the right length
		// undecodable, and the version was just checked.
		return v.fail(&res, Reject, ReasonVersion, "wrong version. Received %d and expect %d", version, c.Version)
	}
	a := p.Advert

	if c.Version == 2 {
		at := AuthType(vrrp[4])
		if at != AuthNone && at != AuthPass && at != AuthAH {
			v.stats.InvalidAuthType++
			return v.fail(&res, Reject, ReasonInvalidAuthType, "Invalid auth type: %d", at)
		}
		if at != c.AuthType {
			v.stats.AuthTypeMismatch++
			return v.fail(&res, Reject, ReasonAuthTypeMismatch, "received a %d auth, expecting %d!", at, c.AuthType)
		}
		switch c.AuthType {
		case AuthPass:
			if !equalAuthData(passwordField(rx, p), c.AuthData[:]) {
				v.stats.AuthFailure++
				return v.fail(&res, Reject, ReasonAuthFailure, "received an invalid passwd!")
			}
		case AuthAH:
			if r, failed := v.checkAH(&res, rx.Data, p); failed {
				return r
			}
		}
		if want := IntervalField(2, c.Interval); a.Interval != want {
			v.stats.IntervalMismatch++
			return v.fail(&res, Drop, ReasonInterval, "advertisement interval mismatch mine=%d sec rcv'd=%d sec", want, a.Interval)
		}
	}

	if typ != TypeAdvertisement {
		v.stats.InvalidTypeRcvd++
		return v.fail(&res, Reject, ReasonType, "Invalid packet type. %d and expect %d", typ, TypeAdvertisement)
	}
	if checkVIPs && naddr != len(c.VIPs) {
		v.stats.AddrListErr++
		return v.fail(&res, Reject, ReasonAddrCount, "received an unexpected ip number count %d, expected %d!", naddr, len(c.VIPs))
	}
	if !rx.IPv6 && int(p.IP.TotalLen) != len(rx.Data) {
		v.stats.PacketLenErr++
		return v.fail(&res, Reject, ReasonIPTotalLen, "ip_tot_len mismatch against received length. %d and received %d", p.IP.TotalLen, len(rx.Data))
	}
	if !rx.IPv6 {
		if r, failed := v.checkChecksum(&res, p); failed {
			return r
		}
	}
	multicast := dst.IsMulticast()
	if multicast == v.unicast() {
		v.stats.AddrListErr++
		exp, got := "mult", "un"
		if v.unicast() {
			exp, got = "un", "mult"
		}
		return v.fail(&res, Reject, ReasonCastMismatch, "Expected %sicast packet but received %sicast packet", exp, got)
	}

	v.stats.AdvertRcvd++

	if checkVIPs {
		if naddr != len(c.VIPs) {
			return v.fail(&res, Reject, ReasonVIPCount, "expected %d VIPs but received %d", len(c.VIPs), naddr)
		}
		for _, vip := range c.VIPs {
			if !containsAddr(a.Addrs, vip) {
				v.stats.AddrListErr++
				return v.fail(&res, Reject, ReasonVIPMissing, "ip address associated with VRID %d not present in MASTER advert: %s", c.VRID, vip)
			}
		}
		if v.unicast() && c.CheckUnicastSrc {
			peer, ok := v.findPeer(src)
			if !ok {
				return v.fail(&res, Reject, ReasonUnicastSource, "unicast source address %s not a unicast peer", src)
			}
			if ttl != -1 && (ttl < peer.MinTTL || ttl > peer.MaxTTL) {
				v.stats.IPTTLErr++
				return v.fail(&res, Reject, ReasonTTLRange, "TTL/HL %d not in range %d - %d", ttl, peer.MinTTL, peer.MaxTTL)
			}
		}
	}
	if a.Priority == PriorityStop {
		v.stats.PriZeroRcvd++
	}
	res.Verdict = Accept
	return res
}

// passwordField returns the 8 bytes keepalived compares with the password:
// the last 8 bytes of the IPv4 datagram as its header's total length gives
// it (checked against the received length only later, so a lying total
// length points elsewhere, as in keepalived). VRRPv2 over IPv6 has no
// authentication field: keepalived then reads its "total length" from the
// VRRP header and compares bytes beyond the packet, so PASS never matches;
// nil gives the same result without the out-of-bounds read.
func passwordField(rx Received, p *Packet) []byte {
	if rx.IPv6 {
		return nil
	}
	end := int(p.IP.TotalLen)
	if end < AuthDataLen || end > len(rx.Data) {
		return nil
	}
	return rx.Data[end-AuthDataLen : end]
}

func (v *Validator) checkAH(res *Result, data []byte, p *Packet) (Result, bool) {
	ah := p.AH
	if ah.NextHeader != ProtoVRRP {
		return v.fail(res, Drop, ReasonAHNextHeader, "AH header for protocol %d", ah.NextHeader), true
	}
	hl := p.IP.HeaderLen
	icv := ahICV(v.cfg.AuthData, data[:hl], data[hl:], v.unicast())
	if !equalAuthData(icv[:], ah.ICV[:]) {
		v.stats.AuthFailure++
		return v.fail(res, Reject, ReasonAuthFailure, "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"), true
	}
	if ah.SPI != p.IP.Src.As4() {
		v.stats.AuthFailure++
		r := v.fail(res, Reject, ReasonAuthFailure, "")
		// keepalived logs this one without the instance name, and prints
		// both addresses as host-order integers of the network-order words.
		r.Log = fmt.Sprintf("IPSEC AH : invalid IPSEC SPI value. %d and expect %d", le32(p.IP.Src.As4()), le32(ah.SPI))
		*res = r
		return r, true
	}
	if ah.Seq <= v.ahSeq {
		v.stats.AuthFailure++
		return v.fail(res, Reject, ReasonAuthFailure, "IPSEC-AH : sequence number %d already processed. Packet dropped. Local(%d)", ah.Seq, v.ahSeq), true
	}
	v.ahSeq = ah.Seq
	return Result{}, false
}

func le32(b [4]byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (v *Validator) checkChecksum(res *Result, p *Packet) (Result, bool) {
	c := &v.cfg
	if c.Version == 2 {
		if !VerifyChecksum(p.VRRP, 2, false, netip.Addr{}, netip.Addr{}) {
			v.stats.ChkErr++
			return v.fail(res, Reject, ReasonChecksum, "Invalid VRRPv2 checksum"), true
		}
		return Result{}, false
	}
	dst := p.IP.Dst
	if c.ChecksumCompat.Old() {
		dst = c.MulticastGroup4
	}
	if VerifyChecksum(p.VRRP, 3, false, p.IP.Src, dst) {
		return Result{}, false
	}
	if v.unicast() && c.ChecksumCompat == ChecksumCompatNone && dst != c.MulticastGroup4 &&
		VerifyChecksum(p.VRRP, 3, false, p.IP.Src, c.MulticastGroup4) {
		c.ChecksumCompat = ChecksumCompatAuto
		res.SwitchedToOldChecksum = true
		res.Log = fmt.Sprintf("(%s) Setting unicast VRRPv3 checksum to old version", c.Name)
		return Result{}, false
	}
	v.stats.ChkErr++
	return v.fail(res, Reject, ReasonChecksum, "Invalid VRRPv3 checksum"), true
}

func (v *Validator) findPeer(a netip.Addr) (UnicastPeer, bool) {
	for _, p := range v.cfg.Peers {
		if p.Addr == a {
			return p, true
		}
	}
	return UnicastPeer{}, false
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// trimErr turns a decoder error into keepalived's log wording: the part
// after the sentinel's prefix.
func trimErr(err error) string {
	s := err.Error()
	const prefix = "vrrp: packet too short: "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}
