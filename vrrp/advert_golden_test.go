package vrrp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goldenCase describes one capture in testdata/adverts: the encoder
// configuration that its .conf amounts to (keepalived's defaults applied by
// hand) and the priority keepalived advertised. Each capture holds its
// adverts in order, the last one (per peer) with priority 0.
type goldenCase struct {
	name string
	cfg  EncoderConfig
	prio uint8
	// hopLimit is the IPv6 hop limit keepalived's socket sent with.
	hopLimit int
}

var (
	srcA   = netip.MustParseAddr("10.99.0.1")
	srcA6  = netip.MustParseAddr("fe80::ff:fe00:a")
	srcAU6 = netip.MustParseAddr("fd99::1")
)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, x := range s {
		out[i] = netip.MustParseAddr(x)
	}
	return out
}

var goldenCases = []goldenCase{
	{name: "v2-pass", prio: 100, cfg: EncoderConfig{Version: 2, VRID: 51, Interval: time.Second,
		Addrs: addrs("10.99.0.100"), AuthType: AuthPass, AuthData: PassAuthData("1111"), Src: srcA}},
	{name: "v2-noauth", prio: 150, cfg: EncoderConfig{Version: 2, VRID: 52, Interval: time.Second,
		Addrs: addrs("10.99.0.110"), Src: srcA}},
	{name: "v2-ah", prio: 150, cfg: EncoderConfig{Version: 2, VRID: 53, Interval: time.Second,
		Addrs: addrs("10.99.0.120"), AuthType: AuthAH, AuthData: PassAuthData("secret12"), Src: srcA}},
	{name: "v2-ah-unicast", prio: 120, cfg: EncoderConfig{Version: 2, VRID: 55, Interval: time.Second,
		Addrs: addrs("10.99.0.125"), AuthType: AuthAH, AuthData: PassAuthData("ahunicst"), Src: srcA, Peers: addrs("10.99.0.2")}},
	{name: "v2-vmac", prio: 150, cfg: EncoderConfig{Version: 2, VRID: 57, Interval: time.Second,
		Addrs: addrs("10.99.0.157"), Src: srcA}},
	{name: "v2-multi", prio: 200, cfg: EncoderConfig{Version: 2, VRID: 54, Interval: 2 * time.Second,
		Addrs:    addrs("10.99.0.133", "10.99.0.131", "10.99.0.132", "192.168.77.1", "10.99.0.130"),
		AuthType: AuthPass, AuthData: PassAuthData("averylongpassword"), Src: srcA}},
	{name: "v2-unicast", prio: 200, cfg: EncoderConfig{Version: 2, VRID: 73, Interval: time.Second,
		Addrs: addrs("10.99.0.121"), Src: srcA, Peers: addrs("10.99.0.2")}},
	{name: "v3-ipv4", prio: 150, cfg: EncoderConfig{Version: 3, VRID: 61, Interval: time.Second,
		Addrs: addrs("10.99.0.140", "10.99.0.141"), Src: srcA}},
	{name: "v3-ipv4-unicast", prio: 150, cfg: EncoderConfig{Version: 3, VRID: 62, Interval: 500 * time.Millisecond,
		Addrs: addrs("10.99.0.150"), Src: srcA, Peers: addrs("10.99.0.2", "10.99.0.3")}},
	{name: "v3-ipv4-unicast-oldcsum", prio: 150, cfg: EncoderConfig{Version: 3, VRID: 67, Interval: time.Second,
		Addrs: addrs("10.99.0.167"), Src: srcA, Peers: addrs("10.99.0.2", "10.99.0.3"), OldUnicastChecksum: true}},
	{name: "v3-ipv6", prio: 150, hopLimit: 255, cfg: EncoderConfig{Version: 3, VRID: 63, Interval: time.Second,
		Addrs: addrs("fe80::1:100", "fd99::100"), Src: srcA6}},
	{name: "v3-ipv6-unicast", prio: 150, hopLimit: 64, cfg: EncoderConfig{Version: 3, VRID: 64, Interval: time.Second,
		Addrs: addrs("fd99::164"), Src: srcAU6, Peers: addrs("fd99::2")}},
}

func goldenAdverts(t *testing.T, name string) []capturedAdvert {
	t.Helper()
	return advertsIn(readPcap(t, filepath.Join("testdata", "adverts", name+".pcap")))
}

