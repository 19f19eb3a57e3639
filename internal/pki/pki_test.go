package pki

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	first, err := Ensure(dir, []string{"127.0.0.1", "localhost"}, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Issued {
		t.Fatal("first Ensure did not issue a server certificate")
	}
	for _, f := range []string{CAKeyFile, ServerKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", f, fi.Mode().Perm())
		}
	}
	caPEM, err := os.ReadFile(first.CAFile)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		hosts      []string
		now        time.Time
		wantIssued bool
	}{
		{"same hosts reuse", []string{"localhost"}, t0.Add(24 * time.Hour), false},
		{"new host reissues", []string{"node.example.org", "127.0.0.1"}, t0, true},
		{"near expiry reissues", []string{"node.example.org"}, t0.Add(800 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Ensure(dir, tt.hosts, tt.now, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Issued != tt.wantIssued {
				t.Errorf("Issued = %v, want %v", got.Issued, tt.wantIssued)
			}
			// The CA never changes: clients keep trusting it.
			caNow, _ := os.ReadFile(got.CAFile)
			if !bytes.Equal(caNow, caPEM) {
				t.Error("CA certificate changed")
			}
			pool := x509.NewCertPool()
			pool.AddCert(got.CA)
			for _, h := range tt.hosts {
				_, err := got.Cert.Leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: pool, CurrentTime: tt.now})
				if err != nil {
					t.Errorf("server certificate for %s: %v", h, err)
				}
			}
		})
	}
}

func TestEnsureErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(dir string)
		hosts   []string
		wantErr string
	}{
		{"no hosts", func(string) {}, nil, "no host names"},
		{"half a CA", func(dir string) {
			os.WriteFile(filepath.Join(dir, CAFile), []byte("x"), 0o644)
		}, []string{"localhost"}, "only one of"},
		{"garbage CA", func(dir string) {
			os.WriteFile(filepath.Join(dir, CAFile), []byte("x"), 0o644)
			os.WriteFile(filepath.Join(dir, CAKeyFile), []byte("y"), 0o600)
		}, []string{"localhost"}, "node CA in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			_, err := Ensure(dir, tt.hosts, t0, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
