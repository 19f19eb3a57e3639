package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entente/entente/internal/pki"
)

// startNode opens a node on a fresh data directory and serves it on a free
// local port; it returns the node, its base URL and an HTTPS client that
// trusts the node CA read from disk, as an operator's client would.
func startNode(t *testing.T, setup func(*Node)) (*Node, string, *http.Client, func() error) {
	t.Helper()
	dir := t.TempDir()
	n, err := Open(t.Context(), Config{Dir: dir, Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if setup != nil {
		setup(n)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, ln) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return after cancel")
		}
	})
	t.Cleanup(func() { stop() })

	caPEM, err := os.ReadFile(filepath.Join(dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	return n, "https://" + ln.Addr().String(), client, stop
}

func TestServe(t *testing.T) {
	_, base, client, _ := startNode(t, nil)
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/healthz", 200, "ok"},
		{"/taxii2/", 401, ""}, // discovery needs authentication
		{"/api1/collections/", 401, ""},
		{"/api/chain/stats", 401, `"http_status":"401"`}, // the chain API is mounted
		{"/metrics", 200, "entente_objects_stored 0"},
		{"/metrics", 200, `route="/api/chain/stats"`},
		{"/metrics", 200, `entente_http_requests_total{code="401",method="GET",route="/taxii2/"} 1`},
		{"/metrics", 200, "entente_store_bytes"},
		{"/metrics", 200, "entente_http_request_duration_seconds_bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := client.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tt.wantCode, body)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body does not contain %q:\n%.2000s", tt.wantBody, body)
			}
			if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
				t.Errorf("not TLS 1.3: %+v", resp.TLS)
			}
		})
	}
}

func TestServeRefusesOldTLS(t *testing.T) {
	_, base, client, _ := startNode(t, nil)
	tests := []struct {
		name    string
		max     uint16
		wantErr bool
	}{
		{"TLS 1.2", tls.VersionTLS12, true},
		{"TLS 1.3", tls.VersionTLS13, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := client.Transport.(*http.Transport).Clone()
			tr.TLSClientConfig.MaxVersion = tt.max
			resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(base + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
	// Plain HTTP on the TLS port gets nothing useful either.
	resp, err := http.Get("http" + strings.TrimPrefix(base, "https") + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served /healthz")
		}
	}
}

// TestGracefulShutdown: a request in flight when the context ends still
// gets its whole answer, and Serve returns nil once it has.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	_, base, client, stop := startNode(t, func(n *Node) {
		inner := n.handler
		n.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/slow" {
				inner.ServeHTTP(w, r)
				return
			}
			close(started)
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "finished")
		})
	})
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := client.Get(base + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: body %q, err %v", r.body, r.err)
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Error("node still answers after shutdown")
	}
}

