package ipvs

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	moby "github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Linux is the kernel's IPVS table of one network namespace. Service
// commands, plain destinations, flush and timeouts go through
// github.com/moby/ipvs; reads (moby/ipvs decodes weights as 16 bits and
// drops tunnel options and the persistence engine), destinations that need
// their own family or tunnel options, sync daemons and GET_INFO go over a
// second generic netlink socket of ours. One mutex serializes both sockets.
type Linux struct {
	mu     sync.Mutex
	h      *moby.Handle
	sock   *nl.NetlinkSocket
	family uint16
	seq    uint32
	counts Counts
}

// replyTimeout bounds the wait for one answer. Stopping a sync daemon
// waits for its kernel thread to end; on Debian's 6.1 kernel a daemon
// stopped a few milliseconds after it was started sometimes never answers
// (seen in the test VM), and the command then fails with EAGAIN.
const replyTimeout = 30 * time.Second

var (
	_ Kernel  = (*Linux)(nil)
	_ Counter = (*Linux)(nil)
	_ Batcher = (*Linux)(nil)
)

// Open connects to the IPVS table of the network namespace at nsPath
// (e.g. /run/netns/NAME), or of the caller's namespace when nsPath is "".
// It fails when the kernel has no IPVS.
func Open(nsPath string) (*Linux, error) {
	ns := netns.None()
	if nsPath != "" {
		var err error
		if ns, err = netns.GetFromPath(nsPath); err != nil {
			return nil, fmt.Errorf("ipvs: network namespace %s: %w", nsPath, err)
		}
		defer ns.Close()
	}
	sock, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("ipvs: generic netlink socket: %w", err)
	}
	tv := unix.NsecToTimeval(replyTimeout.Nanoseconds())
	if err := sock.SetReceiveTimeout(&tv); err != nil {
		sock.Close()
		return nil, fmt.Errorf("ipvs: socket timeout: %w", err)
	}
	l := &Linux{sock: sock}
	if l.family, err = l.resolveFamily(); err != nil {
		sock.Close()
		return nil, err
	}
	if l.h, err = moby.New(nsPath); err != nil {
		sock.Close()
		return nil, fmt.Errorf("ipvs: moby/ipvs handle: %w", err)
	}
	return l, nil
}

// Close releases both sockets.
func (l *Linux) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Close()
	l.sock.Close()
	return nil
}

// Counts returns the requests made so far.
func (l *Linux) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}

// resolveFamily asks the generic netlink controller for the IPVS family id.
func (l *Linux) resolveFamily() (uint16, error) {
	const (
		ctrlID            = 0x10
		ctrlCmdGetFamily  = 3
		ctrlAttrFamilyID  = 1
		ctrlAttrFamilyNam = 2
	)
	msgs, err := l.exchange(ctrlID, ctrlCmdGetFamily, 0, nlattrs(nil).str(ctrlAttrFamilyNam, "IPVS"))
	if err != nil {
		return 0, fmt.Errorf("ipvs: the kernel has no IPVS (generic netlink family IPVS: %w)", err)
	}
	for _, m := range msgs {
		attrs, err := parseAttrs(m)
		if err != nil {
			return 0, err
		}
		for _, a := range attrs {
			if a.typ == ctrlAttrFamilyID {
				return a.u16()
			}
		}
	}
	return 0, fmt.Errorf("ipvs: no family id for IPVS")
}

// exchange sends one generic netlink request and returns the payloads
// (after the genl header) of the answers.
func (l *Linux) exchange(family uint16, cmd uint8, flags int, attrs nlattrs) ([][]byte, error) {
	req := nl.NewNetlinkRequest(int(family), unix.NLM_F_ACK|flags)
	l.seq++
	req.Seq = l.seq
	req.AddRawData(append([]byte{cmd, 1, 0, 0}, attrs...))
	if err := l.sock.Send(req); err != nil {
		return nil, err
	}
	pid, err := l.sock.GetPid()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		msgs, _, err := l.sock.Receive()
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Header.Seq != req.Seq || m.Header.Pid != pid {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errShort
				}
				if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
					return nil, syscall.Errno(-e)
				}
				return out, nil
			}
			if len(m.Data) >= 4 {
				out = append(out, m.Data[4:])
			}
			if m.Header.Flags&unix.NLM_F_MULTI == 0 && flags&unix.NLM_F_DUMP == 0 {
				return out, nil
			}
		}
	}
}

