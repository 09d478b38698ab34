package vrrp

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
)

var macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}

// framesOfType returns the captured frames with the given ethertype (and,
// for IPv6, ICMPv6 type 136 only), cut to their real length.
func framesOfType(t *testing.T, capture string, ethertype uint16) [][]byte {
	t.Helper()
	var out [][]byte
	for _, f := range readPcap(t, filepath.Join("testdata", "adverts", capture+".pcap")) {
		b := f.Data
		if len(b) < 14 || binary.BigEndian.Uint16(b[12:14]) != ethertype {
			continue
		}
		switch ethertype {
		case etherTypeARP:
			out = append(out, b[:GARPFrameLen])
		case etherTypeIPv6:
			if len(b) >= NAFrameLen && b[20] == 58 && b[54] == 136 {
				out = append(out, b[:NAFrameLen])
			}
		}
	}
	return out
}

// TestGARPGolden: our gratuitous ARP is byte for byte what keepalived sent
// for each VIP (request, VIP as sender and target, broadcast target MAC;
// with use_vmac the virtual MAC as Ethernet source and sender).
func TestGARPGolden(t *testing.T) {
	for capture, hw := range map[string]net.HardwareAddr{"v2-pass": macA, "v2-multi": macA, "v3-ipv4": macA,
		"v2-vmac": {0, 0, 0x5e, 0, 1, 57}} {
		frames := framesOfType(t, capture, etherTypeARP)
		if len(frames) < 5 {
			t.Fatalf("%s: %d ARP frames", capture, len(frames))
		}
		for i, f := range frames {
			vip := netip.AddrFrom4([4]byte(f[14+14 : 14+18]))
			ours, err := GARPFrame(hw, vip)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, f) {
				t.Errorf("%s frame %d (%s)\n ours %x\n keepalived %x", capture, i, vip, ours, f)
			}
		}
	}
}

// TestNAGolden: our unsolicited NA is byte for byte what keepalived sent,
// checksum included.
func TestNAGolden(t *testing.T) {
	for _, capture := range []string{"v3-ipv6", "v3-ipv6-unicast"} {
		frames := framesOfType(t, capture, etherTypeIPv6)
		n := 0
		for i, f := range frames {
			src := netip.AddrFrom16([16]byte(f[22:38]))
			if src.String() == "fd99::2" { // the peer's own solicited NA
				continue
			}
			n++
			ours, err := NAFrame(macA, src, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, f) {
				t.Errorf("%s frame %d (%s)\n ours %x\n keepalived %x", capture, i, src, ours, f)
			}
		}
		if n < 5 {
			t.Errorf("%s: %d NAs", capture, n)
		}
	}
}

func TestNARouterFlag(t *testing.T) {
	vip := netip.MustParseAddr("fd99::100")
	plain, _ := NAFrame(macA, vip, false)
	router, _ := NAFrame(macA, vip, true)
	if router[54+4] != 0xa0 || plain[54+4] != 0x20 {
		t.Errorf("flags %#x / %#x", router[58], plain[58])
	}
	// The checksum still verifies with the flag set.
	m := router[54:]
	src, dst := vip.As16(), allNodes.As16()
	sum := sumBytes(sumBytes(sumBytes(0, src[:]), dst[:]), m) + uint32(len(m)) + 58
	if fold(sum) != 0xffff {
		t.Errorf("checksum does not verify: %#x", fold(sum))
	}
}

func TestAnnounceFrameErrors(t *testing.T) {
	if _, err := GARPFrame(macA, netip.MustParseAddr("fd99::1")); err == nil {
		t.Error("GARP for IPv6 accepted")
	}
	if _, err := GARPFrame(net.HardwareAddr{1, 2}, vip1); err == nil {
		t.Error("short MAC accepted")
	}
	if _, err := NAFrame(macA, vip1, false); err == nil {
		t.Error("NA for IPv4 accepted")
	}
}
