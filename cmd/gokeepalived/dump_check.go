package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// checkSnapshot is what the checker child dumps on SIGUSR1
// (keepalived_check.data) and what its metrics show.
type checkSnapshot struct {
	Globals        dumpGlobals
	VirtualServers []dumpVirtualServer
}

// dumpVirtualServer is a virtual_server with its running state.
type dumpVirtualServer struct {
	Group     string // virtual_server group NAME
	FWMark    uint32
	Addr      netip.Addr
	Port      uint16
	Protocol  string // "TCP", "UDP", "SCTP" or "" (none)
	Family    int    // 4, 6 or 0 (a group with both)
	VirtHost  string
	Scheduler string
	Flags     uint32 // IP_VS_SVC_F_* from the configuration
	// ConnectTimeout and DelayLoop are the virtual server's defaults.
	ConnectTimeout  time.Duration
	DelayLoop       time.Duration
	PersistTimeout  uint32
	PersistGranular uint32 // 0xffffffff: unset
	Alpha, Omega    bool
	Retry           int           // -1: unset
	RetryDelay      time.Duration // -1: unset
	Warmup          time.Duration // -1: unset
	Inhibit         bool
	Quorum          uint32
	Hysteresis      uint32
	QuorumUp        *dumpNotifyScript
	QuorumDown      *dumpNotifyScript
	HASuspend       bool
	SMTPAlert       bool
	Forwarding      string // NAT, DR, TUN
	Sorry           *dumpRealServer
	// SorryDuplicatesRS: a real server has the sorry server's address.
	SorryDuplicatesRS bool

	// running state
	Alive         bool
	QuorumStateUp bool
	Reloaded      bool
	RealServers   []dumpRealServer
	// IPVS is the kernel's service counters, when known.
	IPVS *dumpIPVSStats
}

// dumpRealServer is a real_server with its running state and checkers.
type dumpRealServer struct {
	Addr           netip.Addr
	Port           uint16
	Weight         int // configured (initial) weight
	Forwarding     string
	Alpha          bool
	ConnectTimeout time.Duration
	DelayLoop      time.Duration
	Retry          int           // -1: unset
	RetryDelay     time.Duration // -1: unset
	Warmup         time.Duration // -1: unset
	Inhibit        bool
	UThreshold     uint32
	LThreshold     uint32
	NotifyUp       *dumpNotifyScript
	NotifyDown     *dumpNotifyScript
	VirtHost       string
	SMTPAlert      bool

	// running state
	EffectiveWeight     int64
	PrevEffectiveWeight int64
	Alive               bool
	FailedCheckers      int
	Set                 bool // in the IPVS table
	Reloaded            bool
	Checkers            []dumpChecker
	IPVS                *dumpIPVSStats
}

// dumpChecker is one health checker of a real server.
type dumpChecker struct {
	Type           string // TCP_CHECK, HTTP_GET, ...
	Enabled        bool
	Up             bool
	HasRun         bool
	CurWeight      int
	Alpha          bool
	DelayLoop      time.Duration
	Warmup         time.Duration
	Retry          int
	RetryDelay     time.Duration
	RetryIt        int
	LogAllFailures bool

	// metrics only
	Checks       uint64        // checks completed
	Failures     uint64        // checks that failed
	LastDuration time.Duration // duration of the last check
	DurationSum  time.Duration // total duration of the Checks
}

// dumpIPVSStats are an IPVS service's or destination's kernel counters.
type dumpIPVSStats struct {
	Connections, InPackets, OutPackets, InBytes, OutBytes uint64
	ActiveConns, InactiveConns                            uint64 // destinations only
}

const unsetDuration = time.Duration(-1)

