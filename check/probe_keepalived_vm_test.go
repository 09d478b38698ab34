package check

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// TestVMKeepalivedSendsTheSameBytes runs keepalived 2.2.7's checker process
// and our probes on one configuration against the same capturing servers,
// and compares what each sent: the TCP_CHECK connection, the SMTP_CHECK
// dialogue, the UDP_CHECK payload, the DNS_CHECK query (but its random id),
// the PING_CHECK echo request (but id, sequence and checksum) and what a
// MISC_CHECK script sees of its process (arguments, user and groups,
// process group, standard descriptors).
//
// keepalived's checker stops at start-up without IPVS, so this runs only
// in the project's VM (GOKEEPALIVED_VM=1), inside a private network
// namespace with its own IPVS table.
func TestVMKeepalivedSendsTheSameBytes(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("needs the VM's IPVS kernel: keepalived's checker stops without IPVS (GOKEEPALIVED_VM=1)")
	}
	kaPath, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "info.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
out=$1; shift
{
	printf 'argv: [%s]' "$0"; for a in "$@"; do printf ' [%s]' "$a"; done; echo
	echo "umask: $(umask)"
	# builtins only: a forked grep could catch the shell blocking signals
	# around its own fork
	while read -r k v; do
		case $k in SigBlk:|SigIgn:|NoNewPrivs:|CapEff:) echo "$k $v" ;; esac
	done < /proc/$$/status
	echo "nofile: $(ulimit -n)"
	echo "cwd: $(pwd)"
	env | sort | sed 's/^/env: /'
	echo "ids: $(id -u) $(id -g) $(id -G)"
	pgid=$(cut -d' ' -f5 /proc/$$/stat)
	[ "$pgid" = "$$" ] && echo "own process group" || echo "process group $pgid of $$"
	for fd in 0 1 2; do echo "fd $fd: $(readlink /proc/$$/fd/$fd)"; done
} > "$out.tmp"
mv "$out.tmp" "$out"
`), 0o755)

	var (
		mu       sync.Mutex
		icmpReqs [][]byte
	)
	type captures struct {
		tcp, smtp, udp, dns, http [][]byte
	}
	var ka, ours captures
	var kaLog bytes.Buffer
	var failure string

	skip := inPrivateNetns(t, func() {
		tcpSrv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			b := make([]byte, 64)
			n, _ := c.Read(b)
			s.record(b[:n])
		})
		smtpSrv := smtpServer(t, "220 vm ESMTP\r\n", "250 vm\r\n", "221 bye\r\n")
		udpSrv := startUDPServer(t, func(q []byte) [][]byte { return [][]byte{[]byte("pong")} })
		dnsSrv := startUDPServer(t, func(q []byte) [][]byte { return [][]byte{dnsAnswer(q, 0x8180)} })
		cert := testCert(t)
		var sniMu sync.Mutex
		snis := map[int][]string{}
		httpSrv := func(ssl bool) *tcpServer {
			var srv *tcpServer
			srv = startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
				if ssl {
					tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert},
						GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
							sniMu.Lock()
							snis[srv.port()] = append(snis[srv.port()], h.ServerName)
							sniMu.Unlock()
							return nil, nil
						}})
					if tc.Handshake() != nil {
						return
					}
					c = tc
				}
				s.record(readRequest(c))
				c.Write([]byte("HTTP/1.0 200 OK\r\n\r\nok"))
			})
			return srv
		}
		httpRS, sslVS, sslRS := httpSrv(false), httpSrv(true), httpSrv(true)
		raw, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
		if err != nil {
			failure = "raw ICMP socket: " + err.Error()
			return
		}
		defer raw.Close()
		go func() {
			buf := make([]byte, 512)
			for {
				n, _, err := raw.ReadFrom(buf)
				if err != nil {
					return
				}
				if n > 0 && buf[0] == icmpEchoRequest {
					mu.Lock()
					icmpReqs = append(icmpReqs, append([]byte(nil), buf[:n]...))
					mu.Unlock()
				}
			}
		}()

		conf := fmt.Sprintf(`global_defs {
	router_id vmtest
}
virtual_server 10.0.0.1 80 {
	delay_loop 1
	virtualhost vs.example
	lb_algo rr
	lb_kind NAT
	protocol TCP
	real_server 127.0.0.1 %d {
		TCP_CHECK { connect_timeout 1
			warmup 0 }
	}
	real_server 127.0.0.1 %d {
		SMTP_CHECK { helo_name vm.example
			connect_timeout 1
			warmup 0 }
	}
	real_server 127.0.0.1 %d {
		UDP_CHECK { connect_timeout 1
			warmup 0 }
	}
	real_server 127.0.0.1 %d {
		DNS_CHECK { type MX
			name example.org
			connect_timeout 1
			warmup 0 }
	}
	real_server 127.0.0.3 80 {
		PING_CHECK { connect_timeout 1
			warmup 0 }
	}
	real_server 127.0.0.1 %d {
		virtualhost rs.example
		HTTP_GET { http_protocol 1.1
			connect_timeout 1
			warmup 0
			url { path /rs?q=1 } }
	}
	real_server 127.0.0.1 %d {
		SSL_GET { enable_sni
			connect_timeout 1
			warmup 0
			url { path /vs } }
	}
	real_server 127.0.0.1 %d {
		virtualhost rs2.example
		SSL_GET { enable_sni
			connect_timeout 1
			warmup 0
			url { path /sni-skips-rs } }
	}
	real_server 127.0.0.4 80 {
		MISC_CHECK { misc_path "%s %s/ka.out 'one two' three"
			misc_timeout 5
			warmup 0 }
	}
}
`, tcpSrv.port(), smtpSrv.port(), udpSrv.port(), dnsSrv.port(), httpRS.port(), sslVS.port(), sslRS.port(), script, dir)
		confFile := filepath.Join(dir, "keepalived.conf")
		os.WriteFile(confFile, []byte(conf), 0o644)

		cmd := exec.Command(kaPath, "-n", "-l", "-D", "-C", "-f", confFile,
			"-p", filepath.Join(dir, "ka.pid"), "-c", filepath.Join(dir, "ka-check.pid"), "-r", filepath.Join(dir, "ka-vrrp.pid"))
		cmd.Stdout, cmd.Stderr = &kaLog, &kaLog
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			failure = "starting keepalived: " + err.Error()
			return
		}
		stopped := false
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
		defer stop()
		complete := func() bool {
			mu.Lock()
			defer mu.Unlock()
			_, err := os.Stat(filepath.Join(dir, "ka.out"))
			return len(tcpSrv.requests()) > 0 && len(smtpSrv.requests()) > 0 && len(udpSrv.received()) > 0 &&
				len(dnsSrv.received()) > 0 && len(icmpReqs) > 0 && err == nil &&
				len(httpRS.requests()) > 0 && len(sslVS.requests()) > 0 && len(sslRS.requests()) > 0
		}
		for deadline := time.Now().Add(20 * time.Second); !complete() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		if !complete() {
			_, err := os.Stat(filepath.Join(dir, "ka.out"))
			failure = fmt.Sprintf("keepalived did not run every checker within 20 s: TCP %d, SMTP %d, UDP %d, DNS %d, ICMP %d, MISC output %v",
				len(tcpSrv.requests()), len(smtpSrv.requests()), len(udpSrv.received()), len(dnsSrv.received()), len(icmpReqs), err)
			return
		}
		// SMTP transcripts are recorded when the connection ends; keep the
		// first of each.
		first := func(b [][]byte) [][]byte { return b[:1] }
		ka = captures{tcp: first(tcpSrv.requests()), smtp: first(smtpSrv.requests()), udp: first(udpSrv.received()), dns: first(dnsSrv.received()),
			http: [][]byte{httpRS.requests()[0], sslVS.requests()[0], sslRS.requests()[0]}}
		sniMu.Lock()
		kaSNI := []string{snis[sslVS.port()][0], snis[sslRS.port()][0]}
		sniMu.Unlock()
		nHTTP := []int{len(httpRS.requests()), len(sslVS.requests()), len(sslRS.requests())}
		nSNI := []int{len(snis[sslVS.port()]), len(snis[sslRS.port()])}
		mu.Lock()
		kaICMP := icmpReqs[0]
		icmpReqs = nil
		mu.Unlock()
		nTCP, nSMTP, nUDP, nDNS := len(tcpSrv.requests()), len(smtpSrv.requests()), len(udpSrv.received()), len(dnsSrv.received())

		// Our probes, from the same configuration.
		res := parser.LoadBytes(confFile, []byte(strings.ReplaceAll(conf, dir+"/ka.out", dir+"/go.out")), parser.Options{})
		if res.Config == nil || len(res.Config.VirtualServers) != 1 {
			failure = "parser: no virtual server"
			return
		}
		vs := res.Config.VirtualServers[0]
		ctx := testCtx(t)
		// keepalived sets its process umask from global_defs umask (0177 by
		// default) at start-up and scripts inherit it; in gokeepalived that
		// is the daemon's job, so the test stands in for it here.
		old := syscall.Umask(int(res.Config.Global.Umask))
		defer syscall.Umask(old)
		for _, rs := range vs.RealServers {
			for _, c := range rs.Checkers {
				p, err := NewProbe(c, vs, rs, ProbeEnv{})
				if err != nil {
					failure = fmt.Sprintf("NewProbe %s: %v", c.Type, err)
					return
				}
				if o := p.Check(ctx); !o.OK {
					failure = fmt.Sprintf("our %s failed: %v", c.Type, o.Err)
					return
				}
			}
		}
		for deadline := time.Now().Add(2 * time.Second); len(smtpSrv.requests()) <= nSMTP && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		ours = captures{tcp: tcpSrv.requests()[nTCP:], smtp: smtpSrv.requests()[nSMTP:], udp: udpSrv.received()[nUDP:], dns: dnsSrv.received()[nDNS:]}
		for i, srv := range []*tcpServer{httpRS, sslVS, sslRS} {
			if r := srv.requests(); len(r) > nHTTP[i] {
				ours.http = append(ours.http, r[nHTTP[i]])
			}
		}
		sniMu.Lock()
		for i, srv := range []*tcpServer{sslVS, sslRS} {
			if l := snis[srv.port()]; len(l) > nSNI[i] {
				if l[nSNI[i]] != kaSNI[i] {
					failure = fmt.Sprintf("SNI differs: keepalived %q, ours %q", kaSNI[i], l[nSNI[i]])
				}
			}
		}
		sniMu.Unlock()
		t.Logf("keepalived's SNI names: %q", kaSNI)
		mu.Lock()
		defer mu.Unlock()
		if len(icmpReqs) == 0 {
			failure = "our echo request was not seen"
			return
		}
		if !bytes.Equal(kaICMP[8:], icmpReqs[0][8:]) || kaICMP[0] != icmpReqs[0][0] || kaICMP[1] != icmpReqs[0][1] {
			failure = fmt.Sprintf("echo requests differ:\n keepalived %x\n ours       %x", kaICMP, icmpReqs[0])
		}
	})
	if skip != "" {
		t.Skip(skip)
	}
	t.Logf("keepalived's log:\n%s", kaLog.String())
	if failure != "" {
		t.Fatal(failure)
	}
	cmp := func(what string, k, o [][]byte, from int) {
		t.Helper()
		if len(o) == 0 || len(k) == 0 {
			t.Errorf("%s: keepalived %d, ours %d captures", what, len(k), len(o))
			return
		}
		if !bytes.Equal(k[0][min(from, len(k[0])):], o[0][min(from, len(o[0])):]) {
			t.Errorf("%s differs:\n keepalived %q\n ours       %q", what, k[0], o[0])
		}
	}
	cmp("TCP_CHECK data", ka.tcp, ours.tcp, 0)
	cmp("SMTP_CHECK dialogue", ka.smtp, ours.smtp, 0)
	cmp("UDP_CHECK payload", ka.udp, ours.udp, 0)
	cmp("DNS_CHECK query (after the id)", ka.dns, ours.dns, 2)
	if len(ka.http) != 3 || len(ours.http) != 3 {
		t.Errorf("HTTP requests: keepalived %d, ours %d", len(ka.http), len(ours.http))
	} else {
		for i := range ka.http {
			cmp("HTTP request", ka.http[i:i+1], ours.http[i:i+1], 0)
		}
		t.Logf("keepalived's HTTP requests: %q", ka.http)
	}
	kaOut, err1 := os.ReadFile(filepath.Join(dir, "ka.out"))
	goOut, err2 := os.ReadFile(filepath.Join(dir, "go.out"))
	if err1 != nil || err2 != nil {
		t.Fatalf("MISC_CHECK outputs: %v, %v", err1, err2)
	}
	kaText := strings.ReplaceAll(string(kaOut), "ka.out", "OUT")
	goText := strings.ReplaceAll(string(goOut), "go.out", "OUT")
	if kaText != goText {
		t.Errorf("MISC_CHECK script environment differs:\nkeepalived:\n%s\nours:\n%s", kaText, goText)
	}
	t.Logf("MISC_CHECK as keepalived runs it:\n%s", kaText)
}
