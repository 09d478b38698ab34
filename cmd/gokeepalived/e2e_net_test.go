//go:build linux

package main

// The pieces of the end-to-end LVS-DR scenario (e2e_vm_test.go): network
// namespaces on one bridge, HTTP real servers, a client loop and a watcher
// that records which director holds the VIP and what IPVS holds.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// e2eTimeline stamps and logs the scenario's events relative to its start.
type e2eTimeline struct {
	t      *testing.T
	start  time.Time
	mu     sync.Mutex
	lines  []string
	closed bool // the test is over: t.Log would panic
}

// newE2ETimeline starts a timeline that stops logging when t's cleanups
// are done (events from goroutines that outlive them are dropped).
func newE2ETimeline(t *testing.T) *e2eTimeline {
	tl := &e2eTimeline{t: t, start: time.Now()}
	t.Cleanup(func() {
		tl.mu.Lock()
		tl.closed = true
		tl.mu.Unlock()
	})
	return tl
}

func (tl *e2eTimeline) since(at time.Time) string {
	return fmt.Sprintf("%7.3fs", at.Sub(tl.start).Seconds())
}

// logAt records an event that happened at a given time.
func (tl *e2eTimeline) logAt(at time.Time, format string, args ...any) {
	line := fmt.Sprintf("[+%s] %s", tl.since(at), fmt.Sprintf(format, args...))
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.closed {
		return
	}
	tl.lines = append(tl.lines, line)
	tl.t.Log(line)
}

func (tl *e2eTimeline) log(format string, args ...any) { tl.logAt(time.Now(), format, args...) }

// e2eRun runs a command that must succeed.
func e2eRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// e2eNet is the L2 segment: a namespace holding bridge br0 and one
// namespace per host, each with an eth0 whose peer is in the bridge.
type e2eNet struct {
	prefix string // namespace names are prefix + "-" + host
	hosts  map[string]string
}

func (n *e2eNet) ns(host string) string { return n.prefix + "-" + host }

