package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entente/entente/internal/store/postgres/pgtest"
)

// TestPostgres runs the admin commands and serve against a real
// PostgreSQL given by --store, as an operator with a database would.
func TestPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	url := pgtest.Start(t)
	ctx := context.Background()
	run := func(args ...string) (string, error) {
		var stdout, stderr syncBuffer
		err := Run(ctx, append(args, "--store", url), strings.NewReader(""), &stdout, &stderr)
		return stdout.String(), err
	}
	steps := []struct {
		args    []string
		wantOut string // regexp
		wantErr string
	}{
		{[]string{"org", "add", "de-bka"}, "^$", ""},
		{[]string{"org", "add", "de-bka"}, "", `organization "de-bka" already exists`},
		{[]string{"user", "add", "--org", "de-bka", "--role", "admin", "anna"}, `^ent_\S+\n$`, ""},
		{[]string{"collection", "add", "--title", "Wallets", "--write", "de-bka"}, `^[0-9a-f-]{36}\n$`, ""},
		{[]string{"org", "list"}, `de-bka +member`, ""},
		{[]string{"user", "list"}, `anna +de-bka +admin`, ""},
		{[]string{"collection", "list"}, `Wallets +\* +de-bka`, ""},
		{[]string{"token", "list", "anna"}, `tok_\S+ +active`, ""},
	}
	var token string
	for _, s := range steps {
		out, err := run(s.args...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("%v: err = %v, want %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", s.args, err)
		}
		if !regexp.MustCompile(s.wantOut).MatchString(out) {
			t.Errorf("%v: stdout %q, want %q", s.args, out, s.wantOut)
		}
		if s.args[0] == "user" && s.args[1] == "add" {
			token = strings.TrimSpace(out)
		}
	}

	// serve keeps its key and certificates in --data, its data in PostgreSQL.
	dir := t.TempDir()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stderr syncBuffer
	var exited atomic.Bool
	done := make(chan error, 1)
	go func() {
		err := Run(sctx, []string{"serve", "--data", dir, "--store", url, "--listen", "127.0.0.1:0"}, strings.NewReader(""), &syncBuffer{}, &stderr)
		fmt.Fprintf(&stderr, "Run returned: %v\n", err)
		exited.Store(true)
		done <- err
	}()
	addr := waitFor(t, stderr.String, bannerRE, exited.Load)[1]
	code, body := taxiiGet(t, nodeClient(t, dir), "https://"+addr+"/api1/collections/", "anna", token)
	if code != 200 || !strings.Contains(body, "Wallets") {
		t.Errorf("GET collections: %d %s", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
