package parser

import (
	"fmt"
	"net/netip"
)

// SSLContext is the SSL block used by SSL_GET. An empty block still means
// "use an auto-generated context", so the block's presence matters.
type SSLContext struct {
	Pos Pos `json:"pos"`
	// Password is `password`: the private key's pass phrase.
	Password string `json:"password,omitempty"`
	// CAFile is `ca`.
	CAFile string `json:"ca,omitempty"`
	// CertFile is `certificate`.
	CertFile string `json:"certificate,omitempty"`
	// KeyFile is `key`.
	KeyFile string `json:"key,omitempty"`
}

// VirtualServerGroup is a virtual_server_group block.
type VirtualServerGroup struct {
	Name    string     `json:"name"`
	Pos     Pos        `json:"pos"`
	Entries []VSGEntry `json:"entries"`

	haveIPv4, haveIPv6, fwmarkNoFamily bool
}

// HasFWMarks tells whether any entry is a fwmark.
func (g *VirtualServerGroup) HasFWMarks() bool {
	for _, e := range g.Entries {
		if e.FWMark {
			return true
		}
	}
	return false
}

// HasAddresses tells whether any entry is an address or address range.
func (g *VirtualServerGroup) HasAddresses() bool {
	for _, e := range g.Entries {
		if !e.FWMark {
			return true
		}
	}
	return false
}

// VSGEntry is one line of a virtual_server_group: an address range (a single
// address has Start == End) with an optional port, or a fwmark.
type VSGEntry struct {
	Pos    Pos    `json:"pos"`
	FWMark bool   `json:"is_fwmark,omitempty"`
	Mark   uint32 `json:"fwmark,omitempty"`
	// Family is the fwmark entry's `inet`/`inet6`, empty when not given.
	Family string     `json:"family,omitempty"`
	Start  netip.Addr `json:"start,omitempty"`
	End    netip.Addr `json:"end,omitempty"`
	Port   uint16     `json:"port,omitempty"`
}

// Protocol is an IPVS service protocol; zero means none was given.
type Protocol uint8

// IPVS protocols keepalived accepts.
const (
	ProtoNone Protocol = 0
	ProtoTCP  Protocol = 6
	ProtoUDP  Protocol = 17
	ProtoSCTP Protocol = 132
)

// String is the lower-case name keepalived prints in service identities.
func (p Protocol) String() string {
	switch p {
	case ProtoNone:
		return "none"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoSCTP:
		return "sctp"
	}
	return "?"
}

// MarshalText keeps the protocol readable in --format=json.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// IPVS service flags (linux/ip_vs.h) set by virtual_server keywords.
const (
	SvcPersistent = 0x0001
	SvcOnePacket  = 0x0004 // ops
	SvcSched1     = 0x0008 // flag-1, sh-fallback, mh-fallback
	SvcSched2     = 0x0010 // flag-2, sh-port, mh-port
	SvcSched3     = 0x0020 // flag-3
)

// Forwarding is an `lb_kind`/`lvs_method` value with its tunnel options.
type Forwarding struct {
	// Method is NAT, DR or TUN; empty until some keyword sets it.
	Method string `json:"method,omitempty"`
	// TunnelType is ipip, gue or gre (TUN only).
	TunnelType string `json:"tunnel_type,omitempty"`
	// TunnelPort is the gue port.
	TunnelPort uint16 `json:"tunnel_port,omitempty"`
	// Checksum is nocsum, csum or remcsum.
	Checksum string `json:"checksum,omitempty"`
}

// Tunnelled tells whether the method is TUN, for which keepalived lets the
// real server's address family differ from the virtual server's.
func (f Forwarding) Tunnelled() bool { return f.Method == "TUN" }

// Timing holds the checker timing keywords a virtual_server or real_server
// passes down to its checkers. Values marked unset fall through to the next
// level (checker > real_server > virtual_server > checker-type default).
type Timing struct {
	// DelayLoop is `delay_loop`.
	DelayLoop Micros `json:"delay_loop"`
	// ConnectTimeout is `connect_timeout`.
	ConnectTimeout Micros `json:"connect_timeout"`
	// Retry is `retry`, meaningful when RetrySet.
	Retry    uint32 `json:"retry,omitempty"`
	RetrySet bool   `json:"retry_set,omitempty"`
	// DelayBeforeRetry is `delay_before_retry`, meaningful when DelayBeforeRetrySet.
	DelayBeforeRetry    Micros `json:"delay_before_retry,omitempty"`
	DelayBeforeRetrySet bool   `json:"delay_before_retry_set,omitempty"`
	// Warmup is `warmup`, meaningful when WarmupSet.
	Warmup    Micros `json:"warmup,omitempty"`
	WarmupSet bool   `json:"warmup_set,omitempty"`

	delayLoopSet, connectTimeoutSet bool
}