// newE2ENet builds the segment: hosts maps a host name to its address
// (CIDR). Everything is removed in t.Cleanup.
func newE2ENet(t *testing.T, prefix string, hosts map[string]string) *e2eNet {
	n := &e2eNet{prefix: prefix, hosts: hosts}
	br := n.ns("br")
	var made []string
	t.Cleanup(func() {
		for _, ns := range made {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	e2eRun(t, "ip", "netns", "add", br)
	made = append(made, br)
	e2eRun(t, "ip", "-n", br, "link", "add", "br0", "type", "bridge",
		"stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
	e2eRun(t, "ip", "-n", br, "link", "set", "br0", "up")
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	slices.Sort(names)
	for _, h := range names {
		ns := n.ns(h)
		e2eRun(t, "ip", "netns", "add", ns)
		made = append(made, ns)
		e2eRun(t, "ip", "-n", br, "link", "add", h, "type", "veth", "peer", "name", "eth0", "netns", ns)
		e2eRun(t, "ip", "-n", br, "link", "set", h, "master", "br0", "up")
		e2eRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
		e2eRun(t, "ip", "-n", ns, "address", "add", hosts[h], "dev", "eth0")
		e2eRun(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	return n
}

// e2eInNetns runs f on an OS thread inside namespace ns. The thread is
// dropped afterwards (its goroutine ends locked). Sockets f creates stay in
// ns and may be used from any goroutine.
func e2eInNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// e2eHit is one request a real server answered.
type e2eHit struct {
	at   time.Time
	from string // the peer's address
	path string
}

// e2eRealServer is an HTTP server on port 80 in a real server's namespace
// that answers /index.html with its name.
type e2eRealServer struct {
	name, ns string
	tl       *e2eTimeline
	peers    map[string]string // address -> name, for the timeline
	mu       sync.Mutex
	srv      *http.Server
	hits     []e2eHit
	seen     map[string]bool // peers seen since the last start
}

func (rs *e2eRealServer) start() error {
	var ln net.Listener
	err := e2eInNetns(rs.ns, func() error {
		var err error
		ln, err = net.Listen("tcp4", ":80")
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: listen on port 80: %w", rs.name, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/index.html", func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		rs.mu.Lock()
		rs.hits = append(rs.hits, e2eHit{at: time.Now(), from: host, path: r.URL.Path})
		first := !rs.seen[host]
		rs.seen[host] = true
		rs.mu.Unlock()
		if name, ok := rs.peers[host]; ok && first && rs.tl != nil {
			rs.tl.log("%s: first GET /index.html from %s since it started", rs.name, name)
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, rs.name)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	srv.SetKeepAlivesEnabled(false)
	rs.mu.Lock()
	rs.srv = srv
	rs.seen = map[string]bool{}
	rs.mu.Unlock()
	go srv.Serve(ln)
	return nil
}

// stop closes the listener: new connections are refused.
func (rs *e2eRealServer) stop() {
	rs.mu.Lock()
	srv := rs.srv
	rs.srv = nil
	rs.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// firstHitFrom is the first request from addr at or after since.
func (rs *e2eRealServer) firstHitFrom(addr string, since time.Time) (time.Time, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, h := range rs.hits {
		if h.from == addr && !h.at.Before(since) {
			return h.at, true
		}
	}
	return time.Time{}, false
}

// e2eAnswer is one request of the client loop.
type e2eAnswer struct {
	start, end time.Time
	server     string // the body's name, when it succeeded
	err        error
}

// e2eClient requests http://VIP/index.html in a loop from the client
// namespace, each on a new connection, and keeps every answer.
type e2eClient struct {
	mu      sync.Mutex
	answers []e2eAnswer
	stopped chan struct{}
}

const (
	e2eClientInterval = 50 * time.Millisecond
	e2eClientTimeout  = 400 * time.Millisecond
)

func startE2EClient(ctx context.Context, ns, vip string) (*e2eClient, error) {
	c := &e2eClient{stopped: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		// This goroutine stays on its thread in the client's namespace:
		// every socket it creates belongs there.
		defer close(c.stopped)
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- err
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ready <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ready <- nil
		for ctx.Err() == nil {
			a := e2eGet(ctx, net.JoinHostPort(vip, "80"))
			c.mu.Lock()
			c.answers = append(c.answers, a)
			c.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(e2eClientInterval):
			}
		}
	}()
	return c, <-ready
}

// e2eGet is one HTTP/1.0 GET on a new connection. It dials on the calling
// goroutine (net/http would dial on another one, outside the namespace).
func e2eGet(ctx context.Context, addr string) e2eAnswer {
	a := e2eAnswer{start: time.Now()}
	defer func() { a.end = time.Now() }()
	ctx, cancel := context.WithTimeout(ctx, e2eClientTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		a.err = err
		a.end = time.Now()
		return a
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, "GET /index.html HTTP/1.0\r\nHost: vip\r\n\r\n"); err != nil {
		a.err = err
		a.end = time.Now()
		return a
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", resp.Status)
		}
		a.server = strings.TrimSpace(string(body))
	}
	a.err = err
	a.end = time.Now()
	return a
}

// since returns the answers that started at or after t.
func (c *e2eClient) since(t time.Time) []e2eAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, _ := slices.BinarySearchFunc(c.answers, t, func(a e2eAnswer, t time.Time) int { return a.start.Compare(t) })
	return slices.Clone(c.answers[i:])
}

// lastOKBefore is the end of the last successful answer that ended before t.
func (c *e2eClient) lastOKBefore(t time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.answers) - 1; i >= 0; i-- {
		a := c.answers[i]
		if a.err == nil && a.end.Before(t) {
			return a.end, true
		}
	}
	return time.Time{}, false
}

// waitOK waits until the client has n successful answers that started at
// or after t, and returns them.
func (c *e2eClient) waitOK(t time.Time, n int, timeout time.Duration) ([]e2eAnswer, error) {
	deadline := time.Now().Add(timeout)
	for {
		var ok []e2eAnswer
		for _, a := range c.since(t) {
			if a.err == nil {
				ok = append(ok, a)
			}
		}
		if len(ok) >= n {
			return ok[:n], nil
		}
		if time.Now().After(deadline) {
			return ok, fmt.Errorf("the client got %d answers in %v, want %d", len(ok), timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// e2eOutage sums up what the client saw between two instants: the failed
// requests, the longest time between two successful answers (counting
// from the last success before from), and the servers that answered.
type e2eOutage struct {
	requests, failed int
	longestGap       time.Duration
	gapFrom, gapTo   time.Time
	servers          map[string]int
	firstErr         error
}

func (c *e2eClient) outage(from, to time.Time) e2eOutage {
	o := e2eOutage{servers: map[string]int{}}
	prev, havePrev := c.lastOKBefore(from)
	var lastFail time.Time // the end of the last failure after the last answer
	for _, a := range c.since(from) {
		if a.start.After(to) {
			break
		}
		o.requests++
		if a.err != nil {
			o.failed++
			lastFail = a.end
			if o.firstErr == nil {
				o.firstErr = a.err
			}
			continue
		}
		o.servers[a.server]++
		if havePrev && a.end.Sub(prev) > o.longestGap {
			o.longestGap, o.gapFrom, o.gapTo = a.end.Sub(prev), prev, a.end
		}
		prev, havePrev = a.end, true
		lastFail = time.Time{}
	}
	// Failures after the last answer are a gap too, up to the last of them.
	if havePrev && !lastFail.IsZero() && lastFail.Sub(prev) > o.longestGap {
		o.longestGap, o.gapFrom, o.gapTo = lastFail.Sub(prev), prev, lastFail
	}
	return o
}

func (o e2eOutage) String() string {
	s := fmt.Sprintf("%d requests, %d failed, longest gap between answers %.3f s", o.requests, o.failed, o.longestGap.Seconds())
	if o.firstErr != nil {
		s += fmt.Sprintf(" (first error: %v)", o.firstErr)
	}
	return s
}

// e2eServers is the sequence of servers in answers, for the timeline.
func e2eServers(answers []e2eAnswer) string {
	var s []string
	for _, a := range answers {
		s = append(s, a.server)
	}
	return strings.Join(s, " ")
}

// e2eDirectorState is what the watcher sees on one director.
type e2eDirectorState struct {
	hasVIP bool
	vipAt  time.Time // the end of the poll that first saw hasVIP's current value
	ipvs   []string  // real servers in IPVS for the VIP, sorted
	ipvsAt time.Time // the end of the poll that first saw ipvs's current value
}

// e2eWatcher polls each director for the VIP on eth0 (netlink, every
// 20 ms) and for its IPVS table (ipvsadm -Ln, as fast as it runs), logs every
// change on the timeline and lets the scenario wait for a condition.
type e2eWatcher struct {
	tl      *e2eTimeline
	vip     string
	mu      sync.Mutex
	state   map[string]e2eDirectorState
	seenVIP map[string]bool // the VIP of a director was polled once
	seenVS  map[string]bool // the IPVS table of a director was polled once
	wg      sync.WaitGroup
	done    chan struct{}
}

func startE2EWatcher(ctx context.Context, tl *e2eTimeline, n *e2eNet, vip string, directors []string) (*e2eWatcher, error) {
	w := &e2eWatcher{tl: tl, vip: vip, state: map[string]e2eDirectorState{},
		seenVIP: map[string]bool{}, seenVS: map[string]bool{}, done: make(chan struct{})}
	handles := map[string]*netlink.Handle{}
	for _, d := range directors {
		nsh, err := netns.GetFromPath("/run/netns/" + n.ns(d))
		if err != nil {
			return nil, err
		}
		h, err := netlink.NewHandleAt(nsh, unix.NETLINK_ROUTE)
		nsh.Close()
		if err != nil {
			for _, h := range handles {
				h.Close()
			}
			return nil, fmt.Errorf("netlink in %s: %w", d, err)
		}
		handles[d] = h
	}
	pause := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	for _, d := range directors {
		w.wg.Add(2)
		go func() {
			defer w.wg.Done()
			defer handles[d].Close()
			for {
				has := e2eHasAddr(handles[d], vip)
				w.updateVIP(d, has, time.Now())
				if !pause(20 * time.Millisecond) {
					return
				}
			}
		}()
		go func() {
			defer w.wg.Done()
			for {
				// Stamped when ipvsadm is done: a change it shows
				// happened before that.
				rs := e2eIPVS(n.ns(d), vip)
				w.updateIPVS(d, rs, time.Now())
				// ipvsadm costs a fork and two execs: poll less often
				// than the VIP, not to load the VM's two vCPUs.
				if !pause(150 * time.Millisecond) {
					return
				}
			}
		}()
	}
	go func() {
		w.wg.Wait()
		close(w.done)
	}()
	return w, nil
}

func e2eHasAddr(h *netlink.Handle, ip string) bool {
	l, err := h.LinkByName("eth0")
	if err != nil {
		return false
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.IP.String() == ip {
			return true
		}
	}
	return false
}

// e2eIPVS lists the real servers of virtual service VIP:80 in namespace
// ns with ipvsadm -Ln (nil when the service is absent or ipvsadm fails).
func e2eIPVS(ns, vip string) []string {
	out, err := exec.Command("ip", "netns", "exec", ns, "ipvsadm", "-Ln", "-t", vip+":80").Output()
	if err != nil {
		return nil
	}
	var rs []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "->" && f[1] != "RemoteAddress:Port" {
			rs = append(rs, f[1])
		}
	}
	slices.Sort(rs)
	return rs
}

// updateVIP records what a poll that ended at at saw.
func (w *e2eWatcher) updateVIP(d string, has bool, at time.Time) {
	w.mu.Lock()
	st, seen := w.state[d], w.seenVIP[d]
	old := st.hasVIP
	if !seen || old != has {
		st.hasVIP, st.vipAt = has, at
	}
	w.state[d], w.seenVIP[d] = st, true
	w.mu.Unlock()
	switch {
	case has && (!seen || !old):
		w.tl.logAt(at, "%s holds the VIP %s (master)", d, w.vip)
	case !has && seen && old:
		w.tl.logAt(at, "%s no longer holds the VIP", d)
	}
}

func (w *e2eWatcher) updateIPVS(d string, rs []string, at time.Time) {
	w.mu.Lock()
	st, seen := w.state[d], w.seenVS[d]
	old := st.ipvs
	changed := !seen || !slices.Equal(old, rs)
	if changed {
		st.ipvs, st.ipvsAt = rs, at
	}
	w.state[d], w.seenVS[d] = st, true
	w.mu.Unlock()
	if changed && (seen || len(rs) > 0) {
		if len(rs) == 0 {
			w.tl.logAt(at, "%s IPVS %s:80 has no real servers", d, w.vip)
		} else {
			w.tl.logAt(at, "%s IPVS %s:80 -> %s", d, w.vip, strings.Join(rs, ", "))
		}
	}
}

func (w *e2eWatcher) get(d string) e2eDirectorState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state[d]
}

// waitFor polls cond on the watcher's view until it holds or timeout.
func (w *e2eWatcher) waitFor(what string, timeout time.Duration, cond func() bool) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// e2eDirector is one keepalived or gokeepalived process in a namespace.
type e2eDirector struct {
	name, impl, ns, dir, conf string
	tl                        *e2eTimeline // when set, key log lines go on the timeline
	cmd                       *exec.Cmd
	exited                    chan struct{}
	log                       *os.File
}

// e2eKeyLogLines are the director's log messages (keepalived's wording)
// worth a line on the timeline.
var e2eKeyLogLines = regexp.MustCompile(`Entering [A-Z]+ STATE|sent 0 priority|Removing service|Adding service|HTTP_CHECK on service .* failed|Starting (go)?[Kk]eepalived|Stopped (go)?[Kk]eepalived|Startup complete`)

// e2eLogDate is the date keepalived -l puts before each message.
var e2eLogDate = regexp.MustCompile(`^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}: `)

// e2eLineWriter copies a director's output to its log file and passes
// each complete line to onLine.
type e2eLineWriter struct {
	f      *os.File
	onLine func(string)
	buf    []byte
}

func (w *e2eLineWriter) Write(p []byte) (int, error) {
	w.f.Write(p)
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.onLine(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (d *e2eDirector) binary() string {
	if d.impl == "gokeepalived" {
		return "/usr/local/sbin/gokeepalived"
	}
	return "keepalived"
}

func (d *e2eDirector) pidFile(kind string) string {
	return fmt.Sprintf("%s/%s.%s.pid", d.dir, d.name, kind)
}

// start runs the director in the foreground, as keepalived's unit does:
// -n -l -D -f CONF -p PID -r VRRPPID -c CHECKPID.
func (d *e2eDirector) start() error {
	if d.log == nil {
		f, err := os.OpenFile(fmt.Sprintf("%s/%s.log", d.dir, d.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		d.log = f
	}
	fmt.Fprintf(d.log, "=== %s %s starting at %s\n", d.impl, d.name, time.Now().Format(time.RFC3339Nano))
	d.cmd = exec.Command("ip", "netns", "exec", d.ns, d.binary(), "-n", "-l", "-D", "-f", d.conf,
		"-p", d.pidFile("main"), "-r", d.pidFile("vrrp"), "-c", d.pidFile("check"))
	if d.tl != nil {
		lw := &e2eLineWriter{f: d.log, onLine: func(line string) {
			if e2eKeyLogLines.MatchString(line) {
				d.tl.log("%s %s: %s", d.name, d.impl, e2eLogDate.ReplaceAllString(line, ""))
			}
		}}
		d.cmd.Stdout, d.cmd.Stderr = lw, lw
	} else {
		d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	}
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s on %s: %w", d.impl, d.name, err)
	}
	d.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(d.cmd, d.exited)
	return nil
}

func (d *e2eDirector) running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the director's main process and waits for it; after
// timeout its whole process group gets SIGKILL.
func (d *e2eDirector) stop(timeout time.Duration) error {
	if !d.running() {
		return nil
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	return d.wait(timeout)
}

// wait waits for the director to exit; after timeout its whole process
// group gets SIGKILL.
func (d *e2eDirector) wait(timeout time.Duration) error {
	if d.cmd == nil {
		return nil
	}
	select {
	case <-d.exited:
		return nil
	case <-time.After(timeout):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		return fmt.Errorf("%s on %s did not stop within %v of SIGTERM; killed", d.impl, d.name, timeout)
	}
}

// tail is the end of the director's log, for failure reports.
func (d *e2eDirector) tail(n int) string {
	b, err := os.ReadFile(fmt.Sprintf("%s/%s.log", d.dir, d.name))
	if errors.Is(err, os.ErrNotExist) {
		return "(never started)"
	} else if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// e2ePidAlive reads a pid file and says whether that process lives.
func e2ePidAlive(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	var pid int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid); err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return pid, false
	}
	// A zombie is dead too: its parent has not reaped it yet.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return pid, false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return pid, false
	}
	return pid, true
}
