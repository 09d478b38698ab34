//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linuxDRSystem is drSystem on the host: lo's addresses over netlink and the
// sysctls under /proc/sys, both in the caller's network namespace.
type linuxDRSystem struct {
	procSys string // "/proc/sys"
}

func newDRSystem() (drSystem, error) { return linuxDRSystem{procSys: "/proc/sys"}, nil }

func (linuxDRSystem) lo() (netlink.Link, error) {
	l, err := netlink.LinkByName("lo")
	if err != nil {
		return nil, fmt.Errorf("interface lo: %w", err)
	}
	return l, nil
}

func (s linuxDRSystem) LoopbackAddrs() ([]netip.Prefix, error) {
	l, err := s.lo()
	if err != nil {
		return nil, err
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out, nil
}

func drNetlinkAddr(p netip.Prefix) *netlink.Addr {
	bits := p.Addr().BitLen()
	return &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}}
}

func (s linuxDRSystem) AddLoopbackAddr(p netip.Prefix) error {
	l, err := s.lo()
	if err != nil {
		return err
	}
	a := drNetlinkAddr(p)
	if p.Addr().Is6() {
		// No duplicate address detection on lo: the address is meant to
		// exist on several hosts at once.
		a.Flags = unix.IFA_F_NODAD
	}
	return netlink.AddrAdd(l, a)
}

func (s linuxDRSystem) DelLoopbackAddr(p netip.Prefix) error {
	l, err := s.lo()
	if err != nil {
		return err
	}
	err = netlink.AddrDel(l, drNetlinkAddr(p))
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		return nil
	}
	return err
}

func (s linuxDRSystem) ReadSysctl(path string) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.procSys, path))
	return strings.TrimSpace(string(b)), err
}

func (s linuxDRSystem) WriteSysctl(path, value string) error {
	return os.WriteFile(filepath.Join(s.procSys, path), []byte(value+"\n"), 0o644)
}
