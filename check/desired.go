package check

import (
	"net/netip"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/parser"
)

// Desired computes what IPVS must hold for the configuration given the
// checkers' view h, with keepalived's rules:
//
//   - every virtual_server becomes one service, or for `virtual_server group`
//     one service per address of every address entry (ranges and networks
//     expanded, the VS protocol applied) and one per fwmark entry;
//   - service flags from ops/sh-*/mh-*/flag-N, plus PERSISTENT with the
//     timeout, granularity and engine when persistence_timeout is set; the
//     netmask is all ones (IPv4) or 128 (IPv6) otherwise, and always for
//     the services of a group (keepalived ignores persistence_granularity
//     there; checked side by side with keepalived 2.2.7);
//   - each real server is a destination of each of its VS's services: its
//     own port for NAT, the service's port for DR and TUN (0 for fwmark
//     services), its forwarding method and tunnel options, thresholds, and
//     the weight h reports, clamped to 0..2147483647;
//   - a real server that is not alive is left out, or kept at weight 0 when
//     inhibit_on_failure;
//   - when h reports the quorum lost and a sorry_server exists, the sorry
//     server is in at weight 1 and the alive real servers are out (or at
//     weight 0 when inhibited); with sorry_server_inhibit it otherwise stays
//     at weight 0; without a sorry server quorum changes nothing in IPVS;
//   - lvs_sync_daemon without a VRRP instance runs a master and a backup
//     daemon (with an instance the VRRP side drives it and it is not here);
//   - lvs_flush, lvs_flush_on_stop and lvs_timeouts map to the Config's
//     FlushAtStart, Stop and Timeouts.
//
// alpha, omega and ha_suspend change no IPVS rule by themselves: alpha is
// the checkers' starting state (see InitialHealth), omega only adds
// notifications at shutdown, ha_suspend freezes checkers and so the table.
func Desired(cfg *parser.Config, h Health) *ipvs.Config {
	out := &ipvs.Config{
		FlushAtStart: cfg.Global.LVSFlush,
		Timeouts: ipvs.Timeouts{
			TCP:    seconds(cfg.Global.LVSTimeouts.TCP),
			TCPFin: seconds(cfg.Global.LVSTimeouts.TCPFin),
			UDP:    seconds(cfg.Global.LVSTimeouts.UDP),
		},
	}
	switch cfg.Global.LVSFlushOnStop {
	case "full":
		out.Stop = ipvs.StopFlush
	case "vs":
		out.Stop = ipvs.StopRemoveServices
	}
	if sd := cfg.Global.LVSSyncDaemon; sd != nil && sd.Instance == "" {
		out.Table.Daemons = SyncDaemons(sd, 0)
	}
	for _, vs := range cfg.VirtualServers {
		out.Table.Services = append(out.Table.Services, virtualServer(vs, h)...)
	}
	out.Table.Normalize()
	return out
}

// SyncDaemons is the master and backup daemon of lvs_sync_daemon; a sync
// id left unset takes defaultID (the VRRP instance's VRID, or 0).
func SyncDaemons(sd *parser.LVSSyncDaemon, defaultID uint32) []ipvs.SyncDaemon {
	id := defaultID
	if sd.SyncID >= 0 {
		id = uint32(sd.SyncID)
	}
	d := ipvs.SyncDaemon{Interface: sd.Interface, SyncID: id, MaxLen: sd.MaxLen, Port: sd.Port, TTL: sd.TTL, Group: sd.Group}
	master, backup := d, d
	master.State, backup.State = ipvs.SyncMaster, ipvs.SyncBackup
	return []ipvs.SyncDaemon{master, backup}
}

func seconds(m parser.Micros) uint32 { return uint32(m / 1_000_000) }

// entry is one expanded service of a virtual server and the port its
// non-NAT destinations take.
type entry struct {
	svc      service
	destPort uint16
	group    bool
}

func virtualServer(vs *parser.VirtualServer, h Health) []*ipvs.Service {
	var entries []entry
	switch {
	case vs.Group != nil:
		for _, e := range vs.Group.Entries {
			if e.FWMark {
				entries = append(entries, entry{svc: newService(vs, ipvs.MarkKey(markFamily(e.Family, vs.Family), e.Mark)), group: true})
				continue
			}
			for _, a := range expand(e.Start, e.End) {
				entries = append(entries, entry{svc: newService(vs, ipvs.AddrKey(ipvs.Protocol(vs.Protocol), a, e.Port)), destPort: e.Port, group: true})
			}
		}
	case vs.HasFWMark && vs.FWMark != 0:
		entries = append(entries, entry{svc: newService(vs, ipvs.MarkKey(markFamily(vs.Family, ""), vs.FWMark))})
	case vs.Addr.IsValid():
		entries = append(entries, entry{svc: newService(vs, ipvs.AddrKey(ipvs.Protocol(vs.Protocol), vs.Addr, vs.Port)), destPort: vs.Port})
	}

	dests, sorry := destinations(vs, h)
	out := make([]*ipvs.Service, 0, len(entries))
	for _, e := range entries {
		if e.group {
			// keepalived sends the default netmask for every group
			// entry: persistence_granularity does not reach them.
			e.svc.Netmask = ipvs.DefaultNetmask(e.svc.Family)
		}
		for _, d := range dests {
			e.svc.addDest(d, e)
		}
		if sorry != nil {
			e.svc.addDest(*sorry, e)
		}
		out = append(out, e.svc.Service)
	}
	return out
}

