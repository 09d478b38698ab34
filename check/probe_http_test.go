package check

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed certificate made for this test run.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probe-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"probe-test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type genhashCase struct {
	Name     string `json:"name"`
	Addr     string `json:"addr"`
	Path     string `json:"path"`
	Protocol string `json:"protocol"`
	VHost    string `json:"virtualhost"`
	SSL      bool   `json:"ssl"`
	SNI      bool   `json:"sni"`
}

// TestHTTPMatchesGenhash replays the cases recorded from Debian's genhash
// (testdata/probe/record): our request must be byte-identical to the one
// keepalived's checker sent, and our MD5 of the same response must equal
// the digest genhash printed (the url's digest is genhash's output, so the
// attempt passes only if they agree).
func TestHTTPMatchesGenhash(t *testing.T) {
	dir := filepath.Join("testdata", "probe", "http")
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []genhashCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 8 {
		t.Fatalf("only %d recorded cases", len(cases))
	}
	cert := testCert(t)
	for _, gc := range cases {
		t.Run(gc.Name, func(t *testing.T) {
			read := func(ext string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, gc.Name+ext))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			resp, wantReq := read(".response"), read(".request")
			digest := strings.TrimSpace(string(read(".md5")))
			var gotSNI string
			srv := startTCPServer(t, "tcp", net.JoinHostPort(gc.Addr, "0"), func(c net.Conn, s *tcpServer) {
				if gc.SSL {
					tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert},
						GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) { gotSNI = h.ServerName; return nil, nil }})
					if tc.Handshake() != nil {
						return
					}
					c = tc
				}
				s.record(readRequest(c))
				c.Write(resp)
				if tc, ok := c.(*tls.Conn); ok {
					tc.CloseWrite()
				}
			})
			typ := "HTTP_GET"
			if gc.SSL {
				typ = "SSL_GET"
			}
			var opts []string
			switch gc.Protocol {
			case "1.1":
				opts = append(opts, "http_protocol 1.1")
			case "1.0c":
				opts = append(opts, "http_protocol 1.0C")
			}
			if gc.VHost != "" {
				opts = append(opts, "virtualhost "+gc.VHost)
			}
			if gc.SNI {
				opts = append(opts, "enable_sni")
			}
			block := fmt.Sprintf("%s {\nconnect_timeout 2\n%s\nurl {\npath %s\ndigest %s\n}\n}", typ, strings.Join(opts, "\n"), gc.Path, digest)
			p := newTestProbe(t, ProbeEnv{}, gc.Addr, srv.port(), block)
			wantOK(t, p.Check(testCtx(t)))

			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			want := bytes.ReplaceAll(wantReq, []byte("${PORT}"), []byte(strconv.Itoa(srv.port())))
			if !bytes.Equal(reqs[0], want) {
				t.Errorf("request differs from genhash's:\n got %q\nwant %q", reqs[0], want)
			}
			if gc.SNI {
				if want := strings.TrimSpace(string(read(".sni"))); gotSNI != want {
					t.Errorf("SNI %q, genhash sent %q", gotSNI, want)
				}
			} else if gotSNI != "" {
				t.Errorf("SNI %q sent without enable_sni", gotSNI)
			}
		})
	}
}

// TestHTTPDigestOfRecordedBodies recomputes genhash's digests offline from
// the recorded responses with the probe's own response reader.
func TestHTTPDigestOfRecordedBodies(t *testing.T) {
	dir := filepath.Join("testdata", "probe", "http")
	files, _ := filepath.Glob(filepath.Join(dir, "*.response"))
	if len(files) == 0 {
		t.Fatal("no recorded responses")
	}
	for _, f := range files {
		resp, _ := os.ReadFile(f)
		md5hex, err := os.ReadFile(strings.TrimSuffix(f, ".response") + ".md5")
		if err != nil {
			t.Fatal(err)
		}
		u := &httpURL{digest: []byte{0}}
		r := &httpResponse{clen: -1, md5: md5.New()}
		// Feed in small pieces: the result must not depend on read sizes.
		for b := resp; len(b) > 0; {
			n := min(len(b), 7)
			r.feed(b[:n], u)
			b = b[n:]
		}
		if got := hex.EncodeToString(r.md5.Sum(nil)); got != strings.TrimSpace(string(md5hex)) {
			t.Errorf("%s: digest %s, genhash printed %s", filepath.Base(f), got, md5hex)
		}
	}
}

