package vrrp

import (
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	peerB = netip.MustParseAddr("10.99.0.2")
	vip1  = netip.MustParseAddr("10.99.0.100")
	vip2  = netip.MustParseAddr("10.99.0.101")
)

// build makes one IPv4 datagram for cfg with priority prio.
func build(t *testing.T, cfg EncoderConfig, prio uint8) []byte {
	t.Helper()
	enc, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dgs, err := enc.Build(prio)
	if err != nil {
		t.Fatal(err)
	}
	return dgs[0].Data
}

func v2PassCfg() EncoderConfig {
	return EncoderConfig{Version: 2, VRID: 51, Interval: time.Second, Addrs: []netip.Addr{vip1, vip2},
		AuthType: AuthPass, AuthData: PassAuthData("secret12"), Src: srcA}
}

func v2PassValidator() ValidatorConfig {
	return ValidatorConfig{Name: "VI_1", Version: 2, VRID: 51, Interval: time.Second, VIPs: []netip.Addr{vip1, vip2},
		AuthType: AuthPass, AuthData: PassAuthData("secret12")}
}

// fixV2Checksum recomputes the VRRPv2 checksum after a mutation, so that a
// test reaches the check it is about.
func fixV2Checksum(b []byte) {
	m := b[20:]
	m[6], m[7] = 0, 0
	binary.BigEndian.PutUint16(m[6:], internetChecksum(m))
}

func rx4(b []byte) Received { return Received{Data: b, HopLimit: -1} }

