package vrrp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"testing"
)

// A minimal pcap (libpcap 2.4, Ethernet) reader and writer for the golden
// captures and for handing our packets to tshark.

type pcapFrame struct {
	Data []byte
}

func readPcap(t testing.TB, path string) []pcapFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := parsePcap(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return frames
}

func parsePcap(b []byte) ([]pcapFrame, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("pcap: short header")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap: bad magic %x", b[:4])
	}
	if lt := bo.Uint32(b[20:24]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet", lt)
	}
	var out []pcapFrame
	for p := b[24:]; len(p) > 0; {
		if len(p) < 16 {
			return nil, fmt.Errorf("pcap: short record header")
		}
		n := int(bo.Uint32(p[8:12]))
		if len(p) < 16+n {
			return nil, fmt.Errorf("pcap: short record")
		}
		out = append(out, pcapFrame{Data: p[16 : 16+n]})
		p = p[16+n:]
	}
	return out, nil
}

func writePcap(path string, frames [][]byte) error {
	var buf bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	buf.Write(hdr)
	for i, f := range frames {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		buf.Write(rec)
		buf.Write(f)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// capturedAdvert is one VRRP packet found in a capture.
type capturedAdvert struct {
	IPv6 bool
	// Data is what a raw socket would deliver: the IPv4 datagram, or the
	// IPv6 payload.
	Data []byte
	// IPv6 header fields (the kernel builds them, so they are compared
	// separately).
	TrafficClass uint8
	HopLimit     int
	Src, Dst     netip.Addr
}

// advertsIn extracts the VRRP packets (IPv4 protocol 112 or 51, IPv6 next
// header 112) from Ethernet frames.
func advertsIn(frames []pcapFrame) []capturedAdvert {
	var out []capturedAdvert
	for _, f := range frames {
		b := f.Data
		if len(b) < 14 {
			continue
		}
		switch binary.BigEndian.Uint16(b[12:14]) {
		case 0x0800:
			ip := b[14:]
			if len(ip) < 20 || (ip[9] != ProtoVRRP && ip[9] != ProtoAH) {
				continue
			}
			tot := int(binary.BigEndian.Uint16(ip[2:4]))
			if tot <= len(ip) {
				ip = ip[:tot] // drop Ethernet padding
			}
			out = append(out, capturedAdvert{Data: ip, HopLimit: int(ip[8]),
				Src: netip.AddrFrom4([4]byte(ip[12:16])), Dst: netip.AddrFrom4([4]byte(ip[16:20]))})
		case 0x86dd:
			ip := b[14:]
			if len(ip) < 40 || ip[6] != ProtoVRRP {
				continue
			}
			n := int(binary.BigEndian.Uint16(ip[4:6]))
			out = append(out, capturedAdvert{
				IPv6:         true,
				Data:         ip[40 : 40+n],
				TrafficClass: uint8(binary.BigEndian.Uint16(ip[0:2]) >> 4),
				HopLimit:     int(ip[7]),
				Src:          netip.AddrFrom16([16]byte(ip[8:24])),
				Dst:          netip.AddrFrom16([16]byte(ip[24:40])),
			})
		}
	}
	return out
}

// received turns a captured advert into what our socket would hand over.
func (c capturedAdvert) received() Received {
	hl := -1
	if c.IPv6 {
		hl = c.HopLimit
	}
	return Received{IPv6: c.IPv6, Data: c.Data, Src: c.Src, Dst: c.Dst, HopLimit: hl}
}