// checkSnapshotFromConfig fills the configured part; the checker engine
// sets the running fields.
func checkSnapshotFromConfig(cfg *parser.Config) checkSnapshot {
	snap := checkSnapshot{Globals: dumpGlobalsFromConfig(cfg)}
	for _, vs := range cfg.VirtualServers {
		d := dumpVirtualServer{
			Group: vs.GroupName, Addr: vs.Addr, Port: vs.Port, Protocol: protocolName(vs.Protocol),
			VirtHost: vs.VirtualHost, Scheduler: vs.Scheduler, Flags: vs.Flags,
			ConnectTimeout: micros(vs.ConnectTimeout), DelayLoop: micros(vs.DelayLoop),
			PersistTimeout: vs.PersistenceTimeout, PersistGranular: vs.PersistenceGranularity,
			Alpha: vs.Alpha, Omega: vs.Omega, Retry: -1, RetryDelay: unsetDuration, Warmup: unsetDuration,
			Quorum: vs.Quorum, Hysteresis: vs.Hysteresis, HASuspend: vs.HASuspend,
			Forwarding: vs.Forwarding.Method,
		}
		if vs.HasFWMark {
			d.FWMark = vs.FWMark
		}
		switch {
		case vs.Family == "inet6" || vs.Addr.Is6():
			d.Family = 6
		case vs.Family == "inet" || vs.Addr.Is4():
			d.Family = 4
		}
		if vs.RetrySet {
			d.Retry = int(vs.Retry)
		}
		if vs.DelayBeforeRetrySet {
			d.RetryDelay = micros(vs.DelayBeforeRetry)
		}
		if vs.WarmupSet {
			d.Warmup = micros(vs.Warmup)
		}
		d.QuorumUp = notifyOf(vs.QuorumUp, "")
		d.QuorumDown = notifyOf(vs.QuorumDown, "")
		for _, rs := range vs.RealServers {
			d.RealServers = append(d.RealServers, realServerFromConfig(rs))
		}
		if vs.SorryServer != nil {
			s := dumpRealServer{Addr: vs.SorryServer.Addr, Port: vs.SorryServer.Port,
				Forwarding: vs.SorryServer.Forwarding.Method, Inhibit: vs.SorryServer.Inhibit}
			d.Sorry = &s
			d.SorryDuplicatesRS = vs.SorryServer.DuplicatesRS
		}
		snap.VirtualServers = append(snap.VirtualServers, d)
	}
	return snap
}

func realServerFromConfig(rs *parser.RealServer) dumpRealServer {
	d := dumpRealServer{
		Addr: rs.Addr, Port: rs.Port, Weight: int(rs.Weight), Forwarding: rs.Forwarding.Method,
		Alpha: rs.Alpha, ConnectTimeout: micros(rs.ConnectTimeout), DelayLoop: micros(rs.DelayLoop),
		Retry: -1, RetryDelay: unsetDuration, Warmup: unsetDuration, Inhibit: rs.Inhibit,
		UThreshold: rs.UThreshold, LThreshold: rs.LThreshold, VirtHost: rs.VirtualHost, SMTPAlert: rs.SMTPAlert,
		EffectiveWeight: int64(rs.Weight), PrevEffectiveWeight: int64(rs.Weight),
	}
	if rs.RetrySet {
		d.Retry = int(rs.Retry)
	}
	if rs.DelayBeforeRetrySet {
		d.RetryDelay = micros(rs.DelayBeforeRetry)
	}
	if rs.WarmupSet {
		d.Warmup = micros(rs.Warmup)
	}
	d.NotifyUp = notifyOf(rs.NotifyUp, "")
	d.NotifyDown = notifyOf(rs.NotifyDown, "")
	for _, c := range rs.Checkers {
		dc := dumpChecker{
			Type: c.Type, Enabled: true, Alpha: c.Alpha, DelayLoop: micros(c.DelayLoop),
			Warmup: micros(c.Warmup), Retry: int(c.Retry), RetryDelay: micros(c.DelayBeforeRetry),
			LogAllFailures: c.LogAllFailures,
		}
		d.Checkers = append(d.Checkers, dc)
	}
	return d
}

func notifyOf(s *parser.Script, kind string) *dumpNotifyScript {
	if s == nil {
		return nil
	}
	return &dumpNotifyScript{Kind: kind, Cmd: scriptCmd(s), UID: s.UID, GID: s.GID}
}

func protocolName(p parser.Protocol) string {
	switch strings.ToUpper(p.String()) {
	case "TCP":
		return "TCP"
	case "UDP":
		return "UDP"
	case "SCTP":
		return "SCTP"
	}
	return ""
}

func protoLower(p string) string {
	if p == "" {
		return "none"
	}
	return strings.ToLower(p)
}

// trio is keepalived's inet_sockaddrtotrio: [addr]:proto:port.
func trio(a netip.Addr, proto string, port uint16) string {
	return fmt.Sprintf("[%s]:%s:%d", a, protoLower(proto), port)
}

// name is keepalived's FMT_VS.
func (vs dumpVirtualServer) name() string {
	switch {
	case vs.Group != "":
		return fmt.Sprintf("[%s]:%d", vs.Group, vs.Port)
	case vs.FWMark != 0:
		return fmt.Sprintf("FWM %d", vs.FWMark)
	}
	return trio(vs.Addr, vs.Protocol, vs.Port)
}

