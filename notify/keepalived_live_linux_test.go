package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestKeepalivedLive runs real keepalived 2.2.7 VRRP-only in a network
// namespace of its own, with the SMTP sink listening on that namespace's
// loopback and both notify FIFOs read by the test, lets its instances go
// BACKUP and MASTER, stops it with SIGTERM, and checks that gokeepalived
// produces the same bytes: every SMTP conversation (Date aside) and both
// FIFOs. It is testdata/record/record.sh's main run, done live. Needs root,
// iproute2 and keepalived; it takes about 5 s.
func TestKeepalivedLive(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	ka, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived not installed")
	}
	ipCmd, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("iproute2 not installed")
	}
	if testing.Short() {
		t.Skip("runs keepalived for about 5 s")
	}
	ns := fmt.Sprintf("gkn-live-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command(ipCmd, "netns", "del", ns).Run() })
	nsx := func(args ...string) { run(append([]string{"-n", ns}, args...)...) }
	nsx("link", "set", "lo", "up")
	nsx("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	nsx("addr", "add", "10.200.0.1/24", "dev", "veth0")
	nsx("link", "set", "veth0", "up")
	nsx("link", "set", "veth1", "up")

	ln := listenInNetns(t, "/run/netns/"+ns, "127.0.0.1:2525")
	sink := &smtpSink{ln: ln}
	sink.start()
	defer sink.close()

	dir := t.TempDir()
	fifos := map[string]chan []byte{}
	for _, name := range []string{"notify.fifo", "vrrp.fifo"} {
		p := filepath.Join(dir, name)
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		ch := make(chan []byte, 1)
		fifos[name] = ch
		go func() {
			f, err := os.Open(p) // waits for keepalived to open it
			if err != nil {
				ch <- nil
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			ch <- b
		}()
	}
	conf := fmt.Sprintf(`global_defs {
    router_id node_a
    notification_email {
        ops@example.com
        oncall@example.org
    }
    notification_email_from keepalived@node-a.example
    smtp_server 127.0.0.1 2525
    smtp_helo_name node-a.helo
    smtp_connect_timeout 5
    notify_fifo %[1]s/notify.fifo
    vrrp_notify_fifo %[1]s/vrrp.fifo
}
vrrp_sync_group VG_1 {
    group {
        VI_1
        VI_2
    }
    smtp_alert
}
vrrp_instance VI_1 {
    state BACKUP
    interface veth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.200.0.100/24
    }
    smtp_alert
}
vrrp_instance VI_2 {
    state BACKUP
    interface veth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.200.0.101/24
    }
}
`, dir)
	confPath := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(confPath, []byte(conf), 0o644)
	var kaLog bytes.Buffer
	cmd := exec.Command(ipCmd, "netns", "exec", ns, ka, "-n", "-l", "-D", "-P", "-f", confPath,
		"-p", filepath.Join(dir, "ka.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
	cmd.Stdout, cmd.Stderr = &kaLog, &kaLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if b, err := os.ReadFile(filepath.Join(dir, "ka.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGTERM)
			}
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)

	// Four alerts: instance and group, BACKUP at start and MASTER ~3.6 s later.
	deadline := time.Now().Add(15 * time.Second)
	complete := func() int {
		n := 0
		for _, c := range sink.connections() {
			select {
			case <-c.done:
				if c.subject != "" {
					n++
				}
			default:
			}
		}
		return n
	}
	for complete() < 4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if complete() < 4 {
		t.Fatalf("keepalived sent %d complete alerts in 15 s; its log:\n%s", complete(), kaLog.String())
	}

	// Our transcripts for the same alerts, against the same sink code.
	ours := newSMTPSink(t, "127.0.0.1:0")
	ours.start()
	defer ours.close()
	log, _ := quietLogger(t)
	m := NewMailer(context.Background(), goldenMailConfig(ours.port()), MailerOptions{Logger: log})
	theirs := map[string]string{}
	for _, c := range sink.connections() {
		if c.subject == "" {
			continue // STOP alerts: keepalived exits before HELO
		}
		theirs[c.subject] = c.Transcript()
	}
	var subjects []string
	for s := range theirs {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	wantSubjects := []string{
		"[node_a] VRRP Group VG_1 - Entering BACKUP state",
		"[node_a] VRRP Group VG_1 - Entering MASTER state",
		"[node_a] VRRP Instance VI_1 - Entering BACKUP state",
		"[node_a] VRRP Instance VI_1 - Entering MASTER state",
	}
	if diff := cmp.Diff(wantSubjects, subjects); diff != "" {
		t.Fatalf("keepalived's alerts (-want +got):\n%s", diff)
	}
	mails := []func() (Mail, bool){
		func() (Mail, bool) { return VRRPGroupMail("node_a", "VG_1", Backup) },
		func() (Mail, bool) { return VRRPGroupMail("node_a", "VG_1", Master) },
		func() (Mail, bool) { return VRRPInstanceMail("node_a", "VI_1", Backup) },
		func() (Mail, bool) { return VRRPInstanceMail("node_a", "VI_1", Master) },
	}
	for i, mk := range mails {
		mail, _ := mk()
		if err := m.Deliver(context.Background(), mail); err != nil {
			t.Fatal(err)
		}
		c := ours.connections()[i]
		<-c.done
		if diff := cmp.Diff(normalizeTranscript(theirs[mail.Subject]), normalizeTranscript(c.Transcript())); diff != "" {
			t.Errorf("%s (-keepalived +gokeepalived):\n%s", mail.Subject, diff)
		}
	}

	want := bytes.Join(recordedVRRPLines(), nil)
	for name, ch := range fifos {
		select {
		case got := <-ch:
			if !bytes.Equal(got, want) {
				t.Errorf("%s: keepalived wrote %q, gokeepalived writes %q", name, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: reader did not finish", name)
		}
	}
}

// listenInNetns opens a TCP listener inside the network namespace at
// nsPath; the socket stays in that namespace after the thread returns.
func listenInNetns(t *testing.T, nsPath, addr string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// On any failure the thread stays locked, so the runtime ends it
		// with this goroutine instead of reusing a thread in the wrong
		// namespace.
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := os.Open(nsPath)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		ln, lerr := net.Listen("tcp", addr)
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{ln, lerr}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("listen in %s: %v", nsPath, r.err)
	}
	return r.ln
}