// VirtualServer is a virtual_server block in any of its three forms.
type VirtualServer struct {
	Pos Pos `json:"pos"`
	// Addr and Port identify an address service (`virtual_server IP [PORT]`).
	Addr netip.Addr `json:"address,omitempty"`
	Port uint16     `json:"port,omitempty"`
	// FWMark is set for `virtual_server fwmark N`.
	FWMark    uint32 `json:"fwmark,omitempty"`
	HasFWMark bool   `json:"is_fwmark,omitempty"`
	// GroupName is set for `virtual_server group NAME`; Group is linked by
	// validation.
	GroupName string              `json:"group,omitempty"`
	Group     *VirtualServerGroup `json:"-"`

	// Family is `ip_family` or the family derived from the addresses:
	// "inet", "inet6", or empty while unknown.
	Family string `json:"ip_family,omitempty"`
	// Protocol is `protocol`; validation defaults address services to UDP.
	Protocol Protocol `json:"protocol"`
	// Scheduler is `lb_algo`/`lvs_sched`; validation defaults it to wlc.
	Scheduler string `json:"lb_algo"`
	// Flags are the IPVS service flags from ops, flag-N, sh-*, mh-*.
	Flags uint32 `json:"flags,omitempty"`
	// Forwarding is `lb_kind`/`lvs_method`; validation defaults it to NAT
	// when some server needs it.
	Forwarding Forwarding `json:"lb_kind"`

	// PersistenceTimeout is `persistence_timeout` in seconds (0: none).
	PersistenceTimeout uint32 `json:"persistence_timeout,omitempty"`
	// PersistenceGranularity is `persistence_granularity`: the IPv4 netmask
	// as a number (0xffffff00 for 255.255.255.0) or the IPv6 prefix length;
	// 0xffffffff when not given.
	PersistenceGranularity uint32 `json:"persistence_granularity"`
	// PersistenceEngine is `persistence_engine`.
	PersistenceEngine string `json:"persistence_engine,omitempty"`

	// HASuspend is `ha_suspend`.
	HASuspend bool `json:"ha_suspend,omitempty"`
	// VirtualHost is `virtualhost`, the default Host for HTTP checkers.
	VirtualHost string `json:"virtualhost,omitempty"`
	// Alpha is `alpha`.
	Alpha bool `json:"alpha,omitempty"`
	// Omega is `omega`.
	Omega bool `json:"omega,omitempty"`
	// Quorum is `quorum` (default 1); Hysteresis is `hysteresis`.
	Quorum     uint32 `json:"quorum"`
	Hysteresis uint32 `json:"hysteresis"`
	// QuorumUp and QuorumDown are the `quorum_up`/`quorum_down` scripts.
	QuorumUp   *Script `json:"quorum_up,omitempty"`
	QuorumDown *Script `json:"quorum_down,omitempty"`
	// Weight is `weight`, the default real server weight.
	Weight uint32 `json:"weight"`
	// Inhibit is `inhibit_on_failure`, the real servers' default.
	Inhibit bool `json:"inhibit_on_failure,omitempty"`
	// SMTPAlert is `smtp_alert`, resolved against the globals by validation.
	SMTPAlert    bool `json:"smtp_alert"`
	SMTPAlertSet bool `json:"-"`
	// SNMPName is `snmp_name`.
	SNMPName string `json:"snmp_name,omitempty"`
	Timing

	// SorryServer is `sorry_server` with its `sorry_server_*` settings.
	SorryServer *SorryServer  `json:"sorry_server,omitempty"`
	RealServers []*RealServer `json:"real_servers"`
}

// SorryServer is the server IPVS uses when a virtual server loses quorum.
type SorryServer struct {
	Pos  Pos        `json:"pos"`
	Addr netip.Addr `json:"address"`
	Port uint16     `json:"port,omitempty"`
	// Forwarding is `sorry_server_lvs_method`, else the virtual server's.
	Forwarding Forwarding `json:"lvs_method"`
	// Inhibit is `sorry_server_inhibit`.
	Inhibit bool `json:"inhibit,omitempty"`
	// DuplicatesRS is set by validation when a real server has the same
	// address and port, so IPVS must not lose it when the sorry server goes.
	DuplicatesRS bool `json:"duplicates_real_server,omitempty"`
}

