package main

import (
	"net"
	"net/netip"
)

// dumpInterfacesFrom builds the "Interfaces" section from the system's
// interfaces (net.Interfaces, with addrs giving each one's addresses):
// keepalived lists every interface it knows, with its first IPv4
// address, its link-local IPv6 address, and the instances tracking it
// (the instance's own interface with weight 0, track_interface entries
// with theirs).
func dumpInterfacesFrom(ifs []net.Interface, addrs func(net.Interface) ([]net.Addr, error), instances []dumpVRRPInstance) []dumpInterface {
	var out []dumpInterface
	for _, ifc := range ifs {
		d := dumpInterface{
			Name: ifc.Name, Index: ifc.Index, MTU: ifc.MTU,
			Up: ifc.Flags&net.FlagUp != 0, Running: ifc.Flags&net.FlagRunning != 0,
		}
		if len(ifc.HardwareAddr) > 0 {
			d.MAC = ifc.HardwareAddr.String()
		}
		if list, err := addrs(ifc); err == nil {
			for _, a := range list {
				ipn, ok := a.(*net.IPNet)
				if !ok {
					continue
				}
				ip, ok := netip.AddrFromSlice(ipn.IP)
				if !ok {
					continue
				}
				ip = ip.Unmap()
				switch {
				case ip.Is4() && !d.IPv4.IsValid():
					d.IPv4 = ip
				case ip.Is6() && ip.IsLinkLocalUnicast() && !d.IPv6.IsValid():
					d.IPv6 = ip
				}
			}
		}
		for _, vi := range instances {
			if vi.Interface == ifc.Name {
				d.Tracking = append(d.Tracking, dumpTrack{Name: vi.Name})
			}
		}
		for _, vi := range instances {
			for _, t := range vi.TrackIfs {
				if t.Name == ifc.Name {
					d.Tracking = append(d.Tracking, dumpTrack{Name: vi.Name, Weight: t.Weight, Reverse: t.Reverse})
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// dumpInterfacesFromSystem is dumpInterfacesFrom for this machine (the
// engine's network namespace).
func dumpInterfacesFromSystem(instances []dumpVRRPInstance) ([]dumpInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	return dumpInterfacesFrom(ifs, func(i net.Interface) ([]net.Addr, error) { return i.Addrs() }, instances), nil
}
