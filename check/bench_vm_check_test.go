//go:build linux

package check

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestBenchCheckVM is the side-by-side part of `make bench-check`: the same
// generated keepalived.conf with N real servers at delay_loop 1 is run by
// keepalived 2.2.7's checker process (`keepalived -n -l -C`) and then by
// gokeepalived's (`gokeepalived -n -l -C`), each in a fresh network namespace
// with its own IPVS table. Every real server is a distinct loopback address
// 127.a.b.c; one listener of this test on 0.0.0.0 serves them all and notes,
// per address, when each check connection arrived. Both daemons are thus
// measured the same way from outside:
//
//   - CPU seconds per minute: utime+stime of the daemon's processes
//     (/proc/PID/stat) over the window, scaled to 60 s;
//   - peak RSS: VmHWM of each of its processes, summed;
//   - lateness: the interval between two consecutive checks of one real
//     server minus delay_loop (the next check is due delay_loop after the
//     previous one; both daemons add the check's own duration, which is well
//     under a millisecond here), as a distribution; plus the checks per
//     second actually received against the N/delay_loop expected, and the
//     servers left unchecked for longer than 2×delay_loop at the end.
//
// It is not part of `make test`: it runs only with BENCH_CHECK=1 (which
// `make bench-check` passes into the VM on the kernel command line) and only
// in the VM (GOKEEPALIVED_VM=1). Knobs, also from the environment:
// BENCH_CHECK_N (comma separated sizes, default 10000), BENCH_CHECK_KINDS
// (tcp,http; also idle: TCP_CHECK at delay_loop 3600, the cost at rest),
// BENCH_CHECK_WINDOW (seconds of measurement, default 60),
// BENCH_CHECK_BIG_KINDS (kinds run at sizes above 10,000, default tcp).
func TestBenchCheckVM(t *testing.T) {
	if os.Getenv("BENCH_CHECK") != "1" {
		t.Skip("benchmark: runs only with BENCH_CHECK=1 (make bench-check)")
	}
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the IPVS test VM (GOKEEPALIVED_VM=1; run make bench-check)")
	}
	gk := "/usr/local/sbin/gokeepalived"
	if b := os.Getenv("BENCH_CHECK_GOKEEPALIVED"); b != "" {
		gk = b
	}
	if _, err := os.Stat(gk); err != nil {
		t.Skip("the VM has no gokeepalived (its build failed)")
	}
	bcvSideBySide(t, "VM", bcvDaemon{name: "gokeepalived", bin: gk}, nil)
}

// TestBenchCheckHost is the same comparison on this machine's own kernel,
// which has no IPVS, at native speed: under emulation the VM cannot make
// 10,000 connections a second, so the 10,000 and 50,000 server sizes
// there measure the VM, not the daemons. keepalived's checker stops at
// start-up without IPVS, so it runs with scripts/bench-fake-ipvs.c
// preloaded (BENCH_CHECK_FAKE_IPVS: the built library), which answers its
// IPVS requests; gokeepalived is the cmd/gokeepalived test binary
// (BENCH_CHECK_GOKEEPALIVED) as the daemon with an in-memory IPVS table
// (GOKEEPALIVED_BENCH_DAEMON=1, cmd/gokeepalived/bench_daemon_test.go).
// Neither table changes while every server passes, so both measure their
// checking alone. scripts/bench-check.sh builds both and runs this with
// BENCH_CHECK=1 when BENCH_CHECK_HOST_DAEMONS=1.
func TestBenchCheckHost(t *testing.T) {
	if os.Getenv("BENCH_CHECK") != "1" {
		t.Skip("benchmark: runs only with BENCH_CHECK=1 (make bench-check-host)")
	}
	if os.Getenv("GOKEEPALIVED_VM") == "1" {
		t.Skip("the VM has IPVS: TestBenchCheckVM runs there")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for its network namespaces")
	}
	so, gk := os.Getenv("BENCH_CHECK_FAKE_IPVS"), os.Getenv("BENCH_CHECK_GOKEEPALIVED")
	if so == "" || gk == "" {
		t.Skip("needs BENCH_CHECK_FAKE_IPVS (scripts/bench-fake-ipvs.c built) and BENCH_CHECK_GOKEEPALIVED (cmd/gokeepalived's test binary); run make bench-check-host")
	}
	bcvSideBySide(t, "host", bcvDaemon{name: "gokeepalived", bin: gk, env: []string{"GOKEEPALIVED_BENCH_DAEMON=1"}},
		[]string{"LD_PRELOAD=" + so})
}

