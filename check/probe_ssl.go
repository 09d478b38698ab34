package check

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
)

// probeTLSConfig is the client side of SSL_GET. keepalived never verifies
// the server's certificate (it sets no verify mode; the `ca` file is loaded
// but unused), so neither does this. The global SSL block's certificate and
// key, when given, are the client certificate; password unlocks a key in
// legacy encrypted PEM.
func probeTLSConfig(ssl *parser.SSLContext) (*tls.Config, error) {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // as keepalived: SSL_GET checks the service, not the certificate
		// OpenSSL's version-flexible method negotiates down to TLS 1.0,
		// and its default suites include RSA key exchange, which Go leaves
		// out unless asked: old servers keepalived can check stay
		// checkable.
		MinVersion:    tls.VersionTLS10,
		CipherSuites:  probeCipherSuites(),
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
	if ssl == nil || ssl.CertFile == "" {
		return cfg, nil
	}
	certPEM, err := os.ReadFile(ssl.CertFile)
	if err != nil {
		return nil, fmt.Errorf("check: SSL certificate: %w", err)
	}
	keyFile := ssl.KeyFile
	if keyFile == "" {
		keyFile = ssl.CertFile
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("check: SSL key: %w", err)
	}
	if ssl.Password != "" {
		if keyPEM, err = decryptKeyPEM(keyPEM, ssl.Password); err != nil {
			return nil, fmt.Errorf("check: SSL key %s: %w", keyFile, err)
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("check: SSL certificate %s and key %s: %w", ssl.CertFile, keyFile, err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// decryptKeyPEM decrypts the first legacy-encrypted PEM private key block
// ("Proc-Type: 4,ENCRYPTED"); unencrypted keys pass through.
func decryptKeyPEM(data []byte, password string) ([]byte, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return data, nil
		}
		//lint:ignore SA1019 keepalived's password option is for this legacy format
		if !x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck
			continue
		}
		der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: der}), nil
	}
}

// probeCipherSuites is every suite Go implements except RC4 and 3DES,
// roughly OpenSSL's default list: Go files the RSA key exchange and CBC
// SHA-256 suites under "insecure", but keepalived's client offers them
// (TLS 1.3 suites are not configurable and always offered).
func probeCipherSuites() []uint16 {
	var ids []uint16
	for _, c := range tls.CipherSuites() {
		ids = append(ids, c.ID)
	}
	for _, c := range tls.InsecureCipherSuites() {
		if strings.Contains(c.Name, "_RC4_") || strings.Contains(c.Name, "_3DES_") {
			continue
		}
		ids = append(ids, c.ID)
	}
	return ids
}
