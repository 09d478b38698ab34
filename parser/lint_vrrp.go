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

// lintSurplusKeywords spots a keyword that keepalived would swallow as an
// extra argument of another on the same line (`auth_type PASS auth_pass
// 1111`): the second keyword is silently ignored.
func lintSurplusKeywords[T any](d *decoder, nodes []*Node, tbl table[T]) {
	for _, n := range nodes {
		if n.Orphan != nil {
			lintSurplusKeywords(d, n.Orphan.Nodes, tbl)
			continue
		}
		s := d.stmt(n)
		if _, known := tbl[s.Keyword()]; !known {
			continue
		}
		for i := 1; i <= s.NArgs(); i++ {
			w := s.Word(i)
			if w.Quoted || w.Text == s.Keyword() {
				continue
			}
			if kw, ok := tbl[w.Text]; ok && kw.kind == plainKeyword {
				s.d.report(Diagnostic{Pos: w.Pos, Severity: SeverityWarning, Own: true,
					Message: "keyword '" + w.Text + "' is an extra argument of '" + s.Keyword() + "' on the same line and is ignored; put it on a line of its own"})
				break
			}
		}
	}
}