// bcvDaemon is a daemon to measure: its binary and what its environment
// adds to the test's.
type bcvDaemon struct {
	name, bin string
	env       []string
}

// bcvSideBySide runs keepalived (with kaEnv added to its environment) and
// gk on every size and kind asked for, and prints the table.
func bcvSideBySide(t *testing.T, where string, gk bcvDaemon, kaEnv []string) {
	ka, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) is not installed")
	}
	// The servers hold a descriptor per connection in flight: with
	// thousands of HTTP checks the VM's default hard limit (4096) ran out,
	// which failed their accepts and the test's own /proc reads. The
	// daemons inherit the raised limit too.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err != nil {
		t.Logf("raising the descriptor limit: %v", err)
	}
	sizes := bcvInts(t, os.Getenv("BENCH_CHECK_N"), []int{10000})
	kinds := bcvList(os.Getenv("BENCH_CHECK_KINDS"), []string{"tcp", "http"})
	bigKinds := bcvList(os.Getenv("BENCH_CHECK_BIG_KINDS"), []string{"tcp"})
	// BENCH_CHECK_DAEMONS picks the daemons to run (keepalived,gokeepalived),
	// to iterate on one of them.
	daemons := bcvList(os.Getenv("BENCH_CHECK_DAEMONS"), []string{"keepalived", "gokeepalived"})
	window := 60 * time.Second
	if w := os.Getenv("BENCH_CHECK_WINDOW"); w != "" {
		s, err := strconv.Atoi(w)
		if err != nil || s <= 0 {
			t.Fatalf("BENCH_CHECK_WINDOW=%q: want whole seconds", w)
		}
		window = time.Duration(s) * time.Second
	}
	fmt.Printf("BENCH-CHECK: %s %d CPUs, %s; window %s of %s time per run; delay_loop 1 s\n",
		where, runtime.NumCPU(), bcvMemTotal(), window, where)

	var rows []bcvResult
	for _, n := range sizes {
		for _, kind := range kinds {
			if n > 10000 && !slices.Contains(bigKinds, kind) {
				continue
			}
			conf := bcvConfig(n, kind)
			for _, d := range []bcvDaemon{{name: "keepalived", bin: ka, env: kaEnv}, gk} {
				if !slices.Contains(daemons, d.name) {
					continue
				}
				r := bcvRun(t, d, conf, n, kind, window)
				rows = append(rows, r)
				fmt.Println("BENCH-CHECK-ROW: " + r.row())
			}
		}
	}
	fmt.Println("BENCH-CHECK-TABLE:")
	fmt.Println("BENCH-CHECK-TABLE: " + bcvHeader)
	for _, r := range rows {
		fmt.Println("BENCH-CHECK-TABLE: " + r.row())
	}
}

func bcvList(s string, def []string) []string {
	if s == "" {
		return def
	}
	return strings.Split(s, ",")
}

func bcvInts(t *testing.T, s string, def []int) []int {
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n > 62500*2 {
			t.Fatalf("BENCH_CHECK_N: bad size %q", f)
		}
		out = append(out, n)
	}
	return out
}

func bcvMemTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			return "MemTotal " + strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return "MemTotal ?"
}

// bcvAddr is real server i's address: 127.(10+i/62500).(i/250%250+1).(i%250+1).
func bcvAddr(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", 10+i/62500, i/250%250+1, i%250+1)
}

// bcvIndex is the inverse of bcvAddr; -1 for any other address.
func bcvIndex(ip net.IP) int {
	ip4 := ip.To4()
	if ip4 == nil || ip4[0] != 127 || ip4[1] < 10 || ip4[2] == 0 || ip4[2] > 250 || ip4[3] == 0 || ip4[3] > 250 {
		return -1
	}
	return int(ip4[1]-10)*62500 + int(ip4[2]-1)*250 + int(ip4[3]-1)
}

const (
	bcvPort    = 8080
	bcvPerVS   = 1000
	bcvLoopSec = 1
)

