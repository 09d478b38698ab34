package ipvs

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Family is an address family as IPVS numbers it (AF_INET, AF_INET6).
type Family uint16

// Address families.
const (
	IPv4 Family = 2
	IPv6 Family = 10
)

// FamilyOf is the family of an address.
func FamilyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

func (f Family) String() string {
	switch f {
	case IPv4:
		return "inet"
	case IPv6:
		return "inet6"
	}
	return fmt.Sprintf("af%d", uint16(f))
}

// Protocol is a service's IP protocol number; 0 for fwmark services.
type Protocol uint16

// Protocols keepalived configures.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case 0:
		return "none"
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("proto%d", uint16(p))
}

// Service flags (linux/ip_vs.h, IP_VS_SVC_F_*).
const (
	FlagPersistent uint32 = 0x0001
	// FlagHashed is owned by the kernel: it reports it, nobody sets it.
	FlagHashed    uint32 = 0x0002
	FlagOnePacket uint32 = 0x0004
	FlagSched1    uint32 = 0x0008 // sh-fallback, mh-fallback, flag-1
	FlagSched2    uint32 = 0x0010 // sh-port, mh-port, flag-2
	FlagSched3    uint32 = 0x0020 // flag-3
)

// Forward is a destination's forwarding method (IP_VS_CONN_F_*).
type Forward uint32

// Forwarding methods keepalived uses.
const (
	Masq   Forward = 0 // NAT
	Local  Forward = 1
	Tunnel Forward = 2 // TUN
	Route  Forward = 3 // DR
)

// String is ipvsadm's column name.
func (f Forward) String() string {
	switch f {
	case Masq:
		return "Masq"
	case Local:
		return "Local"
	case Tunnel:
		return "Tunnel"
	case Route:
		return "Route"
	}
	return fmt.Sprintf("fwd%d", uint32(f))
}

// TunnelType is the encapsulation of a tunnelled destination.
type TunnelType uint8

// Tunnel types (IP_VS_CONN_F_TUNNEL_TYPE_*).
const (
	TunnelIPIP TunnelType = 0
	TunnelGUE  TunnelType = 1
	TunnelGRE  TunnelType = 2
)

func (t TunnelType) String() string {
	switch t {
	case TunnelIPIP:
		return "ipip"
	case TunnelGUE:
		return "gue"
	case TunnelGRE:
		return "gre"
	}
	return fmt.Sprintf("tun%d", uint8(t))
}

// Tunnel checksum options (IP_VS_TUNNEL_ENCAP_FLAG_*).
const (
	TunnelNoCsum  uint16 = 0
	TunnelCsum    uint16 = 1
	TunnelRemCsum uint16 = 2
)

// MaxWeight is the largest weight IPVS accepts.
const MaxWeight = 2147483647

// ServiceKey identifies a service: by fwmark (FWMark != 0) or by protocol,
// address and port. Family is part of both forms.
type ServiceKey struct {
	Family   Family
	FWMark   uint32
	Protocol Protocol
	Addr     netip.Addr
	Port     uint16
}

// AddrKey is the key of an address service.
func AddrKey(proto Protocol, addr netip.Addr, port uint16) ServiceKey {
	addr = addr.Unmap()
	return ServiceKey{Family: FamilyOf(addr), Protocol: proto, Addr: addr, Port: port}
}

// MarkKey is the key of a fwmark service.
func MarkKey(f Family, mark uint32) ServiceKey {
	return ServiceKey{Family: f, FWMark: mark}
}

