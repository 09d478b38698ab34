package check

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// loopbackServerEnv makes the test binary a check target instead of a test
// run: the benchmarks below start it as a separate process so that the
// CPU they measure (RUSAGE_SELF) is the checker's alone.
const loopbackServerEnv = "GOKEEPALIVED_BENCH_LOOPBACK_SERVER"

// TestLoopbackServerProcess is the check target process (a TCP listener on
// 127.0.0.1 that answers every connection with a short HTTP response and
// closes it). It does nothing in a normal test run.
func TestLoopbackServerProcess(t *testing.T) {
	if os.Getenv(loopbackServerEnv) == "" {
		t.Skip("only run as the benchmarks' check target")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTEN %d\n", ln.Addr().(*net.TCPAddr).Port)
	// The benchmark closes our stdin when it is done.
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	for {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			n, _ := c.Read(buf)
			if n > 0 {
				c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"))
			}
		}()
	}
}

// startLoopbackServer runs TestLoopbackServerProcess in a child process
// and returns its port.
func startLoopbackServer(b *testing.B) int {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoopbackServerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), loopbackServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
			port, err := strconv.Atoi(p)
			if err != nil {
				b.Fatal(err)
			}
			go io.Copy(io.Discard, out)
			return port
		}
	}
	b.Fatal("the loopback server did not start")
	return 0
}

// BenchmarkCheckLoopback runs the scheduler with the real probes (TCP_CHECK
// and HTTP_GET at delay_loop 1) on N real servers whose checks all go to a
// listener in another process, and reports the checker's own CPU time per
// check and how late checks started. One op is one wall-clock second.
// tcp-goroutines is TCP_CHECK without the connector (connector_linux.go).
// BENCH_LOOPBACK_N sets N (default 2000).
func BenchmarkCheckLoopback(b *testing.B) {
	n := 2000
	if s := os.Getenv("BENCH_LOOPBACK_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		n = v
	}
	for _, kind := range []string{"tcp", "tcp-goroutines", "http"} {
		b.Run(fmt.Sprintf("%s-%d", kind, n), func(b *testing.B) {
			port := startLoopbackServer(b)
			checker := fmt.Sprintf("TCP_CHECK {\nconnect_ip 127.0.0.1\nconnect_port %d\nconnect_timeout 3\n}", port)
			if kind == "http" {
				checker = fmt.Sprintf("HTTP_GET {\nurl {\npath /\nstatus_code 200\n}\nconnect_ip 127.0.0.1\nconnect_port %d\nconnect_timeout 3\n}", port)
			}
			cfg := loadConfig(b, manyRS(n, checker))
			newProbe := func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error) {
				return NewProbe(c, vs, rs, ProbeEnv{})
			}
			// Every check goes to the same address, so dedupe would make
			// them one.
			s, err := NewScheduler(cfg, newProbe, LogNotifier{Log: quietLog()}, Options{Log: quietLog(), NoDedupe: true})
			if err != nil {
				b.Fatal(err)
			}
			// tcp-goroutines: TCP_CHECK as every other probe, one
			// goroutine per attempt, against the connector.
			s.goroutineConnects = kind == "tcp-goroutines"
			var ms0, ms1 runtime.MemStats
			down := 0
			before, after, cpu := measureRealtime(b, s, func() { runtime.ReadMemStats(&ms0) }, func() {
				runtime.ReadMemStats(&ms1)
				// A failed check takes its server down: every one must
				// still be up, or the figures measured failures.
				for _, v := range cfg.VirtualServers {
					for _, rs := range v.RealServers {
						if !s.RealServer(v, rs).Alive {
							down++
						}
					}
				}
			})
			if down > 0 {
				b.Fatalf("%d of %d real servers failed their checks", down, n)
			}
			checks := after.Checks - before.Checks
			if checks == 0 {
				b.Fatal("no checks ran")
			}
			b.ReportMetric(float64(checks)/float64(b.N), "checks/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(checks), "cpu-µs/check")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(checks), "allocs/check")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(checks), "B/check")
			b.ReportMetric(float64((after.LateTotal-before.LateTotal).Microseconds())/float64(checks), "late-µs/check")
			b.ReportMetric(float64(after.LateMax.Microseconds()), "late-max-µs")
		})
	}
}
