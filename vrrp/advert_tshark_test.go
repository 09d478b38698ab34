package vrrp

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ethernetFrame wraps an advert as it would leave a node: the multicast MAC
// for multicast destinations; a made-up unicast MAC otherwise.
func ethernetFrame(ipv6 bool, src, dst []byte, hopLimit uint8, dg Datagram) []byte {
	var f []byte
	switch {
	case ipv6 && dg.Dst.IsMulticast():
		d := dg.Dst.As16()
		f = append(f, 0x33, 0x33, d[12], d[13], d[14], d[15])
	case !ipv6 && dg.Dst.IsMulticast():
		d := dg.Dst.As4()
		f = append(f, 0x01, 0x00, 0x5e, d[1]&0x7f, d[2], d[3])
	default:
		f = append(f, 0x02, 0, 0, 0, 0, 0x0b)
	}
	f = append(f, 0x02, 0, 0, 0, 0, 0x0a)
	if !ipv6 {
		f = append(f, 0x08, 0x00)
		return append(f, dg.Data...)
	}
	f = append(f, 0x86, 0xdd)
	h := make([]byte, 40)
	binary.BigEndian.PutUint32(h[0:], 6<<28|uint32(AdvertTOS)<<20)
	binary.BigEndian.PutUint16(h[4:], uint16(len(dg.Data)))
	h[6] = ProtoVRRP
	h[7] = hopLimit
	copy(h[8:24], src)
	copy(h[24:40], dst)
	f = append(f, h...)
	return append(f, dg.Data...)
}

// ourFrames builds every golden case's adverts with our encoder, framed.
// old_unicast_checksum is left out: its checksum is wrong by design.
func ourFrames(t *testing.T) [][]byte {
	var frames [][]byte
	for _, gc := range goldenCases {
		if gc.cfg.OldUnicastChecksum {
			continue
		}
		enc, err := NewEncoder(gc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, prio := range []uint8{gc.prio, PriorityStop} {
			dgs, err := enc.Build(prio)
			if err != nil {
				t.Fatal(err)
			}
			for _, dg := range dgs {
				s, d := gc.cfg.Src.As16(), dg.Dst.As16()
				frames = append(frames, ethernetFrame(gc.cfg.Src.Is6(), s[:], d[:], uint8(max(gc.hopLimit, 64)), dg))
			}
		}
	}
	return frames
}

var (
	tsharkVRRPChecksum = regexp.MustCompile(`(?m)^\s+Checksum: 0x[0-9a-f]{4} \[(\w+)\]`)
	tsharkIPChecksum   = regexp.MustCompile(`(?m)^\s+Header Checksum: 0x[0-9a-f]{4} \[(\w+)\]`)
)

func runTshark(t *testing.T, frames [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ours.pcap")
	if err := writePcap(path, frames); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tshark", "-r", path, "-o", "ip.check_checksum:TRUE", "-V")
	// A private HOME keeps the user's Wireshark preferences out.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	return string(out)
}

// TestTsharkChecksums: Wireshark's VRRP dissector, an implementation no one
// here wrote, finds the VRRP checksum (and the IPv4 header checksum) of
// every advert we build correct.
func TestTsharkChecksums(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (Debian package tshark)")
	}
	frames := ourFrames(t)
	out := runTshark(t, frames)
	vrrp := tsharkVRRPChecksum.FindAllStringSubmatch(out, -1)
	if len(vrrp) != len(frames) {
		t.Fatalf("tshark showed %d VRRP checksums for %d frames:\n%s", len(vrrp), len(frames), out)
	}
	for i, m := range vrrp {
		if m[1] != "correct" {
			t.Errorf("frame %d: VRRP checksum %s", i, m[1])
		}
	}
	for i, m := range tsharkIPChecksum.FindAllStringSubmatch(out, -1) {
		if m[1] != "correct" {
			t.Errorf("IPv4 header %d: checksum %s", i, m[1])
		}
	}
	if strings.Contains(out, "incorrect") || strings.Contains(out, "Malformed") {
		t.Errorf("tshark complains:\n%s", out)
	}

	// The check can fail: a flipped checksum bit is reported.
	bad := append([]byte(nil), frames[0]...)
	bad[14+20+6] ^= 0x01
	if out := runTshark(t, [][]byte{bad}); !strings.Contains(out, "incorrect") {
		t.Errorf("tshark did not notice a broken checksum:\n%s", out)
	}
}
