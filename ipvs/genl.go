package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The IPVS generic netlink protocol (linux/ip_vs.h), for what moby/ipvs
// cannot express: reading the table with every field, destinations with
// their own address family and tunnel options, sync daemons, GET_INFO.
// Encoding and decoding are pure, so they are tested (and fuzzed) anywhere.

// Generic netlink commands of the IPVS family.
const (
	cmdNewService = 1
	cmdSetService = 2
	cmdDelService = 3
	cmdGetService = 4
	cmdNewDest    = 5
	cmdSetDest    = 6
	cmdDelDest    = 7
	cmdGetDest    = 8
	cmdNewDaemon  = 9
	cmdDelDaemon  = 10
	cmdGetDaemon  = 11
	cmdGetInfo    = 15
	cmdFlush      = 17
)

// Top-level attributes.
const (
	attrService = 1
	attrDest    = 2
	attrDaemon  = 3
)

// Service attributes.
const (
	svcAF       = 1
	svcProtocol = 2
	svcAddr     = 3
	svcPort     = 4
	svcFWMark   = 5
	svcSched    = 6
	svcFlags    = 7
	svcTimeout  = 8
	svcNetmask  = 9
	svcPEName   = 11
)

// Destination attributes.
const (
	destAddr       = 1
	destPort       = 2
	destFwd        = 3
	destWeight     = 4
	destUThresh    = 5
	destLThresh    = 6
	destAddrFamily = 11
	destTunType    = 13
	destTunPort    = 14
	destTunFlags   = 15
)

// Daemon attributes.
const (
	daemonState  = 1
	daemonIfname = 2
	daemonSyncID = 3
	daemonMaxLen = 4
	daemonGroup  = 5
	daemonGroup6 = 6
	daemonPort   = 7
	daemonTTL    = 8
)

// Info attributes.
const (
	infoVersion = 1
	infoTabSize = 2
)

const nlaHeader = 4

// nlattrs builds a list of netlink attributes.
type nlattrs []byte

func (a nlattrs) put(typ uint16, val []byte) nlattrs {
	n := nlaHeader + len(val)
	a = binary.NativeEndian.AppendUint16(a, uint16(n))
	a = binary.NativeEndian.AppendUint16(a, typ)
	a = append(a, val...)
	for n%4 != 0 {
		a = append(a, 0)
		n++
	}
	return a
}

func (a nlattrs) u8(typ uint16, v uint8) nlattrs { return a.put(typ, []byte{v}) }
func (a nlattrs) u16(typ uint16, v uint16) nlattrs {
	return a.put(typ, binary.NativeEndian.AppendUint16(nil, v))
}
func (a nlattrs) be16(typ uint16, v uint16) nlattrs {
	return a.put(typ, binary.BigEndian.AppendUint16(nil, v))
}
func (a nlattrs) u32(typ uint16, v uint32) nlattrs {
	return a.put(typ, binary.NativeEndian.AppendUint32(nil, v))
}
func (a nlattrs) str(typ uint16, s string) nlattrs { return a.put(typ, append([]byte(s), 0)) }
func (a nlattrs) addr(typ uint16, ip netip.Addr) nlattrs {
	b := make([]byte, 16)
	copy(b, ip.Unmap().AsSlice())
	return a.put(typ, b)
}

// netmaskBytes is the netmask as the kernel stores it: IPv4 masks in
// network order, IPv6 prefix lengths as a plain integer.
func netmaskBytes(f Family, m uint32) []byte {
	if f == IPv6 {
		return binary.NativeEndian.AppendUint32(nil, m)
	}
	return binary.BigEndian.AppendUint32(nil, m)
}

// encodeServiceKey writes the attributes that identify a service; full
// adds its settings (for NEW/SET_SERVICE).
func encodeService(s *Service, full bool) nlattrs {
	var a nlattrs
	a = a.u16(svcAF, uint16(s.Family))
	if s.FWMark != 0 {
		a = a.u32(svcFWMark, s.FWMark)
	} else {
		a = a.u16(svcProtocol, uint16(s.Protocol))
		a = a.addr(svcAddr, s.Addr)
		a = a.be16(svcPort, s.Port)
	}
	if !full {
		return a
	}
	a = a.str(svcSched, s.Scheduler)
	if s.PEName != "" {
		a = a.str(svcPEName, s.PEName)
	}
	flags := binary.NativeEndian.AppendUint32(nil, s.Flags&^FlagHashed)
	flags = binary.NativeEndian.AppendUint32(flags, 0xffffffff)
	a = a.put(svcFlags, flags)
	a = a.u32(svcTimeout, s.Timeout)
	a = a.put(svcNetmask, netmaskBytes(s.Family, s.Netmask))
	return a
}

