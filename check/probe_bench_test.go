package check

import (
	"context"
	"io"
	"net"
	"testing"
)

// BenchmarkHTTPCheck is one HTTP_GET attempt (connect, request, read to
// close, MD5) against a loopback server.
func BenchmarkHTTPCheck(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				readRequest(c)
				c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"))
			}()
		}
	}()
	p := newTestProbe(b, ProbeEnv{}, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, "HTTP_GET {\nconnect_timeout 2\nurl {\npath /\ndigest 6f5902ac237024bdd0c176cb93063dc4\n}\n}")
	for b.Loop() {
		if o := p.Check(context.Background()); !o.OK {
			b.Fatal(o.Err)
		}
	}
}

// BenchmarkTCPCheck is one TCP_CHECK attempt against a loopback listener.
func BenchmarkTCPCheck(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	p := newTestProbe(b, ProbeEnv{}, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, "TCP_CHECK {\nconnect_timeout 2\n}")
	for b.Loop() {
		if o := p.Check(context.Background()); !o.OK {
			b.Fatal(o.Err)
		}
	}
}