// TestGoldenEncode: our encoder, given each capture's configuration,
// produces exactly the bytes keepalived sent, advert after advert. The IPv4
// ID and the AH sequence number are deterministic (both start at 1 and
// count adverts), so they are compared too; only the IPv6 header (built by
// the kernel, with a random flow label) is left out of the byte comparison
// and checked field by field.
func TestGoldenEncode(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			caps := goldenAdverts(t, gc.name)
			copies := len(gc.cfg.Peers)
			if copies == 0 {
				copies = 1
			}
			adverts := len(caps) / copies
			if adverts < 2 || len(caps)%copies != 0 {
				t.Fatalf("capture holds %d VRRP packets for %d destinations", len(caps), copies)
			}
			enc, err := NewEncoder(gc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < adverts; i++ {
				prio := gc.prio
				if i == adverts-1 {
					prio = PriorityStop
				}
				dgs, err := enc.Build(prio)
				if err != nil {
					t.Fatal(err)
				}
				if len(dgs) != copies {
					t.Fatalf("advert %d: %d datagrams, want %d", i, len(dgs), copies)
				}
				for j, dg := range dgs {
					c := caps[i*copies+j]
					if dg.Dst != c.Dst {
						t.Errorf("advert %d copy %d: destination %s, keepalived %s", i, j, dg.Dst, c.Dst)
					}
					if !bytes.Equal(dg.Data, c.Data) {
						t.Errorf("advert %d copy %d differs\n ours: %s\n keepalived: %s", i, j, hex.EncodeToString(dg.Data), hex.EncodeToString(c.Data))
					}
					if c.IPv6 {
						if c.TrafficClass != AdvertTOS || c.HopLimit != gc.hopLimit || c.Src != gc.cfg.Src {
							t.Errorf("advert %d: IPv6 tc %#x hlim %d src %s", i, c.TrafficClass, c.HopLimit, c.Src)
						}
					}
				}
			}
		})
	}
}

// TestGoldenDecode: each captured advert decodes to the fields its
// configuration says, and passes our receive checks for an instance with
// the same configuration.
func TestGoldenDecode(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			caps := goldenAdverts(t, gc.name)
			ipv6 := gc.cfg.Addrs[0].Is6()
			vcfg := ValidatorConfig{Name: "VI", IPv6: ipv6, Version: gc.cfg.Version, VRID: gc.cfg.VRID,
				Interval: gc.cfg.Interval, AuthType: gc.cfg.AuthType, AuthData: gc.cfg.AuthData, VIPs: gc.cfg.Addrs}
			for _, p := range gc.cfg.Peers {
				vcfg.Peers = append(vcfg.Peers, UnicastPeer{Addr: p, MaxTTL: 255})
			}
			// The receiver of a unicast advert is the peer: it would list
			// the sender among its own peers.
			if len(vcfg.Peers) > 0 {
				vcfg.Peers = []UnicastPeer{{Addr: gc.cfg.Src, MaxTTL: 255}}
				vcfg.CheckUnicastSrc = true
			}
			if gc.cfg.OldUnicastChecksum {
				vcfg.ChecksumCompat = ChecksumCompatConfig
			}
			val := NewValidator(vcfg)
			zeros := 0
			for i, c := range caps {
				p, err := ParsePacket(c.Data, c.IPv6)
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				a := p.Advert
				if a == nil {
					t.Fatalf("packet %d: VRRP message not decoded", i)
				}
				want := &Advert{Version: gc.cfg.Version, Type: 1, VRID: gc.cfg.VRID, Priority: a.Priority,
					Interval: IntervalField(gc.cfg.Version, gc.cfg.Interval), Addrs: gc.cfg.Addrs, Checksum: a.Checksum}
				if gc.cfg.Version == 2 && !ipv6 {
					want.AuthType = gc.cfg.AuthType
					if gc.cfg.AuthType == AuthPass {
						want.AuthData = gc.cfg.AuthData
					}
				}
				if diff := cmp.Diff(want, a, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
					t.Errorf("packet %d (-want +got):\n%s", i, diff)
				}
				if a.Priority != gc.prio && a.Priority != 0 {
					t.Errorf("packet %d: priority %d", i, a.Priority)
				}
				if a.Priority == 0 {
					zeros++
				}
				if !ipv6 {
					if p.IP.TOS != 0xc0 || p.IP.TTL != 255 || p.IP.FragOff != 0 || p.IP.Src != srcA {
						t.Errorf("packet %d: IPv4 header %+v", i, p.IP)
					}
					wantProto := uint8(ProtoVRRP)
					if gc.cfg.AuthType == AuthAH {
						wantProto = ProtoAH
						if p.AH == nil || p.AH.SPIAddr() != srcA || p.AH.NextHeader != ProtoVRRP || p.AH.PayloadLen != 4 {
							t.Errorf("packet %d: AH header %+v", i, p.AH)
						}
					}
					if p.IP.Protocol != wantProto {
						t.Errorf("packet %d: protocol %d, want %d", i, p.IP.Protocol, wantProto)
					}
				}
				if r := val.Check(c.received(), true); r.Verdict != Accept {
					t.Errorf("packet %d rejected: %v %q", i, r.Reason, r.Log)
				}
			}
			if zeros != len(gc.cfg.Peers)+boolInt(len(gc.cfg.Peers) == 0) {
				t.Errorf("%d priority-0 adverts", zeros)
			}
			st := val.Stats()
			if st.AdvertRcvd != uint64(len(caps)) || st.PriZeroRcvd != uint64(zeros) {
				t.Errorf("stats %+v, want %d received and %d priority 0", st, len(caps), zeros)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
