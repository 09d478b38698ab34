package check

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// TestKeepalivedJudgesTheSameInVM puts keepalived 2.2.7's checker (with
// log_all_failures) and our probes in front of the same misbehaving
// servers. For every server, the line our probe gives for its failure must
// be one keepalived logged for its first attempt, and where keepalived
// reports success ours must pass.
//
// Like TestVMKeepalivedSendsTheSameBytes it needs the VM (GOKEEPALIVED_VM=1).
// make test leaves it out (its name does not start with TestVM): under
// emulation on a loaded host it once attributed keepalived's log lines to
// the wrong servers (1 run in 3). Run it with
// make vm-test VM_PKGS=./check VM_RUN=KeepalivedJudges.
func TestKeepalivedJudgesTheSameInVM(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the VM's IPVS kernel: keepalived's checker stops without IPVS (GOKEEPALIVED_VM=1)")
	}
	kaPath, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed")
	}
	split := func(first, second string) func(net.Conn, *tcpServer) {
		return func(c net.Conn, s *tcpServer) {
			readRequest(c)
			c.Write([]byte(first))
			time.Sleep(100 * time.Millisecond)
			c.Write([]byte(second))
		}
	}
	serve := func(resp string) func(net.Conn, *tcpServer) {
		return func(c net.Conn, s *tcpServer) { readRequest(c); c.Write([]byte(resp)) }
	}
	cert := testCert(t)
	const hello = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"
	type tcase struct {
		name    string
		handle  func(net.Conn, *tcpServer) // TCP server
		reply   func([]byte) [][]byte      // or UDP server
		block   string                     // the checker block
		success string                     // keepalived's success line, %s = RS; "" = a failure
		closed  bool                       // no TCP server at all
		closedU bool                       // no UDP server at all
		backlog bool                       // a listener that never answers
		quiet   bool                       // a success keepalived does not log (DNS_CHECK)
		script  string                     // MISC_CHECK: the script's body; %s in block is its path
		none    bool                       // no server (PING_CHECK)
		extra   func(rs string) string     // another line keepalived and we must both log
	}
	cases := []tcase{
		{name: "status 500", handle: serve("HTTP/1.0 500 Oops\r\n\r\n"), block: "HTTP_GET { url { path / } }"},
		{name: "no reason phrase", handle: serve("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), block: "HTTP_GET { url { path / } }"},
		{name: "status_code range", handle: serve("HTTP/1.0 302 Found\r\n\r\n"), block: "HTTP_GET { url { path /\nstatus_code 300-399 } }", success: "Remote Web server %s succeed on service."},
		{name: "digest mismatch", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world!\n"), block: "HTTP_GET { url { path /\ndigest 6f5902ac237024bdd0c176cb93063dc4 } }"},
		{name: "digest of chunk framing", handle: serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
			block: "HTTP_GET { url { path /\ndigest " + fmt.Sprintf("%x", md5Sum("3\r\nabc\r\n0\r\n\r\n")) + " } }", success: "Remote Web server %s succeed on service."},
		{name: "digest truncated at Content-Length", handle: serve("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world\n"),
			block: "HTTP_GET { url { path /\ndigest 5d41402abc4b2a76b9719d911017c592 } }", success: "Remote Web server %s succeed on service.",
			extra: func(rs string) string {
				return fmt.Sprintf("http_check for RS %s VS [10.0.0.1]:tcp:80 url /: content_length (5) does not match received bytes (12)", rs)
			}},
		{name: "regex on the body", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"wor.d\" } }", success: "Remote Web server %s succeed on service."},
		{name: "regex fails", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"planet\" } }"},
		{name: "regex_no_match", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"hello\"\nregex_no_match } }"},
		{name: "closed without response", handle: func(c net.Conn, s *tcpServer) { readRequest(c) }, block: "HTTP_GET { url { path / } }"},
		{name: "HTTP refused", closed: true, block: "HTTP_GET { url { path / } }"},
		{name: "TCP refused", closed: true, block: "TCP_CHECK { }"},
		{name: "TCP ok", handle: func(net.Conn, *tcpServer) {}, block: "TCP_CHECK { }", success: "TCP connection to %s success."},
		{name: "SMTP banner without text", handle: func(c net.Conn, s *tcpServer) { c.Write([]byte("220\r\n")); readRequest(c) }, block: "SMTP_CHECK { }"},
		{name: "SMTP multi-line banner", handle: func(c net.Conn, s *tcpServer) { c.Write([]byte("220-a\r\n220 b\r\n")); readRequest(c) }, block: "SMTP_CHECK { }"},
		{name: "SMTP bad HELO reply", handle: func(c net.Conn, s *tcpServer) {
			c.Write([]byte("220 mx\r\n"))
			b := make([]byte, 100)
			c.Read(b)
			c.Write([]byte("502 no\r\n"))
		}, block: "SMTP_CHECK { }"},
		{name: "DNS NXDOMAIN", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8183)} }, block: "DNS_CHECK { }"},
		{name: "UDP reply mismatch", reply: func(q []byte) [][]byte { return [][]byte{[]byte("PANG")} }, block: "UDP_CHECK { require_reply 504f4e47 }"},
		{name: "regex on headers sent with the body", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"^HTTP/1.0 200\" } }", success: "Remote Web server %s succeed on service."},
		// Whether headers that arrive in a read of their own are matched
		// depends on when keepalived reads (seen both ways here under
		// load), so only reads that cannot race are compared.
		// Matches that reach the end of the data: keepalived asks PCRE2 for
		// hard partial matching, so they count only when no further byte
		// could change them.
		{name: "end anchor at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"world$\" } }"},
		{name: "end anchor before a final newline", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world\n"), block: "HTTP_GET { url { path /\nregex \"world$\" } }"},
		{name: "multiline end anchor", handle: serve("HTTP/1.0 200 OK\r\n\r\na\nhello world\nb"), block: "HTTP_GET { url { path /\nregex \"world$\"\nregex_options multiline } }", success: "Remote Web server %s succeed on service."},
		{name: "caret at regex_min_offset", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"^OK\"\nregex_min_offset 13 } }"},
		{name: "\\z at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"world\\\\z\" } }"},
		{name: "literal at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"world\" } }", success: "Remote Web server %s succeed on service."},
		{name: "greedy tail at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"wor.*\" } }"},
		{name: "greedy tail before a newline", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world\n"), block: "HTTP_GET { url { path /\nregex \"wor.*\" } }", success: "Remote Web server %s succeed on service."},
		{name: "optional tail at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"worlds?\" } }"},
		{name: "word boundary at the end of the data", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello world"), block: "HTTP_GET { url { path /\nregex \"world\\\\b\" } }"},
		{name: "multiline caret at regex_min_offset", handle: serve("HTTP/1.0 200 OK\r\n\r\nhello\nworld\n"), block: "HTTP_GET { url { path /\nregex \"^world\"\nregex_options multiline\nregex_min_offset 25 } }", success: "Remote Web server %s succeed on service."},
		{name: "regex across reads", handle: split("HTTP/1.0 200 OK\r\n\r\nhel", "lo world"),
			block: "HTTP_GET { url { path /\nregex \"hello\" } }", success: "Remote Web server %s succeed on service."},
		{name: "regex before regex_min_offset", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"HTTP\"\nregex_min_offset 5 } }"},
		{name: "regex after regex_max_offset", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"hello\"\nregex_max_offset 20 } }"},
		{name: "regex within offsets", handle: serve(hello), block: "HTTP_GET { url { path /\nregex \"Content\"\nregex_min_offset 5\nregex_max_offset 20 } }", success: "Remote Web server %s succeed on service."},
		{name: "connection kept open", handle: func(c net.Conn, s *tcpServer) { readRequest(c); c.Write([]byte(hello)); io.Copy(io.Discard, c) },
			block: "HTTP_GET { connect_timeout 0.3\nurl { path / } }"},
		{name: "silent web server", handle: func(c net.Conn, s *tcpServer) { io.Copy(io.Discard, c) }, block: "HTTP_GET { connect_timeout 0.3\nurl { path / } }"},
		{name: "headers beyond 4095 bytes", handle: serve("HTTP/1.0 200 OK\r\nX-Big: " + strings.Repeat("x", 5000) + "\r\n\r\nbody"), block: "HTTP_GET { url { path / } }"},
		{name: "reset", handle: func(c net.Conn, s *tcpServer) { readRequest(c); c.(*net.TCPConn).SetLinger(0) }, block: "HTTP_GET { url { path / } }"},
		{name: "SSL to a plain server", handle: serve("HTTP/1.0 400 Bad\r\n\r\n"), block: "SSL_GET { url { path / } }"},
		{name: "SSL ok", handle: tlsServe(cert, func(tc *tls.Conn) { readRequest(tc); tc.Write([]byte(hello)) }), block: "SSL_GET { url { path / } }", success: "Remote Web server %s succeed on service."},
		{name: "SSL close_notify before headers", handle: tlsServe(cert, func(tc *tls.Conn) { readRequest(tc); tc.CloseWrite() }), block: "SSL_GET { url { path / } }"},
		{name: "SSL TCP close before headers", handle: tlsServe(cert, func(tc *tls.Conn) { readRequest(tc); tc.NetConn().(*net.TCPConn).CloseWrite() }), block: "SSL_GET { url { path / } }"},
		{name: "SSL TCP close after headers", handle: tlsServe(cert, func(tc *tls.Conn) { readRequest(tc); tc.Write([]byte(hello)); tc.NetConn().(*net.TCPConn).CloseWrite() }),
			block: "SSL_GET { url { path / } }", success: "Remote Web server %s succeed on service."},
		{name: "TCP no answer to SYN", backlog: true, block: "TCP_CHECK { connect_timeout 0.3 }"},
		{name: "SMTP silent after HELO", handle: func(c net.Conn, s *tcpServer) { c.Write([]byte("220 mx\r\n")); io.Copy(io.Discard, c) }, block: "SMTP_CHECK { connect_timeout 0.3 }"},
		{name: "SMTP ok", handle: func(c net.Conn, s *tcpServer) {
			c.Write([]byte("220 mx\r\n"))
			b := make([]byte, 100)
			c.Read(b)
			c.Write([]byte("250 mx\r\n"))
			c.Read(b)
			c.Write([]byte("221 bye\r\n"))
		}, block: "SMTP_CHECK { }", success: "Remote SMTP server %s succeed on service."},
		{name: "DNS silent", reply: func(q []byte) [][]byte { return nil }, block: "DNS_CHECK { connect_timeout 0.3 }"},
		{name: "UDP silent", reply: func(q []byte) [][]byte { return nil }, block: "UDP_CHECK { connect_timeout 0.3 }", success: "UDP connection to %s success."},
		{name: "UDP silent with require_reply", reply: func(q []byte) [][]byte { return nil }, block: "UDP_CHECK { connect_timeout 0.3\nrequire_reply }"},
		{name: "UDP port unreachable", closedU: true, block: "UDP_CHECK { }"},
		{name: "PING ok", none: true, block: "PING_CHECK { }", success: "ICMP connection to %s success."},
		{name: "MISC exit 0", script: "exit 0", block: "MISC_CHECK { misc_path %s }", success: "Misc check for [%s VS [10.0.0.1]:tcp:80] by [%s] succeeded."},
		{name: "MISC exit 1", script: "exit 1", block: "MISC_CHECK { misc_path %s }"},
		{name: "MISC exit 7", script: "exit 7", block: "MISC_CHECK { misc_path %s }"},
		{name: "MISC dynamic exit 7", script: "exit 7", block: "MISC_CHECK { misc_path %s\nmisc_dynamic }", success: "Misc check for [%s VS [10.0.0.1]:tcp:80] by [%s] succeeded."},
		{name: "MISC killed", script: "kill -KILL $$", block: "MISC_CHECK { misc_path %s }"},
		{name: "MISC timed out", script: "exec sleep 30", block: "MISC_CHECK { misc_path %s\nmisc_timeout 1 }"},
		{name: "DNS reply of 8 bytes", reply: func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8180)[:8]} }, block: "DNS_CHECK { }", quiet: true},
		// A reply shorter than 8 bytes leaves keepalived's DNS_CHECK waiting
		// with no verdict at all (seen here: nothing within 14 s with
		// connect_timeout 0.3); ours ends with "read timeout from socket".
		{name: "DNS other id first", reply: func(q []byte) [][]byte {
			other := dnsAnswer(q, 0x8183)
			other[0] ^= 0xff
			return [][]byte{other, dnsAnswer(q, 0x8180)}
		}, block: "DNS_CHECK { }", quiet: true},
		{name: "UDP reply too long", reply: func(q []byte) [][]byte { return [][]byte{[]byte("PONG-PONG")} }, block: "UDP_CHECK { require_reply 504f4e47\nmax_reply_length 8 }"},
		{name: "UDP reply shorter than the pattern", reply: func(q []byte) [][]byte { return [][]byte{[]byte("PO")} }, block: "UDP_CHECK { require_reply 504f4e47 }", success: "UDP connection to %s success."},
		{name: "UDP wildcard nibbles", reply: func(q []byte) [][]byte { return [][]byte{[]byte("PONG")} }, block: "UDP_CHECK { require_reply 5X4f4xX7 }", success: "UDP connection to %s success."},
		{name: "SMTP reply to QUIT not judged", handle: func(c net.Conn, s *tcpServer) {
			c.Write([]byte("220 mx\r\n"))
			b := make([]byte, 100)
			c.Read(b)
			c.Write([]byte("250 mx\r\n"))
			c.Read(b)
			c.Write([]byte("500 what\r\n"))
		}, block: "SMTP_CHECK { }", success: "Remote SMTP server %s succeed on service."},
		{name: "SMTP banner in pieces", handle: func(c net.Conn, s *tcpServer) {
			c.Write([]byte("22"))
			time.Sleep(50 * time.Millisecond)
			c.Write([]byte("0 mx\r\n"))
			b := make([]byte, 100)
			c.Read(b)
			c.Write([]byte("250 mx\r\n"))
			c.Read(b)
			c.Write([]byte("221 bye\r\n"))
		}, block: "SMTP_CHECK { }", success: "Remote SMTP server %s succeed on service."},
		{name: "UDP reply matches", reply: func(q []byte) [][]byte { return [][]byte{[]byte("PONG")} }, block: "UDP_CHECK { require_reply 504f4e47 }", success: "UDP connection to %s success."},
	}

	var kaLog bytes.Buffer
	var failure string
	type result struct {
		rs    string
		o     Outcome
		lines []string // what our probe logged
	}
	results := make([]result, len(cases))
	skip := inPrivateNetns(t, func() {
		var rsBlocks []string
		ports := make([]int, len(cases))
		scriptDir := t.TempDir()
		for i, c := range cases {
			if c.script != "" {
				path := filepath.Join(scriptDir, fmt.Sprintf("check%d.sh", i))
				os.WriteFile(path, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755)
				cases[i].block = fmt.Sprintf(c.block, path)
				c = cases[i]
			}
			switch {
			case c.closed:
				ports[i] = closedPort(t, "tcp")
			case c.closedU:
				ports[i] = closedPort(t, "udp")
			case c.backlog:
				ports[i] = fullBacklogPort(t)
			case c.none || c.script != "":
				ports[i] = 1000 + i // a distinct real server; nothing listens
			case c.reply != nil:
				ports[i] = startUDPServer(t, c.reply).port()
			default:
				ports[i] = startTCPServer(t, "tcp4", "127.0.0.1:0", c.handle).port()
			}
			// Generous where an answer is expected: the emulated VM is slow
			// when every checker starts in the same second.
			block := c.block
			if !strings.Contains(block, "connect_timeout") && c.script == "" {
				block = strings.Replace(block, "{", "{ connect_timeout 3\n", 1)
			}
			block = strings.Replace(block, "{", "{ log_all_failures\nwarmup 0\n", 1)
			rsBlocks = append(rsBlocks, fmt.Sprintf("\treal_server 127.0.0.1 %d {\n\t\t%s\n\t}", ports[i], block))
		}
		conf := fmt.Sprintf("virtual_server 10.0.0.1 80 {\n\tdelay_loop 30\n\tlb_algo rr\n\tlb_kind NAT\n\tprotocol TCP\n%s\n}\n", strings.Join(rsBlocks, "\n"))
		dir := t.TempDir()
		confFile := filepath.Join(dir, "keepalived.conf")
		os.WriteFile(confFile, []byte(conf), 0o644)
		cmd := exec.Command(kaPath, "-n", "-l", "-D", "-C", "-f", confFile,
			"-p", filepath.Join(dir, "ka.pid"), "-c", filepath.Join(dir, "ka-check.pid"), "-r", filepath.Join(dir, "ka-vrrp.pid"))
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			failure = "starting keepalived: " + err.Error()
			return
		}
		// Every checker's first attempt comes 1 s after start (warmup 0);
		// give them time, then stop keepalived.
		// A port is done when a line other than "Activating healthchecker"
		// names it.
		mentions := func(text string, port int) bool {
			re := regexp.MustCompile(fmt.Sprintf(`:%d\b`, port))
			for _, l := range strings.Split(text, "\n") {
				if re.MatchString(l) && !strings.Contains(l, "Activating healthchecker") {
					return true
				}
			}
			return false
		}
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			text, seen := out.String(), 0
			for i, p := range ports {
				// A passing DNS_CHECK logs nothing to wait for.
				if cases[i].quiet || mentions(text, p) {
					seen++
				}
			}
			if seen == len(ports) {
				time.Sleep(500 * time.Millisecond)
				break
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
		kaLog.WriteString(out.String())

		res := parser.LoadBytes(confFile, []byte(conf), parser.Options{})
		vs := res.Config.VirtualServers[0]
		ctx := testCtx(t)
		for i, rs := range vs.RealServers {
			var lc logCapture
			p, err := NewProbe(rs.Checkers[0], vs, rs, ProbeEnv{Logger: slog.New(&lc)})
			if err != nil {
				failure = err.Error()
				return
			}
			results[i] = result{rs: fmt.Sprintf("[127.0.0.1]:tcp:%d", rs.Port), o: p.Check(ctx), lines: lc.lines()}
		}
	})
	if skip != "" {
		t.Skip(skip)
	}
	if failure != "" {
		t.Fatal(failure)
	}
	stamp := regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: `)
	logged := map[string]bool{}
	for _, l := range strings.Split(kaLog.String(), "\n") {
		logged[stamp.ReplaceAllString(l, "")] = true
	}
	bad := false
	for i, c := range cases {
		r := results[i]
		switch {
		case c.quiet:
			for l := range logged {
				if strings.Contains(l, r.rs) && !strings.Contains(l, "Activating healthchecker") && !strings.Contains(l, "Shutting down service") {
					t.Errorf("%s: keepalived logged %q for a check meant to pass", c.name, l)
					bad = true
				}
			}
			if !r.o.OK {
				t.Errorf("%s: keepalived passed it, our probe failed: %v", c.name, r.o.Err)
			}
		case c.success != "":
			want := fmt.Sprintf(c.success, r.rs)
			if c.script != "" {
				want = fmt.Sprintf(c.success, r.rs, strings.Fields(c.block)[3])
			}
			if !logged[want] {
				t.Errorf("%s: keepalived did not log %q", c.name, want)
				bad = true
			}
			if !r.o.OK {
				t.Errorf("%s: keepalived passed it, our probe failed: %v", c.name, r.o.Err)
			}
		case r.o.OK:
			t.Errorf("%s: our probe passed where keepalived fails", c.name)
		default:
			pe, _ := r.o.Err.(*ProbeError)
			line := ""
			if pe != nil {
				line = pe.Line
			}
			var me *MiscError
			if errors.As(r.o.Err, &me) {
				// The scheduler adds the retry wording; retry is 0 here.
				line = me.LogLine(" with retry disabled")
			}
			if !logged[line] {
				t.Errorf("%s: our line %q is not one keepalived logged", c.name, line)
				bad = true
			}
		}
		if c.extra != nil {
			want := c.extra(r.rs)
			if !logged[want] {
				t.Errorf("%s: keepalived did not log %q", c.name, want)
				bad = true
			}
			if len(r.lines) != 1 || r.lines[0] != want {
				t.Errorf("%s: we logged %q, keepalived %q", c.name, r.lines, want)
			}
		}
	}
	if bad || t.Failed() {
		t.Logf("keepalived's log:\n%s", kaLog.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tlsServe is a handler that completes a TLS handshake with cert and
// hands the connection to f.
func tlsServe(cert tls.Certificate, f func(*tls.Conn)) func(net.Conn, *tcpServer) {
	return func(c net.Conn, s *tcpServer) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() != nil {
			return
		}
		f(tc)
	}
}