// decimal6 is keepalived's format_decimal with 6 places: µs as seconds.
func decimal6(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d.%06d", us/1000000, us%1000000)
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// IPVS service flags (linux/ip_vs.h).
const (
	ipvsSvcPersistent = 0x0001
	ipvsSvcHashed     = 0x0002
	ipvsSvcOnePacket  = 0x0004
	ipvsSvcSched1     = 0x0008
	ipvsSvcSched2     = 0x0010
	ipvsSvcSched3     = 0x0020
)

func writeForwarding(line lineFunc, prefix, method string) {
	switch method {
	case "NAT", "DR":
		line("   %sforwarding method = %s", prefix, method)
	case "TUN":
		// our IPVS driver uses IPIP tunnels, as keepalived's default
		line("   %sforwarding method = TUN, type = IPIP", prefix)
	default:
		line("   forwarding method =  0x0")
	}
}

// writeCheckData writes keepalived_check.data as keepalived 2.2.7's
// checker process does on SIGUSR1: global definitions, LVS topology
// (virtual and real servers), health checkers.
func writeCheckData(w io.Writer, snap checkSnapshot) error {
	bw := bufio.NewWriter(w)
	writeGlobalLines(bw, snap.Globals, dumpCheckerChild)
	line := func(format string, a ...any) { fmt.Fprintf(bw, format+"\n", a...) }
	if len(snap.VirtualServers) > 0 {
		line("------< LVS Topology >------")
		line(" System is compiled with LVS v1.2.1")
		for _, vs := range snap.VirtualServers {
			writeVirtualServer(line, vs)
		}
	}
	var any bool
	for _, vs := range snap.VirtualServers {
		for _, rs := range vs.RealServers {
			for _, c := range rs.Checkers {
				if !any {
					line("------< Health checkers >------")
					any = true
				}
				writeChecker(line, vs, rs, c)
			}
		}
	}
	return bw.Flush()
}

func writeVirtualServer(line lineFunc, vs dumpVirtualServer) {
	line(" ------< Virtual server >------")
	switch {
	case vs.Group != "":
		line(" VS GROUP = %s", vs.name())
	case vs.FWMark != 0:
		line(" VS FWMARK = %d", vs.FWMark)
	default:
		line(" VS VIP = %s, VPORT = %d", vs.Addr, vs.Port)
	}
	if vs.VirtHost != "" {
		line("   VirtualHost = %s", vs.VirtHost)
	}
	switch vs.Family {
	case 4:
		line("   Address family = inet")
	case 6:
		line("   Address family = inet6")
	default:
		line("   Address family = unknown")
	}
	line("   connection timeout = %s", decimal6(vs.ConnectTimeout))
	line("   delay_loop = %s", decimal6(vs.DelayLoop))
	line("   lvs_sched = %s", vs.Scheduler)
	line("   Hashed = %sabled", enDisShort(vs.Flags&ipvsSvcHashed != 0))
	switch vs.Scheduler {
	case "sh":
		line("   sh-port = %sabled", enDisShort(vs.Flags&ipvsSvcSched2 != 0))
		line("   sh-fallback = %sabled", enDisShort(vs.Flags&ipvsSvcSched1 != 0))
	case "mh":
		line("   mh-port = %sabled", enDisShort(vs.Flags&ipvsSvcSched2 != 0))
		line("   mh-fallback = %sabled", enDisShort(vs.Flags&ipvsSvcSched1 != 0))
	default:
		line("   flag-1 = %sabled", enDisShort(vs.Flags&ipvsSvcSched1 != 0))
		line("   flag-2 = %sabled", enDisShort(vs.Flags&ipvsSvcSched2 != 0))
		line("   flag-3 = %sabled", enDisShort(vs.Flags&ipvsSvcSched3 != 0))
	}
	one := vs.Flags&ipvsSvcOnePacket != 0
	inactive := ""
	if one && vs.Protocol != "UDP" {
		inactive = " (inactive due to not UDP)"
	}
	line("   One packet scheduling = %sabled%s", enDisShort(one), inactive)
	if vs.PersistTimeout != 0 {
		line("   persistence timeout = %d", vs.PersistTimeout)
	}
	if vs.PersistGranular != 0xffffffff && vs.PersistGranular != 0 {
		if vs.Family == 6 {
			line("   persistence granularity = %d", vs.PersistGranular)
		} else {
			g := vs.PersistGranular
			line("   persistence granularity = %s", netip.AddrFrom4([4]byte{byte(g >> 24), byte(g >> 16), byte(g >> 8), byte(g)}))
		}
	}
	if vs.Protocol == "" {
		line("   protocol = none")
	} else {
		line("   protocol = %s", vs.Protocol)
	}
	line("   alpha is %s", onOff(vs.Alpha))
	line("   omega is %s", onOff(vs.Omega))
	writeRetry(line, vs.Retry, vs.RetryDelay, vs.Warmup)
	line("   Inhibit on failure is %s", onOff(vs.Inhibit))
	line("   quorum = %d, hysteresis = %d", vs.Quorum, vs.Hysteresis)
	if s := vs.QuorumUp; s != nil {
		line("   Quorum up notify script = %s, uid:gid %d:%d", s.Cmd, s.UID, s.GID)
	}
	if s := vs.QuorumDown; s != nil {
		line("   Quorum down notify script = %s, uid:gid %d:%d", s.Cmd, s.UID, s.GID)
	}
	if vs.HASuspend {
		line("   Using HA suspend")
	}
	line("   Using smtp notification = %s", yesNo(vs.SMTPAlert))
	writeForwarding(line, "default ", vs.Forwarding)
	if s := vs.Sorry; s != nil {
		dup := ""
		if vs.SorryDuplicatesRS {
			dup = "(duplicates rs) "
		}
		line("   sorry server %s= %s", dup, trio(s.Addr, vs.Protocol, s.Port))
		writeForwarding(line, "  ", s.Forwarding)
		line("     Inhibit on failure is %s", onOff(s.Inhibit))
	}
	line("   alive = %d", b01(vs.Alive))
	line("   quorum_state_up = %d", b01(vs.QuorumStateUp))
	line("   reloaded = %d", b01(vs.Reloaded))
	for _, rs := range vs.RealServers {
		writeRealServer(line, rs)
	}
}

func enDisShort(b bool) string {
	if b {
		return "en"
	}
	return "dis"
}

func writeRetry(line lineFunc, retry int, delay, warmup time.Duration) {
	if retry >= 0 {
		line("   Retry count = %d", retry)
	}
	if delay >= 0 {
		line("   Retry delay = %s", decimal6(delay))
	}
	if warmup >= 0 {
		line("   Warmup = %s", decimal6(warmup))
	}
}

// realWeight is keepalived's real_weight: the effective weight clamped to
// what IPVS takes.
func realWeight(w int64) int64 {
	switch {
	case w < 0:
		return 0
	case w > 65535:
		return 65535
	}
	return w
}

func writeRealServer(line lineFunc, rs dumpRealServer) {
	line("   ------< Real server >------")
	line("   RIP = %s, RPORT = %d, WEIGHT = %d EFF WEIGHT = %d", rs.Addr, rs.Port, realWeight(rs.EffectiveWeight), rs.EffectiveWeight)
	writeForwarding(line, "", rs.Forwarding)
	line("   Alpha is %s", onOff(rs.Alpha))
	line("   connection timeout = %s", decimal6(rs.ConnectTimeout))
	line("   connection limit range = %d -> %d", rs.LThreshold, rs.UThreshold)
	line("   Delay loop = %s", decimal6(rs.DelayLoop))
	writeRetry(line, rs.Retry, rs.RetryDelay, rs.Warmup)
	line("   Inhibit on failure is %s", onOff(rs.Inhibit))
	if s := rs.NotifyUp; s != nil {
		line("     RS up notify script = %s, uid:gid %d:%d", s.Cmd, s.UID, s.GID)
	}
	if s := rs.NotifyDown; s != nil {
		line("     RS down notify script = %s, uid:gid %d:%d", s.Cmd, s.UID, s.GID)
	}
	if rs.VirtHost != "" {
		line("    VirtualHost = '%s'", rs.VirtHost)
	}
	line("   Using smtp notification = %s", yesNo(rs.SMTPAlert))
	line("   initial weight = %d", rs.Weight)
	line("   effective weight = %d", rs.EffectiveWeight)
	line("   previous effective_weight = %d", rs.PrevEffectiveWeight)
	line("   alive = %d", b01(rs.Alive))
	line("   num failed checkers = %d", rs.FailedCheckers)
	line("   RS set = %d", b01(rs.Set))
	line("   reloaded = %d", b01(rs.Reloaded))
}

func writeChecker(line lineFunc, vs dumpVirtualServer, rs dumpRealServer, c dumpChecker) {
	line(" %s -> %s", vs.name(), trio(rs.Addr, vs.Protocol, rs.Port))
	line("   Enabled = %s", yesNo(c.Enabled))
	line("   Up = %s", yesNo(c.Up))
	line("   Has run = %s", yesNo(c.HasRun))
	line("   Current weight = %d", c.CurWeight)
	if c.Type != "FILE_CHECK" {
		line("   Alpha = %s", yesNo(c.Alpha))
		line("   Delay loop = %d us", c.DelayLoop.Microseconds())
		line("   Warmup = %d us", c.Warmup.Microseconds())
		line("   Retries = %d", c.Retry)
		if c.Retry != 0 {
			line("   Delay before retry = %d us", c.RetryDelay.Microseconds())
			line("   Retries iterations = %d", c.RetryIt)
		}
		line("   Default delay before retry = %d us", c.RetryDelay.Microseconds())
	}
	line("   Log all failures = %s", yesNo(c.LogAllFailures))
	line("   Keepalive method = %s", c.Type)
}