// String names the service the way ipvsadm lists it ("TCP 10.0.0.1:80",
// "UDP [2001:db8::1]:53", "FWM 7", "FWM 7 IPv6").
func (k ServiceKey) String() string {
	if k.FWMark != 0 {
		if k.Family == IPv6 {
			return fmt.Sprintf("FWM %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM %d", k.FWMark)
	}
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// compareKeys orders services as ipvsadm -Ln sorts them: fwmark, family,
// protocol, address, port.
func compareKeys(a, b ServiceKey) int {
	return cmp.Or(cmp.Compare(a.FWMark, b.FWMark), cmp.Compare(a.Family, b.Family),
		cmp.Compare(a.Protocol, b.Protocol), a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port))
}

// Service is one IPVS virtual service with its destinations.
type Service struct {
	ServiceKey
	// Scheduler is the scheduler name sent verbatim (rr, wrr, wlc, sh, mh...).
	Scheduler string
	// Flags are the service flags without FlagHashed.
	Flags uint32
	// Timeout is the persistence timeout in seconds (0 when not persistent).
	Timeout uint32
	// Netmask is the persistence granularity: the IPv4 mask as a number
	// (0xffffff00 for 255.255.255.0) or the IPv6 prefix length.
	Netmask uint32
	// PEName is the persistence engine ("sip"), empty for none.
	PEName string
	// Dests are the destinations; Normalize sorts them by address and port.
	Dests []Destination
	// Label names the configuration object the service comes from (for
	// reports and logs); it takes no part in comparisons.
	Label string
}

// DefaultNetmask is the netmask keepalived sends for a service without
// persistence granularity: all ones for IPv4, /128 for IPv6.
func DefaultNetmask(f Family) uint32 {
	if f == IPv6 {
		return 128
	}
	return 0xffffffff
}

// sameAttrs tells whether two services with one key need no edit.
func (s *Service) sameAttrs(o *Service) bool {
	return s.Scheduler == o.Scheduler && s.Flags&^FlagHashed == o.Flags&^FlagHashed &&
		s.Timeout == o.Timeout && s.Netmask == o.Netmask && s.PEName == o.PEName
}

// attrsString renders what an edit changes, the way ipvsadm writes it.
func (s *Service) attrsString() string {
	var b strings.Builder
	b.WriteString(s.Scheduler)
	if s.Flags&^FlagHashed&^FlagPersistent&^FlagOnePacket != 0 {
		fmt.Fprintf(&b, " flags 0x%x", s.Flags&^FlagHashed)
	}
	if s.Flags&FlagPersistent != 0 {
		fmt.Fprintf(&b, " persistent %d", s.Timeout)
		if s.Netmask != DefaultNetmask(s.Family) {
			if s.Family == IPv6 {
				fmt.Fprintf(&b, " mask %d", s.Netmask)
			} else {
				m := s.Netmask
				fmt.Fprintf(&b, " mask %d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
			}
		}
		if s.PEName != "" {
			b.WriteString(" pe " + s.PEName)
		}
	}
	if s.Flags&FlagOnePacket != 0 {
		b.WriteString(" ops")
	}
	return b.String()
}

// DestKey identifies a destination inside its service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// Destination is one real server of a service.
type Destination struct {
	Addr netip.Addr
	Port uint16
	// Forward is the forwarding method.
	Forward Forward
	// Weight is 0..MaxWeight; 0 keeps the destination but sends it nothing.
	Weight uint32
	// UpperThreshold and LowerThreshold are the connection thresholds
	// (0: none).
	UpperThreshold uint32
	LowerThreshold uint32
	// TunnelType, TunnelPort (gue only) and TunnelFlags (checksum option)
	// only mean something when Forward is Tunnel.
	TunnelType  TunnelType
	TunnelPort  uint16
	TunnelFlags uint16
}

// Key is the destination's identity inside its service.
func (d *Destination) Key() DestKey { return DestKey{d.Addr, d.Port} }

// Family is the destination's address family, which may differ from the
// service's for tunnelled destinations.
func (d *Destination) Family() Family { return FamilyOf(d.Addr) }

// normalizeTunnel clears the tunnel options that do not apply: all of
// them when not tunnelled, the port unless gue, the checksum option for
// ipip.
func (d *Destination) normalizeTunnel() {
	if d.Forward != Tunnel {
		d.TunnelType, d.TunnelPort, d.TunnelFlags = 0, 0, 0
	}
	if d.TunnelType != TunnelGUE {
		d.TunnelPort = 0
	}
	if d.TunnelType == TunnelIPIP {
		d.TunnelFlags = 0
	}
}

func (d *Destination) sameAttrs(o *Destination) bool {
	if d.Forward != o.Forward || d.Weight != o.Weight ||
		d.UpperThreshold != o.UpperThreshold || d.LowerThreshold != o.LowerThreshold {
		return false
	}
	if d.Forward != Tunnel {
		return true
	}
	return d.TunnelType == o.TunnelType && d.TunnelPort == o.TunnelPort && d.TunnelFlags == o.TunnelFlags
}

func (d *Destination) attrsString() string {
	s := fmt.Sprintf("%s weight %d", d.Forward, d.Weight)
	if d.Forward == Tunnel && (d.TunnelType != TunnelIPIP || d.TunnelFlags != 0) {
		s += " tun " + d.TunnelType.String()
		if d.TunnelType == TunnelGUE {
			s += fmt.Sprintf(" port %d", d.TunnelPort)
		}
		switch d.TunnelFlags {
		case TunnelCsum:
			s += " csum"
		case TunnelRemCsum:
			s += " remcsum"
		}
	}
	if d.UpperThreshold != 0 || d.LowerThreshold != 0 {
		s += fmt.Sprintf(" thresholds %d/%d", d.UpperThreshold, d.LowerThreshold)
	}
	return s
}

// SyncState is the role of a connection synchronisation daemon.
type SyncState uint32

// Sync daemon roles (IP_VS_STATE_*).
const (
	SyncMaster SyncState = 1
	SyncBackup SyncState = 2
)

func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("state%d", uint32(s))
}

// SyncDaemon is one IPVS connection synchronisation daemon
// (lvs_sync_daemon). Zero MaxLen, Port, TTL and an invalid Group leave the
// kernel's defaults and are not compared.
type SyncDaemon struct {
	State     SyncState
	Interface string
	SyncID    uint32
	MaxLen    uint16
	Port      uint16
	TTL       uint8
	Group     netip.Addr
}

func (d SyncDaemon) String() string {
	s := fmt.Sprintf("%s daemon on %s syncid %d", d.State, d.Interface, d.SyncID)
	if d.MaxLen != 0 {
		s += fmt.Sprintf(" maxlen %d", d.MaxLen)
	}
	if d.Port != 0 {
		s += fmt.Sprintf(" port %d", d.Port)
	}
	if d.TTL != 0 {
		s += fmt.Sprintf(" ttl %d", d.TTL)
	}
	if d.Group.IsValid() {
		s += " group " + d.Group.String()
	}
	return s
}

// satisfies tells whether a running daemon (as the kernel reports it) is
// what the desired one asks for.
func (d SyncDaemon) satisfies(running SyncDaemon) bool {
	return d.State == running.State && d.Interface == running.Interface && d.SyncID == running.SyncID &&
		(d.MaxLen == 0 || d.MaxLen == running.MaxLen) && (d.Port == 0 || d.Port == running.Port) &&
		(d.TTL == 0 || d.TTL == running.TTL) && (!d.Group.IsValid() || d.Group == running.Group)
}

// Table is a whole IPVS table: services with their destinations, and the
// sync daemons.
type Table struct {
	Services []*Service
	Daemons  []SyncDaemon
}

// Normalize sorts services as ipvsadm lists them and destinations by
// address then port, unmaps IPv4-mapped addresses, clears the kernel-owned
// HASHED flag and the tunnel options that do not apply, and drops
// duplicate keys (the first one wins). It returns the table.
func (t *Table) Normalize() *Table {
	// Tables built in order (as the translation and the reconciler's own
	// state do) are only checked: one pass, no sorting.
	ordered := true
	for i, s := range t.Services {
		s.Addr = s.Addr.Unmap()
		s.Flags &^= FlagHashed
		normalizeDests(s)
		if i > 0 && compareKeys(t.Services[i-1].ServiceKey, s.ServiceKey) >= 0 {
			ordered = false
		}
	}
	if ordered {
		return t
	}
	slices.SortStableFunc(t.Services, func(a, b *Service) int { return compareKeys(a.ServiceKey, b.ServiceKey) })
	n := len(t.Services)
	t.Services = slices.CompactFunc(t.Services, func(a, b *Service) bool { return a.ServiceKey == b.ServiceKey })
	clear(t.Services[len(t.Services):n])
	return t
}

func compareDests(a, b *Destination) int {
	return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port))
}

