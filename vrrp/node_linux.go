package vrrp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinuxEdges are the OS resources behind a NodeConfig made by
// NewLinuxNodeConfig; Close releases them after Node.Run returns.
type LinuxEdges struct {
	addrs *NetlinkAddressManager
	h     *netlink.Handle

	mu      sync.Mutex
	senders map[string]NeighborAnnouncer
}

// Close releases the netlink sockets and the GARP/NA senders.
func (e *LinuxEdges) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.senders {
		_ = s.Close()
	}
	e.senders = nil
	e.addrs.Close()
	e.h.Close()
}

// NewLinuxNodeConfig returns a NodeConfig for this machine, in the calling
// process's network namespace: rtnetlink for addresses and links, raw
// sockets for adverts, packet sockets for GARP/NA, inotify for track_file,
// /proc for track_process, and vrrp_script run as keepalived runs them.
func NewLinuxNodeConfig(cfg *parser.Config, log *slog.Logger) (NodeConfig, *LinuxEdges, error) {
	am, err := NewNetlinkAddressManager()
	if err != nil {
		return NodeConfig{}, nil, err
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		am.Close()
		return NodeConfig{}, nil, fmt.Errorf("vrrp: netlink handle: %w", err)
	}
	e := &LinuxEdges{addrs: am, h: h, senders: map[string]NeighborAnnouncer{}}
	vips := map[netip.Addr]bool{}
	for _, vi := range cfg.Instances {
		for _, a := range append(append([]*parser.IPAddress{}, vi.VIPs...), vi.EVIPs...) {
			vips[a.Addr.Addr()] = true
		}
	}
	nc := NodeConfig{
		Config:   cfg,
		Logger:   log,
		Addrs:    am,
		OpenConn: NewAdvertConn,
		Announce: e.announce,
		SourceAddr: func(iface string, ipv6 bool) netip.Addr {
			return interfaceSource(h, iface, ipv6, vips)
		},
		LinkStates: func(names map[string]bool) map[string]bool {
			st, err := linkStates(h, names)
			if err != nil {
				log.Warn(err.Error())
			}
			return st
		},
		WatchLinks: func(ctx context.Context, names, initial map[string]bool, report func(string, bool)) error {
			w := &linkWatcher{names: names, report: report, log: log}
			return w.Run(ctx, initial)
		},
		WatchAddrs: func(ctx context.Context, report func(AddrUpdate)) error {
			return watchAddrs(ctx, h, report)
		},
		WatchFiles: true,
		ProcDir:    "/proc",
		RunScript:  execScript,
		SetupVMAC: func(vi *parser.VRRPInstance) (func(), error) {
			return setupVMAC(h, vi, log)
		},
		Firewall: NewNFTablesFirewall(NFTablesConfig{Table: cfg.Global.NFTables, Priority: cfg.Global.NFTablesPriority}),
	}
	return nc, e, nil
}

func (e *LinuxEdges) announce(iface string, addr netip.Addr) error {
	e.mu.Lock()
	s := e.senders[iface]
	if s == nil {
		var err error
		s, err = NewGARPSender(GARPConfig{Interface: iface})
		if err != nil {
			e.mu.Unlock()
			return err
		}
		e.senders[iface] = s
	}
	e.mu.Unlock()
	return s.Announce(addr, nil)
}

// interfaceSource is the address keepalived sends an instance's adverts
// from when none is configured: the interface's first primary IPv4
// address that is not one of our virtual addresses, or its first IPv6
// link-local address.
func interfaceSource(h *netlink.Handle, iface string, ipv6 bool, vips map[netip.Addr]bool) netip.Addr {
	l, err := h.LinkByName(iface)
	if err != nil {
		return netip.Addr{}
	}
	fam := netlink.FAMILY_V4
	if ipv6 {
		fam = netlink.FAMILY_V6
	}
	list, err := h.AddrList(l, fam)
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range list {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ipv6 && !ip.IsLinkLocalUnicast():
			continue
		case !ipv6 && (a.Flags&unix.IFA_F_SECONDARY != 0 || vips[ip]):
			continue
		}
		return ip
	}
	return netip.Addr{}
}

// watchAddrs reports rtnetlink address messages until ctx ends.
func watchAddrs(ctx context.Context, h *netlink.Handle, report func(AddrUpdate)) error {
	ch := make(chan netlink.AddrUpdate, 256)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{}); err != nil {
		return fmt.Errorf("vrrp: subscribe to address updates: %w", err)
	}
	names := map[int]string{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-ch:
			if !ok {
				return nil
			}
			name, known := names[u.LinkIndex]
			if !known {
				l, err := h.LinkByIndex(u.LinkIndex)
				if err != nil {
					continue
				}
				name = l.Attrs().Name
				names[u.LinkIndex] = name
			}
			ip, ok := netip.AddrFromSlice(u.LinkAddress.IP)
			if !ok {
				continue
			}
			bits, _ := u.LinkAddress.Mask.Size()
			report(AddrUpdate{Dev: name, Prefix: netip.PrefixFrom(ip.Unmap(), bits), New: u.NewAddr})
		}
	}
}