// Info asks the kernel for its IPVS version and connection table size.
func (l *Linux) Info() (Info, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Reads++
	msgs, err := l.exchange(l.family, cmdGetInfo, 0, nil)
	if err != nil {
		return Info{}, fmt.Errorf("ipvs: GET_INFO: %w", err)
	}
	if len(msgs) == 0 {
		return Info{}, fmt.Errorf("ipvs: GET_INFO: empty answer")
	}
	return decodeInfo(msgs[0])
}

// Dump reads every service, its destinations and the running daemons:
// one request for the services, one per service, one for the daemons.
func (l *Linux) Dump(ctx context.Context) (*Table, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Reads++
	msgs, err := l.exchange(l.family, cmdGetService, unix.NLM_F_DUMP, nil)
	if err != nil {
		return nil, fmt.Errorf("ipvs: listing services: %w", err)
	}
	t := &Table{}
	for _, m := range msgs {
		attrs, err := nested(m, attrService)
		if err != nil {
			return nil, err
		}
		s, err := decodeService(attrs)
		if err != nil {
			return nil, err
		}
		t.Services = append(t.Services, s)
	}
	for _, s := range t.Services {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l.counts.Reads++
		msgs, err := l.exchange(l.family, cmdGetDest, unix.NLM_F_DUMP, nlattrs(nil).put(attrService, encodeService(s, false)))
		if err != nil {
			return nil, fmt.Errorf("ipvs: listing destinations of %s: %w", s.ServiceKey, err)
		}
		for _, m := range msgs {
			attrs, err := nested(m, attrDest)
			if err != nil {
				return nil, err
			}
			d, err := decodeDest(attrs, s.Family)
			if err != nil {
				return nil, err
			}
			s.Dests = append(s.Dests, d)
		}
	}
	l.counts.Reads++
	msgs, err = l.exchange(l.family, cmdGetDaemon, unix.NLM_F_DUMP, nil)
	if err != nil {
		return nil, fmt.Errorf("ipvs: listing sync daemons: %w", err)
	}
	for _, m := range msgs {
		attrs, err := nested(m, attrDaemon)
		if err != nil {
			return nil, err
		}
		d, err := decodeDaemon(attrs)
		if err != nil {
			return nil, err
		}
		t.Daemons = append(t.Daemons, d)
	}
	return t, nil
}

// Apply performs one command: one netlink request.
func (l *Linux) Apply(ctx context.Context, op Op) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Writes++
	var err error
	switch op.Kind {
	case OpFlush:
		err = l.h.Flush()
	case OpAddService:
		err = l.h.NewService(toMobyService(op.Service))
	case OpEditService:
		err = l.h.UpdateService(toMobyService(op.Service))
	case OpDelService:
		err = l.h.DelService(toMobyService(op.Service))
	case OpAddDest, OpEditDest, OpDelDest:
		if mobyCanSend(op.Service, op.Dest) {
			s, d := toMobyService(op.Service), toMobyDest(op.Dest)
			switch op.Kind {
			case OpAddDest:
				err = l.h.NewDestination(s, d)
			case OpEditDest:
				err = l.h.UpdateDestination(s, d)
			default:
				err = l.h.DelDestination(s, d)
			}
			break
		}
		cmd, a := encodeOp(op)
		_, err = l.exchange(l.family, cmd, 0, a)
	case OpStartDaemon, OpStopDaemon:
		cmd, a := encodeOp(op)
		_, err = l.exchange(l.family, cmd, 0, a)
	default:
		err = fmt.Errorf("unknown operation %d", op.Kind)
	}
	// The caller names the operation; the error is the kernel's errno.
	return err
}

// encodeOp is a command as a generic netlink command and its attributes,
// in the same form keepalived sends.
func encodeOp(op Op) (uint8, nlattrs) {
	switch op.Kind {
	case OpFlush:
		return cmdFlush, nil
	case OpAddService, OpEditService, OpDelService:
		cmd := map[OpKind]uint8{OpAddService: cmdNewService, OpEditService: cmdSetService, OpDelService: cmdDelService}[op.Kind]
		return cmd, nlattrs(nil).put(attrService, encodeService(op.Service, op.Kind != OpDelService))
	case OpAddDest, OpEditDest, OpDelDest:
		cmd := map[OpKind]uint8{OpAddDest: cmdNewDest, OpEditDest: cmdSetDest, OpDelDest: cmdDelDest}[op.Kind]
		a := nlattrs(nil).put(attrService, encodeService(op.Service, false))
		return cmd, a.put(attrDest, encodeDest(op.Dest, op.Kind != OpDelDest))
	case OpStartDaemon:
		return cmdNewDaemon, nlattrs(nil).put(attrDaemon, encodeDaemon(op.Daemon, true))
	case OpStopDaemon:
		return cmdDelDaemon, nlattrs(nil).put(attrDaemon, encodeDaemon(op.Daemon, false))
	}
	return 0, nil
}

