package vrrp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var addrCmp = cmp.Comparer(func(x, y netip.Addr) bool { return x == y })

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdvertSpecVectors decodes and re-encodes the annotated packets of
// the VRRP spec (§9.2–9.4), which come from an independent capture.
func TestAdvertSpecVectors(t *testing.T) {
	cases := []struct {
		name     string
		msg      string
		ipv6     bool
		src, dst string
		want     Advert
	}{
		{name: "v2 PASS", msg: "213396020101c4bb0a6300640a6300657365637265743132", src: "10.99.0.1", dst: "224.0.0.18",
			want: Advert{Version: 2, Type: 1, VRID: 51, Priority: 150, AuthType: AuthPass, Interval: 1, Checksum: 0xc4bb,
				Addrs: addrs("10.99.0.100", "10.99.0.101"), AuthData: PassAuthData("secret12")}},
		{name: "v2 no auth", msg: "2149c80100010bd80a6300790000000000000000", src: "10.99.0.1", dst: "10.99.0.2",
			want: Advert{Version: 2, Type: 1, VRID: 73, Priority: 200, Interval: 1, Checksum: 0x0bd8, Addrs: addrs("10.99.0.121")}},
		{name: "v3 IPv4", msg: "313d9601006442990a63006e", src: "10.99.0.1", dst: "224.0.0.18",
			want: Advert{Version: 3, Type: 1, VRID: 61, Priority: 150, Interval: 100, Checksum: 0x4299, Addrs: addrs("10.99.0.110")}},
		{name: "v3 IPv6", ipv6: true, msg: "313e960200643d07" + "fe800000000000000000000000010100" + "fd990000000000000000000000000100",
			src: "fe80::ff:fe00:a", dst: "ff02::12",
			want: Advert{Version: 3, Type: 1, VRID: 62, Priority: 150, Interval: 100, Checksum: 0x3d07, Addrs: addrs("fe80::1:100", "fd99::100")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := mustHex(t, c.msg)
			a, err := ParseAdvert(b, c.ipv6)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&c.want, a, addrCmp); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			src, dst := netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)
			if !VerifyChecksum(b, a.Version, c.ipv6, src, dst) {
				t.Error("checksum does not verify")
			}
			a.Checksum = 0
			out, err := a.Marshal(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("marshal\n got %x\nwant %x", out, b)
			}
		})
	}
}

