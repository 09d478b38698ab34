package check

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// TestPingDatagramSocket runs PING_CHECK through an unprivileged ICMP
// socket, the kind keepalived uses, in a private network namespace whose
// net.ipv4.ping_group_range allows every group (the host's is left alone).
func TestPingDatagramSocket(t *testing.T) {
	type result struct {
		raw     bool
		o4, o6  Outcome
		skipped string
	}
	p4 := newTestProbe(t, ProbeEnv{}, "127.0.0.1", 0, "PING_CHECK {\nconnect_timeout 1\n}")
	p6 := newTestProbe(t, ProbeEnv{}, "::1", 0, "PING_CHECK {\nconnect_timeout 1\n}")
	ctx := testCtx(t)
	done := make(chan result, 1)
	skip := inPrivateNetns(t, func() {
		if err := os.WriteFile("/proc/sys/net/ipv4/ping_group_range", []byte("0 2147483647"), 0); err != nil {
			done <- result{skipped: "ping_group_range: " + err.Error()}
			return
		}
		sock, raw, err := openPingSocket(false)
		if err != nil {
			done <- result{skipped: err.Error()}
			return
		}
		sock.Close()
		done <- result{raw: raw, o4: p4.Check(ctx), o6: p6.Check(ctx)}
	})
	if skip != "" {
		t.Skip(skip)
	}
	r := <-done
	if r.skipped != "" {
		t.Skip(r.skipped)
	}
	if r.raw {
		t.Error("a raw socket was used although ping sockets are allowed")
	}
	wantOK(t, r.o4)
	wantOK(t, r.o6)
}

// inPrivateNetns runs f on an OS thread moved into a new network namespace
// with only lo, up. The thread is discarded afterwards. It returns why it
// could not, or "".
func inPrivateNetns(t *testing.T, f func()) (skip string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "needs root to create a network namespace"
	}
	res := make(chan string, 1)
	go func() {
		// The thread enters a new namespace and is never returned to the
		// scheduler: it ends with this goroutine.
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			res <- "unshare: " + err.Error()
			return
		}
		if err := loopbackUp(); err != nil {
			res <- "lo up: " + err.Error()
			return
		}
		f()
		res <- ""
	}()
	return <-res
}

// loopbackUp sets IFF_UP on lo in the calling thread's namespace.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	ifr.flags |= syscall.IFF_UP
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	return nil
}

// TestNetworkUnreachable: in a namespace with no route to the server,
// connect() fails at once with ENETUNREACH and each checker reports it in
// keepalived's words.
func TestNetworkUnreachable(t *testing.T) {
	const addr = "198.51.100.7"
	cases := []struct {
		block, reason string
	}{
		{"HTTP_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}", "HTTP_CHECK - network unreachable"},
		{"SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}", "HTTP_CHECK - network unreachable"},
		{"SMTP_CHECK {\nconnect_timeout 1\n}", "Network unreachable for server 198.51.100.7 - real server [198.51.100.7]:25"},
		{"DNS_CHECK {\nconnect_timeout 1\n}", "network unreachable for [198.51.100.7]:25"},
		{"TCP_CHECK {\nconnect_timeout 1\n}", "failed"},
		{"UDP_CHECK {\nconnect_timeout 1\n}", "failed"},
	}
	probes := make([]Probe, len(cases))
	for i, c := range cases {
		probes[i] = newTestProbe(t, ProbeEnv{}, addr, 25, c.block)
	}
	ctx := testCtx(t)
	outs := make([]Outcome, len(cases))
	if skip := inPrivateNetns(t, func() {
		for i, p := range probes {
			outs[i] = p.Check(ctx)
		}
	}); skip != "" {
		t.Skip(skip)
	}
	for i, c := range cases {
		wantFail(t, outs[i], c.reason, "")
		if errors.Is(outs[i].Err, ErrLocal) {
			t.Errorf("%s: network unreachable counted as a local error", c.block[:8])
		}
	}
}
