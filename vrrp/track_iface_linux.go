package vrrp

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linkUp is keepalived's FLAGS_UP: administratively up and running.
func linkUp(flags uint32) bool {
	return flags&unix.IFF_UP != 0 && flags&unix.IFF_RUNNING != 0
}

// linkWatcher follows interfaces through rtnetlink link messages and
// reports the tracked ones when they go up or down ("Netlink reports eth0
// down"); a deleted interface is down.
type linkWatcher struct {
	names  map[string]bool // tracked interfaces
	report func(name string, up bool)
	log    *slog.Logger
	// subscribe is netlink.LinkSubscribeWithOptions; tests may bind it to
	// another namespace.
	subscribe func(ch chan<- netlink.LinkUpdate, done <-chan struct{}, opts netlink.LinkSubscribeOptions) error
}

// States lists the tracked interfaces' state now.
func linkStates(h *netlink.Handle, names map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for n := range names {
		out[n] = false
	}
	var links []netlink.Link
	var err error
	if h != nil {
		links, err = h.LinkList()
	} else {
		links, err = netlink.LinkList()
	}
	if err != nil {
		return out, fmt.Errorf("vrrp: list links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		if names[a.Name] {
			out[a.Name] = linkUp(a.RawFlags)
		}
	}
	return out, nil
}

// Run follows link updates until ctx ends; initial is the state already
// known to the state machine.
func (w *linkWatcher) Run(ctx context.Context, initial map[string]bool) error {
	if len(w.names) == 0 {
		return nil
	}
	ch := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	sub := w.subscribe
	if sub == nil {
		sub = netlink.LinkSubscribeWithOptions
	}
	errc := make(chan error, 1)
	if err := sub(ch, done, netlink.LinkSubscribeOptions{ErrorCallback: func(err error) {
		select {
		case errc <- err:
		default:
		}
	}}); err != nil {
		return fmt.Errorf("vrrp: subscribe to link updates: %w", err)
	}
	state := map[string]bool{}
	for k, v := range initial {
		state[k] = v
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			w.log.Warn("netlink link updates", "err", err)
		case u, ok := <-ch:
			if !ok {
				return nil
			}
			name := u.Attrs().Name
			if !w.names[name] {
				continue
			}
			up := u.Header.Type != unix.RTM_DELLINK && linkUp(u.IfInfomsg.Flags)
			if old, seen := state[name]; seen && old == up {
				continue
			}
			state[name] = up
			word := "down"
			if up {
				word = "up"
			}
			w.log.Info("Netlink reports " + name + " " + word)
			w.report(name, up)
		}
	}
}
