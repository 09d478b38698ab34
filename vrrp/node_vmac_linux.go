package vrrp

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// vmacMAC is the virtual router MAC of RFC 5798 §7.3: 00:00:5e:00:01:VRID
// for IPv4, 00:00:5e:00:02:VRID for IPv6; use_vmac's explicit MAC wins
// (a 5-octet one takes the VRID as its last octet).
func vmacMAC(vi *parser.VRRPInstance) (net.HardwareAddr, error) {
	if vi.VMACAddr != "" {
		text := vi.VMACAddr
		if strings.Count(text, ":") == 4 {
			text += fmt.Sprintf(":%02x", vi.VRID)
		}
		return net.ParseMAC(text)
	}
	fam := byte(1)
	if vi.Family == 6 {
		fam = 2
	}
	return net.HardwareAddr{0, 0, 0x5e, 0, fam, byte(vi.VRID)}, nil
}

// sysctlDir is where per-namespace sysctls are written; tests may change it.
var sysctlDir = "/proc/sys"

func writeSysctl(path, value string) (old string, err error) {
	p := filepath.Join(sysctlDir, path)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	old = string(bytes.TrimSpace(b))
	if old == value {
		return old, nil
	}
	return old, os.WriteFile(p, []byte(value), 0o644)
}

// setupVMAC creates the macvlan of a use_vmac instance (mode private, named
// vrrp.VRID unless named, with the virtual router MAC) on the instance's
// interface, or reuses one left by a previous run, brings it up and sets
// the sysctls keepalived sets for an IPv4 VMAC. The returned function
// deletes the macvlan and restores the parent's sysctls.
//
// Where keepalived installs nftables rules so that a backup's VMAC never
// sends IGMP/MLD reports or router solicitations (which would teach the
// switches the virtual MAC on the wrong port), we disable IPv6 on the VMAC
// of an IPv4 instance and turn igmp_link_local_mcast_reports off (what
// keepalived's disable_local_igmp does). An IPv6 VMAC gets no generated
// link-local address but the parent's (as in keepalived), no DAD and no
// router solicitations; its MLD reports are not filtered (a deliberate
// difference: no nftables), which the master's adverts from the VMAC
// correct in the switches at the next advert.
func setupVMAC(h *netlink.Handle, vi *parser.VRRPInstance, log *slog.Logger) (func(), error) {
	name := instanceDev(vi)
	mac, err := vmacMAC(vi)
	if err != nil {
		return nil, fmt.Errorf("vrrp: (%s) use_vmac address %q: %w", vi.Name, vi.VMACAddr, err)
	}
	parent, err := h.LinkByName(vi.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrp: (%s) interface %s: %w", vi.Name, vi.Interface, err)
	}
	if l, err := h.LinkByName(name); err == nil {
		mv, ok := l.(*netlink.Macvlan)
		if !ok || l.Attrs().ParentIndex != parent.Attrs().Index || !bytes.Equal(l.Attrs().HardwareAddr, mac) ||
			mv.Mode != netlink.MACVLAN_MODE_PRIVATE {
			log.Info(fmt.Sprintf("(%s) Removing old VMAC interface %s due to conflicting interface or MAC", vi.Name, name))
			if err := h.LinkDel(l); err != nil {
				return nil, fmt.Errorf("vrrp: (%s) remove old VMAC %s: %w", vi.Name, name, err)
			}
		}
	}
	if _, err := h.LinkByName(name); err != nil {
		mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index,
			HardwareAddr: mac}, Mode: netlink.MACVLAN_MODE_PRIVATE}
		if err := h.LinkAdd(mv); err != nil {
			log.Info(fmt.Sprintf("(%s): Unable to create VMAC interface %s", vi.Name, name))
			return nil, fmt.Errorf("vrrp: (%s) create VMAC %s: %w", vi.Name, name, err)
		}
		log.Info(fmt.Sprintf("(%s): Success creating VMAC interface %s", vi.Name, name))
	}
	if vi.Family == 6 {
		// No link-local address of its own (keepalived sets the same
		// generation mode): a backup's VMAC then joins no multicast group
		// and never sends an MLD report with the virtual MAC.
		if l, err := h.LinkByName(name); err == nil {
			if err := h.LinkSetIP6AddrGenMode(l, in6AddrGenModeNone); err != nil {
				log.Warn(fmt.Sprintf("(%s) addr_gen_mode none on %s: %v", vi.Name, name, err))
			}
		}
	}
	var restore []func()
	set := func(path, value string) {
		old, err := writeSysctl(path, value)
		if err != nil {
			log.Warn(fmt.Sprintf("(%s) sysctl %s: %v", vi.Name, path, err))
			return
		}
		if old != value {
			restore = append(restore, func() { _, _ = writeSysctl(path, old) })
		}
	}
	if vi.Family == 6 {
		set("net/ipv6/conf/"+name+"/accept_dad", "0")
		set("net/ipv6/conf/"+name+"/router_solicitations", "0")
		set("net/ipv6/conf/"+name+"/accept_ra", "0")
	} else {
		set("net/ipv6/conf/"+name+"/disable_ipv6", "1")
		set("net/ipv4/igmp_link_local_mcast_reports", "0")
		for k, v := range map[string]string{"arp_ignore": "1", "accept_local": "1", "rp_filter": "0", "promote_secondaries": "1"} {
			set("net/ipv4/conf/"+name+"/"+k, v)
		}
		set("net/ipv4/conf/"+vi.Interface+"/arp_ignore", "1")
		set("net/ipv4/conf/"+vi.Interface+"/arp_filter", "1")
	}
	l, err := h.LinkByName(name)
	if err == nil {
		err = h.LinkSetUp(l)
	}
	if err != nil {
		return nil, fmt.Errorf("vrrp: (%s) bring VMAC %s up: %w", vi.Name, name, err)
	}
	if vi.Family == 6 {
		// The parent's link-local address goes on the VMAC too, as
		// keepalived does: adverts leave the VMAC from it.
		if list, err := h.AddrList(parent, netlink.FAMILY_V6); err == nil {
			for _, a := range list {
				if a.IP.IsLinkLocalUnicast() {
					ll := &netlink.Addr{IPNet: a.IPNet, Flags: unix.IFA_F_NODAD}
					if err := h.AddrAdd(l, ll); err != nil && !errors.Is(err, unix.EEXIST) {
						log.Warn(fmt.Sprintf("(%s) Adding link-local address to vmac failed: %v", vi.Name, err))
					}
					break
				}
			}
		}
	}
	return func() {
		if l, err := h.LinkByName(name); err == nil {
			if err := h.LinkDel(l); err != nil && !errors.Is(err, os.ErrNotExist) {
				log.Info(fmt.Sprintf("(%s) Error removing VMAC interface %s", vi.Name, name))
			} else {
				log.Info(fmt.Sprintf("(%s) Success removing VMAC interface %s", vi.Name, name))
			}
		}
		for i := len(restore) - 1; i >= 0; i-- {
			restore[i]()
		}
	}, nil
}

// in6AddrGenModeNone is the kernel's IN6_ADDR_GEN_MODE_NONE.
const in6AddrGenModeNone = 1