// bcvConfig is a keepalived.conf with n real servers in virtual servers of
// 1,000 each, every one checked at delay_loop 1 by TCP_CHECK or HTTP_GET.
func bcvConfig(n int, kind string) []byte {
	var b bytes.Buffer
	b.WriteString("global_defs {\n  router_id bench_check\n}\n")
	loop := bcvLoopSec
	if kind == "idle" {
		loop = 3600
	}
	for vs := 0; vs*bcvPerVS < n; vs++ {
		fmt.Fprintf(&b, "virtual_server 10.99.%d.%d 80 {\n  delay_loop %d\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n",
			vs/250, vs%250+1, loop)
		for i := vs * bcvPerVS; i < n && i < (vs+1)*bcvPerVS; i++ {
			fmt.Fprintf(&b, "  real_server %s %d {\n    weight 1\n", bcvAddr(i), bcvPort)
			switch kind {
			case "tcp":
				b.WriteString("    TCP_CHECK {\n      connect_timeout 3\n    }\n")
			case "idle":
				// One check 1 s after start, the next an hour later: the
				// daemon's cost at rest with this many servers.
				b.WriteString("    TCP_CHECK {\n      connect_timeout 3\n      warmup 0\n    }\n")
			case "http":
				b.WriteString("    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 3\n    }\n")
			default:
				panic("unknown kind " + kind)
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// bcvServer accepts the checks of all real servers and records, per server,
// when the last one arrived and, while measuring, the intervals between them.
type bcvServer struct {
	l     net.Listener
	http  bool
	start time.Time // monotonic origin of the stamps

	last    []atomic.Int64 // ns since start of the last check, 0 none
	seen    atomic.Int64   // servers checked at least once
	measure atomic.Bool
	winFrom atomic.Int64 // ns since start when the window opened
	checks  atomic.Int64 // checks received in the window
	other   atomic.Int64 // connections to addresses that are no real server

	mu        sync.Mutex
	intervals []int32 // µs, in the window
	wg        sync.WaitGroup
}

func (s *bcvServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := int64(time.Since(s.start))
		idx := -1
		if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
			idx = bcvIndex(a.IP)
		}
		if idx < 0 || idx >= len(s.last) {
			s.other.Add(1)
			c.Close()
			continue
		}
		prev := s.last[idx].Swap(now)
		if prev == 0 {
			s.seen.Add(1)
		}
		if s.measure.Load() {
			s.checks.Add(1)
			if prev != 0 && prev >= s.winFrom.Load() {
				us := (now - prev) / 1000
				if us > 1<<31-1 {
					us = 1<<31 - 1
				}
				s.mu.Lock()
				s.intervals = append(s.intervals, int32(us))
				s.mu.Unlock()
			}
		}
		if !s.http {
			c.Close()
			continue
		}
		go bcvAnswerHTTP(c)
	}
}

var bcvHTTPReply = []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok\n")

// bcvAnswerHTTP reads a request's head and answers 200.
func bcvAnswerHTTP(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 1024)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	_, _ = c.Write(bcvHTTPReply)
}

// bcvProc is one process of a daemon.
type bcvProc struct {
	pid, ppid  int
	name       string
	ticks      int64 // utime+stime
	hwmKB, rss int64
}

// bcvTree lists root and all its descendants.
func bcvTree(root int) []bcvProc {
	ents, _ := os.ReadDir("/proc")
	var all []bcvProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if lp < 0 || rp < lp {
			continue
		}
		f := strings.Fields(s[rp+2:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		p := bcvProc{pid: pid, ppid: ppid, name: s[lp+1 : rp], ticks: ut + st}
		if sb, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status")); err == nil {
			for _, l := range strings.Split(string(sb), "\n") {
				fs := strings.Fields(l)
				if len(fs) < 2 {
					continue
				}
				v, _ := strconv.ParseInt(fs[1], 10, 64)
				switch fs[0] {
				case "VmHWM:":
					p.hwmKB = v
				case "VmRSS:":
					p.rss = v
				}
			}
		}
		all = append(all, p)
	}
	in := map[int]bool{root: true}
	var out []bcvProc
	for changed := true; changed; {
		changed = false
		for _, p := range all {
			if !in[p.pid] && in[p.ppid] {
				in[p.pid] = true
				changed = true
			}
		}
	}
	for _, p := range all {
		if in[p.pid] {
			out = append(out, p)
		}
	}
	return out
}

// bcvResult is one row of the table.
type bcvResult struct {
	daemon, kind string
	n            int
	window       time.Duration
	startup      time.Duration // start to every server checked once (-1: never)
	cpuPerMin    float64       // CPU seconds per minute
	cpuPerCheck  time.Duration // CPU per check received
	procs        int
	hwmMB        float64 // sum of VmHWM of its processes
	maxHWMMB     float64 // the largest process's VmHWM
	rate         float64 // checks received per second / expected
	lateP50      time.Duration
	lateP99      time.Duration
	lateMax      time.Duration
	over5pct     float64 // share of intervals more than 5% of delay_loop late
	stale        int     // servers unchecked for more than 2×delay_loop at the end
	note         string
}

const bcvHeader = "daemon        check     N  startup  CPU-s/min  CPU/check  peak-RSS-MB(sum/max)  checks/s(of-due)  late-p50  late-p99  late-max  >5%late  stale  note"

func (r bcvResult) row() string {
	st := "never"
	if r.startup >= 0 {
		st = fmt.Sprintf("%.1fs", r.startup.Seconds())
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("%-12s  %-5s %6d  %7s  %9.2f  %7.2fms  %9.1f / %-9.1f  %8.0f (%5.1f%%)  %8s  %8s  %8s  %6.2f%%  %5d  %s",
		r.daemon, r.kind, r.n, st, r.cpuPerMin, float64(r.cpuPerCheck.Microseconds())/1000, r.hwmMB, r.maxHWMMB,
		r.rate*float64(r.n)/bcvLoopSec, 100*r.rate, ms(r.lateP50), ms(r.lateP99), ms(r.lateMax),
		100*r.over5pct, r.stale, r.note)
}

var bcvSeq atomic.Int32

func bcvRun(t *testing.T, d bcvDaemon, conf []byte, n int, kind string, window time.Duration) bcvResult {
	t.Helper()
	name, bin := d.name, d.bin
	res := bcvResult{daemon: name, kind: kind, n: n, window: window, startup: -1}
	ns := fmt.Sprintf("bchk%d-%d", os.Getpid(), bcvSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
	}
	defer func() { _ = exec.Command("ip", "netns", "del", ns).Run() }()
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v: %s", ns, err, out)
	}
	l, err := engVMListen(ns, fmt.Sprintf("0.0.0.0:%d", bcvPort))
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	srv := &bcvServer{l: l, http: kind == "http", start: time.Now(), last: make([]atomic.Int64, n)}
	// One accept loop, so that the stamps of one server are in order.
	srv.wg.Add(1)
	go srv.serve()
	defer func() { l.Close(); srv.wg.Wait() }()

	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-n", "-l", "-C", "-f", cf,
		"-p", filepath.Join(dir, "p.pid"), "-r", filepath.Join(dir, "r.pid"), "-c", filepath.Join(dir, "c.pid"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(d.env) > 0 {
		cmd.Env = append(os.Environ(), d.env...)
	}
	// BENCH_CHECK_GOENV (NAME=value,...) is added to gokeepalived's
	// environment, to measure runtime settings such as GOMAXPROCS or GOGC.
	if env := os.Getenv("BENCH_CHECK_GOENV"); env != "" && name == "gokeepalived" {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, strings.Split(env, ",")...)
		res.note += " env:" + env
	}
	// BENCH_CHECK_PROFILE=1: gokeepalived's checker writes a CPU profile,
	// printed after the run for bench-check.sh to save on the host.
	profile := ""
	if os.Getenv("BENCH_CHECK_PROFILE") == "1" && name == "gokeepalived" {
		profile = filepath.Join(dir, "cpu")
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, "GOKEEPALIVED_CPUPROFILE="+profile)
		defer func() { bcvPrintProfile(fmt.Sprintf("%s-%s-%d", name, kind, n), profile+".checker") }()
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(120 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			res.note += " killed-after-120s-SIGTERM"
		}
	}
	defer stop()
	logTail := func() string {
		b, _ := os.ReadFile(logf.Name())
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		return string(b)
	}

	printLog := func() {
		lines := strings.Split(strings.TrimSpace(logTail()), "\n")
		for _, l := range lines[max(0, len(lines)-5):] {
			fmt.Printf("BENCH-CHECK:   log| %s\n", l)
		}
	}
	// gone is the row of a daemon that died before the end of the window
	// (for instance killed for want of memory).
	gone := func(when string, err error) bcvResult {
		stopped = true
		res.note = fmt.Sprintf("exited-during-%s(%v)-after-%.0fs", strings.ReplaceAll(when, " ", "-"), err, time.Since(t0).Seconds())
		res.note = strings.ReplaceAll(res.note, " ", "-")
		fmt.Printf("BENCH-CHECK: %s %s N=%d: %s; its log ends:\n", name, kind, n, res.note)
		printLog()
		if b, err := exec.Command("dmesg").Output(); err == nil && bytes.Contains(b, []byte("Out of memory")) {
			fmt.Printf("BENCH-CHECK:   the VM's kernel log mentions \"Out of memory\"\n")
			res.note += " OOM"
		}
		return res
	}

	// Start-up: until every real server has had a check (at most 5 minutes),
	// then two more delay_loops so that the first-run spread is over.
	deadline := t0.Add(5 * time.Minute)
	for srv.seen.Load() < int64(n) && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return gone("start-up", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if srv.seen.Load() >= int64(n) {
		res.startup = time.Since(t0)
		// Failed attempts of the first round show the daemon outrunning
		// what the servers accept (both log keepalived's lines).
		if b, err := os.ReadFile(logf.Name()); err == nil {
			fmt.Printf("BENCH-CHECK: %s %s N=%d: first round over after %v with %d timeouts and %d failures logged\n",
				name, kind, n, res.startup.Round(100*time.Millisecond), bytes.Count(b, []byte("timeout")), bytes.Count(b, []byte("failed")))
		}
	} else {
		res.note += fmt.Sprintf(" only-%d-servers-checked-after-5min", srv.seen.Load())
	}
	time.Sleep(2 * bcvLoopSec * time.Second)

	// The window.
	before := bcvTree(cmd.Process.Pid)
	vm0 := bcvReadCPUStat()
	self0 := bcvSelfCPU()
	srv.winFrom.Store(int64(time.Since(srv.start)))
	srv.measure.Store(true)
	w0 := time.Now()
	select {
	case err := <-exited:
		return gone("the window", err)
	case <-time.After(window):
	}
	after := bcvTree(cmd.Process.Pid)
	vmBusy := bcvReadCPUStat().busySince(vm0)
	selfCPU := bcvSelfCPU() - self0
	srv.measure.Store(false)
	elapsed := time.Since(w0)
	endNS := int64(time.Since(srv.start))

	cpu0 := map[int]int64{}
	for _, p := range before {
		cpu0[p.pid] = p.ticks
	}
	var ticks int64
	var names []string
	for _, p := range after {
		ticks += p.ticks - cpu0[p.pid]
		res.hwmMB += float64(p.hwmKB) / 1024
		res.maxHWMMB = max(res.maxHWMMB, float64(p.hwmKB)/1024)
		names = append(names, fmt.Sprintf("%s[%d]=%.2fs/%dMB", p.name, p.pid, float64(p.ticks-cpu0[p.pid])/100, p.hwmKB/1024))
	}
	res.procs = len(after)
	// USER_HZ is 100 on Linux for /proc/PID/stat.
	res.cpuPerMin = float64(ticks) / 100 / elapsed.Seconds() * 60
	res.rate = float64(srv.checks.Load()) / elapsed.Seconds() / (float64(n) / bcvLoopSec)
	if c := srv.checks.Load(); c > 0 {
		res.cpuPerCheck = time.Duration(float64(ticks) / 100 / float64(c) * float64(time.Second))
	}
	srv.mu.Lock()
	iv := slices.Clone(srv.intervals)
	srv.mu.Unlock()
	closed := len(iv)
	// A server whose next check is already overdue at the end of the window
	// counts with the gap so far: a lower bound of its interval.
	for i := range srv.last {
		gap := endNS - srv.last[i].Load()
		if gap > int64(2*bcvLoopSec*time.Second) {
			res.stale++
		}
		if gap > int64(bcvLoopSec*time.Second) {
			iv = append(iv, int32(min(gap/1000, 1<<31-1)))
		}
	}
	slices.Sort(iv)
	if len(iv) > 0 {
		late := func(us int32) time.Duration {
			return max(0, time.Duration(us)*time.Microsecond-bcvLoopSec*time.Second)
		}
		res.lateP50 = late(iv[len(iv)/2])
		res.lateP99 = late(iv[len(iv)*99/100])
		res.lateMax = late(iv[len(iv)-1])
		limit := int32((bcvLoopSec * time.Second * 105 / 100) / time.Microsecond)
		over := len(iv) - sortSearchInt32(iv, limit+1)
		res.over5pct = float64(over) / float64(len(iv))
	} else {
		res.note += " no-intervals"
	}
	if o := srv.other.Load(); o > 0 {
		res.note += fmt.Sprintf(" %d-stray-connections", o)
	}
	// Connections the listener could not take make checks late (the
	// client's SYN is sent again a second later) through no fault of the
	// daemon; the namespace is the run's own, so these count the run.
	if st := bcvTCPExt(cmd.Process.Pid); st["ListenDrops"]+st["TCPSynRetrans"] > 0 {
		res.note += fmt.Sprintf(" listen-drops=%d,syn-retrans=%d", st["ListenDrops"], st["TCPSynRetrans"])
	}
	fmt.Printf("BENCH-CHECK: %s %s N=%d: start-up %v, window %.1fs, %d checks, %d intervals + %d open gaps over delay_loop; "+
		"CPUs busy %.0f%%, this test (the servers) %.2f CPU-s; processes %s\n",
		name, kind, n, res.startup.Round(100*time.Millisecond), elapsed.Seconds(), srv.checks.Load(), closed, len(iv)-closed,
		vmBusy, selfCPU.Seconds(), strings.Join(names, " "))
	t0stop := time.Now()
	stop()
	fmt.Printf("BENCH-CHECK: %s %s N=%d stopped in %.1fs\n", name, kind, n, time.Since(t0stop).Seconds())
	printLog()
	if kind == "idle" {
		// delay_loop 3600: no check is due in the window.
		res.rate, res.lateP50, res.lateP99, res.lateMax, res.over5pct, res.stale, res.cpuPerCheck = 0, 0, 0, 0, 0, 0, 0
		res.note += " at-rest(delay_loop-3600)"
	}
	res.note = strings.TrimSpace(res.note)
	return res
}

// bcvTCPExt reads the TcpExt counters of pid's network namespace.
func bcvTCPExt(pid int) map[string]int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/netstat", pid))
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	out := map[string]int64{}
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for j := 1; j < len(names); j++ {
			out[names[j]], _ = strconv.ParseInt(values[j], 10, 64)
		}
	}
	return out
}

