package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NetlinkAddresses is the AddressSource of a network namespace's
// interfaces, read and watched through rtnetlink (RTM_GETADDR, and the
// RTM_NEWADDR / RTM_DELADDR notifications of the IPv4 and IPv6 address
// groups).
type NetlinkAddresses struct {
	// NetNS is the path of the namespace (e.g. /run/netns/NAME); ""
	// means the caller's.
	NetNS string
}

// NewNetlinkAddresses returns the AddressSource of the namespace at nsPath
// ("" for the caller's).
func NewNetlinkAddresses(nsPath string) *NetlinkAddresses { return &NetlinkAddresses{NetNS: nsPath} }

// defaultAddressSource is the engine's AddressSource when the caller gives
// none.
func defaultAddressSource() AddressSource { return NewNetlinkAddresses("") }

func (n *NetlinkAddresses) ns() (netns.NsHandle, error) {
	if n.NetNS == "" {
		return netns.None(), nil
	}
	h, err := netns.GetFromPath(n.NetNS)
	if err != nil {
		return netns.None(), fmt.Errorf("opening namespace %s: %w", n.NetNS, err)
	}
	return h, nil
}

// Addresses lists the namespace's addresses.
func (n *NetlinkAddresses) Addresses() ([]netip.Addr, error) {
	ns, err := n.ns()
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var list []netlink.Addr
	for range 5 {
		// A dump interrupted by a change is taken again.
		if list, err = h.AddrList(nil, netlink.FAMILY_ALL); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(list))
	for _, a := range list {
		if a.IPNet == nil {
			continue
		}
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out = append(out, ip.Unmap())
		}
	}
	return out, nil
}

// Watch subscribes to the namespace's address notifications.
func (n *NetlinkAddresses) Watch(ctx context.Context) (<-chan struct{}, error) {
	ns, err := n.ns()
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	updates := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	opts := netlink.AddrSubscribeOptions{ErrorCallback: func(error) {}}
	if n.NetNS != "" {
		opts.Namespace = &ns
	}
	if err := netlink.AddrSubscribeWithOptions(updates, done, opts); err != nil {
		close(done)
		return nil, err
	}
	out := make(chan struct{}, 1)
	var once sync.Once
	stop := func() { once.Do(func() { close(done) }) }
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-stopped:
		}
	}()
	go func() {
		defer close(out)
		defer close(stopped)
		defer stop()
		for range updates {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, nil
}
