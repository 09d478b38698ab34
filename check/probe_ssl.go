package check

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

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
		// OpenSSL's version-flexible method negotiates down to TLS 1.0.
		MinVersion:    tls.VersionTLS10,
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
