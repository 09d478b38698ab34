package parser

// validateLVS is what keepalived's checker process does after parsing:
// link groups to their virtual servers (link_vsg_to_vs), then check each
// virtual server and fill in the defaults its real servers inherit
// (validate_check_config), dropping what keepalived drops.
func validateLVS(d *decoder) {
	cfg := d.cfg
	kept := cfg.VirtualServers[:0]
	for _, vs := range cfg.VirtualServers {
		if vs.GroupName != "" && !linkGroup(d, vs) {
			continue
		}
		kept = append(kept, vs)
	}
	var valid []*VirtualServer
	for _, vs := range kept {
		if validateVirtualServer(d, vs) {
			valid = append(valid, vs)
		}
	}
	cfg.VirtualServers = valid
	resolveAllCheckers(d)
	lintLVS(d)
}

// checkerSMTPAlertDefault is the global default for smtp_alert in the
// checker: smtp_alert_checker, else smtp_alert. set is false when neither
// is configured.
func checkerSMTPAlertDefault(cfg *Config) (val, set bool) {
	switch g := &cfg.Global; {
	case g.SMTPAlertChecker != nil:
		return *g.SMTPAlertChecker, true
	case g.SMTPAlert != nil:
		return *g.SMTPAlert, true
	}
	return false, false
}

// linkGroup attaches a `virtual_server group NAME` to its group and checks
// their families. keepalived only logs these problems, but still drops the
// virtual server.
func linkGroup(d *decoder, vs *VirtualServer) bool {
	for _, g := range d.cfg.VirtualServerGroups {
		if g.Name == vs.GroupName {
			vs.Group = g
			break
		}
	}
	g := vs.Group
	if g == nil {
		d.logf(vs.Pos, "Virtual server group %s specified but not configured - ignoring virtual server %s", vs.GroupName, vs)
		return false
	}
	groupFamily := ""
	switch {
	case g.haveIPv4 && !g.haveIPv6:
		groupFamily = "inet"
	case g.haveIPv6 && !g.haveIPv4:
		groupFamily = "inet6"
	}
	switch {
	case g.haveIPv4 && g.haveIPv6 && vs.Family != "":
		d.logf(vs.Pos, "%s: virtual server group with IPv4 & IPv6 doesn't match virtual server %s - ignoring", vs.GroupName, vs)
		return false
	case (g.haveIPv4 && vs.Family == "inet6") || (g.haveIPv6 && vs.Family == "inet"):
		d.logf(vs.Pos, "%s: address family doesn't match virtual server %s - ignoring", vs.GroupName, vs)
		return false
	case groupFamily != "":
		vs.Family = groupFamily
	case vs.Family == "" && g.fwmarkNoFamily:
		d.logf(vs.Pos, "%s: Virtual server %s address family cannot be determined, defaulting to IPv4", vs.GroupName, vs)
	}
	return true
}

// validateVirtualServer applies validate_check_config's rules to one virtual
// server, in keepalived's order (the identity in messages shows the
// protocol as it is at that moment). It reports whether the server stays.
func validateVirtualServer(d *decoder, vs *VirtualServer) bool {
	at := vs.Pos
	if len(vs.RealServers) == 0 {
		d.errorf(at, ClassGeneral, "Virtual server %s has no real servers - ignoring", vs)
		return false
	}
	g := vs.Group
	// keepalived tests the mark's value, so `fwmark 0` is handled as an
	// address service.
	fwmark := g == nil && vs.HasFWMark && vs.FWMark != 0

	if vs.HASuspend && (fwmark || (g != nil && g.HasFWMarks())) {
		d.errorf(at, ClassGeneral, "Virtual server %s: cannot use ha_suspend with fwmarks - clearing ha_suspend", vs)
		vs.HASuspend = false
	}
	if (g != nil && g.HasAddresses()) || (g == nil && !fwmark) {
		if vs.Protocol == ProtoNone {
			d.errorf(at, ClassGeneral, "Virtual server %s: no protocol set - defaulting to UDP", vs)
			vs.Protocol = ProtoUDP
		}
		if vs.Flags&SvcOnePacket != 0 && vs.Protocol != ProtoUDP {
			d.errorf(at, ClassGeneral, "Virtual server %s: one packet scheduling requires UDP - resetting", vs)
			vs.Flags &^= SvcOnePacket
		}
		if vs.PersistenceTimeout == 0 && g == nil && vs.Port == 0 {
			d.errorf(at, ClassGeneral, "Virtual server %s: zero port only valid for persistent services - setting", vs)
			vs.PersistenceTimeout = defaultPersistence
		}
	}
	if vs.PersistenceTimeout == 0 && g != nil {
		for _, e := range g.Entries {
			if !e.FWMark && e.Port == 0 {
				d.errorf(at, ClassGeneral, "Virtual server %s: zero port only valid for persistent services - setting", vs)
				vs.PersistenceTimeout = defaultPersistence
				break
			}
		}
	}
	if vs.Protocol != ProtoNone && ((g != nil && !g.HasAddresses() && g.HasFWMarks()) || fwmark) {
		d.errorf(at, ClassGeneral, "Warning: Virtual server %s: protocol specified for fwmark - protocol will be ignored", vs)
		vs.Protocol = ProtoNone
	}
	if vs.Scheduler == "" {
		d.errorf(at, ClassGeneral, "Virtual server %s: no scheduler set, setting default 'wlc'", vs)
		vs.Scheduler = "wlc"
	}
	if !vs.SMTPAlertSet {
		vs.SMTPAlert, _ = checkerSMTPAlertDefault(d.cfg)
	}

	validateRealServers(d, vs)

	if ss := vs.SorryServer; ss != nil && ss.Forwarding.Method == "" {
		defaultForwarding(d, vs)
		ss.Forwarding = vs.Forwarding
	}
	checkQuorum(d, vs)
	if g != nil {
		checkGroupPorts(d, vs)
	} else {
		fixServerPorts(d, vs, fwmark)
	}
	return true
}