// normalizeDests puts a service's destinations in order, the first of
// duplicates kept.
func normalizeDests(s *Service) {
	ordered := true
	for i := range s.Dests {
		d := &s.Dests[i]
		d.Addr = d.Addr.Unmap()
		d.normalizeTunnel()
		if i > 0 && compareDests(&s.Dests[i-1], d) >= 0 {
			ordered = false
		}
	}
	if ordered {
		return
	}
	slices.SortStableFunc(s.Dests, func(a, b Destination) int { return compareDests(&a, &b) })
	s.Dests = slices.CompactFunc(s.Dests, func(a, b Destination) bool { return a.Key() == b.Key() })
}

// Service finds a service by key.
func (t *Table) Service(k ServiceKey) *Service {
	for _, s := range t.Services {
		if s.ServiceKey == k {
			return s
		}
	}
	return nil
}

// NumDests counts destinations over all services.
func (t *Table) NumDests() int {
	n := 0
	for _, s := range t.Services {
		n += len(s.Dests)
	}
	return n
}

// Clone is a deep copy.
func (t *Table) Clone() *Table {
	c := &Table{Services: make([]*Service, len(t.Services)), Daemons: slices.Clone(t.Daemons)}
	for i, s := range t.Services {
		cs := *s
		cs.Dests = slices.Clone(s.Dests)
		c.Services[i] = &cs
	}
	return c
}

// StopMode is what happens to the table when gokeepalived stops
// (lvs_flush_on_stop).
type StopMode uint8

// Stop modes.
const (
	// StopRemoveEach deletes each owned destination, then each owned
	// service (keepalived's default).
	StopRemoveEach StopMode = iota
	// StopRemoveServices deletes the owned services only
	// (lvs_flush_on_stop VS).
	StopRemoveServices
	// StopFlush flushes the whole table (lvs_flush_on_stop).
	StopFlush
	// StopKeep leaves the table as it is (--dont-release-ipvs).
	StopKeep
)

// Timeouts are the kernel's connection timeouts (lvs_timeouts), in
// seconds; zero leaves a value unchanged.
type Timeouts struct {
	TCP, TCPFin, UDP uint32
}

// Config is everything the configuration asks of IPVS.
type Config struct {
	// Table is the desired table.
	Table Table
	// FlushAtStart flushes the whole kernel table before the first
	// reconcile (lvs_flush).
	FlushAtStart bool
	// Stop says how to tear the table down (lvs_flush_on_stop).
	Stop StopMode
	// Timeouts are lvs_timeouts.
	Timeouts Timeouts
}
