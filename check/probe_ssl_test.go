package check

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeClientCert writes a self-signed client certificate and its key
// (encrypted with password when not empty) as PEM files.
func writeClientCert(t *testing.T, password string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "gokeepalived-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	block := &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}
	if password != "" {
		//lint:ignore SA1019 the legacy format is what keepalived's password unlocks
		block, err = x509.EncryptPEMBlock(rand.Reader, block.Type, keyDER, []byte(password), x509.PEMCipherAES256) //nolint:staticcheck
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
	return certFile, keyFile, cert
}

// TestSSLClientCertificate: the global SSL block's certificate and key are
// presented to a server that asks for a client certificate; the server's
// own self-signed certificate is never verified.
func TestSSLClientCertificate(t *testing.T) {
	for _, password := range []string{"", "s3cret"} {
		t.Run(fmt.Sprintf("password=%q", password), func(t *testing.T) {
			certFile, keyFile, clientCert := writeClientCert(t, password)
			serverCert := testCert(t)
			var got []*x509.Certificate
			srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
				tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAnyClientCert})
				if tc.Handshake() != nil {
					return
				}
				got = tc.ConnectionState().PeerCertificates
				readRequest(tc)
				tc.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
			})
			ssl := fmt.Sprintf("SSL {\ncertificate %s\nkey %s\n", certFile, keyFile)
			if password != "" {
				ssl += "password " + password + "\n"
			}
			ssl += "}"
			cfg, vs, rs, c := probeTestConfig(t, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}", ssl)
			p, err := NewProbe(c, vs, rs, ProbeEnv{SSL: cfg.SSL})
			if err != nil {
				t.Fatal(err)
			}
			wantOK(t, p.Check(testCtx(t)))
			srv.ln.Close()
			srv.wg.Wait()
			if len(got) != 1 || !got[0].Equal(clientCert) {
				t.Errorf("server saw client certificates %v", got)
			}
		})
	}
	t.Run("no SSL block: anonymous client refused", func(t *testing.T) {
		serverCert := testCert(t)
		srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
			tls.Server(c, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAnyClientCert}).Handshake()
		})
		p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
		o := p.Check(testCtx(t))
		if o.OK {
			t.Fatal("passed without the client certificate the server requires")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		certFile, keyFile, _ := writeClientCert(t, "right")
		cfg, vs, rs, c := probeTestConfig(t, "127.0.0.1", 443, "SSL_GET {\nurl {\npath /\n}\n}",
			fmt.Sprintf("SSL {\ncertificate %s\nkey %s\npassword wrong\n}", certFile, keyFile))
		if _, err := NewProbe(c, vs, rs, ProbeEnv{SSL: cfg.SSL}); err == nil {
			t.Error("NewProbe accepted a key it cannot decrypt")
		}
	})
}

// TestSSLLegacyServers: keepalived's OpenSSL client also talks to servers
// limited to TLS 1.0 or to RSA key exchange.
func TestSSLLegacyServers(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "legacy"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaCert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: rsaKey}
	for name, cfg := range map[string]*tls.Config{
		"TLS 1.0": {Certificates: []tls.Certificate{rsaCert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10},
		"RSA key exchange": {Certificates: []tls.Certificate{rsaCert}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := startTCPServer(t, "tcp4", "127.0.0.1:0", func(c net.Conn, s *tcpServer) {
				tc := tls.Server(c, cfg)
				readRequest(tc)
				tc.Write([]byte("HTTP/1.0 200 OK\r\n\r\n"))
			})
			p := newTestProbe(t, ProbeEnv{}, "127.0.0.1", srv.port(), "SSL_GET {\nconnect_timeout 1\nurl {\npath /\n}\n}")
			wantOK(t, p.Check(testCtx(t)))
		})
	}
}