func defaultForwarding(d *decoder, vs *VirtualServer) {
	if vs.Forwarding.Method == "" {
		d.errorf(vs.Pos, ClassGeneral, "Virtual server %s: no forwarding method set, setting default NAT", vs)
		vs.Forwarding = Forwarding{Method: "NAT"}
	}
}

// validateRealServers drops duplicates and gives each real server the
// virtual server's values for whatever it did not set.
func validateRealServers(d *decoder, vs *VirtualServer) {
	kept := make([]*RealServer, 0, len(vs.RealServers))
	for _, rs := range vs.RealServers {
		if duplicateRS(kept, rs) {
			d.errorf(rs.Pos, ClassGeneral, "VS %s: real server %s is duplicated - removing second rs", vs, fmtRS(rs.Addr, rs.Port, vs))
			continue
		}
		kept = append(kept, rs)
		if rs.Forwarding.Method == "" {
			defaultForwarding(d, vs)
			rs.Forwarding = vs.Forwarding
		}
		inheritFromVS(d, rs, vs)
		if ss := vs.SorryServer; ss != nil && ss.Addr == rs.Addr && ss.Port == rs.Port {
			if ss.Inhibit != rs.Inhibit {
				verb := "clear"
				if rs.Inhibit {
					verb = "sett"
				}
				d.errorf(rs.Pos, ClassGeneral, "Virtual server %s: real server %s matches sorry server, but inhibit setting differs, %sing on sorry server",
					vs, fmtRS(rs.Addr, rs.Port, vs), verb)
				ss.Inhibit = rs.Inhibit
			}
			ss.DuplicatesRS = true
		}
	}
	vs.RealServers = kept
}

func duplicateRS(earlier []*RealServer, rs *RealServer) bool {
	for _, o := range earlier {
		if o.Addr == rs.Addr && o.Port == rs.Port {
			return true
		}
	}
	return false
}

func inheritFromVS(d *decoder, rs *RealServer, vs *VirtualServer) {
	if !rs.AlphaSet {
		rs.Alpha = vs.Alpha
	}
	if !rs.InhibitSet {
		rs.Inhibit = vs.Inhibit
	}
	if !rs.RetrySet {
		rs.Retry, rs.RetrySet = vs.Retry, vs.RetrySet
	}
	if !rs.connectTimeoutSet {
		rs.ConnectTimeout = vs.ConnectTimeout
	}
	if !rs.delayLoopSet {
		rs.DelayLoop = vs.DelayLoop
	}
	if !rs.WarmupSet {
		rs.Warmup, rs.WarmupSet = vs.Warmup, vs.WarmupSet
	}
	if !rs.DelayBeforeRetrySet {
		rs.DelayBeforeRetry, rs.DelayBeforeRetrySet = vs.DelayBeforeRetry, vs.DelayBeforeRetrySet
	}
	if !rs.WeightSet {
		rs.Weight = vs.Weight
	}
	if !rs.SMTPAlertSet {
		// On by default for real servers, unlike everything else, as
		// keepalived keeps it for compatibility.
		rs.SMTPAlert = true
		if v, set := checkerSMTPAlertDefault(d.cfg); set {
			rs.SMTPAlert = v
		}
	}
}