// encodeDest writes a destination with its family always, and the tunnel
// options when it is tunnelled.
func encodeDest(d *Destination, full bool) nlattrs {
	var a nlattrs
	a = a.u16(destAddrFamily, uint16(d.Family()))
	a = a.addr(destAddr, d.Addr)
	a = a.be16(destPort, d.Port)
	if !full {
		return a
	}
	a = a.u32(destFwd, uint32(d.Forward))
	a = a.u32(destWeight, d.Weight)
	if d.Forward == Tunnel {
		a = a.u8(destTunType, uint8(d.TunnelType))
		if d.TunnelType == TunnelGUE {
			a = a.be16(destTunPort, d.TunnelPort)
		}
		if d.TunnelType != TunnelIPIP {
			a = a.u16(destTunFlags, d.TunnelFlags)
		}
	}
	a = a.u32(destUThresh, d.UpperThreshold)
	a = a.u32(destLThresh, d.LowerThreshold)
	return a
}

// encodeDaemon writes a daemon; stopping only needs its state and id.
func encodeDaemon(d *SyncDaemon, start bool) nlattrs {
	var a nlattrs
	a = a.u32(daemonState, uint32(d.State))
	a = a.u32(daemonSyncID, d.SyncID)
	if !start {
		return a
	}
	a = a.str(daemonIfname, d.Interface)
	if d.MaxLen != 0 {
		a = a.u16(daemonMaxLen, d.MaxLen)
	}
	if d.Group.IsValid() {
		if g := d.Group.Unmap(); g.Is4() {
			a = a.put(daemonGroup, g.AsSlice())
		} else {
			a = a.put(daemonGroup6, g.AsSlice())
		}
	}
	if d.Port != 0 {
		a = a.u16(daemonPort, d.Port)
	}
	if d.TTL != 0 {
		a = a.u8(daemonTTL, d.TTL)
	}
	return a
}

// nlattr is one decoded attribute.
type nlattr struct {
	typ uint16
	val []byte
}

var errShort = errors.New("ipvs: truncated netlink attribute")

// parseAttrs splits a buffer of attributes.
func parseAttrs(b []byte) ([]nlattr, error) {
	var out []nlattr
	for len(b) >= nlaHeader {
		n := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) & 0x3fff
		if n < nlaHeader || n > len(b) {
			return nil, errShort
		}
		out = append(out, nlattr{typ, b[nlaHeader:n]})
		n = (n + 3) &^ 3
		if n > len(b) {
			n = len(b)
		}
		b = b[n:]
	}
	return out, nil
}

func (a nlattr) u8() (uint8, error) {
	if len(a.val) < 1 {
		return 0, errShort
	}
	return a.val[0], nil
}

func (a nlattr) u16() (uint16, error) {
	if len(a.val) < 2 {
		return 0, errShort
	}
	return binary.NativeEndian.Uint16(a.val), nil
}

func (a nlattr) be16() (uint16, error) {
	if len(a.val) < 2 {
		return 0, errShort
	}
	return binary.BigEndian.Uint16(a.val), nil
}

func (a nlattr) u32() (uint32, error) {
	if len(a.val) < 4 {
		return 0, errShort
	}
	return binary.NativeEndian.Uint32(a.val), nil
}