// TestValidatorRejects feeds forged and mismatched adverts to the receive
// checks and expects each to be refused for its own reason, counted under
// keepalived's name, with keepalived's log line.
func TestValidatorRejects(t *testing.T) {
	type tc struct {
		name     string
		val      func(*ValidatorConfig)
		pkt      func(t *testing.T) []byte
		noVIPs   bool
		verdict  Verdict
		reason   Reason
		log      string
		counter  func(RxStats) uint64
		accepted bool
	}
	good := func(t *testing.T) []byte { return build(t, v2PassCfg(), 100) }
	mut := func(f func(b []byte)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { b := good(t); f(b); return b }
	}
	cases := []tc{
		{name: "valid", pkt: good, accepted: true, counter: func(s RxStats) uint64 { return s.AdvertRcvd }},
		{name: "wrong password", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.AuthData = PassAuthData("guess")
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonAuthFailure, log: "(VI_1) received an invalid passwd!",
			counter: func(s RxStats) uint64 { return s.AuthFailure }},
		{name: "TTL 254", pkt: mut(func(b []byte) { b[8] = 254 }), verdict: Reject, reason: ReasonTTL,
			log: "(VI_1) invalid TTL/HL. Received 254 and expect 255", counter: func(s RxStats) uint64 { return s.IPTTLErr }},
		{name: "bad checksum", pkt: mut(func(b []byte) { b[20+6] ^= 0xff }), verdict: Reject, reason: ReasonChecksum,
			log: "(VI_1) Invalid VRRPv2 checksum", counter: func(s RxStats) uint64 { return s.ChkErr }},
		{name: "other VRID", pkt: mut(func(b []byte) { b[21] = 52; fixV2Checksum(b) }), verdict: Drop, reason: ReasonVRID,
			counter: func(s RxStats) uint64 { return s.VRIDErr }},
		{name: "version 3", pkt: mut(func(b []byte) { b[20] = 0x31 }), verdict: Reject, reason: ReasonLength,
			// a v3 header means no auth field: keepalived's expected length
			// shrinks by 8 and the length check fires first.
			log: "(VI_1) vrrp packet too long, length 44 and expect 36", counter: func(s RxStats) uint64 { return s.PacketLenErr }},
		{name: "version 1", pkt: mut(func(b []byte) { b[20] = 0x11 }), verdict: Reject, reason: ReasonLength,
			counter: func(s RxStats) uint64 { return s.PacketLenErr }},
		{name: "type 2", pkt: mut(func(b []byte) { b[20] = 0x22 }), verdict: Reject, reason: ReasonType,
			log: "(VI_1) Invalid packet type. 2 and expect 1", counter: func(s RxStats) uint64 { return s.InvalidTypeRcvd }},
		{name: "invalid auth type", pkt: mut(func(b []byte) { b[24] = 7 }), verdict: Reject, reason: ReasonInvalidAuthType,
			log: "(VI_1) Invalid auth type: 7", counter: func(s RxStats) uint64 { return s.InvalidAuthType }},
		{name: "no auth received", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.AuthType = AuthNone
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonAuthTypeMismatch, log: "(VI_1) received a 0 auth, expecting 1!",
			counter: func(s RxStats) uint64 { return s.AuthTypeMismatch }},
		{name: "AH received, PASS configured", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.AuthType = AuthAH
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonAHPresence, log: "(VI_1) Received AH header but auth type not AH",
			counter: func(s RxStats) uint64 { return s.AuthTypeMismatch }},
		{name: "interval mismatch", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Interval = 2 * time.Second
			return build(t, c, 100)
		}, verdict: Drop, reason: ReasonInterval, log: "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec",
			counter: func(s RxStats) uint64 { return s.IntervalMismatch + s.AdvertIntervalErr*100 }},
		{name: "address count", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Addrs = c.Addrs[:1]
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonAddrCount, log: "(VI_1) received an unexpected ip number count 1, expected 2!",
			counter: func(s RxStats) uint64 { return s.AddrListErr }},
		{name: "address count, VIP check skipped", noVIPs: true, pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Addrs = c.Addrs[:1]
			return build(t, c, 100)
		}, accepted: true, counter: func(s RxStats) uint64 { return s.AdvertRcvd }},
		{name: "VIP missing", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Addrs = []netip.Addr{vip1, netip.MustParseAddr("10.99.0.102")}
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonVIPMissing,
			log:     "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.99.0.101",
			counter: func(s RxStats) uint64 { return s.AddrListErr }},
		{name: "VIPs in another order", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Addrs = []netip.Addr{vip2, vip1}
			return build(t, c, 100)
		}, accepted: true, counter: func(s RxStats) uint64 { return s.AdvertRcvd }},
		{name: "IP total length lies, no auth", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.AuthType = AuthNone
			b := build(t, c, 100)
			binary.BigEndian.PutUint16(b[2:], 40)
			return b
		}, val: func(c *ValidatorConfig) { c.AuthType = AuthNone }, verdict: Reject, reason: ReasonIPTotalLen,
			log: "(VI_1) ip_tot_len mismatch against received length. 40 and received 44", counter: func(s RxStats) uint64 { return s.PacketLenErr }},
		{name: "trailing padding", pkt: func(t *testing.T) []byte { return append(good(t), 0, 0, 0, 0) }, verdict: Reject,
			reason: ReasonLength, log: "(VI_1) vrrp packet too long, length 48 and expect 44",
			counter: func(s RxStats) uint64 { return s.PacketLenErr }},
		{name: "truncated", pkt: func(t *testing.T) []byte { return good(t)[:26] }, verdict: Reject, reason: ReasonTooShort,
			log: "IPv4 VRRP packet too short - 26 bytes", counter: func(s RxStats) uint64 { return 0 }},
		{name: "unicast advert to a multicast instance", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Peers = []netip.Addr{peerB}
			return build(t, c, 100)
		}, verdict: Reject, reason: ReasonCastMismatch, log: "(VI_1) Expected multicast packet but received unicast packet",
			counter: func(s RxStats) uint64 { return s.AddrListErr }},
		{name: "multicast advert to a unicast instance", pkt: good,
			val: func(c *ValidatorConfig) { c.Peers = []UnicastPeer{{Addr: srcA, MaxTTL: 255}} }, verdict: Reject,
			reason: ReasonCastMismatch, log: "(VI_1) Expected unicast packet but received multicast packet",
			counter: func(s RxStats) uint64 { return s.AddrListErr }},
		{name: "unicast source not a peer", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Peers = []netip.Addr{peerB}
			return build(t, c, 100)
		}, val: func(c *ValidatorConfig) {
			c.Peers = []UnicastPeer{{Addr: netip.MustParseAddr("10.99.0.9"), MaxTTL: 255}}
			c.CheckUnicastSrc = true
		}, verdict: Reject, reason: ReasonUnicastSource, log: "(VI_1) unicast source address 10.99.0.1 not a unicast peer",
			counter: func(s RxStats) uint64 { return s.AdvertRcvd }},
		{name: "unicast TTL out of range", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Peers = []netip.Addr{peerB}
			c.TTL = 10
			return build(t, c, 100)
		}, val: func(c *ValidatorConfig) {
			c.Peers = []UnicastPeer{{Addr: srcA, MinTTL: 200, MaxTTL: 255}}
			c.CheckUnicastSrc = true
		}, verdict: Reject, reason: ReasonTTLRange, log: "(VI_1) TTL/HL 10 not in range 200 - 255",
			counter: func(s RxStats) uint64 { return s.IPTTLErr }},
		{name: "unicast TTL not checked against 255", pkt: func(t *testing.T) []byte {
			c := v2PassCfg()
			c.Peers = []netip.Addr{peerB}
			c.TTL = 10
			return build(t, c, 100)
		}, val: func(c *ValidatorConfig) { c.Peers = []UnicastPeer{{Addr: srcA, MaxTTL: 255}} },
			accepted: true, counter: func(s RxStats) uint64 { return s.AdvertRcvd }},
		{name: "priority 0", pkt: func(t *testing.T) []byte { return build(t, v2PassCfg(), 0) },
			accepted: true, counter: func(s RxStats) uint64 { return s.PriZeroRcvd }},
		{name: "CARP from ucarp", pkt: func(t *testing.T) []byte {
			caps := advertsIn(readPcap(t, filepath.Join("testdata", "adverts", "ucarp.pcap")))
			if len(caps) == 0 {
				t.Fatal("no CARP packet in ucarp.pcap")
			}
			return caps[0].Data
		}, verdict: Reject, reason: ReasonLength, log: "(VI_1) vrrp packet too short, length 56 and expect 64",
			counter: func(s RxStats) uint64 { return s.PacketLenErr }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vc := v2PassValidator()
			if c.val != nil {
				c.val(&vc)
			}
			v := NewValidator(vc)
			r := v.Check(rx4(c.pkt(t)), !c.noVIPs)
			if c.accepted {
				if r.Verdict != Accept {
					t.Fatalf("rejected: %v %q", r.Reason, r.Log)
				}
			} else {
				if r.Verdict != c.verdict || r.Reason != c.reason {
					t.Fatalf("got %v/%v %q, want %v/%v", r.Verdict, r.Reason, r.Log, c.verdict, c.reason)
				}
				if c.log != "" && r.Log != c.log {
					t.Errorf("log %q, want %q", r.Log, c.log)
				}
			}
			st := v.Stats()
			if c.counter(st) != 1 && c.name != "truncated" {
				t.Errorf("counter not 1: %+v", st)
			}
			if !c.accepted && c.reason != ReasonUnicastSource && c.reason != ReasonVIPMissing && c.reason != ReasonTTLRange && st.AdvertRcvd != 0 {
				t.Errorf("rejected advert counted as received: %+v", st)
			}
		})
	}
}