// checkQuorum caps the quorum at the total real server weight and the
// hysteresis below the quorum. keepalived sums in 32 bits and computes
// quorum-1 unsigned; both wrap-arounds are kept.
func checkQuorum(d *decoder, vs *VirtualServer) {
	var sum uint32
	for _, rs := range vs.RealServers {
		sum += rs.Weight
	}
	if vs.Quorum > sum {
		d.errorf(vs.Pos, ClassGeneral, "Warning - quorum %d for %s exceeds total weight of real servers %d, reducing quorum to %d", vs.Quorum, vs, sum, sum)
		vs.Quorum = sum
	}
	if vs.Hysteresis >= vs.Quorum {
		d.errorf(vs.Pos, ClassGeneral, "Virtual server %s: hysteresis %d >= quorum %d; setting hysteresis to %d", vs, vs.Hysteresis, vs.Quorum, vs.Quorum-1)
		vs.Hysteresis = vs.Quorum - 1
	}
}

// checkGroupPorts only warns: a group's ports are applied per entry when
// the services are built.
func checkGroupPorts(d *decoder, vs *VirtualServer) {
	g, ss := vs.Group, vs.SorryServer
	if g.HasFWMarks() {
		for _, rs := range vs.RealServers {
			if rs.Forwarding.Method != "NAT" && rs.Port != 0 {
				d.errorf(rs.Pos, ClassGeneral, "WARNING - fwmark virtual server %s, real server %s has port specified - port will be ignored", vs, fmtRS(rs.Addr, rs.Port, vs))
			}
		}
		if ss != nil && ss.Forwarding.Method != "NAT" && ss.Port != 0 {
			d.errorf(ss.Pos, ClassGeneral, "WARNING - fwmark virtual server %s, sorry server has port specified - port will be ignored", vs)
		}
	}
	for _, e := range g.Entries {
		if e.FWMark {
			continue
		}
		for _, rs := range vs.RealServers {
			if rs.Forwarding.Method != "NAT" && rs.Port != 0 && rs.Port != e.Port {
				d.errorf(rs.Pos, ClassGeneral, "virtual server %s:[%s] and real server %s ports don't match", vs, fmtVSGEntry(e), fmtRS(rs.Addr, rs.Port, vs))
			}
		}
		if ss != nil && ss.Forwarding.Method != "NAT" && ss.Port != 0 && ss.Port != e.Port {
			d.errorf(ss.Pos, ClassGeneral, "WARNING - virtual server %s, sorry server has port specified - port will be ignored", vs)
		}
	}
}

// fixServerPorts applies keepalived's port rules for address and fwmark
// services: NAT servers without a port take the service's; DR/TUN servers
// are forced to the service's port (0 for fwmark services).
func fixServerPorts(d *decoder, vs *VirtualServer, fwmark bool) {
	for _, rs := range vs.RealServers {
		switch {
		case rs.Forwarding.Method == "NAT":
			if !fwmark && rs.Port == 0 {
				rs.Port = vs.Port
			}
		case fwmark:
			if rs.Port != 0 {
				d.errorf(rs.Pos, ClassGeneral, "WARNING - fwmark virtual server %s, real server %s has port specified - clearing", vs, fmtRS(rs.Addr, rs.Port, vs))
				rs.Port = 0
			}
		case rs.Port == 0:
			rs.Port = vs.Port
		case rs.Port != vs.Port:
			d.errorf(rs.Pos, ClassGeneral, "WARNING - virtual server %s and real server %s ports don't match - resetting", vs, fmtRS(rs.Addr, rs.Port, vs))
			rs.Port = vs.Port
		}
	}
	ss := vs.SorryServer
	if ss == nil || ss.Forwarding.Method == "NAT" {
		return
	}
	switch {
	case fwmark:
		if ss.Port != 0 {
			d.errorf(ss.Pos, ClassGeneral, "WARNING - virtual server %s, sorry server has port specified - clearing", vs)
			ss.Port = 0
		}
	case ss.Port == 0:
		ss.Port = vs.Port
	case ss.Port != vs.Port:
		d.errorf(ss.Pos, ClassGeneral, "WARNING - virtual server %s and sorry server ports don't match - resetting", vs)
		ss.Port = vs.Port
	}
}
