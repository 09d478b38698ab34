package vrrp

import (
	"bufio"
	"fmt"
	"io"
)

// InstanceStats is one instance's section of keepalived's statistics dump:
// the receive counters of its Validator and the send and state counters
// kept by whoever runs the instance.
type InstanceStats struct {
	Name string
	Rx   RxStats
	// AdvertSent counts adverts sent (one per advert, not per unicast
	// copy), BecomeMaster and ReleaseMaster the transitions to and from
	// MASTER, PriZeroSent the priority-0 adverts sent.
	AdvertSent    uint32
	BecomeMaster  uint32
	ReleaseMaster uint32
	PriZeroSent   uint64
}

// WriteStats writes the statistics file keepalived writes on SIGUSR2
// (/tmp/keepalived.stats), in its layout, one section per instance in
// configuration order.
func WriteStats(w io.Writer, insts []InstanceStats) error {
	bw := bufio.NewWriter(w)
	for _, s := range insts {
		r := s.Rx
		fmt.Fprintf(bw, "VRRP Instance: %s\n", s.Name)
		fmt.Fprintf(bw, "  Advertisements:\n")
		fmt.Fprintf(bw, "    Received: %d\n", r.AdvertRcvd)
		fmt.Fprintf(bw, "    Sent: %d\n", s.AdvertSent)
		fmt.Fprintf(bw, "  Became master: %d\n", s.BecomeMaster)
		fmt.Fprintf(bw, "  Released master: %d\n", s.ReleaseMaster)
		fmt.Fprintf(bw, "  Packet Errors:\n")
		fmt.Fprintf(bw, "    Length: %d\n", r.PacketLenErr)
		fmt.Fprintf(bw, "    TTL: %d\n", r.IPTTLErr)
		fmt.Fprintf(bw, "    Invalid Type: %d\n", r.InvalidTypeRcvd)
		fmt.Fprintf(bw, "    Advertisement Interval: %d\n", r.AdvertIntervalErr)
		fmt.Fprintf(bw, "    Address List: %d\n", r.AddrListErr)
		fmt.Fprintf(bw, "  Authentication Errors:\n")
		fmt.Fprintf(bw, "    Invalid Type: %d\n", r.InvalidAuthType)
		fmt.Fprintf(bw, "    Type Mismatch: %d\n", r.AuthTypeMismatch)
		fmt.Fprintf(bw, "    Failure: %d\n", r.AuthFailure)
		fmt.Fprintf(bw, "  Priority Zero:\n")
		fmt.Fprintf(bw, "    Received: %d\n", r.PriZeroRcvd)
		fmt.Fprintf(bw, "    Sent: %d\n", s.PriZeroSent)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("vrrp: write stats: %w", err)
	}
	return nil
}