func TestParseAdvertErrors(t *testing.T) {
	cases := []struct {
		name string
		b    string
		ipv6 bool
		err  error
	}{
		{"empty", "", false, ErrTooShort},
		{"7 bytes", "21339602010100", false, ErrTooShort},
		{"version 1", "113396000101c4bb0000000000000000", false, ErrVersion},
		{"version 4", "413396000101c4bb", false, ErrVersion},
		{"v2 count 1, no room", "213396010101c4bb0000000000000000", false, ErrLength},
		{"v2 without auth field", "213396010101c4bb0a630064", false, ErrLength},
		{"v3 padded", "313d9601006442990a63006e00000000", false, ErrLength},
		{"v3 IPv6 count 1 with an IPv4 address", "313d9601006442990a63006e", true, ErrLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAdvert(mustHex(t, c.b), c.ipv6)
			if !errors.Is(err, c.err) {
				t.Errorf("error %v, want %v", err, c.err)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	many := make([]netip.Addr, 256)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	cases := []struct {
		name string
		a    Advert
		err  error
	}{
		{"version 0", Advert{Version: 0}, ErrVersion},
		{"mixed families", Advert{Version: 3, Addrs: addrs("10.0.0.1", "fd00::1")}, ErrFamily},
		{"mapped address", Advert{Version: 3, Addrs: addrs("::ffff:10.0.0.1")}, ErrFamily},
		{"256 addresses", Advert{Version: 3, Addrs: many}, ErrField},
		{"v2 interval 256", Advert{Version: 2, Interval: 256}, ErrField},
		{"v3 interval 4096", Advert{Version: 3, Interval: 4096}, ErrField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.a.Marshal(srcA, MulticastGroup4); !errors.Is(err, c.err) {
				t.Errorf("error %v, want %v", err, c.err)
			}
		})
	}
}

// TestIntervalField: keepalived truncates a v2 interval to seconds and
// masks a v3 one to 12 bits of centiseconds.
func TestIntervalField(t *testing.T) {
	cases := []struct {
		v    uint8
		d    time.Duration
		want uint16
	}{
		{2, time.Second, 1}, {2, 255 * time.Second, 255}, {3, time.Second, 100}, {3, 10 * time.Millisecond, 1},
		{3, 40950 * time.Millisecond, 4095}, {3, 500 * time.Millisecond, 50},
	}
	for _, c := range cases {
		if got := IntervalField(c.v, c.d); got != c.want {
			t.Errorf("IntervalField(%d, %v) = %d, want %d", c.v, c.d, got, c.want)
		}
		a := Advert{Version: c.v, Interval: c.want}
		if a.Duration() != c.d {
			t.Errorf("Duration %v, want %v", a.Duration(), c.d)
		}
	}
}

// TestEncoderCounters: the IPv4 ID starts at 1 and skips 0 when it wraps;
// all unicast copies of one advert share it; AH sequence numbers count
// adverts.
func TestEncoderCounters(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{Version: 2, VRID: 1, Interval: time.Second, Addrs: []netip.Addr{vip1},
		Src: srcA, Peers: []netip.Addr{peerB, netip.MustParseAddr("10.99.0.3")}, AuthType: AuthAH, AuthData: PassAuthData("k")})
	if err != nil {
		t.Fatal(err)
	}
	id := func(b []byte) uint16 { return binary.BigEndian.Uint16(b[4:6]) }
	seq := func(b []byte) uint32 { return binary.BigEndian.Uint32(b[28:32]) }
	dgs, _ := enc.Build(100)
	if id(dgs[0].Data) != 1 || id(dgs[1].Data) != 1 || seq(dgs[0].Data) != 1 || seq(dgs[1].Data) != 1 {
		t.Errorf("first advert: ids %d %d, seqs %d %d", id(dgs[0].Data), id(dgs[1].Data), seq(dgs[0].Data), seq(dgs[1].Data))
	}
	if dgs[0].Dst != peerB || dgs[1].Dst.String() != "10.99.0.3" {
		t.Errorf("destinations %v %v", dgs[0].Dst, dgs[1].Dst)
	}
	enc.ipID = 0xffff
	dgs, _ = enc.Build(100)
	if id(dgs[0].Data) != 1 || seq(dgs[0].Data) != 2 {
		t.Errorf("after wrap: id %d seq %d", id(dgs[0].Data), seq(dgs[0].Data))
	}
}

func TestNewEncoderErrors(t *testing.T) {
	cases := []EncoderConfig{
		{Version: 4, Src: srcA},
		{Version: 2, Src: srcA, Addrs: addrs("fd00::1", "10.0.0.1")},
		{Version: 2, Addrs: addrs("10.0.0.1")}, // no source
		{Version: 3, Src: srcA, Addrs: addrs("10.0.0.1"), Group: MulticastGroup6},
	}
	for i, c := range cases {
		if _, err := NewEncoder(c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

// FuzzParseAdvert: whatever decodes must encode back to the same bytes and
// decode again to the same advert; the receive checks and the packet parser
// must not panic on anything.
func FuzzParseAdvert(f *testing.F) {
	for _, gc := range goldenCases {
		for _, c := range advertsIn(readPcap(f, filepath.Join("testdata", "adverts", gc.name+".pcap"))) {
			if c.IPv6 {
				f.Add(c.Data, true)
			} else {
				f.Add(c.Data, false)
				off, _ := vrrpOffset(c.Data, false)
				f.Add(c.Data[off:], false)
			}
		}
	}
	f.Add(mustHex(f, "213396020101c4bb0a6300640a6300657365637265743132"), false)
	v4 := NewValidator(ValidatorConfig{Name: "F", Version: 2, VRID: 51, Interval: time.Second,
		AuthType: AuthPass, AuthData: PassAuthData("1111"), VIPs: addrs("10.99.0.100")})
	ah := NewValidator(ValidatorConfig{Name: "F", Version: 2, VRID: 53, Interval: time.Second,
		AuthType: AuthAH, AuthData: PassAuthData("secret12"), VIPs: addrs("10.99.0.120")})
	v3u := NewValidator(ValidatorConfig{Name: "F", Version: 3, VRID: 62, Interval: time.Second,
		VIPs: addrs("10.99.0.150"), Peers: []UnicastPeer{{Addr: srcA, MaxTTL: 255}}, CheckUnicastSrc: true})
	v6 := NewValidator(ValidatorConfig{Name: "F", IPv6: true, Version: 3, VRID: 63, Interval: time.Second,
		VIPs: addrs("fe80::1:100", "fd99::100")})
	f.Fuzz(func(t *testing.T, b []byte, ipv6 bool) {
		if ipv6 {
			v6.Check(Received{IPv6: true, Data: b, Src: srcA6, Dst: MulticastGroup6, HopLimit: 255}, true)
		} else {
			v4.Check(rx4(b), true)
			ah.Check(rx4(b), false)
			v3u.Check(rx4(b), true)
		}
		ParsePacket(b, ipv6)
		PeekVRID(b, ipv6)

		a, err := ParseAdvert(b, ipv6)
		if err != nil {
			return
		}
		out := make([]byte, a.Len())
		if err := a.encode(out); err != nil {
			t.Fatalf("re-encode %x: %v", b, err)
		}
		binary.BigEndian.PutUint16(out[6:8], a.Checksum)
		// An advert without addresses does not know its family: a VRRPv2
		// one parsed as IPv6 (no auth field) re-encodes as IPv4 (with one).
		if !bytes.Equal(out, b) && !(ipv6 && len(a.Addrs) == 0 && a.Version == 2) {
			t.Fatalf("round trip\n in %x\nout %x", b, out)
		}
		a2, err := ParseAdvert(b, ipv6)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, a2, addrCmp); diff != "" {
			t.Fatalf("second parse differs: %s", diff)
		}
	})
}

// TestOldChecksumDetected: after auto-detection keepalived 2.2.7 keeps the
// standard checksum of one destination for every copy.
func TestOldChecksumDetected(t *testing.T) {
	p2, p3 := netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("10.99.0.3")
	cfg := EncoderConfig{Version: 3, VRID: 62, Interval: time.Second, Addrs: []netip.Addr{vip1}, Src: srcA, Peers: []netip.Addr{p2, p3}}
	csum := func(b []byte) uint16 { return binary.BigEndian.Uint16(b[26:28]) }
	want := func(dst netip.Addr) uint16 {
		a := &Advert{Version: 3, Type: 1, VRID: 62, Priority: 100, Interval: 100, Addrs: []netip.Addr{vip1}}
		a.Marshal(srcA, dst)
		return a.Checksum
	}

	// Detected before anything was sent: the first peer's checksum.
	enc, _ := NewEncoder(cfg)
	enc.OldChecksumDetected()
	dgs, _ := enc.Build(100)
	if csum(dgs[0].Data) != want(p2) || csum(dgs[1].Data) != want(p2) {
		t.Errorf("before sending: %04x %04x, want %04x for both", csum(dgs[0].Data), csum(dgs[1].Data), want(p2))
	}
	// Detected after an advert: the last peer's checksum.
	enc, _ = NewEncoder(cfg)
	dgs, _ = enc.Build(100)
	if csum(dgs[0].Data) != want(p2) || csum(dgs[1].Data) != want(p3) {
		t.Errorf("standard: %04x %04x", csum(dgs[0].Data), csum(dgs[1].Data))
	}
	enc.OldChecksumDetected()
	dgs, _ = enc.Build(100)
	if csum(dgs[0].Data) != want(p3) || csum(dgs[1].Data) != want(p3) {
		t.Errorf("after detection: %04x %04x, want %04x for both", csum(dgs[0].Data), csum(dgs[1].Data), want(p3))
	}
}
