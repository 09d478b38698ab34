package vrrp

import (
	"strings"
	"testing"
)

func TestWriteStatsLayout(t *testing.T) {
	var b strings.Builder
	err := WriteStats(&b, []InstanceStats{{Name: "VI_1", Rx: RxStats{AdvertRcvd: 7, PacketLenErr: 1, IPTTLErr: 2,
		InvalidTypeRcvd: 3, AddrListErr: 4, InvalidAuthType: 5, AuthTypeMismatch: 6, AuthFailure: 8, PriZeroRcvd: 9,
		IntervalMismatch: 10}, AdvertSent: 11, BecomeMaster: 12, ReleaseMaster: 13, PriZeroSent: 14}})
	if err != nil {
		t.Fatal(err)
	}
	want := `VRRP Instance: VI_1
  Advertisements:
    Received: 7
    Sent: 11
  Became master: 12
  Released master: 13
  Packet Errors:
    Length: 1
    TTL: 2
    Invalid Type: 3
    Advertisement Interval: 0
    Address List: 4
  Authentication Errors:
    Invalid Type: 5
    Type Mismatch: 6
    Failure: 8
  Priority Zero:
    Received: 9
    Sent: 14
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