// ApplyBatch sends the commands as consecutive messages of one write
// (moby/ipvs makes a round trip per command, which dominates a large
// apply); the kernel handles them in order and acknowledges each. Each
// command still counts as one request.
func (l *Linux) ApplyBatch(ctx context.Context, ops []Op) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := make([]error, len(ops))
	answered := make([]bool, len(ops))
	var buf []byte
	first := l.seq + 1
	for _, op := range ops {
		cmd, attrs := encodeOp(op)
		l.seq++
		n := unix.NLMSG_HDRLEN + 4 + len(attrs)
		buf = binary.NativeEndian.AppendUint32(buf, uint32(n))
		buf = binary.NativeEndian.AppendUint16(buf, l.family)
		buf = binary.NativeEndian.AppendUint16(buf, unix.NLM_F_REQUEST|unix.NLM_F_ACK)
		buf = binary.NativeEndian.AppendUint32(buf, l.seq)
		buf = binary.NativeEndian.AppendUint32(buf, 0)
		buf = append(buf, cmd, 1, 0, 0)
		buf = append(buf, attrs...)
		for len(buf)%4 != 0 {
			buf = append(buf, 0)
		}
	}
	l.counts.Writes += len(ops)
	fail := func(err error) []error {
		for i := range errs {
			if !answered[i] {
				errs[i] = err
			}
		}
		return errs
	}
	if err := unix.Sendto(l.sock.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(err)
	}
	pending := len(ops)
	for pending > 0 {
		msgs, _, err := l.sock.Receive()
		if err != nil {
			return fail(err)
		}
		for _, m := range msgs {
			i := int(m.Header.Seq - first)
			if m.Header.Type != unix.NLMSG_ERROR || m.Header.Seq < first || i >= len(ops) || answered[i] {
				continue
			}
			answered[i] = true
			if len(m.Data) >= 4 {
				if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
					errs[i] = syscall.Errno(-e)
				}
			}
			pending--
		}
	}
	return errs
}

// SetTimeouts sets the connection timeouts; zero fields are left as they
// are.
func (l *Linux) SetTimeouts(t Timeouts) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Writes++
	return l.h.SetConfig(&moby.Config{
		TimeoutTCP:    time.Duration(t.TCP) * time.Second,
		TimeoutTCPFin: time.Duration(t.TCPFin) * time.Second,
		TimeoutUDP:    time.Duration(t.UDP) * time.Second,
	})
}

// Timeouts reads the connection timeouts.
func (l *Linux) Timeouts() (Timeouts, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Reads++
	c, err := l.h.GetConfig()
	if err != nil {
		return Timeouts{}, err
	}
	return Timeouts{uint32(c.TimeoutTCP / time.Second), uint32(c.TimeoutTCPFin / time.Second), uint32(c.TimeoutUDP / time.Second)}, nil
}

// mobyCanSend tells whether moby/ipvs can send the destination command
// faithfully: it never sends the destination's family nor tunnel options,
// so the destination must share the service's family and, if tunnelled,
// use the kernel's defaults (ipip, no checksum option).
func mobyCanSend(s *Service, d *Destination) bool {
	if d.Family() != s.Family {
		return false
	}
	return d.Forward != Tunnel || (d.TunnelType == TunnelIPIP && d.TunnelFlags == 0)
}

func toMobyService(s *Service) *moby.Service {
	m := &moby.Service{
		AddressFamily: uint16(s.Family),
		FWMark:        s.FWMark,
		SchedName:     s.Scheduler,
		Flags:         s.Flags &^ FlagHashed,
		Timeout:       s.Timeout,
		PEName:        s.PEName,
		// moby/ipvs writes the netmask in host order; the kernel reads it
		// as stored bytes.
		Netmask: binary.NativeEndian.Uint32(netmaskBytes(s.Family, s.Netmask)),
	}
	if s.FWMark == 0 {
		m.Address = net.IP(s.Addr.Unmap().AsSlice())
		m.Protocol = uint16(s.Protocol)
		m.Port = s.Port
	}
	return m
}

func toMobyDest(d *Destination) *moby.Destination {
	return &moby.Destination{
		Address:         net.IP(d.Addr.Unmap().AsSlice()),
		Port:            d.Port,
		Weight:          int(d.Weight),
		ConnectionFlags: uint32(d.Forward),
		AddressFamily:   uint16(d.Family()),
		UpperThreshold:  d.UpperThreshold,
		LowerThreshold:  d.LowerThreshold,
	}
}
