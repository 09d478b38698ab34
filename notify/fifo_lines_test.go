package notify

import (
	"bytes"
	"net/netip"
	"testing"
)

// recordedVRRPEvents is what happened in the keepalived recording, in
// order: the FIFO lines must come out byte for byte as keepalived wrote
// them.
func recordedVRRPLines() [][]byte {
	return [][]byte{
		GroupLine("VG_1", Backup),
		InstanceLine("VI_1", Backup, 100),
		InstanceLine("VI_2", Backup, 100),
		InstanceLine("VI_2", Master, 100),
		InstanceLine("VI_1", Master, 100),
		GroupLine("VG_1", Master),
		InstanceLine("VI_1", Stop, 100),
		InstanceLine("VI_2", Stop, 100),
		GroupLine("VG_1", Stop),
	}
}

func TestFIFOLinesMatchKeepalived(t *testing.T) {
	want := readGolden(t, "vrrp.fifo.bin")
	if g := readGolden(t, "notify.fifo.bin"); g != want {
		t.Fatalf("the recording's two FIFOs differ")
	}
	got := bytes.Join(recordedVRRPLines(), nil)
	if string(got) != want {
		t.Errorf("lines differ from keepalived's:\n got %q\nwant %q", got, want)
	}
}

// TestLVSLines: derived from keepalived's check/ipwrapper.c and
// lib/utils.c (not recorded: this host has no IPVS).
func TestLVSLines(t *testing.T) {
	vs := ServiceName(netip.MustParseAddr("192.168.1.1"), "tcp", 80)
	rs := ServiceName(netip.MustParseAddr("192.168.1.10"), "tcp", 80)
	rs6 := ServiceName(netip.MustParseAddr("2001:db8::10"), "udp", 53)
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{RSLine(rs, vs, true), "RS [192.168.1.10]:tcp:80 [192.168.1.1]:tcp:80 UP\n"},
		{RSLine(rs, vs, false), "RS [192.168.1.10]:tcp:80 [192.168.1.1]:tcp:80 DOWN\n"},
		{RSLine(rs6, GroupServiceName("web", 0), true), "RS [2001:db8::10]:udp:53 [web]:0 UP\n"},
		{VSLine(vs, false), "VS [192.168.1.1]:tcp:80 DOWN\n"},
		{VSLine(FWMServiceName(7), true), "VS FWM 7 UP\n"},
		{[]byte(ServiceName(netip.MustParseAddr("10.0.0.1"), "", 0)), "[10.0.0.1]:none:0"},
		{[]byte(ServiceName(netip.MustParseAddr("fe80::1%eth0"), "sctp", 9)), "[fe80::1]:sctp:9"},
		{InstanceLine("VI_1", MasterPriority, 90), "INSTANCE \"VI_1\" MASTER_PRIORITY 90\n"},
		{InstanceLine("VI_1", BackupPriority, 255), "INSTANCE \"VI_1\" BACKUP_PRIORITY 255\n"},
		{InstanceLine("VI_1", MasterRxLowerPri, 0), "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 0\n"},
		{InstanceLine("VI_1", Deleted, 100), "INSTANCE \"VI_1\" DELETED 100\n"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
