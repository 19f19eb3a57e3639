package btcrpc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	"github.com/entente/entente/internal/btcrpc"
	"github.com/entente/entente/internal/btcrpc/fakenode"
)

func genesis(t *testing.T) []byte {
	t.Helper()
	var b strings.Builder
	if err := chaincfg.MainNetParams.GenesisBlock.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

func TestCalls(t *testing.T) {
	g := genesis(t)
	n, err := fakenode.Start("main", "alice", "s3cret", [][]byte{g})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	// Credentials in the URL work as well as in the config.
	c, err := btcrpc.New(btcrpc.Config{URL: strings.Replace(n.URL, "http://", "http://alice:s3cret@", 1)})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := c.ChainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Blocks != 0 || ci.Network() != "mainnet" {
		t.Fatalf("chain info %+v", ci)
	}
	h, err := c.BlockHash(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h != *chaincfg.MainNetParams.GenesisHash {
		t.Fatalf("height 0 is %s", h)
	}
	b, err := c.Block(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(g) {
		t.Fatal("genesis block bytes differ")
	}
	if _, err := c.BlockHash(ctx, 1); !errors.Is(err, btcrpc.ErrNotFound) {
		t.Fatalf("height past the tip: %v, want ErrNotFound", err)
	}
	if _, err := c.Block(ctx, (&wire.BlockHeader{}).BlockHash()); !errors.Is(err, btcrpc.ErrNotFound) {
		t.Fatalf("unknown block: %v, want ErrNotFound", err)
	}

	// A cookie file, as Bitcoin Core writes it.
	cookie := filepath.Join(t.TempDir(), ".cookie")
	os.WriteFile(cookie, []byte("alice:s3cret\n"), 0o600)
	c, _ = btcrpc.New(btcrpc.Config{URL: n.URL, CookieFile: cookie})
	if _, err := c.ChainInfo(ctx); err != nil {
		t.Fatalf("with the cookie: %v", err)
	}

	c, _ = btcrpc.New(btcrpc.Config{URL: n.URL, User: "alice", Password: "wrong"})
	if _, err := c.ChainInfo(ctx); !errors.Is(err, btcrpc.ErrAuth) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	// Nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := btcrpc.New(btcrpc.Config{URL: "http://" + addr})
	if _, err := c.ChainInfo(ctx); !errors.Is(err, btcrpc.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("refused connection: %v", err)
	}

	for name, tc := range map[string]struct {
		handler func(w http.ResponseWriter)
		want    error
		call    func(c *btcrpc.Client) error
	}{
		"answer too big": {
			handler: func(w http.ResponseWriter) {
				fmt.Fprintf(w, `{"result":"%s"}`, strings.Repeat("00", btcrpc.MaxBlockBytes+1024))
			},
			want: btcrpc.ErrBadAnswer,
			call: func(c *btcrpc.Client) error { _, err := c.Block(ctx, [32]byte{}); return err },
		},
		"not hex": {
			handler: func(w http.ResponseWriter) { fmt.Fprint(w, `{"result":"zz00"}`) },
			want:    btcrpc.ErrBadAnswer,
			call:    func(c *btcrpc.Client) error { _, err := c.Block(ctx, [32]byte{}); return err },
		},
		"not a hash": {
			handler: func(w http.ResponseWriter) { fmt.Fprint(w, `{"result":"00"}`) },
			want:    btcrpc.ErrBadAnswer,
			call:    func(c *btcrpc.Client) error { _, err := c.BlockHash(ctx, 3); return err },
		},
		"not JSON": {
			handler: func(w http.ResponseWriter) { w.WriteHeader(502); fmt.Fprint(w, "<html>bad gateway") },
			want:    btcrpc.ErrBadAnswer,
			call:    func(c *btcrpc.Client) error { _, err := c.ChainInfo(ctx); return err },
		},
		"negative height": {
			handler: func(w http.ResponseWriter) { fmt.Fprint(w, `{"result":{"chain":"main","blocks":-4}}`) },
			want:    btcrpc.ErrBadAnswer,
			call:    func(c *btcrpc.Client) error { _, err := c.ChainInfo(ctx); return err },
		},
		"dropped mid-answer": {
			handler: func(w http.ResponseWriter) {
				w.Header().Set("Content-Length", "1000")
				fmt.Fprint(w, `{"result":"`)
				if hj, ok := w.(http.Hijacker); ok {
					conn, _, _ := hj.Hijack()
					conn.Close()
				}
			},
			want: btcrpc.ErrUnreachable,
			call: func(c *btcrpc.Client) error { _, err := c.ChainInfo(ctx); return err },
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.handler(w) }))
			defer srv.Close()
			c, err := btcrpc.New(btcrpc.Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.call(c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	for _, bad := range []string{"", "localhost:8332", "ftp://x", "http://"} {
		if _, err := btcrpc.New(btcrpc.Config{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
	if _, err := btcrpc.New(btcrpc.Config{URL: "http://x:1", CA: []byte("x")}); err == nil {
		t.Error("a certificate for plain http accepted")
	}
}