// sortSearchInt32 is the first index in sorted a with a[i] >= v.
func sortSearchInt32(a []int32, v int32) int {
	i, _ := slices.BinarySearch(a, v)
	return i
}

// bcvCPUStat is the VM's total and idle (with iowait) CPU ticks from
// /proc/stat.
type bcvCPUStat struct{ total, idle int64 }

func bcvReadCPUStat() bcvCPUStat {
	var st bcvCPUStat
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		// The servers may hold every descriptor the test may open.
		fmt.Printf("BENCH-CHECK: reading /proc/stat: %v\n", err)
		return st
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return st
	}
	for i, v := range fields[1:] {
		x, _ := strconv.ParseInt(v, 10, 64)
		st.total += x
		if i == 3 || i == 4 { // idle, iowait
			st.idle += x
		}
	}
	return st
}

// busySince is the share of all CPUs busy since prev, in %.
func (st bcvCPUStat) busySince(prev bcvCPUStat) float64 {
	dt := st.total - prev.total
	if dt <= 0 {
		return 0
	}
	return 100 * float64(dt-(st.idle-prev.idle)) / float64(dt)
}

// bcvSelfCPU is the CPU time of this process so far.
func bcvSelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchCheckAddr: the benchmark's server maps every address it hands
// out back to its real server, and nothing else.
func TestBenchCheckAddr(t *testing.T) {
	for _, i := range []int{0, 1, 249, 250, 62499, 62500, 99999, 124999} {
		if got := bcvIndex(net.ParseIP(bcvAddr(i))); got != i {
			t.Errorf("bcvIndex(bcvAddr(%d) = %s) = %d", i, bcvAddr(i), got)
		}
	}
	for _, a := range []string{"127.0.0.1", "127.10.0.1", "127.10.1.0", "127.10.251.1", "10.10.1.1"} {
		if got := bcvIndex(net.ParseIP(a)); got != -1 {
			t.Errorf("bcvIndex(%s) = %d, want -1", a, got)
		}
	}
}

// bcvPrintProfile prints a profile file as base64 lines tagged with its
// name ("BENCH-CHECK-PROF name: ..."), the only way out of the VM.
func bcvPrintProfile(name, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Printf("BENCH-CHECK: no profile for %s: %v\n", name, err)
		return
	}
	enc := base64.StdEncoding.EncodeToString(b)
	for len(enc) > 0 {
		n := min(len(enc), 900)
		fmt.Printf("BENCH-CHECK-PROF %s: %s\n", name, enc[:n])
		enc = enc[n:]
	}
}
