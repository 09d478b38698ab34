package parser

// validateCheckers makes the checks keepalived makes on a real server's
// checkers once their inherited settings are known, and returns the
// checkers that survive. Call it after resolveCheckerDefaults. Everything
// keepalived checks while reading a checker block (no urls, url without
// path, no misc_path, unknown track_file or bfd_instance, bad numbers...)
// is reported while decoding, as keepalived does.
func validateCheckers(d *decoder, checkers []*Checker) []*Checker {
	out := checkers[:0:0]
	for _, c := range checkers {
		// A destination taken from the real server's address: the block-end
		// check only saw connect_ip.
		if c.Conn != nil && !c.Conn.ConnectIP.IsValid() && c.Conn.Dest.IsValid() &&
			linkLocalNeedsBindIf(d, c.Pos, c.Conn.Dest.Addr(), c.Conn.BindIf) {
			continue
		}
		if c.Conn != nil && c.Conn.BindTo.IsValid() && c.Conn.Dest.IsValid() &&
			c.Conn.BindTo.Is4() != c.Conn.Dest.Addr().Is4() {
			d.lintf(c.Pos, "%s: bindto %s and destination %s are of different address families; the checker cannot connect",
				c.Type, c.Conn.BindTo, c.Conn.Dest.Addr())
		}
		out = append(out, c)
	}
	return out
}
