//go:build linux

package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// GARPConfig says where announcements go.
type GARPConfig struct {
	// Interface is the base interface the frames leave on (keepalived sends
	// a VMAC's announcements on its parent, with the VMAC's address).
	Interface string
	// Now is the clock for the 5-second re-check of IPv6 forwarding (the
	// NA Router flag); nil means time.Now.
	Now func() time.Time
	// SysRoot is where /proc is read from (tests); empty is "/".
	SysRoot string
}

// garpSender sends keepalived's GARP and NA frames on packet sockets, one
// per ethertype, that never read anything. Both are opened up front, in
// the caller's network namespace.
type garpSender struct {
	cfg GARPConfig
	ifi *net.Interface

	mu        sync.Mutex
	arp, nd   *packet.Conn
	routerAt  time.Time
	router    bool
	routerSet bool
	closed    bool
}

var _ NeighborAnnouncer = (*garpSender)(nil)

// NewGARPSender returns the announcer for one interface. Sending needs
// CAP_NET_RAW.
func NewGARPSender(cfg GARPConfig) (NeighborAnnouncer, error) {
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrp: gratuitous ARP sender: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SysRoot == "" {
		cfg.SysRoot = "/"
	}
	s := &garpSender{cfg: cfg, ifi: ifi}
	for _, et := range []int{etherTypeARP, etherTypeIPv6} {
		c, err := packet.Listen(ifi, packet.Raw, et, nil)
		if err == nil {
			err = dropIncoming(c)
			if err != nil {
				c.Close()
			}
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("vrrp: gratuitous ARP sender on %s: %w", cfg.Interface, err)
		}
		if et == etherTypeARP {
			s.arp = c
		} else {
			s.nd = c
		}
	}
	return s, nil
}

// dropIncoming attaches the drop-all filter of the advert send socket:
// these sockets only send, and would otherwise queue every ARP or IPv6
// frame of the link.
func dropIncoming(c *packet.Conn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = noReceive(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Announce sends one gratuitous ARP or unsolicited NA for addr. Nothing is
// sent on an interface with NOARP, as keepalived does.
func (s *garpSender) Announce(addr netip.Addr, hw net.HardwareAddr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("vrrp: announce %s: %w", addr, net.ErrClosed)
	}
	if s.noARP() {
		return nil
	}
	if hw == nil {
		hw = s.ifi.HardwareAddr
	}
	var (
		frame     []byte
		err       error
		ethertype = etherTypeARP
		dst       = ethBroadcast
	)
	if addr.Is4() {
		frame, err = GARPFrame(hw, addr)
	} else {
		ethertype = etherTypeIPv6
		dst = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
		frame, err = NAFrame(hw, addr, s.forwarding())
	}
	if err != nil {
		return err
	}
	c := s.arp
	if ethertype == etherTypeIPv6 {
		c = s.nd
	}
	if _, err := c.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return fmt.Errorf("vrrp: announce %s on %s: %w", addr, s.ifi.Name, err)
	}
	return nil
}

// noARP asks the kernel for the interface's flags (IFF_NOARP) through the
// ARP socket, so that it answers for the socket's network namespace.
func (s *garpSender) noARP() bool {
	rc, err := s.arp.SyscallConn()
	if err != nil {
		return false
	}
	var flags uint16
	var ierr error
	rc.Control(func(fd uintptr) {
		ifr, err := unix.NewIfreq(s.ifi.Name)
		if err != nil {
			ierr = err
			return
		}
		if ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFFLAGS, ifr); ierr == nil {
			flags = ifr.Uint16()
		}
	})
	return ierr == nil && flags&unix.IFF_NOARP != 0
}

// forwarding tells whether IPv6 forwarding is on for the interface,
// re-read at most every 5 seconds as keepalived does.
func (s *garpSender) forwarding() bool {
	now := s.cfg.Now()
	if s.routerSet && now.Sub(s.routerAt) < 5*time.Second {
		return s.router
	}
	b, err := os.ReadFile(s.cfg.SysRoot + "proc/sys/net/ipv6/conf/" + s.ifi.Name + "/forwarding")
	s.router = err == nil && strings.TrimSpace(string(b)) == "1"
	s.routerAt, s.routerSet = now, true
	return s.router
}

// Close closes the packet sockets.
func (s *garpSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, c := range []*packet.Conn{s.arp, s.nd} {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	s.arp, s.nd = nil, nil
	return errors.Join(errs...)
}