// httpResponseCase is a test server's behaviour and keepalived's verdict
// on it.
type httpResponseCase struct {
	name    string
	handle  func(net.Conn, *tcpServer)
	url     string // extra url keywords
	reason  string // "" = pass
	timeout string
}

// probe makes the HTTP_GET probe of the case against srv.
func (tt httpResponseCase) probe(t *testing.T, srv *tcpServer) Probe {
	to := tt.timeout
	if to == "" {
		to = "2"
	}
	return newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(),
		fmt.Sprintf("HTTP_GET {\nconnect_timeout %s\nurl {\npath /check\n%s\n}\n}", to, tt.url))
}

// check tests o against the case's verdict.
func (tt httpResponseCase) check(t *testing.T, srv *tcpServer, o Outcome) {
	t.Helper()
	if tt.reason == "" {
		wantOK(t, o)
		return
	}
	rs := fmt.Sprintf("[127.0.0.1]:tcp:%d", srv.port())
	wantFail(t, o, tt.reason, fmt.Sprintf("%s server %s.", tt.reason, rs))
}

func TestHTTPResponses(t *testing.T) {
	for _, tt := range httpResponseCases() {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTCPServer(t, "tcp4", "127.0.0.1:0", tt.handle)
			p := tt.probe(t, srv)
			start := time.Now()
			o := p.Check(testCtx(t))
			if el := time.Since(start); el > time.Second {
				t.Errorf("attempt took %v", el)
			}
			tt.check(t, srv, o)
		})
	}
}