func (a nlattr) str() string {
	b := a.val
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func addrOf(f Family, b []byte) (netip.Addr, error) {
	switch {
	case f == IPv4 && len(b) >= 4:
		return netip.AddrFrom4([4]byte(b[:4])), nil
	case f == IPv6 && len(b) >= 16:
		return netip.AddrFrom16([16]byte(b[:16])), nil
	}
	return netip.Addr{}, fmt.Errorf("ipvs: address of family %d in %d bytes", f, len(b))
}

// nested finds the nested attribute typ in a genl message payload (after
// the genl header) and returns its attributes.
func nested(payload []byte, typ uint16) ([]nlattr, error) {
	top, err := parseAttrs(payload)
	if err != nil {
		return nil, err
	}
	for _, a := range top {
		if a.typ == typ {
			return parseAttrs(a.val)
		}
	}
	return nil, fmt.Errorf("ipvs: no attribute %d in the message", typ)
}

// decodeService reads a service from the attributes nested in
// IPVS_CMD_ATTR_SERVICE.
func decodeService(attrs []nlattr) (*Service, error) {
	s := &Service{}
	var addr, mask []byte
	var err error
	for _, a := range attrs {
		switch a.typ {
		case svcAF:
			var v uint16
			v, err = a.u16()
			s.Family = Family(v)
		case svcProtocol:
			var v uint16
			v, err = a.u16()
			s.Protocol = Protocol(v)
		case svcAddr:
			addr = a.val
		case svcPort:
			s.Port, err = a.be16()
		case svcFWMark:
			s.FWMark, err = a.u32()
		case svcSched:
			s.Scheduler = a.str()
		case svcFlags:
			s.Flags, err = a.u32()
		case svcTimeout:
			s.Timeout, err = a.u32()
		case svcNetmask:
			if len(a.val) < 4 {
				err = errShort
			}
			mask = a.val
		case svcPEName:
			s.PEName = a.str()
		}
		if err != nil {
			return nil, fmt.Errorf("ipvs: service attribute %d: %w", a.typ, err)
		}
	}
	if s.Family != IPv4 && s.Family != IPv6 {
		return nil, fmt.Errorf("ipvs: service of unknown family %d", s.Family)
	}
	if mask != nil {
		if s.Family == IPv6 {
			s.Netmask = binary.NativeEndian.Uint32(mask)
		} else {
			s.Netmask = binary.BigEndian.Uint32(mask)
		}
	}
	if s.FWMark == 0 {
		a, err := addrOf(s.Family, addr)
		if err != nil {
			return nil, err
		}
		s.Addr = a
	} else {
		s.Protocol, s.Port = 0, 0
	}
	s.Flags &^= FlagHashed
	return s, nil
}

// decodeDest reads a destination of a service of family svcFamily (the
// family attribute, when the kernel sends it, wins).
func decodeDest(attrs []nlattr, svcFamily Family) (Destination, error) {
	var d Destination
	f := svcFamily
	var addr []byte
	var err error
	for _, a := range attrs {
		switch a.typ {
		case destAddrFamily:
			var v uint16
			v, err = a.u16()
			f = Family(v)
		case destAddr:
			addr = a.val
		case destPort:
			d.Port, err = a.be16()
		case destFwd:
			var v uint32
			v, err = a.u32()
			d.Forward = Forward(v & 0x7)
		case destWeight:
			d.Weight, err = a.u32()
		case destUThresh:
			d.UpperThreshold, err = a.u32()
		case destLThresh:
			d.LowerThreshold, err = a.u32()
		case destTunType:
			var v uint8
			v, err = a.u8()
			d.TunnelType = TunnelType(v)
		case destTunPort:
			d.TunnelPort, err = a.be16()
		case destTunFlags:
			d.TunnelFlags, err = a.u16()
		}
		if err != nil {
			return d, fmt.Errorf("ipvs: destination attribute %d: %w", a.typ, err)
		}
	}
	d.Addr, err = addrOf(f, addr)
	if err != nil {
		return d, err
	}
	// The model keeps an IPv4-mapped address as IPv4 (FamilyOf), and that
	// is how it is encoded again, so a read-back compares equal.
	d.Addr = d.Addr.Unmap()
	d.normalizeTunnel()
	return d, nil
}

// decodeDaemon reads one running daemon.
func decodeDaemon(attrs []nlattr) (SyncDaemon, error) {
	var d SyncDaemon
	var err error
	for _, a := range attrs {
		switch a.typ {
		case daemonState:
			var v uint32
			v, err = a.u32()
			d.State = SyncState(v)
		case daemonIfname:
			d.Interface = a.str()
		case daemonSyncID:
			d.SyncID, err = a.u32()
		case daemonMaxLen:
			d.MaxLen, err = a.u16()
		case daemonGroup:
			if len(a.val) < 4 {
				err = errShort
			} else {
				d.Group = netip.AddrFrom4([4]byte(a.val[:4]))
			}
		case daemonGroup6:
			if len(a.val) < 16 {
				err = errShort
			} else {
				d.Group = netip.AddrFrom16([16]byte(a.val[:16]))
			}
		case daemonPort:
			d.Port, err = a.u16()
		case daemonTTL:
			d.TTL, err = a.u8()
		}
		if err != nil {
			return d, fmt.Errorf("ipvs: daemon attribute %d: %w", a.typ, err)
		}
	}
	return d, nil
}

// Info is what GET_INFO reports.
type Info struct {
	// Version is the IPVS version, e.g. 0x010201 for 1.2.1.
	Version uint32
	// ConnTabSize is the connection hash table size.
	ConnTabSize uint32
}

func (i Info) String() string {
	return fmt.Sprintf("IP Virtual Server version %d.%d.%d (size=%d)", i.Version>>16, i.Version>>8&0xff, i.Version&0xff, i.ConnTabSize)
}

func decodeInfo(payload []byte) (Info, error) {
	var info Info
	attrs, err := parseAttrs(payload)
	if err != nil {
		return info, err
	}
	for _, a := range attrs {
		switch a.typ {
		case infoVersion:
			info.Version, err = a.u32()
		case infoTabSize:
			info.ConnTabSize, err = a.u32()
		}
		if err != nil {
			return info, err
		}
	}
	return info, nil
}
