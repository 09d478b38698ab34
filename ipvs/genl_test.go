package ipvs

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

func le32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// The NEW_SERVICE attributes of lvs.md §11's example, byte by byte.
func TestEncodeServiceLVSDR(t *testing.T) {
	s := &Service{ServiceKey: AddrKey(TCP, netip.MustParseAddr("172.16.0.248"), 80), Scheduler: "wrr", Netmask: 0xffffffff}
	got := encodeService(s, true)
	var want []byte
	attr := func(typ uint16, val []byte) {
		want = binary.NativeEndian.AppendUint16(want, uint16(4+len(val)))
		want = binary.NativeEndian.AppendUint16(want, typ)
		want = append(want, val...)
		for len(want)%4 != 0 {
			want = append(want, 0)
		}
	}
	attr(svcAF, binary.NativeEndian.AppendUint16(nil, 2))
	attr(svcProtocol, binary.NativeEndian.AppendUint16(nil, 6))
	attr(svcAddr, []byte{172, 16, 0, 248, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	attr(svcPort, []byte{0, 80})
	attr(svcSched, []byte("wrr\x00"))
	attr(svcFlags, append(le32(0), le32(0xffffffff)...))
	attr(svcTimeout, le32(0))
	attr(svcNetmask, []byte{0xff, 0xff, 0xff, 0xff})
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", []byte(got), want)
	}
}

func TestNetmaskBytes(t *testing.T) {
	if b := netmaskBytes(IPv4, 0xffffff00); !bytes.Equal(b, []byte{0xff, 0xff, 0xff, 0}) {
		t.Errorf("IPv4 mask bytes % x", b)
	}
	if b := netmaskBytes(IPv6, 128); !bytes.Equal(b, le32(128)) {
		t.Errorf("IPv6 prefix bytes % x", b)
	}
}

func TestServiceRoundTrip(t *testing.T) {
	for _, s := range []*Service{
		{ServiceKey: AddrKey(UDP, netip.MustParseAddr("10.0.0.1"), 53), Scheduler: "sh", Flags: FlagPersistent | FlagSched1 | FlagSched2,
			Timeout: 300, Netmask: 0xffff0000, PEName: "sip"},
		{ServiceKey: AddrKey(SCTP, netip.MustParseAddr("2001:db8::1"), 443), Scheduler: "mh", Netmask: 64},
		{ServiceKey: MarkKey(IPv6, 7), Scheduler: "rr", Netmask: 128},
	} {
		attrs, err := parseAttrs(encodeService(s, true))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeService(attrs)
		if err != nil {
			t.Fatal(err)
		}
		if got.ServiceKey != s.ServiceKey || !got.sameAttrs(s) {
			t.Errorf("round trip %+v -> %+v", *s, *got)
		}
	}
}

func TestDestRoundTrip(t *testing.T) {
	for _, d := range []Destination{
		{Addr: netip.MustParseAddr("10.0.1.1"), Port: 80, Forward: Route, Weight: 1 << 20, UpperThreshold: 9, LowerThreshold: 3},
		{Addr: netip.MustParseAddr("2001:db8::9"), Port: 80, Forward: Tunnel, Weight: 1, TunnelType: TunnelGUE, TunnelPort: 6080, TunnelFlags: TunnelRemCsum},
		{Addr: netip.MustParseAddr("10.0.1.2"), Port: 0, Forward: Tunnel, TunnelType: TunnelGRE, TunnelFlags: TunnelCsum},
		{Addr: netip.MustParseAddr("10.0.1.3"), Port: 8080, Forward: Masq},
	} {
		attrs, err := parseAttrs(encodeDest(&d, true))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeDest(attrs, IPv4)
		if err != nil {
			t.Fatal(err)
		}
		if got != d {
			t.Errorf("round trip %+v -> %+v", d, got)
		}
	}
}

func TestDaemonRoundTrip(t *testing.T) {
	d := SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 5, MaxLen: 1400, Port: 9000, TTL: 2, Group: netip.MustParseAddr("239.1.1.1")}
	attrs, err := parseAttrs(encodeDaemon(&d, true))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeDaemon(attrs)
	if err != nil || got != d {
		t.Fatalf("round trip %+v -> %+v (%v)", d, got, err)
	}
}

// FuzzDecode feeds arbitrary attribute buffers to the decoders: they must
// not panic, and whatever decodes as a service or destination must encode
// and decode to itself.
func FuzzDecode(f *testing.F) {
	s := &Service{ServiceKey: AddrKey(TCP, netip.MustParseAddr("172.16.0.248"), 80), Scheduler: "wrr", Netmask: 0xffffffff}
	f.Add([]byte(encodeService(s, true)))
	d := Destination{Addr: netip.MustParseAddr("2001:db8::9"), Port: 80, Forward: Tunnel, TunnelType: TunnelGUE, TunnelPort: 1}
	f.Add([]byte(encodeDest(&d, true)))
	f.Add([]byte(encodeDaemon(&SyncDaemon{State: SyncMaster, Interface: "eth0"}, true)))
	f.Fuzz(func(t *testing.T, b []byte) {
		attrs, err := parseAttrs(b)
		if err != nil {
			return
		}
		_, _ = decodeDaemon(attrs)
		_, _ = decodeInfo(b)
		_, _ = nested(b, attrService)
		if s, err := decodeService(attrs); err == nil {
			again, err := parseAttrs(encodeService(s, true))
			if err != nil {
				t.Fatal(err)
			}
			s2, err := decodeService(again)
			if err != nil || s2.ServiceKey != s.ServiceKey || !s2.sameAttrs(s) {
				t.Fatalf("service %+v re-decoded as %+v (%v)", *s, s2, err)
			}
		}
		if d, err := decodeDest(attrs, IPv4); err == nil {
			again, err := parseAttrs(encodeDest(&d, true))
			if err != nil {
				t.Fatal(err)
			}
			d2, err := decodeDest(again, IPv4)
			if err != nil || d2 != d {
				t.Fatalf("dest %+v re-decoded as %+v (%v)", d, d2, err)
			}
		}
	})
}
