package parser

// resolveAllCheckers completes every checker from its real server (which
// validateVirtualServer has already given its effective values) and runs the
// checks keepalived makes once inherited settings are known.
func resolveAllCheckers(d *decoder) {
	for _, vs := range d.cfg.VirtualServers {
		for _, rs := range vs.RealServers {
			in := checkerInherit{
				Addr: rs.Addr, Port: rs.Port, Alpha: rs.Alpha,
				ConnectTimeout: rs.ConnectTimeout, DelayLoop: rs.DelayLoop,
				Retry: rs.Retry, RetrySet: rs.RetrySet,
				Warmup: rs.Warmup, WarmupSet: rs.WarmupSet,
				DelayBeforeRetry: rs.DelayBeforeRetry, DelayBeforeRetrySet: rs.DelayBeforeRetrySet,
			}
			for _, c := range rs.Checkers {
				resolveCheckerDefaults(c, in)
				if c.Misc != nil {
					c.Misc.Timeout = resolveMiscTimeout(c.Misc, vs.DelayLoop)
				}
			}
			rs.Checkers = validateCheckers(d, rs.Checkers)
		}
	}
}