// httpResponseCases are servers that answer, or fail to, in every way
// keepalived's HTTP_GET tells apart.
func httpResponseCases() []httpResponseCase {
	const okResp = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"
	stall := func(pre string) func(net.Conn, *tcpServer) {
		return func(c net.Conn, s *tcpServer) {
			s.record(readRequest(c))
			c.Write([]byte(pre))
			io.Copy(io.Discard, c) // until the probe gives up and closes

		}
	}
	return []httpResponseCase{
		{name: "ok", handle: httpServe(okResp)},
		{name: "wrong status", handle: httpServe("HTTP/1.0 500 Internal Server Error\r\n\r\noops"), reason: "HTTP status code error to"},
		{name: "status accepted by status_code", handle: httpServe("HTTP/1.0 503 Busy\r\n\r\n"), url: "status_code 500-504 302"},
		{name: "redirect not in default range", handle: httpServe("HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n"), reason: "HTTP status code error to"},
		{name: "no reason phrase", handle: httpServe("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), reason: "HTTP status code error to"},
		{name: "closed without response", handle: func(c net.Conn, s *tcpServer) { s.record(readRequest(c)) }, reason: "Read, no data received from "},
		{name: "partial headers", handle: httpServe("HTTP/1.0 200 OK\r\nContent-Len"), reason: "Read, no data received from "},
		{name: "headers beyond 4095 bytes", handle: httpServe("HTTP/1.0 200 OK\r\nX-Big: " + strings.Repeat("x", 5000) + "\r\n\r\nbody"), reason: "Read, no data received from "},
		{name: "reset", handle: func(c net.Conn, s *tcpServer) {
			s.record(readRequest(c))
			c.(*net.TCPConn).SetLinger(0)
		}, reason: "Read error with"},
		{name: "reset after headers", handle: func(c net.Conn, s *tcpServer) {
			s.record(readRequest(c))
			c.Write([]byte("HTTP/1.0 200 OK\r\n\r\npart"))
			time.Sleep(20 * time.Millisecond)
			c.(*net.TCPConn).SetLinger(0)
		}, reason: "Read error with"},
		{name: "no answer", handle: stall(""), reason: "Timeout WEB read", timeout: "0.05"},
		{name: "stalls mid-body", handle: stall("HTTP/1.0 200 OK\r\n\r\nsome"), reason: "Timeout HTTP read", timeout: "0.05"},
		{name: "keeps the connection open after Content-Length", handle: stall(okResp), reason: "Timeout HTTP read", timeout: "0.05"},
		{name: "digest ok", handle: httpServe(okResp), url: "digest 6f5902ac237024bdd0c176cb93063dc4"},
		{name: "digest upper case", handle: httpServe(okResp), url: "digest 6F5902AC237024BDD0C176CB93063DC4"},
		{name: "digest wrong body", handle: httpServe("HTTP/1.0 200 OK\r\n\r\nhello world!\n"), url: "digest 6f5902ac237024bdd0c176cb93063dc4", reason: "MD5 digest error to"},
		{name: "digest checked after status", handle: httpServe("HTTP/1.0 404 Not Found\r\n\r\nhello world\n"), url: "digest 6f5902ac237024bdd0c176cb93063dc4", reason: "HTTP status code error to"},
		{name: "regex matches body", handle: httpServe(okResp), url: `regex "wor.d"`},
		{name: "regex no match", handle: httpServe(okResp), url: `regex "planet"`, reason: "Regex match failed"},
		{name: "regex sees headers", handle: httpServe(okResp), url: `regex "^HTTP/1\\.0 200"`},
		{name: "regex_no_match passes without match", handle: httpServe(okResp), url: "regex \"error\"\nregex_no_match"},
		{name: "regex_no_match fails on match", handle: httpServe(okResp), url: "regex \"hello\"\nregex_no_match", reason: "Regex match failed"},
		{name: "regex caseless", handle: httpServe(okResp), url: "regex \"HELLO\"\nregex_options caseless"},
		{name: "regex before min offset", handle: httpServe(okResp), url: "regex \"HTTP\"\nregex_min_offset 5", reason: "Regex match failed"},
		{name: "regex after min offset", handle: httpServe(okResp), url: "regex \"hello\"\nregex_min_offset 5"},
		{name: "regex beyond max offset", handle: httpServe(okResp), url: "regex \"hello\"\nregex_max_offset 20", reason: "Regex match failed"},
		{name: "regex before max offset", handle: httpServe(okResp), url: "regex \"Content\"\nregex_max_offset 20"},
	}
}

func TestHTTPConnectFailures(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		port := closedPort(t, "tcp")
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "HTTP_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		wantFail(t, p.Check(testCtx(t)), "Connection failed", fmt.Sprintf("Connection failed server [127.0.0.1]:tcp:%d.", port))
	})
	t.Run("no answer to SYN", func(t *testing.T) {
		port := fullBacklogPort(t)
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", port, "HTTP_GET {\nconnect_timeout 0.05\nurl {\npath /\n}\n}")
		start := time.Now()
		wantFail(t, p.Check(testCtx(t)), "Timeout connecting", "")
		if el := time.Since(start); el < 40*time.Millisecond || el > time.Second {
			t.Errorf("timed out after %v, want about 50ms", el)
		}
	})
	t.Run("TLS to a plain server", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		wantFail(t, p.Check(testCtx(t)), "SSL handshake/communication error connecting to", "")
	})
	t.Run("TLS handshake never answered", func(t *testing.T) {
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) { io.Copy(io.Discard, c) })
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 0.05\nurl {\npath /\n}\n}")
		start := time.Now()
		wantFail(t, p.Check(testCtx(t)), "Timeout connecting", "")
		if el := time.Since(start); el > time.Second {
			t.Errorf("took %v", el)
		}
	})
	t.Run("TLS server silent after handshake", func(t *testing.T) {
		cert := testCert(t)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			tc.Handshake()
			readRequest(tc)
			io.Copy(io.Discard, tc)
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 0.5\nurl {\npath /\n}\n}")
		wantFail(t, p.Check(testCtx(t)), "Timeout WEB read", "")
	})
	t.Run("TLS response then close_notify", func(t *testing.T) {
		cert := testCert(t)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			readRequest(tc)
			tc.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
			tc.Close()
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\ndigest "+
			hex.EncodeToString(md5Sum("3\r\nabc\r\n0\r\n\r\n"))+"\n}\n}")
		wantOK(t, p.Check(testCtx(t)))
	})
	t.Run("TCP close before headers on TLS", func(t *testing.T) {
		cert := testCert(t)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			readRequest(tc)
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c)
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		wantFail(t, p.Check(testCtx(t)), "Read, no data received from ", "")
	})
	t.Run("TLS close_notify before headers", func(t *testing.T) {
		cert := testCert(t)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			readRequest(tc)
			tc.Close()
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		wantFail(t, p.Check(testCtx(t)), "SSL read error from", "")
	})
}

