package vrrp

import (
	"fmt"
	"sort"
	"sync"
)

// fakeAddressManager is an in-memory AddressManager: a set of addresses per
// device, and sets of routes and rules keyed by their text. Devices must be
// declared; anything may be pre-seeded to play an administrator.
type fakeAddressManager struct {
	mu     sync.Mutex
	devs   map[string]bool
	addrs  map[string]Address
	routes map[string]bool
	rules  map[string]bool
	ops    []string // log of successful operations, "+a 10.0.0.1/32 dev eth0"
	fail   map[string]error
}

var _ AddressManager = (*fakeAddressManager)(nil)

func newFakeAddressManager(devs ...string) *fakeAddressManager {
	f := &fakeAddressManager{devs: map[string]bool{}, addrs: map[string]Address{}, routes: map[string]bool{},
		rules: map[string]bool{}, fail: map[string]error{}}
	for _, d := range devs {
		f.devs[d] = true
	}
	return f
}

func (f *fakeAddressManager) AddAddress(a Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["+a "+a.String()]; err != nil {
		return err
	}
	if !f.devs[a.Dev] {
		return fmt.Errorf("fake: add address %s: interface %s: %w", a, a.Dev, ErrNotExist)
	}
	if _, ok := f.addrs[a.key()]; ok {
		return fmt.Errorf("fake: add address %s: %w", a, ErrExist)
	}
	f.addrs[a.key()] = a
	f.ops = append(f.ops, "+a "+a.String())
	return nil
}

func (f *fakeAddressManager) DelAddress(a Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.addrs[a.key()]; !ok {
		return fmt.Errorf("fake: delete address %s: %w", a, ErrNotExist)
	}
	delete(f.addrs, a.key())
	f.ops = append(f.ops, "-a "+a.String())
	return nil
}

func (f *fakeAddressManager) AddRoute(r VirtualRoute) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.routes[r.String()] {
		return fmt.Errorf("fake: add route %s: %w", r, ErrExist)
	}
	f.routes[r.String()] = true
	f.ops = append(f.ops, "+r "+r.String())
	return nil
}

func (f *fakeAddressManager) DelRoute(r VirtualRoute) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.routes[r.String()] {
		return fmt.Errorf("fake: delete route %s: %w", r, ErrNotExist)
	}
	delete(f.routes, r.String())
	f.ops = append(f.ops, "-r "+r.String())
	return nil
}

func (f *fakeAddressManager) AddRule(r VirtualRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rules[r.String()] {
		return fmt.Errorf("fake: add rule %s: %w", r, ErrExist)
	}
	f.rules[r.String()] = true
	f.ops = append(f.ops, "+u "+r.String())
	return nil
}

func (f *fakeAddressManager) DelRule(r VirtualRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.rules[r.String()] {
		return fmt.Errorf("fake: delete rule %s: %w", r, ErrNotExist)
	}
	delete(f.rules, r.String())
	f.ops = append(f.ops, "-u "+r.String())
	return nil
}

// present lists the configured addresses, sorted.
func (f *fakeAddressManager) present() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.addrs {
		out = append(out, a.String())
	}
	sort.Strings(out)
	return out
}

func (f *fakeAddressManager) takeOps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.ops
	f.ops = nil
	return o
}
