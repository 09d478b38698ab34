package parser

import "math"

// rsOwnKeywords are real_server's own keywords; rsKeywords adds the checker
// blocks, which the checker files define.
var rsOwnKeywords = table[RealServer]{
	"weight":     {handle: rsWeight},
	"lvs_method": {handle: rsMethod},
	"uthreshold": {handle: func(s *stmt, rs *RealServer) { rsThreshold(s, &rs.UThreshold, "uthreshold") }},
	"lthreshold": {handle: func(s *stmt, rs *RealServer) { rsThreshold(s, &rs.LThreshold, "lthreshold") }},
	"inhibit_on_failure": {handle: func(s *stmt, rs *RealServer) {
		rsBool(s, &rs.Inhibit, &rs.InhibitSet, "Invalid inhibit_on_failure parameter %s")
	}},
	"notify_up":          {handle: func(s *stmt, rs *RealServer) { notifyScript(s, &rs.NotifyUp, rs.vs, "notify_up") }},
	"notify_down":        {handle: func(s *stmt, rs *RealServer) { notifyScript(s, &rs.NotifyDown, rs.vs, "notify_down") }},
	"alpha":              {handle: func(s *stmt, rs *RealServer) { rsBool(s, &rs.Alpha, &rs.AlphaSet, "Invalid alpha parameter %s") }},
	"retry":              {handle: func(s *stmt, rs *RealServer) { timingRetry(s, &rs.Timing) }},
	"delay_before_retry": {handle: func(s *stmt, rs *RealServer) { timingDelayBeforeRetry(s, &rs.Timing, "real server delay_before_retry") }},
	"warmup":             {handle: func(s *stmt, rs *RealServer) { timingWarmup(s, &rs.Timing, "real server") }},
	"connect_timeout":    {handle: func(s *stmt, rs *RealServer) { timingConnectTimeout(s, &rs.Timing, "real server") }},
	"delay_loop":         {handle: func(s *stmt, rs *RealServer) { timingDelayLoop(s, &rs.Timing, "real server delay_loop") }},
	"smtp_alert": {handle: func(s *stmt, rs *RealServer) {
		rsBool(s, &rs.SMTPAlert, &rs.SMTPAlertSet, "Invalid real_server smtp_alert parameter %s")
	}},
	"virtualhost": {handle: rsVirtualHost},
	"snmp_name":   {handle: func(s *stmt, rs *RealServer) { snmpName(s, &rs.SNMPName, "real server") }},
}

var rsKeywords = mergeTables(rsOwnKeywords, checkerBlockKeywords)

// decodeRealServer reads `real_server IP [PORT] { ... }`. An invalid address
// skips the block. The server starts with the virtual server's forwarding
// method as it stands at this line; later lb_kind lines do not reach it.
func decodeRealServer(s *stmt, vs *VirtualServer) {
	ip, ok := s.Need(1)
	if !ok {
		return
	}
	addr, port, ok := s.sockAddr(1, 2)
	if !ok {
		portText, present := s.Arg(2)
		if !present {
			portText = "(null)"
		}
		s.Errorf(ClassGeneral, "Invalid real server ip address/port %s/%s - skipping", ip, portText)
		return
	}
	rs := &RealServer{Pos: s.Pos(), Addr: addr, Port: port, Forwarding: vs.Forwarding, vs: vs}
	vs.RealServers = append(vs.RealServers, rs)
	decodeBlock(s.d, s.Body(), rsKeywords, rs)

	// Tunnelled servers may differ in family from the virtual server.
	if rs.Forwarding.Tunnelled() {
		return
	}
	switch fam := familyOf(rs.Addr); {
	case vs.Family == "":
		vs.Family = fam
	case vs.Family != fam:
		s.Errorf(ClassGeneral, "Address family of virtual server and real server %s don't match - skipping real server.", rs.Addr)
		vs.RealServers = vs.RealServers[:len(vs.RealServers)-1]
	}
}

func rsWeight(s *stmt, rs *RealServer) {
	if v, ok := s.uintArg(0, ipvsWeightLimit, "Real server weight %s is outside range 0-%d"); ok {
		rs.Weight, rs.WeightSet = uint32(v), true
	}
}

func rsMethod(s *stmt, rs *RealServer) {
	if s.forwarding(&rs.Forwarding, "real") {
		rs.ForwardingSet = true
	}
}

func rsThreshold(s *stmt, dst *uint32, kw string) {
	text, ok := s.Need(1)
	if !ok {
		return
	}
	v, ok := s.parseUint(1, text, 0, math.MaxUint32, 10)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "Invalid real_server %s '%s' - ignoring", kw, text)
		return
	}
	*dst = uint32(v)
}

func rsBool(s *stmt, dst, set *bool, format string) {
	v, ok := s.boolAt(format)
	if !ok {
		return
	}
	*dst, *set = v, true
}

func rsVirtualHost(s *stmt, rs *RealServer) {
	if v, ok := s.argOr("real server virtualhost missing"); ok {
		rs.VirtualHost = v
	}
}