func ahCfg() (EncoderConfig, ValidatorConfig) {
	e := EncoderConfig{Version: 2, VRID: 53, Interval: time.Second, Addrs: []netip.Addr{vip1},
		AuthType: AuthAH, AuthData: PassAuthData("secret12"), Src: srcA}
	v := ValidatorConfig{Name: "VI_3", Version: 2, VRID: 53, Interval: time.Second, VIPs: []netip.Addr{vip1},
		AuthType: AuthAH, AuthData: PassAuthData("secret12")}
	return e, v
}

// TestValidatorAH: the ICV, the SPI and the anti-replay sequence number.
func TestValidatorAH(t *testing.T) {
	ec, vc := ahCfg()
	enc, _ := NewEncoder(ec)
	v := NewValidator(vc)
	first, _ := enc.Build(150)
	second, _ := enc.Build(150)
	if r := v.Check(rx4(second[0].Data), true); r.Verdict != Accept {
		t.Fatalf("seq 2 rejected: %q", r.Log)
	}
	r := v.Check(rx4(first[0].Data), true)
	if r.Reason != ReasonAuthFailure || r.Log != "(VI_3) IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(2)" {
		t.Errorf("replay: %v %q", r.Reason, r.Log)
	}
	r = v.Check(rx4(second[0].Data), true)
	if r.Reason != ReasonAuthFailure {
		t.Errorf("same sequence accepted twice: %v", r.Reason)
	}
	third, _ := enc.Build(150)
	bad := append([]byte(nil), third[0].Data...)
	bad[20+12] ^= 1 // ICV
	r = v.Check(rx4(bad), true)
	if r.Reason != ReasonAuthFailure || !strings.Contains(r.Log, "invalid IPSEC HMAC-MD5 value") {
		t.Errorf("bad ICV: %v %q", r.Reason, r.Log)
	}
	// A PASS advert at an AH instance: no AH header.
	pc := v2PassCfg()
	pc.VRID = 53
	r = v.Check(rx4(build(t, pc, 100)), true)
	if r.Reason != ReasonAHPresence || r.Log != "(VI_3) No AH header but auth type is AH" {
		t.Errorf("missing AH: %v %q", r.Reason, r.Log)
	}
	if r := v.Check(rx4(third[0].Data), true); r.Verdict != Accept {
		t.Errorf("seq 3 rejected: %q", r.Log)
	}
	if st := v.Stats(); st.AuthFailure != 3 || st.AuthTypeMismatch != 1 || st.AdvertRcvd != 2 {
		t.Errorf("stats %+v", st)
	}
	// The SPI must be the source address: forge a header with a changed
	// source and a correct ICV for it.
	ec.Src = netip.MustParseAddr("10.99.0.7")
	enc2, _ := NewEncoder(ec)
	dg, _ := enc2.Build(150)
	b := dg[0].Data
	copy(b[20+4:20+8], []byte{10, 99, 0, 1})
	icv := ahICV(ec.AuthData, b[:20], b[20:], false)
	copy(b[20+12:], icv[:])
	v.ResetAHSequence()
	r = v.Check(rx4(b), true)
	if r.Reason != ReasonAuthFailure || !strings.HasPrefix(r.Log, "IPSEC AH : invalid IPSEC SPI value.") {
		t.Errorf("SPI: %v %q", r.Reason, r.Log)
	}
}

