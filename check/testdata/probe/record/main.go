// Command record re-records the golden files of the HTTP_GET/SSL_GET probe
// tests: for each case it serves a fixed response on loopback, runs
// Debian's genhash (keepalived's own HTTP checker code) against it, and
// writes what genhash sent and the digest it printed.
//
//	go run ./check/testdata/probe/record [-genhash /usr/bin/genhash] [-out check/testdata/probe/http]
//
// Files per case NAME: NAME.request (the request bytes, with the server's
// port replaced by ${PORT}), NAME.response (the bytes served), NAME.md5
// (genhash's output) and, for SNI cases, NAME.sni (the server name the
// TLS handshake carried). cases.json lists the cases and their options.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type testCase struct {
	Name     string `json:"name"`
	Addr     string `json:"addr"`
	Path     string `json:"path"`
	Protocol string `json:"protocol,omitempty"` // genhash -P: 1.0, 1.0c, 1.1
	VHost    string `json:"virtualhost,omitempty"`
	SSL      bool   `json:"ssl,omitempty"`
	SNI      bool   `json:"sni,omitempty"`
	Response string `json:"-"`
}

var bigBody = strings.Repeat("0123456789abcdef", 400) // 6400 bytes: several reads

var cases = []testCase{
	{Name: "http10", Addr: "127.0.0.1", Path: "/index.html",
		Response: "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"},
	{Name: "http11-vhost", Addr: "127.0.0.1", Path: "/index.html", Protocol: "1.1", VHost: "www.example.com",
		Response: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nvhost\n"},
	{Name: "http10c", Addr: "127.0.0.1", Path: "/x", Protocol: "1.0c",
		Response: "HTTP/1.0 200 OK\r\n\r\nclose me\n"},
	{Name: "ipv6", Addr: "::1", Path: "/v6",
		Response: "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nv6\n"},
	{Name: "query", Addr: "127.0.0.1", Path: "/status?full&json=1",
		Response: "HTTP/1.0 200 OK\r\n\r\n{}"},
	{Name: "chunked", Addr: "127.0.0.1", Path: "/chunked", Protocol: "1.1",
		Response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n world\n\r\n0\r\n\r\n"},
	{Name: "short-content-length", Addr: "127.0.0.1", Path: "/short",
		Response: "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello world\n"},
	{Name: "big", Addr: "127.0.0.1", Path: "/big",
		Response: "HTTP/1.0 200 OK\r\n\r\n" + bigBody},
	{Name: "ssl", Addr: "127.0.0.1", Path: "/secure", SSL: true,
		Response: "HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nsecret\n"},
	{Name: "ssl-sni", Addr: "127.0.0.1", Path: "/sni", SSL: true, SNI: true, VHost: "sni.example.com",
		Response: "HTTP/1.1 200 OK\r\n\r\nsni body\n"},
}

func main() {
	genhash := flag.String("genhash", "/usr/bin/genhash", "genhash binary")
	out := flag.String("out", "check/testdata/probe/http", "output directory")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	cert := selfSigned()
	for _, c := range cases {
		if err := record(*genhash, *out, c, cert); err != nil {
			log.Fatalf("%s: %v", c.Name, err)
		}
	}
	j, _ := json.MarshalIndent(cases, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "cases.json"), append(j, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

func record(genhash, out string, c testCase, cert tls.Certificate) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(c.Addr, "0"))
	if err != nil {
		return err
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	type result struct {
		req []byte
		sni string
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		var sni string
		if c.SSL {
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert},
				GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) { sni = h.ServerName; return nil, nil }})
			if err := tc.Handshake(); err != nil {
				done <- result{err: err}
				return
			}
			conn = tc
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		var req []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(req, []byte("\r\n\r\n")) {
			n, err := conn.Read(buf)
			req = append(req, buf[:n]...)
			if err != nil {
				done <- result{err: fmt.Errorf("reading request: %w", err)}
				return
			}
		}
		_, err = conn.Write([]byte(c.Response))
		done <- result{req: req, sni: sni, err: err}
	}()

	args := []string{"-s", c.Addr, "-p", strconv.Itoa(port), "-u", c.Path, "-t", "5"}
	if c.Protocol != "" {
		args = append(args, "-P", c.Protocol)
	}
	if c.VHost != "" {
		args = append(args, "-V", c.VHost)
	}
	if c.SSL {
		args = append(args, "-S")
	}
	if c.SNI {
		args = append(args, "-I")
	}
	md5, err := exec.Command(genhash, args...).Output()
	if err != nil {
		return fmt.Errorf("genhash %v: %w", args, err)
	}
	r := <-done
	if r.err != nil {
		return r.err
	}
	req := bytes.ReplaceAll(r.req, []byte(":"+strconv.Itoa(port)+"\r\n"), []byte(":${PORT}\r\n"))
	write := func(ext string, b []byte) error { return os.WriteFile(filepath.Join(out, c.Name+ext), b, 0o644) }
	if err := write(".request", req); err != nil {
		return err
	}
	if err := write(".response", []byte(c.Response)); err != nil {
		return err
	}
	if err := write(".md5", md5); err != nil {
		return err
	}
	if c.SNI {
		return write(".sni", []byte(r.sni+"\n"))
	}
	return nil
}

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "record"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"record"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