// markFamily is a fwmark service's family: the entry's, else the VS's,
// else IPv4.
func markFamily(first, second string) ipvs.Family {
	for _, f := range []string{first, second} {
		switch f {
		case "inet":
			return ipvs.IPv4
		case "inet6":
			return ipvs.IPv6
		}
	}
	return ipvs.IPv4
}

// service wraps an ipvs.Service being built, to place destinations with
// the per-service port rule and family check.
type service struct {
	*ipvs.Service
	index map[ipvs.DestKey]int
}

func newService(vs *parser.VirtualServer, k ipvs.ServiceKey) service {
	s := &ipvs.Service{ServiceKey: k, Scheduler: vs.Scheduler, Flags: vs.Flags, Netmask: ipvs.DefaultNetmask(k.Family), Label: vs.String()}
	if vs.PersistenceTimeout != 0 {
		s.Flags |= ipvs.FlagPersistent
		s.Timeout = vs.PersistenceTimeout
		if vs.PersistenceGranularity != 0xffffffff {
			s.Netmask = vs.PersistenceGranularity
		}
		s.PEName = vs.PersistenceEngine
	}
	return service{Service: s, index: map[ipvs.DestKey]int{}}
}

// dest is a destination before the service's port rule is applied.
type dest struct {
	ipvs.Destination
	// override: a later dest with the same key replaces this one (the
	// active sorry server takes a shared entry).
	override bool
}

// addDest places d in the service: group services give non-NAT
// destinations the entry's port (address and fwmark services had their
// ports fixed by the parser). A destination whose family differs from the
// service's is only possible when tunnelled.
func (s service) addDest(d dest, e entry) {
	if e.group && d.Forward != ipvs.Masq {
		d.Port = e.destPort
	}
	if d.Family() != s.Family && d.Forward != ipvs.Tunnel {
		return
	}
	k := d.Key()
	if i, ok := s.index[k]; ok {
		if d.override {
			s.Dests[i] = d.Destination
		}
		return
	}
	s.index[k] = len(s.Dests)
	s.Dests = append(s.Dests, d.Destination)
}

// destinations are the VS's destinations given the checkers' view, and the
// sorry server's when it is in.
func destinations(vs *parser.VirtualServer, h Health) ([]dest, *dest) {
	ss := vs.SorryServer
	sorryActive := ss != nil && !h.QuorumUp(vs)
	var out []dest
	for _, rs := range vs.RealServers {
		st := h.RealServer(vs, rs)
		var w uint32
		switch {
		case st.Alive && !sorryActive:
			w = clampWeight(st.Weight)
		case rs.Inhibit:
			w = 0
		default:
			continue
		}
		d := toDest(rs.Addr, rs.Port, rs.Forwarding)
		d.Weight, d.UpperThreshold, d.LowerThreshold = w, rs.UThreshold, rs.LThreshold
		out = append(out, dest{Destination: d})
	}
	switch {
	case ss == nil:
		return out, nil
	case sorryActive:
		d := dest{Destination: toDest(ss.Addr, ss.Port, ss.Forwarding), override: true}
		d.Weight = 1
		return out, &d
	case ss.Inhibit && !ss.DuplicatesRS:
		return out, &dest{Destination: toDest(ss.Addr, ss.Port, ss.Forwarding)}
	}
	return out, nil
}

func toDest(a netip.Addr, port uint16, f parser.Forwarding) ipvs.Destination {
	d := ipvs.Destination{Addr: a.Unmap(), Port: port}
	switch f.Method {
	case "DR":
		d.Forward = ipvs.Route
	case "TUN":
		d.Forward = ipvs.Tunnel
		switch f.TunnelType {
		case "gue":
			d.TunnelType, d.TunnelPort = ipvs.TunnelGUE, f.TunnelPort
		case "gre":
			d.TunnelType = ipvs.TunnelGRE
		}
		switch f.Checksum {
		case "csum":
			d.TunnelFlags = ipvs.TunnelCsum
		case "remcsum":
			d.TunnelFlags = ipvs.TunnelRemCsum
		}
	default:
		d.Forward = ipvs.Masq
	}
	return d
}

func clampWeight(w int) uint32 {
	switch {
	case w < 0:
		return 0
	case int64(w) > ipvs.MaxWeight:
		return ipvs.MaxWeight
	}
	return uint32(w)
}

// expand lists the addresses of a group entry the way keepalived walks
// them: an IPv4 range counts through the whole address, an IPv6 range only
// through its last 16-bit group (so a range or network wider than that
// yields the addresses of the first group's block only, as keepalived).
func expand(start, end netip.Addr) []netip.Addr {
	start, end = start.Unmap(), end.Unmap()
	if !end.IsValid() || end.Less(start) {
		return []netip.Addr{start}
	}
	var out []netip.Addr
	if start.Is4() {
		s4, e4 := start.As4(), end.As4()
		lo := uint32(s4[0])<<24 | uint32(s4[1])<<16 | uint32(s4[2])<<8 | uint32(s4[3])
		hi := uint32(e4[0])<<24 | uint32(e4[1])<<16 | uint32(e4[2])<<8 | uint32(e4[3])
		for v := uint64(lo); v <= uint64(hi); v++ {
			out = append(out, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
		}
		return out
	}
	b, e := start.As16(), end.As16()
	lo, hi := uint32(b[14])<<8|uint32(b[15]), uint32(e[14])<<8|uint32(e[15])
	for v := lo; v <= hi; v++ {
		b[14], b[15] = byte(v>>8), byte(v)
		out = append(out, netip.AddrFrom16(b))
	}
	return out
}
