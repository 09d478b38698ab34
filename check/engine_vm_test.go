//go:build linux

package check

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// The engine's VM tests run the classic LVS-DR virtual server with HTTP_GET
// checks against HTTP servers of the test, twice side by side: gokeepalived's
// engine in this process (IPVS of its own namespace, checks from the VM's
// root namespace) and keepalived 2.2.7's checker process in a second
// namespace with its own copies of the servers. Both sides see the same
// events at the same moments; the test compares what `ipvsadm -Ln` shows,
// when, and the FIFO lines and alert mails of a real server going down and
// coming back.

var engVMSeq atomic.Int32

func engVMOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the IPVS test VM (GOKEEPALIVED_VM=1; run make vm-test VM_PKGS=./check)")
	}
	for _, tool := range []string{"ip", "ipvsadm", "mkfifo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func engVMCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// engVMNetns makes a namespace with lo up, removed at cleanup.
func engVMNetns(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), engVMSeq.Add(1))
	engVMCmd(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	engVMCmd(t, "ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
	return name
}

// engVMListen opens a TCP listener in namespace ns ("" for this one).
func engVMListen(ns, addr string) (net.Listener, error) {
	if ns == "" {
		return net.Listen("tcp", addr)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return nil, err
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return nil, err
	}
	l, lerr := net.Listen("tcp", addr)
	if err := netns.Set(orig); err != nil {
		panic("cannot return to the original namespace: " + err.Error())
	}
	return l, lerr
}

// engWebServer is an HTTP server that the test stops and starts.
type engWebServer struct {
	t        *testing.T
	ns, addr string
	mu       sync.Mutex
	l        net.Listener
}

func (s *engWebServer) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := engVMListen(s.ns, s.addr)
	if err != nil {
		s.t.Fatalf("listen %s in %q: %v", s.addr, s.ns, err)
	}
	s.l = l
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})}
	go func() { _ = srv.Serve(l) }()
}

func (s *engWebServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l != nil {
		s.l.Close()
		s.l = nil
	}
}

// engSMTPSink accepts mails on a listener and keeps "subject | body".
type engSMTPSink struct {
	mu    sync.Mutex
	mails []string
}

func (m *engSMTPSink) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		got := make(chan string, 4)
		go func() {
			engSMTP(c, got)
			close(got)
		}()
		go func() {
			for data := range got {
				var subj, body string
				for _, line := range strings.Split(data, "\r\n") {
					if s, ok := strings.CutPrefix(line, "Subject: "); ok {
						subj = s
					}
					if strings.HasPrefix(line, "=> ") {
						body = line
					}
				}
				m.mu.Lock()
				m.mails = append(m.mails, subj+" | "+body)
				m.mu.Unlock()
			}
		}()
	}
}

func (m *engSMTPSink) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mails)
}

// engSplitShutdownMails sorts mails and splits off the shutdown's.
func engSplitShutdownMails(mails []string) (rest, shutdown []string) {
	for _, m := range mails {
		if strings.HasSuffix(m, "| => Shutting down <=") {
			shutdown = append(shutdown, m)
		} else {
			rest = append(rest, m)
		}
	}
	slices.Sort(rest)
	slices.Sort(shutdown)
	return rest, shutdown
}

// engFIFOReader keeps a FIFO open for reading (so lines written to it are
// kept) and collects its lines.
type engFIFOReader struct {
	f   *os.File
	buf bytes.Buffer
}

func openFIFOReader(t *testing.T, path string) *engFIFOReader {
	t.Helper()
	engVMCmd(t, "mkfifo", path)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &engFIFOReader{f: f}
}

