package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sink.example"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"sink.example"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestMailStartTLSAuth covers gokeepalived's extension: EHLO, STARTTLS,
// EHLO again, AUTH PLAIN, then keepalived's MAIL/RCPT/DATA unchanged.
func TestMailStartTLSAuth(t *testing.T) {
	cert, pool := testCert(t)
	for _, tc := range []struct {
		name     string
		cfg      func(*MailConfig)
		offerTLS bool
		wantErr  error
		want     []string // client lines that must appear, in order
		never    []string
	}{
		{"starttls and auth", func(c *MailConfig) { c.StartTLS, c.AuthUser, c.AuthPassword = true, "alerts", "s3cret" }, true, nil,
			[]string{"C: EHLO node-a.helo", "C: STARTTLS", "S: <TLS established>", "C: EHLO node-a.helo", "C: AUTH PLAIN AGFsZXJ0cwBzM2NyZXQ=", "S: 235 2.7.0 ok", "C: MAIL FROM:<keepalived@node-a.example>", "S: 250 2.0.0 queued", "C: QUIT"}, []string{"HELO"}},
		{"starttls only", func(c *MailConfig) { c.StartTLS = true }, true, nil,
			[]string{"C: EHLO node-a.helo", "C: STARTTLS", "S: <TLS established>", "C: EHLO node-a.helo", "C: MAIL FROM:", "S: 250 2.0.0 queued"}, []string{"AUTH"}},
		{"wrong password", func(c *MailConfig) { c.StartTLS, c.AuthUser, c.AuthPassword = true, "alerts", "nope" }, true, ErrSMTPStatus,
			[]string{"C: AUTH PLAIN", "S: 535", "C: QUIT"}, []string{"MAIL FROM"}},
		{"server without STARTTLS", func(c *MailConfig) { c.StartTLS = true }, false, ErrSMTPStatus,
			[]string{"C: EHLO node-a.helo", "S: 500", "C: QUIT"}, []string{"MAIL FROM", "STARTTLS"}},
		{"auth without TLS is refused", func(c *MailConfig) { c.AuthUser, c.AuthPassword = "alerts", "s3cret" }, true, ErrSMTPTLS,
			[]string{"C: EHLO node-a.helo", "C: QUIT"}, []string{"AUTH", "MAIL FROM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newSMTPSink(t, "127.0.0.1:0")
			if tc.offerTLS {
				sink.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
				sink.user, sink.pass = "alerts", "s3cret"
			}
			sink.start()
			defer sink.close()
			log, _ := quietLogger(t)
			cfg := goldenMailConfig(sink.port())
			cfg.TLS = &tls.Config{RootCAs: pool}
			tc.cfg(&cfg)
			m := NewMailer(context.Background(), cfg, MailerOptions{Logger: log})
			mail, _ := VRRPInstanceMail("node_a", "VI_1", Master)
			err := m.Deliver(context.Background(), mail)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Deliver: %v, want %v", err, tc.wantErr)
			}
			conns := sink.connections()
			<-conns[0].done
			tr := conns[0].Transcript()
			rest := tr
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("transcript lacks %q (in order):\n%s", w, tr)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tc.never {
				if strings.Contains(tr, "C: "+n) {
					t.Errorf("client sent %q:\n%s", n, tr)
				}
			}
		})
	}
}

// TestMailTLSVerifies: a certificate the configured roots do not trust
// stops the delivery before anything is sent in the clear.
func TestMailTLSVerifies(t *testing.T) {
	cert, _ := testCert(t)
	_, otherPool := testCert(t)
	sink := newSMTPSink(t, "127.0.0.1:0")
	sink.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
	sink.start()
	defer sink.close()
	log, _ := quietLogger(t)
	cfg := goldenMailConfig(sink.port())
	cfg.StartTLS, cfg.AuthUser, cfg.AuthPassword = true, "alerts", "s3cret"
	cfg.TLS = &tls.Config{RootCAs: otherPool}
	m := NewMailer(context.Background(), cfg, MailerOptions{Logger: log})
	if err := m.Deliver(context.Background(), Mail{Subject: "s", Body: "b"}); !errors.Is(err, ErrSMTPTLS) {
		t.Fatalf("Deliver: %v, want a TLS failure", err)
	}
	conns := sink.connections()
	<-conns[0].done
	if tr := conns[0].Transcript(); strings.Contains(tr, "C: AUTH") || strings.Contains(tr, "C: MAIL") {
		t.Errorf("sent after a failed handshake:\n%s", tr)
	}
}

func TestTLSConfigFromCAFile(t *testing.T) {
	cert, _ := testCert(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "ca.pem")
	os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
	c, err := TLSConfigFromCAFile(p)
	if err != nil || c.RootCAs == nil {
		t.Fatalf("%v %v", c, err)
	}
	os.WriteFile(p, []byte("junk"), 0o644)
	if _, err := TLSConfigFromCAFile(p); err == nil {
		t.Error("a file without certificates was accepted")
	}
	if _, err := TLSConfigFromCAFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
}