func md5Sum(s string) []byte { h := md5.Sum([]byte(s)); return h[:] }

func TestHTTPURLs(t *testing.T) {
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
		req := readRequest(c)
		s.record(req)
		if bytes.HasPrefix(req, []byte("GET /bad ")) {
			c.Write([]byte("HTTP/1.0 404 Not Found\r\n\r\n"))
			return
		}
		c.Write([]byte("HTTP/1.0 200 OK\r\n\r\nfine"))
	})
	block := "HTTP_GET {\nconnect_timeout 1\nurl {\npath /a\n}\nurl {\npath /bad\ndigest 00112233445566778899aabbccddeeff\n}\nurl {\npath /c\nregex fine\n}\n}"
	p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), block).(URLProber)
	if p.NumURLs() != 3 {
		t.Fatalf("NumURLs %d", p.NumURLs())
	}
	ctx := testCtx(t)
	wantOK(t, p.CheckURL(ctx, 2))
	wantFail(t, p.CheckURL(ctx, 1), "HTTP status code error to", "")
	// Check stops at the first failing url: /a then /bad, never /c.
	before := len(srv.requests())
	wantFail(t, p.Check(ctx), "HTTP status code error to", "")
	var paths []string
	for _, r := range srv.requests()[before:] {
		paths = append(paths, strings.Fields(string(r))[1])
	}
	if strings.Join(paths, " ") != "/a /bad" {
		t.Errorf("Check requested %v, want /a /bad", paths)
	}
	rs := fmt.Sprintf("[127.0.0.1]:tcp:%d", srv.port())
	for i, want := range []string{
		"HTTP status code success to " + rs + " url(/a)",
		"MD5 digest success to " + rs + " url(/bad)",
		"Regex match success to " + rs + " url(/c)",
	} {
		if got := p.SuccessLine(i); got != want {
			t.Errorf("SuccessLine(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestHTTPHostAndSNI follows keepalived's order: url, checker, real server,
// virtual server virtualhost for Host; SNI skips the real server's.
func TestHTTPHostAndSNI(t *testing.T) {
	tests := []struct {
		name           string
		vs, rs, chk, u string
		host, sni      string
	}{
		{name: "none", host: "127.0.0.1:8080", sni: ""},
		{name: "vs", vs: "vs.example", host: "vs.example", sni: "vs.example"},
		{name: "rs", vs: "vs.example", rs: "rs.example", host: "rs.example", sni: "vs.example"},
		{name: "rs only", rs: "rs.example", host: "rs.example", sni: ""},
		{name: "checker", vs: "vs.example", rs: "rs.example", chk: "chk.example", host: "chk.example", sni: "chk.example"},
		{name: "url", vs: "vs.example", rs: "rs.example", chk: "chk.example", u: "url.example", host: "url.example", sni: "url.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := func(kw, v string) string {
				if v == "" {
					return ""
				}
				return kw + " " + v
			}
			_, vs, rs, c := probeTestConfig(t, "127.0.0.1", 8080,
				fmt.Sprintf("%s\nSSL_GET {\nenable_sni\n%s\nurl {\npath /\n%s\n}\n}", opt("virtualhost", tt.rs), opt("virtualhost", tt.chk), opt("virtualhost", tt.u)))
			vs.VirtualHost = tt.vs
			p, err := NewProbe(c, vs, rs, ProbeEnv{})
			if err != nil {
				t.Fatal(err)
			}
			hp := p.(*httpProbe)
			if got, _ := hp.host(hp.urls[0]); got != tt.host {
				t.Errorf("Host %q, want %q", got, tt.host)
			}
			if got := hp.sniName(hp.urls[0]); got != tt.sni {
				t.Errorf("SNI %q, want %q", got, tt.sni)
			}
		})
	}
}

func TestHTTPRequestTruncated(t *testing.T) {
	// A configuration line holds at most 1023 bytes, but a url path and a
	// virtualhost together can pass the 2047 bytes of keepalived's buffer.
	_, vs, rs, c := probeTestConfig(t, "127.0.0.1", 80, "HTTP_GET {\nurl {\npath /\n}\n}")
	p, err := NewProbe(c, vs, rs, ProbeEnv{})
	if err != nil {
		t.Fatal(err)
	}
	hp := p.(*httpProbe)
	hp.urls[0].path = "/" + strings.Repeat("p", 3000)
	req := hp.buildRequest(hp.urls[0])
	if len(req) != 2047 || !bytes.HasPrefix(req, []byte("GET /ppp")) {
		t.Errorf("request of %d bytes, want keepalived's 2047", len(req))
	}
}

func TestHTTPContentLengthMismatchLogged(t *testing.T) {
	var lc logCapture
	srv := startTCPServer(t, "tcp4", "127.0.0.1:0", httpServe("HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nhello world\n"))
	p := newTestProbe(t, ProbeEnv{Logger: slog.New(&lc)}, "127.0.0.1", srv.port(), "HTTP_GET {\nvirtualhost www.example.com\nurl {\npath /len\n}\n}")
	ctx := testCtx(t)
	wantOK(t, p.Check(ctx))
	wantOK(t, p.Check(ctx)) // the same difference is reported once
	want := fmt.Sprintf("http_check for RS [127.0.0.1]:tcp:%d VS [10.0.0.1]:tcp:80 url /len: content_length (20) does not match received bytes (12)", srv.port())
	if got := lc.lines(); len(got) != 1 || got[0] != want {
		t.Errorf("logged %q, want once %q", got, want)
	}
}

func TestHTTPStatusAndLengthParsing(t *testing.T) {
	for head, want := range map[string]int{
		"HTTP/1.0 200 OK\r\n\r\n":      200,
		"HTTP/1.1 404 Not Found\r\n":   404,
		"HTTP/1.1 200\r\n\r\n":         0,
		"HTTP/1.1 2000 OK\r\n":         0,
		"HTTP/1.1 20x OK\r\n":          0,
		"HTTP/1.1  200 OK\r\n":         0,
		"HTTP/1.1\r\n 200 OK\r\n\r\n":  0,
		"ICY 200 OK\r\n\r\n":           200,
		"HTTP/1.0 099 Too low\r\n\r\n": 99,
	} {
		if got := httpStatusCode([]byte(head)); got != want {
			t.Errorf("status of %q = %d, want %d", head, got, want)
		}
	}
	for head, want := range map[string]int64{
		"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n":  12,
		"HTTP/1.0 200 OK\r\nContent-Length:12\r\n\r\n":   12,
		"HTTP/1.0 200 OK\r\ncontent-length: 12\r\n\r\n":  -1,
		"HTTP/1.0 200 OK\r\nContent-Length: 12x\r\n\r\n": -1,
		"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n":   -1,
		"HTTP/1.0 200 OK\r\nContent-Length:\r\n\r\n":     0,
		"HTTP/1.0 200 OK\r\n\r\n":                        -1,
	} {
		if got := httpContentLength([]byte(head)); got != want {
			t.Errorf("content length of %q = %d, want %d", head, got, want)
		}
	}
}

func TestHTTPRegexOptions(t *testing.T) {
	if _, err := compileHTTPRegex(`(a)\1`, nil); err == nil {
		t.Error("a backreference compiled; RE2 cannot match it and must say so at start-up")
	}
	if _, err := compileHTTPRegex(`a`, []string{"extended"}); err == nil {
		t.Error("extended has no RE2 equivalent and must be refused")
	}
	re, err := compileHTTPRegex(`^b.c$`, []string{"multiline", "dotall"})
	if err != nil {
		t.Fatal(err)
	}
	if !re.MatchString("a\nb\nc\nd") {
		t.Error("multiline+dotall did not apply")
	}
}

// TestHTTPRegexSubject: keepalived matches the headers only when the read
// that completes them also brings body bytes; otherwise the subject, and
// the offsets, start with the body.
func TestHTTPRegexSubject(t *testing.T) {
	for _, tt := range []struct {
		reads []string
		re    string
		max   uint64
		want  bool
	}{
		{reads: []string{"HTTP/1.0 200 OK\r\n\r\nhello"}, re: "^HTTP", want: true},
		{reads: []string{"HTTP/1.0 200 OK\r\n\r\n", "hello"}, re: "^HTTP", want: false},
		{reads: []string{"HTTP/1.0 200 OK\r\n\r\n", "hello"}, re: "^hello", max: 1, want: true},
		{reads: []string{"HTTP/1.0 200 OK\r\n\r\nhello"}, re: "hello", max: 1, want: false},
		{reads: []string{"HTTP/1.0 200", " OK\r\n\r\nhel", "lo"}, re: "^HTTP.*hello", want: false}, // RE2: . does not cross lines
		{reads: []string{"HTTP/1.0 200", " OK\r\n\r\nhel", "lo"}, re: "(?s)^HTTP.*hello", want: true},
	} {
		u := &httpURL{re: regexp.MustCompile(tt.re), maxOff: tt.max}
		r := &httpResponse{clen: -1}
		for _, b := range tt.reads {
			r.feed([]byte(b), u)
		}
		if got := httpRegexMatch(u, r.regexBuf); got != tt.want {
			t.Errorf("reads %q, regex %q, max offset %d: match %v, want %v", tt.reads, tt.re, tt.max, got, tt.want)
		}
	}
}

// TestHTTPRegexLikePCRE2Partial: the verdicts keepalived 2.2.7 gave in the
// VM (TestKeepalivedJudgesTheSameInVM) for matches at the end of the response
// and for regex_min_offset.
func TestHTTPRegexLikePCRE2Partial(t *testing.T) {
	const head = "HTTP/1.0 200 OK\r\n\r\n"
	for _, tt := range []struct {
		body, re string
		opts     []string
		min      uint64
		want     bool
	}{
		{body: "hello world", re: "world", want: true},
		{body: "hello world", re: "world$", want: false},
		{body: "hello world\n", re: "world$", want: false},
		{body: "a\nhello world\nb", re: "world$", opts: []string{"multiline"}, want: true},
		{body: "hello world", re: `world\z`, want: false},
		{body: "hello world", re: "wor.*", want: false},
		{body: "hello world\n", re: "wor.*", want: true},
		{body: "hello world", re: "worlds?", want: false},
		{body: "hello world", re: `world\b`, want: false},
		{body: "hello world", re: "^OK", min: 13, want: false},
		{body: "hello\nworld\n", re: "^world", opts: []string{"multiline"}, min: 25, want: true},
		{body: "hello\nworld\n", re: "^world", opts: []string{"multiline"}, min: 26, want: false},
		{body: "hello world", re: "HTTP", min: 1, want: false},
		{body: "hello world\n", re: "o w", min: 19, want: true},
	} {
		re, err := compileHTTPRegex(tt.re, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		u := &httpURL{re: re, minOff: tt.min}
		u.reAfter = regexp.MustCompile(`\A(?s:.)(?s:.*?)(` + re.String() + `)`)
		if got := httpRegexMatch(u, []byte(head+tt.body)); got != tt.want {
			t.Errorf("body %q, regex %q %v, min offset %d: match %v, keepalived %v", tt.body, tt.re, tt.opts, tt.min, got, tt.want)
		}
	}
}