func (r *engFIFOReader) lines() []string {
	b := make([]byte, 65536)
	for {
		n, err := syscall.Read(int(r.f.Fd()), b)
		if n <= 0 || err != nil {
			break
		}
		r.buf.Write(b[:n])
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(r.buf.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// engSide is one of the two directors under test.
type engSide struct {
	name  string
	ns    string // the namespace of its IPVS table
	web   []*engWebServer
	fifo  *engFIFOReader
	mails *engSMTPSink
	// times measured from the side's start
	start time.Time
}

func (s *engSide) ipvsadm(t *testing.T) string {
	t.Helper()
	return engVMCmd(t, "ip", "netns", "exec", s.ns, "ipvsadm", "-Ln")
}

// engVMConf is the classic LVS-DR virtual server, with HTTP_GET (or
// TCP_CHECK) checks every second, a notify FIFO and alert mail.
func engVMConf(fifo string, smtpPort int, v engVariant) string {
	rsExtra := ""
	if v.alpha {
		rsExtra = "        alpha\n"
	}
	checker := `        HTTP_GET {
            url {
                path /index.html
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
`
	if v.tcp {
		checker = `        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
`
	}
	rs := func(addr, extra string) string {
		return `    real_server ` + addr + ` 80 {
        weight 1
` + rsExtra + extra + checker + `    }
`
	}
	return `global_defs {
    router_id engvm
    notification_email {
        ops@example.com
    }
    notification_email_from lb@example.com
    smtp_server 127.0.0.1 ` + fmt.Sprint(smtpPort) + `
    smtp_connect_timeout 5
    lvs_notify_fifo ` + fifo + `
}
virtual_server 172.16.0.248 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
` + v.vsExtra + rs("10.77.0.1", v.rs1Extra) + rs("10.77.0.2", "") + `}
`
}

// engVariant is one side-by-side scenario.
type engVariant struct {
	// alpha puts alpha on both real servers; vsExtra and rs1Extra are
	// lines for the virtual server and real server 1.
	alpha             bool
	vsExtra, rs1Extra string
	// cycles is how many times real server 1's HTTP server stops and
	// starts; down is the table while it is stopped.
	cycles int
	down   string
	// reload changes real server 2's weight at the end.
	reload bool
	// omega compares the shutdown's notifications too.
	omega bool
	// lines are our FIFO lines expected for one cycle (nil: compare with
	// keepalived's only).
	lines []string
	// tcp checks with TCP_CHECK instead of HTTP_GET (our side on the
	// connector).
	tcp bool
}

// The tables ipvsadm 1.31 prints (lvs.md §11 gives its column rules).
const (
	engVMEmpty = "IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	engVMHead = engVMEmpty + "TCP  172.16.0.248:80 wrr\n"
)

var (
	engVMRS1  = fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", "10.77.0.1:80", "Route", 1, 0, 0)
	engVMRS2  = fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", "10.77.0.2:80", "Route", 1, 0, 0)
	engVMBoth = engVMHead + engVMRS1 + engVMRS2
	engVMOne  = engVMHead + engVMRS2
)

// waitTables polls each side's `ipvsadm -Ln` every 50 ms, the sides in
// parallel so that one's polling does not delay the other's, until each
// shows want, and returns how long each took from since (-1 when it did
// not within timeout).
func waitTables(t *testing.T, sides []*engSide, want string, since time.Time, timeout time.Duration) []time.Duration {
	t.Helper()
	got := make([]time.Duration, len(sides))
	last := make([]string, len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = -1
			for time.Since(since) < timeout {
				out, err := exec.Command("ip", "netns", "exec", s.ns, "ipvsadm", "-Ln").CombinedOutput()
				if err != nil {
					errs[i] = fmt.Errorf("ipvsadm: %v: %s", err, out)
					return
				}
				if last[i] = string(out); last[i] == want {
					got[i] = time.Since(since)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for i, s := range sides {
		if errs[i] != nil {
			t.Errorf("%s: %v", s.name, errs[i])
		} else if got[i] < 0 {
			t.Errorf("%s: table did not become\n%s\nwithin %v; last:\n%s", s.name, want, timeout, last[i])
		}
	}
	return got
}

// TestVMEngineLVSDR is the end-to-end run of issue 6 beside keepalived:
// without alpha the real servers are in IPVS from the start, and real
// server 1 goes down and up five times; with alpha they join after their
// first passing check.
func TestVMEngineLVSDR(t *testing.T) {
	engVMOnly(t)
	t.Run("plain", func(t *testing.T) {
		engVMSideBySide(t, engVariant{cycles: 5, down: engVMOne, reload: true, lines: []string{
			"RS [10.77.0.1]:tcp:80 [172.16.0.248]:tcp:80 DOWN", "RS [10.77.0.1]:tcp:80 [172.16.0.248]:tcp:80 UP"}})
	})
	t.Run("alpha", func(t *testing.T) { engVMSideBySide(t, engVariant{alpha: true}) })
	t.Run("tcp", func(t *testing.T) {
		engVMSideBySide(t, engVariant{tcp: true, cycles: 2, down: engVMOne, lines: []string{
			"RS [10.77.0.1]:tcp:80 [172.16.0.248]:tcp:80 DOWN", "RS [10.77.0.1]:tcp:80 [172.16.0.248]:tcp:80 UP"}})
	})
	// Real server 1 inhibited to weight 0 on failure; the quorum of 2 is
	// lost, so the sorry server replaces real server 2; the virtual server
	// sends its quorum mails too, and with omega the shutdown notifies.
	t.Run("inhibit-sorry", func(t *testing.T) {
		engVMSideBySide(t, engVariant{vsExtra: "    quorum 2\n    sorry_server 10.77.0.9 80\n    smtp_alert\n    omega\n", rs1Extra: "        inhibit_on_failure\n", omega: true,
			cycles: 2, down: engVMHead + fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", "10.77.0.1:80", "Route", 0, 0, 0) +
				fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", "10.77.0.9:80", "Route", 1, 0, 0)})
	})
}

func engVMSideBySide(t *testing.T, v engVariant) {
	alpha, cycles := v.alpha, v.cycles
	_, kaErr := exec.LookPath("keepalived")
	dir := t.TempDir()

	// Our side: IPVS in its own namespace, the HTTP servers on a dummy
	// interface of the VM's root namespace, where the checks run from.
	ours := &engSide{name: "gokeepalived", ns: engVMNetns(t, "gkeng"), mails: &engSMTPSink{}}
	dummy := fmt.Sprintf("gkrs%d", engVMSeq.Add(1))
	engVMCmd(t, "ip", "link", "add", dummy, "type", "dummy")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", dummy).Run() })
	engVMCmd(t, "ip", "link", "set", dummy, "up")
	for _, a := range []string{"10.77.0.1/32", "10.77.0.2/32"} {
		engVMCmd(t, "ip", "addr", "add", a, "dev", dummy)
	}
	for _, a := range []string{"10.77.0.1:80", "10.77.0.2:80"} {
		ours.web = append(ours.web, &engWebServer{t: t, addr: a})
	}
	ourSMTP, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ourSMTP.Close() })
	go ours.mails.serve(ourSMTP)
	ours.fifo = openFIFOReader(t, filepath.Join(dir, "ours.fifo"))
	ourConf := engVMConf(filepath.Join(dir, "ours.fifo"), ourSMTP.Addr().(*net.TCPAddr).Port, v)

	sides := []*engSide{ours}
	var ka *engSide
	if kaErr == nil {
		// keepalived's side: everything inside its namespace.
		ka = &engSide{name: "keepalived", ns: engVMNetns(t, "gkkae"), mails: &engSMTPSink{}}
		engVMCmd(t, "ip", "netns", "exec", ka.ns, "ip", "link", "add", "rs0", "type", "dummy")
		engVMCmd(t, "ip", "netns", "exec", ka.ns, "ip", "link", "set", "rs0", "up")
		for _, a := range []string{"10.77.0.1/32", "10.77.0.2/32"} {
			engVMCmd(t, "ip", "netns", "exec", ka.ns, "ip", "addr", "add", a, "dev", "rs0")
		}
		for _, a := range []string{"10.77.0.1:80", "10.77.0.2:80"} {
			ka.web = append(ka.web, &engWebServer{t: t, ns: ka.ns, addr: a})
		}
		kaSMTP, err := engVMListen(ka.ns, "127.0.0.1:2525")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kaSMTP.Close() })
		go ka.mails.serve(kaSMTP)
		ka.fifo = openFIFOReader(t, filepath.Join(dir, "ka.fifo"))
		sides = append(sides, ka)
	} else {
		t.Log("keepalived is not installed in this VM image: gokeepalived alone")
	}
	for _, s := range sides {
		for _, w := range s.web {
			w.start()
			t.Cleanup(w.stop)
		}
	}

	// Start both.
	var kaCmd *exec.Cmd
	var kaLog bytes.Buffer
	kaConf := filepath.Join(dir, "keepalived.conf")
	if ka != nil {
		if err := os.WriteFile(kaConf, []byte(engVMConf(filepath.Join(dir, "ka.fifo"), 2525, v)), 0o644); err != nil {
			t.Fatal(err)
		}
		kaCmd = exec.Command("ip", "netns", "exec", ka.ns, "keepalived", "-n", "-l", "-D", "-C", "-f", kaConf,
			"-p", filepath.Join(dir, "k.pid"), "-c", filepath.Join(dir, "c.pid"), "-r", filepath.Join(dir, "v.pid"))
		kaCmd.Stdout, kaCmd.Stderr = &kaLog, &kaLog
		ka.start = time.Now()
		if err := kaCmd.Start(); err != nil {
			t.Fatal(err)
		}
		kaDone := make(chan struct{})
		go func() { _ = kaCmd.Wait(); close(kaDone) }()
		stopKA := func() {
			if kaCmd.Process == nil {
				return
			}
			_ = kaCmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-kaDone:
			case <-time.After(15 * time.Second):
				_ = kaCmd.Process.Kill()
				<-kaDone
			}
		}
		t.Cleanup(stopKA)
		defer func() {
			if t.Failed() {
				t.Logf("keepalived's log:\n%s", kaLog.String())
			}
		}()
	}
	var ourLog engLog
	eng, err := NewEngine(loadConfig(t, ourConf), EngineOptions{
		Log:   slog.New(slog.NewTextHandler(&ourLog, nil)),
		NetNS: "/run/netns/" + ours.ns,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	engDone := make(chan error, 1)
	ours.start = time.Now()
	go func() { engDone <- eng.Run(ctx) }()
	stopOurs := func() error {
		cancel()
		select {
		case err := <-engDone:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("Run did not return 30 s after the cancel")
		}
	}
	defer func() {
		if ctx.Err() == nil {
			_ = stopOurs()
		}
		if t.Failed() {
			t.Logf("gokeepalived's log:\n%s", ourLog.String())
		}
	}()

	// 1. Both real servers are in, and stay in once the checks run.
	if alpha {
		if got := ours.ipvsadm(t); got != engVMHead {
			t.Errorf("gokeepalived with alpha: table before the first checks:\n%s", got)
		}
	}
	for _, s := range sides {
		d := waitTables(t, []*engSide{s}, engVMBoth, s.start, 20*time.Second)
		t.Logf("MEASURE %s (alpha %v): both real servers in IPVS %.2f s after start", s.name, alpha, d[0].Seconds())
	}
	time.Sleep(3 * time.Second)
	for _, s := range sides {
		if got := s.ipvsadm(t); got != engVMBoth {
			t.Errorf("%s: after the first checks:\n%s", s.name, got)
		}
	}

	for range cycles {
		// 2. Real server 1's HTTP server stops: it leaves after the retry.
		stopAt := time.Now()
		for _, s := range sides {
			s.web[0].stop()
		}
		for i, d := range waitTables(t, sides, v.down, stopAt, 15*time.Second) {
			t.Logf("MEASURE %s: removed %.2f s after its HTTP server stopped", sides[i].name, d.Seconds())
		}
		// 3. It comes back: it rejoins after a passing check.
		startAt := time.Now()
		for _, s := range sides {
			s.web[0].start()
		}
		for i, d := range waitTables(t, sides, engVMBoth, startAt, 15*time.Second) {
			t.Logf("MEASURE %s: added back %.2f s after its HTTP server restarted", sides[i].name, d.Seconds())
		}
	}
	time.Sleep(1500 * time.Millisecond) // let the mails arrive

	// 4. Notifications: FIFO lines and mails.
	ourLines, ourMails := ours.fifo.lines(), ours.mails.list()
	t.Logf("gokeepalived FIFO lines: %q", ourLines)
	t.Logf("gokeepalived mails: %q", ourMails)
	if v.lines != nil {
		wantLines := []string{"VS [172.16.0.248]:tcp:80 UP"}
		for range cycles {
			wantLines = append(wantLines, v.lines...)
		}
		if !slices.Equal(ourLines, wantLines) {
			t.Errorf("gokeepalived's FIFO lines %q, want %q", ourLines, wantLines)
		}
	}
	if ka != nil {
		kaLines, kaMails := ka.fifo.lines(), ka.mails.list()
		t.Logf("keepalived FIFO lines: %q", kaLines)
		t.Logf("keepalived mails: %q", kaMails)
		a, b := slices.Clone(kaLines), slices.Clone(ourLines)
		if alpha {
			// The two servers' first checks come in either order.
			slices.Sort(a)
			slices.Sort(b)
		}
		if !slices.Equal(a, b) {
			t.Errorf("FIFO lines differ:\nkeepalived   %q\ngokeepalived %q", kaLines, ourLines)
		}
		a, b = slices.Clone(kaMails), slices.Clone(ourMails)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("mails differ:\nkeepalived   %q\ngokeepalived %q", a, b)
		}
	}

	// 5. Reload: real server 2's weight becomes 3. Ours costs one netlink
	// request (an edit, no read).
	if v.reload {
		reweight := func(conf string) string {
			return strings.Replace(conf, "real_server 10.77.0.2 80 {\n        weight 1", "real_server 10.77.0.2 80 {\n        weight 3", 1)
		}
		want := engVMHead + engVMRS1 + fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %-10d\n", "10.77.0.2:80", "Route", 3, 0, 0)
		reloadAt := time.Now()
		if ka != nil {
			if err := os.WriteFile(kaConf, []byte(reweight(engVMConf(filepath.Join(dir, "ka.fifo"), 2525, v))), 0o644); err != nil {
				t.Fatal(err)
			}
			_ = kaCmd.Process.Signal(syscall.SIGHUP)
		}
		before := eng.Snapshot().Netlink
		if err := eng.Reload(ctx, loadConfig(t, reweight(ourConf))); err != nil {
			t.Fatal(err)
		}
		if c := eng.Snapshot().Netlink.Sub(before); c.Reads != 0 || c.Writes != 1 {
			t.Errorf("reload: %+v netlink requests, want one write", c)
		}
		for i, d := range waitTables(t, sides, want, reloadAt, 15*time.Second) {
			t.Logf("MEASURE %s: new weight in IPVS %.2f s after the reload", sides[i].name, d.Seconds())
		}
		time.Sleep(2 * time.Second) // checks run again after a reload
		for _, s := range sides {
			if got := s.ipvsadm(t); got != want {
				t.Errorf("%s: 2 s after the reload:\n%s", s.name, got)
			}
		}
		if ka != nil {
			// A reload notifies nothing for servers that stay.
			if a, b := ka.fifo.lines(), ours.fifo.lines(); !slices.Equal(a, b) {
				t.Errorf("FIFO lines after the reload differ:\nkeepalived   %q\ngokeepalived %q", a, b)
			}
		}
	}

	// 6. Shutdown: both remove their real servers and the service.
	if err := stopOurs(); err != nil {
		t.Fatal(err)
	}
	if got := ours.ipvsadm(t); got != engVMEmpty {
		t.Errorf("gokeepalived's table after shutdown:\n%s", got)
	}
	if !strings.Contains(ourLog.String(), "Shutting down service [10.77.0.1]:tcp:80 from VS [172.16.0.248]:tcp:80") {
		t.Errorf("no shutdown line in gokeepalived's log")
	}
	if ka != nil {
		_ = kaCmd.Process.Signal(syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && ka.ipvsadm(t) != engVMEmpty {
			time.Sleep(100 * time.Millisecond)
		}
		if got := ka.ipvsadm(t); got != engVMEmpty {
			t.Errorf("keepalived's table after shutdown:\n%s", got)
		}
		if v.omega {
			// 7. omega: the shutdown's notifications.
			time.Sleep(2 * time.Second)
			kaLines, ourLines := ka.fifo.lines(), ours.fifo.lines()
			kaMails, ourMails := ka.mails.list(), ours.mails.list()
			t.Logf("with shutdown: keepalived FIFO lines %q mails %q", kaLines, kaMails)
			t.Logf("with shutdown: gokeepalived FIFO lines %q mails %q", ourLines, ourMails)
			if !slices.Equal(kaLines, ourLines) {
				t.Errorf("FIFO lines with the shutdown's differ:\nkeepalived   %q\ngokeepalived %q", kaLines, ourLines)
			}
			// keepalived queues its "=> Shutting down <=" mails but
			// exits before sending them unless a script keeps it alive
			// (it waits up to 1 s for its children); gokeepalived sends
			// them (within StopTimeout). The rest must be the same.
			kaRest, kaDown := engSplitShutdownMails(kaMails)
			ourRest, ourDown := engSplitShutdownMails(ourMails)
			t.Logf("shutdown mails: keepalived %d, gokeepalived %d", len(kaDown), len(ourDown))
			if !slices.Equal(kaRest, ourRest) {
				t.Errorf("mails differ:\nkeepalived   %q\ngokeepalived %q", kaRest, ourRest)
			}
			wantDown := []string{
				"[engvm] Realserver [10.77.0.1]:tcp:80 of virtual server [172.16.0.248]:tcp:80 - DOWN | => Shutting down <=",
				"[engvm] Realserver [10.77.0.2]:tcp:80 of virtual server [172.16.0.248]:tcp:80 - DOWN | => Shutting down <=",
				"[engvm] Virtualserver [172.16.0.248]:tcp:80 - DOWN | => Shutting down <=",
			}
			if !slices.Equal(ourDown, wantDown) {
				t.Errorf("gokeepalived's shutdown mails %q, want %q", ourDown, wantDown)
			}
		}
	}
}