// TestHealthzStoreDown: /healthz tells a load balancer when the store no
// longer answers, rather than claiming health.
func TestHealthzStoreDown(t *testing.T) {
	n, err := Open(t.Context(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		before   func()
		wantCode int
		wantBody string
	}{
		{"store up", func() {}, 200, "ok\n"},
		{"store closed", func() { n.Close() }, 503, "store unavailable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			rec := httptest.NewRecorder()
			n.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestRecoverer(t *testing.T) {
	h := recoverer(slog.New(slog.DiscardHandler), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("bug")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api1/", nil))
	if rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/taxii+json") {
		t.Errorf("Content-Type %q, want a TAXII error", ct)
	}
	if !strings.Contains(rec.Body.String(), `"http_status":"500"`) {
		t.Errorf("body %s", rec.Body)
	}
}

func TestRoute(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/taxii2/", "/taxii2/"},
		{"/healthz", "/healthz"},
		{"/api1/", "/api1/"},
		{"/api1/collections/", "/api1/collections/"},
		{"/api1/collections/abc/", "/api1/collections/{id}/"},
		{"/api1/collections/abc/objects/", "/api1/collections/{id}/objects/"},
		{"/api1/collections/abc/manifest/", "/api1/collections/{id}/manifest/"},
		{"/api1/collections/abc/objects/indicator--1/", "/api1/collections/{id}/objects/{id}/"},
		{"/api1/collections/abc/objects/indicator--1/versions/", "/api1/collections/{id}/objects/{id}/versions/"},
		{"/api1/status/123/", "/api1/status/{id}/"},
		{"/api1/collections/abc/objects", "other"},
		{"/api1/whatever/x/", "other"},
		{"/wp-admin/", "other"},
		{"/api/chain/stats", "/api/chain/stats"},
		{"/api/chain/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "/api/chain/address/{addr}"},
		{"/api/chain/cluster/x", "/api/chain/cluster/{addr}"},
		{"/api/chain/trace", "/api/chain/trace"},
		{"/api/chain/tags", "/api/chain/tags"},
		{"/api/chain/nope", "other"},
		{"/", "other"},
	}
	for _, tt := range tests {
		if got := route(tt.path); got != tt.want {
			t.Errorf("route(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "next.key")
	rnd := strings.NewReader(strings.Repeat("k", 64))
	k1, err := loadKey(path, rnd)
	if err != nil || len(k1) != 32 {
		t.Fatalf("first loadKey: %v, %d bytes", err, len(k1))
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := loadKey(path, strings.NewReader(strings.Repeat("x", 64)))
	if err != nil || string(k2) != string(k1) {
		t.Errorf("second loadKey did not reuse the key: %v", err)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := loadKey(path, rnd); err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Errorf("short key: err = %v", err)
	}
}

func TestOpenStoreErrors(t *testing.T) {
	tests := []struct {
		name, dir, url, wantErr string
	}{
		{"nothing", "", "", "no data directory"},
		{"not postgres", "", "mysql://u:secret@h/db", "must start with postgres://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenStore(t.Context(), StoreConfig{Dir: tt.dir, URL: tt.url})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// FuzzRoute: every path maps to one of a few fixed labels, so that
// clients cannot grow the metrics without bound.
func FuzzRoute(f *testing.F) {
	for _, p := range []string{"/api1/collections/x/objects/y/versions/", "/taxii2/", "//api1//", "/api1/status/"} {
		f.Add(p)
	}
	labels := map[string]bool{"other": true, "/healthz": true, "/metrics": true, "/taxii2/": true, "/api1/": true,
		"/api1/status/{id}/": true, "/api1/collections/": true, "/api1/collections/{id}/": true,
		"/api1/collections/{id}/objects/": true, "/api1/collections/{id}/manifest/": true,
		"/api1/collections/{id}/objects/{id}/": true, "/api1/collections/{id}/objects/{id}/versions/": true,
		"/api/chain/stats": true, "/api/chain/trace": true, "/api/chain/tags": true,
		"/api/chain/address/{addr}": true, "/api/chain/cluster/{addr}": true}
	f.Fuzz(func(t *testing.T, path string) {
		if r := route(path); !labels[r] {
			t.Fatalf("route(%q) = %q, not a fixed label", path, r)
		}
	})
}

// TestOperatorCertificate: with --tls-cert/--tls-key the node serves the
// operator's certificate and makes no CA of its own.
func TestOperatorCertificate(t *testing.T) {
	own, err := pki.Ensure(t.TempDir(), []string{"127.0.0.1"}, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ownDir := filepath.Dir(own.CAFile)
	dir := t.TempDir()
	n, err := Open(t.Context(), Config{
		Dir:         dir,
		TLSCertFile: filepath.Join(ownDir, pki.ServerFile),
		TLSKeyFile:  filepath.Join(ownDir, pki.ServerKeyFile),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.CAFile() != "" {
		t.Errorf("CAFile = %q, want none", n.CAFile())
	}
	if _, err := os.Stat(filepath.Join(dir, "tls")); err == nil {
		t.Error("node made a CA although the operator gave a certificate")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	pool := x509.NewCertPool()
	pool.AddCert(own.CA)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}

	if _, err := Open(t.Context(), Config{Dir: t.TempDir(), TLSCertFile: "/nonexistent.pem", TLSKeyFile: "/nonexistent-key.pem"}); err == nil ||
		!strings.Contains(err.Error(), "TLS certificate") {
		t.Errorf("missing certificate: err = %v", err)
	}
}
