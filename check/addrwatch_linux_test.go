package check

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
)

var haNetnsSeq atomic.Int32

// haNetns creates a network namespace for the test, or skips.
func haNetns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	name := fmt.Sprintf("gkaha%d-%d", os.Getpid(), haNetnsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	haIP(t, name, "link", "set", "lo", "up")
	return name
}

func haIP(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// haWaitFor polls cond for up to 5 s.
func haWaitFor(t *testing.T, what string, cond func() bool, log *engLog) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("no %s within 5 s; log:\n%s", what, log)
}

// TestNetlinkAddressesNetns: the rtnetlink source lists a namespace's
// addresses and notifies their changes.
func TestNetlinkAddressesNetns(t *testing.T) {
	ns := haNetns(t)
	src := NewNetlinkAddresses("/run/netns/" + ns)
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := src.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	haIP(t, ns, "addr", "add", "10.9.9.9/32", "dev", "lo")
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification of the added address")
	}
	list, err := src.Addresses()
	if err != nil {
		t.Fatal(err)
	}
	if n := tally(list)[netip.MustParseAddr("10.9.9.9")]; n != 1 {
		t.Errorf("10.9.9.9 listed %d times in %v", n, list)
	}
	if tally(list)[netip.MustParseAddr("127.0.0.1")] != 1 {
		t.Errorf("127.0.0.1 not listed: %v", list)
	}
	cancel()
	for range ch {
	}
}

// TestEngineHASuspendNetns: the engine (in-memory IPVS, real rtnetlink
// watcher in a namespace) keeps an ha_suspend virtual server's checkers
// suspended until `ip addr add` puts its address on the host, and suspends
// them again on `ip addr del`; an IPv6 virtual server follows its own
// address.
func TestEngineHASuspendNetns(t *testing.T) {
	ns := haNetns(t)
	conf := strings.ReplaceAll(haConf, "delay_loop 2", "delay_loop 1")
	conf = strings.Replace(conf, "virtual_server 10.0.0.2 80 {\n    delay_loop 1\n", "virtual_server 2001:db8::1 80 {\n    delay_loop 1\n    ha_suspend\n", 1)
	conf = strings.Replace(conf, "real_server 10.0.1.2 80", "real_server 2001:db8:1::2 80", 1)
	log := &engLog{}
	probes := &countingProbes{}
	eng, err := NewEngine(loadConfig(t, conf), EngineOptions{
		Log:       slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Kernel:    &engKernel{},
		NewProbe:  probes.factory,
		Notify:    NotifyOptions{Runner: notify.RunnerFunc(func(context.Context, notify.Command) notify.Result { return notify.Result{} })},
		Addresses: NewNetlinkAddresses("/run/netns/" + ns),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	const rs4 = "Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80"
	haWaitFor(t, "deactivation lines", func() bool {
		return strings.Contains(log.String(), "Deactivating healthchecker for service [2001:db8:1::2]:tcp:80 for VS [2001:db8::1]:tcp:80") &&
			strings.Contains(log.String(), "Deactivating healthchecker for service [10.0.1.1]:tcp:80")
	}, log)
	time.Sleep(1500 * time.Millisecond)
	if n := probes.take("10.0.1.1"); n != 0 {
		t.Errorf("%d checks while 10.0.0.1 is absent", n)
	}

	start := time.Now()
	haIP(t, ns, "addr", "add", "10.0.0.1/32", "dev", "lo")
	haWaitFor(t, "activation", func() bool { return strings.Contains(log.String(), rs4) }, log)
	haWaitFor(t, "a check", func() bool { return probes.take("10.0.1.1") > 0 }, log)
	t.Logf("first check %v after ip addr add", time.Since(start).Round(time.Millisecond))
	if n := probes.take("2001:db8:1::2"); n != 0 {
		t.Errorf("%d checks of the IPv6 VS whose address is absent", n)
	}

	haIP(t, ns, "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad")
	haWaitFor(t, "IPv6 activation", func() bool {
		return strings.Contains(log.String(), "Activating healthchecker for service [2001:db8:1::2]:tcp:80 for VS [2001:db8::1]:tcp:80")
	}, log)

	haIP(t, ns, "addr", "del", "10.0.0.1/32", "dev", "lo")
	haWaitFor(t, "suspension", func() bool {
		return strings.Contains(log.String(), "Suspending healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80")
	}, log)
	probes.take("10.0.1.1")
	time.Sleep(1500 * time.Millisecond)
	if n := probes.take("10.0.1.1"); n != 0 {
		t.Errorf("%d checks after ip addr del", n)
	}
	if n := probes.take("2001:db8:1::2"); n == 0 {
		t.Error("the IPv6 VS's checks stopped too")
	}
}