// RealServer is a real_server block. After validation every inheritable
// setting holds its effective value.
type RealServer struct {
	Pos  Pos        `json:"pos"`
	Addr netip.Addr `json:"address"`
	// Port is the port as written (0: none); validation applies keepalived's
	// DR/TUN and default-port fix-ups.
	Port uint16 `json:"port,omitempty"`
	// Weight is `weight`, else the virtual server's.
	Weight    uint32 `json:"weight"`
	WeightSet bool   `json:"-"`
	// Forwarding is `lvs_method`, else the virtual server's.
	Forwarding    Forwarding `json:"lvs_method"`
	ForwardingSet bool       `json:"-"`
	// UThreshold and LThreshold are `uthreshold`/`lthreshold` (0: none).
	UThreshold uint32 `json:"uthreshold,omitempty"`
	LThreshold uint32 `json:"lthreshold,omitempty"`
	// Inhibit is `inhibit_on_failure`, else the virtual server's.
	Inhibit    bool `json:"inhibit_on_failure,omitempty"`
	InhibitSet bool `json:"-"`
	// Alpha is `alpha`, else the virtual server's.
	Alpha    bool `json:"alpha,omitempty"`
	AlphaSet bool `json:"-"`
	// NotifyUp and NotifyDown are `notify_up`/`notify_down`.
	NotifyUp   *Script `json:"notify_up,omitempty"`
	NotifyDown *Script `json:"notify_down,omitempty"`
	// SMTPAlert is `smtp_alert`; unlike the virtual server's it defaults on.
	SMTPAlert    bool `json:"smtp_alert"`
	SMTPAlertSet bool `json:"-"`
	// VirtualHost is `virtualhost`; checkers fall back to the virtual server's.
	VirtualHost string `json:"virtualhost,omitempty"`
	// SNMPName is `snmp_name`.
	SNMPName string `json:"snmp_name,omitempty"`
	Timing

	Checkers []*Checker `json:"checkers,omitempty"`

	vs *VirtualServer
}

// VS is the virtual server the real server belongs to, from which checkers
// inherit what neither they nor the real server set.
func (rs *RealServer) VS() *VirtualServer { return rs.vs }

// EffectiveVirtualHost is the Host an HTTP checker uses when its url sets none.
func (rs *RealServer) EffectiveVirtualHost() string {
	if rs.VirtualHost != "" || rs.vs == nil {
		return rs.VirtualHost
	}
	return rs.vs.VirtualHost
}

// familyOf names an address's family the way ip_family spells it.
func familyOf(a netip.Addr) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// String is keepalived's identity for the virtual server (FMT_VS): a group
// VS prints its group name with port 0, a fwmark VS "FWM N", an address VS
// the [addr]:proto:port trio with the protocol known at that moment.
func (vs *VirtualServer) String() string {
	switch {
	case vs.GroupName != "":
		return fmt.Sprintf("[%s]:0", vs.GroupName)
	case vs.HasFWMark && vs.FWMark != 0:
		return fmt.Sprintf("FWM %d", vs.FWMark)
	}
	return trio(vs.Addr, vs.Protocol, vs.Port)
}

// fmtRS is keepalived's FMT_RS: the real server's address and port with the
// virtual server's protocol.
func fmtRS(addr netip.Addr, port uint16, vs *VirtualServer) string {
	return trio(addr, vs.Protocol, port)
}

func trio(addr netip.Addr, p Protocol, port uint16) string {
	a := "0.0.0.0"
	if addr.IsValid() {
		a = addr.String()
	}
	return fmt.Sprintf("[%s]:%s:%d", a, p, port)
}

// fmtVSGEntry is keepalived's format_vsge, used in group port warnings.
func fmtVSGEntry(e VSGEntry) string {
	if e.FWMark {
		return fmt.Sprintf("FWM %d", e.Mark)
	}
	if e.Start != e.End {
		return fmt.Sprintf("%s-%s,%d", e.Start, e.End, e.Port)
	}
	return fmt.Sprintf("%s,%d", e.Start, e.Port)
}