// TestValidatorV3Checksum covers VRRPv3 over IPv4: the pseudo-header uses
// the real destination, and old_unicast_checksum's auto-detection.
func TestValidatorV3Checksum(t *testing.T) {
	ec := EncoderConfig{Version: 3, VRID: 62, Interval: time.Second, Addrs: []netip.Addr{vip1}, Src: srcA,
		Peers: []netip.Addr{peerB}}
	vc := ValidatorConfig{Name: "VI_6", Version: 3, VRID: 62, Interval: time.Second, VIPs: []netip.Addr{vip1},
		Peers: []UnicastPeer{{Addr: srcA, MaxTTL: 255}}}
	oldSender := ec
	oldSender.OldUnicastChecksum = true
	oldPkt := build(t, oldSender, 100)
	newPkt := build(t, ec, 100)
	if string(oldPkt) == string(newPkt) {
		t.Fatal("old and new unicast checksums are equal")
	}

	v := NewValidator(vc)
	if r := v.Check(rx4(newPkt), true); r.Verdict != Accept || r.SwitchedToOldChecksum {
		t.Fatalf("standard checksum: %v %q", r.Verdict, r.Log)
	}
	r := v.Check(rx4(oldPkt), true)
	if r.Verdict != Accept || !r.SwitchedToOldChecksum || r.Log != "(VI_6) Setting unicast VRRPv3 checksum to old version" {
		t.Fatalf("old checksum: %v %v %q", r.Verdict, r.SwitchedToOldChecksum, r.Log)
	}
	if v.ChecksumCompat() != ChecksumCompatAuto {
		t.Errorf("compat %v", v.ChecksumCompat())
	}
	// Once switched, the new form is refused.
	if r := v.Check(rx4(newPkt), true); r.Reason != ReasonChecksum || r.Log != "(VI_6) Invalid VRRPv3 checksum" {
		t.Errorf("after switch: %v %q", r.Reason, r.Log)
	}

	vc.ChecksumCompat = ChecksumCompatNever
	v = NewValidator(vc)
	if r := v.Check(rx4(oldPkt), true); r.Reason != ReasonChecksum {
		t.Errorf("never: %v %q", r.Reason, r.Log)
	}
	vc.ChecksumCompat = ChecksumCompatConfig
	v = NewValidator(vc)
	if r := v.Check(rx4(oldPkt), true); r.Verdict != Accept || r.SwitchedToOldChecksum {
		t.Errorf("configured old: %v %q", r.Verdict, r.Log)
	}
	if st := v.Stats(); st.ChkErr != 0 || st.AdvertRcvd != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestValidatorIPv6 checks hop limits as the socket reports them.
func TestValidatorIPv6(t *testing.T) {
	caps := goldenAdverts(t, "v3-ipv6")
	vc := ValidatorConfig{Name: "VI_7", IPv6: true, Version: 3, VRID: 63, Interval: time.Second,
		VIPs: addrs("fe80::1:100", "fd99::100")}
	v := NewValidator(vc)
	rx := caps[0].received()
	rx.HopLimit = 254
	if r := v.Check(rx, true); r.Reason != ReasonTTL || r.Log != "(VI_7) invalid TTL/HL. Received 254 and expect 255" {
		t.Errorf("hop limit 254: %v %q", r.Reason, r.Log)
	}
	rx.HopLimit = 255
	rx.Dst = srcA6 // not multicast
	if r := v.Check(rx, true); r.Reason != ReasonCastMismatch {
		t.Errorf("unicast destination: %v %q", r.Reason, r.Log)
	}
	if r := v.Check(caps[0].received(), true); r.Verdict != Accept {
		t.Errorf("valid: %v %q", r.Reason, r.Log)
	}
	if r := v.Check(rx4(build(t, v2PassCfg(), 100)), true); r.Reason != ReasonFamily {
		t.Errorf("IPv4 at an IPv6 instance: %v", r.Reason)
	}
}

// TestV2OverIPv6 covers keepalived's non-standard VRRPv2 over IPv6: no
// authentication field, but the auth type is sent, and PASS can never
// match on receive (keepalived compares bytes beyond the packet).
func TestV2OverIPv6(t *testing.T) {
	vips := addrs("fe80::1:100")
	enc, err := NewEncoder(EncoderConfig{Version: 2, VRID: 70, Interval: time.Second, Addrs: vips, Src: srcA6,
		AuthType: AuthPass, AuthData: PassAuthData("secret12")})
	if err != nil {
		t.Fatal(err)
	}
	dgs, _ := enc.Build(100)
	b := dgs[0].Data
	if len(b) != 8+16 || b[0] != 0x21 || b[4] != byte(AuthPass) {
		t.Fatalf("v2 over IPv6: %x", b)
	}
	rx := Received{IPv6: true, Data: b, Src: srcA6, Dst: MulticastGroup6, HopLimit: 255}
	pass := NewValidator(ValidatorConfig{Name: "VI", IPv6: true, Version: 2, VRID: 70, Interval: time.Second, VIPs: vips,
		AuthType: AuthPass, AuthData: PassAuthData("secret12")})
	if r := pass.Check(rx, true); r.Reason != ReasonAuthFailure {
		t.Errorf("PASS over IPv6: %v %q", r.Reason, r.Log)
	}
	enc, _ = NewEncoder(EncoderConfig{Version: 2, VRID: 70, Interval: time.Second, Addrs: vips, Src: srcA6})
	dgs, _ = enc.Build(100)
	none := NewValidator(ValidatorConfig{Name: "VI", IPv6: true, Version: 2, VRID: 70, Interval: time.Second, VIPs: vips})
	if r := none.Check(Received{IPv6: true, Data: dgs[0].Data, Src: srcA6, Dst: MulticastGroup6, HopLimit: 255}, true); r.Verdict != Accept {
		t.Errorf("no auth over IPv6: %v %q", r.Reason, r.Log)
	}
}
