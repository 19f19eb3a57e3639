// Package pki gives an Entente node a certificate to serve HTTPS with when
// the operator brings none: a small node certificate authority and a server
// certificate it signs.
//
// It is not a general CA: it issues exactly one server certificate, for the
// names the node is reached by, and keeps everything as PEM files in one
// directory so that an operator can inspect, back up or replace them.
//
// # Files
//
// In the directory given to [Ensure] (the node uses DIR/tls):
//
//	ca.pem          the CA certificate: give it to clients to trust
//	ca-key.pem      the CA private key, PKCS #8, mode 0600
//	server.pem      the server certificate followed by the CA certificate
//	server-key.pem  the server private key, PKCS #8, mode 0600
//
// Keys are ECDSA P-256. The CA is created once and reused for ever after;
// the server certificate is reused while it is signed by that CA, covers
// every requested host and has more than 30 days left, and reissued
// otherwise (so adding a host name keeps the CA clients already trust).
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names inside the directory.
const (
	CAFile        = "ca.pem"
	CAKeyFile     = "ca-key.pem"
	ServerFile    = "server.pem"
	ServerKeyFile = "server-key.pem"
)

const (
	caLifetime     = 10 * 365 * 24 * time.Hour
	serverLifetime = 825 * 24 * time.Hour // the longest lifetime common clients accept
	renewBefore    = 30 * 24 * time.Hour
	// backdate tolerates clients whose clocks run a little behind.
	backdate = time.Hour
)

// Result is what [Ensure] leaves on disk, loaded.
type Result struct {
	CAFile string // path of ca.pem
	CA     *x509.Certificate
	Cert   tls.Certificate // server certificate and key, chain includes the CA
	Issued bool            // a new server certificate was written
}

// Ensure loads or creates the CA and a server certificate valid for hosts
// (DNS names or IP addresses) in dir. now and rnd are the clock and the
// randomness to use; rnd nil means crypto/rand.
func Ensure(dir string, hosts []string, now time.Time, rnd io.Reader) (Result, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	if len(hosts) == 0 {
		return Result{}, errors.New("pki: no host names for the server certificate")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, err
	}
	ca, caKey, err := loadOrCreateCA(dir, now, rnd)
	if err != nil {
		return Result{}, err
	}
	res := Result{CAFile: filepath.Join(dir, CAFile), CA: ca}
	if cert, err := loadServer(dir, ca, hosts, now); err == nil {
		res.Cert = cert
		return res, nil
	} else if !errors.Is(err, errReissue) {
		return Result{}, err
	}
	cert, err := issueServer(dir, ca, caKey, hosts, now, rnd)
	if err != nil {
		return Result{}, err
	}
	res.Cert, res.Issued = cert, true
	return res, nil
}

// errReissue: the server certificate is missing or no longer fits.
var errReissue = errors.New("server certificate must be reissued")

func loadOrCreateCA(dir string, now time.Time, rnd io.Reader) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	certPEM, errC := os.ReadFile(certPath)
	keyPEM, errK := os.ReadFile(keyPath)
	switch {
	case errC == nil && errK == nil:
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("pki: node CA in %s: %w", dir, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("pki: node CA key %s is not ECDSA", keyPath)
		}
		ca, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, nil, fmt.Errorf("pki: %s: %w", certPath, err)
		}
		if !ca.IsCA {
			return nil, nil, fmt.Errorf("pki: %s is not a CA certificate", certPath)
		}
		return ca, key, nil
	case errors.Is(errC, fs.ErrNotExist) && errors.Is(errK, fs.ErrNotExist):
	case errC != nil && !errors.Is(errC, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("pki: %w", errC)
	case errK != nil && !errors.Is(errK, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("pki: %w", errK)
	default:
		// Never replace half a CA: clients may trust the half that is left.
		return nil, nil, fmt.Errorf("pki: only one of %s and %s exists; restore the other or remove both", certPath, keyPath)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return nil, nil, err
	}
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Entente node CA", Organization: []string{"Entente"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	// Key first: a CA certificate without its key would block the next start.
	if err := writeKey(keyPath, key); err != nil {
		return nil, nil, err
	}
	if err := writeFile(certPath, pemCert(der), 0o644); err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

func loadServer(dir string, ca *x509.Certificate, hosts []string, now time.Time) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerFile), filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return tls.Certificate{}, errReissue
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil || leaf.CheckSignatureFrom(ca) != nil || now.Add(renewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, errReissue
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return tls.Certificate{}, errReissue
		}
	}
	cert.Leaf = leaf
	return cert, nil
}

func issueServer(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time, rnd io.Reader) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := newSerial(rnd)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Entente"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(serverLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rnd, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeKey(filepath.Join(dir, ServerKeyFile), key); err != nil {
		return tls.Certificate{}, err
	}
	chain := append(pemCert(der), pemCert(ca.Raw)...)
	if err := writeFile(filepath.Join(dir, ServerFile), chain, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

func newSerial(rnd io.Reader) (*big.Int, error) {
	return rand.Int(rnd, new(big.Int).Lsh(big.NewInt(1), 128))
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// writeFile replaces path atomically, so a crash never leaves a torn PEM.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
