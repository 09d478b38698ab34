package parser

import "net/netip"

// vipAddresses lists every address VRRP or the static configuration puts on
// this node: VIPs and excluded VIPs of every instance, and static addresses.
func vipAddresses(cfg *Config) []netip.Addr {
	var out []netip.Addr
	for _, vi := range cfg.Instances {
		for _, a := range vi.VIPs {
			out = append(out, a.Addr.Addr())
		}
		for _, a := range vi.EVIPs {
			out = append(out, a.Addr.Addr())
		}
	}
	for _, a := range cfg.StaticAddresses {
		out = append(out, a.Addr.Addr())
	}
	return out
}

// lintLVS is gokeepalived's own check that each virtual server address is
// one of the VRRP VIPs. The classic LVS-DR slip is a virtual_server on
// 172.16.0.248 while VRRP moves 172.20.0.248: keepalived accepts it and the
// service never receives traffic on the node that holds the VIP.
func lintLVS(d *decoder) { lintVSAddresses(d, vipAddresses(d.cfg)) }

func lintVSAddresses(d *decoder, vips []netip.Addr) {
	// Without any VIP the addresses are managed by something else (or
	// there is no VRRP at all): nothing to compare with.
	if len(vips) == 0 {
		return
	}
	carried := make(map[netip.Addr]bool, len(vips))
	for _, v := range vips {
		carried[v.Unmap()] = true
	}
	check := func(at Pos, addr netip.Addr, what string) {
		if carried[addr.Unmap()] {
			return
		}
		if near, ok := nearVIP(addr, vips); ok {
			d.lintf(at, "%s %s is not a virtual_ipaddress of any vrrp_instance (did you mean %s?)", what, addr, near)
			return
		}
		d.lintf(at, "%s %s is not a virtual_ipaddress of any vrrp_instance", what, addr)
	}
	for _, vs := range d.cfg.VirtualServers {
		switch {
		case vs.Group != nil:
			for _, e := range vs.Group.Entries {
				if !e.FWMark && e.Start == e.End {
					check(e.Pos, e.Start, "virtual_server_group "+vs.Group.Name+" address")
				}
			}
		case vs.Addr.IsValid():
			check(vs.Pos, vs.Addr, "virtual_server address")
		}
	}
}

// nearVIP finds a VIP of the same family that differs from addr in exactly
// one byte: most likely the address that was meant.
func nearVIP(addr netip.Addr, vips []netip.Addr) (netip.Addr, bool) {
	a := addr.Unmap().AsSlice()
	for _, v := range vips {
		b := v.Unmap().AsSlice()
		if len(a) != len(b) {
			continue
		}
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
			}
		}
		if diff == 1 {
			return v, true
		}
	}
	return netip.Addr{}, false
}
