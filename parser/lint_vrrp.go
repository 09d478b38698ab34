package parser

// lintVRRP is gokeepalived's own advice on VRRP configurations: things
// keepalived accepts silently but that rarely do what was meant.
func lintVRRP(d *decoder) {
	for _, vi := range d.cfg.Instances {
		if vi.set.unicastConfigured && len(vi.UnicastPeers) == 0 && !vi.UnicastFaultNoPeer {
			d.lintf(vi.Pos, "(%s) unicast is configured but no valid unicast_peer remains: keepalived falls back to multicast", vi.Name)
		}
		for _, p := range vi.UnicastPeers {
			if p.extraAddr != "" {
				d.lintf(p.Pos, "(%s) unicast_peer line has a second address %s, which is not a peer: write one peer per line", vi.Name, p.extraAddr)
			}
		}
		if vi.set.completed && vi.StrictMode && !vi.Accept && vi.Priority != vrrpPrioOwner && len(vi.VIPs) > 0 {
			d.lintf(vi.Pos, "(%s) strict mode turns accept off for a non-owner: its virtual addresses will drop all traffic addressed to them when it is MASTER (add `accept` with `version 3`, or drop vrrp_strict)", vi.Name)
		}
	}
}
