package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the server goroutine
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var bannerRE = regexp.MustCompile(`serving TAXII 2.1 at https://(\S+)/taxii2/`)

// waitFor polls text until re matches, and returns the submatches. It
// gives up early when exited reports that the server is gone.
func waitFor(t *testing.T, text func() string, re *regexp.Regexp, exited func() bool) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(text()); m != nil {
			return m
		}
		if exited() {
			t.Fatalf("server exited before printing %q:\n%s", re, text())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q in output:\n%s", re, text())
	return nil
}

// nodeClient trusts the node CA in the data directory, as an operator's
// client would after copying ca.pem.
func nodeClient(t *testing.T, dir string) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func taxiiGet(t *testing.T, c *http.Client, url, user, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	if user != "" {
		req.SetBasicAuth(user, token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServe runs "entente serve" in process, as main does, and stops it
// the way SIGTERM does: by ending its context.
func TestServe(t *testing.T) {
	tests := []struct {
		name       string
		demo       bool
		wantStderr string
		wantCode   int // of GET /taxii2/ with the printed credential, if any
	}{
		{"fresh node explains how to add a user", false, "this node has no users yet", 401},
		{"demo prints an admin credential", true, "demo admin credential, shown once", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json"}
			if tt.demo {
				args = append(args, "--demo")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr syncBuffer
			done := make(chan error, 1)
			var exited atomic.Bool
			go func() {
				err := Run(ctx, args, strings.NewReader(""), &stdout, &stderr)
				fmt.Fprintf(&stderr, "Run returned: %v\n", err)
				exited.Store(true)
				done <- err
			}()

			addr := waitFor(t, stderr.String, bannerRE, exited.Load)[1]
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if !strings.Contains(stderr.String(), filepath.Join(dir, "tls", "ca.pem")) {
				t.Errorf("stderr does not name the CA file:\n%s", stderr.String())
			}
			user, token := "nobody", "ent_nothing"
			if m := regexp.MustCompile(`user (\S+), token (\S+)`).FindStringSubmatch(stderr.String()); m != nil {
				user, token = m[1], m[2]
			}
			client := nodeClient(t, dir)
			code, body := taxiiGet(t, client, "https://"+addr+"/taxii2/", user, token)
			if code != tt.wantCode {
				t.Errorf("GET /taxii2/ as %s: %d, want %d; %s", user, code, tt.wantCode, body)
			}
			if tt.demo {
				code, body := taxiiGet(t, client, "https://"+addr+"/api1/collections/", user, token)
				if code != 200 || !strings.Contains(body, "Ransomware families") {
					t.Errorf("GET collections: %d %s", code, body)
				}
				// The printed trace command follows the demo ransom to an
				// exchange, from the node's own tags.
				m := regexp.MustCompile(`entente (chain trace --data \S+ --from \S+)`).FindStringSubmatch(stderr.String())
				if m == nil {
					t.Fatalf("no trace command printed:\n%s", stderr.String())
				}
				var out, errOut bytes.Buffer
				if err := Run(context.Background(), strings.Fields(m[1]), strings.NewReader(""), &out, &errOut); err != nil {
					t.Fatalf("%s: %v\n%s", m[1], err, errOut.String())
				}
				if !regexp.MustCompile(`(?m)^  .+ \(exchange\): [1-9]\d* sat`).MatchString(out.String()) {
					t.Errorf("the demo trace reaches no exchange:\n%s", out.String())
				}
			}
			if stdout.String() != "" {
				t.Errorf("serve wrote to stdout: %q", stdout.String())
			}

			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop after its context ended")
			}
			if !strings.Contains(stderr.String(), `"msg":"request"`) {
				t.Errorf("no JSON request log in stderr:\n%s", stderr.String())
			}
		})
	}
}
